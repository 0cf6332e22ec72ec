import FoundationEssentials
import Glibc

/// The state directory when `--state-dir` is not given. Root keeps the system-wide
/// /var/lib/vpcrouter; anyone else gets a directory of their own, so a trial run by a normal user
/// starts instead of failing on a directory only root may write.
enum StateDirectoryDefault {
    static let system = "/var/lib/vpcrouter"

    static func path(effectiveUserId: uid_t = geteuid(), environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if effectiveUserId == 0 { return system }
        // systemd's StateDirectory= (a unit with User=) names it; several are colon-separated.
        if let given = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !given.isEmpty { return String(given) }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/vpcrouter" }
        if let home = environment["HOME"], home.hasPrefix("/"), home != "/" { return home + "/.local/state/vpcrouter" }
        return system
    }
}
