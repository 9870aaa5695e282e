// The layout of a worker's request block (durations and per-route counts) and the duration
// histogram's buckets. The bounds follow the 1-2.5-5 series from 1 µs to 10 s, computed with
// integer arithmetic rather than read from a table, so recording touches no global array (no
// lazy initialisation, no retain) and the exposition prints exact decimals.
import Glibc

/// Offsets (in 8-byte cells) of the request block and the duration bucket math.
public enum RequestCells {
    /// Finite bucket bounds: 1, 2.5, 5, 10 ... 5000 ms, 10 s (22 of them).
    public static let durationBounds = 22
    /// Buckets: one per bound plus the one above every bound.
    public static let durationBuckets = durationBounds + 1
    /// The cell holding the sum of durations (nanoseconds).
    static let durationSum = durationBuckets
    /// The first route cell: 256 of them, one per route byte (254 and 255 are 405 and 404).
    static let routeBase = 32
    static let routeSlots = 256
    /// The block's size: a whole number of cache lines.
    static let byteCount = (routeBase + routeSlots) * 8

    /// Writes every bucket's upper bound (`durationBound`) into `bounds` (durationBounds long),
    /// for a histogram sample. An index loop: debug-build iterators allocate.
    static func fillDurationBounds(_ bounds: UnsafeMutableBufferPointer<Int64>) {
        var i = 0
        while i < durationBounds {
            bounds[i] = Int64(durationBound(i))
            i += 1
        }
    }

    /// The upper bound of bucket `index` (0..<durationBounds) in nanoseconds:
    /// 1000 × 10^(index / 3) × (1, 2.5, 5)[index % 3].
    public static func durationBound(_ index: Int) -> UInt64 {
        var decade: UInt64 = 1000
        var step = 0
        while step < index / 3 {
            decade *= 10
            step += 1
        }
        switch index % 3 {
        case 0: return decade
        case 1: return decade * 5 / 2
        default: return decade * 5
        }
    }

    /// The bucket for `nanoseconds`: the first whose bound is at least it. A walk up the
    /// decades (one compare each), then the step inside the decade: an answer of a few
    /// microseconds stops in the first or second decade. (The earlier walk bound by bound,
    /// with a modulo per step, cost 70 instructions per request under callgrind.)
    @inline(__always)
    public static func durationBucket(_ nanoseconds: UInt64) -> Int {
        var decade: UInt64 = 1000
        var index = 0
        while index < durationBounds {
            if nanoseconds <= decade * 5 {
                let step = nanoseconds <= decade ? 0 : nanoseconds <= decade * 5 / 2 ? 1 : 2
                return min(index + step, durationBounds)
            }
            decade *= 10
            index += 3
        }
        return durationBounds
    }

    /// Writes `value` (non-negative) in decimal at `base`; returns the length (at most 20).
    static func writeDecimal(_ value: Int, into base: UnsafeMutableRawPointer) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 { digits += 1; rest /= 10 }
        var n = value
        var i = digits - 1
        while i >= 0 {
            base.storeBytes(of: UInt8(ascii: "0") + UInt8(n % 10), toByteOffset: i, as: UInt8.self)
            n /= 10
            i -= 1
        }
        return digits
    }

    /// CLOCK_MONOTONIC in nanoseconds (vDSO on Linux: no system call), never 0.
    @inline(__always)
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        // Safe: tv_sec of a monotonic clock is far below 2^64 / 10^9.
        return (UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)) | 1
    }
}
