// Backpressure without copying: while a connection's output has no room, the receive buffers
// that still arrive for it (those the kernel filled before the recv's cancel took effect) are
// kept, in order, instead of being parsed or copied; they are parsed once the output drains,
// and recycled then. Their number is bounded by the provided-buffer pool itself, so a client
// that pipelines without reading costs at most the buffers it already filled, and the rest of
// its bytes stay in the kernel's socket buffer, where TCP flow control pushes back.

/// One held receive buffer: unparsed bytes [offset, length) of buffer `id` in `group`.
struct HeldBuffer {
    var group: UInt16
    var id: UInt16
    var offset: UInt32
    var length: UInt32
    var next: UInt32
}

/// Per-worker FIFO of held receive buffers per connection slot. Nodes come from one pool
/// sized to every provided buffer the worker can ever have, so appending never fails.
struct HeldInput: ~Copyable {
    static let none: UInt32 = .max
    let nodes: UnsafeMutablePointer<HeldBuffer>
    let capacity: Int
    /// Per slot: first and last node, or `none`. Written only for slots that hold input.
    let heads: UnsafeMutablePointer<UInt32>
    let tails: UnsafeMutablePointer<UInt32>
    var free: UInt32
    /// Buffers held now, over all slots (a gauge for tests and metrics).
    private(set) var count = 0

    init(buffers: Int, slots: Int) {
        capacity = max(buffers, 1)
        nodes = .allocate(capacity: capacity)
        for i in 0..<capacity {
            nodes[i] = HeldBuffer(group: 0, id: 0, offset: 0, length: 0, next: i + 1 < capacity ? UInt32(i + 1) : HeldInput.none)
        }
        free = 0
        heads = .allocate(capacity: max(slots, 1))
        heads.initialize(repeating: HeldInput.none, count: max(slots, 1))
        tails = .allocate(capacity: max(slots, 1))
        tails.initialize(repeating: HeldInput.none, count: max(slots, 1))
    }

    deinit {
        nodes.deallocate()
        heads.deallocate()
        tails.deallocate()
    }

    /// Whether `slot` holds input.
    @inline(__always)
    func holds(_ slot: UInt32) -> Bool { heads[Int(slot)] != HeldInput.none }

    /// Keeps bytes [offset, length) of buffer `id` of `group` after what `slot` holds.
    mutating func append(slot: UInt32, group: UInt16, id: UInt16, offset: Int, length: Int) {
        let node = free
        precondition(node != HeldInput.none, "more held buffers than the pool has")
        free = nodes[Int(node)].next
        nodes[Int(node)] = HeldBuffer(group: group, id: id, offset: UInt32(offset), length: UInt32(length), next: HeldInput.none)
        if tails[Int(slot)] == HeldInput.none {
            heads[Int(slot)] = node
        } else {
            nodes[Int(tails[Int(slot)])].next = node
        }
        tails[Int(slot)] = node
        count += 1
    }

    /// The oldest held buffer of `slot`, or nil.
    @inline(__always)
    func first(_ slot: UInt32) -> HeldBuffer? {
        let node = heads[Int(slot)]
        return node == HeldInput.none ? nil : nodes[Int(node)]
    }

    /// `consumed` more bytes of the oldest buffer were parsed.
    mutating func advanceFirst(_ slot: UInt32, by consumed: Int) {
        nodes[Int(heads[Int(slot)])].offset += UInt32(consumed)
    }

    /// Drops the oldest held buffer of `slot` and returns it (for the caller to recycle).
    mutating func removeFirst(_ slot: UInt32) -> HeldBuffer {
        let node = heads[Int(slot)]
        let held = nodes[Int(node)]
        heads[Int(slot)] = held.next
        if held.next == HeldInput.none { tails[Int(slot)] = HeldInput.none }
        nodes[Int(node)].next = free
        free = node
        count -= 1
        return held
    }
}
