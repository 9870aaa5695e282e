// The provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19) that multishot recv picks
// receive buffers from. Recycling writes an entry without a barrier; the tail is published
// with one store-release per event-loop batch, and only when it moved (audit item 1).
// Only a window of the buffers is in the ring at first; it doubles (at most once a second)
// once receives have kept running dry for two seconds, so a worker's resident buffers follow
// the load it sustained, not a burst or the configured count.
import CURing
import Glibc

/// A ring of `count` buffers of `bufferSize` bytes each, in buffer group `groupID`.
public struct ProvidedBufferRing: ~Copyable {
    public let count: UInt32
    public let bufferSize: UInt32
    public let groupID: UInt16
    let mask: UInt16
    /// The ring of `io_uring_buf` entries shared with the kernel; its tail is the UInt16 at
    /// byte 14, overlaying the first entry's `resv` field (struct io_uring_buf_ring).
    let ringMemory: MemoryRegion
    /// The buffers themselves.
    let bufferMemory: MemoryRegion
    /// Our tail (entries written) and the tail last published to the kernel.
    public private(set) var tail: UInt16 = 0
    public private(set) var publishedTail: UInt16 = 0
    /// Buffers 0..<introduced have been put in the ring (and faulted in); the rest of the
    /// mapping is address space only until `widen` introduces them.
    public private(set) var introduced: UInt32 = 0
    /// A dry spell (CLOCK_MONOTONIC_COARSE milliseconds): receives that ran dry with less
    /// than a second between them. A spell shorter than two seconds is served by parking
    /// (audit item 7) and leaves the window alone; a longer one doubles it once a second.
    var spellStart = Int.min / 2
    var lastDry = Int.min / 2
    var widenedAt = Int.min / 2

    /// The buffers a ring starts with when no window is given: 256 KiB worth, at least 8.
    /// A worker that never needs more stays at that (64 buffers of 4 KiB instead of the
    /// 4 MiB that 1024 pre-faulted buffers cost). 128 KiB (32 buffers) parked 65% of
    /// keep-alive requests with 100 connections (1.65 SQEs per request instead of 1.00): a
    /// DEFER_TASKRUN batch fills a buffer for every ready socket at once. 64 measured 1.00.
    public static func initialWindow(count: UInt32, bufferSize: UInt32) -> UInt32 {
        min(count, max(8, (256 << 10) / max(bufferSize, 1)))
    }

    /// Allocates the ring, maps the buffers and fills the ring with the first `window` of them
    /// (published; `initialWindow` when nil). `count` must be a power of two no larger than
    /// 32768 (the kernel's limit).
    public init(count: UInt32, bufferSize: UInt32, groupID: UInt16, hugePages: HugePagePolicy, node: Int32?,
                window: UInt32? = nil) throws(SetupError) {
        guard count > 0, count <= 32768, count & (count - 1) == 0 else {
            throw SetupError("buffers.count must be a power of two between 1 and 32768, got \(count)")
        }
        let ringMemory = try MemoryRegion(size: Int(count) * MemoryLayout<io_uring_buf>.stride, node: node)
        // Not pre-faulted as a whole: `introduce` faults in each window as it enters the ring.
        // A MAP_HUGETLB mapping still reserves its huge pages here, at mmap time, so the
        // fallback to normal pages is decided now, as before (HugePageTests).
        let bufferMemory = try MemoryRegion(size: Int(count) * Int(bufferSize), hugePages: hugePages, populate: false, node: node)
        self.count = count
        self.bufferSize = bufferSize
        self.groupID = groupID
        mask = UInt16(count - 1)
        self.ringMemory = ringMemory
        self.bufferMemory = bufferMemory
        introduce(min(count, max(1, window ?? ProvidedBufferRing.initialWindow(count: count, bufferSize: bufferSize))))
        publish()
    }

    /// Called when receives ran dry at `now` (milliseconds): doubles the window (up to
    /// `count`) once the dry spell has lasted two seconds, at most once a second. Returns how
    /// many buffers were added (0 otherwise, or when every buffer is already in the ring);
    /// they are published with the next `publish`. Cold path: it faults their pages in, so
    /// receives never fault.
    public mutating func widen(now: Int = ProvidedBufferRing.coarseMilliseconds()) -> UInt32 {
        if now - lastDry > 1000 { spellStart = now }
        lastDry = now
        guard now - spellStart >= 2000, now - widenedAt >= 1000 else { return 0 }
        let added = min(introduced, count - introduced)
        if added > 0 {
            introduce(added)
            widenedAt = now
        }
        return added
    }

    /// CLOCK_MONOTONIC_COARSE in milliseconds (vDSO, no system call; a few ms resolution).
    public static func coarseMilliseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }

    /// True when every buffer of the group is in the ring.
    public var isWhole: Bool { introduced == count }

    /// Faults in the next `n` buffers and puts them in the ring (unpublished).
    private mutating func introduce(_ n: UInt32) {
        memset(buffer(UInt16(truncatingIfNeeded: introduced)), 0, Int(n) * Int(bufferSize))
        for id in introduced..<(introduced + n) { recycle(UInt16(id)) }
        introduced += n
    }

    /// True when the buffers are on huge pages.
    public var usesHugePages: Bool { bufferMemory.usesHugePages }

    /// Registers the ring with `ring` (IORING_REGISTER_PBUF_RING).
    public func register(with ring: borrowing Ring) throws(SetupError) {
        let r = curing_register_buf_ring(ring.fd, ringMemory.base, count, groupID)
        if r == -EINVAL { throw .missingFeature("provided buffer rings (IORING_REGISTER_PBUF_RING)", since: "5.19", errno: -r) }
        if r < 0 { throw .call("io_uring_register(IORING_REGISTER_PBUF_RING)", errno: -r) }
    }

    /// The start of buffer `id`.
    @inline(__always)
    public func buffer(_ id: UInt16) -> UnsafeMutableRawPointer {
        bufferMemory.base + Int(id) * Int(bufferSize)
    }

    /// Gives buffer `id` back to the kernel: writes the entry at our tail, no barrier.
    @inline(__always)
    public mutating func recycle(_ id: UInt16) {
        let entry = ringMemory.base.assumingMemoryBound(to: io_uring_buf.self) + Int(tail & mask)
        entry.pointee.addr = UInt64(UInt(bitPattern: buffer(id)))
        entry.pointee.len = bufferSize
        entry.pointee.bid = id
        // Safe: the tail is a free-running 16-bit counter, as the kernel's is.
        tail &+= 1
    }

    /// Publishes the tail with one store-release when it moved since the last publish;
    /// returns whether it did.
    @inline(__always)
    @discardableResult
    public mutating func publish() -> Bool {
        guard tail != publishedTail else { return false }
        let tailPointer = (ringMemory.base + 14).assumingMemoryBound(to: UInt16.self)
        KernelAtomics.storeRelease(tailPointer, tail)
        publishedTail = tail
        return true
    }

    /// The tail as the kernel sees it (for tests).
    public var kernelVisibleTail: UInt16 { ringMemory.base.load(fromByteOffset: 14, as: UInt16.self) }
    /// The entry at ring index `index` (for tests): (address, length, buffer id).
    public func entry(at index: UInt16) -> (address: UInt64, length: UInt32, id: UInt16) {
        let e = ringMemory.base.assumingMemoryBound(to: io_uring_buf.self)[Int(index & mask)]
        return (e.addr, e.len, e.bid)
    }
}
