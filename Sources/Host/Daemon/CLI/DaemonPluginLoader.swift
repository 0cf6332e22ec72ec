import PluginHost

/// The loader every command uses: the core options' names reserved, the trust check on unless
/// `--allow-untrusted-plugins` was given.
enum DaemonPluginLoader {
    static func make(allowUntrusted: Bool) -> PluginLoader {
        PluginLoader(reservedLongNames: CoreOptions.reservedLongNames, reservedShortNames: CoreOptions.reservedShortNames,
                     allowUntrusted: allowUntrusted)
    }

    static let allowUntrustedFlags = ["--allow-untrusted-plugins", "--allow_untrusted_plugins"]
}
