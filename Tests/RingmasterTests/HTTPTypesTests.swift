// Interop with swift-http-types: parsed heads become HTTPRequests with every field, and an
// HTTPResponse written as a head parses back to the same status and fields.
import HTTPTypes
import RingmasterHTTP
import RingmasterHTTPTypes
import Testing

@Suite struct HTTPTypesTests {
    @Test func parsedHeadBecomesHTTPRequest() throws {
        let text = "POST /api/items?id=7 HTTP/1.1\r\nHost: example.com:8080\r\nContent-Type: application/json\r\nX-Trace: a\r\nX-Trace: b\r\nContent-Length: 2\r\n\r\n{}"
        let bytes = Array(text.utf8)
        let fields = UnsafeMutableBufferPointer<HTTPHeaderField>.allocate(capacity: 16)
        defer { fields.deallocate() }
        fields.initialize(repeating: HTTPHeaderField())
        let request: HTTPRequest? = bytes.withUnsafeBytes { buffer in
            guard case .complete(let head) = RequestParser.parseHead(buffer, headers: fields, limits: HTTPLimits()) else { return nil }
            return head.httpRequest(in: buffer, fields: UnsafeBufferPointer(fields))
        }
        let r = try #require(request)
        #expect(r.method == .post)
        #expect(r.path == "/api/items?id=7")
        #expect(r.authority == "example.com:8080")
        #expect(r.scheme == "http")
        #expect(r.headerFields[.contentType] == "application/json")
        #expect(r.headerFields[values: HTTPField.Name("X-Trace")!] == ["a", "b"])
        #expect(r.headerFields.count == 4, "Host travels as the authority, not as a field")
    }

    @Test func httpResponseWritesAHeadThatParsesBack() throws {
        var response = HTTPResponse(status: .created)
        response.headerFields[.contentType] = "application/json"
        response.headerFields[.location] = "/api/items/7"
        response.headerFields[.contentLength] = "999"          // the writer's own length wins
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 1)
        defer { out.deallocate() }
        let server = Array("ringmaster".utf8)
        let written = server.withUnsafeBytes {
            ResponseWriter.writeHead(response, server: $0, date: HTTPDate(unixSeconds: 784111777), contentLength: 2, close: false, into: out)
        }
        let length = try #require(written)
        let head = String(decoding: UnsafeRawBufferPointer(rebasing: out[0..<length]), as: UTF8.self)
        #expect(head.hasPrefix("HTTP/1.1 201 Created\r\n"))
        #expect(head.contains("\r\nContent-Type: application/json\r\n"))
        #expect(head.contains("\r\nLocation: /api/items/7\r\n"))
        #expect(head.contains("\r\nContent-Length: 2\r\n"))
        #expect(!head.contains("999"))
        #expect(head.hasSuffix("\r\n\r\n"))
        let tooSmall = UnsafeMutableRawBufferPointer.allocate(byteCount: 20, alignment: 1)
        defer { tooSmall.deallocate() }
        let none = server.withUnsafeBytes {
            ResponseWriter.writeHead(response, server: $0, date: HTTPDate(unixSeconds: 0), contentLength: 2, close: true, into: tooSmall)
        }
        #expect(none == nil)
    }
}
