// The validator preconditions a static file GET or HEAD honours (RFC 9110 §13.2.2):
// If-None-Match, then If-Modified-Since only when If-None-Match is absent.

/// Decides whether a GET or HEAD of a file is answered with 304 Not Modified.
///
/// Only the two preconditions that yield 304 are evaluated. `If-Match` and
/// `If-Unmodified-Since` (steps 1 and 2 of §13.2.2, which yield 412) and `If-Range`
/// are out of scope for the file server; see `ByteRange` for what to do with `If-Range`.
public enum ConditionalRequest {
    /// Whether the response is 304 (true) or the full representation (false).
    ///
    /// - Parameters:
    ///   - ifNoneMatch: the `If-None-Match` value, or nil when the request has none.
    ///   - ifModifiedSince: the `If-Modified-Since` value, or nil when absent.
    ///   - entityTag: the file's current tag, as written by `EntityTag.write`.
    ///   - lastModified: the file's mtime in Unix seconds (sub-second part dropped, as
    ///     in `Last-Modified`, which has one-second resolution).
    ///   - now: the current Unix time, for rfc850's two-digit years.
    ///
    /// §13.2.2 step 3: when If-None-Match is present it alone decides, and §13.1.3 says
    /// a recipient MUST ignore If-Modified-Since then, since entity-tags are the more
    /// accurate validator. Step 4: otherwise If-Modified-Since is false (304) when the
    /// file was last modified at or before the given date. An unparsable date is
    /// ignored (§13.1.3 MUST), as is a value with several dates, which fails to parse.
    /// A date later than `now` is ignored too, as RFC 2616 §14.25 required and Apache
    /// still does: it cannot come from a Last-Modified we sent, and trusting it would
    /// hide a change made between now and that date.
    /// The caller must only ask for GET and HEAD; §13.1.3 ignores If-Modified-Since for
    /// other methods and §13.1.2 turns an If-None-Match match into 412 for them.
    public static func isNotModified(
        ifNoneMatch: UnsafeRawBufferPointer?,
        ifModifiedSince: UnsafeRawBufferPointer?,
        entityTag: UnsafeRawBufferPointer,
        lastModified: Int,
        now: Int
    ) -> Bool {
        if let ifNoneMatch {
            return EntityTag.evaluateIfNoneMatch(ifNoneMatch, current: entityTag) == .match
        }
        guard let ifModifiedSince, let since = HTTPDate.parse(ifModifiedSince, now: now), since <= now else {
            return false
        }
        return lastModified <= since
    }
}
