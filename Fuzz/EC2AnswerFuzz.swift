// libFuzzer harness: untrusted bytes into the EC2 answer decoding, the XML tree and the item
// decoders (built by scripts/fuzz.sh with the EC2 sources it needs and Sources/Host/RouteModel).
// Every <item> anywhere in a parsed document is offered to every decoder. Properties: no crash,
// no hang, no sanitizer report; a parse failure always says why.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEC2Answer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let root: XMLTreeNode
    do {
        root = try XMLTreeNode.parse(bytes)
    } catch {
        precondition(!error.reason.isEmpty, "a parse failure without a reason")
        return 0
    }
    var pending = [root]
    while let node = pending.popLast() {
        pending += node.children
        guard node.name == "item" else { continue }
        if let table = RouteTable(xml: node) {
            for route in table.routes { _ = route.destinationCidrBlock.flatMap { table.route(to: $0) } }
        }
        if let interface = NetworkInterface(xml: node) { _ = interface.privateAddresses.map { interface.holds($0.address) } }
        _ = Instance(xml: node)?.isGone
        _ = Subnet(xml: node)
        _ = VPC(xml: node)
    }
    return 0
}
