// One access log line, written straight into the worker's log buffer from the cached
// timestamp, a captured request record and the response's status and body size. Escaping
// follows nginx: in the common format a byte below 0x20 or from 0x7F, `"` and `\` become
// `\xHH`; in JSON `"` and `\` get a backslash and the same bytes become `\u00HH`, so every
// line is valid JSON (and valid UTF-8) even for a target that is not.

import RingmasterHTTP

/// Formats access log lines into caller memory (at least `maxLength` bytes); never allocates.
enum AccessLogLine {
    /// The longest line either format writes: the capped request record plus fixed fields
    /// (JSON's upstream address escaped into at most `upstreamCapacity` bytes among them).
    static let maxLength = AccessLogRequest.size + 512 + upstreamCapacity + 96
    /// Room for JSON's `upstream_addr` value (a Unix path with bytes to escape is cut with "...").
    static let upstreamCapacity = 256

    /// Writes `bytes` escaped for `format` into `out`, at most `capacity` bytes; when the
    /// escaped bytes would not fit, stops early and ends with "..." instead. Returns the
    /// bytes written.
    static func escape(_ bytes: UnsafeRawBufferPointer, format: AccessLogFormat,
                       into out: UnsafeMutableRawPointer, capacity: Int) -> Int {
        var cursor = LogCursor(out)
        // Room is kept for the "..." of a cut, so a check per byte is enough.
        let limit = capacity - 3
        // A pattern, not `==`: a raw-value enum's `==` can resolve to the RawRepresentable
        // one, which compares Strings.
        var json = false
        if case .json = format { json = true }
        var index = 0
        while index < bytes.count {
            let b = bytes[index]
            let control = b < 0x20 || b >= 0x7F
            let quoteOrBackslash = b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")
            let needed = control ? (json ? 6 : 4) : quoteOrBackslash ? (json ? 2 : 4) : 1
            if cursor.count + needed > limit {
                cursor.literal("...")
                return cursor.count
            }
            if needed == 1 {
                cursor.byte(b)
            } else if json && !control {
                cursor.byte(UInt8(ascii: "\\"))
                cursor.byte(b)
            } else {
                cursor.literal(json ? "\\u00" : "\\x")
                cursor.hexDigit(b >> 4)
                cursor.hexDigit(b & 0xF)
            }
            index += 1
        }
        return cursor.count
    }

