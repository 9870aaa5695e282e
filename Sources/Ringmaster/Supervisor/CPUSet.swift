// The CPUs this process may run on: sched_getaffinity, so taskset and cgroup cpusets are
// honoured (DESIGN.md, "NUMA and CPUs").
import CURing

/// Allowed-CPU queries.
public enum CPUSet {
    /// The allowed CPUs in ascending order.
    public static func allowed() throws(SetupError) -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let n = cpus.withUnsafeMutableBufferPointer { curing_allowed_cpus($0.baseAddress, 1024) }
        if n < 0 { throw .call("sched_getaffinity", errno: -n) }
        return cpus[0..<Int(n)].map(Int.init)
    }

    /// "0-3,8" style text for messages.
    public static func describe(_ cpus: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < cpus.count {
            var j = i
            while j + 1 < cpus.count && cpus[j + 1] == cpus[j] + 1 { j += 1 }
            parts.append(i == j ? "\(cpus[i])" : "\(cpus[i])-\(cpus[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}
