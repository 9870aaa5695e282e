// What an async handler sees of a request: an owned, Sendable copy of the borrowed `Request`
// (method, target, headers, body, parameters, client), made once when the handler starts, so
// it can be held across `await`s and handed to other tasks. The copy allocates; the synchronous
// handlers' borrowed view stays the zero-allocation path (docs/handlers.md, "Async handlers").
import Foundation
import Logging
import RingmasterHTTP

/// An owned copy of a request, for `router.get(path) { request async throws in ... }`.
public struct AsyncRequest: Sendable {
    public let method: HTTPMethod
    /// The method as sent ("GET", or an extension method's name).
    public let methodName: String
    /// The path without the query, still percent-encoded.
    public let path: String
    /// The query after "?", or nil.
    public let query: String?
    /// Every field in order, names as sent.
    public let headers: [(name: String, value: String)]
    /// The whole decoded body (Content-Length or chunked), up to `limits.body_bytes`.
    public let body: [UInt8]
    /// The client (the peer, or the PROXY protocol header's address).
    public let client: ClientAddress
    /// The `{name}` path parameters, as sent.
    public let parameters: [(name: String, value: String)]
    /// What `**` matched, or nil.
    public let catchAll: String?
    /// The worker the handler runs on.
    public let workerIndex: Int
    /// The request id (the response echoes it).
    public let requestID: String
    /// The worker's logger; `logger` adds the request id when asked for (the metadata
    /// allocates, so only a handler that logs pays for it).
    let workerLogger: Logger

    /// The worker's logger with the request id as `request_id` metadata.
    public var logger: Logger {
        var logger = workerLogger
        logger[metadataKey: "request_id"] = .string(requestID)
        return logger
    }

    init(_ request: borrowing Request) {
        requestID = request.requestID
        workerLogger = request.worker.logger
        method = request.method
        methodName = request.methodName
        path = request.path
        query = request.query
        headers = request.headers
        body = request.body
        client = request.client
        parameters = request.parameters.all
        catchAll = request.parameters.catchAll
        workerIndex = request.worker.index
    }

    /// A request built in a test, without a worker.
    public init(method: HTTPMethod, path: String, query: String? = nil, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                parameters: [(name: String, value: String)] = []) {
        self.method = method
        methodName = "\(method)".uppercased()
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        client = .unknown
        self.parameters = parameters
        catchAll = nil
        workerIndex = 0
        requestID = ""
        workerLogger = Logger(label: "ringmaster.AsyncRequest")
    }

    /// The first field named `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Path parameter `name` as sent, or nil.
    public func parameter(_ name: String) -> String? { parameters.first { $0.name == name }?.value }

    /// Path parameter `name` as an integer, or nil.
    public func intParameter(_ name: String) -> Int? { parameter(name).flatMap { Int($0) } }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded from JSON; a body that does not decode is a 400 naming what was wrong
    /// (thrown as `HTTPError`, which the handler may let propagate).
    public func decode<T: Decodable>(_ type: T.Type) throws(HTTPError) -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(body)) } catch {
            throw HTTPError(.badRequest, "the request body is not a valid \(T.self): \(AsyncRequest.describe(error))\n")
        }
    }

    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        switch error {
        case .keyNotFound(let key, _): return "missing \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not JSON" : "bad \"\(path)\""
        @unknown default: return "not JSON"
        }
    }
}
