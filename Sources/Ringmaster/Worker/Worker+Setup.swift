// Cold-path setup steps of a worker that talk to the kernel: the fixed-file table and the
// check that socket commands work, each failing with the feature and kernel version.
import CURing
import Glibc

extension Worker {
    /// Raises the soft RLIMIT_NOFILE to the hard limit and registers a sparse fixed-file table
    /// of min(wanted, limit) slots (the kernel refuses tables larger than RLIMIT_NOFILE).
    static func registerFixedFiles(ring: borrowing Ring, wanted: Int) throws(SetupError) -> Int {
        let limit = Limits.raiseOpenFileLimit()
        let size = max(16, min(wanted, limit))
        let r = curing_register_files_sparse(ring.fd, UInt32(size))
        if r == -EINVAL { throw .missingFeature("sparse fixed-file tables (IORING_REGISTER_FILES2, IORING_RSRC_REGISTER_SPARSE)", since: "5.19", errno: -r) }
        if r < 0 { throw .call("io_uring_register(IORING_REGISTER_FILES2, \(size) slots; RLIMIT_NOFILE is \(limit))", errno: -r) }
        return size
    }

    /// Sets SO_REUSEADDR (already 1: no change) on the listener through IORING_OP_URING_CMD
    /// (SOCKET_URING_OP_SETSOCKOPT, Linux 6.7), synchronously, to learn at startup whether
    /// accepted sockets can get options without a system call (TCP_QUICKACK). TCP_NODELAY is
    /// set by Listener.open as configured and inherited by accepted sockets, so this probe
    /// must not touch it.
    static func checkSocketCommands(ring: inout Ring, listenerFD: Int32) throws(SetupError) {
        let sqe = ring.nextSQE()
        curing_prep_setsockopt(sqe, listenerFD, SOL_SOCKET, SO_REUSEADDR, SocketOptions.one, 4)
        sqe.pointee.user_data = UserData(slot: 0, operation: .setsockopt).rawValue
        ring.submitAndWait()
        let (head, tail) = ring.readyCompletions()
        guard head != tail else { throw SetupError("the startup setsockopt through IORING_OP_URING_CMD produced no completion") }
        let result = ring.cqe(at: head).pointee.res
        ring.consumeCompletions(upTo: tail)
        if result == -EOPNOTSUPP || result == -EINVAL || result == -ENOTSUP {
            throw .missingFeature("setsockopt through IORING_OP_URING_CMD (SOCKET_URING_OP_SETSOCKOPT)", since: "6.7", errno: -result)
        }
        if result < 0 { throw .call("setsockopt(SO_REUSEADDR) through IORING_OP_URING_CMD", errno: -result) }
    }
}

extension Worker {
    /// Registers NAPI busy polling when configured (IORING_REGISTER_NAPI, Linux 6.9). Off by
    /// default; a kernel without it (EINVAL) or a device without NAPI keeps interrupt-driven
    /// completions, and the summary line says which.
    static func registerNAPI(ring: borrowing Ring, microseconds: UInt32, prefer: Bool) -> String {
        guard microseconds > 0 else { return "off" }
        let r = curing_register_napi(ring.fd, microseconds, prefer ? 1 : 0)
        if r == 0 { return "\(microseconds)us\(prefer ? "+prefer" : "")" }
        return "unavailable(\(Errno.describe(-r)); IORING_REGISTER_NAPI needs Linux 6.9)"
    }
}

/// Option values the kernel reads at submit time; they live for the process.
enum SocketOptions {
    nonisolated(unsafe) static let one: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 1)
        return p
    }()
}

/// Process resource limits.
public enum Limits {
    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the resulting soft limit.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, rlim_t(Int32.max)))
    }
}
