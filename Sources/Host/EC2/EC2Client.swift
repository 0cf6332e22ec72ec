import FoundationEssentials
import HTTPClient
import Logging
import RouteModel

/// The EC2 Query API client: signs, budgets, retries and decodes. Every Describe is filtered by VPC
/// and paginated; route writes always target an ENI.
///
/// Typical use by the reconciler:
///
///     let imds = try IMDSClient(environment: ProcessInfo.processInfo.environment, transport: CurlTransport())
///     let location = try await EC2Location.resolve(region: options.region, vpcId: options.vpc, imds: imds)
///     let ec2 = try EC2Client.fromEnvironment(region: location.region)
///     let state = try await ec2.observeVPC(location.vpcId)          // <= 3 calls
///     let eni = state.networkInterface(holding: "10.0.1.10")!
///     try await ec2.upsertRoute(routeTableId: "rtb-...", destination: cidr,
///                               networkInterfaceId: eni.networkInterfaceId, existing: true, priority: .failover)
///     try await ec2.deleteRoute(routeTableId: "rtb-...", destination: cidr)
public actor EC2Client {
    public static let apiVersion = "2016-11-15"

    public nonisolated let configuration: EC2ClientConfiguration
    public nonisolated let metrics: EC2Metrics
    public nonisolated let budget: APIBudget
    private let transport: any HTTPTransport
    private let credentials: any CredentialsProvider
    private let signer: SigV4Signer
    private let clock: any BudgetClock
    private let logger: Logger
    private let unitRandom: @Sendable () -> Double
    private var subnetCache: [String: (subnets: [Subnet], readAt: Duration)] = [:]
    private var clockSkew = ClockSkew()

    public init(
        configuration: EC2ClientConfiguration, credentials: any CredentialsProvider, transport: (any HTTPTransport)? = nil,
        clock: any BudgetClock = SystemBudgetClock(), metrics: EC2Metrics = EC2Metrics(),
        logger: Logger = Logger(label: "vpcrouter.ec2"), unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.transport = transport ?? CurlTransport(idleTimeout: configuration.idleTimeout, requestTimeout: configuration.requestTimeout)
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        self.unitRandom = unitRandom
        signer = SigV4Signer(service: "ec2", region: configuration.region)
        budget = APIBudget(mutating: configuration.mutatingLimits, describe: configuration.describeLimits, clock: clock)
    }

    /// A client for `region` with the SDK endpoint rules and the default credential chain.
    public static func fromEnvironment(
        region: String, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger = Logger(label: "vpcrouter.ec2")
    ) throws -> EC2Client {
        let configuration = try EC2ClientConfiguration(region: region, environment: environment)
        let transport = CurlTransport(idleTimeout: configuration.idleTimeout, requestTimeout: configuration.requestTimeout)
        let chain = try DefaultCredentialsChain(environment: environment, transport: transport, logger: logger)
        return EC2Client(configuration: configuration, credentials: chain, transport: transport, logger: logger)
    }

    // MARK: Reads

    public func describeVpcs(vpcId: String) async throws -> [VPC] {
        try await describeAll("DescribeVpcs", filters: [.vpc(vpcId)], setName: "vpcSet", decode: VPC.init(xml:))
    }

    public func describeSubnets(vpcId: String) async throws -> [Subnet] {
        try await describeAll("DescribeSubnets", filters: [.vpc(vpcId)], setName: "subnetSet", decode: Subnet.init(xml:))
    }

    /// Route tables of the VPC. Extra filters narrow further; moto answers HTTP 500 for
    /// `route.instance-id` and `route.network-interface-id`, so filter those client-side.
    public func describeRouteTables(vpcId: String, filters: [EC2Filter] = []) async throws -> [RouteTable] {
        try await describeAll("DescribeRouteTables", filters: [.vpc(vpcId)] + filters, setName: "routeTableSet", decode: RouteTable.init(xml:))
    }

    public func describeNetworkInterfaces(vpcId: String, filters: [EC2Filter] = []) async throws -> [NetworkInterface] {
        try await describeAll("DescribeNetworkInterfaces", filters: [.vpc(vpcId)] + filters, setName: "networkInterfaceSet", decode: NetworkInterface.init(xml:))
    }

    /// Instances of the VPC, optionally only the given ids (used to tell stopped or terminated routers).
    public func describeInstances(vpcId: String, instanceIds: [String] = []) async throws -> [Instance] {
        var filters: [EC2Filter] = [.vpc(vpcId)]
        if !instanceIds.isEmpty { filters.append(EC2Filter("instance-id", instanceIds)) }
        let reservations = try await describeAll("DescribeInstances", filters: filters, setName: "reservationSet") { $0 }
        return try reservations.flatMap { reservation in
            try Self.decodeItems(reservation.items("instancesSet"), setName: "instancesSet", action: "DescribeInstances", decode: Instance.init(xml:))
        }
    }

    /// DescribeRouteTables, DescribeNetworkInterfaces and (cached) DescribeSubnets: at most three calls.
    public func observeVPC(_ vpcId: String) async throws -> VPCObservation {
        async let tables = describeRouteTables(vpcId: vpcId)
        async let interfaces = describeNetworkInterfaces(vpcId: vpcId)
        let subnets: [Subnet]
        if let cached = subnetCache[vpcId], clock.now() - cached.readAt < configuration.subnetCacheLifetime {
            subnets = cached.subnets
        } else {
            subnets = try await describeSubnets(vpcId: vpcId)
            subnetCache[vpcId] = (subnets, clock.now())
        }
        return VPCObservation(vpcId: vpcId, routeTables: try await tables, networkInterfaces: try await interfaces, subnets: subnets)
    }

    /// Forget cached subnets, e.g. when an unknown subnet shows up in a route table association.
    public func invalidateSubnetCache() { subnetCache.removeAll() }

    // MARK: Writes

    public func createRoute(routeTableId: String, destination: IPCIDR, networkInterfaceId: String, priority: APIPriority = .routine) async throws {
        _ = try await call("CreateRoute", routeParameters(routeTableId, destination, networkInterfaceId), priority: priority)
    }

    public func replaceRoute(routeTableId: String, destination: IPCIDR, networkInterfaceId: String, priority: APIPriority = .routine) async throws {
        _ = try await call("ReplaceRoute", routeParameters(routeTableId, destination, networkInterfaceId), priority: priority)
    }

    /// Deletes the route; a route that is already gone counts as success (returns false).
    @discardableResult
    public func deleteRoute(routeTableId: String, destination: IPCIDR, priority: APIPriority = .routine) async throws -> Bool {
        do {
            _ = try await call("DeleteRoute", [("RouteTableId", routeTableId), Self.destinationParameter(destination)], priority: priority)
            return true
        } catch let error as EC2Error where error.code == .routeNotFound {
            return false
        }
    }

    /// Points `destination` at the ENI whether or not a route exists yet. `existing` is the caller's
    /// belief from the last observation and only picks which call to try first.
    @discardableResult
    public func upsertRoute(
        routeTableId: String, destination: IPCIDR, networkInterfaceId: String, existing: Bool = true, priority: APIPriority = .routine
    ) async throws -> RouteWriteOutcome {
        if existing {
            do {
                try await replaceRoute(routeTableId: routeTableId, destination: destination, networkInterfaceId: networkInterfaceId, priority: priority)
                return .replaced
            } catch let error as EC2Error where Self.meansRouteMissing(error) {
                logger.debug("route missing on replace, creating", metadata: ["routeTable": "\(routeTableId)", "destination": "\(destination)"])
            }
            try await createRoute(routeTableId: routeTableId, destination: destination, networkInterfaceId: networkInterfaceId, priority: priority)
            return .created
        }
        do {
            try await createRoute(routeTableId: routeTableId, destination: destination, networkInterfaceId: networkInterfaceId, priority: priority)
            return .created
        } catch let error as EC2Error where error.code == .routeAlreadyExists {
            logger.debug("route exists on create, replacing", metadata: ["routeTable": "\(routeTableId)", "destination": "\(destination)"])
        }
        try await replaceRoute(routeTableId: routeTableId, destination: destination, networkInterfaceId: networkInterfaceId, priority: priority)
        return .replaced
    }

    /// Real EC2 says InvalidRoute.NotFound; moto says InvalidParameterValue "There is no route defined ...".
    static func meansRouteMissing(_ error: EC2Error) -> Bool {
        error.code == .routeNotFound
            || (error.code == .invalidParameterValue && error.message.lowercased().contains("no route defined"))
    }

    private func routeParameters(_ routeTableId: String, _ destination: IPCIDR, _ networkInterfaceId: String) -> [(String, String)] {
        [("RouteTableId", routeTableId), Self.destinationParameter(destination), ("NetworkInterfaceId", networkInterfaceId)]
    }

    /// EC2 names an IPv6 destination in a parameter of its own.
    static func destinationParameter(_ destination: IPCIDR) -> (String, String) {
        switch destination {
        case .v4: ("DestinationCidrBlock", destination.description)
        case .v6: ("DestinationIpv6CidrBlock", destination.description)
        }
    }

    // MARK: Plumbing

    /// Follows NextToken until the last page and decodes the `<item>`s of `setName`.
    func describeAll<Item>(
        _ action: String, filters: [EC2Filter], setName: String, decode: (XMLTreeNode) -> Item?
    ) async throws -> [Item] {
        precondition(!filters.isEmpty, "Describe calls are always filtered")
        var items: [Item] = []
        var nextToken: String?
        var seenTokens: Set<String> = []
        repeat {
            var parameters = EC2Filter.parameters(filters)
            parameters.append(("MaxResults", String(configuration.maxResults)))
            if let nextToken { parameters.append(("NextToken", nextToken)) }
            let page = try await call(action, parameters, priority: .routine)
            items += try Self.decodeItems(page.items(setName), setName: setName, action: action, decode: decode)
            nextToken = page.string("nextToken")
            if let token = nextToken, !seenTokens.insert(token).inserted {
                throw EC2Error(code: .malformedResponse, message: "the service repeated NextToken \(token)", action: action)
            }
        } while nextToken != nil
        return items
    }

    /// Every item decoded, or an error naming the first that cannot be: an item dropped silently
    /// would make a partial answer look complete (a route table missing from a read looks empty).
    static func decodeItems<Item>(
        _ nodes: [XMLTreeNode], setName: String, action: String, decode: (XMLTreeNode) -> Item?
    ) throws -> [Item] {
        var items: [Item] = []
        items.reserveCapacity(nodes.count)
        for (position, node) in nodes.enumerated() {
            guard let item = decode(node) else {
                throw EC2Error(code: .undecodableItem,
                               message: "item \(position + 1) of <\(setName)> lacks its id; the answer is refused rather than read in part",
                               action: action)
            }
            items.append(item)
        }
        return items
    }

    /// One API call with budget, signature, retries and metrics. Returns the response's root element.
    public func call(_ action: String, _ parameters: [(String, String)], priority: APIPriority = .routine) async throws -> XMLTreeNode {
        let category = APICategory.of(action: action)
        let body = Array(SigV4Signer.formEncode([("Action", action), ("Version", Self.apiVersion)] + parameters).utf8)
        var attempt = 0
        var skewCorrected = false
        while true {
            attempt += 1
            let waitStart = clock.now()
            try await budget.acquire(category, priority: priority)
            let waited = clock.now() - waitStart
            // Checked after the token wait and after any backoff: nothing leaves once it is gone.
            if let mayStillSend = SendAuthority.mayStillSend, !mayStillSend() {
                metrics.record(action) { $0.errors += 1 }
                throw EC2Error(code: .authorityExpired, message: "the write's authority ended before attempt \(attempt) was sent; nothing was sent",
                               action: action)
            }
            metrics.record(action) {
                $0.calls += 1
                $0.budgetWait += waited
            }
            do {
                return try await attemptOnce(action: action, body: body)
            } catch let skewed as SkewedRequest {
                // Signed again at once with EC2's time: no backoff, since nothing is overloaded.
                logger.warning("this host's clock is off from EC2's; signing requests with EC2's time: fix the host clock (NTP, chrony)", metadata: [
                    "action": "\(action)", "clock.offset_seconds": "\(Int(clockSkew.offset))", "code": "\(skewed.error.code)",
                ])
                // Not a failure to back off from, so it uses no attempt; once per call, so two
                // answers that disagree on the time cannot keep it going.
                guard !skewCorrected, !Task.isCancelled else {
                    metrics.record(action) { $0.errors += 1 }
                    throw skewed.error
                }
                skewCorrected = true
                attempt -= 1
                metrics.record(action) { $0.retries += 1 }
            } catch let error as EC2Error {
                if error.isThrottling { metrics.record(action) { $0.throttles += 1 } }
                if error.code == .authFailure || error.code == "ExpiredToken", let chain = credentials as? DefaultCredentialsChain {
                    // Rotated or revoked keys: ask the provider again on the next call.
                    await chain.invalidate()
                }
                guard error.isRetryable, attempt < configuration.retryPolicy.maxAttempts, !Task.isCancelled else {
                    metrics.record(action) { $0.errors += 1 }
                    throw error
                }
                let delay = configuration.retryPolicy.delay(forRetry: attempt, unitRandom: unitRandom())
                metrics.record(action) { $0.retries += 1 }
                logger.debug("retrying EC2 call", metadata: ["action": "\(action)", "attempt": "\(attempt)", "code": "\(error.code)", "delay": "\(delay)"])
                try await clock.sleep(for: delay)
            }
        }
    }

    private func attemptOnce(action: String, body: [UInt8]) async throws -> XMLTreeNode {
        let currentCredentials: AWSCredentials
        do {
            currentCredentials = try await credentials.credentials()
        } catch {
            throw EC2Error(code: .credentials, message: "\(error)", action: action)
        }
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        let signed = signer.sign(
            SigV4Signer.Request(method: "POST", url: configuration.endpoint, headers: [(name: "Content-Type", value: contentType)], body: body),
            credentials: currentCredentials, date: clockSkew.now())
        let signedWith = clockSkew.offset
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: "POST", url: configuration.endpoint, headers: signed.headers, body: body))
        } catch let error as TransportError {
            throw EC2Error(code: .transport, message: error.description, action: action)
        }
        do {
            return try Self.decodeResponse(response, action: action)
        } catch let error as EC2Error where ClockSkew.isSkewError(error) {
            guard clockSkew.learn(fromDateHeader: response.headers["date"], signedWith: signedWith) else {
                throw EC2Error(code: error.code, message: error.message + " (this host's clock is off from EC2's and its answer's Date could not correct it)",
                               requestId: error.requestId, httpStatus: error.httpStatus, action: action)
            }
            throw SkewedRequest(error: error)
        }
    }

    /// A request refused for its signing time after the skew was learnt: worth one more attempt.
    private struct SkewedRequest: Error {
        let error: EC2Error
    }

    /// Seconds to add to the host clock when signing (EC2's clock minus the host's), learnt from
    /// an answer that refused the request's time; 0 until then.
    public var signingClockSkew: TimeInterval { clockSkew.offset }

    /// The root element of a 200 answer, or the EC2Error an error answer describes.
    static func decodeResponse(_ response: HTTPResponse, action: String) throws -> XMLTreeNode {
        let requestId = response.headers["x-amzn-requestid"]
        let root: XMLTreeNode
        do {
            root = try XMLTreeNode.parse(response.body)
        } catch {
            let snippet = String(response.bodyText.prefix(120).map { $0.isNewline ? " " : $0 })
            throw EC2Error(
                code: .malformedResponse, message: "HTTP \(response.status) answer is not XML (\(error.reason)) at byte \(error.offset): \(snippet)",
                requestId: requestId, httpStatus: response.status, action: action)
        }
        if response.status == 200 {
            guard root.name == "\(action)Response" else {
                throw EC2Error(code: .malformedResponse, message: "expected <\(action)Response>, got <\(root.name)>", requestId: requestId, httpStatus: 200, action: action)
            }
            return root
        }
        // <Response><Errors><Error>... for EC2, <ErrorResponse><Error>... for STS and some auth failures.
        let errorNode = root.child("Errors")?.child("Error") ?? root.child("Error")
        guard let errorNode, let code = errorNode.string("Code") else {
            throw EC2Error(code: .malformedResponse, message: "HTTP \(response.status) with an unexpected <\(root.name)> document", requestId: requestId, httpStatus: response.status, action: action)
        }
        return try {
            throw EC2Error(
                code: EC2Error.Code(code), message: errorNode.string("Message") ?? "",
                requestId: root.string("RequestID") ?? root.string("RequestId") ?? requestId, httpStatus: response.status, action: action)
        }()
    }
}
