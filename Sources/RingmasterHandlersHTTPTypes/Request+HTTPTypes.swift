// Interop for Swift handlers with apple/swift-http-types: the borrowed request view as an
// `HTTPRequest` or its `HTTPFields`, and an `HTTPResponse` (or `HTTPFields`) applied to the
// response being written. A target of its own so the server library does not depend on
// HTTPTypes; these conversions copy into Strings, so they are for handlers that want
// HTTPTypes more than they want zero allocations.
import HTTPTypes
import Ringmaster
import RingmasterHTTP
import RingmasterHTTPTypes

extension Request {
    /// The request as an `HTTPRequest` (method, scheme "http", authority from Host, the
    /// target as the path, every other field in order); nil when HTTPTypes refuses the
    /// method or a field name. The conversion of `RequestHead.httpRequest(in:fields:)`.
    public var httpRequest: HTTPRequest? {
        withHeadBytes { bytes, fields in head.httpRequest(in: bytes, fields: fields) }
    }

    /// Every header field as sent, Host included, in order. A field whose name HTTPTypes
    /// refuses is left out (the parser already requires tokens, so only exotic names are).
    public var httpFields: HTTPFields {
        var result = HTTPFields()
        forEachHeader { name, value in
            guard let fieldName = HTTPField.Name(String(decoding: name, as: UTF8.self)) else { return }
            result.append(HTTPField(name: fieldName, lenientValue: value))
        }
        return result
    }
}

extension Response {
    /// Takes `response`'s status and fields: Content-Type becomes `contentType`, the fields
    /// the server writes itself (Content-Length, Date, Server, Connection,
    /// Transfer-Encoding) are dropped, as `addHeader` does.
    public mutating func apply(_ response: HTTPResponse) {
        status = HTTPStatus(rawValue: UInt16(clamping: response.status.code))
        addHeaders(response.headerFields)
    }

    /// Adds every field of `fields` with `addHeader` (same checks).
    public mutating func addHeaders(_ fields: HTTPFields) {
        for field in fields { addHeader(field.name.rawName, field.value) }
    }
}
