// The /metrics families beyond the per-worker counters: the request duration histogram, the
// per-route request counts, the process_* families and ringmaster_build_info. All are
// written by the worker that takes the scrape, into its scratch block, without allocating:
// labels borrow bytes already in memory (route paths in the route table, digits on the stack)
// and process figures come from getrusage and small /proc reads into stack buffers.
import Glibc
import RingmasterHTTP

/// Writers for the families added to the built-in exposition.
enum MetricsExposition {
    /// `ringmaster_request_duration_seconds`: head complete to last byte queued, summed over
    /// workers (or per worker with the `worker` label). Bounds in nanoseconds written with
    /// nine fraction digits read as seconds.
    static func writeDurations(into w: inout PrometheusWriter, _ blocks: [WorkerStatistics]) {
        let name: StaticString = "ringmaster_request_duration_seconds"
        w.family(name, help: "Time from a request head complete to the last byte of its answer queued.", type: .histogram)
        guard !blocks.isEmpty, blocks[0].recordsDurations else { return }
        let first = blocks[0]
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: RequestCells.durationBounds) { bounds in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: RequestCells.durationBuckets) { counts in
                // Index loops throughout: see Worker.total (debug-build iterators allocate).
                RequestCells.fillDurationBounds(bounds)
                /// Fills `counts` from blocks[only] or, with nil, from every block; returns the sum.
                func fill(_ only: Int?) -> Int64 {
                    var sum: UInt64 = 0
                    var bucket = 0
                    while bucket < RequestCells.durationBuckets {
                        counts[bucket] = 0
                        bucket += 1
                    }
                    var b = only ?? 0
                    let end = only == nil ? blocks.count : b + 1
                    while b < end {
                        bucket = 0
                        while bucket < RequestCells.durationBuckets {
                            counts[bucket] &+= blocks[b].durationCount(bucket: bucket)
                            bucket += 1
                        }
                        sum &+= blocks[b].durationSumNanoseconds
                        b += 1
                    }
                    return Int64(clamping: sum)
                }
                if first.labelsWorkers {
                    var b = 0
                    while b < blocks.count {
                        let block = blocks[b]
                        b += 1
                        let sum = fill(b - 1)
                        w.histogram(name, label: block.workerLabel, upperBounds: UnsafeBufferPointer(bounds), fractionDigits: 9,
                                    bucketCounts: UnsafeBufferPointer(counts), sum: sum)
                    }
                } else {
                    let sum = fill(nil)
                    w.histogram(name, upperBounds: UnsafeBufferPointer(bounds), fractionDigits: 9,
                                bucketCounts: UnsafeBufferPointer(counts), sum: sum)
                }
            }
        }
    }

    /// `ringmaster_route_requests_total{route}` for each configured or code route (routes that
    /// share a path are one sample, so the exposition never repeats a label set) and
    /// `ringmaster_unrouted_requests_total{reason}` for 404 and 405.
    static func writeRoutes(into w: inout PrometheusWriter, _ blocks: [WorkerStatistics], routeCount: Int,
                            path: (Int) -> UnsafeRawBufferPointer) {
        func count(_ index: Int) -> UInt64 {
            var sum: UInt64 = 0
            var b = 0
            while b < blocks.count {
                sum &+= blocks[b].routeCount(index: index)
                b += 1
            }
            return sum
        }
        func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
            a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
        }
        let name: StaticString = "ringmaster_route_requests_total"
        w.family(name, help: "Requests matched to each route, by route path.", type: .counter)
        var i = 0
        while i < routeCount {
            defer { i += 1 }
            let mine = path(i)
            var earlier = 0
            var seen = false
            while earlier < i && !seen {
                seen = same(path(earlier), mine)
                earlier += 1
            }
            if seen { continue }
            var sum = count(i)
            var later = i + 1
            while later < routeCount {
                if same(path(later), mine) { sum &+= count(later) }
                later += 1
            }
            w.sample(name, PrometheusLabel("route", mine), sum)
        }
        let unrouted: StaticString = "ringmaster_unrouted_requests_total"
        w.family(unrouted, help: "Requests that matched no route (404) or no method of their route (405).", type: .counter)
        w.sample(unrouted, PrometheusLabel("reason", "not_found"), count(Int(RouteAnswer.notFoundIndex)))
        w.sample(unrouted, PrometheusLabel("reason", "method_not_allowed"), count(Int(RouteAnswer.methodNotAllowedIndex)))
    }

    /// `process_*` (the names every Prometheus client library uses) and `ringmaster_build_info`.
    static func writeProcess(into w: inout PrometheusWriter) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let micros = (Int64(usage.ru_utime.tv_sec) + Int64(usage.ru_stime.tv_sec)) * 1_000_000
            + Int64(usage.ru_utime.tv_usec) + Int64(usage.ru_stime.tv_usec)
        w.family("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", type: .counter)
        w.beginSample("process_cpu_seconds_total")
        w.endSample(fixedPoint: micros, fractionDigits: 6)
        let facts = ProcessFacts.read()
        w.family("process_resident_memory_bytes", help: "Resident memory size in bytes.", type: .gauge)
        w.sample("process_resident_memory_bytes", facts.residentBytes)
        w.family("process_open_fds", help: "Number of open file descriptors.", type: .gauge)
        w.sample("process_open_fds", facts.openDescriptors)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        w.family("process_max_fds", help: "Maximum number of open file descriptors.", type: .gauge)
        w.sample("process_max_fds", UInt64(limit.rlim_cur))
        w.family("process_start_time_seconds", help: "Start time of the process since the Unix epoch in seconds.", type: .gauge)
        w.beginSample("process_start_time_seconds")
        w.endSample(fixedPoint: facts.startTimeMilliseconds, fractionDigits: 3)
        w.family("ringmaster_build_info", help: "Ringmaster's version and the Swift compiler that built it; always 1.", type: .gauge)
        w.beginSample("ringmaster_build_info")
        w.label(PrometheusLabel("version", BuildInfo.version))
        w.label(PrometheusLabel("swift", BuildInfo.swiftVersion))
        w.endSample(UInt64(1))
    }
}
