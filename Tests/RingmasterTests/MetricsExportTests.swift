// Every per-worker counter reaches /metrics: each `WorkerCounter` of an idle server's worker is
// set to its own multiple of 10^9 (the scrape itself adds far less), and some sample of the
// exposition must carry it. A counter added to WorkerStatistics without a sample in
// Worker.writeMetrics fails here (protocolOverflows was such a counter).
import Testing
@testable import Ringmaster

@Suite(.serialized) struct MetricsExportTests {
    @Test func everyWorkerCounterIsExported() throws {
        let server = try TestServer()
        let statistics = server.server.workers[0].statistics
        let unit: UInt64 = 1_000_000_000
        for (i, counter) in WorkerCounter.allCases.enumerated() { statistics.add(counter, UInt64(i + 1) * unit) }
        let client = try server.client()
        let text = try client.get("/metrics").bodyText
        var found = Set<UInt64>()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }), value >= Double(unit) else { continue }
            found.insert(UInt64((value / Double(unit)).rounded()))
        }
        // The loop-batch buckets are exported cumulatively (le="2" holds batch1 + batch2...),
        // so only the first bucket carries its own value; the histogram's buckets are checked
        // by the PrometheusWriter and routing tests.
        let cumulative = Set(["batch2", "batch4", "batch8", "batch16", "batch32", "batch64", "batch128", "batch256", "batchMore"])
        let missing = WorkerCounter.allCases.enumerated()
            .filter { !found.contains(UInt64($0.offset + 1)) && !cumulative.contains("\($0.element)") }.map { "\($0.element)" }
        #expect(missing.isEmpty, "counters with no sample in /metrics: \(missing)")
    }
}
