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

            let ledger = OwnershipLedger([cidr("10.55.0.0/16"), cidr("10.1.0.0/16")])
            try store.saveLedger(ledger)
            // A new process: a new store on the same directory.
            let restarted = StateStore(directory: directory)
            #expect(try restarted.loadLedger() == ledger)
            let text = try String(contentsOfFile: store.ledgerPath, encoding: .utf8)
            #expect(text.contains(#""10.1.0.0/16""#) && text.contains(#""version" : 1"#))
        }
    }

    @Test func replacesTheFileAtomically() throws {
        try withTemporaryDirectory { directory in
            let store = StateStore(directory: directory)
            try store.prepare()
            try store.saveLedger(OwnershipLedger([cidr("10.1.0.0/16")]))
            var before = stat()
            #expect(stat(store.ledgerPath, &before) == 0)

            try store.saveLedger(OwnershipLedger([cidr("10.2.0.0/16")]))
            var after = stat()
            #expect(stat(store.ledgerPath, &after) == 0)
            // A rename puts a new inode in place; an in-place rewrite would keep the old one.
            #expect(before.st_ino != after.st_ino)
            #expect(try store.loadLedger() == OwnershipLedger([cidr("10.2.0.0/16")]))
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
        (#"{"version": 2, "cidrs": []}"#, "unsupported ledger version 2"),
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
            #expect(try store.loadLedger() == OwnershipLedger([cidr("10.55.0.0/16")]))
        }
    }
}
