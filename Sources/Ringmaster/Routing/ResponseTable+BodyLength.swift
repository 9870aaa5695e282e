// The body size of a pre-built response, for the access log's byte count (the table stores
// heads and bodies together, so the size is kept apart here).

extension ResponseTable {
    /// The length of `route`'s body (the bytes after the head of a GET response).
    @inline(__always)
    func bodyLength(of route: Int) -> Int { layouts[route].body.length }
}
