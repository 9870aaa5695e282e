// Serialises response heads (RFC 9112 §4 status-line, §5 field lines) into caller
// memory. Everything is copied from StaticStrings, the cached date and caller buffers,
// so writing a response never allocates.

/// How a response head says where its body ends (RFC 9112 §6).
public enum HeadFraming: Sendable {
    /// `Content-Length` (the usual case).
    case length
    /// `Transfer-Encoding: chunked`: a body whose length is not known when the head goes out.
    case chunked
    /// Neither: the body runs until the connection closes (for a client that cannot take
    /// chunked, or a connection that closes after this response anyway).
    case untilClose
}

/// Writes response heads and small error responses into caller memory.
public enum ResponseWriter {
    /// Writes `"HTTP/1.1 <code> <reason>\r\nServer: …\r\nDate: …\r\nContent-Type: …\r\n`
    /// `Content-Length: <n>\r\n"` (left out for 204, RFC 9110 §8.6: a server MUST NOT send
    /// it there), then `"Connection: close\r\n"` if `close`, then
    /// `extraHeaders` (raw, already CRLF-terminated, may be empty), then `"\r\n"`.
    ///
    /// Returns the bytes written, or nil if `into` is too small; it never writes past
    /// `into`. `status` must be 100...999 (RFC 9110 §15: three digits).
    public static func writeHead(
        status: HTTPStatus,
        server: UnsafeRawBufferPointer,
        date: HTTPDate,
        contentType: UnsafeRawBufferPointer,
        contentLength: UInt64,
        close: Bool,
        extraHeaders: UnsafeRawBufferPointer,
        framing: HeadFraming = .length,
        into: UnsafeMutableRawBufferPointer
    ) -> Int? {
        precondition((100...999).contains(status.rawValue), "status code must have three digits")
        var writer = ByteWriter(into)
        writer.append("HTTP/1.1 ")
        writer.appendDecimal(UInt64(status.rawValue))
        writer.append(" ")
        writer.append(status.reasonPhrase)
        writer.append("\r\nServer: ")
        writer.append(server)
        writer.append("\r\nDate: ")
        date.withBytes { writer.append($0) }
        writer.append("\r\nContent-Type: ")
        writer.append(contentType)
        if status.rawValue != 204 {
            switch framing {
            case .length:
                writer.append("\r\nContent-Length: ")
                writer.appendDecimal(contentLength)
            case .chunked:
                writer.append("\r\nTransfer-Encoding: chunked")
            case .untilClose:
                break
            }
        }
        writer.append("\r\n")
        if close { writer.append("Connection: close\r\n") }
        writer.append(extraHeaders)
        writer.append("\r\n")
        return writer.overflowed ? nil : writer.count
    }

    /// Writes a complete error response: the head (text/plain, "Connection: close") and
    /// the body `"<code> <reason>\n"`. Returns the bytes written, or nil if `into` is
    /// too small. Every error closes the connection, since after a framing error the
    /// next request's start is unknown (RFC 9112 §9.6 close on error).
    public static func writeError(
        status: HTTPStatus,
        server: UnsafeRawBufferPointer,
        date: HTTPDate,
        into: UnsafeMutableRawBufferPointer
    ) -> Int? {
        let reason = status.reasonPhrase
        let contentType: StaticString = "text/plain; charset=utf-8"
        let bodyLength = UInt64(errorBodyLength(status: status))
        let headLength = writeHead(
            status: status, server: server, date: date,
            contentType: UnsafeRawBufferPointer(start: contentType.utf8Start, count: contentType.utf8CodeUnitCount),
            contentLength: bodyLength, close: true,
            extraHeaders: UnsafeRawBufferPointer(start: nil, count: 0), into: into)
        guard let headLength else { return nil }
        var writer = ByteWriter(UnsafeMutableRawBufferPointer(rebasing: into[headLength...]))
        writer.appendDecimal(UInt64(status.rawValue))
        writer.append(" ")
        writer.append(reason)
        writer.append("\n")
        return writer.overflowed ? nil : headLength + writer.count
    }

    /// The length of `writeError`'s body, `"<code> <reason>\n"` (what an access log reports).
    public static func errorBodyLength(status: HTTPStatus) -> Int {
        3 + 1 + status.reasonPhrase.utf8CodeUnitCount + 1
    }
}
