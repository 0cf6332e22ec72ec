import Foundation
import RouteModel
import StateStore
import Testing
@testable import Reconciler

@Suite struct StateStoreTests {
    /// A fresh directory under the system temporary directory, removed afterwards.
    func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "vpcrouter-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    @Test func keepsTheLedgerAcrossARestart() throws {
        try withTemporaryDirectory { root in
            let directory = root + "/nested/state"
            let store = StateStore(directory: directory)
            try store.prepare()  // creates the missing directories
            #expect(try store.loadLedger() == OwnershipLedger())

            let ledger = OwnershipLedger([owned("rtb-a", "10.55.0.0/16", "eni-1"), owned("rtb-b", "10.1.0.0/16", "eni-2"),
                                          owned("rtb-b", "10.1.0.0/16", "eni-1")])
            try store.saveLedger(ledger)
            // A new process: a new store on the same directory.
            let restarted = StateStore(directory: directory)
            #expect(try restarted.loadLedger() == ledger)
            let text = try String(contentsOfFile: store.ledgerPath, encoding: .utf8)
            #expect(text.contains(#""cidr" : "10.1.0.0/16""#) && text.contains(#""version" : 2"#) && text.contains(#""eni" : "eni-2""#))
            #expect(!text.contains("v1_cidrs"))
            // The same ledger always gives the same bytes.
            try store.saveLedger(OwnershipLedger(ledger.sortedRoutes.reversed()))
            #expect(try String(contentsOfFile: store.ledgerPath, encoding: .utf8) == text)
        }
    }

    @Test func replacesTheFileAtomically() throws {
        try withTemporaryDirectory { directory in
            let store = StateStore(directory: directory)
            try store.prepare()
            try store.saveLedger(OwnershipLedger([owned("rtb-a", "10.1.0.0/16", "eni-1")]))
            var before = stat()
            #expect(stat(store.ledgerPath, &before) == 0)

            try store.saveLedger(OwnershipLedger([owned("rtb-a", "10.2.0.0/16", "eni-1")]))
            var after = stat()
            #expect(stat(store.ledgerPath, &after) == 0)
            // A rename puts a new inode in place; an in-place rewrite would keep the old one.
            #expect(before.st_ino != after.st_ino)
            #expect(try store.loadLedger() == OwnershipLedger([owned("rtb-a", "10.2.0.0/16", "eni-1")]))
            // No temporary file is left behind.
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [StateStore.ledgerFileName])
        }
    }

    @Test func refusesAStateDirectoryItCannotCreate() throws {
        try withTemporaryDirectory { root in
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let file = root + "/not-a-directory"
            #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
            // A path through a regular file fails even for root, unlike a permission bit.
            let store = StateStore(directory: file + "/state")
            #expect(throws: StateStoreError.self) { try store.prepare() }
            do throws(StateStoreError) {
                try store.prepare()
            } catch {
                #expect(error.code == .directoryUnusable)
                #expect(error.message.hasPrefix("cannot create state directory \(file)/state: "))
                #expect(error.message.contains(": Not a directory; "), "the system's reason: \(error.message)")
            }
            let onFile = StateStore(directory: file)
            do throws(StateStoreError) {
                try onFile.prepare()
                Issue.record("a regular file was accepted as the state directory")
            } catch {
                #expect(error.code == .directoryUnusable)
                #expect(error.message == "state directory \(file) exists but is not a directory")
            }
        }
    }

    @Test(arguments: [
        ("{not json", "is corrupt"),
        (#"{"version": 3, "routes": []}"#, "unsupported ledger version 3; this build reads versions 1 and 2"),
        (#"{"version": 2, "routes": [{"table": "rtb-a", "cidr": "10.1.0.0/33", "eni": "eni-1"}]}"#, "10.1.0.0/33"),
        (#"{"version": 2, "routes": [{"table": "", "cidr": "10.1.0.0/16", "eni": "eni-1"}]}"#, "a route with an empty table or eni"),
        (#"{"version": 2}"#, "the key 'routes' is missing"),
        (#"{"version": 1, "cidrs": ["10.1.0.1/16"]}"#, "host bits are set; did you mean 10.1.0.0/16?"),
        (#"{"version": 1}"#, "the key 'cidrs' is missing"),
    ])
    func namesTheFileWhenTheLedgerIsCorrupt(contents: String, problem: String) throws {
        try withTemporaryDirectory { directory in
            let store = StateStore(directory: directory)
            try store.prepare()
            try Data(contents.utf8).write(to: URL(fileURLWithPath: store.ledgerPath))
            do throws(StateStoreError) {
                _ = try store.loadLedger()
                Issue.record("a corrupt ledger was accepted")
            } catch {
                #expect(error.code == .corrupt)
                #expect(error.path == store.ledgerPath)
                #expect(error.message.hasPrefix("ledger \(store.ledgerPath) is corrupt"))
                #expect(error.message.contains(problem), "\(error.message)")
            }
        }
    }

    @Test func aRestartWithTheSavedLedgerStillDeletesARemovedCIDR() throws {
        try withTemporaryDirectory { directory in
            let store = StateStore(directory: directory)
            try store.prepare()
            let r1 = Fixture.r1
            // First run: two CIDRs managed and persisted.
            let first = plan(spec: RouteSpec([cidr("10.55.0.0/16"): [r1], cidr("10.77.0.0/16"): [r1]]),
                             health: Fixture.health(), observed: Fixture.vpc(), ledger: try store.loadLedger(),
                             policy: ReconcilePolicy())
            let vpc = applying(first, to: Fixture.vpc())
            try store.saveLedger(first.nextLedgerIfAllSucceed)
            // The daemon restarts with a spec that no longer has 10.77.0.0/16.
            let second = plan(spec: RouteSpec([cidr("10.55.0.0/16"): [r1]]), health: Fixture.health(), observed: vpc,
                              ledger: try StateStore(directory: directory).loadLedger(), policy: ReconcilePolicy())
            #expect(second.writes.map(line) == ["delete rtb-a 10.77.0.0/16 eni-1"])
            try store.saveLedger(second.nextLedgerIfAllSucceed)
            #expect(try store.loadLedger() == OwnershipLedger([owned("rtb-a", "10.55.0.0/16", "eni-1")]))
        }
    }

    /// A ledger written by the per-CIDR version is read, never discarded: its CIDRs wait for the
    /// first observation, which turns each into the routes that point at a spec router's interface.
    /// A route for such a CIDR that points anywhere else is foreign from then on.
    @Test func upgradesAVersion1Ledger() throws {
        try withTemporaryDirectory { directory in
            let store = StateStore(directory: directory)
            try store.prepare()
            try Data(#"{"version": 1, "cidrs": ["10.77.0.0/16", "10.78.0.0/16"]}"#.utf8).write(to: URL(fileURLWithPath: store.ledgerPath))
            let loaded = try store.loadLedger()
            #expect(loaded.legacyCIDRs == [cidr("10.77.0.0/16"), cidr("10.78.0.0/16")] && loaded.routes.isEmpty)
            // Saved before any observation (a held pass), the version 1 CIDRs are kept.
            try store.saveLedger(loaded)
            #expect(try store.loadLedger() == loaded)
            #expect(try String(contentsOfFile: store.ledgerPath, encoding: .utf8).contains(#""v1_cidrs""#))

            // 10.77 left the spec: in rtb-a it points at router r1's interface (vpcrouter's), in
            // rtb-b at the NAT box that is no spec router (someone else's). 10.78 is still in the spec.
            let spec = RouteSpec([cidr("10.55.0.0/16"): [Fixture.r1, Fixture.r2], cidr("10.78.0.0/16"): [Fixture.r1, Fixture.r2]])
            let vpc = Fixture.vpc(routes: [
                "rtb-a": [Fixture.toENI("10.55.0.0/16", "eni-1"), Fixture.toENI("10.77.0.0/16", "eni-1"), Fixture.toENI("10.78.0.0/16", "eni-1")],
                "rtb-b": [Fixture.toENI("10.55.0.0/16", "eni-1"), Fixture.toENI("10.77.0.0/16", "eni-9"), Fixture.toENI("10.78.0.0/16", "eni-1")],
            ])
            let result = plan(spec: spec, health: Fixture.health(), observed: vpc, ledger: loaded, policy: ReconcilePolicy())
            #expect(result.writes.map(line) == ["delete rtb-a 10.77.0.0/16 eni-1"])
            #expect(!result.actions.contains { $0.tableId == "rtb-b" && $0.cidr == cidr("10.77.0.0/16") })
            #expect(result.ledger.legacyCIDRs.isEmpty)
            #expect(result.ledger.sortedRoutes.map(\.description) == ["10.77.0.0/16 in rtb-a -> eni-1", "10.78.0.0/16 in rtb-a -> eni-1",
                                                                       "10.78.0.0/16 in rtb-b -> eni-1"])
            try store.saveLedger(result.nextLedgerIfAllSucceed)
            let text = try String(contentsOfFile: store.ledgerPath, encoding: .utf8)
            #expect(text.contains(#""version" : 2"#) && !text.contains("v1_cidrs"), "\(text)")
        }
    }
}
