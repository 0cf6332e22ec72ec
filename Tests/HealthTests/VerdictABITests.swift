import PluginABI
@testable import PluginHost
import RouteModel
import Testing

@Suite("Verdicts across the plugin ABI")
struct VerdictABITests {
    @Test("every verdict survives the trip through vpcr_verdict", arguments: HealthVerdict.allCases)
    func roundTrip(_ verdict: HealthVerdict) {
        #expect(HealthVerdict.isDefined(verdict.abiValue))
        #expect(HealthVerdict(abi: verdict.abiValue) == verdict)
    }

    @Test("a value the ABI does not define is no opinion")
    func undefinedValue() {
        let invented = vpcr_verdict(rawValue: 77)
        #expect(!HealthVerdict.isDefined(invented))
        #expect(HealthVerdict(abi: invented) == .unknown)
    }
}
