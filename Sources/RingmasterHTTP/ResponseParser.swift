// The response-head parser for upstream responses (RFC 9112 §4, §5, §6.3), as strict as the
// request parser: a proxy that reads a response more leniently than the next hop can be made
// to split one response into two (response smuggling). CRLF only, no obs-fold, no space
// before a colon, one Content-Length value, Transfer-Encoding only as a final "chunked" and
// never beside Content-Length. Restartable like RequestParser: re-parse from the start.

/// A parsed response head: offsets into the parsed buffer.
public struct ResponseHead: Equatable, Sendable {
    public var status: UInt16 = 0
    public var version: HTTPVersion = .http11
    /// Bytes from the first byte to the end of the empty line.
    public var headLength = 0
    public var headerCount = 0
    /// How the body is delimited (for a request that can have a response body).
    public var framing: ResponseFraming = .none
    /// The upstream keeps the connection open after this response (HTTP/1.1 without
    /// `Connection: close`, HTTP/1.0 with `keep-alive`), and the body does not run to close.
    public var keepAlive = true

    public init() {}
}

/// How a response body ends (RFC 9112 §6.3).
public enum ResponseFraming: Equatable, Sendable {
    /// No body: 1xx, 204, 304, or a response to HEAD.
    case none
    case contentLength(UInt64)
    case chunked
    /// Neither: the body runs until the upstream closes (item 8).
    case untilClose
}

public enum ResponseParseResult: Equatable, Sendable {
    case needMore
    /// Malformed: the proxy answers 502 and drops the upstream connection.
    case invalid
    case complete(ResponseHead)
}

public enum ResponseParser {
    /// Parses one response head at the start of `buffer`; `headers` receives the fields.
    /// `requestWasHead` makes every response bodiless (RFC 9110 §9.3.2).
    public static func parseHead(_ buffer: UnsafeRawBufferPointer, headers: UnsafeMutableBufferPointer<HTTPHeaderField>,
                                 maxHeadBytes: Int, requestWasHead: Bool) -> ResponseParseResult {
        guard let raw = buffer.baseAddress, !buffer.isEmpty else { return .needMore }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        let end = min(buffer.count, maxHeadBytes)
        let exhausted: ResponseParseResult = buffer.count >= maxHeadBytes ? .invalid : .needMore
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), sp = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (RFC 9112 §4).
        let versionCode = RequestParser.parseVersion(p, available: end)
        switch versionCode {
        case .invalid: return .invalid
        case .incomplete: return exhausted
        default: break
        }
        var head = ResponseHead()
        switch versionCode {
        case .http10: head.version = .http10
        case .http11: head.version = .http11
        default: return .invalid
        }
        var i = 8
        if end - i < 5 { return buffer.count >= maxHeadBytes ? .invalid : prefixCheck(p, from: i, end: end) }
        guard p[i] == sp, ASCII.isDigit(p[i + 1]), ASCII.isDigit(p[i + 2]), ASCII.isDigit(p[i + 3]), p[i + 4] == sp || p[i + 4] == cr else {
            return .invalid
        }
        head.status = UInt16(p[i + 1] - 48) * 100 + UInt16(p[i + 2] - 48) * 10 + UInt16(p[i + 3] - 48)
        guard head.status >= 100 && head.status <= 599 else { return .invalid }
        i += 4
        if p[i] == sp {
            i += 1
            // reason-phrase = *( HTAB / SP / VCHAR / obs-text )
            i = RequestParser.scanFieldValue(p, from: i, end: end)
            if i == end { return exhausted }
        }
        guard p[i] == cr else { return .invalid }
        if i + 1 == end { return exhausted }
        guard p[i + 1] == lf else { return .invalid }
        i += 2

        var facts = HeadFacts()
        var count = 0
        while true {
            if i >= end { return exhausted }
            if p[i] == cr {
                if i + 1 >= end { return exhausted }
                guard p[i + 1] == lf else { return .invalid }
                i += 2
                break
            }
            let nameStart = i
            while i < end && ASCII.isTokenChar(p[i]) { i += 1 }
            if i == end { return exhausted }
            guard p[i] == UInt8(ascii: ":"), i > nameStart else { return .invalid }
            let nameLength = i - nameStart
            i += 1
            while i < end && (p[i] == sp || p[i] == tab) { i += 1 }
            let valueStart = i
            i = RequestParser.scanFieldValue(p, from: i, end: end)
            if i == end { return exhausted }
            var valueEnd = i
            while valueEnd > valueStart && (p[valueEnd - 1] == sp || p[valueEnd - 1] == tab) { valueEnd -= 1 }
            guard p[i] == cr else { return .invalid }
            if i + 1 == end { return exhausted }
            guard p[i + 1] == lf else { return .invalid }
            i += 2
            guard count < headers.count else { return .invalid }
            headers[count] = HTTPHeaderField(nameStart: nameStart, nameLength: nameLength, valueStart: valueStart, valueLength: valueEnd - valueStart)
            count += 1
            let name = p + nameStart, value = p + valueStart, valueLength = valueEnd - valueStart
            switch nameLength {
            case 10 where HeadFacts.is(name, "connection"):
                var list = ListCursor(value, count: valueLength)
                while let (start, length) = list.next() {
                    if list.element(start, length, is: "close") { facts.connectionClose = true }
                    if list.element(start, length, is: "keep-alive") { facts.connectionKeepAlive = true }
                }
            case 14 where HeadFacts.is(name, "content-length"):
                if facts.applyContentLength(ListCursor(value, count: valueLength)) != nil { return .invalid }
            case 17 where HeadFacts.is(name, "transfer-encoding"):
                if facts.applyTransferEncoding(ListCursor(value, count: valueLength)) != nil { return .invalid }
            default:
                break
            }
        }
        head.headLength = i
        head.headerCount = count
        head.keepAlive = head.version == .http11 ? !facts.connectionClose : facts.connectionKeepAlive && !facts.connectionClose
        // RFC 9112 §6.3: the framing, in the order the section gives it.
        if requestWasHead || head.status < 200 || head.status == 204 || head.status == 304 {
            head.framing = .none
        } else if facts.hasTransferEncoding {
            // A response with both is the classic smuggling vector: refuse (the section lets
            // a recipient drop Content-Length; a strict proxy drops the response instead).
            guard !facts.hasContentLength, head.version == .http11, facts.sawChunked, facts.chunkedFinal,
                  !facts.chunkedRepeated, !facts.unknownCoding else { return .invalid }
            head.framing = .chunked
        } else if facts.hasContentLength {
            head.framing = .contentLength(facts.contentLength)
        } else {
            head.framing = .untilClose
            head.keepAlive = false
        }
        return .complete(head)
    }

    /// A status line cut short: whether what arrived could still begin one.
    static func prefixCheck(_ p: UnsafePointer<UInt8>, from start: Int, end: Int) -> ResponseParseResult {
        var i = start
        if i < end { guard p[i] == UInt8(ascii: " ") else { return .invalid }; i += 1 }
        while i < end && i < start + 4 {
            guard ASCII.isDigit(p[i]) else { return .invalid }
            i += 1
        }
        return .needMore
    }
}
