// What an async handler sees of a request: an owned, Sendable copy of the borrowed `Request`
// (method, target, headers, body, parameters, client), made once when the handler starts, so
// it can be held across `await`s and handed to other tasks. The copy allocates; the synchronous
// handlers' borrowed view stays the zero-allocation path (docs/handlers.md, "Async handlers").
import FoundationEssentials
import Logging
import RingmasterHTTP

/// An owned copy of a request, for `router.get(path) { request async throws in ... }`.
public struct AsyncRequest: Sendable {
    public let method: HTTPMethod
    /// The whole decoded body (Content-Length or chunked), up to `limits.body_bytes`; empty
    /// for a streaming route (RequestBody).
    public let body: [UInt8]
    /// The client (the peer, or the PROXY protocol header's address).
    public let client: ClientAddress
    /// The worker the handler runs on.
    public let workerIndex: Int
    /// The worker's logger; `logger` adds the request id when asked for (the metadata
    /// allocates, so only a handler that logs pays for it).
    let workerLogger: Logger
    /// Every text the request carries, copied once into one buffer (`PackedText`): the
    /// accessors below build their Strings only when asked.
    private let text: PackedText
    private let headerCount: Int
    private let parameterCount: Int

    /// Where each item sits in `text`: the fixed ones, then name and value per field, then
    /// name and value per parameter.
    private enum Item {
        static let methodName = 0, path = 1, query = 2, requestID = 3, catchAll = 4, firstField = 5
    }

    /// The method as sent ("GET", or an extension method's name).
    public var methodName: String { text.string(Item.methodName)! }
    /// The path without the query, still percent-encoded.
    public var path: String { text.string(Item.path)! }
    /// The query after "?", or nil.
    public var query: String? { text.string(Item.query) }
    /// The request id (the response echoes it).
    public var requestID: String { text.string(Item.requestID)! }
    /// What `**` matched, or nil.
    public var catchAll: String? { text.string(Item.catchAll) }
    /// Every field in order, names as sent.
    public var headers: [(name: String, value: String)] {
        (0..<headerCount).map { (text.string(Item.firstField + 2 * $0)!, text.string(Item.firstField + 2 * $0 + 1)!) }
    }
    /// The `{name}` path parameters, as sent.
    public var parameters: [(name: String, value: String)] {
        let first = Item.firstField + 2 * headerCount
        return (0..<parameterCount).map { (text.string(first + 2 * $0)!, text.string(first + 2 * $0 + 1)!) }
    }

    /// The worker's logger with the request id as `request_id` metadata.
    public var logger: Logger {
        var logger = workerLogger
        logger[metadataKey: "request_id"] = .string(requestID)
        return logger
    }

    init(_ request: borrowing Request) {
        workerLogger = request.worker.logger
        method = request.method
        body = request.body
        client = request.client
        workerIndex = request.worker.index
        headerCount = request.headerCount
        parameterCount = request.parameters.parameterCount
        // Two passes: the sizes first, so the buffer and its offsets are allocated once.
        var size = PackedText.Size()
        AsyncRequest.forEachText(of: request) { size.add($0) }
        var packed = PackedText(reserving: size)
        AsyncRequest.forEachText(of: request) { packed.append($0) }
        text = packed
    }

    /// Every text of `request`, in `Item` order: the fixed items, each field's name and value,
    /// each parameter's name and value.
    private static func forEachText(of request: borrowing Request, _ body: (UnsafeRawBufferPointer?) -> Void) {
        body(request.head.methodName(in: request.bytes))
        body(request.pathBytes)
        body(request.queryBytes)
        body(request.requestIDBytes)
        body(request.parameters.catchAllBytes)
        request.forEachHeader { name, value in
            body(name)
            body(value)
        }
        request.parameters.forEach { name, value in
            body(name)
            body(value)
        }
    }

    /// A request built in a test, without a worker.
    public init(method: HTTPMethod, path: String, query: String? = nil, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                parameters: [(name: String, value: String)] = []) {
        self.method = method
        self.body = body
        client = .unknown
        workerIndex = 0
        workerLogger = Logger(label: "ringmaster.AsyncRequest")
        headerCount = headers.count
        parameterCount = parameters.count
        var packed = PackedText(reserving: PackedText.Size())
        packed.append("\(method)".uppercased())
        packed.append(path)
        packed.append(query)
        packed.append("")
        packed.append(nil as String?)
        for (name, value) in headers {
            packed.append(name)
            packed.append(value)
        }
        for (name, value) in parameters {
            packed.append(name)
            packed.append(value)
        }
        text = packed
    }

    /// The first field named `name` (case-insensitive), or nil. Only its value is copied.
    public func header(_ name: String) -> String? {
        var i = 0
        while i < headerCount {
            if text.equalsCaseInsensitive(Item.firstField + 2 * i, name) { return text.string(Item.firstField + 2 * i + 1) }
            i += 1
        }
        return nil
    }

    /// Path parameter `name` as sent, or nil. Only its value is copied.
    public func parameter(_ name: String) -> String? {
        let first = Item.firstField + 2 * headerCount
        var i = 0
        while i < parameterCount {
            if text.equals(first + 2 * i, name) { return text.string(first + 2 * i + 1) }
            i += 1
        }
        return nil
    }

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
