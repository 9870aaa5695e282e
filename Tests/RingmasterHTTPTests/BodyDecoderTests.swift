// BodyDecoder: Content-Length and chunked bodies (RFC 9112 §6.3, §7.1), split at every
// byte boundary, and the status for each framing error.

import Testing
import RingmasterHTTP

/// The outcome of decoding a whole input: body bytes, bytes consumed, final state.
struct Decoded: Equatable {
    var body: [UInt8] = []
    var consumed = 0
    var state: BodyState = .more
}

/// Decodes `input` fed as `pieces` (piece boundaries as offsets), the way a worker would:
/// unconsumed bytes stay pending and are offered again with the next piece.
func decode(_ framing: BodyFraming, _ input: [UInt8], cuts: [Int], limits: HTTPLimits = HTTPLimits()) -> Decoded {
    var decoder = BodyDecoder(framing: framing)
    var result = Decoded()
    var pending: [UInt8] = []
    var start = 0
    for cut in cuts + [input.count] {
        pending += input[start..<cut]
        start = cut
        while true {
            let step = pending.withUnsafeBytes { decoder.decode($0, limits: limits) }
            #expect(step.consumed <= pending.count && step.dataStart + step.dataLength <= step.consumed)
            result.body += pending[step.dataStart..<step.dataStart + step.dataLength]
            result.consumed += step.consumed
            pending.removeFirst(step.consumed)
            result.state = step.state
            if step.state != .more || step.consumed == 0 || pending.isEmpty { break }
        }
        if result.state != .more { break }
    }
    return result
}

/// Every way to cut `count` bytes into two pieces, plus one-byte pieces.
func splits(_ count: Int) -> [[Int]] {
    (0...count).map { [$0] } + [Array(1..<max(count, 1))]
}

let chunkedBody = bytes(
    "5;ext=1;name=\"q v\"\r\nhello\r\n6 \t;x\r\n world\r\n00a\r\n, chunked!\r\n0;last\r\nTrailer-A: 1\r\nB:  x\r\n\r\n")

/// A chunked body that must fail with `status`.
struct ChunkError: CustomTestStringConvertible, Sendable {
    var name: String
    var raw: String
    var status: UInt16
    var limits = HTTPLimits()
    var testDescription: String { "\(name) -> \(status)" }
}

let chunkErrors: [ChunkError] = [
    ChunkError(name: "no size digits", raw: "\r\n", status: 400),
    ChunkError(name: "invalid size", raw: "x\r\n", status: 400),
    ChunkError(name: "junk after size", raw: "5 x\r\nhello\r\n0\r\n\r\n", status: 400),
    ChunkError(name: "size overflow", raw: "10000000000000000\r\n", status: 400),
    ChunkError(name: "17 digits with leading zeros", raw: "00000000000000001\r\nx\r\n0\r\n\r\n", status: 400),
    ChunkError(name: "bare LF after size", raw: "5\nhello\r\n0\r\n\r\n", status: 400),
    ChunkError(name: "CR without LF after size", raw: "5\rhello\r\n0\r\n\r\n", status: 400),
    ChunkError(name: "bare LF after extension", raw: "5;a=b\nhello\r\n0\r\n\r\n", status: 400),
    ChunkError(name: "control byte in extension", raw: "5;a\u{01}\r\nhello\r\n0\r\n\r\n", status: 400),
    ChunkError(name: "extension too long", raw: "5;" + String(repeating: "e", count: 5000) + "\r\nhello\r\n0\r\n\r\n", status: 400),
    ChunkError(name: "bare LF after data", raw: "5\r\nhello\n0\r\n\r\n", status: 400),
    ChunkError(name: "missing CRLF after data", raw: "5\r\nhelloX\r\n0\r\n\r\n", status: 400),
    ChunkError(name: "CR then junk after data", raw: "5\r\nhello\rX0\r\n\r\n", status: 400),
    ChunkError(name: "bare LF in trailer", raw: "0\r\nA: b\n\r\n", status: 400),
    ChunkError(name: "bare LF as final line", raw: "0\r\n\n", status: 400),
    ChunkError(name: "obs-fold in trailer", raw: "0\r\nA: b\r\n c\r\n\r\n", status: 400),
    ChunkError(name: "space before colon in trailer", raw: "0\r\nA : b\r\n\r\n", status: 400),
    ChunkError(name: "NUL in trailer value", raw: "0\r\nA: \u{0}\r\n\r\n", status: 400),
    ChunkError(
        name: "chunked total too large", raw: "6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n", status: 413,
        limits: HTTPLimits(maxBodyBytes: 10)),
    ChunkError(name: "one chunk too large", raw: "100001\r\n", status: 413),
    ChunkError(
        name: "trailer section too large", raw: "0\r\nA: " + String(repeating: "v", count: 40) + "\r\n\r\n", status: 431,
        limits: HTTPLimits(maxHeaderBytes: 32)),
]

