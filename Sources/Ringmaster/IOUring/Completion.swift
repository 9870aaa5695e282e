// One completion as the worker reads it: the result classified once, the flags decoded once,
// so no handler compares errno values or shifts CQE flag bits itself.
import CURing
import Glibc

/// What a completion's result means for the operation that produced it.
@frozen
public enum CompletionOutcome: Equatable, Sendable {
    /// Success: bytes moved, a slot accepted, a value (never negative). For a receive, 0
    /// means the peer shut down its sending side (FIN).
    case done(Int)
    /// The provided-buffer ring had no buffer (ENOBUFS): park, never spin (audit item 7).
    case noBuffers
    /// Cancelled by us (ECANCELED): a stop we asked for, not a failure.
    case cancelled
    /// A timeout that fired (ETIME).
    case expired
    /// The fixed-file table is full (ENFILE): the kernel already closed the new connection.
    case tableFull
    /// Any other error, with its errno (positive).
    case failed(Int32)
}

/// A CQE's result and flags, decoded.
@frozen
public struct Completion {
    public let result: Int32
    public let flags: UInt32

    @inline(__always)
    public init(result: Int32, flags: UInt32) {
        self.result = result
        self.flags = flags
    }

    /// The single classifier of completion results (io_uring_enter(2), each op's man page).
    @inline(__always)
    public var outcome: CompletionOutcome {
        if result >= 0 { return .done(Int(result)) }
        switch -result {
        case ENOBUFS: return .noBuffers
        case ECANCELED: return .cancelled
        case ETIME: return .expired
        case ENFILE: return .tableFull
        default: return .failed(-result)
        }
    }

    /// EINVAL from an opcode or form the running kernel lacks (IORING_OP_FIXED_FD_INSTALL
    /// before Linux 6.8): the feature is off from then on, not a connection failure.
    @inline(__always)
    public var isUnsupportedOperation: Bool { result == -EINVAL }

    /// IORING_CQE_F_MORE: a multishot request stays armed; absent, it ended with this CQE.
    @inline(__always)
    public var hasMore: Bool { flags & CURING_CQE_F_MORE != 0 }

    /// The provided buffer this CQE filled (IORING_CQE_F_BUFFER), or nil.
    @inline(__always)
    public var bufferID: UInt16? {
        flags & CURING_CQE_F_BUFFER != 0 ? UInt16(truncatingIfNeeded: flags >> CURING_CQE_BUFFER_SHIFT) : nil
    }
}
