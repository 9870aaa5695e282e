// The worker's connection shard: one `ConnectionRecord` per fixed-file slot, in one 64-byte
// aligned allocation on the worker's NUMA node. The slot is the direct descriptor index the
// kernel picked at accept (IORING_FILE_INDEX_ALLOC), so no separate slot allocator exists.

/// A fixed-capacity array of connection records.
public struct ConnectionTable: ~Copyable {
    public let capacity: Int
    let memory: MemoryRegion
    public let records: UnsafeMutablePointer<ConnectionRecord>
    /// One past the highest slot ever used: records below it are initialised (and may be
    /// open), those above are untouched memory, so scans (drain, timers) stop here.
    public private(set) var highWater: Int = 0

    public init(capacity: Int, node: Int32?) throws(SetupError) {
        self.capacity = capacity
        // mmap is page aligned, so every record starts on its own cache line. Not pre-faulted,
        // and not initialised here either: `reach` initialises records as slots come into use,
        // so the pages are touched (on the worker's node) only that far. Initialising all of
        // them at start made 1 MiB resident at the default 16 384 connections (issue 15).
        memory = try MemoryRegion(size: capacity * MemoryLayout<ConnectionRecord>.stride, populate: false, node: node)
        records = memory.base.bindMemory(to: ConnectionRecord.self, capacity: capacity)
    }

    /// Makes `slot` usable before its first use: initialises every record from the high-water
    /// mark up to it. The kernel allocates direct descriptors from a moving hint
    /// (IORING_FILE_INDEX_ALLOC), so a slot may skip ahead; the records it skips are initialised
    /// too, and so every slot below `highWater` reads as a closed connection.
    @inline(__always)
    public mutating func reach(_ slot: UInt32) {
        let slot = Int(slot)
        guard slot >= highWater else { return }
        precondition(slot < capacity, "slot \(slot) beyond the table's \(capacity)")
        var i = highWater
        while i <= slot {
            (records + i).initialize(to: ConnectionRecord(generation: 0))
            i += 1
        }
        highWater = slot + 1
    }

    @inline(__always)
    public subscript(slot: UInt32) -> UnsafeMutablePointer<ConnectionRecord> {
        records + Int(slot)
    }

    /// The record's address, for alignment and NUMA checks.
    @inline(__always)
    public func address(of slot: UInt32) -> UnsafeRawPointer { UnsafeRawPointer(records + Int(slot)) }
}
