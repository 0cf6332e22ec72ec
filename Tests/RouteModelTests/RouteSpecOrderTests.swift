import Testing
@testable import RouteModel

/// The object form of a spec entry: `{"routers": [...], "order": "preference"}` keeps the list in
/// the order given; `"order": "any"` and the plain list mean every router is equal.
@Suite struct RouteSpecOrderTests {
    let validator = RouteSpecValidator()
    let cidr55 = IPCIDR("10.55.0.0/16")!

    func validate(_ json: String) throws(RouteSpecError) -> RouteSpec {
        try validator.validate(json: Array(json.utf8))
    }

    @Test func aPreferenceEntryKeepsItsOrder() throws {
        let spec = try validate(#"{"10.55.0.0/16": {"routers": ["10.0.2.20", "10.0.1.10", "10.0.2.20"], "order": "preference"}}"#)
        #expect(spec[cidr55]!.map(\.description) == ["10.0.2.20", "10.0.1.10"], "order kept, the duplicate dropped")
        #expect(spec.order(of: cidr55) == .preference)
        #expect(spec.json == #"{"10.55.0.0/16": {"routers": ["10.0.2.20", "10.0.1.10"], "order": "preference"}}"#)
        #expect(try validate(spec.json) == spec, "the rendering reads back as the same spec")
    }

    @Test func anyOrderAndNoOrderMeanThePlainList() throws {
        let plain = try validate(#"{"10.55.0.0/16": ["10.0.2.20", "10.0.1.10"]}"#)
        let any = try validate(#"{"10.55.0.0/16": {"routers": ["10.0.1.10", "10.0.2.20"], "order": "any"}}"#)
        let bare = try validate(#"{"10.55.0.0/16": {"routers": ["10.0.2.20", "10.0.1.10"]}}"#)
        #expect(plain == any && any == bare)
        #expect(plain.order(of: cidr55) == .any)
        #expect(plain[cidr55]!.map(\.description) == ["10.0.1.10", "10.0.2.20"], "sorted, as today")
        #expect(any.json == #"{"10.55.0.0/16": ["10.0.1.10", "10.0.2.20"]}"#, "rendered in the original's form")
    }

    @Test func anOrderWithNothingToOrderIsThePlainList() throws {
        let one = try validate(#"{"10.55.0.0/16": {"routers": ["10.0.1.10"], "order": "preference"}}"#)
        #expect(one == (try validate(#"{"10.55.0.0/16": ["10.0.1.10"]}"#)))
        let none = try validate(#"{"10.55.0.0/16": {"routers": [], "order": "preference"}}"#)
        #expect(none == (try validate(#"{"10.55.0.0/16": []}"#)), "an empty list still asks for removal")
        #expect(none.json == #"{"10.55.0.0/16": []}"#)
    }

    @Test func preferenceOrdersDifferWhenTheListsDiffer() throws {
        let first = try validate(#"{"10.55.0.0/16": {"routers": ["10.0.1.10", "10.0.2.20"], "order": "preference"}}"#)
        let second = try validate(#"{"10.55.0.0/16": {"routers": ["10.0.2.20", "10.0.1.10"], "order": "preference"}}"#)
        let equal = try validate(#"{"10.55.0.0/16": ["10.0.1.10", "10.0.2.20"]}"#)
        #expect(first != second && first != equal)
    }

    @Test func bothFormsMixInOneSpec() throws {
        let spec = try validate(#"{"10.56.0.0/16": ["10.0.2.20", "10.0.1.10"], "10.55.0.0/16": {"routers": ["10.0.2.20", "10.0.1.10"], "order": "preference"}}"#)
        #expect(spec.preferenceOrdered == [cidr55])
        #expect(spec.json == #"{"10.55.0.0/16": {"routers": ["10.0.2.20", "10.0.1.10"], "order": "preference"}, "10.56.0.0/16": ["10.0.1.10", "10.0.2.20"]}"#)
    }

    @Test func entriesWithAnOrderValidateLikeJSON() throws {
        let spec = try validator.validate(entries: [("10.55.0.0/16", ["10.0.2.20", "10.0.1.10"], RouterOrder.preference)])
        #expect(spec == (try validate(#"{"10.55.0.0/16": {"routers": ["10.0.2.20", "10.0.1.10"], "order": "preference"}}"#)))
    }

    @Test(arguments: [
        (#"{"10.55.0.0/16": {"routers": ["10.0.1.10"], "order": "first"}}"#, RouteSpecError.Code.badOrder,
         #"the "order" of '10.55.0.0/16' is 'first'; it must be "any" or "preference""#),
        (#"{"10.55.0.0/16": {"routers": ["10.0.1.10"], "order": true}}"#, .wrongShape,
         #"the "order" of '10.55.0.0/16' must be "any" or "preference"; found a boolean"#),
        (#"{"10.55.0.0/16": {"routers": ["10.0.1.10"], "hold": 30}}"#, .wrongShape,
         #"the entry for '10.55.0.0/16' has an unknown key 'hold'; an entry object takes "routers" (a list of IP strings) and "order" ("any" or "preference")"#),
        (#"{"10.55.0.0/16": {"order": "any"}}"#, .wrongShape, 
         #"the entry for '10.55.0.0/16' has no "routers" list; an entry object takes "routers" (a list of IP strings) and "order" ("any" or "preference")"#),
        (#"{"10.55.0.0/16": {"routers": {"a": "10.0.1.10"}}}"#, .wrongShape,
         "the routers of '10.55.0.0/16' must be a list of IP strings; found an object"),
    ])
    func refusesABadEntryObjectExactly(input: String, code: RouteSpecError.Code, message: String) {
        #expect {
            _ = try validate(input)
        } throws: { error in
            guard let error = error as? RouteSpecError else { return false }
            return error.code == code && error.message == message
        }
    }
}
