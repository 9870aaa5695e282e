// Errors thrown by throwing handlers and middleware, and how each becomes a response: an
// `HTTPError` is its status with its message as a text body (an expected outcome such as 404
// or 401, not logged); anything else is a bug or an outage the client cannot act on, so it
// is a 500 with a generic body and the error goes to the worker's log, never to the client.
import RingmasterHTTP

/// An error that answers with `status` and `message` as a `text/plain` body.
///
/// ```swift
/// router.get("/items/{id}") { request, response throws in
///     guard let id = request.parameters.int("id") else { throw HTTPError(.badRequest, "id is not a number") }
///     guard let item = store.item(id) else { throw HTTPError(.notFound) }
///     ...
/// }
/// ```
public struct HTTPError: Error, Sendable, Equatable {
    public var status: HTTPStatus
    /// The body sent; by default the status's reason phrase and a newline ("Not Found\n").
    public var message: String
    /// Header lines to send with it, e.g. `WWW-Authenticate` with a 401.
    public var headers: [Header]

    /// A header line of an `HTTPError`.
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(_ status: HTTPStatus, _ message: String? = nil, headers: [Header] = []) {
        self.status = status
        self.message = message ?? "\(status.reasonPhrase)\n"
        self.headers = headers
    }
}

extension Response {
    /// Replaces what the failing layer wrote (its body, its header lines after `headerMark`,
    /// a file or a deferral) with the answer for `error`. Header lines written before the
    /// mark, by middleware outside the failing layer, stay. Logs errors that are not
    /// `HTTPError`, naming `route`.
    mutating func answer(_ error: any Error, headerMark: Int, route: String) {
        headerLength = min(headerLength, headerMark)
        clearBody()
        filePath = nil
        deferralID = 0
        failure = nil
        let type: StaticString = "text/plain; charset=utf-8"
        scratch.contentType.copyMemory(from: type.utf8Start, byteCount: type.utf8CodeUnitCount)
        contentTypeLength = type.utf8CodeUnitCount
        contentTypeSet = false
        if let error = error as? HTTPError {
            status = (200...999).contains(error.status.rawValue) ? error.status : .internalServerError
            for header in error.headers { addHeader(header.name, header.value) }
            write(error.message)
            return
        }
        worker.logger.error("worker \(worker.index): \(route): threw \(String(reflecting: error)); answered 500")
        status = .internalServerError
        write("500 Internal Server Error\n")
    }
}
