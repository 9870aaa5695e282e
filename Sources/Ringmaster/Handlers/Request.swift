// What a handler sees of a request: a borrowed view over the bytes the worker parsed (the
// receive buffer, or for a request with a body the connection's collected copy) and the
// parser's field offsets. Nothing is copied until an accessor builds a String or an Array,
// so the byte accessors cost no allocation.
import Logging
import RingmasterHTTP

/// A request, borrowed for the duration of one handler call.
///
/// Lifetime: the view and every `UnsafeRawBufferPointer` it hands out point into worker
/// memory that is reused as soon as the handler returns. Copy what must outlive the call
/// (`path`, `header(_:)`, `body` and the other String/Array accessors copy). The type is
/// `~Copyable` so the view itself cannot be stored.
public struct Request: ~Copyable {
    /// The parsed head; its offsets are into the bytes `withHeadBytes` hands out.
    public let head: RequestHead
    /// The bytes the head was parsed from.
    let bytes: UnsafeRawBufferPointer
    /// The parser's fields for this head (exactly `head.headerCount`).
    let fields: UnsafeBufferPointer<HTTPHeaderField>
    /// The whole decoded body (Content-Length or chunked); empty without one.
    public let bodyBytes: UnsafeRawBufferPointer
    /// The client: the connection's peer, or the address its PROXY protocol header named
    /// (docs/client-address.md). `client.text` is its address as text, `client.port` its port.
    public let client: ClientAddress
    /// The worker running this handler: its timers, its index.
    public let worker: WorkerContext
    /// The path parameters of a pattern route (`/items/{id}`: `parameters["id"]`,
    /// `parameters.int("id")`, `parameters.catchAll` for `**`); empty for other routes.
    public let parameters: Parameters
    /// The request's id (docs/handlers.md, "Request ids and logging"): its `X-Request-Id` when
    /// that is a sane token, else one the worker made; the response echoes it. Empty outside
    /// a worker (RouterTester).
    public let requestIDBytes: UnsafeRawBufferPointer
    /// A streaming route's body, still arriving (RequestBody); nil for every other request.
    let bodyChannel: BodyChannel?

