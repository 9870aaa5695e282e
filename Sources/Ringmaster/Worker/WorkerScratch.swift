// The worker's scratch memory: the parser's header fields, the Allow header's bytes, and the
// small block the kernel reads or writes after a submission (the eventfd's counter and three
// timeouts' timespecs). One owning type, so the raw pointers and their offsets live in one
// place and are freed together.
import RingmasterHTTP

/// Scratch memory reused by every request, and memory the kernel uses after submission.
struct WorkerScratch: ~Copyable {
    /// The parser's header fields, reused for every request (and every upstream response head).
    private(set) var headerFields: UnsafeMutableBufferPointer<HTTPHeaderField>
    /// Bytes of a generated `Allow:` header (the longest method list fits in 128).
    let allow: UnsafeMutableRawPointer
    /// Memory the kernel reads or writes after submission, so it lives as long as the worker:
    /// the eventfd read's 8 bytes and three `struct __kernel_timespec` (16 bytes each).
    private let kernel: UnsafeMutableRawPointer

    static let allowCapacity = 128
    private static let kernelBytes = 64

    init(headerCount: Int) {
        headerFields = .allocate(capacity: headerCount)
        headerFields.initialize(repeating: HTTPHeaderField())
        allow = .allocate(byteCount: WorkerScratch.allowCapacity, alignment: 64)
        kernel = .allocate(byteCount: WorkerScratch.kernelBytes, alignment: 64)
        kernel.initializeMemory(as: UInt8.self, repeating: 0, count: WorkerScratch.kernelBytes)
    }

    deinit {
        headerFields.deallocate()
        allow.deallocate()
        kernel.deallocate()
    }

    /// The eventfd read's target (IORING_OP_READ of 8 bytes).
    var wakeCounter: UnsafeMutableRawPointer { kernel }
    /// The drain deadline's timespec (IORING_OP_TIMEOUT).
    var drainDeadline: UnsafeMutableRawPointer { kernel + 16 }
    /// The once-a-second tick's timespec (multishot IORING_OP_TIMEOUT).
    var tick: UnsafeMutableRawPointer { kernel + 32 }
    /// The accept retry's timespec (IORING_OP_TIMEOUT after EMFILE/ENFILE).
    var acceptRetry: UnsafeMutableRawPointer { kernel + 48 }

    /// Grows the header fields for a reload that raised `limits.header_count`; never shrinks,
    /// so a field index the parser returned stays valid.
    mutating func reserveHeaderFields(_ count: Int) {
        guard count > headerFields.count else { return }
        headerFields.deallocate()
        headerFields = .allocate(capacity: count)
        headerFields.initialize(repeating: HTTPHeaderField())
    }
}
