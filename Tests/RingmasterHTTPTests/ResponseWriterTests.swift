// ResponseWriter: exact bytes of response heads (RFC 9112 §4, §5) and bounds safety.

import Testing
import RingmasterHTTP

/// Runs a writer against a buffer of `capacity` bytes guarded by canary bytes; returns
/// the written text (nil if the writer said the buffer was too small).
func write(
    capacity: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int?
) -> String? {
    let guardBytes = 16
    var storage = [UInt8](repeating: 0xAA, count: capacity + guardBytes)
    let written = storage.withUnsafeMutableBytes { all in
        body(UnsafeMutableRawBufferPointer(rebasing: all[0..<capacity]))
    }
    #expect(storage[capacity...].allSatisfy { $0 == 0xAA }, "wrote past the buffer")
    guard let written else { return nil }
    return String(decoding: storage[0..<written], as: UTF8.self)
}

/// A 200 head for `extra` raw headers with the fixed test inputs.
func okHead(close: Bool, extra: String, capacity: Int = 512) -> String? {
    let date = HTTPDate(unixSeconds: 784_111_777)
    return write(capacity: capacity) { out in
        bytes("Ringmaster").withUnsafeBytes { server in
            bytes("text/html").withUnsafeBytes { contentType in
                bytes(extra).withUnsafeBytes { extraHeaders in
                    ResponseWriter.writeHead(
                        status: .ok, server: server, date: date, contentType: contentType,
                        contentLength: 1234, close: close, extraHeaders: extraHeaders, into: out)
                }
            }
        }
    }
}

let expectedOK =
    "HTTP/1.1 200 OK\r\nServer: Ringmaster\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
    + "Content-Type: text/html\r\nContent-Length: 1234\r\n"

@Suite("Response writer")
struct ResponseWriterTests {
    @Test func headWithoutClose() {
        #expect(okHead(close: false, extra: "") == expectedOK + "\r\n")
    }

    @Test func noContentHasNoContentLength() {
        // RFC 9110 §8.6: a server MUST NOT send Content-Length in a 204.
        let head = write(capacity: 512) { out in
            bytes("Ringmaster").withUnsafeBytes { server in
                bytes("text/plain").withUnsafeBytes { contentType in
                    ResponseWriter.writeHead(status: .noContent, server: server, date: HTTPDate(unixSeconds: 784_111_777),
                                             contentType: contentType, contentLength: 0, close: false,
                                             extraHeaders: UnsafeRawBufferPointer(start: nil, count: 0), into: out)
                }
            }
        }
        #expect(head == "HTTP/1.1 204 No Content\r\nServer: Ringmaster\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: text/plain\r\n\r\n")
    }

    @Test func headWithCloseAndExtraHeaders() {
        let extra = "ETag: \"abc\"\r\nCache-Control: no-cache\r\n"
        #expect(okHead(close: true, extra: extra) == expectedOK + "Connection: close\r\n" + extra + "\r\n")
    }

    @Test func tooSmallBufferReturnsNilAndStaysInBounds() {
        let full = expectedOK.utf8.count + 2
        #expect(okHead(close: false, extra: "", capacity: full) == expectedOK + "\r\n")
        for capacity in 0..<full {
            #expect(okHead(close: false, extra: "", capacity: capacity) == nil, "capacity \(capacity)")
        }
    }

    @Test func errorResponse() {
        let date = HTTPDate(unixSeconds: 0)
        let expected =
            "HTTP/1.1 431 Request Header Fields Too Large\r\nServer: rm\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 36\r\nConnection: close\r\n\r\n"
            + "431 Request Header Fields Too Large\n"
        let run = { (capacity: Int) in
            write(capacity: capacity) { out in
                bytes("rm").withUnsafeBytes { server in
                    ResponseWriter.writeError(status: .requestHeaderFieldsTooLarge, server: server, date: date, into: out)
                }
            }
        }
        #expect(run(512) == expected)
        #expect(run(expected.utf8.count) == expected)
        for capacity in 0..<expected.utf8.count {
            #expect(run(capacity) == nil, "capacity \(capacity)")
        }
    }

    @Test func reasonPhrases() {
        #expect(HTTPStatus.notFound.reasonPhrase.description == "Not Found")
        #expect(HTTPStatus.httpVersionNotSupported.reasonPhrase.description == "HTTP Version Not Supported")
        #expect(HTTPStatus(rawValue: 599).reasonPhrase.description == "")
    }
}
