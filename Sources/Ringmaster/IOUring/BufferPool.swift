// The worker's receive buffers: provided-buffer rings in groups 0, 1, ... The pool starts with
// one group, with only a window of its buffers in the ring; when receives run dry (ENOBUFS)
// for two seconds the window doubles (at most once a second), and once the group is whole another group is added (up to a configured
// maximum), so a burst of connections gets more buffers instead of waiting (audit item 7).

/// Up to `maxGroups` provided-buffer rings of equal shape.
public struct BufferPool: ~Copyable {
    public let maxGroups: Int
    public let count: UInt32
    public let bufferSize: UInt32
    let hugePages: HugePagePolicy
    let node: Int32?
    let groups: UnsafeMutablePointer<ProvidedBufferRing>
    public private(set) var groupCount = 0

    /// Creates group 0 and registers it with `ring`.
    public init(count: UInt32, bufferSize: UInt32, hugePages: HugePagePolicy, node: Int32?, maxGroups: Int,
                ring: borrowing Ring) throws(SetupError) {
        let first = try ProvidedBufferRing(count: count, bufferSize: bufferSize, groupID: 0, hugePages: hugePages, node: node)
        try first.register(with: ring)
        self.maxGroups = max(1, maxGroups)
        self.count = count
        self.bufferSize = bufferSize
        self.hugePages = hugePages
        self.node = node
        groups = .allocate(capacity: self.maxGroups)
        (groups + 0).initialize(to: first)
        groupCount = 1
    }

    deinit {
        groups.deinitialize(count: groupCount)
        groups.deallocate()
    }

    /// The group new receives are armed with: the newest, which has the most free buffers
    /// right after it is added.
    @inline(__always)
    public var currentGroup: UInt16 { UInt16(groupCount - 1) }

    public var usesHugePages: Bool { groups[0].usesHugePages }

    @inline(__always)
    public func buffer(group: UInt16, id: UInt16) -> UnsafeMutableRawPointer { groups[Int(group)].buffer(id) }

    @inline(__always)
    public mutating func recycle(group: UInt16, id: UInt16) { groups[Int(group)].recycle(id) }

    /// Publishes every group whose tail moved; returns how many buffers became available.
    @inline(__always)
    public mutating func publish() -> Int {
        var returned = 0
        for i in 0..<groupCount {
            // Safe: tails are free-running 16-bit counters.
            returned += Int(groups[i].tail &- groups[i].publishedTail)
            groups[i].publish()
        }
        return returned
    }

    /// Puts more of the current group's buffers in its ring (the window doubles once receives
    /// have run dry for two seconds, at most once a second); returns how many, 0 when it may
    /// not yet or the group already has all of them (then `grow` adds a group).
    public mutating func widen() -> Int { Int(groups[groupCount - 1].widen()) }

    /// Buffers of every group that are in a ring (the rest is unfaulted address space).
    public var introduced: Int {
        var n = 0
        for i in 0..<groupCount { n += Int(groups[i].introduced) }
        return n
    }

    /// Adds a group (registered with `ring`); false when the pool is at its maximum or the
    /// last group is not whole yet (its window is still widening). Only a burst that used
    /// every buffer of the last group gets here, so a new group starts whole.
    public mutating func grow(ring: borrowing Ring) throws(SetupError) -> Bool {
        guard groupCount < maxGroups, groups[groupCount - 1].isWhole else { return false }
        let next = try ProvidedBufferRing(count: count, bufferSize: bufferSize, groupID: UInt16(groupCount),
                                          hugePages: hugePages, node: node, window: count)
        try next.register(with: ring)
        (groups + groupCount).initialize(to: next)
        groupCount += 1
        return true
    }
}
