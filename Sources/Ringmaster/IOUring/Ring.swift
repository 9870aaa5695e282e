// The io_uring instance of one worker: setup with feature fallback, the mapped submission and
// completion rings, SQE allocation, and the one io_uring_enter per loop iteration.
//
// The rings are mapped and driven here rather than through liburing's `struct io_uring`:
// Debian's liburing 2.3 predates IORING_SETUP_NO_SQARRAY (Linux 6.6), and its setup would
// write an identity SQ array over the ring header when the kernel maps no array.
import CURing
import Glibc

/// One io_uring, owned by exactly one thread (IORING_SETUP_SINGLE_ISSUER).
public struct Ring: ~Copyable {
    /// The ring's file descriptor, for io_uring_register(2).
    public let fd: Int32
    /// What io_uring_enter(2) is given: the registered index when IORING_REGISTER_RING_FDS
    /// worked (then `enterFlags` has IORING_ENTER_REGISTERED_RING), else `fd`.
    let enterFD: Int32
    let enterFlags: UInt32
    /// Setup flags the kernel accepted.
    public let setupFlags: UInt32
    public let features: UInt32
    public let sqEntries: UInt32
    public let cqEntries: UInt32

    let sqTail: UnsafeMutablePointer<UInt32>
    let sqFlags: UnsafeMutablePointer<UInt32>
    let sqMask: UInt32
    let sqes: UnsafeMutablePointer<io_uring_sqe>
    /// SQEs handed out so far; `submitted` of them have been passed to the kernel.
    var sqeTail: UInt32 = 0
    var submitted: UInt32 = 0

    let cqHead: UnsafeMutablePointer<UInt32>
    let cqTail: UnsafeMutablePointer<UInt32>
    let cqMask: UInt32
    public let cqes: UnsafeMutablePointer<io_uring_cqe>
    /// Our copy of the CQ head: only we write the kernel's, once per batch.
    var cqHeadCached: UInt32 = 0

    private let ringMapping: UnsafeMutableRawPointer
    private let ringMappingSize: Int
    private let sqeMapping: UnsafeMutableRawPointer
    private let sqeMappingSize: Int

    /// Creates the ring with `SINGLE_ISSUER | DEFER_TASKRUN | SUBMIT_ALL | CQSIZE` and
    /// `NO_SQARRAY`; on EINVAL it retries without NO_SQARRAY (Linux < 6.6), and if the kernel
    /// still refuses, names the first required flag it lacks.
    public init(entries: UInt32, cqFactor: UInt32 = 4) throws(SetupError) {
        let required = UInt32(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
            | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE)
        var params = io_uring_params()
        var fd = Ring.setup(entries: entries, cqEntries: entries * cqFactor, flags: required | IORING_SETUP_NO_SQARRAY, into: &params)
        if fd == -EINVAL {
            fd = Ring.setup(entries: entries, cqEntries: entries * cqFactor, flags: required, into: &params)
        }
        if fd < 0 { throw Ring.explainSetupFailure(fd, entries: entries) }
        guard params.features & UInt32(IORING_FEAT_SINGLE_MMAP) != 0, params.features & UInt32(IORING_FEAT_NODROP) != 0 else {
            close(fd)
            throw .missingFeature("IORING_FEAT_SINGLE_MMAP and IORING_FEAT_NODROP", since: "5.5")
        }
        let hasArray = params.flags & IORING_SETUP_NO_SQARRAY == 0
        let sqSize = Int(params.sq_off.array) + (hasArray ? Int(params.sq_entries) * 4 : 0)
        let cqSize = Int(params.cq_off.cqes) + Int(params.cq_entries) * MemoryLayout<io_uring_cqe>.stride
        let ringSize = max(sqSize, cqSize)
        // IORING_OFF_SQ_RING: the kernel maps SQ and CQ rings together (FEAT_SINGLE_MMAP).
        guard let base = mmap(nil, ringSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off_t(IORING_OFF_SQ_RING)),
              base != MAP_FAILED else {
            let e = errno; close(fd); throw .call("mmap of the io_uring rings", errno: e)
        }
        let sqeSize = Int(params.sq_entries) * MemoryLayout<io_uring_sqe>.stride
        guard let sqeMap = mmap(nil, sqeSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off_t(IORING_OFF_SQES)),
              sqeMap != MAP_FAILED else {
            let e = errno; munmap(base, ringSize); close(fd); throw .call("mmap of the io_uring SQEs", errno: e)
        }
        if hasArray {
            // Without NO_SQARRAY the kernel indexes SQEs through this array: fill it once with
            // the identity map so submission stays O(1) (audit: "O(1) SQ submit").
            let array = (base + Int(params.sq_off.array)).assumingMemoryBound(to: UInt32.self)
            for i in 0..<params.sq_entries { array[Int(i)] = i }
        }
        // Register the ring fd (IORING_REGISTER_RING_FDS, Linux 5.18) so every enter skips
        // the fd-table lookup; without it, enter with the plain fd.
        let index = curing_register_ring_fd(fd)
        self.fd = fd
        enterFD = index >= 0 ? index : fd
        enterFlags = index >= 0 ? UInt32(IORING_ENTER_REGISTERED_RING) : 0
        setupFlags = params.flags
        features = params.features
        sqEntries = params.sq_entries
        cqEntries = params.cq_entries
        ringMapping = base
        ringMappingSize = ringSize
        sqeMapping = sqeMap
        sqeMappingSize = sqeSize
        sqTail = (base + Int(params.sq_off.tail)).assumingMemoryBound(to: UInt32.self)
        sqFlags = (base + Int(params.sq_off.flags)).assumingMemoryBound(to: UInt32.self)
        sqMask = (base + Int(params.sq_off.ring_mask)).load(as: UInt32.self)
        sqes = sqeMap.assumingMemoryBound(to: io_uring_sqe.self)
        cqHead = (base + Int(params.cq_off.head)).assumingMemoryBound(to: UInt32.self)
        cqTail = (base + Int(params.cq_off.tail)).assumingMemoryBound(to: UInt32.self)
        cqMask = (base + Int(params.cq_off.ring_mask)).load(as: UInt32.self)
        cqes = (base + Int(params.cq_off.cqes)).assumingMemoryBound(to: io_uring_cqe.self)
        cqHeadCached = cqHead.pointee
    }

