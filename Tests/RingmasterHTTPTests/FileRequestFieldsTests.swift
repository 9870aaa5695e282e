// Accept-Encoding negotiation for precompressed files, the one-pass field scan, and the file
// header lines.
import Testing
@testable import RingmasterHTTP

@Suite struct FileRequestFieldsTests {
    func allows(_ value: String?) -> Bool {
        guard let value else { return FileRequestFields.allowsGzip(nil) }
        return Array(value.utf8).withUnsafeBytes { FileRequestFields.allowsGzip($0) }
    }

    @Test func gzipNegotiation() {
        #expect(allows("gzip"))
        #expect(allows("deflate, GZIP"))
        #expect(allows("br;q=1.0, gzip;q=0.5"))
        #expect(allows("x-gzip"))
        #expect(allows("*"))
        #expect(allows("gzip ; q=0.001"))
        #expect(!allows(nil), "no field: the identity, never a surprise encoding")
        #expect(!allows(""))
        #expect(!allows("br"))
        #expect(!allows("gzip;q=0"))
        #expect(!allows("gzip; q=0.000"))
        #expect(!allows("*, gzip;q=0"), "an explicit refusal beats the wildcard")
        #expect(!allows("*;q=0"))
        #expect(!allows("gzipped"))
    }

    @Test func scanFindsEachFieldOnce() {
        let head = "GET / HTTP/1.1\r\nHost: a\r\nRANGE: bytes=1-2\r\nIf-None-Match: \"x\"\r\nAccept-Encoding: gzip\r\n"
            + "If-Modified-Since: Sat, 28 Nov 2026 18:00:00 GMT\r\nIf-Range: \"x\"\r\nRange: bytes=5-6\r\n\r\n"
        let fields = UnsafeMutableBufferPointer<HTTPHeaderField>.allocate(capacity: 16)
        defer { fields.deallocate() }
        fields.initialize(repeating: HTTPHeaderField())
        let bytes = Array(head.utf8)
        bytes.withUnsafeBytes { buffer in
            guard case .complete(let parsed) = RequestParser.parseHead(buffer, headers: fields, limits: HTTPLimits()) else {
                Issue.record("head did not parse")
                return
            }
            let found = FileRequestFields.scan(UnsafeBufferPointer(fields), count: parsed.headerCount, in: buffer)
            func text(_ value: UnsafeRawBufferPointer?) -> String? { value.map { String(decoding: $0, as: UTF8.self) } }
            #expect(text(found.range) == "bytes=1-2", "the first line wins")
            #expect(text(found.ifNoneMatch) == "\"x\"")
            #expect(text(found.acceptEncoding) == "gzip")
            #expect(text(found.ifModifiedSince) == "Sat, 28 Nov 2026 18:00:00 GMT")
            #expect(text(found.ifRange) == "\"x\"")
        }
    }

    @Test func fileHeadersCarryValidatorsAndEncoding() {
        var out = [UInt8](repeating: 0, count: FileHeaders.maxLength)
        let result = out.withUnsafeMutableBytes {
            FileHeaders.write(size: 1024, modificationSeconds: 1_700_000_000, modificationNanoseconds: 0, gzip: true, vary: true, into: $0)
        }
        let (length, tagLength) = try! #require(result)
        let text = String(decoding: out[0..<length], as: UTF8.self)
        #expect(text == "ETag: \"6553f100-400\"\r\nLast-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\nAccept-Ranges: bytes\r\n"
            + "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n")
        #expect(String(decoding: out[6..<(6 + tagLength)], as: UTF8.self) == "\"6553f100-400\"")
        #expect(out.withUnsafeMutableBytes {
            FileHeaders.write(size: 1, modificationSeconds: 0, modificationNanoseconds: 0, gzip: false, vary: false,
                              into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<20]))
        } == nil)
    }
}
