// The active health check's verdicts (docs/proxy.md, "Active health check"), shared by the
// supervisor's HealthChecker, which writes them, and every worker, which reads them when it
// picks an upstream: one bit per upstream row (UpstreamCells' numbering of the distinct
// addresses, the same on every worker), in one atomic word. No lock; a relaxed load per pick.
import Synchronization

/// Which upstreams the active health check found failing.
public final class UpstreamProbes: Sendable {
    private let failing = Atomic<UInt64>(0)

    public init() {}

    /// Whether upstream row `row` failed its last check (rows past 63, and -1, never do).
    @inline(__always)
    func isFailing(row: Int) -> Bool {
        row >= 0 && row < 64 && failing.load(ordering: .relaxed) & (1 << UInt64(row)) != 0
    }

    /// Records the verdict of row `row`'s check; returns whether it changed.
    @discardableResult
    func record(row: Int, failing isFailing: Bool) -> Bool {
        guard row >= 0 && row < 64 else { return false }
        let bit: UInt64 = 1 << UInt64(row)
        let old = isFailing ? failing.bitwiseOr(bit, ordering: .relaxed).oldValue : failing.bitwiseAnd(~bit, ordering: .relaxed).oldValue
        return (old & bit != 0) != isFailing
    }

    /// Every row passes again (the checked set changed).
    func clear() { failing.store(0, ordering: .relaxed) }
}
