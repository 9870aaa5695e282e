// The request duration histogram, per-route counts, process_* and build info, the optional
// worker label, and an embedding program's swift-metrics on /metrics: the storage (bucket
// math, per-worker cells on their own lines), the exposition checked by prometheus_client's
// parser, and the values a real server reports for what a test did.
import CoreMetrics
import Foundation
import Glibc
import RingmasterHTTP
import Testing
@testable import Ringmaster

@Suite struct RequestCellsTests {
    @Test func bucketsFollowTheOneTwoFiveSeriesFromAMicrosecondToTenSeconds() {
        let bounds = (0..<RequestCells.durationBounds).map(RequestCells.durationBound)
        #expect(bounds.prefix(7) == [1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000])
        #expect(bounds.last == 10_000_000_000)
        for (i, bound) in bounds.enumerated() {
            #expect(RequestCells.durationBucket(bound) == i, "a value on a bound belongs to it (le)")
            #expect(RequestCells.durationBucket(bound + 1) == i + 1)
        }
        #expect(RequestCells.durationBucket(0) == 0)
        #expect(RequestCells.durationBucket(UInt64.max) == RequestCells.durationBounds, "above every bound: +Inf")
    }

    @Test func recordingFillsTheBlockOfItsOwnWorkerOnly() {
        let a = WorkerStatistics(), b = WorkerStatistics()
        a.recordDuration(nanoseconds: 3000)
        a.recordDuration(nanoseconds: 3000)
        a.recordDuration(nanoseconds: 20_000_000_000)
        a.recordRoute(index: 3)
        a.recordRoute(index: Int(RouteAnswer.notFoundIndex))
        #expect(a.durationCount(bucket: 2) == 2)
        #expect(a.durationCount(bucket: RequestCells.durationBounds) == 1)
        #expect(a.durationSumNanoseconds == 20_000_006_000)
        #expect(a.routeCount(index: 3) == 1 && a.routeCount(index: 255) == 1 && a.routeCount(index: 4) == 0)
        #expect(b.durationSumNanoseconds == 0 && b.routeCount(index: 3) == 0)
        #expect(Int(bitPattern: a.requestCellsAddress) % 64 == 0, "the request block starts a cache line")
        #expect(RequestCells.byteCount % 64 == 0, "and ends one, so no two workers' cells share a line")
    }

    @Test func durationStartIsZeroWhenDurationsAreOffAndRecordsNothing() {
        let s = WorkerStatistics()
        s.recordsDurations = false
        let start = s.durationStart()
        #expect(start == 0)
        s.recordDuration(since: start)
        #expect((0..<RequestCells.durationBuckets).allSatisfy { s.durationCount(bucket: $0) == 0 })
        s.recordsDurations = true
        let timed = s.durationStart()
        #expect(timed != 0)
        s.recordDuration(since: timed)
        #expect((0..<RequestCells.durationBuckets).reduce(0) { $0 + s.durationCount(bucket: $1) } == 1)
    }

    @Test func theCycleCounterIsCalibratedAndTimesLikeTheMonotonicClock() throws {
        #expect(CycleClock.nanoseconds(ticks: 1_000_000_000, scale: 1 << 32) == 1_000_000_000)
        #expect(CycleClock.nanoseconds(ticks: 3_000_000_000, scale: (1 << 32) / 3) == 999_999_999, "no overflow past 2^32 ticks")
        guard CycleClock.scale != 0 else {
            #expect(!CycleClock.counterIsClock, "the counter is only unused where the kernel does not trust it")
            return
        }
        // Between 100 MHz and 10 GHz.
        #expect(CycleClock.scale > (1 << 32) / 10 && CycleClock.scale < (1 << 32) * 10, "scale \(CycleClock.scale)")
        let s = WorkerStatistics()
        s.cycleScale = CycleClock.scale
        let start = s.durationStart()
        usleep(3000)
        s.recordDuration(since: start)
        // 3 ms (plus scheduling) is above the 2.5 ms bound (bucket 10) and far below 250 ms.
        let bucket = (0..<RequestCells.durationBuckets).first { s.durationCount(bucket: $0) == 1 } ?? -1
        #expect(bucket > 10 && bucket < 17, "bucket \(bucket), sum \(s.durationSumNanoseconds) ns")
        #expect(s.durationSumNanoseconds >= 3_000_000 && s.durationSumNanoseconds < 250_000_000)
    }

    /// Writes the added families for `blocks` and route paths, as the worker does.
    func exposition(_ blocks: [WorkerStatistics], paths: [String]) -> String {
        let capacity = 65536
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { memory.deallocate() }
        var w = PrometheusWriter(memory)
        MetricsExposition.writeDurations(into: &w, blocks)
        let stored = paths.map { Array($0.utf8) }
        stored.withUnsafeBufferPointer { all in
            MetricsExposition.writeRoutes(into: &w, blocks, routeCount: all.count) { i in
                all[i].withUnsafeBytes { UnsafeRawBufferPointer(start: $0.baseAddress, count: $0.count) }
            }
        }
        MetricsExposition.writeProcess(into: &w)
        return String(decoding: UnsafeRawBufferPointer(rebasing: memory[..<(w.finish() ?? 0)]), as: UTF8.self)
    }

