// The provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19) that multishot recv picks
// receive buffers from. Recycling writes an entry without a barrier; the tail is published
// with one store-release per event-loop batch, and only when it moved (audit item 1).
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

    /// Allocates the ring and buffers and fills the ring with every buffer (published).
    /// `count` must be a power of two no larger than 32768 (the kernel's limit).
    public init(count: UInt32, bufferSize: UInt32, groupID: UInt16, hugePages: HugePagePolicy, node: Int32?) throws(SetupError) {
        guard count > 0, count <= 32768, count & (count - 1) == 0 else {
            throw SetupError("buffers.count must be a power of two between 1 and 32768, got \(count)")
        }
        let ringMemory = try MemoryRegion(size: Int(count) * MemoryLayout<io_uring_buf>.stride, node: node)
        let bufferMemory = try MemoryRegion(size: Int(count) * Int(bufferSize), hugePages: hugePages, node: node)
        self.count = count
        self.bufferSize = bufferSize
        self.groupID = groupID
        mask = UInt16(count - 1)
        self.ringMemory = ringMemory
        self.bufferMemory = bufferMemory
        for id in 0..<UInt16(count) { recycle(id) }
        publish()
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
