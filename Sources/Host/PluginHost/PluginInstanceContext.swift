import Logging
import Synchronization

/// The host side of one plugin instance: what its `vpcr_host_ctx *` points at.
final class PluginInstanceContext: Sendable {
    struct MutableState {
        var lastGeneration: UInt64?
        var schedule: HealthSchedule?
        var children: [PluginInstance] = []
        var acceptsSubmissions = false
        var inCreate = true
    }

    let plugin: LoadedPlugin
    let services: PluginServices
    let logger: Logger
    let state = Mutex(MutableState())

    init(plugin: LoadedPlugin, services: PluginServices) {
        self.plugin = plugin
        self.services = services
        var logger = services.logger
        logger[metadataKey: "plugin.name"] = .string(plugin.name)
        self.logger = logger
    }

    var opaquePointer: OpaquePointer {
        OpaquePointer(Unmanaged.passUnretained(self).toOpaque())
    }

    static func from(_ pointer: OpaquePointer?) -> PluginInstanceContext? {
        guard let pointer else { return nil }
        return Unmanaged<PluginInstanceContext>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}
