// The pair of buffers an access log fills and writes: lines go into one while the kernel may be
// writing the other (IORING_OP_WRITE), so a write in flight never stalls the loop. At most one
// write is in flight: two writes in flight on one O_APPEND file could land out of order. The
// ring work itself is in Worker+AccessLog.swift; this is the bookkeeping, testable alone.
import Glibc

/// Two fixed log buffers: one filling, the other free or being written.
struct AccessLogBuffer: ~Copyable {
    /// Bytes per buffer.
    static let defaultCapacity = 64 * 1024
    let capacity: Int
    /// Both buffers, `capacity` bytes each; nil when the access log is off.
    private let base: UnsafeMutableRawPointer?
    /// The buffer lines are appended to (0 or 1).
    private(set) var filling = 0
    private var lengths: (Int, Int) = (0, 0)
    /// The buffer handed to the kernel, or -1.
    private(set) var inFlight = -1
    /// Bytes of the in-flight buffer the kernel has written so far (short writes continue).
    private(set) var written = 0

    /// Maps the pair (pre-faulted, so appending a line never page-faults); `capacity` 0 maps
    /// nothing (access log off).
    init(capacity: Int) throws(SetupError) {
        self.capacity = capacity
        guard capacity > 0 else {
            base = nil
            return
        }
        guard let p = mmap(nil, 2 * capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0),
              p != MAP_FAILED else {
            throw .call("mmap of the access log buffers (\(2 * capacity) bytes)", errno: errno)
        }
        base = p
    }

    deinit { if let base { munmap(base, 2 * capacity) } }

    @inline(__always)
    private func length(_ buffer: Int) -> Int { buffer == 0 ? lengths.0 : lengths.1 }

    @inline(__always)
    private mutating func setLength(_ buffer: Int, _ value: Int) {
        if buffer == 0 { lengths.0 = value } else { lengths.1 = value }
    }

    @inline(__always)
    private func start(_ buffer: Int) -> UnsafeMutableRawPointer {
        // Safe: only called when the log is on, so the buffers exist.
        base.unsafelyUnwrapped + buffer * capacity
    }

    /// Bytes waiting in the filling buffer.
    var pending: Int { length(filling) }
    /// Room left in the filling buffer.
    var room: Int { capacity - length(filling) }
    /// Whether a write is in flight.
    var isWriting: Bool { inFlight >= 0 }

    /// Where the next line goes; `room` bytes are free there.
    var tail: UnsafeMutableRawPointer { start(filling) + length(filling) }

    /// Counts `count` bytes written at `tail`.
    @inline(__always)
    mutating func commit(_ count: Int) { setLength(filling, length(filling) + count) }

    /// Hands the filling buffer to the kernel and starts filling the other one, when nothing
    /// is in flight and there is something to write. Returns whether it did (the caller then
    /// submits `unwritten`).
    mutating func beginWrite() -> Bool {
        guard inFlight < 0, length(filling) > 0 else { return false }
        inFlight = filling
        written = 0
        // The other buffer is empty: a buffer is emptied when its write finishes.
        filling = 1 - filling
        return true
    }

    /// The in-flight buffer's bytes the kernel has not written yet.
    var unwritten: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: start(inFlight) + written, count: length(inFlight) - written)
    }

    /// Accounts a write's result. Returns true when the buffer is finished (free again) and
    /// false when bytes remain to be written (a short write: submit `unwritten` again). A
    /// failure (negative, or 0 for a non-empty write) drops the buffer's remaining bytes.
    mutating func complete(result: Int) -> Bool {
        assert(inFlight >= 0, "a write completion with no write in flight")
        if result > 0 {
            written += result
            if written < length(inFlight) { return false }
        }
        setLength(inFlight, 0)
        inFlight = -1
        written = 0
        return true
    }

    /// The filling buffer's bytes (for the synchronous write at teardown).
    var fillingBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: start(filling), count: length(filling)) }

    /// Empties the filling buffer (after its synchronous write).
    mutating func clearFilling() { setLength(filling, 0) }
}
