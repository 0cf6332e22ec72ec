import RouteModel

/// Rendezvous (highest random weight) scores for (CIDR, router) pairs.
///
/// The hash is fixed (FNV-1a 64 with a final avalanche step), never Swift's `Hasher`, which is
/// seeded per process: the same CIDR must prefer the same router after a restart and on every
/// replica, while different CIDRs spread evenly over the routers.
enum RendezvousHash {
    static func score(cidr: IPCIDR, router: IPAddress) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        // IPv4 mixes exactly the bytes it always did (4 + 1 + 4), so choices survive the upgrade.
        for byte in cidr.network.bytes { mix(byte) }
        mix(UInt8(cidr.prefixLength))
        for byte in router.bytes { mix(byte) }
        // FNV-1a alone leaves the high bits weakly dependent on the last bytes; scores are compared
        // as whole numbers, so finish with the MurmurHash3 avalanche to spread every input bit.
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }
}
