// The access log's pure pieces, without a server: escaping in both formats, the cut of a long
// target, the cached timestamps, whole lines (the JSON ones parsed back), and the buffer pair's
// bookkeeping (one write in flight, short writes, failures).
import Foundation
import Testing
import RingmasterHTTP
@testable import Ringmaster

@Suite struct AccessLogFormatTests {
    /// `bytes` escaped for `format` with room `capacity`, as text.
    func escaped(_ bytes: [UInt8], _ format: AccessLogFormat, capacity: Int = 1024) -> String {
        let out = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { out.deallocate() }
        let n = bytes.withUnsafeBytes { AccessLogLine.escape($0, format: format, into: out, capacity: capacity) }
        #expect(n <= capacity)
        return String(decoding: UnsafeRawBufferPointer(start: out, count: n), as: UTF8.self)
    }

    static let awkward: [UInt8] = Array("/a b\"c\\d".utf8) + [0x01, 0x0A, 0x7F, 0x80, 0xFF] + Array("?q=%22".utf8)

    @Test func commonEscapesControlQuoteBackslashAndHighBytesAsHex() {
        #expect(escaped(Self.awkward, .common) == #"/a b\x22c\x5Cd\x01\x0A\x7F\x80\xFF?q=%22"#)
        #expect(escaped(Array("/plain/path?x=1&y=2".utf8), .common) == "/plain/path?x=1&y=2")
    }

    @Test func jsonEscapesQuoteAndBackslashAndUsesUnicodeEscapesForTheRest() throws {
        let text = escaped(Self.awkward, .json)
        #expect(text == #"/a b\"c\\d\u0001\u000A\u007F\u0080\u00FF?q=%22"#)
        // A JSON parser reads it back as one string (each escaped byte one code point).
        let parsed = try JSONSerialization.jsonObject(with: Data(("[\"" + text + "\"]").utf8)) as? [String]
        #expect(parsed?.first?.unicodeScalars.count == Self.awkward.count)
    }

