// Per-worker connection timeouts: one byte per connection holding the tick (1 s) at which
// its deadline passes, swept once a tick by a multishot timeout (IORING_TIMEOUT_MULTISHOT,
// Linux 6.4). Setting a deadline is one byte store; the sweep reads the dense byte array
// eight bytes at a time, so even 1M connections are a 1 MiB scan per second.

/// Deadlines of up to `capacity` connections, in ticks modulo 255 (0 = no deadline).
public struct TimingWheel: ~Copyable {
    public let capacity: Int
    let deadlines: UnsafeMutablePointer<UInt8>
    /// The current tick, 1...255.
    public private(set) var tick: UInt8 = 1

    public init(capacity: Int) {
        self.capacity = capacity
        // Rounded up to whole 8-byte words for the sweep.
        let words = (capacity + 7) / 8
        deadlines = .allocate(capacity: words * 8)
        deadlines.initialize(repeating: 0, count: words * 8)
    }

    deinit { deadlines.deallocate() }

    /// The deadline at least `seconds` (1...253) from now: the current tick is already partly
    /// gone, so one more tick is added and a deadline passes between `seconds` and
    /// `seconds + 1` seconds after it was set.
    @inline(__always)
    func after(_ seconds: UInt8) -> UInt8 {
        // Safe: tick <= 255 and seconds <= 254, so the sum fits in Int.
        UInt8((Int(tick) + Int(min(seconds, 253))) % 255 + 1)
    }

    @inline(__always)
    public func set(_ slot: UInt32, seconds: UInt8) { deadlines[Int(slot)] = after(seconds) }

    @inline(__always)
    public func clear(_ slot: UInt32) { deadlines[Int(slot)] = 0 }

    @inline(__always)
    public func deadline(_ slot: UInt32) -> UInt8 { deadlines[Int(slot)] }

    /// Moves to the next tick.
    public mutating func advance() { tick = tick == 255 ? 1 : tick + 1 }

    /// The first slot at or after `start` (below `limit`) whose deadline is the current tick,
    /// or nil. Eight deadlines per step: a word has a matching byte when the word XOR the
    /// tick broadcast has a zero byte (the classic has-zero-byte test).
    public func nextExpired(from start: Int, limit: Int) -> Int? {
        let end = min(limit, capacity)
        var slot = start
        let pattern = UInt64(tick) &* 0x0101_0101_0101_0101
        while slot < end {
            if slot & 7 == 0 && slot + 8 <= end {
                let word = UnsafeRawPointer(deadlines + slot).loadUnaligned(as: UInt64.self) ^ pattern
                // Safe: the has-zero-byte test relies on wrapping subtraction.
                if (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 == 0 {
                    slot += 8
                    continue
                }
            }
            if deadlines[slot] == tick { return slot }
            slot += 1
        }
        return nil
    }
}
