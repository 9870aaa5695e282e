// What an async handler returns: a Sendable value (status, content type, headers, body) that
// the worker writes as the deferred response once the handler's task ends on the worker.
import FoundationEssentials
import RingmasterHTTP

/// The answer of an async handler.
public struct AsyncResponse: Sendable {
    public var status: HTTPStatus
    public var contentType: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// A body written as it goes (`stream`), instead of `body`.
    var producer: (@Sendable (ResponseBodyWriter) async throws -> Void)?

    public init(status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8", headers: [(name: String, value: String)] = [],
                body: [UInt8] = []) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A text body.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> AsyncResponse {
        AsyncResponse(status: status, body: Array(text.utf8))
    }

    /// `value` as a JSON body (`application/json`).
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) throws -> AsyncResponse {
        AsyncResponse(status: status, contentType: "application/json", body: Array(try JSONEncoder().encode(value)))
    }

    /// A body written as it goes: the head goes out at once, `Transfer-Encoding: chunked` (or
    /// without a length when the connection closes after it), then what `produce` writes, with
    /// backpressure (each `write` returns once the worker has room for it). A `produce` that
    /// throws cuts the connection: the head promised a whole body.
    public static func stream(status: HTTPStatus = .ok, contentType: String = "application/octet-stream",
                              headers: [(name: String, value: String)] = [],
                              _ produce: @escaping @Sendable (ResponseBodyWriter) async throws -> Void) -> AsyncResponse {
        var response = AsyncResponse(status: status, contentType: contentType, headers: headers)
        response.producer = produce
        return response
    }

    /// The answer for an error a handler threw: an `HTTPError`'s status, message and headers;
    /// anything else a 500 (the caller logs it).
    static func failure(_ error: Error) -> AsyncResponse {
        guard let error = error as? HTTPError else { return .text("500 Internal Server Error\n", status: .internalServerError) }
        return AsyncResponse(status: error.status, headers: error.headers.map { ($0.name, $0.value) }, body: Array(error.message.utf8))
    }

    /// Writes it as the worker's `Response`.
    func write(into response: inout Response, writer: ResponseBodyWriter? = nil) {
        response.status = status
        response.contentType = contentType
        for header in headers { response.addHeader(header.name, header.value) }
        if let writer { response.bodyWriter = writer } else { response.write(body) }
    }
}
