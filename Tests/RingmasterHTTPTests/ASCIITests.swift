// ASCII helpers used by routing code, and the byte classes behind the parser.

import Testing
import RingmasterHTTP

@Suite("ASCII helpers")
struct ASCIITests {
    @Test func caseInsensitiveEquality() {
        let check = { (text: String, literal: StaticString) in
            bytes(text).withUnsafeBytes { ASCII.equalsCaseInsensitive($0, literal) }
        }
        #expect(check("Content-Length", "content-length"))
        #expect(check("KEEP-ALIVE", "keep-alive"))
        #expect(check("", ""))
        #expect(!check("close ", "close"))
        #expect(!check("clos", "close"))
        // "-" (0x2D) must not match CR (0x0D) even though they differ only in bit 5.
        #expect(!check("a\rb", "a-b"))
        #expect(!check("@", "`"))
    }

    @Test(arguments: [
        ("0", UInt64?.some(0)), ("42", 42), ("007", 7), ("18446744073709551615", UInt64.max),
        ("18446744073709551616", nil), ("", nil), ("4 2", nil), ("-1", nil), ("+1", nil), ("1a", nil),
    ])
    func decimalParsing(text: String, expected: UInt64?) {
        #expect(bytes(text).withUnsafeBytes { ASCII.parseDecimal($0) } == expected)
    }

    @Test func tokenCharactersMatchRFC9110() {
        // tchar (RFC 9110 §5.6.2), checked through the parser: a one-byte field name.
        let tchars = Set(bytes("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        for byte in UInt8.min...UInt8.max where byte != UInt8(ascii: "\r") {
            let input = bytes("GET / HTTP/1.1\r\nHost: h\r\n") + [byte] + bytes(": v\r\n\r\n")
            let accepted = parse(input) != .error(400)
            #expect(accepted == tchars.contains(byte), "byte \(byte)")
        }
    }
}
