// The validator and representation header lines a served file carries, written once per
// cached file (or once per streamed response) so answering a hit copies them whole.

/// Writes a file response's own header lines.
public enum FileHeaders {
    /// Room `write` needs at most.
    public static let maxLength = 160

    /// Writes `ETag`, `Last-Modified`, `Accept-Ranges: bytes`, then `Content-Encoding:
    /// gzip` for a precompressed sibling and `Vary: Accept-Encoding` when the route offers
    /// one (RFC 9110 §12.5.5: a cache must know the answer depends on the field). Returns
    /// the length and the entity-tag's length (it starts at offset 6, after "ETag: "), or
    /// nil when `output` is too small.
    public static func write(size: UInt64, modificationSeconds: Int64, modificationNanoseconds: UInt32,
                             gzip: Bool, vary: Bool, into output: UnsafeMutableRawBufferPointer) -> (length: Int, tagLength: Int)? {
        var writer = ByteWriter(output)
        writer.append("ETag: ")
        guard output.count > 6,
              let tagLength = EntityTag.write(size: size, modificationSeconds: modificationSeconds,
                                              modificationNanoseconds: modificationNanoseconds,
                                              into: UnsafeMutableRawBufferPointer(rebasing: output[6...])) else { return nil }
        writer.count += tagLength
        writer.append("\r\nLast-Modified: ")
        HTTPDate(unixSeconds: Int(modificationSeconds)).withBytes { writer.append($0) }
        writer.append("\r\nAccept-Ranges: bytes\r\n")
        if gzip { writer.append("Content-Encoding: gzip\r\n") }
        if vary { writer.append("Vary: Accept-Encoding\r\n") }
        return writer.overflowed ? nil : (writer.count, tagLength)
    }
}
