// Anonymous memory a worker owns: mapped once at startup, on the worker's NUMA node when one
// is given, with huge pages when asked for and available, else normal pages pre-faulted.
import CURing
import Glibc

/// Whether a region should try huge pages.
public enum HugePagePolicy: String, Sendable, CaseIterable {
    /// Try MAP_HUGETLB, fall back to normal pages (logged by the caller).
    case auto
    case on
    case off
}

/// An owned anonymous mapping, unmapped on deinit.
public struct MemoryRegion: ~Copyable {
    public let base: UnsafeMutableRawPointer
    public let size: Int
    /// True when the region is backed by 2 MiB huge pages (MAP_HUGETLB).
    public let usesHugePages: Bool

    static let hugePageSize = 2 << 20

    /// Maps `size` bytes. `populate` pre-faults the pages (MAP_POPULATE) so the hot path
    /// never page-faults. `node` binds the pages to a NUMA node with mbind(2) before they are
    /// touched. `reserveOnly` maps address space without committing it (MAP_NORESERVE) for
    /// pools that grow on first touch.
    public init(size: Int, hugePages: HugePagePolicy = .off, populate: Bool = true,
                node: Int32? = nil, reserveOnly: Bool = false) throws(SetupError) {
        var flags = MAP_PRIVATE | MAP_ANONYMOUS
        if reserveOnly { flags |= MAP_NORESERVE }
        if hugePages != .off {
            // Safe: rounding a positive size up to the huge page size.
            let hugeSize = (size + MemoryRegion.hugePageSize - 1) / MemoryRegion.hugePageSize * MemoryRegion.hugePageSize
            if let p = mmap(nil, hugeSize, PROT_READ | PROT_WRITE, flags | MAP_HUGETLB, -1, 0), p != MAP_FAILED {
                MemoryRegion.bind(p, size: hugeSize, node: node)
                if populate { memset(p, 0, hugeSize) }
                base = p
                self.size = hugeSize
                usesHugePages = true
                return
            }
            // No reserved huge pages (vm.nr_hugepages = 0) gives ENOMEM: fall back unless forced.
            if hugePages == .on { throw .call("mmap with MAP_HUGETLB of \(hugeSize) bytes (reserve pages in vm.nr_hugepages)", errno: errno) }
        }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let rounded = (size + pageSize - 1) / pageSize * pageSize
        guard let p = mmap(nil, rounded, PROT_READ | PROT_WRITE, flags, -1, 0), p != MAP_FAILED else {
            throw .call("mmap of \(rounded) bytes", errno: errno)
        }
        MemoryRegion.bind(p, size: rounded, node: node)
        // Pre-fault after binding, so first touch lands on the bound node.
        if populate && !reserveOnly { memset(p, 0, rounded) }
        base = p
        self.size = rounded
        usesHugePages = false
    }

    deinit { munmap(base, size) }

    /// Binds pages to `node` (numa_tonode_memory → mbind MPOL_BIND) when libnuma reports NUMA.
    private static func bind(_ p: UnsafeMutableRawPointer, size: Int, node: Int32?) {
        guard let node, numa_available() >= 0 else { return }
        numa_tonode_memory(p, size, node)
    }
}
