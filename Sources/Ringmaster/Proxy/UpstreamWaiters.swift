// Requests waiting for a connection (docs/proxy.md, "Connection cap and queue"): when every
// usable upstream of a group is at `max_connections`, an exchange waits here instead of being
// refused, and the next connection released to the group (back to the idle pool, or closed)
// serves the oldest. A FIFO of exchange ids over an array that keeps its capacity, so waiting
// allocates nothing once the queue has grown to its working size.

/// One group's waiting exchanges, oldest first. Entries may be stale (the exchange was freed
/// when its client left, or timed out): the worker checks each one it takes.
struct UpstreamWaiters {
    private var ids: [UInt16] = []
    private var head = 0

    var count: Int { ids.count - head }

    mutating func append(_ id: UInt16) {
        // Under sustained saturation the queue never empties: the taken front is dropped
        // once it is the larger half, so the array stays bounded by the waiters it holds.
        if head > 32 && head * 2 > ids.count {
            ids.removeFirst(head)
            head = 0
        }
        ids.append(id)
    }

    /// The oldest waiter, or nil when none is left (the array is then emptied, keeping its
    /// capacity).
    mutating func popFirst() -> UInt16? {
        guard head < ids.count else { return nil }
        let id = ids[head]
        head += 1
        if head == ids.count {
            ids.removeAll(keepingCapacity: true)
            head = 0
        }
        return id
    }
}