    @Test func theAddedFamiliesParseWithPrometheusClientAndSumOrLabelWorkers() throws {
        let blocks = [WorkerStatistics(), WorkerStatistics()]
        for (i, block) in blocks.enumerated() { block.workerIndex = i }
        blocks[0].recordDuration(nanoseconds: 1500)
        blocks[1].recordDuration(nanoseconds: 7_000_000)
        blocks[0].recordRoute(index: 0)
        blocks[1].recordRoute(index: 1)
        blocks[1].recordRoute(index: 2)
        blocks[1].recordRoute(index: Int(RouteAnswer.methodNotAllowedIndex))
        let summed = try PrometheusParser.parse(exposition(blocks, paths: ["/a", "/b", "/a"]))
        func value(_ series: String, in samples: [PrometheusParser.Sample]) -> Double? { samples.first { $0.series == series }?.value }
        #expect(value("ringmaster_request_duration_seconds_count{}", in: summed) == 2)
        #expect(value("ringmaster_request_duration_seconds_bucket{le=\"0.0000025\"}", in: summed) == 1)
        #expect(value("ringmaster_request_duration_seconds_bucket{le=\"0.01\"}", in: summed) == 2)
        #expect(abs((value("ringmaster_request_duration_seconds_sum{}", in: summed) ?? 0) - 0.0070015) < 1e-12)
        #expect(value("ringmaster_route_requests_total{route=\"/a\"}", in: summed) == 2, "two routes on /a are one sample")
        #expect(value("ringmaster_route_requests_total{route=\"/b\"}", in: summed) == 1)
        #expect(summed.filter { $0.series.hasPrefix("ringmaster_route_requests_total") }.count == 2)
        #expect(value("ringmaster_unrouted_requests_total{reason=\"method_not_allowed\"}", in: summed) == 1)
        #expect((value("process_resident_memory_bytes{}", in: summed) ?? 0) > 1_000_000)
        #expect((value("process_open_fds{}", in: summed) ?? 0) >= 3)
        let start = value("process_start_time_seconds{}", in: summed) ?? 0
        #expect(start > 1.7e9 && start <= Date().timeIntervalSince1970 + 1, "a Unix time no later than now: \(start)")
        #expect(value("ringmaster_build_info{swift=\"\(BuildInfo.swiftVersion)\",version=\"\(BuildInfo.version)\"}", in: summed) == 1)

        for block in blocks { block.labelsWorkers = true }
        let labelled = try PrometheusParser.parse(exposition(blocks, paths: ["/a", "/b", "/a"]))
        #expect(value("ringmaster_request_duration_seconds_count{worker=\"0\"}", in: labelled) == 1)
        #expect(value("ringmaster_request_duration_seconds_count{worker=\"1\"}", in: labelled) == 1)
        #expect(value("ringmaster_request_duration_seconds_bucket{le=\"0.005\",worker=\"1\"}", in: labelled) == 0)
    }

    @Test func processOpenDescriptorsCountsWhatThisProcessOpened() {
        let before = ProcessFacts.read().openDescriptors
        let fds = (0..<5).map { _ in open("/dev/null", O_RDONLY) }
        defer { fds.forEach { close($0) } }
        #expect(ProcessFacts.read().openDescriptors == before + 5)
    }

    @Test func aBrokenExpositionIsRejectedByTheParser() {
        // The parser check must be able to fail: a sample after another family's TYPE line
        // with a bad value is refused.
        #expect(throws: (any Error).self) { try PrometheusParser.parse("# TYPE a counter\na_total x\n") }
    }
}

@Suite struct MetricsRegistryTests {
    func exposition(_ registry: MetricsRegistry) -> String {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
        defer { memory.deallocate() }
        var w = PrometheusWriter(memory)
        registry.write(into: &w)
        return String(decoding: UnsafeRawBufferPointer(rebasing: memory[..<(w.finish() ?? 0)]), as: UTF8.self)
    }

