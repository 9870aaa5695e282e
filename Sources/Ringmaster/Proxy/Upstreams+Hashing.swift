// The hashing balances' arithmetic (docs/proxy.md, "Consistent hashing"): a request's key from
// the `hash_header` field or the client address (Hash64 does the hashing).
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
                    return Hash64.fnv1a(field.value(in: bytes))
                }
            }
            fallthrough
        case .clientHash:
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for i in 0..<16 { hash = (hash ^ UInt64(client.byte(i))) &* 0x100_0000_01B3 }
            return hash
        }
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
