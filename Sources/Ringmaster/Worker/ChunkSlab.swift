// Per-worker pool of fixed-size chunks for the rare per-connection buffers: outgoing bytes
// while a send is in flight, and a request head split across receives. A connection holds a
// chunk only while it needs one, so an idle keep-alive connection costs its record alone.

/// A LIFO pool of `chunkSize`-byte chunks in one reserved mapping. Address space is reserved
/// up front (MAP_NORESERVE) and pages are committed on first touch, so the pool costs what
/// its high-water mark touched; LIFO reuse keeps that set hot and small.
public struct ChunkSlab: ~Copyable {
    public static let none: UInt32 = .max
    public let chunkSize: Int
    public let capacity: UInt32
    let memory: MemoryRegion
    let freeList: UnsafeMutablePointer<UInt32>
    var freeCount: UInt32 = 0
    /// Chunks below this index have been handed out at least once.
    var untouched: UInt32 = 0
    public private(set) var inUse: UInt32 = 0

    public init(chunkSize: Int, capacity: UInt32, node: Int32?) throws(SetupError) {
        precondition(capacity < UInt32(UInt16.max), "chunk ids travel in the 16-bit buffer field of user_data")
        self.chunkSize = chunkSize
        self.capacity = capacity
        memory = try MemoryRegion(size: chunkSize * Int(capacity), populate: false, node: node, reserveOnly: true)
        freeList = .allocate(capacity: Int(capacity))
    }

    deinit { freeList.deallocate() }

    /// A free chunk id, or nil when every chunk is in use.
    @inline(__always)
    public mutating func allocate() -> UInt32? {
        if freeCount > 0 {
            freeCount &-= 1
            inUse &+= 1
            return freeList[Int(freeCount)]
        }
        guard untouched < capacity else { return nil }
        // Safe: untouched < capacity.
        untouched &+= 1
        inUse &+= 1
        return untouched &- 1
    }

    @inline(__always)
    public mutating func release(_ id: UInt32) {
        assert(id < untouched)
        freeList[Int(freeCount)] = id
        // Safe: at most `capacity` chunks are ever free.
        freeCount &+= 1
        inUse &-= 1
    }

    @inline(__always)
    public func pointer(_ id: UInt32) -> UnsafeMutableRawPointer {
        memory.base + Int(id) * chunkSize
    }
}
