// Content types for static files, chosen by file extension. The table is code (a switch
// on the extension's length, then byte comparisons against StaticStrings), so a lookup
// touches no global storage, needs no lazy initialisation and never allocates.

/// Maps a file extension to the `Content-Type` field value to serve it with.
///
/// Text types carry `; charset=utf-8`, because without a charset a browser guesses
/// (RFC 9110 §8.3.1 leaves the default to the media type, and for `text/*` it was
/// historically ISO-8859-1). JSON gets none: RFC 8259 §11 defines no charset parameter
/// and says JSON is UTF-8. Types follow the IANA registry and what browsers accept.
public enum MIMEType {
    /// The type for unknown extensions: opaque bytes, which browsers download rather
    /// than sniff and render (the safe choice for user-supplied files).
    public static var defaultType: StaticString { "application/octet-stream" }

    /// The content type for `pathExtension` (the bytes after the last dot, without the
    /// dot), ignoring ASCII case; `defaultType` when unknown.
    public static func contentType(forExtension pathExtension: UnsafeRawBufferPointer) -> StaticString {
        let e = pathExtension
        switch e.count {
        case 2:
            if ASCII.equalsCaseInsensitive(e, "js") { return "text/javascript; charset=utf-8" }
            if ASCII.equalsCaseInsensitive(e, "gz") { return "application/gzip" }
            if ASCII.equalsCaseInsensitive(e, "md") { return "text/markdown; charset=utf-8" }
        case 3:
            return contentType3(e)
        case 4:
            if ASCII.equalsCaseInsensitive(e, "html") { return "text/html; charset=utf-8" }
            if ASCII.equalsCaseInsensitive(e, "json") { return "application/json" }
            if ASCII.equalsCaseInsensitive(e, "jpeg") { return "image/jpeg" }
            if ASCII.equalsCaseInsensitive(e, "webp") { return "image/webp" }
            if ASCII.equalsCaseInsensitive(e, "avif") { return "image/avif" }
            if ASCII.equalsCaseInsensitive(e, "woff") { return "font/woff" }
            if ASCII.equalsCaseInsensitive(e, "wasm") { return "application/wasm" }
            if ASCII.equalsCaseInsensitive(e, "webm") { return "video/webm" }
        case 5:
            if ASCII.equalsCaseInsensitive(e, "woff2") { return "font/woff2" }
        default:
            break
        }
        return defaultType
    }

    /// The three-letter extensions, the largest group.
    private static func contentType3(_ e: UnsafeRawBufferPointer) -> StaticString {
        if ASCII.equalsCaseInsensitive(e, "htm") { return "text/html; charset=utf-8" }
        if ASCII.equalsCaseInsensitive(e, "css") { return "text/css; charset=utf-8" }
        if ASCII.equalsCaseInsensitive(e, "png") { return "image/png" }
        if ASCII.equalsCaseInsensitive(e, "jpg") { return "image/jpeg" }
        if ASCII.equalsCaseInsensitive(e, "svg") { return "image/svg+xml" }
        if ASCII.equalsCaseInsensitive(e, "ico") { return "image/x-icon" }
        if ASCII.equalsCaseInsensitive(e, "gif") { return "image/gif" }
        if ASCII.equalsCaseInsensitive(e, "txt") { return "text/plain; charset=utf-8" }
        if ASCII.equalsCaseInsensitive(e, "mjs") { return "text/javascript; charset=utf-8" }
        if ASCII.equalsCaseInsensitive(e, "map") { return "application/json" }
        if ASCII.equalsCaseInsensitive(e, "xml") { return "text/xml; charset=utf-8" }
        if ASCII.equalsCaseInsensitive(e, "ttf") { return "font/ttf" }
        if ASCII.equalsCaseInsensitive(e, "otf") { return "font/otf" }
        if ASCII.equalsCaseInsensitive(e, "pdf") { return "application/pdf" }
        if ASCII.equalsCaseInsensitive(e, "zip") { return "application/zip" }
        if ASCII.equalsCaseInsensitive(e, "mp4") { return "video/mp4" }
        if ASCII.equalsCaseInsensitive(e, "mp3") { return "audio/mpeg" }
        if ASCII.equalsCaseInsensitive(e, "ogg") { return "audio/ogg" }
        if ASCII.equalsCaseInsensitive(e, "wav") { return "audio/wav" }
        if ASCII.equalsCaseInsensitive(e, "csv") { return "text/csv; charset=utf-8" }
        return defaultType
    }

    /// The content type for the file named by `path`, from the extension of its last
    /// segment. A name with no dot, a trailing dot, or only a leading dot (`.htaccess`,
    /// a hidden file rather than an extension) gets `defaultType`.
    ///
    /// For a precompressed sibling (`app.js.gz` served for `app.js`), pass the name the
    /// client asked for: the type is the uncompressed one and `Content-Encoding: gzip`
    /// says the rest (RFC 9110 §8.4).
    public static func contentType(forPath path: UnsafeRawBufferPointer) -> StaticString {
        var index = path.count
        while index > 0 {
            // Safe: index > 0.
            let byte = path[index &- 1]
            if byte == UInt8(ascii: "/") { break }
            if byte == UInt8(ascii: ".") {
                let isLeadingDot = index == 1 || path[index - 2] == UInt8(ascii: "/")
                if isLeadingDot { break }
                return contentType(forExtension: UnsafeRawBufferPointer(rebasing: path[index...]))
            }
            index -= 1
        }
        return defaultType
    }
}
