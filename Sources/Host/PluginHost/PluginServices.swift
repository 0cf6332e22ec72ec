import Logging
import RouteModel

/// A route spec a mode plugin submitted, after validation.
public struct RouteSpecSubmission: Sendable {
    public let spec: RouteSpec
    public let generation: UInt64
    public let plugin: String

    public init(spec: RouteSpec, generation: UInt64, plugin: String) {
        self.spec = spec
        self.generation = generation
        self.plugin = plugin
    }
}

/// What the host offers a plugin instance: the daemon supplies these when it creates one.
public struct PluginServices: Sendable {
    public var logger: Logger
    /// Takes a validated spec; returns the reason when the daemon refuses it anyway.
    public var acceptRouteSpec: @Sendable (RouteSpecSubmission) -> Result<Void, RouteSpecError>
    /// The spec in force, if any.
    public var currentRouteSpec: @Sendable () -> RouteSpec?
    public var http: PluginHTTPRegistry
    /// Opens a child health plugin instance (for `multi`), with its command-line options.
    public var openChildHealth: @Sendable (String) throws(PluginError) -> PluginInstance
    public var validator: RouteSpecValidator

    public init(
        logger: Logger,
        acceptRouteSpec: @escaping @Sendable (RouteSpecSubmission) -> Result<Void, RouteSpecError> = { _ in .success(()) },
        currentRouteSpec: @escaping @Sendable () -> RouteSpec? = { nil },
        http: PluginHTTPRegistry = PluginHTTPRegistry(),
        openChildHealth: @escaping @Sendable (String) throws(PluginError) -> PluginInstance = { name throws(PluginError) in
            throw PluginError(plugin: name, operation: "open", code: -3, message: "child health plugins are not available here")
        },
        validator: RouteSpecValidator = RouteSpecValidator()
    ) {
        self.logger = logger
        self.acceptRouteSpec = acceptRouteSpec
        self.currentRouteSpec = currentRouteSpec
        self.http = http
        self.openChildHealth = openChildHealth
        self.validator = validator
    }
}
