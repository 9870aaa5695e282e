// The clock request durations are read with. A vDSO clock_gettime costs about 27 ns on this
// machine, and a timed request reads the clock twice: ~55 ns, some 9% of a pipelined request's
// 0.6 µs. The CPU's constant-rate counter (rdtsc; CNTVCT_EL0 on AArch64) reads in a few
// nanoseconds. It is used only where the kernel itself trusts it for CLOCK_MONOTONIC (x86-64
// clocksource "tsc": constant rate, synchronised across CPUs, so an unpinned worker that moves
// between the two reads still measures right; AArch64's generic timer always is), and its rate
// is calibrated against CLOCK_MONOTONIC once at startup. Elsewhere durations use
// clock_gettime.
import CURing
import Glibc

/// Cycle counter calibration: ticks to nanoseconds as a 32.32 fixed-point factor.
public enum CycleClock {
    /// Nanoseconds per tick × 2^32, or 0 when the counter is not to be used.
    public static let scale: UInt64 = calibrate()

    /// Whether the kernel's clocksource says the counter is a trustworthy clock.
    static var counterIsClock: Bool {
        #if arch(arm64)
        return true
        #elseif arch(x86_64)
        guard let file = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r") else { return false }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 32)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return false }
        return String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) == "tsc"
        #else
        return false
        #endif
    }

    /// Counts ticks over 10 ms of CLOCK_MONOTONIC; 0 when the counter is not a clock here.
    /// The cycle counter now (rdtsc through the C shim), for callers that do not import CURing.
    @inline(__always)
    public static func now() -> UInt64 { curing_cycles() }

    static func calibrate() -> UInt64 {
        guard counterIsClock else { return 0 }
        let t0 = RequestCells.monotonicNanoseconds(), c0 = curing_cycles()
        usleep(10_000)
        let t1 = RequestCells.monotonicNanoseconds(), c1 = curing_cycles()
        guard c1 > c0, t1 > t0 else { return 0 }
        return UInt64((Double(t1 - t0) / Double(c1 - c0)) * 4_294_967_296.0)
    }

    /// `ticks` in nanoseconds with `scale` (ticks × scale / 2^32, without overflow).
    @inline(__always)
    static func nanoseconds(ticks: UInt64, scale: UInt64) -> UInt64 {
        let (high, low) = ticks.multipliedFullWidth(by: scale)
        return high << 32 | low >> 32
    }
}
