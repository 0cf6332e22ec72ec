import Glibc
import Logging
import PluginABI
import RouteModel
import Synchronization

/// The `vpcr_host_api_v1` table handed to every plugin, and the C callbacks behind it.
///
/// The callbacks cannot capture anything, so each finds its instance through the opaque context
/// pointer; only logging during discovery (no context yet) uses the process-wide fallback logger.
enum HostServices {
    /// For plugin log lines that arrive without an instance context (a plugin declining in its entry).
    static let fallbackLogger = Logger(label: "vpcrouter.plugin")

    nonisolated(unsafe) static let hostVersion = strdup(PluginABIVersion.hostVersion)

    nonisolated(unsafe) static let table: UnsafeMutablePointer<vpcr_host_api_v1> = {
        let table = UnsafeMutablePointer<vpcr_host_api_v1>.allocate(capacity: 1)
        table.initialize(to: vpcr_host_api_v1(
            struct_size: UInt32(MemoryLayout<vpcr_host_api_v1>.size),
            abi_minor: PluginABIVersion.minor,
            host_version: UnsafePointer(hostVersion),
            log: { context, level, message, fields, count in
                HostServices.log(context, level, message, fields, count)
            },
            monotonic_now_ns: { _ in MonotonicClock.nowNanoseconds() },
            submit_route_spec: { context, spec, error in HostServices.submitRouteSpec(context, spec, error) },
            route_spec_json: { context, buffer, capacity, needed, error in
                HostServices.routeSpecJSON(context, buffer, capacity, needed, error)
            },
            http_register: { context, method, path, handler, handlerContext, error in
                HostServices.httpRegister(context, method, path, handler, handlerContext, error)
            },
            http_respond: { response, status, contentType, body, length in
                HostServices.httpRespond(response, status, contentType, body, length)
            },
            health_set_schedule: { context, interval, timeout, error in
                HostServices.setSchedule(context, interval, timeout, error)
            },
            child_health_open: { context, name, child, error in HostServices.openChild(context, name, child, error) },
            child_health_probe: { child, request, verdicts, error in
                guard let child, let request else { return vpcr_status(VPCR_E_INVALID) }
                let instance = Unmanaged<PluginInstance>.fromOpaque(UnsafeRawPointer(child)).takeUnretainedValue()
                return instance.probeRaw(request, verdicts, error)
            },
            child_health_close: { child in
                guard let child else { return }
                Unmanaged<PluginInstance>.fromOpaque(UnsafeRawPointer(child)).takeUnretainedValue().shutdown()
            },
            info_add: { sink, section, key, value in
                guard let sink, let section, let key, let value else { return }
                let collector = Unmanaged<PluginInfoSink>.fromOpaque(UnsafeRawPointer(sink)).takeUnretainedValue()
                collector.add(section: String(cString: section), key: String(cString: key), value: String(cString: value))
            },
            submit_route_spec_json: { context, json, length, generation, error in
                HostServices.submitRouteSpecJSON(context, json, length, generation, error)
            }
        ))
        return table
    }()

    static func installIfNeeded() {
        _ = table
    }

    // MARK: - Callbacks

    static func fail(_ error: UnsafeMutablePointer<vpcr_error>?, _ status: some BinaryInteger, _ message: String) -> vpcr_status {
        let code = vpcr_status(status)
        guard let error else { return code }
        error.pointee.code = code
        withUnsafeMutableBytes(of: &error.pointee.message) { bytes in
            let utf8 = Array(message.utf8.prefix(bytes.count - 1))
            bytes.copyBytes(from: utf8)
            bytes[utf8.count] = 0
        }
        return code
    }

    static func log(_ context: OpaquePointer?, _ level: vpcr_log_level, _ message: UnsafePointer<CChar>?,
                    _ fields: UnsafePointer<vpcr_field>?, _ count: UInt32) {
        let logger = PluginInstanceContext.from(context)?.logger ?? fallbackLogger
        var metadata: Logger.Metadata = [:]
        if let fields {
            for index in 0..<Int(min(count, 64)) {
                let field = fields[index]
                guard let key = field.key else { continue }
                metadata[String(cString: key)] = .string(field.value.map { String(cString: $0) } ?? "")
            }
        }
        let text = message.map { String(cString: $0) } ?? ""
        let swiftLevel: Logger.Level = switch level {
        case VPCR_LOG_TRACE: .trace
        case VPCR_LOG_DEBUG: .debug
        case VPCR_LOG_INFO: .info
        case VPCR_LOG_NOTICE: .notice
        case VPCR_LOG_WARNING: .warning
        case VPCR_LOG_ERROR: .error
        default: .critical
        }
        logger.log(level: swiftLevel, "\(text)", metadata: metadata)
    }

