import Foundation
import Testing
import TestSupport

/// The multi plugin probes its children on threads of its own; built with the thread sanitizer and
/// probed by a small C host whose children answer at the same time, it must show no data race.
@Suite(.timeLimit(.minutes(5))) struct MultiHealthRaceTests {
    @Test func childThreadsShareNothingUnsynchronised() async throws {
        let script = PackagePaths.root.appendingPathComponent("scripts/tsan-multi.sh").path
        let result = try await ProcessRunner.shellOffPool("bash '\(script)' 200 2>&1", timeout: 240)
        #expect(result.status == 0, "\(result.stdout.suffix(4000))")
        #expect(!result.stdout.contains("ThreadSanitizer"), "\(result.stdout.suffix(4000))")
        #expect(result.stdout.contains("multi: 200 rounds of 64 targets from 3 children"), "\(result.stdout.suffix(4000))")
    }
}
