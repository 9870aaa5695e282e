// A swift-metrics `MetricsFactory` whose metrics appear on the built-in /metrics, after the
// server's own families: an embedding program bootstraps it once
// (`MetricsSystem.bootstrap(MetricsRegistry.shared)`) and its Counters, FloatingPointCounters,
// Meters, Recorders (last value, a gauge) and Timers (a histogram in seconds, the request
// duration buckets) are scraped with everything else. Creating a metric takes a lock and
// allocates (cold path); updating one is an atomic operation; a scrape takes the lock only
// to walk the list and allocates nothing.
import CoreMetrics
import RingmasterHTTP
import Synchronization

/// The process's exported swift-metrics.
public final class MetricsRegistry: MetricsFactory, Sendable {
    /// The registry /metrics reads.
    public static let shared = MetricsRegistry()

    /// Metrics grouped by family (a new series goes after its family's last one), so each
    /// family's HELP and TYPE come once, before all of its samples, as the format requires.
    private let metrics = Mutex<[ExportedMetric]>([])

    public init() {}

    /// Returns the metric for `label` and `dimensions`, creating it when new; a name already
    /// used by another kind gets the kind appended, so one family never has two TYPEs.
    func make(_ kind: ExportedMetric.Kind, label: String, dimensions: [(String, String)]) -> ExportedMetric {
        metrics.withLock { list in
            var candidate = ExportedMetric(kind: kind, label: label, dimensions: dimensions)
            if list.contains(where: { $0.family == candidate.family && $0.kind != kind }) {
                candidate = ExportedMetric(kind: kind, label: label + "_\(kind)", dimensions: dimensions)
            }
            if let existing = list.first(where: { $0.family == candidate.family && $0.prefix == candidate.prefix }) { return existing }
            if let last = list.lastIndex(where: { $0.family == candidate.family }) {
                list.insert(candidate, at: last + 1)
            } else {
                list.append(candidate)
            }
            return candidate
        }
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler {
        make(.counter, label: label, dimensions: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> FloatingPointCounterHandler {
        make(.floatingCounter, label: label, dimensions: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler {
        make(.gauge, label: label, dimensions: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler {
        make(.gauge, label: label, dimensions: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler {
        make(.timer, label: label, dimensions: dimensions)
    }

    public func destroyCounter(_ handler: CounterHandler) { remove(handler) }
    public func destroyFloatingPointCounter(_ handler: FloatingPointCounterHandler) { remove(handler) }
    public func destroyMeter(_ handler: MeterHandler) { remove(handler) }
    public func destroyRecorder(_ handler: RecorderHandler) { remove(handler) }
    public func destroyTimer(_ handler: TimerHandler) { remove(handler) }

    private func remove(_ handler: AnyObject) {
        metrics.withLock { list in list.removeAll { $0 === handler } }
    }

    /// Writes every metric: Doubles with six fraction digits, timers in seconds.
    func write(into w: inout PrometheusWriter) {
        metrics.withLock { list in
            var index = 0
            while index < list.count {
                let metric = list[index]
                if index == 0 || list[index - 1].family != metric.family {
                    metric.header.withUnsafeBytes { w.appendPreformatted($0) }
                }
                let raw = metric.value.load(ordering: .relaxed)
                switch metric.kind {
                case .counter:
                    metric.prefix.withUnsafeBytes { w.appendPreformatted($0) }
                    w.appendValueLine(raw)
                case .floatingCounter, .gauge:
                    metric.prefix.withUnsafeBytes { w.appendPreformatted($0) }
                    let double = Double(bitPattern: raw)
                    let scaled = double.isFinite ? (double * 1_000_000).rounded() : 0
                    w.appendValueLine(fixedPoint: Int64(scaled.clamped), fractionDigits: 6)
                case .timer:
                    writeTimer(metric, sum: raw, into: &w)
                }
                index += 1
            }
        }
    }

    private func writeTimer(_ metric: ExportedMetric, sum: UInt64, into w: inout PrometheusWriter) {
        var cumulative: UInt64 = 0
        var i = 0
        while i < RequestCells.durationBuckets {
            defer { i += 1 }
            cumulative &+= metric.buckets[i].load(ordering: .relaxed)
            metric.prefix.withUnsafeBytes { w.appendPreformatted($0) }
            if i < RequestCells.durationBounds {
                w.appendValueLine(fixedPoint: Int64(RequestCells.durationBound(i)), fractionDigits: 9, terminator: "\"} ")
            } else {
                w.appendPreformatted(UnsafeRawBufferPointer(start: MetricsRegistry.infinity.utf8Start, count: MetricsRegistry.infinity.utf8CodeUnitCount))
            }
            w.appendValueLine(cumulative)
        }
        metric.sumPrefix.withUnsafeBytes { w.appendPreformatted($0) }
        w.appendValueLine(fixedPoint: Int64(clamping: sum), fractionDigits: 9)
        metric.countPrefix.withUnsafeBytes { w.appendPreformatted($0) }
        w.appendValueLine(cumulative)
    }

    static let infinity: StaticString = "+Inf\"} "
}

extension Double {
    /// Within Int64's range, for fixed-point output.
    var clamped: Double { Swift.min(Swift.max(self, -9.2e18), 9.2e18) }
}
