// Valid request heads: the parsed fields, and that every strict prefix asks for more.

import Testing
import RingmasterHTTP

/// One valid request: the raw head, the body bytes after it, and what must be parsed.
struct ValidCase: CustomTestStringConvertible, Sendable {
    var name: String
    var head: String
    var method: HTTPMethod
    var target: String
    var version: HTTPVersion = .http11
    var headerCount: Int
    var framing: BodyFraming = .none
    var keepAlive = true
    var connectionClose = false
    var expectContinue = false
    var hostPresent = true
    var testDescription: String { name }
}

let validCases: [ValidCase] = [
    ValidCase(
        name: "GET with several headers",
        head: "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\n"
            + "Accept: */*\r\nAccept-Encoding: gzip, br\r\nX-Empty:\r\n\r\n",
        method: .get, target: "/index.html?q=1", headerCount: 5),
    ValidCase(
        name: "HEAD with padded value", head: "HEAD / HTTP/1.1\r\nHost:example.com:8080\r\nX-Pad: \t a b \t \r\n\r\n",
        method: .head, target: "/", headerCount: 2),
    ValidCase(
        name: "POST with Content-Length",
        head: "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\n",
        method: .post, target: "/submit", headerCount: 3, framing: .contentLength(5)),
    ValidCase(
        name: "POST chunked",
        head: "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
        method: .post, target: "/up", headerCount: 2, framing: .chunked),
    ValidCase(
        name: "chunked split over two TE fields",
        head: "PUT /x HTTP/1.1\r\nHost: h\r\ntransfer-encoding: ,\r\nTRANSFER-ENCODING: Chunked\r\n\r\n",
        method: .put, target: "/x", headerCount: 3, framing: .chunked),
    ValidCase(
        name: "HTTP/1.0 without keep-alive", head: "GET / HTTP/1.0\r\n\r\n",
        method: .get, target: "/", version: .http10, headerCount: 0, keepAlive: false, hostPresent: false),
    ValidCase(
        name: "HTTP/1.0 with keep-alive", head: "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\nExpect: 100-continue\r\n\r\n",
        method: .get, target: "/a", version: .http10, headerCount: 2, hostPresent: false),
    ValidCase(
        name: "Connection: close among options",
        head: "DELETE /r HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nConnection: foo, CLOSE\r\n\r\n",
        method: .delete, target: "/r", headerCount: 3, keepAlive: false, connectionClose: true),
    ValidCase(
        name: "obs-text in a value", head: "GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\u{E9} \u{2603}\r\n\r\n",
        method: .get, target: "/", headerCount: 2),
    ValidCase(
        name: "absolute-form target", head: "GET http://example.com:80/p?x=%20 HTTP/1.1\r\nHost: example.com:80\r\n\r\n",
        method: .get, target: "http://example.com:80/p?x=%20", headerCount: 1),
    ValidCase(
        name: "OPTIONS *", head: "OPTIONS * HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
        method: .options, target: "*", headerCount: 1),
    ValidCase(
        name: "leading empty lines", head: "\r\n\r\nPATCH /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0, 0\r\n\r\n",
        method: .patch, target: "/p", headerCount: 2, framing: .contentLength(0)),
    ValidCase(
        name: "Expect 100-continue and identical CL fields",
        head: "POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n",
        method: .post, target: "/e", headerCount: 4, framing: .contentLength(3), expectContinue: true),
    ValidCase(
        name: "CONNECT authority-form",
        head: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        method: .connect, target: "example.com:443", headerCount: 1),
    ValidCase(
        name: "extension method", head: "PROPFIND /dav HTTP/1.1\r\nHost: h\r\nDepth: 1\r\n\r\n",
        method: .other, target: "/dav", headerCount: 2),
    ValidCase(
        name: "empty Host (RFC 9112 §3.2)",
        head: "GET / HTTP/1.1\r\nHost:\r\n\r\n", method: .get, target: "/", headerCount: 1),
]

@Suite("Valid request heads")
struct ValidRequestTests {
    @Test(arguments: validCases)
    func parsesFields(_ valid: ValidCase) throws {
        let input = bytes(valid.head) + bytes("BODY")
        guard case .complete(let summary) = parse(input) else {
            Issue.record("not complete: \(parse(input))")
            return
        }
        #expect(summary.method == valid.method)
        #expect(summary.target == valid.target)
        #expect(summary.version == valid.version)
        #expect(summary.headers.count == valid.headerCount)
        #expect(summary.framing == valid.framing)
        #expect(summary.keepAlive == valid.keepAlive)
        #expect(summary.connectionClose == valid.connectionClose)
        #expect(summary.expectContinue == valid.expectContinue)
        #expect(summary.hostPresent == valid.hostPresent)
        #expect(summary.headLength == valid.head.utf8.count)
    }

    @Test(arguments: validCases)
    func everyStrictPrefixNeedsMore(_ valid: ValidCase) {
        let input = bytes(valid.head)
        for length in 0..<input.count {
            let result = parse(Array(input[..<length]))
            #expect(result == .needMore, "prefix of \(length) bytes gave \(result)")
        }
    }

    @Test func fieldOffsetsAndTrimming() {
        guard case .complete(let summary) = parse(bytes(validCases[1].head)) else {
            Issue.record("not complete")
            return
        }
        #expect(summary.headers == ["Host: example.com:8080", "X-Pad: a b"])
        #expect(summary.methodName == "HEAD")
    }

    @Test func methodStartAfterLeadingEmptyLines() {
        let input = bytes("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let fields = UnsafeMutableBufferPointer<HTTPHeaderField>.allocate(capacity: 4)
        fields.initialize(repeating: HTTPHeaderField())
        defer { fields.deallocate() }
        input.withUnsafeBytes { buffer in
            guard case .complete(let head) = RequestParser.parseHead(buffer, headers: fields, limits: HTTPLimits()) else {
                Issue.record("not complete")
                return
            }
            #expect(head.methodStart == 4 && head.methodLength == 3)
            #expect(head.targetStart == 8 && head.targetLength == 1)
            #expect(fields[0].nameStart == 20 && fields[0].valueStart == 26 && fields[0].valueLength == 1)
        }
    }

    @Test func methodsAreRecognisedCaseSensitively() {
        let table: [(String, HTTPMethod)] = [
            ("GET", .get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("DELETE", .delete),
            ("OPTIONS", .options), ("PATCH", .patch), ("TRACE", .trace), ("CONNECT", .connect),
            ("get", .other), ("GETS", .other), ("M-SEARCH", .other),
        ]
        for (name, method) in table {
            guard case .complete(let summary) = parse(bytes("\(name) / HTTP/1.1\r\nHost: h\r\n\r\n")) else {
                Issue.record("\(name) not complete")
                continue
            }
            #expect(summary.method == method, "\(name)")
        }
    }
}
