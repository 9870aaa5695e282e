// Interop with apple/swift-http-types: a parsed request head as an `HTTPRequest`, and an
// `HTTPResponse` written as a response head. For handler code and libraries that speak
// HTTPTypes; conversions allocate (Strings), so they belong off the zero-allocation path.
// A separate target, so RingmasterHTTP itself keeps no dependencies.
import HTTPTypes
import RingmasterHTTP

extension RequestHead {
    /// The request as an `HTTPRequest`: method, path (the request-target as sent),
    /// authority from `Host` (HTTPTypes carries Host only as the `:authority` pseudo-field),
    /// scheme "http", and every other header field in order. `fields` are
    /// the parser's fields for this head and `buffer` the bytes it parsed. Nil when the
    /// method or a field name is not acceptable to HTTPTypes (the parser already checks both
    /// as tokens, so only exotic inputs fail).
    public func httpRequest(in buffer: UnsafeRawBufferPointer, fields: UnsafeBufferPointer<HTTPHeaderField>) -> HTTPRequest? {
        guard let method = HTTPRequest.Method(String(decoding: methodName(in: buffer), as: UTF8.self)) else { return nil }
        var headerFields = HTTPFields()
        var authority: String?
        for field in fields.prefix(headerCount) {
            let nameText = String(decoding: field.name(in: buffer), as: UTF8.self)
            let value = field.value(in: buffer)
            if nameText.lowercased() == "host" {
                if authority == nil { authority = String(decoding: value, as: UTF8.self) }
                continue
            }
            guard let name = HTTPField.Name(nameText) else { return nil }
            // obs-text (bytes >= 0x80) passes the parser; HTTPTypes keeps such values leniently.
            headerFields.append(HTTPField(name: name, lenientValue: value))
        }
        let path = String(decoding: target(in: buffer), as: UTF8.self)
        return HTTPRequest(method: method, scheme: method == .connect ? nil : "http", authority: authority,
                           path: method == .connect ? nil : path, headerFields: headerFields)
    }
}

extension ResponseWriter {
    /// Writes `response`'s status line and fields, then `Server`, `Date` and
    /// `Content-Length` (which the caller's body decides; fields named Content-Length,
    /// Date or Server in `response` are skipped so they are never doubled), `Connection:
    /// close` when asked, and the blank line. Returns the bytes written, or nil when `into`
    /// is too small (nothing past it is written).
    public static func writeHead(_ response: HTTPResponse, server: UnsafeRawBufferPointer, date: HTTPDate, contentLength: UInt64,
                                 close: Bool, into output: UnsafeMutableRawBufferPointer) -> Int? {
        var extra: [UInt8] = []
        var contentType: [UInt8] = Array("application/octet-stream".utf8)
        for field in response.headerFields {
            switch field.name {
            case .contentLength, .date, .server, .connection, .transferEncoding: continue
            case .contentType: contentType = Array(field.value.utf8)
            default:
                extra += Array(field.name.rawName.utf8) + Array(": ".utf8) + Array(field.value.utf8) + [13, 10]
            }
        }
        let status = HTTPStatus(rawValue: UInt16(clamping: response.status.code))
        return extra.withUnsafeBytes { extraBytes in
            contentType.withUnsafeBytes { type in
                writeHead(status: status, server: server, date: date, contentType: type, contentLength: contentLength,
                          close: close, extraHeaders: extraBytes, into: output)
            }
        }
    }
}
