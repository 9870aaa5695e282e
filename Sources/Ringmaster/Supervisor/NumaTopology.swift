// NUMA queries through libnuma, for placement and for checking it.
import CURing

/// NUMA topology and placement queries.
public enum NumaTopology {
    /// Whether the kernel and libnuma report NUMA (numa_available() >= 0).
    public static var isAvailable: Bool { numa_available() >= 0 }

    /// The node of `cpu` (numa_node_of_cpu), or nil without NUMA.
    public static func node(ofCPU cpu: Int) -> Int32? {
        guard isAvailable else { return nil }
        let node = numa_node_of_cpu(Int32(cpu))
        return node >= 0 ? node : nil
    }

    /// The node holding the page at `address` (get_mempolicy with MPOL_F_NODE | MPOL_F_ADDR),
    /// or nil when the query fails.
    public static func node(ofAddress address: UnsafeRawPointer) -> Int32? {
        let node = curing_node_of_address(UnsafeMutableRawPointer(mutating: address))
        return node >= 0 ? node : nil
    }
}

extension CPUSet {
    /// Pins the calling thread to `cpu`; returns 0 or an errno.
    @discardableResult
    public static func pinCurrentThread(to cpu: Int) -> Int32 { curing_pin_self(Int32(cpu)) }
}
