// What a directory route serves and how: the root, the index file, the symlink policy and
// whether precompressed `.gz` siblings are offered. A plain value, shared by every worker; each
// worker opens its own descriptor of the root when it builds its route table.

/// How a route of kind `.directory` maps request paths to files under `root`.
public struct DirectoryOptions: Sendable, Equatable {
    /// Which symbolic links a request may follow.
    public enum Symlinks: String, Sendable, Equatable, CaseIterable {
        /// Links are followed while they stay inside the root (openat2 RESOLVE_BENEATH,
        /// Linux 5.6): a link to `/etc/passwd` or `../../x` is refused, one to `img/a.png`
        /// is served. The default, as the issue asks: links leaving the root are refused.
        case beneath
        /// No link is followed at all (RESOLVE_NO_SYMLINKS), for roots that other users can
        /// write to, where even an inside link could be swapped between check and use.
        case never
    }

    /// The directory served, an absolute path.
    public var root: String
    /// The file answered for a path ending in `/`.
    public var index: String
    public var symlinks: Symlinks
    /// Serve `name.gz` with `Content-Encoding: gzip` when it exists and the client's
    /// `Accept-Encoding` allows gzip (nginx's gzip_static).
    public var precompressed: Bool

    public init(root: String, index: String = "index.html", symlinks: Symlinks = .beneath, precompressed: Bool = true) {
        self.root = root
        self.index = index
        self.symlinks = symlinks
        self.precompressed = precompressed
    }
}
