// The plain-HTTP port's answer when `tls.plain` is "redirect" (docs/tls.md): every request is
// sent to the same host and target over https, as nginx's
// `return 301 https://$host$request_uri` does. 301 for GET and HEAD; 308 for other methods,
// which must keep their method and body (RFC 9110 §15.4.9). The Location header is written
// into a scratch block the component owns, sized to the output chunk the head must fit in.
import RingmasterHTTP

/// Builds `Location: https://HOST[:PORT]TARGET\r\n` for requests on the plain port.
struct HTTPSRedirect: ~Copyable {
    /// The plain port redirects (a plain listener exists and `tls.plain` is "redirect").
    let enabled: Bool
    /// The TLS port; written after the host unless it is 443.
    let httpsPort: Int
    let scratch: UnsafeMutableRawPointer
    let capacity: Int

    init(enabled: Bool, httpsPort: Int, chunkSize: Int) {
        self.enabled = enabled
        self.httpsPort = httpsPort
        // The head around the header (status line, Server, Date, Content-Length...) needs
        // room in the same chunk.
        capacity = enabled ? max(chunkSize - 1024, 256) : 0
        scratch = .allocate(byteCount: max(capacity, 1), alignment: 64)
    }

    deinit { scratch.deallocate() }

    /// The status for `method`: 301, or 308 when the method is neither GET nor HEAD.
    static func status(for method: HTTPMethod) -> HTTPStatus {
        method == .get || method == .head ? .movedPermanently : .permanentRedirect
    }

    /// The Location header for the request, or nil when it names no host (an HTTP/1.0
    /// request without Host) or the header would not fit.
    func locationHeader(head: RequestHead, in buffer: UnsafeRawBufferPointer, fields: UnsafeBufferPointer<HTTPHeaderField>) -> UnsafeRawBufferPointer? {
        var host: UnsafeRawBufferPointer?
        var i = 0
        while i < head.headerCount {
            if ASCII.equalsCaseInsensitive(fields[i].name(in: buffer), "host") { host = fields[i].value(in: buffer) }
            i += 1
        }
        guard let host, let name = HTTPSRedirect.hostName(host) else { return nil }
        // An origin-form target as it came; an absolute-form one's path and query (its
        // authority is not trusted: the Host field names the host); "*" goes to "/".
        var target = HTTPSRedirect.pathAndQuery(head.target(in: buffer))
        if target.isEmpty { target = Worker.bytes("/") }
        var w = ByteWriter(UnsafeMutableRawBufferPointer(start: scratch, count: capacity))
        w.append("Location: https://")
        w.append(name)
        if httpsPort != 443 {
            w.append(":")
            w.appendDecimal(UInt64(httpsPort))
        }
        w.append(target)
        w.append("\r\n")
        return w.overflowed ? nil : UnsafeRawBufferPointer(start: scratch, count: w.count)
    }

    /// The path and query of a request target: origin-form as it is, absolute-form from
    /// the first "/" after its authority; empty for anything else ("*", an authority alone).
    static func pathAndQuery(_ target: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if target.first == UInt8(ascii: "/") { return target }
        var i = 0
        while i + 2 < target.count {
            if target[i] == UInt8(ascii: ":") && target[i + 1] == UInt8(ascii: "/") && target[i + 2] == UInt8(ascii: "/") {
                var slash = i + 3
                while slash < target.count && target[slash] != UInt8(ascii: "/") { slash += 1 }
                return UnsafeRawBufferPointer(rebasing: target[slash...])
            }
            i += 1
        }
        return UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// The host of a Host value without its port: "[::1]:80" → "[::1]", "a.example:80" →
    /// "a.example". Nil for an empty host or one that is not a host name (letters, digits,
    /// "-", ".", "_", "~"), an IPv4 address or a bracketed IPv6 one, so a Host of
    /// "evil.example/x?" cannot choose the Location's path.
    static func hostName(_ host: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard !host.isEmpty else { return nil }
        var end = host.count
        if host[0] == UInt8(ascii: "[") {
            guard let close = host.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            end = close + 1
        } else if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
            end = colon
        }
        guard end > 0 else { return nil }
        let name = UnsafeRawBufferPointer(rebasing: host[0..<end])
        let bracketed = name[0] == UInt8(ascii: "[")
        var i = 0
        while i < name.count {
            let byte = name[i]
            i += 1
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): continue
            case UInt8(ascii: ":") where bracketed: continue
            case UInt8(ascii: "[") where bracketed && i == 1: continue
            case UInt8(ascii: "]") where bracketed && i == name.count: continue
            default: return nil
            }
        }
        return name
    }
}
