// The CPUs this process may run on: sched_getaffinity, so taskset and cgroup cpusets are
// honoured (DESIGN.md, "NUMA and CPUs"), and the "0-3,8" list syntax of the `cpus` key.
import CURing

/// Allowed-CPU queries and CPU lists.
public enum CPUSet {
    /// The allowed CPUs in ascending order.
    public static func allowed() throws(SetupError) -> [Int] {
        var cpus = [Int32](repeating: 0, count: 4096)
        let n = cpus.withUnsafeMutableBufferPointer { curing_allowed_cpus($0.baseAddress, 4096) }
        if n < 0 { throw .call("sched_getaffinity", errno: -n) }
        return cpus[0..<Int(n)].map(Int.init)
    }

    /// The CPUs the workers run on: the configured list (which must lie inside the allowed
    /// set) or the allowed set; `workers` nil means one per CPU, more workers than CPUs is an
    /// error. Returns one CPU per worker.
    public static func placement(workers: Int?, cpus configured: [Int]?, allowed: [Int]) throws(ConfigurationError) -> [Int] {
        var chosen = allowed
        if let configured {
            let outside = configured.filter { !allowed.contains($0) }
            if !outside.isEmpty {
                throw ConfigurationError(key: "cpus", "cpus: CPU \(CPUList.describe(outside)) is not in this process's allowed set \(CPUList.describe(allowed)) (sched_getaffinity: taskset or the cgroup cpuset limit it)")
            }
            chosen = configured
        }
        let count = workers ?? chosen.count
        guard count <= chosen.count else {
            throw ConfigurationError(key: "workers", "workers: \(count) workers need \(count) CPUs, but only \(chosen.count) are available (\(CPUList.describe(chosen))); allowed: \"auto\" or 1 to \(chosen.count)")
        }
        return Array(chosen.prefix(count))
    }
}

