// The header fields that change how a request is framed or how the connection is
// handled, gathered while the parser walks the field lines and judged once the head is
// complete. Every other field is left to the application.

/// Framing and connection facts collected from the header fields of one request head.
struct HeadFacts {
    /// A Host field was seen.
    var hostPresent = false
    /// At least one Content-Length field was seen; its value is `contentLength`.
    var hasContentLength = false
    /// The (single, agreed) Content-Length value.
    var contentLength: UInt64 = 0
    /// At least one Transfer-Encoding field was seen.
    var hasTransferEncoding = false
    /// A non-empty transfer coding was listed.
    var anyCoding = false
    /// `chunked` was listed.
    var sawChunked = false
    /// `chunked` was listed more than once.
    var chunkedRepeated = false
    /// The last coding listed so far is `chunked`.
    var chunkedFinal = false
    /// A coding other than `chunked` was listed.
    var unknownCoding = false
    /// The `close` connection option was listed.
    var connectionClose = false
    /// The `keep-alive` connection option was listed.
    var connectionKeepAlive = false
    /// `Expect: 100-continue` was sent.
    var expectContinue = false

    /// Records one field; returns the error status if the field alone is invalid.
    ///
    /// Dispatches on the name length first so most fields cost one switch.
    mutating func apply(
        name: UnsafePointer<UInt8>, nameLength: Int,
        value: UnsafePointer<UInt8>, valueLength: Int
    ) -> HTTPStatus? {
        switch nameLength {
        case 4 where Self.is(name, "host"):
            // RFC 9112 §3.2: a server MUST respond 400 to more than one Host field or
            // to a Host field with an invalid value.
            guard !hostPresent, HostSyntax.isValid(value, count: valueLength) else { return .badRequest }
            hostPresent = true
        case 6 where Self.is(name, "expect"):
            return applyExpect(ListCursor(value, count: valueLength))
        case 10 where Self.is(name, "connection"):
            // RFC 9110 §7.6.1: comma-separated, case-insensitive connection options;
            // several Connection fields combine.
            var list = ListCursor(value, count: valueLength)
            while let (start, length) = list.next() {
                if list.element(start, length, is: "close") { connectionClose = true }
                if list.element(start, length, is: "keep-alive") { connectionKeepAlive = true }
            }
        case 14 where Self.is(name, "content-length"):
            return applyContentLength(ListCursor(value, count: valueLength))
        case 17 where Self.is(name, "transfer-encoding"):
            return applyTransferEncoding(ListCursor(value, count: valueLength))
        default:
            break
        }
        return nil
    }

    /// Content-Length = 1*DIGIT (RFC 9110 §8.6). A list of identical values, or several
    /// fields with identical values, MAY be accepted as that one value (RFC 9112 §6.3
    /// item 5); anything else, including empty elements and overflow, is 400.
    mutating func applyContentLength(_ list: ListCursor) -> HTTPStatus? {
        var list = list
        while let (start, length) = list.next() {
            let bytes = UnsafeRawBufferPointer(start: list.base + start, count: length)
            guard let value = ASCII.parseDecimal(bytes) else { return .badRequest }
            if hasContentLength && value != contentLength { return .badRequest }
            hasContentLength = true
            contentLength = value
        }
        return nil
    }