@Suite("Body decoder")
struct BodyDecoderTests {
    @Test func stateFitsInSixteenBytes() {
        #expect(MemoryLayout<BodyDecoder>.size <= 16)
    }

    @Test func noBodyIsComplete() {
        var decoder = BodyDecoder()
        #expect(decoder.isComplete)
        #expect(BodyDecoder(framing: .none).isComplete)
        #expect(BodyDecoder(framing: .contentLength(0)).isComplete)
        #expect(!BodyDecoder(framing: .contentLength(1)).isComplete)
        let step = bytes("GET").withUnsafeBytes { decoder.decode($0, limits: HTTPLimits()) }
        #expect(step == BodyStep(consumed: 0, dataStart: 0, dataLength: 0, state: .done))
    }

    @Test func contentLengthStopsAtTheEndOfTheBody() {
        let input = bytes("hello worldGET / HTTP/1.1")
        for cuts in splits(input.count) {
            let result = decode(.contentLength(11), input, cuts: cuts)
            #expect(result == Decoded(body: bytes("hello world"), consumed: 11, state: .done), "cuts \(cuts)")
        }
    }

    @Test func chunkedAtEverySplit() {
        let input = chunkedBody + bytes("NEXT")
        let expected = Decoded(body: bytes("hello world, chunked!"), consumed: chunkedBody.count, state: .done)
        for cuts in splits(input.count) {
            #expect(decode(.chunked, input, cuts: cuts) == expected, "cuts \(cuts)")
        }
    }

    @Test func chunkedWithUppercaseHexAndNoTrailers() {
        let input = bytes("A\r\n0123456789\r\n0\r\n\r\n")
        #expect(decode(.chunked, input, cuts: []) == Decoded(body: bytes("0123456789"), consumed: input.count, state: .done))
    }

    @Test func oneDataSpanPerCall() {
        var decoder = BodyDecoder(framing: .chunked)
        let input = bytes("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        input.withUnsafeBytes { buffer in
            let first = decoder.decode(buffer, limits: HTTPLimits())
            // The first call stops before the second chunk's data.
            #expect(first == BodyStep(consumed: 11, dataStart: 3, dataLength: 3, state: .more))
            let rest = UnsafeRawBufferPointer(rebasing: buffer[first.consumed...])
            let second = decoder.decode(rest, limits: HTTPLimits())
            #expect(second == BodyStep(consumed: rest.count, dataStart: 0, dataLength: 2, state: .done))
        }
        #expect(decoder.isComplete)
    }

    @Test(arguments: chunkErrors)
    func chunkedErrorAtEverySplit(_ error: ChunkError) {
        let input = bytes(error.raw)
        let whole = decode(.chunked, input, cuts: [], limits: error.limits)
        #expect(whole.state == .error(HTTPStatus(rawValue: error.status)))
        for cuts in splits(input.count) {
            let split = decode(.chunked, input, cuts: cuts, limits: error.limits)
            #expect(split.state == whole.state && split.body == whole.body, "cuts \(cuts)")
        }
    }

    @Test func errorIsSticky() {
        var decoder = BodyDecoder(framing: .chunked)
        let first = bytes("zz").withUnsafeBytes { decoder.decode($0, limits: HTTPLimits()) }
        #expect(first.state == .error(.badRequest))
        let again = bytes("5\r\n").withUnsafeBytes { decoder.decode($0, limits: HTTPLimits()) }
        #expect(again == BodyStep(consumed: 0, dataStart: 0, dataLength: 0, state: .error(.badRequest)))
        #expect(!decoder.isComplete)
    }
}
