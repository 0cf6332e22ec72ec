/// Counters and the last rounds' round-trip times for the status output.
struct EchoStatistics {
    struct Round {
        var probes: Int
        var rtts: [(ip: String, nanoseconds: UInt64)]
        var unanswered: Int
    }

    private(set) var probesSent = 0
    private(set) var answers = 0
    private(set) var rounds = 0
    private var lastRound: Round?

    mutating func record(_ round: Round) {
        rounds += 1
        probesSent += round.probes
        answers += round.rtts.count
        lastRound = round
    }

    /// Key/value pairs for report_info; RTTs in seconds, from the last round.
    func fields() -> [(String, String)] {
        var fields: [(String, String)] = [
            ("rounds", "\(rounds)"),
            ("probes_sent", "\(probesSent)"),
            ("answers", "\(answers)"),
        ]
        guard let lastRound else { return fields }
        fields.append(("last_round_answers", "\(lastRound.rtts.count)"))
        fields.append(("last_round_unanswered", "\(lastRound.unanswered)"))
        let sorted = lastRound.rtts.sorted { $0.nanoseconds < $1.nanoseconds }
        if let fastest = sorted.first, let slowest = sorted.last {
            fields.append(("fastest_ip", fastest.ip))
            fields.append(("fastest_rtt", seconds(fastest.nanoseconds)))
            fields.append(("slowest_ip", slowest.ip))
            fields.append(("slowest_rtt", seconds(slowest.nanoseconds)))
            let middle = sorted.count / 2
            let median = sorted.count % 2 == 1
                ? sorted[middle].nanoseconds
                : (sorted[middle - 1].nanoseconds + sorted[middle].nanoseconds) / 2
            fields.append(("median_rtt", seconds(median)))
        }
        return fields
    }

    private func seconds(_ nanoseconds: UInt64) -> String {
        "\(Double(nanoseconds) / 1e9)"
    }
}
