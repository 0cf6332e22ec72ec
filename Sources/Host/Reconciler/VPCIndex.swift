import RouteModel

/// Lookups over one observation, built once per plan. Everything is ordered by id so that the
/// planner's results never depend on the order the EC2 answers came in.
struct VPCIndex {
    let tables: [ObservedRouteTable]
    let interfaces: [ObservedNetworkInterface]
    private let interfaceById: IdIndexTable
    private let interfaceByAddress: [IPAddress: Int]
    private let interfacesByInstance: [String: [Int]]
    private let explicitTableBySubnet: [String: Int]
    private let mainTable: Int?

    init(_ vpc: ObservedVPC) {
        tables = vpc.routeTables.sorted { $0.id < $1.id }
        interfaces = vpc.networkInterfaces.sorted { $0.id < $1.id }
        var byAddress = [IPAddress: Int](minimumCapacity: interfaces.count)
        var byInstance = [String: [Int]]()
        for (index, interface) in interfaces.enumerated() {
            // A private IP is unique in a VPC; should an observation still repeat one, the
            // lowest interface id wins so that the choice is stable.
            for address in interface.privateAddresses where byAddress[address] == nil {
                byAddress[address] = index
            }
            if let instance = interface.attachedInstanceId { byInstance[instance, default: []].append(index) }
        }
        interfaceById = IdIndexTable(interfaces.map(\.id))
        interfaceByAddress = byAddress
        interfacesByInstance = byInstance
        var bySubnet = [String: Int]()
        var main: Int?
        for (index, table) in tables.enumerated() {
            if table.isMain, main == nil { main = index }
            for subnet in table.subnetIds where bySubnet[subnet] == nil { bySubnet[subnet] = index }
        }
        explicitTableBySubnet = bySubnet
        mainTable = main
    }

    func interfaceIndex(id: String) -> Int? { interfaceById.index(of: id) }

    /// The interface that holds `address` as its primary or any secondary private IP.
    func interfaceIndex(holding address: IPAddress) -> Int? { interfaceByAddress[address] }

    func interfaceIndices(ofInstance instanceId: String) -> [Int] { interfacesByInstance[instanceId] ?? [] }

    /// The table that routes a subnet: its explicit association, or else the main table.
    func tableIndex(forSubnet subnetId: String) -> Int? { explicitTableBySubnet[subnetId] ?? mainTable }
}
