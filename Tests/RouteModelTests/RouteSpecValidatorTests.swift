import Testing
@testable import RouteModel

@Suite struct RouteSpecValidatorTests {
    let validator = RouteSpecValidator()

    func validate(_ json: String) throws(RouteSpecError) -> RouteSpec {
        try validator.validate(json: Array(json.utf8))
    }

    @Test func acceptsTheOriginalFormatAndSortsRouters() throws {
        let spec = try validate(#"{"10.55.16.0/24": ["10.33.20.142"], "10.66.17.0/24": ["10.33.30.22", "10.33.20.93", "10.33.30.22"]}"#)
        #expect(spec.cidrs.map(\.description) == ["10.55.16.0/24", "10.66.17.0/24"])
        #expect(spec[IPCIDR("10.66.17.0/24")!]!.map(\.description) == ["10.33.20.93", "10.33.30.22"])
        #expect(spec.routerAddresses.count == 3)
        #expect(spec.json == #"{"10.55.16.0/24": ["10.33.20.142"], "10.66.17.0/24": ["10.33.20.93", "10.33.30.22"]}"#)
    }

    @Test func acceptsIPv6CIDRsAndRoutersOfEitherFamily() throws {
        let spec = try validate(#"{"2600:1F18:0::/56": ["fd00:0:0:1::10", "10.0.1.10", "FD00:0:0:1:0:0:0:10"], "10.55.0.0/16": {"routers": ["fd00::20", "10.0.1.10"], "order": "preference"}}"#)
        #expect(spec.cidrs.map(\.description) == ["10.55.0.0/16", "2600:1f18::/56"])
        #expect(spec[IPCIDR("2600:1f18::/56")!]!.map(\.description) == ["10.0.1.10", "fd00:0:0:1::10"])
        #expect(spec[IPCIDR("10.55.0.0/16")!]!.map(\.description) == ["fd00::20", "10.0.1.10"])
        #expect(spec.json == #"{"10.55.0.0/16": {"routers": ["fd00::20", "10.0.1.10"], "order": "preference"}, "2600:1f18::/56": ["10.0.1.10", "fd00:0:0:1::10"]}"#)
        #expect(try validate(spec.json) == spec)
    }

    @Test func anEmptyRouterListMeansRemove() throws {
        let spec = try validate(#"{"10.1.0.0/16": []}"#)
        #expect(spec[IPCIDR("10.1.0.0/16")!] == [])
    }

    @Test(arguments: [
        (#"{}"#, RouteSpecError.Code.empty, "the route spec is empty"),
        (#"[]"#, .wrongShape, "must be a JSON object mapping CIDRs to lists of router IPs; found a list"),
        (#"{"10.1.0.1/16": ["10.0.0.1"]}"#, .badCIDR, "host bits are set; did you mean 10.1.0.0/16?"),
        (#"{"10.1/16": ["10.0.0.1"]}"#, .badCIDR, "'10.1/16' is not a valid CIDR: expected four dotted decimal numbers"),
        (#"{"10.1.0.0/33": ["10.0.0.1"]}"#, .badCIDR, "the prefix length must be a number 0-32"),
        (#"{"fd00::1/64": ["10.0.0.1"]}"#, .badCIDR, "'fd00::1/64' is not a valid CIDR: host bits are set; did you mean fd00::/64?"),
        (#"{"fd00::/129": ["10.0.0.1"]}"#, .badCIDR, "the prefix length must be a number 0-128"),
        (#"{"fe80::%eth0/64": ["10.0.0.1"]}"#, .badCIDR, "zone ids (%...) are not accepted"),
        (#"{"::ffff:0:0/96": ["10.0.0.1"]}"#, .badCIDR, "IPv4-mapped networks (inside ::ffff:0:0/96) are not accepted"),
        (#"{"2600:1f18::/56": [], "2600:1F18:0::/56": []}"#, .duplicate, "route spec lists CIDR 2600:1f18::/56 twice"),
        (#"{"10.1.0.0": ["10.0.0.1"]}"#, .badCIDR, "expected a CIDR such as 10.0.0.0/16"),
        (#"{"10.1.0.0/16": ["10.1.1"]}"#, .badRouter, "router '10.1.1' for 10.1.0.0/16 is not a valid IPv4 address"),
        (#"{"10.1.0.0/16": ["010.1.1.1"]}"#, .badRouter, "leading zeros are ambiguous"),
        (#"{"10.1.0.0/16": ["fe80::1%eth0"]}"#, .badRouter, "router 'fe80::1%eth0' for 10.1.0.0/16 is not a valid IPv6 address: zone ids"),
        (#"{"10.1.0.0/16": ["::ffff:10.0.0.1"]}"#, .badRouter, "dotted-quad IPv4 forms inside IPv6"),
        (#"{"10.1.0.0/16": ["::ffff:a00:1"]}"#, .badRouter, "IPv4-mapped addresses (::ffff:0:0/96) are not accepted"),
        (#"{"10.1.0.0/16": ["2600::1::2"]}"#, .badRouter, "'::' may appear only once"),
        (#"{"10.1.0.0/16": ["256.1.1.1"]}"#, .badRouter, "each number must be 0-255"),
        (#"{"10.1.0.0/16": "10.0.0.1"}"#, .wrongShape, "the routers of '10.1.0.0/16' must be a list of IP strings; found a string"),
        (#"{"10.1.0.0/16": [1]}"#, .wrongShape, "must be IP strings; found a number"),
        (#"{"10.1.0.0/16": [["10.0.0.1"]]}"#, .wrongShape, "must be IP strings; found a list"),
        (#"{"10.1.0.0/16": [], "10.1.0.0/16": []}"#, .notJSON, "duplicate key '10.1.0.0/16'"),
        (#"{"10.1.0.0/16": ["10.0.0.1"]"#, .notJSON, "the document ends inside an object"),
        (#"{"10.1.0.0/16\u0000": []}"#, .badCIDR, #"'10.1.0.0/16\u{0}'"#),
        ("nonsense", .notJSON, "not valid JSON: unexpected word (expected null) at byte 0"), ("?", .notJSON, "unexpected character at byte 0"),
        ("", .notJSON, "the document is empty"),
        (#"{"a": 1} x"#, .notJSON, "unexpected data after the end"),
    ])
    func refusesBadInputWithAClearMessage(input: String, code: RouteSpecError.Code, message: String) {
        #expect {
            _ = try validate(input)
        } throws: { error in
            guard let error = error as? RouteSpecError else { return false }
            return error.code == code && error.message.contains(message)
        }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        var bytes = Array(#"{"10.1.0.0/16": [""]}"#.utf8)
        bytes.insert(0xff, at: 18)
        #expect(throws: RouteSpecError.self) { try validator.validate(json: bytes) }
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect { try validate(deep) } throws: { ($0 as? RouteSpecError)?.message.contains("nesting deeper than 64") == true }
    }

    @Test func refusesOversizeDocuments() {
        let big = Array(repeating: UInt8(ascii: " "), count: 2 << 20)
        #expect { try validator.validate(json: big) } throws: { ($0 as? RouteSpecError)?.code == .tooLarge }
    }
}

@Suite struct AddressTests {
    @Test func cidrContainment() {
        let outer = IPCIDR("10.0.0.0/8")!
        #expect(outer.contains(IPCIDR("10.55.16.0/24")!))
        #expect(!IPCIDR("10.55.16.0/24")!.contains(outer))
        #expect(outer.contains(IPAddress("10.255.255.255")!))
        #expect(!outer.contains(IPAddress("11.0.0.0")!))
        #expect(IPCIDR("0.0.0.0/0")!.contains(IPAddress("203.0.113.9")!))
        #expect(IPv4CIDR("10.0.0.0/8")!.lastAddress.description == "10.255.255.255")
    }

    @Test func ignoreRouteForms() throws {
        #expect(try IPCIDR.parseAddressOrCIDR("10.1.1.1").get().description == "10.1.1.1/32")
        #expect(try IPCIDR.parseAddressOrCIDR("0.0.0.0").get().description == "0.0.0.0/0")
        #expect(try IPCIDR.parseAddressOrCIDR("0.0.0.0/10").get().description == "0.0.0.0/10")
        #expect(throws: AddressSyntaxError.self) { try IPCIDR.parseAddressOrCIDR("101.2.3/32/2").get() }
    }
}
