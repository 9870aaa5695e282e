// The PROXY protocol header a load balancer (HAProxy, AWS NLB, ...) sends before the first
// request, naming the client it accepted (haproxy.org/download/2.9/doc/proxy-protocol.txt).
// Version 1 is one text line, version 2 a binary block; a listener that expects one accepts
// either and refuses anything else, since a connection without it would otherwise be taken
// as coming from the balancer (docs/client-address.md). Restartable: given a prefix it says
// whether more bytes could still make a valid header.

/// What the start of a connection's bytes holds.
public enum ProxyHeaderResult: Equatable, Sendable {
    /// A valid prefix: wait for more bytes.
    case needMore
    /// Not a PROXY header (or a malformed one): the connection is refused.
    case invalid
    /// A header of `length` bytes naming `source` (the client) and `destination` (the address
    /// the client connected to), or `ClientAddress.unknown` for both when it carries no
    /// addresses (v1 UNKNOWN, v2 LOCAL or a non-IP family): the connection keeps its own.
    case complete(length: Int, source: ClientAddress, destination: ClientAddress)
}

public enum ProxyHeader {
    /// Version 1's longest line, CRLF included (the specification's 107 bytes).
    public static let v1MaxLength = 107
    /// Version 2's fixed part: signature, version and command, family, length.
    public static let v2FixedLength = 16
    /// `\r\n\r\n\0\r\nQUIT\n`, the 12 bytes that open version 2.
    public static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    static let v1Prefix: StaticString = "PROXY "

