// Every per-worker counter reaches /metrics: each `WorkerCounter` of an idle server's worker is
// set to its own multiple of 10^9 (the scrape itself adds far less), and some sample of the
// exposition must carry it. A counter added to WorkerStatistics without a sample in
// Worker.writeMetrics fails here (protocolOverflows was such a counter).
import Testing
import Glibc
import CoreMetrics
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

/// An exposition larger than an output chunk is streamed from the worker's metrics block. A
/// scrape that arrives while a slow client's stream still reads that block gets a block of
/// its own: both clients receive a whole, well-formed exposition, and the slow one's bytes
/// are not overwritten by the second scrape.
@Suite(.serialized) struct MetricsStreamingTests {
    @Test func aScrapeDuringASlowClientsStreamLeavesBothWhole() throws {
        var c = TestServer.configuration()
        c.metricsWorkerLabel = true
        let server = try TestServer(c)
        // An embedder's histograms make the exposition several chunks long.
        let timers = (0..<80).map { CoreMetrics.Timer(label: "streaming_test_lookup_\($0)", factory: MetricsRegistry.shared) }
        for timer in timers { timer.recordNanoseconds(1000) }
        defer { for timer in timers { timer.destroy() } }
        // A marker the second scrape sees changed: the slow client's copy must still hold 1.
        let marker = CoreMetrics.Counter(label: "streaming_test_marker", factory: MetricsRegistry.shared)
        defer { marker.destroy() }
        marker.increment(by: 1)
        let slow = try server.client(receiveBuffer: 2048, maxSegment: 536)
        try slow.send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(200_000)
        marker.increment(by: 999_999_999)
        let fast = try server.client()
        let first = try fast.get("/metrics")
        #expect(first.status == 200)
        #expect(first.body.count > c.chunkSize, "the exposition (\(first.body.count) bytes) must be streamed for this test")
        let second = try slow.readResponse()
        // Booleans, not the bodies, in the expectations: a failure should not print 25 KB.
        let markers = [first, second].map { $0.bodyText.split(separator: "\n").first { $0.hasPrefix("streaming_test_marker") }.map(String.init) ?? "none" }
        #expect(markers == ["streaming_test_marker_total 1000000000", "streaming_test_marker_total 1"], "the slow client's exposition is the one taken at its scrape")
        for response in [first, second] {
            #expect(response.header("Content-Length") == "\(response.body.count)")
            let lines = response.bodyText.split(separator: "\n", omittingEmptySubsequences: false)
            let endsWithNewline = lines.last == ""
            #expect(endsWithNewline)
            let malformed = lines.dropLast().filter { line in
                guard !line.hasPrefix("#") else { return false }
                let name = line.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
                return name.isEmpty || line.split(separator: " ").last.flatMap { Double($0) } == nil
            }
            #expect(malformed.isEmpty, "every line is a comment or a sample: \(malformed.prefix(3))")
            let complete = response.bodyText.contains("ringmaster_tls_close_notify_total")
            #expect(complete)
        }
    }
}

/// An exposition larger than the worker's metrics block (an embedder with thousands of
/// metrics) is written into a larger block and sent whole, not cut off mid-line.
@Suite(.serialized) struct LargeMetricsTests {
    @Test func anExpositionLargerThanTheBlockIsSentWhole() throws {
        let server = try TestServer()
        let counters = (0..<2500).map { CoreMetrics.Counter(label: "large_exposition_test_counter_with_a_long_name_number_\($0)", factory: MetricsRegistry.shared) }
        for counter in counters { counter.increment(by: 3) }
        defer { for counter in counters { counter.destroy() } }
        let response = try server.client().get("/metrics")
        #expect(response.status == 200)
        #expect(response.body.count > MetricsExport.capacity, "the test needs an exposition past the block (\(response.body.count) bytes)")
        let complete = response.bodyText.contains("large_exposition_test_counter_with_a_long_name_number_2499_total 3\n")
        #expect(complete, "the last embedder counter is there: the exposition was not cut")
    }
}
