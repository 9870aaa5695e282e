// The request-head parser (RFC 9112 §2–§5). It runs on the server hot path: one pass
// over the bytes with plain loops, results as offsets into the caller's buffer, field
// storage supplied by the caller, and no allocation or throwing. It is restartable in the
// picohttpparser style: the caller re-parses from the start once more bytes arrive.

/// Parses HTTP/1.x request heads.
public enum RequestParser {
    /// The longest method token accepted; longer ones get 501 because no method we
    /// implement is that long (RFC 9110 §9.1: unrecognised methods SHOULD get 501).
    static let maxMethodLength = 32

    /// Parses one request head from the start of `buffer`.
    ///
    /// Restartable: on `.needMore` call again from the start with more bytes. Every strict
    /// prefix of a valid head yields `.needMore`; an error is returned only once the
    /// bytes seen are definitely invalid. `headers` is caller-supplied storage; more
    /// fields than `headers.count` (or `limits.maxHeaderCount`) yield 431.
    public static func parseHead(
        _ buffer: UnsafeRawBufferPointer,
        headers: UnsafeMutableBufferPointer<HTTPHeaderField>,
        limits: HTTPLimits
    ) -> HeadParseResult {
        guard let raw = buffer.baseAddress, !buffer.isEmpty else { return .needMore }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        // Offsets are stored as UInt32, so never scan a head longer than that.
        let maxHead = min(limits.maxHeaderBytes, Int(UInt32.max))
        let end = min(buffer.count, maxHead)
        // Running out of bytes at `end` means the head is longer than `end`: that is 431
        // once `end` is the limit (RFC 6585 §5), otherwise we simply need more bytes.
        let exhausted: HeadParseResult = buffer.count >= maxHead ? .error(.requestHeaderFieldsTooLarge) : .needMore
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), sp = UInt8(ascii: " ")
        var i = 0

        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) received
        // before the request-line. They count towards headLength and maxHeaderBytes.
        while i < end && p[i] == cr {
            if i + 1 >= end { return exhausted }
            guard p[i + 1] == lf else { return .error(.badRequest) }
            i += 2
        }

        // method = token (RFC 9112 §3.1, RFC 9110 §9.1). A bare LF, SP or any other
        // non-tchar here is 400.
        let methodStart = i
        while i < end && ASCII.isTokenChar(p[i]) { i += 1 }
        if i - methodStart > maxMethodLength { return .error(.notImplemented) }
        if i == end { return exhausted }
        // Exactly one SP between the parts (RFC 9112 §3): we do not take the §3 option of
        // splitting on other whitespace, since lenient splitting enables smuggling.
        guard p[i] == sp, i > methodStart else { return .error(.badRequest) }
        let methodLength = i - methodStart
        i += 1

        // request-target (RFC 9112 §3.2): only visible ASCII, no whitespace, non-empty.
        let targetStart = i
        i = scanTarget(p, from: i, end: end)
        // The finished line will be at least this long plus " HTTP/1.1" (RFC 9112 §3:
        // a server that receives a request-target longer than it wishes to parse MUST
        // respond with 414).
        if i - methodStart + 9 > limits.maxRequestLine { return .error(.uriTooLong) }
        if i == end { return exhausted }
        guard p[i] == sp, i > targetStart else { return .error(.badRequest) }
        let targetLength = i - targetStart
        i += 1

        // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
        let versionCode = parseVersion(p + i, available: end - i)
        switch versionCode {
        case .invalid: return .error(.badRequest)
        case .incomplete: return exhausted
        default: break
        }
        i += 8
        if i == end { return exhausted }
        // CRLF is required; a bare CR or bare LF is 400. RFC 9112 §2.2 lets a recipient
        // accept a bare LF, but we are strict so we never disagree with a proxy about
        // where a line ends (request smuggling).
        guard p[i] == cr else { return .error(.badRequest) }
        if i + 1 == end { return exhausted }
        guard p[i + 1] == lf else { return .error(.badRequest) }
        i += 2
        let version: HTTPVersion
        switch versionCode {
        case .http10: version = .http10
        case .http11: version = .http11
        default: return .error(.httpVersionNotSupported)  // RFC 9110 §15.6.6.
        }

        var facts = HeadFacts()
        let maxFields = min(limits.maxHeaderCount, headers.count)
        var count = 0
        let colon = UInt8(ascii: ":"), tab = UInt8(ascii: "\t")
        // field-line = field-name ":" OWS field-value OWS (RFC 9112 §5), until an empty line.
        while true {
            if i >= end { return exhausted }
            if p[i] == cr {
                if i + 1 >= end { return exhausted }
                guard p[i + 1] == lf else { return .error(.badRequest) }
                i += 2
                break
            }
            let nameStart = i
            while i < end && ASCII.isTokenChar(p[i]) { i += 1 }
            if i == end { return exhausted }
            // The first non-tchar must be ":" after a non-empty name. This one check
            // rejects: whitespace between name and colon (RFC 9112 §5.1 MUST 400),
            // obs-fold, a line starting with SP/HTAB (RFC 9112 §5.2, we reject rather than
            // unfold), and a bare LF (RFC 9112 §2.2, strict as above).
            guard p[i] == colon, i > nameStart else { return .error(.badRequest) }
            let nameLength = i - nameStart
            i += 1
            while i < end && (p[i] == sp || p[i] == tab) { i += 1 }
            let valueStart = i
            // field-value bytes (RFC 9110 §5.5): HTAB, SP, VCHAR and obs-text.
            i = scanFieldValue(p, from: i, end: end)
            if i == end { return exhausted }
            // Trailing OWS is not part of the value (RFC 9112 §5).
            var valueEnd = i
            while valueEnd > valueStart && (p[valueEnd - 1] == sp || p[valueEnd - 1] == tab) { valueEnd -= 1 }
            // NUL, other controls and DEL in a value are 400 (RFC 9110 §5.5 MUST reject
            // or replace; replacing would mean writing to the caller's buffer).
            guard p[i] == cr else { return .error(.badRequest) }
            if i + 1 == end { return exhausted }
            guard p[i + 1] == lf else { return .error(.badRequest) }
            i += 2
            guard count < maxFields else { return .error(.requestHeaderFieldsTooLarge) }
            headers[count] = HTTPHeaderField(
                nameStart: nameStart, nameLength: nameLength,
                valueStart: valueStart, valueLength: valueEnd - valueStart)
            count += 1
            if let status = facts.apply(
                name: p + nameStart, nameLength: nameLength,
                value: p + valueStart, valueLength: valueEnd - valueStart)
            {
                return .error(status)
            }
        }

        var head = RequestHead()
        head.method = HTTPMethod.classify(p + methodStart, length: methodLength)
        head.methodStart = UInt32(truncatingIfNeeded: methodStart)
        head.methodLength = UInt32(truncatingIfNeeded: methodLength)
        head.targetStart = UInt32(truncatingIfNeeded: targetStart)
        head.targetLength = UInt32(truncatingIfNeeded: targetLength)
        head.version = version
        head.headerCount = count
        head.headLength = i
        if let status = facts.finish(version: version, limits: limits, into: &head) {
            return .error(status)
        }
        return .complete(head)
    }
}