    init(head: RequestHead, bytes: UnsafeRawBufferPointer, fields: UnsafeBufferPointer<HTTPHeaderField>,
         body: UnsafeRawBufferPointer, client: ClientAddress, worker: WorkerContext, parameters: Parameters = Parameters(),
         requestID: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0), bodyChannel: BodyChannel? = nil) {
        requestIDBytes = requestID
        self.bodyChannel = bodyChannel
        self.client = client
        self.parameters = parameters
        self.head = head
        self.bytes = bytes
        self.fields = UnsafeBufferPointer(rebasing: fields[0..<head.headerCount])
        bodyBytes = body
        self.worker = worker
    }

    /// The request id as text (copied).
    public var requestID: String { String(decoding: requestIDBytes, as: UTF8.self) }

    /// The worker's logger with this request's id as `request_id` metadata.
    public var logger: Logger {
        var logger = worker.logger
        logger[metadataKey: "request_id"] = .string(requestID)
        return logger
    }

    /// The method; `.other` for a method Ringmaster has no case for (see `methodName`).
    /// The fields a file answer depends on (validators, Range, Accept-Encoding).
    var fileFields: FileRequestFields { FileRequestFields.scan(fields, count: head.headerCount, in: bytes) }

    public var method: HTTPMethod { head.method }
    /// The method token as sent.
    public var methodName: String { String(decoding: head.methodName(in: bytes), as: UTF8.self) }
    public var version: HTTPVersion { head.version }

    /// The request-target as sent: path and query, still percent-encoded.
    public var targetBytes: UnsafeRawBufferPointer { head.target(in: bytes) }

    /// The path part of the target (before any "?"), as sent (percent-encoded): the bytes
    /// the router matched.
    public var pathBytes: UnsafeRawBufferPointer {
        let target = targetBytes
        var length = 0
        while length < target.count && target[length] != UInt8(ascii: "?") { length += 1 }
        return UnsafeRawBufferPointer(rebasing: target[0..<length])
    }

    public var path: String { String(decoding: pathBytes, as: UTF8.self) }

    /// What follows the "?", still encoded; nil when the target has no "?".
    public var queryBytes: UnsafeRawBufferPointer? {
        let target = targetBytes
        let pathLength = pathBytes.count
        guard pathLength < target.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: target[(pathLength + 1)...])
    }

    public var query: String? { queryBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// The first `name=value` pair of the query named `name`, percent-decoded ("+" is a
    /// space, as in HTML forms); "" for a bare `name`; nil when absent.
    public func queryItem(_ name: String) -> String? {
        guard let query = queryBytes else { return nil }
        var start = 0
        while start <= query.count {
            var end = start
            while end < query.count && query[end] != UInt8(ascii: "&") { end += 1 }
            let pair = UnsafeRawBufferPointer(rebasing: query[start..<end])
            var equals = 0
            while equals < pair.count && pair[equals] != UInt8(ascii: "=") { equals += 1 }
            let key = QueryDecoding.decode(UnsafeRawBufferPointer(rebasing: pair[0..<equals]))
            if key == name {
                return equals < pair.count ? QueryDecoding.decode(UnsafeRawBufferPointer(rebasing: pair[(equals + 1)...])) : ""
            }
            start = end + 1
        }
        return nil
    }

    /// The value of the first field named `name` (ASCII case-insensitive), without copying.
    public func headerBytes(_ name: String) -> UnsafeRawBufferPointer? {
        var name = name
        return name.withUTF8 { wanted in
            for field in fields {
                let candidate = field.name(in: bytes)
                if Request.equalsIgnoringCase(candidate, UnsafeRawBufferPointer(wanted)) { return field.value(in: bytes) }
            }
            return nil
        }
    }

    /// The value of the first field named `name` (case-insensitive), as a String.
    public func header(_ name: String) -> String? {
        headerBytes(name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every value of fields named `name`, in order (a repeated field such as `Accept`).
    public func headerValues(_ name: String) -> [String] {
        var name = name
        return name.withUTF8 { wanted in
            fields.filter { Request.equalsIgnoringCase($0.name(in: bytes), UnsafeRawBufferPointer(wanted)) }
                .map { String(decoding: $0.value(in: bytes), as: UTF8.self) }
        }
    }

    /// The number of header fields.
    public var headerCount: Int { fields.count }

    /// Calls `body` with each field's name and value bytes, in the order they were sent.
    public func forEachHeader(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void) rethrows {
        for field in fields { try body(field.name(in: bytes), field.value(in: bytes)) }
    }

    /// Every field as Strings, in order (copies).
    public var headers: [(name: String, value: String)] {
        fields.map { (String(decoding: $0.name(in: bytes), as: UTF8.self), String(decoding: $0.value(in: bytes), as: UTF8.self)) }
    }

    /// The body, copied.
    public var body: [UInt8] { Array(bodyBytes) }
    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyText: String { String(decoding: bodyBytes, as: UTF8.self) }

    /// The raw head bytes and the parser's fields, for conversions (RingmasterHandlersHTTPTypes)
    /// that reuse `RequestHead`'s own accessors. Valid only inside `body`.
    public func withHeadBytes<R>(_ body: (UnsafeRawBufferPointer, UnsafeBufferPointer<HTTPHeaderField>) throws -> R) rethrows -> R {
        try body(bytes, fields)
    }

    @inline(__always)
    static func equalsIgnoringCase(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var i = 0
        while i < a.count {
            // ASCII letters differ from their other case in bit 0x20 alone.
            let x = a[i], y = b[i]
            if x != y && !(x | 0x20 == y | 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z")) { return false }
            i += 1
        }
        return true
    }
}

/// Percent-decoding of query components (RFC 3986 §2.1, with "+" as a space as in
/// application/x-www-form-urlencoded). A malformed escape is kept as written.
enum QueryDecoding {
    static func decode(_ bytes: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), i + 2 < bytes.count, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 2
            } else {
                out.append(byte)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