    @Test func swiftMetricsCountersGaugesAndTimersAreExportedAndParse() throws {
        let registry = MetricsRegistry()
        let jobs = Counter(label: "app.jobs", dimensions: [("queue", "mail")], factory: registry)
        let other = Counter(label: "app.jobs", dimensions: [("queue", "sms \"urgent\"")], factory: registry)
        let depth = Meter(label: "app_queue_depth", factory: registry)
        let latency = CoreMetrics.Timer(label: "app.lookup", factory: registry)
        let ratio = Recorder(label: "app_ratio", aggregate: false, factory: registry)
        jobs.increment(by: 3)
        other.increment()
        depth.set(2.5)
        latency.recordNanoseconds(4000)
        latency.recordNanoseconds(2_000_000_000)
        ratio.record(0.25)
        let text = exposition(registry)
        let samples = try PrometheusParser.parse(text)
        func value(_ series: String) -> Double? { samples.first { $0.series == series }?.value }
        #expect(value("app_jobs_total{queue=\"mail\"}") == 3, "\(text)")
        #expect(value("app_jobs_total{queue=\"sms \\\"urgent\\\"\"}") == 1 || value("app_jobs_total{queue=\"sms \"urgent\"\"}") == 1)
        #expect(text.components(separatedBy: "# TYPE app_jobs_total counter").count == 2, "one TYPE line for both series")
        #expect(value("app_queue_depth{}") == 2.5)
        #expect(value("app_ratio{}") == 0.25)
        #expect(value("app_lookup_seconds_count{}") == 2)
        #expect(value("app_lookup_seconds_bucket{le=\"0.000005\"}") == 1)
        #expect(value("app_lookup_seconds_sum{}") == 2.000004)
        #expect(samples.first { $0.family == "app_lookup_seconds" }?.type == "histogram")
    }

    @Test func aNameUsedByAnotherKindGetsItsOwnFamily() throws {
        let registry = MetricsRegistry()
        Counter(label: "x", factory: registry).increment()
        Meter(label: "x_total", factory: registry).set(1.0)
        let samples = try PrometheusParser.parse(exposition(registry))
        #expect(Set(samples.map(\.family)).count == 2)
    }
}

@Suite(.serialized) struct RequestMetricsServerTests {
    @Test func aServerReportsDurationsRoutesAndAnEmbeddersMetricsThatParse() throws {
        var c = TestServer.configuration()
        c.workers = 2
        c.metricsWorkerLabel = true
        c.configuredRoutes = [
            RouteConfiguration(path: "/api", methods: ["GET", "POST"], body: "api\n"),
            RouteConfiguration(path: "/static/", body: "files\n").with { $0.match = "prefix" },
            RouteConfiguration(path: "/metrics", kind: "metrics", body: ""),
        ]
        let server = try TestServer(c)
        let jobs = Counter(label: "embedder_jobs", dimensions: [("kind", "test")], factory: MetricsRegistry.shared)
        jobs.increment(by: 7)
        var requests = ["GET /api HTTP/1.1\r\nHost: a\r\n\r\n"]
        requests += Array(repeating: "GET /api HTTP/1.1\r\nHost: a\r\n\r\n", count: 4)
        requests += Array(repeating: "POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi", count: 3)
        requests += ["GET /static/a.css HTTP/1.1\r\nHost: a\r\n\r\n", "GET /static/b HTTP/1.1\r\nHost: a\r\n\r\n"]
        requests += ["GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", "DELETE /api HTTP/1.1\r\nHost: a\r\n\r\n"]
        // New connections, so both workers take some.
        for request in requests {
            let client = try server.client()
            try client.send(request)
            _ = try client.readResponse()
        }
        let client = try server.client()
        try client.send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        let text = try client.readResponse().bodyText
        let samples = try PrometheusParser.parse(text)
        func value(_ series: String) -> Double? { samples.first { $0.series == series }?.value }
        func sum(_ prefix: String) -> Double { samples.filter { $0.series.hasPrefix(prefix) }.reduce(0) { $0 + $1.value } }
        #expect(value("ringmaster_route_requests_total{route=\"/api\"}") == 8)
        #expect(value("ringmaster_route_requests_total{route=\"/static/\"}") == 2)
        #expect(value("ringmaster_route_requests_total{route=\"/metrics\"}") == 1, "the scrape counts itself when matched")
        #expect(value("ringmaster_unrouted_requests_total{reason=\"not_found\"}") == 1)
        #expect(value("ringmaster_unrouted_requests_total{reason=\"method_not_allowed\"}") == 1)
        // Every answer before this scrape was queued in the receive that completed it: 12 timed.
        #expect(sum("ringmaster_request_duration_seconds_count{worker=") == 12, "\(text)")
        #expect(sum("ringmaster_request_duration_seconds_bucket{le=\"+Inf\",worker=") == 12)
        #expect(sum("ringmaster_request_duration_seconds_sum{worker=") > 0)
        #expect(value("ringmaster_requests_total{worker=\"0\"}") != nil && value("ringmaster_requests_total{worker=\"1\"}") != nil)
        #expect(sum("ringmaster_requests_total{worker=") == 13)
        #expect(value("embedder_jobs_total{kind=\"test\"}") == 7)
        #expect(value("process_cpu_seconds_total{}") ?? 0 > 0)
        jobs.destroy()
    }

    @Test func durationsOffRecordNothing() throws {
        var c = TestServer.configuration()
        c.recordRequestDurations = false
        let server = try TestServer(c)
        let client = try server.client()
        for _ in 0..<3 {
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try client.readResponse()
        }
        try client.send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        let samples = try PrometheusParser.parse(try client.readResponse().bodyText)
        #expect(!samples.contains { $0.series.hasPrefix("ringmaster_request_duration_seconds") })
        #expect(samples.contains { $0.series == "ringmaster_route_requests_total{route=\"/\"}" && $0.value == 3 })
    }
}