    /// Writes one line, newline included, and returns its length. `stamp` is the cached time
    /// (`AccessLogTimestamp`); `request` a captured record, or nil when the request line is
    /// unknown (a malformed head, a header timeout): "-" in the text formats, null in JSON.
    /// `nowNanoseconds` is the monotonic clock now, for JSON's request time (0 otherwise);
    /// `upstream` the address of the upstream that answered a proxied request and
    /// `upstreamMicroseconds` its time to the response head (JSON only; null when nil).
    static func write(format: AccessLogFormat, client: ClientAddress = .unknown, stamp: UnsafeRawBufferPointer, request: UnsafeRawPointer?,
                      status: UInt16, bodyBytes: UInt64, nowNanoseconds: UInt64 = 0, upstream: UnsafeRawBufferPointer? = nil,
                      upstreamMicroseconds: UInt64 = 0, requestID: UnsafeRawBufferPointer? = nil, into out: UnsafeMutableRawPointer) -> Int {
        var c = LogCursor(out)
        switch format {
        case .common, .combined:
            // host (the client's address, "-" when unknown), ident and user.
            c.advance(client.write(into: c.position))
            c.literal(" - - [")
            c.bytes(stamp.baseAddress!, count: stamp.count)
            c.literal("] \"")
            if let request {
                c.bytes(request + AccessLogRequest.methodOffset, count: AccessLogRequest.methodLength(request))
                c.byte(UInt8(ascii: " "))
                c.bytes(request + AccessLogRequest.targetOffset, count: AccessLogRequest.targetLength(request))
                c.byte(UInt8(ascii: " "))
                c.literal(AccessLogRequest.protocolName(request))
            } else {
                c.byte(UInt8(ascii: "-"))
            }
            c.literal("\" ")
            c.decimal(UInt64(status))
            c.byte(UInt8(ascii: " "))
            // CLF's %b: "-" when no body byte was sent.
            if bodyBytes == 0 { c.byte(UInt8(ascii: "-")) } else { c.decimal(bodyBytes) }
            if case .combined = format {
                // nginx's "$http_referer" "$http_user_agent": "-" for a field not sent.
                c.literal(" \"")
                quotedText(&c, request.flatMap(AccessLogRequest.referer))
                c.literal("\" \"")
                quotedText(&c, request.flatMap(AccessLogRequest.userAgent))
                c.byte(UInt8(ascii: "\""))
            }
        case .json:
            c.literal("{\"time\":\"")
            c.bytes(stamp.baseAddress!, count: stamp.count)
            if client.family == .unknown {
                c.literal("\",\"remote_addr\":null,\"remote_port\":null,")
            } else {
                c.literal("\",\"remote_addr\":\"")
                c.advance(client.write(into: c.position))
                c.literal("\",\"remote_port\":")
                c.decimal(UInt64(client.port))
                c.byte(UInt8(ascii: ","))
            }
            if let request {
                c.literal("\"method\":\"")
                c.bytes(request + AccessLogRequest.methodOffset, count: AccessLogRequest.methodLength(request))
                c.literal("\",\"target\":\"")
                c.bytes(request + AccessLogRequest.targetOffset, count: AccessLogRequest.targetLength(request))
                c.literal("\",\"protocol\":\"")
                c.literal(AccessLogRequest.protocolName(request))
                c.literal("\",\"status\":")
            } else {
                c.literal("\"method\":null,\"target\":null,\"protocol\":null,\"status\":")
            }
            c.decimal(UInt64(status))
            c.literal(",\"bytes\":")
            c.decimal(bodyBytes)
            c.literal(",\"referer\":")
            jsonString(&c, request.flatMap(AccessLogRequest.referer))
            c.literal(",\"user_agent\":")
            jsonString(&c, request.flatMap(AccessLogRequest.userAgent))
            c.literal(",\"request_time_us\":")
            let start = request.map(AccessLogRequest.startNanoseconds) ?? 0
            if start == 0 || nowNanoseconds < start { c.literal("null") } else { c.decimal((nowNanoseconds - start) / 1000) }
            // nginx's $upstream_addr and $upstream_header_time (in microseconds here).
            if let upstream {
                c.literal(",\"upstream_addr\":\"")
                c.advance(escape(upstream, format: format, into: c.position, capacity: upstreamCapacity))
                c.literal("\",\"upstream_time_us\":")
                c.decimal(upstreamMicroseconds)
            } else {
                c.literal(",\"upstream_addr\":null,\"upstream_time_us\":null")
            }
            // Letters, digits and "-_.:" only (RequestIDs.isValid), so nothing to escape.
            c.literal(",\"request_id\":")
            if let requestID, let base = requestID.baseAddress {
                c.byte(UInt8(ascii: "\""))
                c.bytes(base, count: min(requestID.count, RequestIDs.maxLength))
                c.byte(UInt8(ascii: "\""))
            } else {
                c.literal("null")
            }
            c.byte(UInt8(ascii: "}"))
        }
        c.byte(UInt8(ascii: "\n"))
        return c.count
    }

    /// An escaped field inside quotes, or "-" when absent.
    @inline(__always)
    static func quotedText(_ c: inout LogCursor, _ value: UnsafeRawBufferPointer?) {
        if let value { c.bytes(value.baseAddress!, count: value.count) } else { c.byte(UInt8(ascii: "-")) }
    }

    /// A JSON string, or null when absent.
    @inline(__always)
    static func jsonString(_ c: inout LogCursor, _ value: UnsafeRawBufferPointer?) {
        guard let value else { c.literal("null"); return }
        c.byte(UInt8(ascii: "\""))
        c.bytes(value.baseAddress!, count: value.count)
        c.byte(UInt8(ascii: "\""))
    }
}
