// Pipelined streams: several requests with bodies of both framings back to back must
// yield the same heads and bodies however the stream is split (RFC 9112 §9.3.2).

import Testing
import RingmasterHTTP

let pipelinedStream: [UInt8] =
    bytes("GET /one HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nX-Long: " + String(repeating: "z", count: 40) + "\r\n\r\n")
    + bytes("POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world")
    + bytes("POST /three HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") + chunkedBody
    + bytes("GET /four HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    + bytes("PUT /five HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
    + bytes("\r\nPOST /six HTTP/1.1\r\nHost: h\r\ntransfer-encoding: CHUNKED\r\n\r\n1\r\n!\r\n0\r\n\r\n")
    + bytes("GET /seven HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")

@Suite("Pipelined streams")
struct PipelineTests {
    @Test func wholeStreamYieldsEveryRequest() {
        let events = drive([pipelinedStream[...]])
        let targets = events.compactMap { event -> String? in
            if case .head(let head) = event { return head.target }
            return nil
        }
        let bodies = events.compactMap { event -> String? in
            if case .body(let body) = event { return String(decoding: body, as: UTF8.self) }
            return nil
        }
        #expect(targets == ["/one", "/two", "/three", "/four", "/five", "/six", "/seven"])
        #expect(bodies == ["", "hello world", "hello world, chunked!", "", "", "!", ""])
    }

    @Test func everyTwoPieceSplitMatches() {
        let whole = drive([pipelinedStream[...]])
        for cut in 0...pipelinedStream.count {
            let split = drive([pipelinedStream[..<cut], pipelinedStream[cut...]])
            #expect(split == whole, "cut at \(cut)")
        }
    }

    @Test func onePieceAtATimeMatches() {
        let whole = drive([pipelinedStream[...]])
        let pieces = pipelinedStream.indices.map { pipelinedStream[$0..<$0 + 1] }
        #expect(drive(pieces) == whole)
    }

    @Test func streamEndingInAnErrorMatchesAtEverySplit() {
        let stream = bytes("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok")
            + bytes("POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX")
            + bytes("GET /never HTTP/1.1\r\nHost: h\r\n\r\n")
        let whole = drive([stream[...]])
        #expect(whole.count == 4)  // head, body "ok", head, error
        #expect(whole.last == .error(400))
        for cut in 0...stream.count {
            #expect(drive([stream[..<cut], stream[cut...]]) == whole, "cut at \(cut)")
        }
    }
}
