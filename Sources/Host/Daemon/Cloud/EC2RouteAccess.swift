import EC2
import Logging
import Reconciler
import RouteModel
import Runtime

/// The reconciler's view of EC2: observations mapped into the planner's value types, and route
/// writes through the throttle-aware client (failover writes first in its budget).
struct EC2RouteAccess: VPCRouteAccess {
    let client: EC2Client
    let vpcId: String
    /// Whether a write may still be sent (leadership); checked before every attempt of every
    /// request of a write, including retries. nil: always.
    var writeAuthority: (@Sendable () -> Bool)? = nil
    var logger: Logger?
    /// Read vpcrouter's prefix lists too (`--prefix-lists`, or lists left in the ledger from it):
    /// DescribeManagedPrefixLists by the VPC's tag and GetManagedPrefixListEntries per list.
    var readsPrefixLists = false

    func observe(routers: [IPAddress]) async throws -> ObservedVPC {
        let observation = try await client.observeVPC(vpcId)
        // Instance states tell stopped or terminated routers; only the routers' instances and the
        // instances routes point at are asked for, in one filtered call.
        let routerSet = Set(routers)
        var instanceIds = Set<String>()
        for interface in observation.networkInterfaces where Self.addresses(of: interface).contains(where: routerSet.contains) {
            if let instance = interface.instanceId { instanceIds.insert(instance) }
        }
        for table in observation.routeTables {
            for route in table.routes { if let instance = route.instanceId { instanceIds.insert(instance) } }
        }
        var states: [String: ObservedNetworkInterface.InstanceState] = [:]
        if !instanceIds.isEmpty {
            // Instance states only add to the read: without them every state is unknown (able to
            // forward), which never moves a route; a failure here must not stop the whole pass.
            do {
                for instance in try await client.describeInstances(vpcId: vpcId, instanceIds: instanceIds.sorted()) {
                    states[instance.instanceId] = ObservedNetworkInterface.InstanceState(rawValue: instance.state)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger?.warning("DescribeInstances failed; instance states unknown for this pass", metadata: ["error": "\(error)"])
            }
        }
        var lists: [ObservedPrefixList] = []
        if readsPrefixLists {
            for list in try await client.describeManagedPrefixLists(taggedWith: PrefixListGroup.vpcTagKey, value: vpcId) {
                let state = list.state ?? ""
                // A list being deleted is as good as gone; its entries are not read.
                let entries = state.hasPrefix("delete") ? [] : try await client.getManagedPrefixListEntries(prefixListId: list.prefixListId)
                lists.append(ObservedPrefixList(id: list.prefixListId, name: list.name ?? "", tags: list.tags, version: list.version ?? 1,
                                                maxEntries: list.maxEntries ?? 0, entries: entries, state: state))
            }
        }
        var observed = Self.map(observation, instanceStates: states)
        observed.prefixLists = lists
        return observed
    }

    /// Maps one observation; ids are shared strings so a large VPC costs little memory.
    static func map(_ observation: VPCObservation, instanceStates: [String: ObservedNetworkInterface.InstanceState]) -> ObservedVPC {
        func target(of route: RouteTable.Route) -> ObservedRoute.Target {
            if let eni = route.networkInterfaceId { return .networkInterface(id: eni, instanceId: route.instanceId) }
            if let instance = route.instanceId { return .instance(id: instance) }
            let other = route.gatewayId ?? route.natGatewayId ?? route.transitGatewayId ?? route.vpcPeeringConnectionId
            return .other(id: other ?? "unknown")
        }
        let tables = observation.routeTables.map { table in
            ObservedRouteTable(
                id: table.routeTableId, isMain: table.isMain, subnetIds: table.subnetIds, tags: table.tags,
                routes: table.routes.compactMap { route -> ObservedRoute? in
                    // Prefix-list routes have neither destination and are not ours to read.
                    guard let text = route.destination, let destination = IPCIDR(text) else { return nil }
                    let target: ObservedRoute.Target
                    if let eni = route.networkInterfaceId {
                        target = .networkInterface(id: eni, instanceId: route.instanceId)
                    } else if let instance = route.instanceId {
                        target = .instance(id: instance)
                    } else {
                        let other = route.gatewayId ?? route.natGatewayId ?? route.transitGatewayId ?? route.vpcPeeringConnectionId
                        target = .other(id: other ?? "unknown")
                    }
                    return ObservedRoute(destination: destination, target: target, state: route.isBlackhole ? .blackhole : .active,
                                         origin: ObservedRoute.Origin(ec2Value: route.origin))
                },
                prefixListRoutes: table.routes.compactMap { route -> ObservedPrefixListRoute? in
                    guard route.destinationCidrBlock == nil, let list = route.destinationPrefixListId else { return nil }
                    return ObservedPrefixListRoute(prefixListId: list, target: target(of: route), state: route.isBlackhole ? .blackhole : .active,
                                                   origin: ObservedRoute.Origin(ec2Value: route.origin))
                })
        }
        let interfaces = observation.networkInterfaces.map { interface in
            let instance = interface.instanceId
            // Only a state EC2 reported counts: an instance missing from the answer (in another VPC,
            // just launched, or the call failed) is unknown, not terminated.
            let state: ObservedNetworkInterface.InstanceState? = instance.flatMap { instanceStates[$0] }
            return ObservedNetworkInterface(
                id: interface.networkInterfaceId, subnetId: interface.subnetId ?? "", attachedInstanceId: instance,
                instanceState: state, privateAddresses: addresses(of: interface))
        }
        let subnets = observation.subnets.compactMap { subnet -> ObservedSubnet? in
            guard let text = subnet.cidrBlock, let cidr = IPCIDR(text) else { return nil }
            return ObservedSubnet(id: subnet.subnetId, availabilityZone: subnet.availabilityZone ?? "", cidr: cidr)
        }
        return ObservedVPC(id: observation.vpcId, routeTables: tables, subnets: subnets, networkInterfaces: interfaces)
    }

    /// Every address of an ENI a spec may name: the primary private IPv4, the secondary ones, then
    /// the IPv6 addresses (canonical text, so `FD00::10` in an answer matches `fd00::10` in a spec).
    static func addresses(of interface: NetworkInterface) -> [IPAddress] {
        let ordered = interface.privateAddresses.filter(\.isPrimary) + interface.privateAddresses.filter { !$0.isPrimary }
        return ordered.compactMap { IPAddress($0.address) } + interface.ipv6Addresses.compactMap { IPAddress($0) }
    }

    func apply(_ action: RouteAction) async throws {
        try await SendAuthority.withAuthority(writeAuthority) { try await write(action) }
    }

    func apply(_ action: PrefixListAction) async throws -> String? {
        try await SendAuthority.withAuthority(writeAuthority) { try await write(action) }
    }

    private func write(_ action: PrefixListAction) async throws -> String? {
        let priority: APIPriority = action.isFailover ? .failover : .routine
        switch action.verb {
        case .createList:
            guard let group = action.group, let maxEntries = action.maxEntries else { return nil }
            let list = try await client.createManagedPrefixList(name: group.listName(vpcId: vpcId), maxEntries: maxEntries, entries: action.addEntries,
                                                                tags: group.listTags(vpcId: vpcId), priority: priority)
            return list.prefixListId
        case .modifyEntries:
            guard let list = action.prefixListId, let version = action.currentVersion else { return nil }
            do {
                try await client.modifyManagedPrefixList(prefixListId: list, currentVersion: version, add: action.addEntries,
                                                         remove: action.removeEntries, priority: priority)
            } catch let error as EC2Error where error.code == .prefixListVersionMismatch {
                throw PrefixListWriteConflict(prefixListId: list, what: "its version moved from \(version)")
            }
        case .deleteList:
            guard let list = action.prefixListId else { return nil }
            try await client.deleteManagedPrefixList(prefixListId: list, priority: priority)
        case .createRoute:
            guard let table = action.tableId, let list = action.prefixListId, let eni = action.newTarget?.networkInterfaceId else { return nil }
            do {
                try await client.createRoute(routeTableId: table, prefixListId: list, networkInterfaceId: eni, priority: priority)
            } catch let error as EC2Error where error.code == .routeAlreadyExists {
                // Made since the read, perhaps by someone else: never overwritten; the next read decides.
                throw PrefixListWriteConflict(prefixListId: list, what: "a route to it appeared in \(table)")
            }
        case .replaceRoute:
            guard let table = action.tableId, let list = action.prefixListId, let eni = action.newTarget?.networkInterfaceId else { return nil }
            try await client.replaceRoute(routeTableId: table, prefixListId: list, networkInterfaceId: eni, priority: priority)
        case .deleteRoute:
            guard let table = action.tableId, let list = action.prefixListId else { return nil }
            try await client.deleteRoute(routeTableId: table, prefixListId: list, priority: priority)
        case .keepRoute, .wait:
            break
        }
        return nil
    }

    private func write(_ action: RouteAction) async throws {
        guard let table = action.tableId else { return }
        let priority: APIPriority = action.isFailover ? .failover : .routine
        switch action.verb {
        case .create:
            guard let eni = action.newTarget?.networkInterfaceId else { return }
            do {
                try await client.createRoute(routeTableId: table, destination: action.cidr, networkInterfaceId: eni, priority: priority)
            } catch let error as EC2Error where error.code == .routeAlreadyExists {
                // Someone created it since the read, maybe to a gateway, peering or NAT target:
                // never overwrite what was not seen; the next read decides again.
                throw RouteWriteConflict(tableId: table, cidr: action.cidr)
            }
        case .replace:
            guard let eni = action.newTarget?.networkInterfaceId else { return }
            try await client.upsertRoute(routeTableId: table, destination: action.cidr, networkInterfaceId: eni,
                                         existing: true, priority: priority)
        case .delete:
            _ = try await client.deleteRoute(routeTableId: table, destination: action.cidr, priority: priority)
        default:
            return
        }
    }
}
