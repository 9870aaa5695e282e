// A connection's client: the IP address and port accept(2) reported, or the ones a PROXY
// protocol header from a load balancer names instead (docs/client-address.md). Fixed size and
// allocation-free, so every connection can carry one; written as text straight into the
// access log or a header without building a String.

/// An IPv4 or IPv6 address and port, or `unknown` (a PROXY header that says LOCAL or
/// UNKNOWN keeps the connection's own address; a Unix-socket peer has none).
///
/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack listener reports for an
/// IPv4 client) is stored as IPv4, so logs, `X-Forwarded-For` and trusted-proxy checks see
/// one form of each client.
@frozen
public struct ClientAddress: Equatable, Sendable {
    @frozen
    public enum Family: UInt8, Sendable {
        case unknown = 0
        case ipv4 = 4
        case ipv6 = 6
    }

    /// The 16 address bytes in network order (IPv4: the first 4), as two loads of memory.
    public var high: UInt64
    public var low: UInt64
    /// The port, host order.
    public var port: UInt16
    public var family: Family

    /// The longest text `write(into:)` produces without the port: an IPv6 address written
    /// with a dotted tail would be 45 bytes; this type writes IPv6 in hex only (39).
    public static let maxTextLength = 39
    /// The longest `[address]:port` text.
    public static let maxTextWithPortLength = maxTextLength + 8

    public static let unknown = ClientAddress(high: 0, low: 0, port: 0, family: .unknown)

    @inlinable
    public init(high: UInt64, low: UInt64, port: UInt16, family: Family) {
        self.high = high
        self.low = low
        self.port = port
        self.family = family
    }

    /// An IPv4 address from its 4 bytes in network order.
    public init(ipv4 bytes: (UInt8, UInt8, UInt8, UInt8), port: UInt16) {
        var value = ClientAddress(high: 0, low: 0, port: port, family: .ipv4)
        withUnsafeMutableBytes(of: &value.high) { raw in
            raw[0] = bytes.0; raw[1] = bytes.1; raw[2] = bytes.2; raw[3] = bytes.3
        }
        self = value
    }

    /// An IPv6 address from 16 bytes in network order; IPv4-mapped ones become IPv4.
    public init(ipv6 bytes: UnsafeRawBufferPointer, port: UInt16) {
        precondition(bytes.count >= 16)
        var value = ClientAddress(high: 0, low: 0, port: port, family: .ipv6)
        withUnsafeMutableBytes(of: &value.high) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<8])) }
        withUnsafeMutableBytes(of: &value.low) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[8..<16])) }
        if value.isIPv4Mapped {
            self.init(ipv4: (bytes[12], bytes[13], bytes[14], bytes[15]), port: port)
        } else {
            self = value
        }
    }

    /// `::ffff:0:0/96`.
    var isIPv4Mapped: Bool {
        high == 0 && withUnsafeBytes(of: low) { $0[0] == 0 && $0[1] == 0 && $0[2] == 0xFF && $0[3] == 0xFF }
    }

    /// Byte `index` (0-15) of the address in network order.
    @inline(__always)
    public func byte(_ index: Int) -> UInt8 {
        // The words hold memory order; as little-endian values byte 0 is the lowest.
        let word = index < 8 ? high.littleEndian : low.littleEndian
        return UInt8(truncatingIfNeeded: word >> (8 * UInt64(index & 7)))
    }

    /// 16-bit group `index` (0-7) of an IPv6 address.
    @inline(__always)
    func group(_ index: Int) -> UInt16 { UInt16(byte(2 * index)) << 8 | UInt16(byte(2 * index + 1)) }

    /// Writes the address (no port) into `out`, which has room for `maxTextLength` bytes:
    /// dotted decimal, or RFC 5952 IPv6 (lowercase, no leading zeros, the longest run of two
    /// or more zero groups as "::", the first on a tie). `-` when unknown. Returns the length.
    /// No closures: a captured counter would be boxed on the heap in a debug build.
    public func write(into out: UnsafeMutableRawPointer) -> Int {
        let colon = UInt8(ascii: ":")
        var count = 0
        switch family {
        case .unknown:
            out.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self)
            count = 1
        case .ipv4:
            for i in 0..<4 {
                if i > 0 {
                    out.storeBytes(of: UInt8(ascii: "."), toByteOffset: count, as: UInt8.self)
                    count += 1
                }
                count += Self.writeDecimal(UInt16(byte(i)), into: out + count)
            }
        case .ipv6:
            // The longest run of zero groups, at least two long.
            var bestStart = -1, bestLength = 1, runStart = -1
            for i in 0...8 {
                if i < 8 && group(i) == 0 {
                    if runStart < 0 { runStart = i }
                } else if runStart >= 0 {
                    if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                    runStart = -1
                }
            }
            var i = 0
            while i < 8 {
                if i == bestStart {
                    if i == 0 { out.storeBytes(of: colon, toByteOffset: count, as: UInt8.self); count += 1 }
                    out.storeBytes(of: colon, toByteOffset: count, as: UInt8.self)
                    count += 1
                    i += bestLength
                    continue
                }
                count += Self.writeHex(group(i), into: out + count)
                if i < 7 { out.storeBytes(of: colon, toByteOffset: count, as: UInt8.self); count += 1 }
                i += 1
            }
        }
        return count
    }

    /// `a.b.c.d:port` or `[v6]:port` (the form of nginx's `$remote_addr:$remote_port` and of
    /// RFC 7239 `for=`); into room for `maxTextWithPortLength` bytes.
    public func writeWithPort(into out: UnsafeMutableRawPointer) -> Int {
        var count = 0
        if family == .ipv6 { out.storeBytes(of: UInt8(ascii: "["), as: UInt8.self); count = 1 }
        count += write(into: out + count)
        if family == .ipv6 { out.storeBytes(of: UInt8(ascii: "]"), toByteOffset: count, as: UInt8.self); count += 1 }
        out.storeBytes(of: UInt8(ascii: ":"), toByteOffset: count, as: UInt8.self)
        count += 1
        return count + Self.writeDecimal(port, into: out + count)
    }

    /// The address as text (allocates: not for the hot path).
    public var text: String {
        String(unsafeUninitializedCapacity: Self.maxTextLength) { buffer in
            write(into: UnsafeMutableRawPointer(buffer.baseAddress!))
        }
    }

    static func writeDecimal(_ value: UInt16, into out: UnsafeMutableRawPointer) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 { digits += 1; rest /= 10 }
        var v = value
        for i in stride(from: digits - 1, through: 0, by: -1) {
            out.storeBytes(of: UInt8(ascii: "0") + UInt8(v % 10), toByteOffset: i, as: UInt8.self)
            v /= 10
        }
        return digits
    }

    static func writeHex(_ value: UInt16, into out: UnsafeMutableRawPointer) -> Int {
        var digits = 1
        while digits < 4 && value >> (4 * digits) != 0 { digits += 1 }
        for i in 0..<digits {
            let nibble = UInt8((value >> (4 * (digits - 1 - i))) & 0xF)
            out.storeBytes(of: nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10, toByteOffset: i, as: UInt8.self)
        }
        return digits
    }
}
