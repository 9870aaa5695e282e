// Response status codes (RFC 9110 §15) as a thin wrapper over the numeric code, so any
// code can be sent while the common ones have names. Reason phrases live in
// HTTPStatus+ReasonPhrase.swift.

/// A response status code with its reason phrase.
public struct HTTPStatus: RawRepresentable, Hashable, Sendable {
    /// The three-digit status code.
    public var rawValue: UInt16

    /// Wraps a status code; codes outside 100...999 cannot be written by `ResponseWriter`.
    @inlinable
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 100 Continue (RFC 9110 §15.2.1), sent before reading an expected body.
    public static let `continue` = HTTPStatus(rawValue: 100)
    /// 200 OK.
    public static let ok = HTTPStatus(rawValue: 200)
    /// 201 Created.
    public static let created = HTTPStatus(rawValue: 201)
    /// 202 Accepted.
    public static let accepted = HTTPStatus(rawValue: 202)
    /// 204 No Content.
    public static let noContent = HTTPStatus(rawValue: 204)
    /// 206 Partial Content.
    public static let partialContent = HTTPStatus(rawValue: 206)
    /// 301 Moved Permanently.
    public static let movedPermanently = HTTPStatus(rawValue: 301)
    /// 302 Found.
    public static let found = HTTPStatus(rawValue: 302)
    /// 304 Not Modified.
    public static let notModified = HTTPStatus(rawValue: 304)
    /// 307 Temporary Redirect.
    public static let temporaryRedirect = HTTPStatus(rawValue: 307)
    /// 308 Permanent Redirect.
    public static let permanentRedirect = HTTPStatus(rawValue: 308)
    /// 400 Bad Request: malformed syntax or framing.
    public static let badRequest = HTTPStatus(rawValue: 400)
    /// 401 Unauthorized: credentials missing or wrong (send `WWW-Authenticate` with it).
    public static let unauthorized = HTTPStatus(rawValue: 401)
    /// 403 Forbidden.
    public static let forbidden = HTTPStatus(rawValue: 403)
    /// 404 Not Found.
    public static let notFound = HTTPStatus(rawValue: 404)
    /// 405 Method Not Allowed.
    public static let methodNotAllowed = HTTPStatus(rawValue: 405)
    /// 408 Request Timeout.
    public static let requestTimeout = HTTPStatus(rawValue: 408)
    /// 409 Conflict.
    public static let conflict = HTTPStatus(rawValue: 409)
    /// 410 Gone.
    public static let gone = HTTPStatus(rawValue: 410)
    /// 411 Length Required.
    public static let lengthRequired = HTTPStatus(rawValue: 411)
    /// 412 Precondition Failed.
    public static let preconditionFailed = HTTPStatus(rawValue: 412)
    /// 413 Content Too Large (RFC 9110 §15.5.14).
    public static let payloadTooLarge = HTTPStatus(rawValue: 413)
    /// 414 URI Too Long (RFC 9110 §15.5.15).
    public static let uriTooLong = HTTPStatus(rawValue: 414)
    /// 415 Unsupported Media Type.
    public static let unsupportedMediaType = HTTPStatus(rawValue: 415)
    /// 416 Range Not Satisfiable.
    public static let rangeNotSatisfiable = HTTPStatus(rawValue: 416)
    /// 417 Expectation Failed (RFC 9110 §15.5.18).
    public static let expectationFailed = HTTPStatus(rawValue: 417)
    /// 429 Too Many Requests (RFC 6585 §4).
    public static let tooManyRequests = HTTPStatus(rawValue: 429)
    /// 431 Request Header Fields Too Large (RFC 6585 §5).
    public static let requestHeaderFieldsTooLarge = HTTPStatus(rawValue: 431)
    /// 500 Internal Server Error.
    public static let internalServerError = HTTPStatus(rawValue: 500)
    /// 501 Not Implemented (RFC 9110 §15.6.2).
    public static let notImplemented = HTTPStatus(rawValue: 501)
    /// 502 Bad Gateway.
    public static let badGateway = HTTPStatus(rawValue: 502)
    /// 503 Service Unavailable.
    public static let serviceUnavailable = HTTPStatus(rawValue: 503)
    /// 504 Gateway Timeout.
    public static let gatewayTimeout = HTTPStatus(rawValue: 504)
    /// 505 HTTP Version Not Supported (RFC 9110 §15.6.6).
    public static let httpVersionNotSupported = HTTPStatus(rawValue: 505)
}
