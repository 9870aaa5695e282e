// Every per-worker counter reaches /metrics: each `WorkerCounter` is set alone to a value no
// other sample can have, and the exposition must show it. A counter added to WorkerStatistics
// without a sample in Worker.writeMetrics fails here (protocolOverflows was such a counter).
import Testing
@testable import Ringmaster
import RingmasterHTTP

@Suite struct MetricsExportTests {
    @Test func everyWorkerCounterIsExported() {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Worker.metricsCapacity, alignment: 16)
        defer { scratch.deallocate() }
        var missing: [String] = []
        for (i, counter) in WorkerCounter.allCases.enumerated() {
            let statistics = WorkerStatistics()
            let value = UInt64(7_770_001 + i * 10)
            statistics.add(counter, value)
            var writer = PrometheusWriter(scratch)
            Worker.writeMetrics([statistics, WorkerStatistics()], into: &writer)
            let length = writer.finish() ?? writer.count
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: scratch[0..<length]), as: UTF8.self)
            if !text.split(separator: "\n").contains(where: { $0.hasSuffix(" \(value)") }) { missing.append("\(counter)") }
        }
        #expect(missing.isEmpty, "counters with no sample in /metrics: \(missing)")
    }
}
