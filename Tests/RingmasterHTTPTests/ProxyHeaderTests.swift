// The PROXY protocol header parser: v1 lines and v2 blocks from the specification's examples,
// every prefix of a valid header asking for more, and the malformed forms refused.
import Testing
@testable import RingmasterHTTP

struct ProxyHeaderTests {
    func parse(_ bytes: [UInt8], maxLength: Int = 4096) -> ProxyHeaderResult {
        bytes.withUnsafeBytes { ProxyHeader.parse($0, maxLength: maxLength) }
    }

    func parse(_ text: String) -> ProxyHeaderResult { parse(Array(text.utf8)) }

    /// A v2 header: signature, version 2 with `command`, `family`, then `body`.
    func version2(command: UInt8 = 1, family: UInt8, _ body: [UInt8]) -> [UInt8] {
        ProxyHeader.v2Signature + [0x20 | command, family, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    /// Every strict prefix needs more; the whole is `expected`; bytes after it are not taken.
    func checkPrefixes(_ header: [UInt8], _ expected: ProxyHeaderResult) {
        for n in 0..<header.count {
            #expect(parse(Array(header[0..<n])) == .needMore, "prefix \(n) of \(header.count)")
        }
        #expect(parse(header) == expected)
        #expect(parse(header + Array("GET / HTTP/1.1\r\n".utf8)) == expected)
    }

    @Test func version1Lines() {
        let tcp4 = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"
        checkPrefixes(Array(tcp4.utf8), .complete(length: tcp4.utf8.count, source: .parse("192.0.2.1", port: 56324)!,
                                                  destination: .parse("198.51.100.2", port: 443)!))
        let tcp6 = "PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n"
        checkPrefixes(Array(tcp6.utf8), .complete(length: tcp6.utf8.count, source: .parse("2001:db8::1", port: 65535)!,
                                                  destination: .parse("2001:db8::2", port: 0)!))
        let unknown = "PROXY UNKNOWN ffff::1 whatever\r\n"
        checkPrefixes(Array(unknown.utf8), .complete(length: unknown.utf8.count, source: .unknown, destination: .unknown))
        #expect(parse("PROXY UNKNOWN\r\n") == .complete(length: 15, source: .unknown, destination: .unknown))
    }

    /// The longest v1 line (107 bytes with CRLF: UNKNOWN with the widest addresses) is taken;
    /// one byte more is refused.
    @Test func version1LengthLimit() {
        let widest = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let longest = "PROXY UNKNOWN \(widest) \(widest) 65535 65535\r\n"
        #expect(longest.utf8.count == ProxyHeader.v1MaxLength)
        if case .complete(let length, _, _) = parse(longest) { #expect(length == 107) } else { Issue.record("longest line refused") }
        let tcp6 = "PROXY TCP6 \(widest) \(widest) 65535 65535\r\n"
        #expect(parse(tcp6) == .complete(length: 104, source: .parse(widest, port: 65535)!, destination: .parse(widest, port: 65535)!))
        let tooLong = "PROXY UNKNOWN " + String(repeating: "x", count: 92) + "\r\n"
        #expect(tooLong.utf8.count == 108)
        #expect(parse(tooLong) == .invalid)
        #expect(parse("PROXY UNKNOWN " + String(repeating: "x", count: 200)) == .invalid, "no CRLF within 107 bytes")
    }

    @Test func malformedVersion1IsRefused() {
        for line in ["GET / HTTP/1.1\r\n", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
                     "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
                     "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
                     "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
                     "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",
                     "PROXY \r\n", "PROXY TCP4\r\n", "XPROXY"] {
            #expect(parse(line) == .invalid, "\(line.debugDescription)")
        }
    }

    @Test func version2Addresses() {
        let inet = version2(family: 0x11, [192, 0, 2, 1, 198, 51, 100, 2, 0xDC, 0x04, 0x01, 0xBB])
        checkPrefixes(inet, .complete(length: 28, source: .parse("192.0.2.1", port: 56324)!, destination: .parse("198.51.100.2", port: 443)!))
        let source6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        let destination6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [2]
        let inet6 = version2(family: 0x21, source6 + destination6 + [0x00, 0x50, 0x1F, 0x90])
        checkPrefixes(inet6, .complete(length: 52, source: .parse("2001:db8::1", port: 80)!, destination: .parse("2001:db8::2", port: 8080)!))
        // TLVs after the addresses (here a PP2_TYPE_AUTHORITY) are skipped with the length.
        let withTLV = version2(family: 0x11, [10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2] + [0x02, 0x00, 0x03] + Array("a.b".utf8))
        #expect(parse(withTLV) == .complete(length: 34, source: .parse("10.0.0.1", port: 1)!, destination: .parse("10.0.0.2", port: 2)!))
    }

    /// LOCAL (a balancer's own health check), AF_UNSPEC and AF_UNIX carry no client address.
    @Test func version2WithoutAnAddress() {
        #expect(parse(version2(command: 0, family: 0x00, [])) == .complete(length: 16, source: .unknown, destination: .unknown))
        #expect(parse(version2(command: 0, family: 0x11, [UInt8](repeating: 9, count: 12)))
                == .complete(length: 28, source: .unknown, destination: .unknown))
        #expect(parse(version2(family: 0x00, [])) == .complete(length: 16, source: .unknown, destination: .unknown))
        #expect(parse(version2(family: 0x31, [UInt8](repeating: 0x41, count: 216)))
                == .complete(length: 232, source: .unknown, destination: .unknown))
    }

    @Test func malformedVersion2IsRefused() {
        var badSignature = version2(family: 0x11, [UInt8](repeating: 1, count: 12))
        badSignature[7] = 0x52
        #expect(parse(badSignature) == .invalid)
        var version1 = version2(family: 0x11, [UInt8](repeating: 1, count: 12))
        version1[12] = 0x11
        #expect(parse(Array(version1[0..<13])) == .invalid, "the version is refused as soon as it arrives")
        #expect(parse(version2(command: 2, family: 0x11, [UInt8](repeating: 1, count: 12))) == .invalid)
        #expect(parse(version2(family: 0x11, [UInt8](repeating: 1, count: 11))) == .invalid, "too short for AF_INET")
        #expect(parse(version2(family: 0x21, [UInt8](repeating: 1, count: 35))) == .invalid, "too short for AF_INET6")
        #expect(parse(version2(family: 0x12, [UInt8](repeating: 1, count: 12))) == .invalid, "DGRAM")
        #expect(parse(version2(family: 0x41, [UInt8](repeating: 1, count: 12))) == .invalid, "no such family")
        let huge = version2(family: 0x11, [UInt8](repeating: 1, count: 5000))
        #expect(parse(Array(huge[0..<16]), maxLength: 4096) == .invalid, "longer than the caller can hold")
    }
}
