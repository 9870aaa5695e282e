// The word-at-a-time scans must find a bad byte at any position in a word and must never
// read past the input: every prefix of each valid request is parsed with its last byte
// right before a PROT_NONE guard page (as picohttpparser's tests do).

import Testing
import RingmasterHTTP
#if canImport(Glibc)
import Glibc
#endif

@Suite("Scan boundaries")
struct ScanBoundaryTests {
    @Test func badByteAtEveryPositionOfAValue() {
        for length in 1...24 {
            for position in 0..<length {
                for bad: UInt8 in [0x00, 0x0B, 0x1F, 0x7F] {
                    var value = [UInt8](repeating: UInt8(ascii: "v"), count: length)
                    value[position] = bad
                    let input = bytes("GET / HTTP/1.1\r\nHost: h\r\nX: ") + value + bytes("\r\n\r\n")
                    #expect(parse(input) == .error(400), "length \(length) position \(position) byte \(bad)")
                }
            }
        }
    }

    @Test func tabAndObsTextAtEveryPositionOfAValue() {
        for length in 1...24 {
            for position in 0..<length {
                var value = [UInt8](repeating: UInt8(ascii: "v"), count: length)
                value[position] = position % 2 == 0 ? 0x09 : 0xFF
                let input = bytes("GET / HTTP/1.1\r\nHost: h\r\nX: ") + value + bytes(" \t\r\n\r\n")
                guard case .complete(let head) = parse(input) else {
                    Issue.record("length \(length) position \(position) rejected")
                    continue
                }
                // Only leading and trailing OWS is trimmed.
                var trimmed = value[...]
                while trimmed.first == 0x09 { trimmed = trimmed.dropFirst() }
                while trimmed.last == 0x09 { trimmed = trimmed.dropLast() }
                #expect(head.headers[1] == "X: " + String(decoding: trimmed, as: UTF8.self))
            }
        }
    }

    @Test func badByteAtEveryPositionOfATarget() {
        for length in 2...24 {
            for position in 1..<length {
                for bad: UInt8 in [0x00, 0x09, 0x7F, 0x80, 0xFF] {
                    var target = [UInt8](repeating: UInt8(ascii: "t"), count: length)
                    target[0] = UInt8(ascii: "/")
                    target[position] = bad
                    let input = bytes("GET ") + target + bytes(" HTTP/1.1\r\nHost: h\r\n\r\n")
                    #expect(parse(input) == .error(400), "length \(length) position \(position) byte \(bad)")
                }
            }
        }
    }

    #if canImport(Glibc)
    @Test func prefixesEndingAtAGuardPage() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapping = mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        let base = try #require(mapping == MAP_FAILED ? nil : mapping)
        defer { munmap(base, 2 * page) }
        #expect(mprotect(base + page, page, PROT_NONE) == 0)
        let fields = UnsafeMutableBufferPointer<HTTPHeaderField>.allocate(capacity: 64)
        fields.initialize(repeating: HTTPHeaderField())
        defer { fields.deallocate() }
        let inputs = validCases.map { bytes($0.head) } + [chunkedBody]
        for input in inputs {
            for length in 0...input.count {
                let start = base + page - length
                input.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: length) }
                let buffer = UnsafeRawBufferPointer(start: start, count: length)
                _ = RequestParser.parseHead(buffer, headers: fields, limits: HTTPLimits())
                var decoder = BodyDecoder(framing: .chunked)
                _ = decoder.decode(buffer, limits: HTTPLimits())
            }
        }
    }
    #endif
}
