import FoundationEssentials
import PluginHost
import Reconciler
import RouteModel
import StatusServer
import Synchronization

/// The daemon's state as the status pages show it. Each part is replaced whole by its owner
/// (the spec store, the health service, the reconciler), so a reader never sees half an update.
public final class DaemonStatus: StatusSource {
    /// The routers as the health service last published them; `/ips`'s sets are read from it.
    public struct HealthView: Sendable {
        public var rounds: UInt64 = 0
        /// Every probed router (the working set), in address order.
        public var routers: [RouterHealthView] = []
        public var fall = 1
        public var rise = 1

        public init(rounds: UInt64 = 0, routers: [RouterHealthView] = [], fall: Int = 1, rise: Int = 1) {
            self.rounds = rounds
            self.routers = routers
            self.fall = fall
            self.rise = rise
        }

        /// The routers in `condition`, in address order.
        public func routers(in condition: RouterCondition) -> [IPAddress] {
            routers.filter { $0.condition == condition }.map(\.router)
        }
    }

    let parameters: StatusParameters
    let startTime = Date()
    let modeName: String
    let healthName: String
    let specStore: RouteSpecStore
    let clock: any RuntimeClock
    private let pluginInfo = Mutex<@Sendable () -> [PluginInfo]>({ [] })
    private let health = Mutex(HealthView())
    private let lastReconcile = Mutex<RecordedReconcile?>(nil)
    private let observedOnce = Mutex(false)
    private let observationError = Mutex<String?>(nil)
    let daemonMetrics: DaemonMetrics
    private let leadership = Mutex<(@Sendable () -> LeadershipView)?>(nil)

    public init(parameters: StatusParameters, modeName: String, healthName: String, specStore: RouteSpecStore, metrics: DaemonMetrics,
                clock: any RuntimeClock = SystemClock()) {
        self.parameters = parameters
        self.clock = clock
        self.modeName = modeName
        self.healthName = healthName
        self.specStore = specStore
        self.daemonMetrics = metrics
    }

    /// Where the plugins' info is read at request time: snapshots that never call into a plugin.
    public func setPlugins(_ info: @escaping @Sendable () -> [PluginInfo]) { pluginInfo.withLock { $0 = info } }
    public func setHealth(_ view: HealthView) { health.withLock { $0 = view } }
    private let healthFreshness = Mutex<(staleAfter: Duration, lastAnswered: @Sendable () -> ContinuousClock.Instant?)?>(nil)

    /// Where the time of the health plugin's last answered round is read, and how old it may be
    /// before `/readyz` says health is stale.
    public func setHealthFreshness(staleAfter: Duration, lastAnswered: @escaping @Sendable () -> ContinuousClock.Instant?) {
        healthFreshness.withLock { $0 = (staleAfter, lastAnswered) }
    }
    private let location = Mutex<(region: String, vpc: String)?>(nil)

    /// The region and VPC in use, after instance metadata filled what the options lacked.
    public func setLocation(region: String, vpc: String) {
        location.withLock { $0 = (region, vpc) }
    }

    /// With leader election: where the current role and holder are read at request time.
    public func setLeadership(_ provider: @escaping @Sendable () -> LeadershipView) {
        leadership.withLock { $0 = provider }
    }

    public func leadershipDocument() -> JSONValue {
        guard let view = leadership.withLock({ $0 })?() else {
            return .object([("election", .string("none")), ("role", .string("leader"))])
        }
        return .object([
            ("election", .string("etcd")), ("role", .string(view.role)), ("key", .string(view.key)),
            ("holder", view.holder.map(JSONValue.string) ?? .null),
        ])
    }

    public func setObservationError(_ message: String) {
        observationError.withLock { $0 = message }
    }

    /// Records a reconcile: the data behind `/route_info` and `/vpc`. Their documents are built
    /// when asked for: between requests only the reconcile's values are held (at 1,000 routes the
    /// JSON trees kept here were 1.2 MB of a 2.6 MB heap, and twice that while being replaced).
    public func setReconcile(_ reconcile: ReconcileStatus, lastActions: [RouteAction]) {
        if reconcile.isHeld, let hold = lastActions.first(where: { $0.verb == .hold }) { decisions.recordHold(hold, at: Date()) }
        let recorded = RecordedReconcile(reconcile: reconcile, lastActions: lastActions, time: Self.timestamp(Date()))
        lastReconcile.withLock { $0 = recorded }
        observedOnce.withLock { $0 = true }
        observationError.withLock { $0 = nil }
    }

