// The worker's receive buffers: provided-buffer rings in groups 0, 1, ... The pool starts with
// one group and adds another (up to a configured maximum) when receives run dry (ENOBUFS),
// so a burst of connections gets more buffers instead of waiting (audit item 7).

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

    /// Adds a group (registered with `ring`); false when the pool is at its maximum.
    public mutating func grow(ring: borrowing Ring) throws(SetupError) -> Bool {
        guard groupCount < maxGroups else { return false }
        let next = try ProvidedBufferRing(count: count, bufferSize: bufferSize, groupID: UInt16(groupCount),
                                          hugePages: hugePages, node: node)
        try next.register(with: ring)
        (groups + groupCount).initialize(to: next)
        groupCount += 1
        return true
    }
}
