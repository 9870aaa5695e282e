// The hashing balances' arithmetic (docs/proxy.md, "Consistent hashing"): a request's key from
// the `hash_header` field or the client address, and the hashes rendezvous scoring uses.
import RingmasterHTTP

extension Upstreams {
    /// The hash key of a request for `group`: the `hash_header` field's value (header_hash),
    /// else the client address. 0 for the balances that do not hash.
    func hashKey(group g: Int, client: ClientAddress, fields: UnsafeBufferPointer<HTTPHeaderField>, in bytes: UnsafeRawBufferPointer) -> UInt64 {
        let options = groups[g].options
        switch options.balance {
        case .roundRobin, .leastConnections: return 0
        case .headerHash:
            if let name = options.hashHeader {
                for field in fields where Upstreams.equalsLowercased(field.name(in: bytes), name) {
                    return Upstreams.fnv1a(field.value(in: bytes))
                }
            }
            fallthrough
        case .clientHash:
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for i in 0..<16 { hash = (hash ^ UInt64(client.byte(i))) &* 0x100_0000_01B3 }
            return hash
        }
    }

    /// FNV-1a, 64-bit.
    static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    /// splitmix64's finalizer: spreads a key-member combination over the 64 bits.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Whether `bytes` equals `lowercased` ignoring ASCII case (a field name against a
    /// configured, lower-cased one). No allocation.
    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ lowercased: String) -> Bool {
        var index = 0
        for expected in lowercased.utf8 {
            guard index < bytes.count else { return false }
            let byte = bytes[index]
            guard (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected else { return false }
            index += 1
        }
        return index == bytes.count
    }
}