    static func timestamp(_ date: Date) -> String {
        // Rounded to the millisecond, as Foundation's ISO8601DateFormatter did.
        UTCTimestamp.string(millisecondsSince1970: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    public func overview() -> JSONValue {
        let plugins = pluginInfo.withLock { $0 }()
        let version = plugins.map { "\($0.kind): \($0.name) (\($0.version))" }.joined(separator: ", ")
        let ignore: JSONValue = parameters.ignoreRoutes.isEmpty ? .null : .array(parameters.ignoreRoutes.map { .string($0.description) })
        return .object([
            ("SERVER", .object([
                ("version", .string("vpcrouter (\(PluginABIVersion.hostVersion)): \(version)")),
                ("start_time", .string(Self.timestamp(startTime))),
                ("current_time", .string(Self.timestamp(Date()))),
            ])),
            ("params", .object([
                ("logfile", .string(parameters.logfile)),
                ("region_name", (location.withLock { $0?.region } ?? parameters.region).map(JSONValue.string) ?? .null),
                ("vpc_id", (location.withLock { $0?.vpc } ?? parameters.vpc).map(JSONValue.string) ?? .null),
                ("route_recheck_interval", .number(Double(parameters.routeRecheckInterval))),
                ("verbose", .bool(parameters.verbose)),
                ("addr", .string(parameters.address)),
                ("port", .number(Double(parameters.port))),
                ("mode", .string(modeName)),
                ("health", .string(healthName)),
                ("ignore_routes", ignore),
            ])),
            ("leadership", leadershipDocument()),
            ("spec", specDocumentSummary()),
            ("ec2", ec2UsageDocument()),
            ("plugins", .object([("_href", .string("/plugins"))])),
            ("ips", .object([("_href", .string("/ips"))])),
            ("route_info", .object([("_href", .string("/route_info"))])),
            ("vpc", .object([("_href", .string("/vpc"))])),
            ("metrics", .object([("_href", .string("/metrics"))])),
        ])
    }

    private let ec2Usage = Mutex<(@Sendable () -> EC2UsageView)?>(nil)

    /// Where the EC2 client's call counts are read at request time.
    public func setEC2Usage(_ provider: @escaping @Sendable () -> EC2UsageView) { ec2Usage.withLock { $0 = provider } }

    func ec2UsageDocument() -> JSONValue {
        guard let usage = ec2Usage.withLock({ $0 })?() else { return .null }
        return .object([
            ("calls", .number(Double(usage.calls))), ("errors", .number(Double(usage.errors))),
            ("retries", .number(Double(usage.retries))), ("throttles", .number(Double(usage.throttles))),
            ("budget_wait_s", .number(Double(usage.budgetWait.nanosecondsClamped / 1_000_000) / 1000)),
        ])
    }

    /// The spec in force: which plugin sent it, its generation and size, and when it was accepted.
    func specDocumentSummary() -> JSONValue {
        guard let current = specStore.snapshot else { return .null }
        let age = clock.now - current.acceptedAt
        return .object([
            ("plugin", .string(current.plugin)), ("generation", .number(Double(current.generation))),
            ("cidrs", .number(Double(current.spec.cidrs.count))),
            ("accepted", .string(Self.timestamp(Date().addingTimeInterval(-Double(age.nanosecondsClamped) / 1e9)))),
        ])
    }

    public func ips() -> JSONValue {
        let view = health.withLock { $0 }
        return .object([
            ("failed_ips", .array(view.routers(in: .failed).map { .string($0.description) })),
            ("questionable_ips", .array(view.routers(in: .questionable).map { .string($0.description) })),
            ("suspect_ips", .array(view.routers(in: .suspect).map { .string($0.description) })),
            ("working_set", .array(view.routers.map { .string($0.router.description) })),
            ("health_rounds", .number(Double(view.rounds))),
            ("routers", .object(view.routers.map { router in
                (router.router.description, .object([
                    ("condition", .string(router.condition.rawValue)),
                    ("last_verdict", .string(router.lastVerdict.rawValue)),
                    ("rtt_ms", router.roundTripTime.map { .number(Double($0.nanosecondsClamped / 1000) / 1000) } ?? .null),
                    ("failing_rounds", .number(Double(router.failingRounds))),
                    ("healthy_rounds", .number(Double(router.healthyRounds))),
                    ("fall", .number(Double(view.fall))),
                    ("rise", .number(Double(view.rise))),
                    ("hold_down_remaining_s", router.holdDownRemaining.map { .number(Double($0.nanosecondsClamped / 1_000_000) / 1000) } ?? .null),
                ]))
            })),
        ])
    }

    public func plugins() -> JSONValue {
        let running = pluginInfo.withLock { $0 }()
        return .object(running.map { info in
            return (info.name, .object([
                ("kind", .string(info.kind.rawValue)),
                ("version", .string(info.version)),
                ("abi", .string(info.abi)),
                ("file", .string(info.file)),
                ("loaded_from", .string(info.loadedFrom)),
                ("params", .object(info.params.sorted { $0.key < $1.key }.map { ($0.key, Self.value($0.value)) })),
                ("stats", .object(info.stats.sorted { $0.key < $1.key }.map { ($0.key, Self.value($0.value)) })),
            ]))
        })
    }

    /// Plugin-reported numbers are shown as numbers.
    static func value(_ text: String) -> JSONValue {
        if let number = Double(text), number.isFinite, !text.isEmpty, text.first != "+" { return .number(number) }
        return .string(text)
    }

    /// The spec in force now, with the routes as the last reconcile left them.
    public func routeInfo() -> JSONValue {
        var members: [(String, JSONValue)] = [("route_spec", specStore.spec.map(Self.specDocument) ?? .object([]))]
        members += lastReconcile.withLock({ $0 })?.routeInfoMembers() ?? [("routes", .object([]))]
        members.append(("ignore_routes", .array(parameters.ignoreRoutes.map { .string($0.description) })))
        return .object(members)
    }

    /// The spec in the form it was given: a preference CIDR as `{"routers": [...], "order": "preference"}`.
    static func specDocument(_ spec: RouteSpec) -> JSONValue {
        .object(spec.cidrs.map { cidr in
            let routers = JSONValue.array(spec[cidr]!.map { .string($0.description) })
            guard spec.order(of: cidr) == .preference else { return (cidr.description, routers) }
            return (cidr.description, .object([("routers", routers), ("order", .string(RouterOrder.preference.rawValue))]))
        })
    }

    /// Which router is preferred for a CIDR, which carries it, and why.
    static func preferenceDocument(_ preference: PreferenceChoice) -> JSONValue {
        .object([
            ("order", .array(preference.routers.map { .string($0.description) })),
            ("preferred", preference.preferred.map { .string($0.description) } ?? .null),
            ("carrier", preference.carrier.map { .string($0.description) } ?? .null),
            ("reason", .string(preference.reason)),
            ("fail_back_in_s", preference.failBackDueIn.map { .number(Double($0.nanosecondsClamped) / 1e9) } ?? .null),
        ])
    }

    /// The writes made and holds entered, newest first, on `/vpc` as `recent_decisions`.
    let decisions = DecisionLog()

    /// A route write EC2 accepted.
    public func recordWrite(_ action: RouteAction) { decisions.recordWrite(action, at: Date()) }

    /// A failover became visible in a re-read, `latency` after the health change that caused it.
    public func recordFailoverVisible(after latency: Duration) { decisions.recordFailoverVisible(after: latency) }

    public func vpc() -> JSONValue {
        var members = lastReconcile.withLock({ $0 })?.vpcMembers() ?? []
        members.append(("recent_decisions", decisions.document))
        guard let retry = retry.withLock({ $0 }) else { return .object(members) }
        var nextDelay = JSONValue.null
        if let delay = retry.nextDelay { nextDelay = .number(Double(delay.nanosecondsClamped) / 1e9) }
        var lastProblem = JSONValue.null
        if let problem = retry.lastProblem { lastProblem = .string(problem) }
        let fields: [(String, JSONValue)] = [
            ("failed_passes", .number(Double(retry.failedPasses))), ("next_delay_s", nextDelay),
            ("last_problem", lastProblem), ("retries", .number(Double(retry.retries))),
        ]
        members.append(("retry", .object(fields)))
        return .object(members)
    }

    private let retry = Mutex<ReconcileRetries.View?>(nil)

    /// The retry after a failed VPC read or route write, shown on `/vpc` as `retry`.
    public func setRetry(_ view: ReconcileRetries.View) {
        retry.withLock { $0 = view }
    }

    public func metrics() -> String {
        daemonMetrics.exposition()
    }

    public func readinessGaps() -> [String] {
        var gaps: [String] = []
        if specStore.spec == nil { gaps.append("a route spec") }
        if health.withLock({ $0.rounds }) == 0 {
            gaps.append("a completed health round")
        } else if let freshness = healthFreshness.withLock({ $0 }) {
            let staleAfter = freshness.staleAfter
            let age = freshness.lastAnswered().map { clock.now - $0 }
            if age.map({ $0 > staleAfter }) ?? true {
                let ago = age.map { "last answered \(Int($0.components.seconds)) s ago" } ?? "no round answered"
                gaps.append("fresh health results (the health plugin \(ago); stale after \(staleAfter))")
            }
        }
        if !observedOnce.withLock({ $0 }) {
            gaps.append("a successful VPC observation" + (observationError.withLock { $0 }.map { " (last error: \($0))" } ?? ""))
        }
        return gaps
    }
}
