import RouteModel

/// Customer-managed prefix lists and routes to them (`--prefix-lists`). Lists are always read by
/// tag, never all of an account's.
extension EC2Client {
    /// EC2 takes at most this many entries in one create or modify request.
    public static let prefixListEntriesPerRequest = 100

    /// The lists carrying the tag `key` = `value` (vpcrouter's tag for its VPC).
    public func describeManagedPrefixLists(taggedWith key: String, value: String) async throws -> [ManagedPrefixList] {
        try await describeAll("DescribeManagedPrefixLists", filters: [EC2Filter("tag:\(key)", [value])], setName: "prefixListSet",
                              decode: ManagedPrefixList.init(xml:))
    }

    /// Every entry of the list at its current version (or `version`), paginated.
    public func getManagedPrefixListEntries(prefixListId: String, version: Int? = nil) async throws -> [IPCIDR] {
        var entries: [IPCIDR] = []
        var nextToken: String?
        repeat {
            var parameters: [(String, String)] = [("PrefixListId", prefixListId), ("MaxResults", String(configuration.maxResults))]
            if let version { parameters.append(("TargetVersion", String(version))) }
            if let nextToken { parameters.append(("NextToken", nextToken)) }
            let page = try await call("GetManagedPrefixListEntries", parameters, priority: .routine)
            for item in page.items("entrySet") {
                guard let text = item.string("cidr"), let cidr = IPCIDR(text) else {
                    throw EC2Error(code: .undecodableItem, message: "an entry of \(prefixListId) is not an IPv4 CIDR: \(item.string("cidr") ?? "(none)")",
                                   action: "GetManagedPrefixListEntries")
                }
                entries.append(cidr)
            }
            nextToken = page.string("nextToken")
        } while nextToken != nil
        return entries
    }

    /// Creates an IPv4 list with `entries` (at most `prefixListEntriesPerRequest`) and `tags`; returns its id.
    public func createManagedPrefixList(name: String, maxEntries: Int, entries: [IPCIDR], tags: [String: String],
                                        priority: APIPriority = .routine) async throws -> ManagedPrefixList {
        precondition(entries.count <= Self.prefixListEntriesPerRequest, "at most \(Self.prefixListEntriesPerRequest) entries per request")
        var parameters: [(String, String)] = [("PrefixListName", name), ("MaxEntries", String(maxEntries)), ("AddressFamily", "IPv4"),
                                              ("TagSpecification.1.ResourceType", "prefix-list")]
        for (index, (key, value)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
            parameters += [("TagSpecification.1.Tag.\(index + 1).Key", key), ("TagSpecification.1.Tag.\(index + 1).Value", value)]
        }
        for (index, entry) in entries.enumerated() { parameters.append(("Entry.\(index + 1).Cidr", entry.description)) }
        let answer = try await call("CreateManagedPrefixList", parameters, priority: priority)
        guard let node = answer.child("prefixList"), let list = ManagedPrefixList(xml: node) else {
            throw EC2Error(code: .malformedResponse, message: "CreateManagedPrefixList answered without the list's id", action: "CreateManagedPrefixList")
        }
        return list
    }

    /// Adds and removes entries, naming the version the change is made against: EC2 refuses it
    /// (`PrefixListVersionMismatch`) if the list moved since, so nothing is overwritten.
    public func modifyManagedPrefixList(prefixListId: String, currentVersion: Int, add: [IPCIDR], remove: [IPCIDR],
                                        priority: APIPriority = .routine) async throws {
        var parameters: [(String, String)] = [("PrefixListId", prefixListId), ("CurrentVersion", String(currentVersion))]
        for (index, entry) in add.enumerated() { parameters.append(("AddEntry.\(index + 1).Cidr", entry.description)) }
        for (index, entry) in remove.enumerated() { parameters.append(("RemoveEntry.\(index + 1).Cidr", entry.description)) }
        _ = try await call("ModifyManagedPrefixList", parameters, priority: priority)
    }

    /// Deletes the list; one already gone counts as success (returns false).
    @discardableResult
    public func deleteManagedPrefixList(prefixListId: String, priority: APIPriority = .routine) async throws -> Bool {
        do {
            _ = try await call("DeleteManagedPrefixList", [("PrefixListId", prefixListId)], priority: priority)
            return true
        } catch let error as EC2Error where error.code == .prefixListNotFound {
            return false
        }
    }

    public func createRoute(routeTableId: String, prefixListId: String, networkInterfaceId: String, priority: APIPriority = .routine) async throws {
        _ = try await call("CreateRoute", [("RouteTableId", routeTableId), ("DestinationPrefixListId", prefixListId),
                                           ("NetworkInterfaceId", networkInterfaceId)], priority: priority)
    }

    public func replaceRoute(routeTableId: String, prefixListId: String, networkInterfaceId: String, priority: APIPriority = .routine) async throws {
        _ = try await call("ReplaceRoute", [("RouteTableId", routeTableId), ("DestinationPrefixListId", prefixListId),
                                            ("NetworkInterfaceId", networkInterfaceId)], priority: priority)
    }

    /// Deletes the route to the list; a route already gone counts as success (returns false).
    @discardableResult
    public func deleteRoute(routeTableId: String, prefixListId: String, priority: APIPriority = .routine) async throws -> Bool {
        do {
            _ = try await call("DeleteRoute", [("RouteTableId", routeTableId), ("DestinationPrefixListId", prefixListId)], priority: priority)
            return true
        } catch let error as EC2Error where error.code == .routeNotFound {
            return false
        }
    }
}

extension EC2Error.Code {
    public static let prefixListVersionMismatch: EC2Error.Code = "PrefixListVersionMismatch"
    public static let prefixListNotFound: EC2Error.Code = "InvalidPrefixListID.NotFound"
}
