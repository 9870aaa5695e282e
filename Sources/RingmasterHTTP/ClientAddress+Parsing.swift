// Text to `ClientAddress`: the address forms a PROXY protocol v1 line and the configuration's
// trusted-proxy list carry. Accepts exactly what glibc's inet_pton(3) accepts for AF_INET and
// AF_INET6 (dotted quads without leading zeros; IPv6 with at most one "::" and an optional
// dotted tail), which the tests check against inet_pton itself.

extension ClientAddress {
    /// Parses dotted-decimal IPv4 (`port` attached as given).
    public static func parseIPv4(_ text: UnsafeRawBufferPointer, port: UInt16 = 0) -> ClientAddress? {
        guard let (a, b, c, d) = parseDottedQuad(text) else { return nil }
        return ClientAddress(ipv4: (a, b, c, d), port: port)
    }

    /// Parses IPv6 text; an IPv4-mapped address comes back as IPv4 (see the type's comment).
    public static func parseIPv6(_ text: UnsafeRawBufferPointer, port: UInt16 = 0) -> ClientAddress? {
        var bytes: (UInt64, UInt64) = (0, 0)
        let parsed = withUnsafeMutableBytes(of: &bytes) { out in parseIPv6Bytes(text, into: out) }
        guard parsed else { return nil }
        return withUnsafeBytes(of: &bytes) { ClientAddress(ipv6: $0, port: port) }
    }

    /// Either family: IPv6 when the text holds a ":".
    public static func parse(_ text: UnsafeRawBufferPointer, port: UInt16 = 0) -> ClientAddress? {
        text.contains(UInt8(ascii: ":")) ? parseIPv6(text, port: port) : parseIPv4(text, port: port)
    }

    /// Convenience for configuration and tests (allocates nothing beyond the String's view).
    public static func parse(_ text: String, port: UInt16 = 0) -> ClientAddress? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0), port: port) }
    }

    static func parseDottedQuad(_ text: UnsafeRawBufferPointer) -> (UInt8, UInt8, UInt8, UInt8)? {
        var parts: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        var part = 0
        var value = 0
        var digits = 0
        let ok = withUnsafeMutableBytes(of: &parts) { out -> Bool in
            for b in text {
                if b == UInt8(ascii: ".") {
                    guard digits > 0, part < 3 else { return false }
                    out[part] = UInt8(value)
                    part += 1
                    value = 0
                    digits = 0
                } else if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                    // No leading zero ("01"), as inet_pton.
                    if digits > 0 && value == 0 { return false }
                    value = value * 10 + Int(b - UInt8(ascii: "0"))
                    digits += 1
                    guard value <= 255 else { return false }
                } else {
                    return false
                }
            }
            guard digits > 0, part == 3 else { return false }
            out[3] = UInt8(value)
            return true
        }
        return ok ? parts : nil
    }

    /// Eight 16-bit groups into `out` (16 bytes, network order).
    static func parseIPv6Bytes(_ text: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
        let n = text.count
        guard n >= 2 else { return false }
        var groups = 0
        var gap = -1
        var i = 0
        if text[0] == UInt8(ascii: ":") {
            guard text[1] == UInt8(ascii: ":") else { return false }
            gap = 0
            i = 2
        }
        while i < n {
            let start = i
            var value = 0
            while i < n && ASCII.isHexDigit(text[i]) {
                // Only four digits count; more are refused below (or were a dotted tail's).
                if i - start < 4 { value = value << 4 | Int(ASCII.hexValue(text[i])) }
                i += 1
            }
            if i < n && text[i] == UInt8(ascii: ".") {
                // A dotted IPv4 tail takes the last two groups.
                guard groups <= 6, let (a, b, c, d) = parseDottedQuad(UnsafeRawBufferPointer(rebasing: text[start..<n])) else { return false }
                out[2 * groups] = a; out[2 * groups + 1] = b
                out[2 * groups + 2] = c; out[2 * groups + 3] = d
                groups += 2
                i = n
                break
            }
            guard i > start, i - start <= 4, groups < 8 else { return false }
            out[2 * groups] = UInt8(value >> 8)
            out[2 * groups + 1] = UInt8(value & 0xFF)
            groups += 1
            if i == n { break }
            guard text[i] == UInt8(ascii: ":") else { return false }
            i += 1
            if i < n && text[i] == UInt8(ascii: ":") {
                guard gap < 0 else { return false }
                gap = groups
                i += 1
            } else if i == n {
                // A trailing single ":".
                return false
            }
        }
        if gap >= 0 {
            // "::" stands for at least one zero group.
            guard groups < 8 else { return false }
            let shift = 8 - groups
            var g = groups - 1
            while g >= gap {
                out[2 * (g + shift)] = out[2 * g]
                out[2 * (g + shift) + 1] = out[2 * g + 1]
                g -= 1
            }
            for z in gap..<(gap + shift) { out[2 * z] = 0; out[2 * z + 1] = 0 }
        } else {
            guard groups == 8 else { return false }
        }
        return true
    }
}