    static func submitRouteSpec(_ contextPointer: OpaquePointer?, _ specPointer: UnsafePointer<vpcr_route_spec>?,
                                _ error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let context = PluginInstanceContext.from(contextPointer), let specPointer else {
            return fail(error, VPCR_E_INVALID, "submit_route_spec needs a context and a spec")
        }
        if let problem = submissionProblem(context) { return fail(error, VPCR_E_STATE, problem) }
        let raw = UnsafeRawPointer(specPointer)
        let size = Int(raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard size >= MemoryLayout<vpcr_route_spec>.size else {
            return fail(error, VPCR_E_INVALID, "route spec struct is \(size) bytes; ABI 1.0 needs \(MemoryLayout<vpcr_route_spec>.size)")
        }
        let spec = specPointer.pointee
        let stride = Int(spec.route_stride)
        guard stride >= MemoryLayout<vpcr_route>.size else {
            return fail(error, VPCR_E_INVALID, "route_stride is \(stride); ABI 1.0 needs at least \(MemoryLayout<vpcr_route>.size)")
        }
        let validator = context.services.validator
        guard spec.route_count <= UInt32(validator.maximumRoutes) else {
            return fail(error, VPCR_E_REJECTED, "the route spec has \(spec.route_count) CIDRs; at most \(validator.maximumRoutes) are accepted")
        }
        guard spec.route_count == 0 || spec.routes != nil else {
            return fail(error, VPCR_E_INVALID, "route_count is \(spec.route_count) but routes is NULL")
        }
        var entries: [(cidr: String, routers: [String])] = []
        for index in 0..<Int(spec.route_count) {
            let route = UnsafeRawPointer(spec.routes!).advanced(by: index * stride).loadUnaligned(as: vpcr_route.self)
            guard let cidr = route.cidr else { return fail(error, VPCR_E_INVALID, "route #\(index) has no CIDR") }
            guard route.router_count <= UInt32(validator.maximumRoutersPerRoute) else {
                return fail(error, VPCR_E_REJECTED, "route #\(index) lists \(route.router_count) routers; at most \(validator.maximumRoutersPerRoute) are accepted")
            }
            guard route.router_count == 0 || route.routers != nil else {
                return fail(error, VPCR_E_INVALID, "route #\(index) has router_count \(route.router_count) but routers is NULL")
            }
            var routers: [String] = []
            for routerIndex in 0..<Int(route.router_count) {
                guard let router = route.routers![routerIndex] else {
                    return fail(error, VPCR_E_INVALID, "route #\(index) router #\(routerIndex) is NULL")
                }
                routers.append(String(cString: router))
            }
            entries.append((String(cString: cidr), routers))
        }
        return accept(context, generation: spec.generation, error) { () throws(RouteSpecError) in
            try validator.validate(entries: entries)
        }
    }

    static func submitRouteSpecJSON(_ contextPointer: OpaquePointer?, _ json: UnsafePointer<CChar>?, _ length: UInt64,
                                    _ generation: UInt64, _ error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let context = PluginInstanceContext.from(contextPointer), length == 0 || json != nil else {
            return fail(error, VPCR_E_INVALID, "submit_route_spec_json needs a context and the text")
        }
        if let problem = submissionProblem(context) { return fail(error, VPCR_E_STATE, problem) }
        let validator = context.services.validator
        guard length <= UInt64(validator.maximumBytes) else {
            return fail(error, VPCR_E_REJECTED, "the route spec is \(length) bytes; at most \(validator.maximumBytes) are accepted")
        }
        let bytes = length == 0 ? [] : Array(UnsafeRawBufferPointer(start: json, count: Int(length)))
        return accept(context, generation: generation, error) { () throws(RouteSpecError) in
            try validator.validate(json: bytes, maximumBytes: validator.maximumBytes)
        }
    }

    static func submissionProblem(_ context: PluginInstanceContext) -> String? {
        guard context.plugin.kind == .mode else { return "only mode plugins submit route specs" }
        guard context.state.withLock({ $0.acceptsSubmissions }) else {
            return "route specs are accepted between start() and the return of stop()"
        }
        return nil
    }

    /// Validates, checks the generation, and hands the spec to the daemon; every refusal carries
    /// its reason back to the plugin.
    static func accept(_ context: PluginInstanceContext, generation: UInt64, _ error: UnsafeMutablePointer<vpcr_error>?,
                       validate: () throws(RouteSpecError) -> RouteSpec) -> vpcr_status {
        let validated: RouteSpec
        do {
            validated = try validate()
        } catch let refusal {
            return fail(error, VPCR_E_REJECTED, refusal.message)
        }
        let submission = RouteSpecSubmission(spec: validated, generation: generation, plugin: context.plugin.name)
        // Check, hand over and record in one step: two submissions in flight at once must reach the
        // daemon in generation order, or the older one could be left in force.
        let refusal: String? = context.state.withLock { state in
            if let last = state.lastGeneration, generation <= last {
                return "generation \(generation) is not newer than the last accepted \(last)"
            }
            switch context.services.acceptRouteSpec(submission) {
            case .success:
                state.lastGeneration = generation
                return nil
            case .failure(let refusal):
                return refusal.message
            }
        }
        if let refusal { return fail(error, VPCR_E_REJECTED, refusal) }
        return vpcr_status(VPCR_OK)
    }

    static func routeSpecJSON(_ contextPointer: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: UInt64,
                              _ needed: UnsafeMutablePointer<UInt64>?, _ error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let context = PluginInstanceContext.from(contextPointer) else {
            return fail(error, VPCR_E_INVALID, "route_spec_json needs a context")
        }
        guard let spec = context.services.currentRouteSpec() else {
            return fail(error, VPCR_E_NOT_FOUND, "no route spec has been accepted yet")
        }
        let json = Array(spec.json.utf8)
        needed?.pointee = UInt64(json.count)
        guard let buffer, capacity > UInt64(json.count) else {
            return fail(error, VPCR_E_INVALID, "the buffer holds \(capacity) bytes; \(json.count + 1) are needed")
        }
        json.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        buffer[json.count] = 0
        return vpcr_status(VPCR_OK)
    }

    static func httpRegister(_ contextPointer: OpaquePointer?, _ method: UnsafePointer<CChar>?, _ path: UnsafePointer<CChar>?,
                             _ handler: vpcr_http_handler_fn?, _ handlerContext: UnsafeMutableRawPointer?,
                             _ error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let context = PluginInstanceContext.from(contextPointer), let method, let path, let handler else {
            return fail(error, VPCR_E_INVALID, "http_register needs a context, a method, a path and a handler")
        }
        guard context.state.withLock({ $0.inCreate }) else {
            return fail(error, VPCR_E_STATE, "HTTP handlers are registered in create(), before the server starts")
        }
        if let problem = context.services.http.register(plugin: context.plugin.name, method: String(cString: method),
                                                        path: String(cString: path), handler: handler, context: handlerContext) {
            return fail(error, VPCR_E_INVALID, problem)
        }
        return vpcr_status(VPCR_OK)
    }

    static func httpRespond(_ response: OpaquePointer?, _ status: Int32, _ contentType: UnsafePointer<CChar>?,
                            _ body: UnsafePointer<UInt8>?, _ length: UInt64) -> vpcr_status {
        guard let response, (100...599).contains(status), length <= 64 << 20, length == 0 || body != nil else {
            return vpcr_status(VPCR_E_INVALID)
        }
        let box = Unmanaged<PluginHTTPRegistry.ResponseBox>.fromOpaque(UnsafeRawPointer(response)).takeUnretainedValue()
        let bytes = length == 0 ? [] : Array(UnsafeBufferPointer(start: body, count: Int(length)))
        box.response = PluginHTTPRegistry.Response(
            status: Int(status), contentType: contentType.map { String(cString: $0) } ?? "application/octet-stream", body: bytes)
        return vpcr_status(VPCR_OK)
    }

    static func setSchedule(_ contextPointer: OpaquePointer?, _ interval: UInt64, _ timeout: UInt64,
                            _ error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let context = PluginInstanceContext.from(contextPointer) else {
            return fail(error, VPCR_E_INVALID, "health_set_schedule needs a context")
        }
        guard context.plugin.kind == .health else { return fail(error, VPCR_E_STATE, "only health plugins have a schedule") }
        guard interval >= 10_000_000, interval <= 3_600_000_000_000 else {
            return fail(error, VPCR_E_INVALID, "interval must be between 10 ms and 1 hour")
        }
        guard timeout > 0, timeout <= interval else {
            return fail(error, VPCR_E_INVALID, "timeout must be above 0 and at most the interval")
        }
        context.state.withLock {
            $0.schedule = HealthSchedule(interval: .nanoseconds(Int64(interval)), timeout: .nanoseconds(Int64(timeout)))
        }
        return vpcr_status(VPCR_OK)
    }

    static func openChild(_ contextPointer: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                          _ child: UnsafeMutablePointer<OpaquePointer?>?, _ error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let context = PluginInstanceContext.from(contextPointer), let name, let child else {
            return fail(error, VPCR_E_INVALID, "child_health_open needs a context, a name and an output pointer")
        }
        guard context.plugin.kind == .health else { return fail(error, VPCR_E_STATE, "only health plugins open children") }
        let childName = String(cString: name)
        guard childName != context.plugin.name else {
            return fail(error, VPCR_E_INVALID, "plugin '\(childName)' cannot open itself as a child")
        }
        do {
            let instance = try context.services.openChildHealth(childName)
            guard instance.plugin.kind == .health else {
                instance.shutdown()
                return fail(error, VPCR_E_INVALID, "'\(childName)' is not a health plugin")
            }
            context.state.withLock { $0.children.append(instance) }
            child.pointee = OpaquePointer(Unmanaged.passUnretained(instance).toOpaque())
            return vpcr_status(VPCR_OK)
        } catch let failure {
            return fail(error, failure.code < 0 ? Int(failure.code) : VPCR_E_NOT_FOUND, failure.message)
        }
    }
}
