// Invalid request heads and the status each must get, one row per rejection rule.

import Testing
import RingmasterHTTP

/// One invalid head and the status the parser must return for it.
struct RejectCase: CustomTestStringConvertible, Sendable {
    var name: String
    var raw: String
    var status: UInt16
    var limits = HTTPLimits()
    var testDescription: String { "\(name) -> \(status)" }
}

/// "GET / HTTP/1.1\r\nHost: h\r\n" followed by `fields` and the empty line.
func get(_ fields: String) -> String { "GET / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n" }

/// A POST with `fields` and the empty line.
func post(_ fields: String) -> String { "POST / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n" }

let rejectCases: [RejectCase] = [
    // Request line (RFC 9112 §3).
    RejectCase(name: "empty method", raw: " / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "non-token method", raw: "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "method too long", raw: String(repeating: "X", count: 40) + " / HTTP/1.1\r\n\r\n", status: 501),
    RejectCase(name: "two spaces after method", raw: "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "tab separator", raw: "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "two spaces before version", raw: "GET /  HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "control byte in target", raw: "GET /a\u{01}b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "DEL in target", raw: "GET /a\u{7F} HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "non-ASCII in target", raw: "GET /caf\u{E9} HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "missing version", raw: "GET /\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", status: 505),
    RejectCase(name: "HTTP/1.2", raw: "GET / HTTP/1.2\r\nHost: h\r\n\r\n", status: 505),
    RejectCase(name: "HTTP/0.9 digits", raw: "GET / HTTP/0.9\r\n\r\n", status: 505),
    RejectCase(name: "garbage version", raw: "GET / HTTX/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "lowercase version", raw: "GET / http/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "two-digit major", raw: "GET / HTTP/11.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "trailing byte after version", raw: "GET / HTTP/1.1x\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(
        name: "oversized request line", raw: "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\n\r\n",
        status: 414, limits: HTTPLimits(maxRequestLine: 64)),
    // Line endings (RFC 9112 §2.2).
    RejectCase(name: "bare LF after request line", raw: "GET / HTTP/1.1\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "bare LF after field", raw: "GET / HTTP/1.1\r\nHost: h\n\r\n", status: 400),
    RejectCase(name: "bare LF as final line", raw: "GET / HTTP/1.1\r\nHost: h\r\n\n", status: 400),
    RejectCase(name: "bare LF as leading line", raw: "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400),
    RejectCase(name: "bare CR in request line", raw: "GET / HTTP/1.1\rHost: h\r\n\r\n", status: 400),
    RejectCase(name: "bare CR in value", raw: get("X: a\rb\r\n"), status: 400),
    RejectCase(name: "bare CR as final line", raw: "GET / HTTP/1.1\r\nHost: h\r\n\rX", status: 400),
    // Field lines (RFC 9112 §5, RFC 9110 §5.5).
    RejectCase(name: "space before colon", raw: get("Foo : bar\r\n"), status: 400),
    RejectCase(name: "tab before colon", raw: get("Foo\t: bar\r\n"), status: 400),
    RejectCase(name: "obs-fold", raw: get("Foo: bar\r\n  baz\r\n"), status: 400),
    RejectCase(name: "whitespace before first field", raw: "GET / HTTP/1.1\r\n Host: h\r\n\r\n", status: 400),
    RejectCase(name: "empty field name", raw: get(": v\r\n"), status: 400),
    RejectCase(name: "non-token field name", raw: get("Fo(o: v\r\n"), status: 400),
    RejectCase(name: "missing colon", raw: get("Foo\r\n"), status: 400),
    RejectCase(name: "NUL in value", raw: get("X: a\u{0}b\r\n"), status: 400),
    RejectCase(name: "control byte in value", raw: get("X: a\u{1B}b\r\n"), status: 400),
    RejectCase(name: "DEL in value", raw: get("X: a\u{7F}\r\n"), status: 400),
    // Host (RFC 9112 §3.2).
    RejectCase(name: "missing Host in 1.1", raw: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", status: 400),
    RejectCase(name: "duplicate Host", raw: get("Host: h\r\n"), status: 400),
    RejectCase(name: "Host with space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400),
    RejectCase(name: "Host with slash", raw: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400),
    RejectCase(name: "Host with userinfo", raw: "GET / HTTP/1.1\r\nHost: u@h\r\n\r\n", status: 400),
    RejectCase(name: "Host with bad port", raw: "GET / HTTP/1.1\r\nHost: h:8a\r\n\r\n", status: 400),
    RejectCase(name: "Host with bad pct-encoding", raw: "GET / HTTP/1.1\r\nHost: a%4\r\n\r\n", status: 400),
    RejectCase(name: "Host with unclosed IPv6", raw: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", status: 400),
    // Content-Length (RFC 9112 §6.3, RFC 9110 §8.6).
    RejectCase(name: "CL differing duplicates", raw: post("Content-Length: 5\r\nContent-Length: 6\r\n"), status: 400),
    RejectCase(name: "CL list with differing values", raw: post("Content-Length: 5, 6\r\n"), status: 400),
    RejectCase(name: "CL empty", raw: post("Content-Length:\r\n"), status: 400),
    RejectCase(name: "CL empty list element", raw: post("Content-Length: 5,\r\n"), status: 400),
    RejectCase(name: "CL non-digit", raw: post("Content-Length: 5a\r\n"), status: 400),
    RejectCase(name: "CL negative", raw: post("Content-Length: -1\r\n"), status: 400),
    RejectCase(name: "CL plus sign", raw: post("Content-Length: +5\r\n"), status: 400),
    RejectCase(name: "CL overflow", raw: post("Content-Length: 18446744073709551616\r\n"), status: 400),
    RejectCase(name: "CL too large", raw: post("Content-Length: 1048577\r\n"), status: 413),
    RejectCase(
        name: "CL above custom limit", raw: post("Content-Length: 11\r\n"), status: 413,
        limits: HTTPLimits(maxBodyBytes: 10)),
    // Transfer-Encoding (RFC 9112 §6.1, §6.3).
    RejectCase(name: "CL and TE", raw: post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), status: 400),
    RejectCase(name: "TE and CL", raw: post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), status: 400),
    RejectCase(name: "TE gzip", raw: post("Transfer-Encoding: gzip\r\n"), status: 501),
    RejectCase(name: "TE gzip, chunked", raw: post("Transfer-Encoding: gzip, chunked\r\n"), status: 501),
    RejectCase(name: "TE chunked, gzip (chunked not last)", raw: post("Transfer-Encoding: chunked, gzip\r\n"), status: 400),
    RejectCase(name: "TE chunked then gzip field", raw: post("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), status: 400),
    RejectCase(name: "TE chunked twice", raw: post("Transfer-Encoding: chunked, chunked\r\n"), status: 400),
    RejectCase(name: "TE empty", raw: post("Transfer-Encoding: \r\n"), status: 400),
    RejectCase(name: "TE chunked with parameter", raw: post("Transfer-Encoding: chunked;q=1\r\n"), status: 400),
    RejectCase(name: "TE garbage element", raw: post("Transfer-Encoding: chunked x\r\n"), status: 400),
    RejectCase(name: "TE in HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
    // Expect (RFC 9110 §10.1.1).
    RejectCase(name: "unknown expectation", raw: get("Expect: 200-ok\r\n"), status: 417),
    RejectCase(name: "expectation list with unknown member", raw: get("Expect: 100-continue, x\r\n"), status: 417),
    // Limits (RFC 6585 §5).
    RejectCase(
        name: "oversized head", raw: get("X: " + String(repeating: "v", count: 200) + "\r\n"), status: 431,
        limits: HTTPLimits(maxHeaderBytes: 128)),
    RejectCase(
        name: "too many headers", raw: get(String(repeating: "X: y\r\n", count: 4)), status: 431,
        limits: HTTPLimits(maxHeaderCount: 4)),
    RejectCase(
        name: "too many leading empty lines", raw: String(repeating: "\r\n", count: 100) + "GET / HTTP/1.1\r\n\r\n",
        status: 431, limits: HTTPLimits(maxHeaderBytes: 128)),
]

@Suite("Rejected request heads")
struct RejectionTests {
    @Test(arguments: rejectCases)
    func rejects(_ reject: RejectCase) {
        #expect(parse(bytes(reject.raw), limits: reject.limits) == .error(reject.status))
    }

    @Test func moreFieldsThanStorageIs431() {
        let raw = get(String(repeating: "X: y\r\n", count: 3))
        #expect(parse(bytes(raw), capacity: 3) == .error(431))
        #expect(parse(bytes(raw), capacity: 4) != .error(431))
    }

    @Test func longTargetIs414BeforeTheLineEnds() {
        let limits = HTTPLimits(maxRequestLine: 64)
        let raw = bytes("GET /" + String(repeating: "a", count: 100))
        #expect(parse(raw, limits: limits) == .error(414))
        // Right at the limit the line is still acceptable: 4 + 51 + 9 = 64.
        let fits = bytes("GET /" + String(repeating: "a", count: 50) + " HTTP/1.1\r\nHost: h\r\n\r\n")
        if case .complete = parse(fits, limits: limits) {} else { Issue.record("64-byte line rejected") }
        let over = bytes("GET /" + String(repeating: "a", count: 51) + " HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(parse(over, limits: limits) == .error(414))
    }

    @Test func headAtExactlyTheLimitIsAccepted() {
        let raw = bytes(get("X: abc\r\n"))
        if case .complete = parse(raw, limits: HTTPLimits(maxHeaderBytes: raw.count)) {} else {
            Issue.record("head of exactly maxHeaderBytes rejected")
        }
        #expect(parse(raw, limits: HTTPLimits(maxHeaderBytes: raw.count - 1)) == .error(431))
        // An unfinished head that already fills the limit is 431 without waiting.
        #expect(parse(Array(raw.dropLast(2)), limits: HTTPLimits(maxHeaderBytes: raw.count - 2)) == .error(431))
    }

    @Test func validHostForms() {
        for host in ["example.com", "EXAMPLE.com:80", "127.0.0.1", "[::1]", "[fe80::1]:8080", "a%2Db", "h:", "x_y~z!$&'()*+,;="] {
            let result = parse(bytes("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n"))
            if case .complete = result {} else { Issue.record("Host \(host) gave \(result)") }
        }
    }
}
