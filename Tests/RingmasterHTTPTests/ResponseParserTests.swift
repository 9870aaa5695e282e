// The upstream response parser: framing by RFC 9112 §6.3, keep-alive, every prefix of a
// valid head asking for more, and the smuggling shapes refused (CL with TE, two lengths,
// bare LF, obs-fold, space before the colon, TE in HTTP/1.0, a non-final chunked).
import Testing
@testable import RingmasterHTTP

struct ResponseParserTests {
    func parse(_ text: String, head: Bool = false, max: Int = 8192) -> ResponseParseResult {
        let fields = UnsafeMutableBufferPointer<HTTPHeaderField>.allocate(capacity: 16)
        defer { fields.deallocate() }
        return Array(text.utf8).withUnsafeBytes { ResponseParser.parseHead($0, headers: fields, maxHeadBytes: max, requestWasHead: head) }
    }

    func head(_ text: String, head isHead: Bool = false) -> ResponseHead? {
        if case .complete(let h) = parse(text, head: isHead) { return h }
        return nil
    }

    @Test func framingFollowsTheRFC() {
        #expect(head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n")?.framing == .contentLength(12))
        #expect(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?.framing == .chunked)
        #expect(head("HTTP/1.1 200 OK\r\n\r\n")?.framing == .untilClose)
        #expect(head("HTTP/1.1 200 OK\r\n\r\n")?.keepAlive == false, "a body to close cannot keep the connection")
        #expect(head("HTTP/1.1 204 No Content\r\n\r\n")?.framing == ResponseFraming.none)
        #expect(head("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n")?.framing == ResponseFraming.none)
        #expect(head("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", head: true)?.framing == ResponseFraming.none)
        #expect(head("HTTP/1.1 100 Continue\r\n\r\n")?.status == 100)
        #expect(head("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n")?.status == 404, "the reason phrase may be absent")
        #expect(head("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n")?.status == 200, "or empty")
    }

    @Test func keepAliveByVersionAndConnection() {
        #expect(head("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")?.keepAlive == true)
        #expect(head("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")?.keepAlive == false)
        #expect(head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")?.keepAlive == false)
        #expect(head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")?.keepAlive == true)
    }

    @Test func everyPrefixNeedsMore() {
        let text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
        let bytes = Array(text.utf8)
        for n in 0..<bytes.count {
            #expect(parse(String(decoding: bytes[0..<n], as: UTF8.self)) == .needMore, "prefix \(n)")
        }
        #expect(head(text)?.headLength == bytes.count)
        #expect(head(text)?.headerCount == 2)
    }

    @Test func smugglingShapesAreRefused() {
        for text in ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
                     "HTTP/1.1 200 OK\nContent-Length: 5\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: 5\n\r\n",
                     "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n",
                     "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                     "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n", "HTTP/1.1 600 X\r\n\r\n",
                     "HTTP/2.0 200 OK\r\n\r\n", "http/1.1 200 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n", "SSH-2.0-OpenSSH\r\n",
                     "HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\n\r\n"] {
            #expect(parse(text) == .invalid, "\(text.debugDescription)")
        }
        #expect(parse("HTTP/1.1 2x", max: 8192) == .invalid, "a bad status digit is refused before the line ends")
    }

    @Test func aHeadLongerThanTheLimitIsRefused() {
        let long = "HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: 200) + "\r\n\r\n"
        #expect(parse(long, max: 100) == .invalid)
        // Byte prefixes (a String's prefix counts "\r\n" as one Character).
        let bytes = Array(long.utf8)
        #expect(parse(String(decoding: bytes[0..<100], as: UTF8.self), max: 100) == .invalid)
        #expect(parse(String(decoding: bytes[0..<99], as: UTF8.self), max: 100) == .needMore)
    }
}
