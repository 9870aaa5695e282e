// A cached file's memory: one malloc'd block holding a reference count, the cache key, the
// validator headers and the body. The cache holds one reference and every response streaming
// the body holds another, so evicting or replacing an entry never frees bytes a send is
// still reading. Single-threaded (one worker), so the count is a plain integer.
import Glibc

/// A reference-counted block: `[count: Int][key][payload]`.
struct FileBlock {
    static let headerSize = MemoryLayout<Int>.stride
    let base: UnsafeMutableRawPointer
    let keyLength: Int

    /// A block with one reference, or nil when malloc fails (the file is then not cached).
    static func allocate(keyLength: Int, payload: Int) -> FileBlock? {
        guard let base = malloc(headerSize + keyLength + payload) else { return nil }
        base.storeBytes(of: 1, as: Int.self)
        return FileBlock(base: base, keyLength: keyLength)
    }

    var key: UnsafeMutableRawPointer { base + FileBlock.headerSize }
    /// Headers, then the body.
    var payload: UnsafeMutableRawPointer { base + FileBlock.headerSize + keyLength }

    /// Whether another holder (a response streaming the body) has a reference too.
    var isShared: Bool { base.load(as: Int.self) > 1 }

    func retain() {
        base.storeBytes(of: base.load(as: Int.self) + 1, as: Int.self)
    }

    func release() {
        let count = base.load(as: Int.self) - 1
        if count == 0 { free(base) } else { base.storeBytes(of: count, as: Int.self) }
    }
}
