import EC2
import Foundation
import RouteModel
import Synchronization
import Testing
import TestSupport

extension EndToEnd {
    /// `--prefix-lists` through the real daemon, the moto the fixture completes for routes to
    /// prefix lists, and routers in network namespaces: per-CIDR routes migrate to one list and one
    /// route per table, a router's death is one ReplaceRoute per table, and switching the mode off
    /// migrates back and deletes the list; a watcher reading moto throughout finds no moment when
    /// a CIDR has no route in a table. The daemon is signed with a key limited to docs/iam-policy.json.
    @Suite(.serialized, .timeLimit(.minutes(8))) struct PrefixListTests {
        static let cidrs = (0..<6).map { IPCIDR("10.70.\($0).0/24")! }
        let health = ["-H", "icmpecho", "--icmp_check_interval", "0.2", "--health-fall", "2"]

        /// What moto shows for the CIDRs in the fixture's two tables.
        struct Snapshot {
            /// Per table: CIDRs with a per-CIDR route, and the ENI of each route to a list.
            var perCIDR: [String: [IPCIDR: String]] = [:]
            var listRoutes: [String: [String: String]] = [:]
            /// vpcrouter's live lists (tagged for the VPC) and their entries.
            var lists: [String: Set<IPCIDR>] = [:]

            /// (table, CIDR) pairs with no route at all. A route to a list the snapshot did not
            /// read (made after the lists were read) is not counted either way.
            func gaps(tables: [String]) -> [String] {
                var found: [String] = []
                for table in tables {
                    for cidr in PrefixListTests.cidrs where perCIDR[table]?[cidr] == nil {
                        let routes = listRoutes[table] ?? [:]
                        let carried = routes.keys.contains { lists[$0]?.contains(cidr) ?? true }
                        if !carried { found.append("\(cidr) in \(table)") }
                    }
                }
                return found
            }
        }

        /// Lists first, then tables: a list is deleted only after its routes, so a table read
        /// later never shows a route to a list that was read as absent because it was deleted.
        static func snapshot(_ client: EC2Client, _ fixture: MotoFixture) async throws -> Snapshot {
            var snapshot = Snapshot()
            for list in try await client.describeManagedPrefixLists(taggedWith: "vpcrouter:vpc", value: fixture.vpcId)
            where !(list.state ?? "").hasPrefix("delete") {
                snapshot.lists[list.prefixListId] = Set(try await client.getManagedPrefixListEntries(prefixListId: list.prefixListId))
            }
            for table in try await client.describeRouteTables(vpcId: fixture.vpcId) {
                for route in table.routes {
                    if let text = route.destinationCidrBlock, let cidr = IPCIDR(text), cidrs.contains(cidr) {
                        snapshot.perCIDR[table.routeTableId, default: [:]][cidr] = route.networkInterfaceId ?? "other"
                    } else if let list = route.destinationPrefixListId {
                        snapshot.listRoutes[table.routeTableId, default: [:]][list] = route.networkInterfaceId ?? "other"
                    }
                }
            }
            return snapshot
        }

        /// Signed with the daemon's key, which carries only docs/iam-policy.json (moto checks IAM).
        func launch(_ extra: [String], lab: TwoRouterLab, spec: URL, state: URL, port: Int) throws -> DaemonProcess {
            var environment = VPCRouterUnderTest.environment(ec2Endpoint: lab.moto.endpoint.absoluteString)
            environment["AWS_ACCESS_KEY_ID"] = lab.fixture.routerAccessKeyId
            environment["AWS_SECRET_ACCESS_KEY"] = lab.fixture.routerSecretAccessKey
            return try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", lab.fixture.region, "-v", lab.fixture.vpcId, "--route_recheck_interval", "5", "-p", "\(port)",
                "--state-dir", state.path, "-m", "configfile", "-f", spec.path, "--route-table-quota", "100",
            ] + health + extra, environment: environment)
        }

        @Test func planShowsThePrefixListActionsAndTheQuotaAndWritesNothing() async throws {
            let moto = try await MotoServer.start(completingPrefixListRoutes: true)
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let client = moto.client(for: fixture)
            let routers = try await RouterNamespaces.listening([TwoRouterLab.routerA, TwoRouterLab.routerB], port: 9)
            defer { routers.remove() }
            let directory = try PackagePaths.temporaryDirectory("vpcr-plan-prefixlists")
            let spec = directory.appendingPathComponent("spec.json")
            let entries = Self.cidrs.map { "\"\($0)\": [\"\(TwoRouterLab.routerA)\", \"\(TwoRouterLab.routerB)\"]" }
            try Data("{\(entries.joined(separator: ", "))}".utf8).write(to: spec)
            func plan(_ extra: [String]) throws -> ProcessResult {
                try ProcessRunner.run(PackagePaths.vpcrouter, [
                    "plan", "-r", fixture.region, "-v", fixture.vpcId, "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
                    "--state-dir", directory.appendingPathComponent("state").path, "-m", "configfile", "-f", spec.path, "--prefix-lists",
                ] + extra, environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString), timeout: 60)
            }
            let table = try plan([])
            #expect(table.status == 0, "\(table.stderr)")
            print(table.stdout)
            #expect(table.stdout.contains("PREFIX-LIST ACTION"), "\(table.stdout)")
            #expect(table.stdout.split(separator: "\n").contains { $0.hasPrefix("create-list") && $0.contains("max 8") }, "\(table.stdout)")
            #expect(table.stdout.contains("0 route writes and 1 prefix-list write planned; nothing was written"), "\(table.stdout)")
            #expect(table.stdout.contains("route quota: \(fixture.routeTableA) uses 1 of 50, 9 once the lists are in place"), "\(table.stdout)")

            let over = try plan(["--json", "--route-table-quota", "5"])
            #expect(over.status == 0, "\(over.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(over.stdout.utf8)) as? [String: Any]
            #expect((document?["prefix_list_actions"] as? [Any])?.isEmpty == true, "refused over the quota: \(over.stdout)")
            #expect(document?["writes"] as? Int == 12, "the CIDRs are planned per CIDR instead: \(over.stdout)")
            let notes = document?["notes"] as? [[String: Any]] ?? []
            #expect(notes.contains { ($0["message"] as? String)?.contains("would use 9 routes in \(fixture.routeTableA), over its quota of 5") == true },
                    "\(over.stdout)")
            #expect(try await client.describeManagedPrefixLists(taggedWith: "vpcrouter:vpc", value: fixture.vpcId).isEmpty, "plan wrote nothing")
        }

        @Test func perCIDRRoutesMigrateToAListThatFailsOverInOneWritePerTableAndBackWithoutAGap() async throws {
            let lab = try await TwoRouterLab.start(cidr: Self.cidrs[0], completingPrefixListRoutes: true, verifySignatures: true)
            defer { lab.stop() }
            let fixture = lab.fixture
            let client = lab.moto.client(for: fixture)
            let tables = [fixture.routeTableA, fixture.routeTableB]
            let directory = try PackagePaths.temporaryDirectory("vpcr-e2e-prefixlists")
            let spec = directory.appendingPathComponent("spec.json")
            let entries = Self.cidrs.map { "\"\($0)\": [\"\(TwoRouterLab.routerA)\", \"\(TwoRouterLab.routerB)\"]" }
            try Data("{\(entries.joined(separator: ", "))}".utf8).write(to: spec)
            let state = directory.appendingPathComponent("state")

            // Per-CIDR routes first, as a deployment before the mode.
            var daemon = try launch([], lab: lab, spec: spec, state: state, port: freeLoopbackPort())
            let perCIDR = try await eventually(.seconds(30)) {
                let now = try await Self.snapshot(client, fixture)
                return tables.allSatisfy { (now.perCIDR[$0]?.count ?? 0) == Self.cidrs.count }
            }
            #expect(perCIDR, "\(daemon.output.suffix(3000))")
            #expect(daemon.stop() == 0)

            // A watcher reads moto for the rest of the test and records any moment with a gap.
            let gaps = Mutex<[String]>([])
            let snapshots = Mutex(0)
            let watcher = Task {
                while !Task.isCancelled {
                    if let now = try? await Self.snapshot(client, fixture) {
                        snapshots.withLock { $0 += 1 }
                        let found = now.gaps(tables: tables)
                        if !found.isEmpty { gaps.withLock { $0.append(contentsOf: found) } }
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            defer { watcher.cancel() }

            // Mode on: one list of the six CIDRs, one route to it per table, no per-CIDR route left.
            let port = freeLoopbackPort()
            daemon = try launch(["--prefix-lists"], lab: lab, spec: spec, state: state, port: port)
            var listId = ""
            let migrated = try await eventually(.seconds(40)) {
                let now = try await Self.snapshot(client, fixture)
                guard now.lists.count == 1, let (id, members) = now.lists.first, members == Set(Self.cidrs) else { return false }
                listId = id
                return tables.allSatisfy { now.listRoutes[$0]?[id] != nil && (now.perCIDR[$0] ?? [:]).isEmpty }
            }
            #expect(migrated, "\(daemon.output.suffix(4000))")
            let before = try await Self.snapshot(client, fixture)
            let carrier = try #require(before.listRoutes[fixture.routeTableA]?[listId])
            #expect(before.listRoutes[fixture.routeTableB]?[listId] == carrier, "one router in every table")
            // /vpc shows each table's quota use and its route to the list.
            let shown = try await eventually(.seconds(15)) {
                let vpc = try? await HTTPProbe.request("http://127.0.0.1:\(port)/vpc").json as? [String: Any]
                let table = (vpc?["route_tables"] as? [String: Any])?[fixture.routeTableA] as? [String: Any]
                let quota = table?["route_quota"] as? [String: Any]
                let listRoute = (table?["prefix_list_routes"] as? [String: Any])?[listId] as? [String: Any]
                // The local route and the list's 8 entries (6 CIDRs and headroom).
                return quota?["quota"] as? Int == 100 && quota?["used"] as? Int == 9 && listRoute?["eni"] as? String == carrier
            }
            let vpcText = (try? await HTTPProbe.request("http://127.0.0.1:\(port)/vpc")).map { String(decoding: $0.body, as: UTF8.self) } ?? ""
            #expect(shown, "\(vpcText)")
            let ledger = try String(contentsOf: state.appendingPathComponent("owned-routes.json"), encoding: .utf8)
            #expect(ledger.contains(listId), "the list is in the ownership ledger\n\(ledger)")

            // The carrier dies: one ReplaceRoute per table moves all six CIDRs.
            let writesBefore = daemon.output.components(separatedBy: "NOTICE vpcrouter: replace").count
            let dead = carrier == fixture.eniA ? TwoRouterLab.routerA : TwoRouterLab.routerB
            let survivor = carrier == fixture.eniA ? fixture.eniB : fixture.eniA
            try lab.routers.kill(dead)
            let killed = ContinuousClock.now
            let moved = try await eventually(.seconds(30)) {
                let now = try await Self.snapshot(client, fixture)
                return tables.allSatisfy { now.listRoutes[$0]?[listId] == survivor }
            }
            print("prefix lists: router death to both tables' list routes moved (6 CIDRs, 2 tables), seen from moto: \(ContinuousClock.now - killed)")
            #expect(moved, "\(daemon.output.suffix(4000))")
            try await Task.sleep(for: .seconds(1))
            let replaces = daemon.output.components(separatedBy: "NOTICE vpcrouter: replace").count - writesBefore
            #expect(replaces == 2, "one replace-route per table, no per-CIDR write\n\(daemon.output.suffix(4000))")
            let listReplaces = daemon.output.components(separatedBy: "NOTICE vpcrouter: replace-route").count - 1
            #expect(listReplaces == 2, "both replaces are of the list's route")
            let metrics = String(decoding: try await HTTPProbe.request("http://127.0.0.1:\(port)/metrics").body, as: UTF8.self)
            #expect(metrics.contains(#"vpcrouter_prefix_list_writes_total{verb="replace-route"} 2"#), "\(metrics)")
            #expect(daemon.stop() == 0)

            // Mode off: per-CIDR routes again, the lists' routes and the list gone.
            try lab.routers.revive(dead)
            daemon = try launch([], lab: lab, spec: spec, state: state, port: freeLoopbackPort())
            let back = try await eventually(.seconds(40)) {
                let now = try await Self.snapshot(client, fixture)
                return now.lists.isEmpty && tables.allSatisfy { (now.perCIDR[$0]?.count ?? 0) == Self.cidrs.count && (now.listRoutes[$0] ?? [:]).isEmpty }
            }
            #expect(back, "\(daemon.output.suffix(4000))")
            #expect(daemon.stop() == 0)
            watcher.cancel()
            _ = await watcher.value
            let ledgerAfter = try String(contentsOf: state.appendingPathComponent("owned-routes.json"), encoding: .utf8)
            #expect(!ledgerAfter.contains("prefix_list"), "\(ledgerAfter)")
            let seen = snapshots.withLock { $0 }
            #expect(seen > 20, "the watcher read moto \(seen) times")
            #expect(gaps.withLock { $0 }.isEmpty, "moments with a CIDR unrouted: \(gaps.withLock { Array($0.prefix(20)) })")
        }
    }
}
