import PluginABI
import RouteModel

/// The plugin ABI's `vpcr_verdict` and the host's verdict, one for the other.
extension HealthVerdict {
    init(abi: vpcr_verdict) {
        switch abi {
        case VPCR_VERDICT_HEALTHY: self = .healthy
        case VPCR_VERDICT_QUESTIONABLE: self = .questionable
        case VPCR_VERDICT_FAILED: self = .failed
        default: self = .unknown  // anything a plugin invents counts as no opinion
        }
    }

    /// Whether a plugin's raw verdict is one the ABI defines.
    static func isDefined(_ abi: vpcr_verdict) -> Bool {
        [VPCR_VERDICT_UNKNOWN, VPCR_VERDICT_HEALTHY, VPCR_VERDICT_QUESTIONABLE, VPCR_VERDICT_FAILED].contains(abi)
    }

    /// The ABI's value, as a plugin writes it.
    public var abiValue: vpcr_verdict {
        switch self {
        case .unknown: VPCR_VERDICT_UNKNOWN
        case .healthy: VPCR_VERDICT_HEALTHY
        case .questionable: VPCR_VERDICT_QUESTIONABLE
        case .failed: VPCR_VERDICT_FAILED
        }
    }
}

/// A router to probe.
public struct HealthTarget: Sendable, Equatable, Hashable {
    public let address: IPAddress
    public let instanceID: String?

    public init(address: IPAddress, instanceID: String? = nil) {
        self.address = address
        self.instanceID = instanceID
    }
}

/// How often a health plugin wants to be probed and how long one round may take.
public struct HealthSchedule: Sendable, Equatable {
    public let interval: Duration
    public let timeout: Duration

    public init(interval: Duration, timeout: Duration) {
        self.interval = interval
        self.timeout = timeout
    }

    public static let standard = HealthSchedule(interval: .seconds(2), timeout: .milliseconds(1500))
}
