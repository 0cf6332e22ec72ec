// libFuzzer harness: untrusted bytes into the route spec parser and validator (built by scripts/fuzz.sh
// together with Sources/Host/RouteModel). Properties checked on every input:
//   - no crash, no hang, no sanitizer report;
//   - a refusal has a one-line message of bounded length;
//   - an accepted spec, serialized again, validates to the same spec (nothing lost or invented).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRouteSpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let validator = RouteSpecValidator()
    do {
        let spec = try validator.validate(json: bytes)
        let again: RouteSpec
        do {
            again = try validator.validate(json: Array(spec.json.utf8))
        } catch {
            fatalError("an accepted spec does not validate once serialized: \(error.message)")
        }
        precondition(again == spec, "the serialized spec means something else")
    } catch {
        precondition(!error.message.isEmpty, "a refusal without a message")
        precondition(!error.message.contains("\n"), "a refusal message over several lines")
        precondition(error.message.utf8.count < 600, "an unbounded refusal message")
    }
    return 0
}