    /// Parses the header at the start of `bytes`. A version 2 header longer than `maxLength`
    /// (its TLVs are skipped, but must fit in memory the caller has) is invalid.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxLength: Int = 4096) -> ProxyHeaderResult {
        guard let first = bytes.first else { return .needMore }
        if first == UInt8(ascii: "P") { return parseVersion1(bytes) }
        if first == 0x0D { return parseVersion2(bytes, maxLength: maxLength) }
        return .invalid
    }

    // MARK: Version 1: "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"

    static func parseVersion1(_ bytes: UnsafeRawBufferPointer) -> ProxyHeaderResult {
        let prefixLength = v1Prefix.utf8CodeUnitCount
        let prefix = UnsafeRawBufferPointer(start: v1Prefix.utf8Start, count: prefixLength)
        let checked = min(bytes.count, prefixLength)
        for i in 0..<checked where bytes[i] != prefix[i] { return .invalid }
        if bytes.count <= prefixLength { return .needMore }
        // The line ends at the first CR, which must be followed by LF.
        var end = prefixLength
        while end < bytes.count && end < v1MaxLength && bytes[end] != 0x0D {
            guard bytes[end] != 0x0A else { return .invalid }
            end += 1
        }
        if end == bytes.count { return end >= v1MaxLength ? .invalid : .needMore }
        guard end < v1MaxLength - 1 else { return .invalid }
        if end + 1 == bytes.count { return .needMore }
        guard bytes[end + 1] == 0x0A else { return .invalid }
        let length = end + 2
        let line = UnsafeRawBufferPointer(rebasing: bytes[prefixLength..<end])
        // Space-separated fields: protocol, source, destination, source port, destination port.
        var fields = FieldSplitter(line)
        guard let proto = fields.next() else { return .invalid }
        if equals(proto, "UNKNOWN") {
            // The rest of the line is to be ignored (specification 2.1).
            return .complete(length: length, source: .unknown, destination: .unknown)
        }
        let isIPv4 = equals(proto, "TCP4")
        guard isIPv4 || equals(proto, "TCP6"),
              let sourceText = fields.next(), let destinationText = fields.next(),
              let sourcePortText = fields.next(), let destinationPortText = fields.next(),
              fields.atEnd,
              let sourcePort = port(sourcePortText), let destinationPort = port(destinationPortText) else { return .invalid }
        let source = isIPv4 ? ClientAddress.parseIPv4(sourceText, port: sourcePort) : ClientAddress.parseIPv6(sourceText, port: sourcePort)
        let destination = isIPv4 ? ClientAddress.parseIPv4(destinationText, port: destinationPort)
            : ClientAddress.parseIPv6(destinationText, port: destinationPort)
        guard let source, let destination else { return .invalid }
        return .complete(length: length, source: source, destination: destination)
    }

    /// A decimal port, 0-65535, without a leading zero (as the specification writes them).
    static func port(_ text: UnsafeRawBufferPointer) -> UInt16? {
        guard !text.isEmpty, text.count <= 5, text[0] != UInt8(ascii: "0") || text.count == 1 else { return nil }
        guard let value = ASCII.parseDecimal(text), value <= 65535 else { return nil }
        return UInt16(value)
    }

    static func equals(_ text: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        text.count == word.utf8CodeUnitCount && memcmpEqual(text, word)
    }

    static func memcmpEqual(_ text: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        let w = word.utf8Start
        for i in 0..<text.count where text[i] != w[i] { return false }
        return true
    }

    // MARK: Version 2: signature, ver_cmd, fam, len (big-endian), addresses, TLVs

    static func parseVersion2(_ bytes: UnsafeRawBufferPointer, maxLength: Int) -> ProxyHeaderResult {
        let checked = min(bytes.count, v2Signature.count)
        for i in 0..<checked where bytes[i] != v2Signature[i] { return .invalid }
        if bytes.count < v2FixedLength {
            // Version and command are checked as soon as they arrive.
            if bytes.count > 12 && bytes[12] >> 4 != 2 { return .invalid }
            return .needMore
        }
        let versionCommand = bytes[12]
        let family = bytes[13]
        let addressLength = Int(bytes[14]) << 8 | Int(bytes[15])
        let length = v2FixedLength + addressLength
        guard versionCommand >> 4 == 2, versionCommand & 0xF <= 1, length <= maxLength else { return .invalid }
        if bytes.count < length { return .needMore }
        // LOCAL (health checks from the balancer itself): the connection keeps its address.
        if versionCommand & 0xF == 0 { return .complete(length: length, source: .unknown, destination: .unknown) }
        let transport = family & 0xF
        guard transport <= 1 else { return .invalid } // DGRAM is not an HTTP connection
        let body = UnsafeRawBufferPointer(rebasing: bytes[v2FixedLength..<length])
        switch family >> 4 {
        case 0x1: // AF_INET: src 4, dst 4, sport 2, dport 2
            guard addressLength >= 12 else { return .invalid }
            let source = ClientAddress(ipv4: (body[0], body[1], body[2], body[3]), port: bigEndian(body, 8))
            let destination = ClientAddress(ipv4: (body[4], body[5], body[6], body[7]), port: bigEndian(body, 10))
            return .complete(length: length, source: source, destination: destination)
        case 0x2: // AF_INET6: src 16, dst 16, sport 2, dport 2
            guard addressLength >= 36 else { return .invalid }
            let source = ClientAddress(ipv6: UnsafeRawBufferPointer(rebasing: body[0..<16]), port: bigEndian(body, 32))
            let destination = ClientAddress(ipv6: UnsafeRawBufferPointer(rebasing: body[16..<32]), port: bigEndian(body, 34))
            return .complete(length: length, source: source, destination: destination)
        case 0x0, 0x3: // AF_UNSPEC, AF_UNIX: no IP address to take
            return .complete(length: length, source: .unknown, destination: .unknown)
        default:
            return .invalid
        }
    }

    static func bigEndian(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}

/// Splits a v1 line on single spaces; two spaces in a row (an empty field) end it.
struct FieldSplitter {
    let line: UnsafeRawBufferPointer
    var position = 0
    var failed = false

    init(_ line: UnsafeRawBufferPointer) { self.line = line }

    var atEnd: Bool { !failed && position > line.count }

    mutating func next() -> UnsafeRawBufferPointer? {
        guard !failed, position <= line.count else { return nil }
        var end = position
        while end < line.count && line[end] != UInt8(ascii: " ") { end += 1 }
        guard end > position else { failed = true; return nil }
        let field = UnsafeRawBufferPointer(rebasing: line[position..<end])
        position = end + 1
        return field
    }
}
