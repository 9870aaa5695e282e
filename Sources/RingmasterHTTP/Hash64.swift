// Two small 64-bit hashes the server uses where no cryptographic strength is needed: FNV-1a
// over bytes (upstream identities, hash keys) and splitmix64's finalizer (spreading a
// combined key; request ids from a counter). Pure, allocation-free.

/// 64-bit hashing helpers.
public enum Hash64 {
    /// FNV-1a, 64-bit.
    @inlinable
    public static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    /// splitmix64's finalizer: consecutive or similar inputs give unrelated-looking outputs.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
