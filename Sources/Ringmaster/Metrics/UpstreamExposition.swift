// /metrics' per-upstream families (docs/proxy.md): requests, errors by kind, the response-head
// time histogram, open connections and health, one sample set per distinct upstream address
// labelled `upstream="<address as configured>"`, each summed over workers (row i of every
// worker's UpstreamCells names the same upstream). Always summed, also with
// `metrics.worker_label`: a histogram sample carries one label here. Written by the scraping
// worker into its scratch, without allocating (index loops, labels borrow Upstream.name).
import RingmasterHTTP

/// Writes the `ringmaster_upstream_server_*` families.
enum UpstreamExposition {
    static func write(into w: inout PrometheusWriter, _ blocks: [WorkerStatistics], names: [UnsafeRawBufferPointer], now: Int,
                      probes: UpstreamProbes) {
        func sum(_ row: Int, _ offset: Int) -> UInt64 {
            var total: UInt64 = 0
            var b = 0
            while b < blocks.count {
                total &+= blocks[b].upstreamCells.value(row, offset)
                b += 1
            }
            return total
        }
        let requests: StaticString = "ringmaster_upstream_server_requests_total"
        w.family(requests, help: "Requests sent to each upstream (retries count again).", type: .counter)
        var row = 0
        while row < names.count {
            w.sample(requests, PrometheusLabel("upstream", names[row]), sum(row, UpstreamCells.requests))
            row += 1
        }
        let errors: StaticString = "ringmaster_upstream_server_errors_total"
        w.family(errors, help: "Upstream failures by kind: connect (refused, unreachable), timeout (connect or read), protocol (reset, early close, malformed response).", type: .counter)
        row = 0
        while row < names.count {
            errorSample(&w, errors, names[row], "connect", sum(row, UpstreamCells.connectErrors))
            errorSample(&w, errors, names[row], "timeout", sum(row, UpstreamCells.timeoutErrors))
            errorSample(&w, errors, names[row], "protocol", sum(row, UpstreamCells.protocolErrors))
            row += 1
        }
        let connections: StaticString = "ringmaster_upstream_server_connections"
        w.family(connections, help: "Connections open to each upstream, idle and in use, all workers.", type: .gauge)
        row = 0
        while row < names.count {
            w.sample(connections, PrometheusLabel("upstream", names[row]), sum(row, UpstreamCells.connections))
            row += 1
        }
        let up: StaticString = "ringmaster_upstream_server_up"
        w.family(up, help: "1 when no worker has the upstream marked down (passive health) and it passes its active health check, else 0.", type: .gauge)
        row = 0
        while row < names.count {
            var healthy: UInt64 = probes.isFailing(row: row) ? 0 : 1
            var b = 0
            while b < blocks.count {
                if blocks[b].upstreamCells.value(row, UpstreamCells.downUntil) > UInt64(max(now, 0)) { healthy = 0 }
                b += 1
            }
            w.sample(up, PrometheusLabel("upstream", names[row]), healthy)
            row += 1
        }
        let time: StaticString = "ringmaster_upstream_server_response_seconds"
        w.family(time, help: "Time from choosing the upstream to its response head parsed (nginx's $upstream_header_time).", type: .histogram)
        guard !names.isEmpty else { return }
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: RequestCells.durationBounds) { bounds in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: RequestCells.durationBuckets) { counts in
                RequestCells.fillDurationBounds(bounds)
                var i = 0
                row = 0
                while row < names.count {
                    i = 0
                    while i < RequestCells.durationBuckets {
                        counts[i] = sum(row, UpstreamCells.timeBuckets + i)
                        i += 1
                    }
                    w.histogram(time, label: PrometheusLabel("upstream", names[row]), upperBounds: UnsafeBufferPointer(bounds),
                                fractionDigits: 9, bucketCounts: UnsafeBufferPointer(counts),
                                sum: Int64(clamping: sum(row, UpstreamCells.timeSum)))
                    row += 1
                }
            }
        }
    }

    /// One `{upstream, kind}` sample.
    static func errorSample(_ w: inout PrometheusWriter, _ name: StaticString, _ upstream: UnsafeRawBufferPointer, _ kind: StaticString,
                            _ value: UInt64) {
        w.beginSample(name)
        w.label(PrometheusLabel("upstream", upstream))
        w.label(PrometheusLabel("kind", kind))
        w.endSample(value)
    }
}
