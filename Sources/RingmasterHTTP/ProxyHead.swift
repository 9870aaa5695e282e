// The heads a proxied exchange writes (RFC 9110 §7.6): the request to the upstream and the
// response to the client, each the other side's fields minus the hop-by-hop ones, plus what a
// proxy adds (X-Forwarded-*, Via). Pure: bytes in, bytes out, no allocation.
public enum ProxyHead {
    /// Fields that describe one hop, never forwarded (RFC 9110 §7.6.1, and Proxy-Connection /
    /// Keep-Alive from older practice). Content-Length and Transfer-Encoding are written by
    /// the proxy itself; Expect was already answered here (the body is read before it is sent).
    static func isHopByHop(_ name: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 2: return ASCII.equalsCaseInsensitive(name, "te")
        case 6: return ASCII.equalsCaseInsensitive(name, "expect")
        case 7: return ASCII.equalsCaseInsensitive(name, "trailer") || ASCII.equalsCaseInsensitive(name, "upgrade")
        case 10: return ASCII.equalsCaseInsensitive(name, "connection") || ASCII.equalsCaseInsensitive(name, "keep-alive")
        case 14: return ASCII.equalsCaseInsensitive(name, "content-length")
        case 16: return ASCII.equalsCaseInsensitive(name, "proxy-connection")
        case 17: return ASCII.equalsCaseInsensitive(name, "transfer-encoding")
        case 19: return ASCII.equalsCaseInsensitive(name, "proxy-authorization")
        default: return false
        }
    }

    /// Whether `name` is listed in one of the head's Connection fields (those are hop-by-hop too).
    static func isNamedByConnection(_ name: UnsafeRawBufferPointer, fields: UnsafeBufferPointer<HTTPHeaderField>,
                                    in bytes: UnsafeRawBufferPointer) -> Bool {
        for field in fields where ASCII.equalsCaseInsensitive(field.name(in: bytes), "connection") {
            let value = field.value(in: bytes)
            guard let base = value.baseAddress else { continue }
            var list = ListCursor(base.assumingMemoryBound(to: UInt8.self), count: value.count)
            while let (start, length) = list.next() {
                if length == name.count && equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: value[start..<start + length]), name) { return true }
            }
        }
        return false
    }

    static func equalsIgnoringCase(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where ASCII.lowercased(a[i]) != ASCII.lowercased(b[i]) { return false }
        return true
    }

    /// The request for the upstream: the client's request line (HTTP/1.1, or HTTP/1.0 for an
    /// HTTP/1.0 client, so the upstream never answers it chunked) and end-to-end fields,
    /// `X-Forwarded-For`, `X-Forwarded-Proto` (`https` when the client came over TLS),
    /// `X-Forwarded-Host` from Host, `Via`, and
    /// `Content-Length: bodyLength` when there is a body (`Transfer-Encoding: chunked` instead
    /// with `chunked`, for a body streamed before its length is known). `X-Forwarded-For` is the client's
    /// address alone, or with `keepForwardedFor` (the client is a trusted proxy) the incoming
    /// fields' values in order, then the client. Nil when it does not fit `out`.
    public static func writeRequest(head: RequestHead, bytes: UnsafeRawBufferPointer, fields: UnsafeBufferPointer<HTTPHeaderField>,
                             client: ClientAddress, serverName: UnsafeRawBufferPointer, bodyLength: UInt64?, chunked: Bool = false,
                             keepForwardedFor: Bool = false, https: Bool = false, into out: UnsafeMutableRawBufferPointer) -> Int? {
        var w = ByteWriter(out)
        w.append(head.methodName(in: bytes))
        w.append(" ")
        w.append(head.target(in: bytes))
        w.append(head.version == .http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n")
        var host: UnsafeRawBufferPointer?
        for field in fields {
            let name = field.name(in: bytes)
            if isHopByHop(name) || isNamedByConnection(name, fields: fields, in: bytes) { continue }
            // Written below, after the other fields.
            if ASCII.equalsCaseInsensitive(name, "x-forwarded-for") { continue }
            if ASCII.equalsCaseInsensitive(name, "x-forwarded-proto") || ASCII.equalsCaseInsensitive(name, "x-forwarded-host") { continue }
            if ASCII.equalsCaseInsensitive(name, "host") { host = field.value(in: bytes) }
            w.append(name)
            w.append(": ")
            w.append(field.value(in: bytes))
            w.append("\r\n")
        }
        w.append("X-Forwarded-For: ")
        if keepForwardedFor {
            // From a trusted proxy: every incoming field, combined into one list in order
            // (RFC 9110 §5.3), then the client, as nginx's $proxy_add_x_forwarded_for. From
            // anyone else the list is not kept: a client could write any address into it.
            for field in fields where ASCII.equalsCaseInsensitive(field.name(in: bytes), "x-forwarded-for") {
                let value = field.value(in: bytes)
                guard !value.isEmpty else { continue }
                w.append(value)
                w.append(", ")
            }
        }
        w.appendAddress(client)
        w.append(https ? "\r\nX-Forwarded-Proto: https\r\n" : "\r\nX-Forwarded-Proto: http\r\n")
        if let host {
            w.append("X-Forwarded-Host: ")
            w.append(host)
            w.append("\r\n")
        }
        w.append(head.version == .http10 ? "Via: 1.0 " : "Via: 1.1 ")
        w.append(serverName)
        w.append("\r\n")
        if let bodyLength {
            w.append("Content-Length: ")
            w.appendDecimal(bodyLength)
            w.append("\r\n")
        } else if chunked {
            // A streamed chunked body (its length is not known yet): re-framed as chunks.
            w.append("Transfer-Encoding: chunked\r\n")
        }
        w.append("\r\n")
        return w.overflowed ? nil : w.count
    }

    /// The response for the client: the upstream's status line (as HTTP/1.1) and end-to-end
    /// fields, its Content-Length or (passed through) chunked Transfer-Encoding, `Via`, and
    /// `Connection: close` when the client connection ends after it. Nil when it does not fit.
    public static func writeResponse(head: ResponseHead, bytes: UnsafeRawBufferPointer, fields: UnsafeBufferPointer<HTTPHeaderField>,
                              serverName: UnsafeRawBufferPointer, close: Bool, into out: UnsafeMutableRawBufferPointer) -> Int? {
        var w = ByteWriter(out)
        // The status line after the version: " 200 OK\r\n" as the upstream wrote it.
        var lineEnd = 9
        while lineEnd < head.headLength && bytes[lineEnd] != 0x0D { lineEnd += 1 }
        w.append("HTTP/1.1")
        w.append(UnsafeRawBufferPointer(rebasing: bytes[8..<lineEnd]))
        w.append("\r\n")
        for field in fields {
            let name = field.name(in: bytes)
            if isHopByHop(name) || isNamedByConnection(name, fields: fields, in: bytes) { continue }
            w.append(name)
            w.append(": ")
            w.append(field.value(in: bytes))
            w.append("\r\n")
        }
        switch head.framing {
        case .contentLength(let length):
            w.append("Content-Length: ")
            w.appendDecimal(length)
            w.append("\r\n")
        case .chunked:
            w.append("Transfer-Encoding: chunked\r\n")
        case .none:
            // A HEAD response keeps the length a GET would get (RFC 9110 §8.6).
            for field in fields where ASCII.equalsCaseInsensitive(field.name(in: bytes), "content-length") {
                w.append("Content-Length: ")
                w.append(field.value(in: bytes))
                w.append("\r\n")
                break
            }
        case .untilClose:
            break
        }
        w.append(head.version == .http10 ? "Via: 1.0 " : "Via: 1.1 ")
        w.append(serverName)
        w.append("\r\n")
        if close { w.append("Connection: close\r\n") }
        w.append("\r\n")
        return w.overflowed ? nil : w.count
    }
}
