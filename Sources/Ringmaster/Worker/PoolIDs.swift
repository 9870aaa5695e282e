// The ids of a fixed pool whose entries are set up on first use (body streams, proxy
// exchanges): an id never handed out before is the next fresh one, so the pool's memory is
// touched only as far as it has ever been used (issue 15, item 3); a released id is reused
// first (a stack, so the entries in use stay few and warm).

/// Ids 0..<capacity: fresh ones in order, then released ones, last released first.
struct PoolIDs: ~Copyable {
    let capacity: Int
    /// Released ids, free again.
    private let freeList: UnsafeMutablePointer<UInt32>
    private var freeCount = 0
    /// Ids below this have been handed out at least once (their entries are initialised).
    private(set) var fresh = 0
    /// Ids handed out and not released.
    private(set) var inUse = 0

    init(capacity: Int) {
        self.capacity = capacity
        freeList = .allocate(capacity: max(capacity, 1))
    }

    deinit { freeList.deallocate() }

    /// A free id, and whether it is new (its entry was never initialised); nil when all
    /// `capacity` are in use.
    mutating func take() -> (id: Int, isNew: Bool)? {
        if freeCount > 0 {
            freeCount -= 1
            inUse += 1
            return (Int(freeList[freeCount]), false)
        }
        guard fresh < capacity else { return nil }
        fresh += 1
        inUse += 1
        return (fresh - 1, true)
    }

    /// Gives `id` back (the caller checks it was in use).
    mutating func give(_ id: Int) {
        freeList[freeCount] = UInt32(id)
        freeCount += 1
        inUse -= 1
    }
}
