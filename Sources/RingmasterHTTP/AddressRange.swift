// A CIDR block ("10.0.0.0/8", "2001:db8::/32", or one address) for the proxy's trusted-proxy
// list: parsed once at configuration time into the address and mask words in the memory order
// `ClientAddress` keeps, so a request-time check is two ANDs and two compares, no allocation.

/// An IPv4 or IPv6 network: the addresses whose first `prefixLength` bits equal its own.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    public let family: ClientAddress.Family
    public let prefixLength: Int
    /// The network's address bytes (host bits cleared) and the mask, as `ClientAddress` lays
    /// out its 16 bytes (network order in memory, IPv4 in the first 4).
    let high: UInt64, low: UInt64
    let maskHigh: UInt64, maskLow: UInt64

    /// The network of `address` with `prefixLength` bits (0...32 for IPv4, 0...128 for
    /// IPv6); host bits set in `address` are cleared (as nginx's `set_real_ip_from` does).
    public init?(address: ClientAddress, prefixLength: Int) {
        let bits = address.family == .ipv4 ? 32 : address.family == .ipv6 ? 128 : -1
        guard bits > 0, (0...bits).contains(prefixLength) else { return nil }
        var mask: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &mask) { raw in
            for i in 0..<16 {
                let left = min(max(prefixLength - 8 * i, 0), 8)
                raw[i] = left == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - left))
            }
        }
        family = address.family
        self.prefixLength = prefixLength
        maskHigh = mask.0
        maskLow = mask.1
        high = address.high & mask.0
        low = address.low & mask.1
    }

    /// Parses "address/prefix" or a lone address (a /32 or /128). An IPv4-mapped IPv6 range
    /// ("::ffff:10.0.0.0/104") is the IPv4 one, as clients are (see `ClientAddress`).
    public static func parse(_ text: String) -> AddressRange? {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = ClientAddress.parse(String(parts[0])), address.family != .unknown else { return nil }
        let mapped = parts[0].contains(":") && address.family == .ipv4
        guard parts.count == 2 else { return AddressRange(address: address, prefixLength: address.family == .ipv4 ? 32 : 128) }
        let digits = parts[1]
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              digits == "0" || digits.first != "0", var prefix = Int(digits) else { return nil }
        if mapped {
            guard prefix >= 96 else { return nil }
            prefix -= 96
        }
        return AddressRange(address: address, prefixLength: prefix)
    }

    /// Whether `address` is in the range (a different family never is).
    @inline(__always)
    public func contains(_ address: ClientAddress) -> Bool {
        address.family == family && address.high & maskHigh == high && address.low & maskLow == low
    }

    public var description: String {
        let network = ClientAddress(high: high, low: low, port: 0, family: family)
        return "\(network.text)/\(prefixLength)"
    }
}
