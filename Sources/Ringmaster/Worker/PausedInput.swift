// Connections whose receiving is paused, for either of its two reasons (Worker+Receive.swift):
// their output has no room (backpressure: the buffers that still arrived are held, unparsed),
// or the provided-buffer ring ran dry (ENOBUFS: parked until buffers come back).

/// Input held for blocked output, and connections parked for receive buffers.
struct PausedInput: ~Copyable {
    /// Receive buffers kept, in order, for connections whose output has no room.
    var held: HeldInput
    /// Connections parked by ENOBUFS, a FIFO re-armed as buffers come back.
    var starved: StarvedList

    init(buffers: Int, slots: Int) {
        held = HeldInput(buffers: buffers, slots: slots)
        starved = StarvedList(slots: slots)
    }
}
