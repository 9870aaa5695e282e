// The worker's connection shard: one `ConnectionRecord` per fixed-file slot, in one 64-byte
// aligned allocation on the worker's NUMA node. The slot is the direct descriptor index the
// kernel picked at accept (IORING_FILE_INDEX_ALLOC), so no separate slot allocator exists.

/// A fixed-capacity array of connection records.
public struct ConnectionTable: ~Copyable {
    public let capacity: Int
    let memory: MemoryRegion
    public let records: UnsafeMutablePointer<ConnectionRecord>
    /// One past the highest slot ever used (bounds the drain scan).
    public var highWater: Int = 0

    public init(capacity: Int, node: Int32?) throws(SetupError) {
        self.capacity = capacity
        // mmap is page aligned, so every record starts on its own cache line. Not pre-faulted:
        // pages are touched (on the worker's node) as slots come into use.
        memory = try MemoryRegion(size: capacity * MemoryLayout<ConnectionRecord>.stride, populate: false, node: node)
        records = memory.base.bindMemory(to: ConnectionRecord.self, capacity: capacity)
        for i in 0..<capacity { (records + i).initialize(to: ConnectionRecord(generation: 0)) }
    }

    @inline(__always)
    public subscript(slot: UInt32) -> UnsafeMutablePointer<ConnectionRecord> {
        records + Int(slot)
    }

    /// The record's address, for alignment and NUMA checks.
    @inline(__always)
    public func address(of slot: UInt32) -> UnsafeRawPointer { UnsafeRawPointer(records + Int(slot)) }
}
