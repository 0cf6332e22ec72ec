import Foundation

/// When each replica believed it led (from its own log) and when it wrote (from its proxy), so a
/// test can check the election's promise whatever the timing: no replica writes outside its own
/// leadership, and no two replicas write while both believe they lead.
public struct LeadershipHistory: Sendable {
    public struct Window: Sendable, CustomStringConvertible {
        public let start: Double
        public let end: Double
        public init(start: Double, end: Double) {
            self.start = start
            self.end = end
        }

        public var description: String { String(format: "[%.3f, %.3f]", start, end) }
        func contains(_ time: Double, slack: Double = 0) -> Bool { time >= start && time <= end + slack }
    }

    public struct Replica: Sendable {
        public let name: String
        public let windows: [Window]
        /// Unix times at which the replica's route writes reached its proxy.
        public let writes: [Double]

        public init(name: String, windows: [Window], writes: [Double]) {
            self.name = name
            self.windows = windows
            self.writes = writes
        }
    }

    public let replicas: [Replica]

    public init(replicas: [Replica]) { self.replicas = replicas }

    /// Leadership windows in a daemon log: from each "leadership acquired" line to the next
    /// "leadership lost" or "leadership released" line, or to `openEnd` when none follows (the
    /// replica was killed then, or still leads).
    public static func windows(inLog log: String, openEnd: Double) -> [Window] {
        var windows: [Window] = []
        var start: Double?
        for line in log.split(separator: "\n") {
            guard let time = logTime(line) else { continue }
            if line.contains("leadership acquired") {
                if start == nil { start = time }
            } else if line.contains("leadership lost") || line.contains("leadership released"), let began = start {
                windows.append(Window(start: began, end: time))
                start = nil
            }
        }
        if let start { windows.append(Window(start: start, end: max(start, openEnd))) }
        return windows
    }

    /// The problems found; empty when the promise held. A write may reach the proxy up to `slack`
    /// seconds after its replica logged the loss (the request was sent before the deadline).
    public func violations(slack: Double = 0.25) -> [String] {
        var problems: [String] = []
        for replica in replicas {
            for write in replica.writes where !replica.windows.contains(where: { $0.contains(write, slack: slack) }) {
                problems.append(String(format: "%@ wrote at %.3f outside its leadership %@", replica.name, write,
                                       replica.windows.description))
            }
        }
        for (index, first) in replicas.enumerated() {
            for second in replicas[(index + 1)...] {
                for a in first.windows {
                    for b in second.windows {
                        let overlap = Window(start: max(a.start, b.start), end: min(a.end, b.end))
                        guard overlap.start < overlap.end else { continue }
                        let firstWrote = first.writes.contains { overlap.contains($0) }
                        let secondWrote = second.writes.contains { overlap.contains($0) }
                        if firstWrote && secondWrote {
                            problems.append("\(first.name) and \(second.name) both wrote while both led, in \(overlap)")
                        }
                    }
                }
            }
        }
        return problems
    }

    /// The Unix time of a log line that starts with the daemon's `2026-12-05T21:30:00.123Z` stamp.
    static func logTime(_ line: Substring) -> Double? {
        guard let stamp = line.split(separator: " ", maxSplits: 1).first, stamp.count == 24, stamp.hasSuffix("Z") else { return nil }
        let parts = stamp.dropLast().split(whereSeparator: { "-T:.".contains($0) }).compactMap { Int($0) }
        guard parts.count == 7 else { return nil }
        var fields = tm()
        fields.tm_year = Int32(parts[0] - 1900)
        fields.tm_mon = Int32(parts[1] - 1)
        fields.tm_mday = Int32(parts[2])
        fields.tm_hour = Int32(parts[3])
        fields.tm_min = Int32(parts[4])
        fields.tm_sec = Int32(parts[5])
        return Double(timegm(&fields)) + Double(parts[6]) / 1000
    }
}