    @Test func longTargetsAreCutWithDotsAndNeverInsideAnEscape() {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 5000)
        let cut = escaped(long, .common, capacity: AccessLogRequest.targetCapacity)
        #expect(cut.utf8.count == AccessLogRequest.targetCapacity)
        #expect(cut.hasSuffix("aaa..."))
        // 0x01 escapes to four bytes in common and six in JSON: the cut falls between escapes.
        let controls = [UInt8](repeating: 0x01, count: 100)
        let common = escaped(controls, .common, capacity: 50)
        #expect(common == String(repeating: #"\x01"#, count: 11) + "...")
        let json = escaped(controls, .json, capacity: 50)
        #expect(json == String(repeating: #"\u0001"#, count: 7) + "...")
        #expect(escaped(Array("/exactly".utf8), .common, capacity: 11) == "/exactly")
    }

    @Test func timestampsInBothFormatsAreUTC() {
        let out = UnsafeMutableRawPointer.allocate(byteCount: AccessLogTimestamp.capacity, alignment: 8)
        defer { out.deallocate() }
        func stamp(_ seconds: Int, _ format: AccessLogFormat) -> String {
            let n = AccessLogTimestamp.write(unixSeconds: seconds, format: format, into: out)
            return String(decoding: UnsafeRawBufferPointer(start: out, count: n), as: UTF8.self)
        }
        #expect(stamp(1_795_889_064, .common) == "28/Nov/2026:18:04:24 +0000")
        #expect(stamp(1_795_889_064, .json) == "2026-11-28T18:04:24Z")
        #expect(stamp(951_782_405, .common) == "29/Feb/2000:00:00:05 +0000")
        #expect(stamp(0, .json) == "1970-01-01T00:00:00Z")
    }

    /// A whole line for a captured request (nil: unknown).
    func line(_ format: AccessLogFormat, client: ClientAddress = .unknown, method: String?, target: String = "/",
              version: HTTPVersion = .http11, referer: String? = nil, userAgent: String? = nil, start: UInt64 = 0, now: UInt64 = 0,
              upstream: String? = nil, upstreamMicroseconds: UInt64 = 0, status: UInt16, bytes: UInt64) -> String {
        let record = UnsafeMutableRawPointer.allocate(byteCount: AccessLogRequest.size, alignment: 8)
        let stamp = UnsafeMutableRawPointer.allocate(byteCount: AccessLogTimestamp.capacity, alignment: 8)
        let out = UnsafeMutableRawPointer.allocate(byteCount: AccessLogLine.maxLength, alignment: 8)
        defer { record.deallocate(); stamp.deallocate(); out.deallocate() }
        if let method {
            Array(method.utf8).withUnsafeBytes { m in
                Array(target.utf8).withUnsafeBytes { t in
                    let r = referer.map { Array($0.utf8) } ?? []
                    let u = userAgent.map { Array($0.utf8) } ?? []
                    r.withUnsafeBytes { rb in
                        u.withUnsafeBytes { ub in
                            AccessLogRequest.capture(method: m, target: t, version: version, referer: referer == nil ? nil : rb,
                                                     userAgent: userAgent == nil ? nil : ub, startNanoseconds: start,
                                                     format: format, into: record)
                        }
                    }
                }
            }
        }
        let stampLength = AccessLogTimestamp.write(unixSeconds: 1_795_889_064, format: format, into: stamp)
        let upstreamBytes = Array((upstream ?? "").utf8)
        let n = upstreamBytes.withUnsafeBytes { u in
            AccessLogLine.write(format: format, client: client, stamp: UnsafeRawBufferPointer(start: stamp, count: stampLength),
                                request: method == nil ? nil : UnsafeRawPointer(record), status: status, bodyBytes: bytes,
                                nowNanoseconds: now, upstream: upstream == nil ? nil : u, upstreamMicroseconds: upstreamMicroseconds, into: out)
        }
        #expect(n <= AccessLogLine.maxLength)
        return String(decoding: UnsafeRawBufferPointer(start: out, count: n), as: UTF8.self)
    }

    @Test func commonLines() {
        #expect(line(.common, method: "GET", target: "/path?q", status: 200, bytes: 1234)
                == "- - - [28/Nov/2026:18:04:24 +0000] \"GET /path?q HTTP/1.1\" 200 1234\n")
        #expect(line(.common, method: "HEAD", version: .http10, status: 404, bytes: 0)
                == "- - - [28/Nov/2026:18:04:24 +0000] \"HEAD / HTTP/1.0\" 404 -\n")
        #expect(line(.common, method: nil, status: 400, bytes: 16) == "- - - [28/Nov/2026:18:04:24 +0000] \"-\" 400 16\n")
    }

    /// combined: common, then the quoted Referer and User-Agent, "-" when not sent; JSON
    /// carries them as strings or null, and the request time in microseconds.
    @Test func combinedAndJSONCarryRefererUserAgentAndTime() throws {
        let client = ClientAddress.parse("192.0.2.7", port: 1)!
        #expect(line(.combined, client: client, method: "GET", referer: "https://a.example/p?q=\"1\"", userAgent: "curl/8.0", status: 200, bytes: 5)
                == #"192.0.2.7 - - [28/Nov/2026:18:04:24 +0000] "GET / HTTP/1.1" 200 5 "https://a.example/p?q=\x221\x22" "curl/8.0""# + "\n")
        #expect(line(.combined, client: client, method: "GET", userAgent: "", status: 200, bytes: 5)
                == "192.0.2.7 - - [28/Nov/2026:18:04:24 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"\"\n")
        #expect(line(.combined, method: nil, status: 400, bytes: 16) == #"- - - [28/Nov/2026:18:04:24 +0000] "-" 400 16 "-" "-""# + "\n")
        let json = line(.json, client: client, method: "GET", referer: "r\\", userAgent: "Mozilla/5.0 (X11)", start: 5_000_000, now: 7_345_678,
                        status: 200, bytes: 5)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["referer"] as? String == "r\\")
        #expect(object?["user_agent"] as? String == "Mozilla/5.0 (X11)")
        #expect(object?["request_time_us"] as? Int == 2345)
    }

    /// The host field is the client's address (nginx's `$remote_addr`); JSON adds its port.
    @Test func linesNameTheClient() throws {
        let v4 = ClientAddress.parse("192.0.2.7", port: 40000)!
        let v6 = ClientAddress.parse("2001:db8::1", port: 443)!
        #expect(line(.common, client: v4, method: "GET", status: 200, bytes: 1)
                == "192.0.2.7 - - [28/Nov/2026:18:04:24 +0000] \"GET / HTTP/1.1\" 200 1\n")
        #expect(line(.common, client: v6, method: "GET", status: 200, bytes: 1)
                == "2001:db8::1 - - [28/Nov/2026:18:04:24 +0000] \"GET / HTTP/1.1\" 200 1\n")
        let json = line(.json, client: v6, method: "GET", status: 204, bytes: 0)
        #expect(json == #"{"time":"2026-11-28T18:04:24Z","remote_addr":"2001:db8::1","remote_port":443,"method":"GET","target":"/","protocol":"HTTP/1.1","status":204,"bytes":0,"referer":null,"user_agent":null,"request_time_us":null,"upstream_addr":null,"upstream_time_us":null,"request_id":null}"# + "\n")
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["remote_addr"] as? String == "2001:db8::1")
    }

    /// A proxied answer's JSON line names its upstream and the time to its response head;
    /// combined stays nginx's combined, upstream or not.
    @Test func jsonLinesNameTheUpstream() throws {
        let json = line(.json, method: "GET", upstream: "127.0.0.1:9000", upstreamMicroseconds: 1234, status: 200, bytes: 3)
        #expect(json.hasSuffix(#","request_time_us":null,"upstream_addr":"127.0.0.1:9000","upstream_time_us":1234,"request_id":null}"# + "\n"), "\(json)")
        let unix = line(.json, method: "GET", upstream: "unix:/run/a\"b.sock", upstreamMicroseconds: 0, status: 502, bytes: 12)
        let object = try JSONSerialization.jsonObject(with: Data(unix.utf8)) as? [String: Any]
        #expect(object?["upstream_addr"] as? String == "unix:/run/a\"b.sock")
        #expect(object?["upstream_time_us"] as? Int == 0)
        #expect(line(.combined, method: "GET", upstream: "127.0.0.1:9000", upstreamMicroseconds: 1234, status: 200, bytes: 3)
                == #"- - - [28/Nov/2026:18:04:24 +0000] "GET / HTTP/1.1" 200 3 "-" "-""# + "\n")
        let long = line(.json, method: "GET", upstream: "unix:/" + String(repeating: "\u{1}", count: 100), status: 200, bytes: 1)
        #expect(long.utf8.count <= AccessLogLine.maxLength)
        #expect(try JSONSerialization.jsonObject(with: Data(long.utf8)) is [String: Any], "a cut address is still valid JSON")
    }

    @Test func jsonLinesParse() throws {
        let known = line(.json, method: "POST", target: "/a\"b", status: 201, bytes: 7)
        #expect(known == #"{"time":"2026-11-28T18:04:24Z","remote_addr":null,"remote_port":null,"method":"POST","target":"/a\"b","protocol":"HTTP/1.1","status":201,"bytes":7,"referer":null,"user_agent":null,"request_time_us":null,"upstream_addr":null,"upstream_time_us":null,"request_id":null}"# + "\n")
        let object = try JSONSerialization.jsonObject(with: Data(known.utf8)) as? [String: Any]
        #expect(object?["target"] as? String == "/a\"b")
        #expect(object?["status"] as? Int == 201)
        let unknown = line(.json, method: nil, status: 408, bytes: 20)
        #expect(unknown == #"{"time":"2026-11-28T18:04:24Z","remote_addr":null,"remote_port":null,"method":null,"target":null,"protocol":null,"status":408,"bytes":20,"referer":null,"user_agent":null,"request_time_us":null,"upstream_addr":null,"upstream_time_us":null,"request_id":null}"# + "\n")
        #expect(try JSONSerialization.jsonObject(with: Data(unknown.utf8)) is [String: Any])
    }

    @Test func theLongestLineFitsItsReserve() {
        let target = String(repeating: "\u{1}", count: 5000)
        let method = String(repeating: "M", count: 100)
        for format in AccessLogFormat.allCases {
            let widest = ClientAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", port: 65535)!
            let text = line(format, client: widest, method: method, target: target, referer: target, userAgent: target,
                            start: 1, now: UInt64.max, status: 599, bytes: UInt64.max)
            #expect(text.utf8.count <= AccessLogLine.maxLength)
            #expect(text.hasSuffix("\n"))
        }
    }

    @Test func bufferPairKeepsOneWriteInFlightAndContinuesShortWrites() throws {
        // #expect cannot take a ~Copyable value: every check reads into a local first.
        var pair = try AccessLogBuffer(capacity: 4096)
        var began = pair.beginWrite()
        #expect(!began, "nothing to write")
        pair.tail.initializeMemory(as: UInt8.self, repeating: 1, count: 100)
        pair.commit(100)
        began = pair.beginWrite()
        var writing = pair.isWriting
        var unwritten = pair.unwritten
        var pending = pair.pending
        #expect(began && writing && unwritten.count == 100 && pending == 0)
        // Lines go on into the other buffer while the first is being written.
        pair.tail.initializeMemory(as: UInt8.self, repeating: 2, count: 4096)
        pair.commit(4096)
        var room = pair.room
        began = pair.beginWrite()
        #expect(room == 0 && !began, "one write in flight at a time: the caller drops the next line")
        var finished = pair.complete(result: 40)
        unwritten = pair.unwritten
        #expect(!finished, "a short write continues")
        #expect(unwritten.count == 60 && unwritten.load(as: UInt8.self) == 1)
        finished = pair.complete(result: 60)
        writing = pair.isWriting
        #expect(finished && !writing)
        began = pair.beginWrite()
        unwritten = pair.unwritten
        room = pair.room
        #expect(began && unwritten.count == 4096 && unwritten.load(as: UInt8.self) == 2)
        #expect(room == 4096, "the first buffer is free again")
        // A failure drops the buffer's remaining bytes and frees it.
        finished = pair.complete(result: -28)
        writing = pair.isWriting
        began = pair.beginWrite()
        pending = pair.pending
        #expect(finished && !writing && !began && pending == 0)
    }
}
