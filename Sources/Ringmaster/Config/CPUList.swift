// The CPU-list syntax of the `cpus` key and of --cpus: comma-separated CPUs and ranges,
// as in taskset and /proc/*/status ("0-3,8").

/// Parsing and printing CPU lists.
public enum CPUList {
    /// Parses "0-3,8" into [0, 1, 2, 3, 8] (ascending, no duplicates); nil when malformed.
    public static func parse(_ text: String) -> [Int]? {
        var result: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2,
                  let low = Int(trim(bounds[0])), let high = Int(trim(bounds[bounds.count - 1])),
                  low >= 0, low <= high, high < 4096 else { return nil }
            for cpu in low...high { result.insert(cpu) }
        }
        return result.isEmpty ? nil : result.sorted()
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

    private static func trim(_ s: Substring) -> Substring {
        var s = s
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
