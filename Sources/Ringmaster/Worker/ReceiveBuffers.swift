// The receive side's buffers (Worker+Receive.swift): the provided-buffer ring the kernel fills
// (IOUring/BufferPool.swift), the buffers held out of it for connections whose output has no
// room (backpressure: they wait, unparsed and in order, until the output drains), and the
// connections parked because the ring ran dry (ENOBUFS), re-armed as buffers come back. They
// change together: a held buffer returns to the pool when its connection reads it or closes,
// and what the pool gets back each batch is the budget for re-arming the parked connections.

/// The provided receive buffers, the input held out of them, and the connections waiting for them.
struct ReceiveBuffers: ~Copyable {
    /// The provided-buffer rings (IORING_REGISTER_PBUF_RING), one group or more.
    var pool: BufferPool
    /// Receive buffers kept, in order, for connections whose output has no room.
    var held: HeldInput
    /// Connections parked by ENOBUFS, a FIFO re-armed as buffers come back.
    var starved: StarvedList

    /// `pool` may grow to `pool.maxGroups` groups (at least 1), so the held queue has room for all of them.
    init(pool: consuming BufferPool, slots: Int) {
        held = HeldInput(buffers: Int(pool.count) * pool.maxGroups, slots: slots)
        starved = StarvedList(slots: slots)
        self.pool = pool
    }
}