    /// Records the transfer codings of one Transfer-Encoding field (RFC 9112 §6.1);
    /// the verdict waits for `finish` because codings may span several fields.
    mutating func applyTransferEncoding(_ list: ListCursor) -> HTTPStatus? {
        hasTransferEncoding = true
        var list = list
        while let (start, length) = list.next() {
            // RFC 9110 §5.6.1: empty list elements are ignored.
            if length == 0 { continue }
            let element = list.base + start
            var tokenLength = 0
            while tokenLength < length && ASCII.isTokenChar(element[tokenLength]) { tokenLength += 1 }
            // transfer-coding = token *( OWS ";" OWS transfer-parameter ) (RFC 9112 §7).
            var rest = tokenLength
            while rest < length && (element[rest] == UInt8(ascii: " ") || element[rest] == UInt8(ascii: "\t")) {
                rest += 1
            }
            let hasParameters = rest < length
            guard tokenLength > 0, !hasParameters || element[rest] == UInt8(ascii: ";") else { return .badRequest }
            anyCoding = true
            if list.element(start, tokenLength, is: "chunked") {
                // chunked defines no parameters (RFC 9112 §7.1).
                if hasParameters { return .badRequest }
                if sawChunked { chunkedRepeated = true }
                sawChunked = true
                chunkedFinal = true
            } else {
                unknownCoding = true
                chunkedFinal = false
            }
        }
        return nil
    }

    /// Expect (RFC 9110 §10.1.1): only 100-continue is defined; any other expectation
    /// gets 417. Empty elements are ignored (RFC 9110 §5.6.1).
    mutating func applyExpect(_ list: ListCursor) -> HTTPStatus? {
        var list = list
        while let (start, length) = list.next() {
            if length == 0 { continue }
            guard list.element(start, length, is: "100-continue") else { return .expectationFailed }
            expectContinue = true
        }
        return nil
    }

    /// Judges the facts once the head is complete and stores the verdict in `head`.
    ///
    /// Returns the error status for a head that is invalid as a whole.
    func finish(version: HTTPVersion, limits: HTTPLimits, into head: inout RequestHead) -> HTTPStatus? {
        // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host.
        if version == .http11 && !hostPresent { return .badRequest }
        if hasTransferEncoding {
            // RFC 9112 §6.1: a server MAY treat Transfer-Encoding in HTTP/1.0 as faulty
            // framing; 1.0 has no chunked coding, so such a request is likely relayed by
            // something that disagrees with us about the body: reject it.
            if version == .http10 { return .badRequest }
            // RFC 9112 §6.1/§6.3 item 3: TE with Content-Length "ought to be handled as
            // an error"; we reject rather than ignore CL, the smuggling defence.
            if hasContentLength { return .badRequest }
            // No coding at all, or chunked twice (RFC 9112 §6.1 MUST NOT apply chunked
            // more than once), is malformed.
            if !anyCoding || chunkedRepeated { return .badRequest }
            // RFC 9112 §6.3 item 4: chunked present but not final ("chunked, gzip")
            // leaves the length undeterminable: MUST 400.
            if sawChunked && !chunkedFinal { return .badRequest }
            // RFC 9112 §6.1: a coding we do not implement ("gzip", "gzip, chunked")
            // SHOULD get 501; we implement only chunked.
            if unknownCoding { return .notImplemented }
            head.framing = .chunked
        } else if hasContentLength {
            // RFC 9110 §15.5.14: refuse a body larger than we are willing to process.
            if contentLength > limits.maxBodyBytes { return .payloadTooLarge }
            head.framing = .contentLength(contentLength)
        } else {
            head.framing = .none
        }
        head.hostPresent = hostPresent
        head.connectionClose = connectionClose
        // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
        head.keepAlive = version == .http11 ? !connectionClose : connectionKeepAlive && !connectionClose
        // RFC 9110 §10.1.1: a 100-continue expectation in HTTP/1.0 MUST be ignored.
        head.expectContinue = expectContinue && version == .http11
        return nil
    }

    /// Whether the token at `name` (length checked by the caller) equals the lowercase
    /// `literal`, ignoring ASCII case. `name` holds only tchars, so `| 0x20` folds letters
    /// and leaves "-" alone; no tchar folds onto a letter except its own capital.
    @inline(__always)
    static func `is`(_ name: UnsafePointer<UInt8>, _ literal: StaticString) -> Bool {
        let expected = literal.utf8Start
        for index in 0..<literal.utf8CodeUnitCount where name[index] | 0x20 != expected[index] {
            return false
        }
        return true
    }
}
