// ClientAddress: RFC 5952 text for IPv6, dotted quads for IPv4, and parsing that accepts what
// glibc's inet_pton accepts (compared with inet_pton itself over fixed and generated inputs).
import Glibc
import Testing
@testable import RingmasterHTTP

struct ClientAddressTests {
    /// inet_pton's verdict and, when it accepts, inet_ntop's text of the same bytes.
    func libc(_ text: String) -> (family: Int32, bytes: [UInt8])? {
        var v4 = in_addr()
        if !text.contains(":"), inet_pton(AF_INET, text, &v4) == 1 {
            return (AF_INET, withUnsafeBytes(of: &v4) { Array($0) })
        }
        var v6 = in6_addr()
        if text.contains(":"), inet_pton(AF_INET6, text, &v6) == 1 {
            return (AF_INET6, withUnsafeBytes(of: &v6) { Array($0) })
        }
        return nil
    }

    func bytes(_ address: ClientAddress) -> [UInt8] {
        (0..<(address.family == .ipv4 ? 4 : 16)).map { address.byte($0) }
    }

    @Test func ipv4TextRoundTrips() {
        for text in ["0.0.0.0", "127.0.0.1", "192.0.2.255", "255.255.255.255", "10.20.30.40"] {
            let address = ClientAddress.parse(text, port: 8080)
            #expect(address?.family == .ipv4)
            #expect(address?.text == text)
            #expect(address?.port == 8080)
        }
    }

    /// RFC 5952 §4: no leading zeros, lowercase, "::" for the longest run of two or more zero
    /// groups (the first on a tie), a single zero group written as 0.
    @Test func ipv6TextIsCanonical() {
        let cases: [(String, String)] = [
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("::", "::"),
            ("::1", "::1"),
            ("fe80::", "fe80::"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("::ffff:192.0.2.1", "192.0.2.1"), // IPv4-mapped: stored as IPv4
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ]
        for (input, canonical) in cases {
            #expect(ClientAddress.parse(input)?.text == canonical, "\(input)")
        }
    }

    /// The canonical text is what inet_ntop writes (glibc follows RFC 5952 too), for every
    /// zero pattern of the eight groups.
    @Test func ipv6TextMatchesInetNtop() {
        for mask in 0..<256 {
            var raw = [UInt8](repeating: 0, count: 16)
            for group in 0..<8 where mask & (1 << group) != 0 { raw[2 * group] = 0x0A; raw[2 * group + 1] = UInt8(group) }
            let address = raw.withUnsafeBytes { ClientAddress(ipv6: $0, port: 0) }
            var text = [CChar](repeating: 0, count: 64)
            var bytes = in6_addr()
            withUnsafeMutableBytes(of: &bytes) { $0.copyBytes(from: raw) }
            inet_ntop(AF_INET6, &bytes, &text, 64)
            let expected = String(cString: text)
            if mask & 0b0011_1111 == 0 && mask != 0 && mask & 0b0100_0000 != 0 {
                // glibc writes the deprecated IPv4-compatible form (::a.b.c.d, RFC 4291
                // §2.5.5.1) dotted; RFC 5952 §5 keeps dotted for mapped addresses only.
                #expect(expected.contains("."), "\(expected)")
            } else if address.family == .ipv4 {
                #expect(expected.hasPrefix("::ffff:"), "\(expected)")
            } else {
                #expect(address.text == expected, "mask \(mask)")
            }
        }
    }

    @Test func parsingAgreesWithInetPton() {
        var inputs = ["1.2.3.4", "01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "", ".", "1.2.3.4 ",
                      "::", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "1:2:3:4:5:6::7:8",
                      "12345::", "::ffff:1.2.3.4", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
                      ":1::", "1:", "1::", "::g", "fe80::1%eth0", "[::1]", "0:0:0:0:0:0:0:0", "ABCD:EF01::", "1:2:3:4:5:6:7:",
                      "::1.2.3", "::01.2.3.4", "1.2.3.4::"]
        // Generated: random strings over the alphabet addresses are made of.
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefABCDEF:.".utf8)
        for _ in 0..<20000 {
            let length = Int.random(in: 1...20, using: &rng)
            inputs.append(String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self))
        }
        for input in inputs {
            let ours = ClientAddress.parse(input)
            let theirs = libc(input)
            #expect((ours == nil) == (theirs == nil), "\(input): ours \(String(describing: ours?.text)), inet_pton \(theirs != nil)")
            guard let ours, let theirs else { continue }
            if theirs.family == AF_INET6 && ours.family == .ipv4 {
                #expect(Array(theirs.bytes[12...]) == bytes(ours), "\(input)")
            } else {
                #expect(theirs.bytes == bytes(ours), "\(input)")
            }
        }
    }

    @Test func portsAndUnknownAreWritten() {
        let out = UnsafeMutableRawPointer.allocate(byteCount: ClientAddress.maxTextWithPortLength, alignment: 1)
        defer { out.deallocate() }
        func withPort(_ a: ClientAddress) -> String {
            String(decoding: UnsafeRawBufferPointer(start: out, count: a.writeWithPort(into: out)), as: UTF8.self)
        }
        #expect(withPort(ClientAddress.parse("192.0.2.1", port: 0)!) == "192.0.2.1:0")
        #expect(withPort(ClientAddress.parse("2001:db8::1", port: 65535)!) == "[2001:db8::1]:65535")
        let widest = ClientAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", port: 65535)!
        #expect(withPort(widest).utf8.count == ClientAddress.maxTextWithPortLength)
        #expect(ClientAddress.unknown.text == "-")
    }
}
