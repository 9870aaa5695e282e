// Loads and stores on memory shared with the kernel (ring heads and tails, the buffer-ring
// tail), with the orderings the io_uring ABI requires: the kernel's tails are read with
// acquire, our heads and tails are published with release (io_uring(7), "Memory ordering").
import Synchronization

/// Namespace for acquire/release access to kernel-shared ring indices.
enum KernelAtomics {
    @inline(__always)
    static func loadAcquire(_ pointer: UnsafeMutablePointer<UInt32>) -> UInt32 {
        UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Atomic<UInt32>.self).pointee.load(ordering: .acquiring)
    }

    @inline(__always)
    static func storeRelease(_ pointer: UnsafeMutablePointer<UInt32>, _ value: UInt32) {
        UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Atomic<UInt32>.self).pointee.store(value, ordering: .releasing)
    }

    @inline(__always)
    static func storeRelease(_ pointer: UnsafeMutablePointer<UInt16>, _ value: UInt16) {
        UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Atomic<UInt16>.self).pointee.store(value, ordering: .releasing)
    }
}
