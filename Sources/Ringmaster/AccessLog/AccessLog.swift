// A worker's access log: its file, its buffer pair, the request records lines are finished
// from, and the timestamp cached for the current second. Everything is allocated at worker
// start, and only when the log is on; a worker with the log off holds no memory for it and
// pays one branch per request (`enabled`). Driven by Worker+AccessLog.swift.
import CURing
import Glibc
import RingmasterHTTP

/// One worker's access log state.
struct AccessLog: ~Copyable {
    /// "No slot" for `scratchOwner`.
    static let noSlot = UInt32.max

    let enabled: Bool
    let format: AccessLogFormat
    /// The file new writes go to; -1 when off or closed.
    var fd: Int32
    /// The file the in-flight write goes to: `fd`, or the previous file after a reopen (closed
    /// once that write is finished). Meaningful only while `buffers.isWriting`.
    var writeFD: Int32 = -1
    var buffers: AccessLogBuffer
    /// Set when the filling buffer should be written as soon as the write in flight finishes
    /// (a tick found one in flight, or a line was dropped).
    var flushWanted = false
    /// A write failure was logged; reset by the next successful write (one message per run
    /// of failures, every failure counted).
    var failureLogged = false
    /// Body bytes of the last /metrics response (its size is known only once written).
    var metricsBodyBytes = 0
    /// The upstream that answered the request being committed (a proxy route's), set just
    /// before its commit and cleared after it: JSON's `upstream_addr` and `upstream_time_us`
    /// (nil and ignored for every other answer).
    var upstream: UnsafeRawBufferPointer?
    var upstreamMicroseconds: UInt64 = 0
    /// The request id of the handler answer being committed (RequestIDs), set just before
    /// its commit and cleared after it: JSON's `request_id` (null for other answers).
    var requestID: UnsafeRawBufferPointer?
    /// The slot whose request the scratch record holds, or `noSlot`.
    private(set) var scratchOwner = AccessLog.noSlot
    /// Request records, `AccessLogRequest.size` each: the scratch, the timestamp, then one per
    /// connection slot. Mapped without reserving memory: a slot's record is touched only when
    /// its request waits for a body while another request comes in (`capture`).
    private let records: UnsafeMutableRawPointer?
    private let recordsSize: Int
    private var stampSecond = Int.min
    private var stampLength = 0

    /// The log off: nothing allocated, nothing open.
    init() {
        enabled = false
        format = .common
        fd = -1
        buffers = try! AccessLogBuffer(capacity: 0)
        records = nil
        recordsSize = 0
    }

    /// The log on, writing to `fd` (owned from here on) with room for `slots` connections.
    /// Call on the worker's thread, after pinning, so first touch lands on its node.
    init(fd: Int32, format: AccessLogFormat, slots: Int, node: Int32?, bufferCapacity: Int = AccessLogBuffer.defaultCapacity) throws(SetupError) {
        let size = (slots + 2) * AccessLogRequest.size
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), p != MAP_FAILED else {
            throw .call("mmap of the access log's request records (\(size) bytes)", errno: errno)
        }
        if let node, numa_available() >= 0 { numa_tonode_memory(p, size, node) }
        do {
            buffers = try AccessLogBuffer(capacity: bufferCapacity)
        } catch {
            munmap(p, size)
            throw error
        }
        enabled = true
        self.format = format
        self.fd = fd
        records = p
        recordsSize = size
    }

    deinit {
        if fd >= 0 { close(fd) }
        if buffers.isWriting && writeFD >= 0 && writeFD != fd { close(writeFD) }
        if let records { munmap(records, recordsSize) }
    }

    @inline(__always)
    private func record(_ index: Int) -> UnsafeMutableRawPointer {
        // Safe: only called when the log is on, so the records exist.
        records.unsafelyUnwrapped + index * AccessLogRequest.size
    }

    /// Captures the request part of `slot`'s line into the scratch record. When the scratch
    /// still holds another slot's request whose response is owed (its body is being read),
    /// `keepOwner` saves that one to its slot's record first.
    mutating func capture(slot: UInt32, method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer,
                          version: HTTPVersion, referer: UnsafeRawBufferPointer?, userAgent: UnsafeRawBufferPointer?,
                          keepOwner: Bool) {
        if keepOwner { AccessLogRequest.copy(from: record(0), to: record(2 + Int(scratchOwner))) }
        AccessLogRequest.capture(method: method, target: target, version: version, referer: referer, userAgent: userAgent,
                                 startNanoseconds: logsDuration ? AccessLog.monotonicNanoseconds() : 0, format: format, into: record(0))
        scratchOwner = slot
    }

    /// Whether lines carry Referer and User-Agent (combined, JSON): the head's fields are
    /// scanned for them only then.
    var logsFields: Bool {
        if case .common = format { return false }
        return true
    }

    /// Whether lines carry the request time (JSON): the clock is read only then.
    var logsDuration: Bool {
        if case .json = format { return true }
        return false
    }

    /// CLOCK_MONOTONIC in nanoseconds (vDSO: no system call).
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// `slot`'s captured request: the scratch when it still holds it, else the slot's record
    /// (saved by `capture`). Valid until the next `capture`.
    mutating func takeRequest(slot: UInt32) -> UnsafeRawPointer {
        if scratchOwner == slot {
            scratchOwner = AccessLog.noSlot
            return UnsafeRawPointer(record(0))
        }
        return UnsafeRawPointer(record(2 + Int(slot)))
    }

    /// Appends one line if the filling buffer has room for the longest line; false when not.
    mutating func append(client: ClientAddress, request: UnsafeRawPointer?, status: UInt16, bodyBytes: Int, unixSeconds: Int,
                         nowNanoseconds: UInt64 = 0) -> Bool {
        guard buffers.room >= AccessLogLine.maxLength else { return false }
        if unixSeconds != stampSecond {
            stampSecond = unixSeconds
            stampLength = AccessLogTimestamp.write(unixSeconds: unixSeconds, format: format, into: record(1))
        }
        let length = AccessLogLine.write(format: format, client: client, stamp: UnsafeRawBufferPointer(start: record(1), count: stampLength),
                                         request: request, status: status, bodyBytes: UInt64(max(bodyBytes, 0)),
                                         nowNanoseconds: nowNanoseconds, upstream: upstream, upstreamMicroseconds: upstreamMicroseconds,
                                         requestID: requestID,
                                         into: buffers.tail)
        buffers.commit(length)
        return true
    }
}
