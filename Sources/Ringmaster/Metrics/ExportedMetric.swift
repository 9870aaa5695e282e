// One swift-metrics metric of an embedding program, as /metrics exports it. The handler is
// updated from any thread with atomic operations (no lock), and carries its exposition text
// (HELP/TYPE lines, `name{labels} ` prefixes) formatted once at creation, so a scrape on a
// worker copies bytes and formats integers only.
import CoreMetrics
import Synchronization

/// A counter, gauge (meter or recorder) or timer (a histogram in seconds).
public final class ExportedMetric: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler,
    @unchecked Sendable {
    /// What the metric is, which decides its TYPE and how values are kept.
    enum Kind { case counter, floatingCounter, gauge, timer }

    let kind: Kind
    /// The sanitised family name (with `_total` or `_seconds` added where conventional).
    let family: [UInt8]
    /// `# HELP …\n# TYPE …\n`, written before the family's first series.
    let header: [UInt8]
    /// `name{labels} `, or for a timer `name_bucket{labels,le="` (the bound and `"} ` follow).
    let prefix: [UInt8]
    /// For a timer: `name_sum{labels} ` and `name_count{labels} `.
    let sumPrefix: [UInt8]
    let countPrefix: [UInt8]
    /// An integer (counter), a Double's bits (floating counter, gauge) or the timer's sum.
    let value = Atomic<UInt64>(0)
    /// Timer buckets, as in `RequestCells` (not cumulative).
    let buckets: UnsafeMutablePointer<Atomic<UInt64>>

    init(kind: Kind, label: String, dimensions: [(String, String)]) {
        self.kind = kind
        var name = ExportedMetric.sanitise(label, colons: true)
        switch kind {
        case .counter, .floatingCounter: if !name.hasSuffix("_total") { name += "_total" }
        case .timer: if !name.hasSuffix("_seconds") { name += "_seconds" }
        case .gauge: break
        }
        family = Array(name.utf8)
        let type = kind == .timer ? "histogram" : kind == .gauge ? "gauge" : "counter"
        header = Array("# HELP \(name) \(label.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")) (swift-metrics)\n# TYPE \(name) \(type)\n".utf8)
        let labels = dimensions.map { "\(ExportedMetric.sanitise($0.0, colons: false))=\"\(ExportedMetric.escape($0.1))\"" }
        let joined = labels.joined(separator: ",")
        if kind == .timer {
            prefix = Array("\(name)_bucket{\(joined)\(joined.isEmpty ? "" : ",")le=\"".utf8)
            let braces = joined.isEmpty ? "" : "{\(joined)}"
            sumPrefix = Array("\(name)_sum\(braces) ".utf8)
            countPrefix = Array("\(name)_count\(braces) ".utf8)
        } else {
            prefix = Array("\(name)\(joined.isEmpty ? "" : "{\(joined)}") ".utf8)
            sumPrefix = []
            countPrefix = []
        }
        buckets = .allocate(capacity: RequestCells.durationBuckets)
        for i in 0..<RequestCells.durationBuckets { (buckets + i).initialize(to: Atomic<UInt64>(0)) }
    }

    deinit { buckets.deallocate() }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` (no `:` for label names): anything else becomes `_`.
    static func sanitise(_ text: String, colons: Bool) -> String {
        var out = ""
        for (i, scalar) in text.unicodeScalars.enumerated() {
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
                || (colons && scalar == ":") || (i > 0 && scalar >= "0" && scalar <= "9")
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        if out.isEmpty || out.hasPrefix("__") && !colons { out = "_" + out }
        return out
    }

    /// A label value with `\`, `"` and newline escaped.
    static func escape(_ text: String) -> String {
        text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
    }

    // MARK: handlers

    public func increment(by amount: Int64) {
        value.wrappingAdd(UInt64(bitPattern: amount), ordering: .relaxed)
    }

    public func increment(by amount: Double) { update { $0 + amount } }
    public func decrement(by amount: Double) { update { $0 - amount } }
    public func set(_ newValue: Int64) { value.store(Double(newValue).bitPattern, ordering: .relaxed) }
    public func set(_ newValue: Double) { value.store(newValue.bitPattern, ordering: .relaxed) }
    public func record(_ newValue: Int64) { set(newValue) }
    public func record(_ newValue: Double) { set(newValue) }

    public func recordNanoseconds(_ duration: Int64) {
        let nanoseconds = UInt64(max(duration, 0))
        buckets[RequestCells.durationBucket(nanoseconds)].wrappingAdd(1, ordering: .relaxed)
        value.wrappingAdd(nanoseconds, ordering: .relaxed)
    }

    public func reset() {
        value.store(0, ordering: .relaxed)
        for i in 0..<RequestCells.durationBuckets { buckets[i].store(0, ordering: .relaxed) }
    }

    /// A lock-free read-modify-write of the Double kept in `value`.
    private func update(_ change: (Double) -> Double) {
        var old = value.load(ordering: .relaxed)
        while true {
            let (exchanged, current) = value.compareExchange(expected: old, desired: change(Double(bitPattern: old)).bitPattern,
                                                             ordering: .relaxed)
            if exchanged { return }
            old = current
        }
    }
}
