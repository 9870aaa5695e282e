// The regular descriptors that let sendfile(2) write to connections the ring accepted into
// direct (fixed) descriptors, which no system call outside io_uring can name. One is installed
// per connection, the first time it sends a file body (IORING_OP_FIXED_FD_INSTALL, Linux 6.8),
// kept for the connection's later bodies and closed with the connection. Per worker, indexed
// by connection slot; the count is bounded so large bodies cannot exhaust RLIMIT_NOFILE.
import Glibc

/// Installed descriptors by connection slot.
struct SendfileSockets: ~Copyable {
    /// No descriptor installed for the slot.
    static let none: Int32 = -1
    /// Whether bodies go by sendfile: configured on and the kernel has FIXED_FD_INSTALL. Turned
    /// off for good by the first EINVAL from the install (an older kernel behind the probe).
    private(set) var enabled: Bool
    /// The most descriptors installed at once (the worker's stream count): beyond it a body
    /// goes by IORING_OP_READ + SEND, so an fd is never taken from accept or open.
    let limit: Int
    /// Descriptors now installed.
    private(set) var installed = 0
    private let slots: Int
    /// Per slot: the installed descriptor or `none`. Allocated on first use (an idle worker,
    /// or one with sendfile off, spends no memory on it).
    private var table: UnsafeMutablePointer<Int32>?

    init(enabled: Bool, slots: Int, limit: Int) {
        self.enabled = enabled && slots > 0
        self.slots = slots
        self.limit = limit
    }

    deinit {
        guard let table else { return }
        for slot in 0..<slots where table[slot] >= 0 { Glibc.close(table[slot]) }
        table.deallocate()
    }

    /// The slot's installed descriptor, or nil.
    @inline(__always)
    func descriptor(slot: UInt32) -> Int32? {
        guard let table, table[Int(slot)] >= 0 else { return nil }
        return table[Int(slot)]
    }

    /// Whether another descriptor may be installed now.
    var hasRoom: Bool { enabled && installed < limit }

    /// Takes `fd`, installed for `slot`, and makes it non-blocking: sendfile then returns
    /// EAGAIN on a full socket instead of blocking the worker. The flag is on the open file,
    /// which the direct descriptor shares; io_uring's recv and send on that descriptor do not
    /// depend on it (they poll internally), as bench/large-body-routes.c showed.
    mutating func adopt(_ fd: Int32, slot: UInt32) {
        if table == nil {
            table = .allocate(capacity: slots)
            table!.initialize(repeating: SendfileSockets.none, count: slots)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if table![Int(slot)] >= 0 { Glibc.close(table![Int(slot)]); installed -= 1 }
        table![Int(slot)] = fd
        installed += 1
    }

    /// Closes the slot's descriptor, if any (the connection is closing). The socket itself
    /// closes when the ring's direct descriptor is closed too.
    @inline(__always)
    mutating func close(slot: UInt32) {
        guard let table, table[Int(slot)] >= 0 else { return }
        Glibc.close(table[Int(slot)])
        table[Int(slot)] = SendfileSockets.none
        installed -= 1
    }

    /// The kernel refused FIXED_FD_INSTALL (EINVAL: older than Linux 6.8). Returns true the
    /// first time, for the caller to log it once.
    mutating func disable() -> Bool {
        defer { enabled = false }
        return enabled
    }
}
