// Cold-path setup steps of a worker's ring that talk to the kernel: the fixed-file table, the
// check that socket commands work, NAPI registration and the access log's write op, each
// failing with the feature and kernel version.
import CURing
import Glibc

extension Ring {
    /// Raises the soft RLIMIT_NOFILE to the hard limit and registers a sparse fixed-file table
    /// of min(wanted, limit) slots (the kernel refuses tables larger than RLIMIT_NOFILE).
    public func registerFixedFiles(wanted: Int) throws(SetupError) -> Int {
        let limit = Limits.raiseOpenFileLimit()
        let size = max(16, min(wanted, limit))
        let r = curing_register_files_sparse(fd, UInt32(size))
        if r == -EINVAL { throw .missingFeature("sparse fixed-file tables (IORING_REGISTER_FILES2, IORING_RSRC_REGISTER_SPARSE)", since: "5.19", errno: -r) }
        if r < 0 { throw .call("io_uring_register(IORING_REGISTER_FILES2, \(size) slots; RLIMIT_NOFILE is \(limit))", errno: -r) }
        return size
    }

    /// Sets SO_REUSEADDR (already 1: no change) on the listener through IORING_OP_URING_CMD
    /// (SOCKET_URING_OP_SETSOCKOPT, Linux 6.7), synchronously, to learn at startup whether
    /// accepted sockets can get options without a system call (TCP_QUICKACK). TCP_NODELAY is
    /// set by Listener.open as configured and inherited by accepted sockets, so this probe
    /// must not touch it.
    public mutating func checkSocketCommands(listenerFD: Int32) throws(SetupError) {
        let sqe = nextSQE()
        curing_prep_setsockopt(sqe, listenerFD, SOL_SOCKET, SO_REUSEADDR, SocketOptionValues.one, 4)
        sqe.pointee.user_data = UserData(slot: 0, operation: .setsockopt).rawValue
        submitAndWait()
        let (head, tail) = readyCompletions()
        guard head != tail else { throw SetupError("the startup setsockopt through IORING_OP_URING_CMD produced no completion") }
        let result = cqe(at: head).pointee.res
        consumeCompletions(upTo: tail)
        if result == -EOPNOTSUPP || result == -EINVAL || result == -ENOTSUP {
            throw .missingFeature("setsockopt through IORING_OP_URING_CMD (SOCKET_URING_OP_SETSOCKOPT)", since: "6.7", errno: -result)
        }
        if result < 0 { throw .call("setsockopt(SO_REUSEADDR) through IORING_OP_URING_CMD", errno: -result) }
    }

    /// Registers NAPI busy polling when configured (IORING_REGISTER_NAPI, Linux 6.9). Off by
    /// default; a kernel without it (EINVAL) or a device without NAPI keeps interrupt-driven
    /// completions, and the summary line says which.
    public func registerNAPI(microseconds: UInt32, prefer: Bool) -> String {
        guard microseconds > 0 else { return "off" }
        let r = curing_register_napi(fd, microseconds, prefer ? 1 : 0)
        if r == 0 { return "\(microseconds)us\(prefer ? "+prefer" : "")" }
        return "unavailable(\(Errno.describe(-r)); IORING_REGISTER_NAPI needs Linux 6.9)"
    }

    /// Checks for IORING_OP_WRITE (Linux 5.6) when the access log is on.
    public func checkLogWrites() throws(SetupError) {
        let r = curing_probe_op(fd, UInt32(IORING_OP_WRITE.rawValue))
        if r < 0 { throw .missingFeature("IORING_REGISTER_PROBE", since: "5.6", errno: -r) }
        if r == 0 { throw .missingFeature("IORING_OP_WRITE (the access log)", since: "5.6") }
    }
}
