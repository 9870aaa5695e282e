// Connections parked because the provided-buffer ring ran dry (ENOBUFS): a FIFO re-armed, oldest
// first, as buffers come back (audit item 7: never spin on an empty ring).

/// A FIFO of parked slots. A slot closed while parked leaves a stale entry behind, and its
/// next occupant may park again, so the ring holds two entries per slot.
struct StarvedList: ~Copyable {
    let entries: UnsafeMutablePointer<UInt32>
    let capacity: Int
    private var head = 0
    private(set) var count = 0

    init(slots: Int) {
        capacity = 2 * max(slots, 1)
        entries = .allocate(capacity: capacity)
    }

    deinit { entries.deallocate() }

    mutating func append(_ slot: UInt32) {
        precondition(count < capacity, "more parked entries than two per slot")
        entries[(head + count) % capacity] = slot
        count += 1
    }

    /// The oldest parked slot (which may since have closed: its machine says).
    mutating func removeFirst() -> UInt32 {
        let slot = entries[head]
        head = (head + 1) % capacity
        count -= 1
        return slot
    }
}
