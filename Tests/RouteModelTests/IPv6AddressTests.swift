import RouteModel
import Testing

@Suite struct IPv6AddressTests {
    @Test(arguments: [
        ("2600:1f18:0:0:0:0:0:0", "2600:1f18::"),
        ("2600:1F18::", "2600:1f18::"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),     // the first of two equal zero runs
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not shortened
        ("0:0:0:0:0:0:0:0", "::"),
        ("::1", "::1"),
        ("fd00:0:0:1::", "fd00:0:0:1::"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),                  // the longest run wins
    ])
    func writesCanonicalText(input: String, canonical: String) throws {
        #expect(try IPv6Address.parse(input).get().description == canonical)
        #expect(try IPAddress.parse(input).get() == .v6(IPv6Address(canonical)!))
    }

    @Test(arguments: [
        ("fe80::1%eth0", "zone ids"),
        ("::ffff:10.0.0.1", "dotted-quad IPv4 forms inside IPv6"),
        ("64:ff9b::1.2.3.4", "dotted-quad IPv4 forms inside IPv6"),
        ("2001:db8::1::2", "'::' may appear only once"),
        ("2001:db8:::1", "an empty group"),
        (":2001:db8::1", "an empty group"),
        ("2001:db8::1:", "an empty group"),
        ("2001:db8:1:2:3:4:5", "expected eight groups, found 7"),
        ("1:2:3:4:5:6:7:8:9", "expected eight groups, found 9"),
        ("1:2:3:4::5:6:7:8", "at least one zero group"),
        ("2001:db8::12345", "the group '12345' has more than four hex digits"),
        ("2001:db8::g", "hexadecimal groups"),
        (" ::1", "hexadecimal groups"),
    ])
    func refusesWithTheRule(input: String, rule: String) {
        guard case .failure(let error) = IPv6Address.parse(input) else {
            Issue.record("'\(input)' was accepted")
            return
        }
        #expect(error.text == input)
        #expect(error.problem.contains(rule), "\(error)")
    }

    @Test func refusesIPv4MappedRouters() {
        guard case .failure(let error) = IPAddress.parse("::ffff:a00:1") else {
            Issue.record("an IPv4-mapped address was accepted")
            return
        }
        #expect(error.description.contains("'::ffff:a00:1'") && error.problem.contains("IPv4-mapped"))
    }

    @Test func cidrsRefuseHostBitsAndNameTheCanonicalForm() {
        guard case .failure(let error) = IPCIDR.parse("2600:1f18:0:1::/56") else {
            Issue.record("a CIDR with host bits was accepted")
            return
        }
        #expect(error.problem == "host bits are set; did you mean 2600:1f18::/56?")
        #expect(IPCIDR("2600:1F18::/56")?.description == "2600:1f18::/56")
        #expect(IPCIDR("::/0")?.prefixLength == 0)
        #expect(IPCIDR("2600::1/128")?.description == "2600::1/128")
    }

    @Test(arguments: [
        ("2600::/129", "the prefix length must be a number 0-128"),
        ("2600::/056", "the prefix length must be a number 0-128"),
        ("2600::/", "the prefix length must be a number 0-128"),
        ("2600::", "expected a CIDR such as 2600:1f18::/56"),
        ("::ffff:0:0/96", "IPv4-mapped networks"),
        ("fe80::%eth0/64", "zone ids"),
    ])
    func cidrRefusals(input: String, rule: String) {
        guard case .failure(let error) = IPCIDR.parse(input) else {
            Issue.record("'\(input)' was accepted")
            return
        }
        #expect(error.text == input)
        #expect(error.problem.contains(rule), "\(error)")
    }

    @Test func containmentStaysWithinAFamily() throws {
        let outer = try #require(IPCIDR("2600:1f18::/56"))
        #expect(outer.contains(IPCIDR("2600:1f18:0:ff::/64")!))
        #expect(!outer.contains(IPCIDR("2600:1f18:0:100::/64")!))
        #expect(outer.contains(IPAddress("2600:1f18::10")!))
        #expect(!IPCIDR("::/0")!.contains(IPAddress("10.0.0.1")!))
        #expect(!IPCIDR("0.0.0.0/0")!.contains(IPCIDR("::/0")!))
        #expect(IPCIDR("::/0")!.contains(IPCIDR("2600::/16")!))
    }

    @Test func ordersIPv4BeforeIPv6() {
        let sorted = ["fd00::1", "10.0.0.2", "::1", "10.0.0.1"].map { IPAddress($0)! }.sorted().map(\.description)
        #expect(sorted == ["10.0.0.1", "10.0.0.2", "::1", "fd00::1"])
    }

    @Test func ignoreRouteFormsForIPv6() throws {
        #expect(try IPCIDR.parseAddressOrCIDR("2600::1").get().description == "2600::1/128")
        #expect(try IPCIDR.parseAddressOrCIDR("::").get().description == "::/0")
        #expect(try IPCIDR.parseAddressOrCIDR("2600:1f18::/56").get().description == "2600:1f18::/56")
        #expect(throws: AddressSyntaxError.self) { try IPCIDR.parseAddressOrCIDR("2600::1/64").get() }
    }

    @Test func bytesAreInNetworkOrder() {
        #expect(IPAddress("10.1.2.3")!.bytes == [10, 1, 2, 3])
        #expect(IPAddress("2600:1f18::ff")!.bytes == [0x26, 0, 0x1f, 0x18] + [UInt8](repeating: 0, count: 11) + [0xff])
    }
}