    deinit {
        munmap(sqeMapping, sqeMappingSize)
        munmap(ringMapping, ringMappingSize)
        close(fd)
    }

    /// True when the kernel accepted IORING_SETUP_NO_SQARRAY.
    public var usesNoSQArray: Bool { setupFlags & IORING_SETUP_NO_SQARRAY != 0 }
    /// True when the kernel holds completions that did not fit in the CQ
    /// (IORING_SQ_CQ_OVERFLOW). With IORING_FEAT_NODROP they are kept and flushed into the
    /// CQ by the next io_uring_enter with GETEVENTS, once the drained CQ has room.
    @inline(__always)
    public var completionsOverflowed: Bool { KernelAtomics.loadAcquire(sqFlags) & UInt32(IORING_SQ_CQ_OVERFLOW) != 0 }

    /// True when io_uring_enter uses the registered ring index.
    public var usesRegisteredRingFD: Bool { enterFlags != 0 }

    /// The next free SQE. When the SQ is full, the queued SQEs are submitted first (never
    /// dropped); that can only fail for a reason that means the ring is unusable.
    @inline(__always)
    public mutating func nextSQE() -> UnsafeMutablePointer<io_uring_sqe> {
        // Safe: tail and submitted are free-running counters; their difference is <= sqEntries.
        if sqeTail &- submitted == sqEntries { flushSubmissions() }
        let sqe = sqes + Int(sqeTail & sqMask)
        sqeTail &+= 1
        return sqe
    }

    /// Submits what is queued and waits for at least one completion: the loop's one system
    /// call per iteration, with no timeout (audit item 5). EINTR is retried. EBUSY/EAGAIN
    /// (completions held back by CQ overflow) return so the caller drains the CQ, which lets
    /// the kernel flush its overflow list (IORING_FEAT_NODROP).
    public mutating func submitAndWait() {
        KernelAtomics.storeRelease(sqTail, sqeTail)
        while true {
            // Safe: see nextSQE.
            let pending = sqeTail &- submitted
            let r = curing_enter(enterFD, pending, 1, UInt32(IORING_ENTER_GETEVENTS) | enterFlags)
            if r >= 0 {
                // Safe: SUBMIT_ALL consumes every SQE unless one fails to prepare, reported in its CQE.
                submitted &+= UInt32(r)
                return
            }
            if r == -EINTR { continue }
            if r == -EBUSY || r == -EAGAIN { return }
            preconditionFailure("io_uring_enter failed: \(Errno.describe(-r))")
        }
    }

    /// Submits queued SQEs without waiting (used when the SQ is full mid-batch).
    /// Enters `rounds` times with GETEVENTS and no wait: with IORING_SETUP_DEFER_TASKRUN the
    /// kernel runs queued task work (a linked SQE's start after its predecessor completed)
    /// only then. For the loop's end, so a linked chain submitted last still runs.
    public mutating func runDeferredWork(rounds: Int) {
        for _ in 0..<rounds { _ = curing_enter(enterFD, 0, 0, UInt32(IORING_ENTER_GETEVENTS) | enterFlags) }
    }

    public mutating func flushSubmissions() {
        KernelAtomics.storeRelease(sqTail, sqeTail)
        while sqeTail != submitted {
            // Safe: see nextSQE.
            let r = curing_enter(enterFD, sqeTail &- submitted, 0, enterFlags)
            if r > 0 { submitted &+= UInt32(r); continue }
            if r == -EINTR || r == -EBUSY || r == -EAGAIN || r == 0 {
                // The CQ is backed up: reap into the overflow list by entering with GETEVENTS;
                // the kernel keeps every completion (NODROP), so nothing is lost.
                _ = curing_enter(enterFD, 0, 0, UInt32(IORING_ENTER_GETEVENTS) | enterFlags)
                continue
            }
            preconditionFailure("io_uring_enter (submit) failed: \(Errno.describe(-r))")
        }
    }

    /// The completions ready now, as a range of free-running indices; read the CQE at
    /// `cqe(at:)` and call `consumeCompletions(upTo:)` once for the whole batch.
    @inline(__always)
    public func readyCompletions() -> (head: UInt32, tail: UInt32) {
        (cqHeadCached, KernelAtomics.loadAcquire(cqTail))
    }

    @inline(__always)
    public func cqe(at index: UInt32) -> UnsafeMutablePointer<io_uring_cqe> {
        cqes + Int(index & cqMask)
    }

    /// One store-release of the CQ head per batch.
    @inline(__always)
    public mutating func consumeCompletions(upTo tail: UInt32) {
        cqHeadCached = tail
        KernelAtomics.storeRelease(cqHead, tail)
    }

    private static func setup(entries: UInt32, cqEntries: UInt32, flags: UInt32, into params: inout io_uring_params) -> Int32 {
        params = io_uring_params()
        params.flags = flags
        params.cq_entries = cqEntries
        return curing_setup(entries, &params)
    }
}
