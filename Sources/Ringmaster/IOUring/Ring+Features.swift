// What the ring needs from the kernel, checked once at startup: setup flags and opcodes, each
// with the kernel version that added it, so a missing one is named in the error.
import CURing
import Glibc

extension Ring {
    /// A required setup flag and the Linux version that added it.
    struct RequiredFlag {
        let flag: UInt32
        let name: String
        let since: String
    }

    static let requiredFlags: [RequiredFlag] = [
        RequiredFlag(flag: IORING_SETUP_CQSIZE, name: "IORING_SETUP_CQSIZE", since: "5.5"),
        RequiredFlag(flag: IORING_SETUP_SUBMIT_ALL, name: "IORING_SETUP_SUBMIT_ALL", since: "5.18"),
        RequiredFlag(flag: IORING_SETUP_SINGLE_ISSUER, name: "IORING_SETUP_SINGLE_ISSUER", since: "6.0"),
        RequiredFlag(flag: UInt32(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), name: "IORING_SETUP_DEFER_TASKRUN", since: "6.1"),
    ]

    /// Every opcode the worker submits, with the Linux version that added the form we use.
    static let requiredOps: [(op: UInt32, name: String, since: String)] = [
        (UInt32(IORING_OP_ACCEPT.rawValue), "IORING_OP_ACCEPT (multishot, direct)", "5.19"),
        (UInt32(IORING_OP_RECV.rawValue), "IORING_OP_RECV (multishot with provided buffers)", "6.0"),
        (UInt32(IORING_OP_SEND.rawValue), "IORING_OP_SEND", "5.6"),
        (UInt32(IORING_OP_CLOSE.rawValue), "IORING_OP_CLOSE (direct descriptors)", "5.15"),
        (UInt32(IORING_OP_ASYNC_CANCEL.rawValue), "IORING_OP_ASYNC_CANCEL (by fixed fd)", "6.0"),
        (UInt32(IORING_OP_URING_CMD.rawValue), "IORING_OP_URING_CMD (socket setsockopt)", "6.7"),
        (UInt32(IORING_OP_READ.rawValue), "IORING_OP_READ", "5.6"),
        (UInt32(IORING_OP_TIMEOUT.rawValue), "IORING_OP_TIMEOUT", "5.4"),
    ]

    /// Fails with the first opcode the kernel does not support (IORING_REGISTER_PROBE).
    public func probeRequiredOperations() throws(SetupError) {
        for entry in Ring.requiredOps {
            let r = curing_probe_op(fd, entry.op)
            if r < 0 { throw .missingFeature("IORING_REGISTER_PROBE", since: "5.6", errno: -r) }
            if r == 0 { throw .missingFeature(entry.name, since: entry.since) }
        }
    }

    /// Whether the kernel has IORING_OP_FIXED_FD_INSTALL (Linux 6.8), which large bodies by
    /// sendfile need; without it they go by IORING_OP_READ + SEND (docs/files.md).
    public var supportsFixedFDInstall: Bool {
        curing_probe_op(fd, UInt32(CURING_OP_FIXED_FD_INSTALL)) == 1
    }

    /// Turns a failed io_uring_setup into a message naming the missing feature.
    static func explainSetupFailure(_ result: Int32, entries: UInt32) -> SetupError {
        if result == -ENOSYS { return .missingFeature("io_uring (io_uring_setup)", since: "5.1", errno: -result) }
        if result == -EPERM {
            return SetupError("io_uring_setup failed: EPERM: io_uring is disabled (sysctl kernel.io_uring_disabled) or blocked by seccomp")
        }
        if result == -ENOMEM { return .call("io_uring_setup (\(entries) entries; raise RLIMIT_MEMLOCK on Linux < 5.12)", errno: -result) }
        if result == -EINVAL {
            // Try each required flag alone on a tiny ring: the first refused one is missing.
            for required in requiredFlags {
                var params = io_uring_params()
                params.flags = required.flag
                params.cq_entries = 32
                let fd = curing_setup(8, &params)
                if fd >= 0 { close(fd); continue }
                return .missingFeature(required.name, since: required.since, errno: -fd)
            }
            return SetupError("io_uring_setup refused \(entries) SQ entries (EINVAL): the kernel allows at most 32768, and the CQ at most 65536")
        }
        return .call("io_uring_setup", errno: -result)
    }
}
