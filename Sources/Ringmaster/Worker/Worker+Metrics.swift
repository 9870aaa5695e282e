// GET /metrics: every worker's counters in the Prometheus text exposition format (0.0.4),
// read with relaxed loads (no lock), summed, and written per request into a scratch block
// before the head (whose Content-Length needs the size). Allocation-free.
import RingmasterHTTP

extension Worker {
    static let metricsCapacity = 16384

    /// The metrics response, written into the metrics scratch now.
    func metricsAnswer(headOnly: Bool) -> Answer {
        var writer = PrometheusWriter(UnsafeMutableRawBufferPointer(start: metricsScratch, count: Worker.metricsCapacity))
        Worker.writeMetrics(allStatistics, into: &writer)
        let length = writer.finish() ?? writer.count
        let body = UnsafeRawBufferPointer(start: metricsScratch, count: length)
        return .response(AnswerHead(status: .ok, contentType: Worker.bytes("text/plain; version=0.0.4; charset=utf-8"),
                                    contentLength: UInt64(length)), headOnly ? .none : .inline(body))
    }

    /// A counter summed over every worker.
    static func total(_ all: [WorkerStatistics], _ counter: WorkerCounter) -> UInt64 {
        var sum: UInt64 = 0
        for statistics in all { sum &+= statistics.value(counter) }
        return sum
    }

    /// The exposition of every worker's counters (`all`): every `WorkerCounter` appears in
    /// it (MetricsExportTests fails for one added without a sample here).
    static func writeMetrics(_ all: [WorkerStatistics], into w: inout PrometheusWriter) {
        func total(_ counter: WorkerCounter) -> UInt64 { Worker.total(all, counter) }
        /// A metric family with one unlabelled sample: `counter` summed over every worker.
        func single(_ w: inout PrometheusWriter, _ name: StaticString, help: StaticString, _ type: PrometheusWriter.MetricType,
                    _ counter: WorkerCounter) {
            w.family(name, help: help, type: type)
            w.sample(name, total(counter))
        }
        single(&w, "ringmaster_connections_accepted_total", help: "Connections accepted.", .counter, .accepted)
        single(&w, "ringmaster_connections_closed_total", help: "Connections closed.", .counter, .closed)
        single(&w, "ringmaster_connections_active", help: "Connections open now.", .gauge, .active)
        single(&w, "ringmaster_requests_total", help: "Requests parsed.", .counter, .requests)
        single(&w, "ringmaster_received_bytes_total", help: "Bytes received.", .counter, .bytesIn)
        single(&w, "ringmaster_sent_bytes_total", help: "Bytes sent.", .counter, .bytesOut)
        w.family("ringmaster_responses_total", help: "Responses by status class.", type: .counter)
        w.sample("ringmaster_responses_total", PrometheusLabel("code", "1xx"), total(.responses1xx))
        w.sample("ringmaster_responses_total", PrometheusLabel("code", "2xx"), total(.responses2xx))
        w.sample("ringmaster_responses_total", PrometheusLabel("code", "3xx"), total(.responses3xx))
        w.sample("ringmaster_responses_total", PrometheusLabel("code", "4xx"), total(.responses4xx))
        w.sample("ringmaster_responses_total", PrometheusLabel("code", "5xx"), total(.responses5xx))
        w.family("ringmaster_parse_errors_total", help: "Requests rejected as malformed or over a limit, by kind.", type: .counter)
        // One sample per kind, from the same table the statistics and the bridge use.
        let kinds = WorkerStatistics.parseErrorKinds
        for k in 0..<kinds.count {
            w.sample("ringmaster_parse_errors_total", PrometheusLabel("kind", kinds[k].1), total(kinds[k].0))
        }
        single(&w, "ringmaster_parse_errors_all_total", help: "Requests rejected as malformed or over a limit, all kinds.", .counter, .parseErrors)
        single(&w, "ringmaster_peer_errors_total", help: "Connections ended by a peer error.", .counter, .peerErrors)
        single(&w, "ringmaster_protocol_overflows_total", help: "Connections closed because a response found no output room (never expected: parsing waits for room).", .counter, .protocolOverflows)
        single(&w, "ringmaster_receive_pauses_total", help: "Times a connection stopped receiving because its output had no room (backpressure).", .counter, .receivePauses)
        single(&w, "ringmaster_lingering_closes_total", help: "Lingering closes begun (write side shut, input read and dropped).", .counter, .lingeringCloses)
        w.family("ringmaster_timeouts_total", help: "Connections cut by a timeout, by kind.", type: .counter)
        w.sample("ringmaster_timeouts_total", PrometheusLabel("kind", "idle"), total(.idleTimeouts))
        w.sample("ringmaster_timeouts_total", PrometheusLabel("kind", "header"), total(.headerTimeouts))
        w.sample("ringmaster_timeouts_total", PrometheusLabel("kind", "body"), total(.bodyTimeouts))
        w.sample("ringmaster_timeouts_total", PrometheusLabel("kind", "write"), total(.writeTimeouts))
        w.sample("ringmaster_timeouts_total", PrometheusLabel("kind", "linger"), total(.lingerTimeouts))
        single(&w, "ringmaster_buffer_starvations_total", help: "Receives that found no provided buffer (ENOBUFS).", .counter, .bufferStarvations)
        single(&w, "ringmaster_buffer_groups_added_total", help: "Provided-buffer groups added when the ring ran dry.", .counter, .bufferGroupsAdded)
        single(&w, "ringmaster_accept_errors_total", help: "Accepts that failed (ENFILE: connection limit).", .counter, .acceptErrors)
        single(&w, "ringmaster_accept_backoffs_total", help: "Accept retries delayed after a failure (bounded backoff).", .counter, .acceptBackoffs)
        single(&w, "ringmaster_completion_overflows_total", help: "Loop iterations that found the CQ overflowed.", .counter, .completionOverflows)
        w.family("ringmaster_file_cache_lookups_total", help: "Static file cache lookups, by result.", type: .counter)
        w.sample("ringmaster_file_cache_lookups_total", PrometheusLabel("result", "hit"), total(.fileCacheHits))
        w.sample("ringmaster_file_cache_lookups_total", PrometheusLabel("result", "miss"), total(.fileCacheMisses))
        single(&w, "ringmaster_file_streams_total", help: "Response bodies streamed (too large for the output chunk).", .counter, .fileStreams)
        single(&w, "ringmaster_file_errors_total", help: "Files that failed to open or read.", .counter, .fileErrors)
        single(&w, "ringmaster_path_rejections_total", help: "File request paths refused (traversal, encoded slash, control bytes).", .counter, .pathRejections)
        single(&w, "ringmaster_streams_exhausted_total", help: "File answers refused with 503 because every body stream was busy.", .counter, .streamsExhausted)
        single(&w, "ringmaster_access_log_dropped_total", help: "Access log lines dropped because both log buffers were busy.", .counter, .accessLogDropped)
        single(&w, "ringmaster_access_log_write_errors_total", help: "Access log writes that failed (their lines are lost).", .counter, .accessLogWriteErrors)
        w.family("ringmaster_loop_completions", help: "Completions handled per event-loop iteration.", type: .histogram)
        // Bounds 1, 2, 4 ... 256 and the per-bucket counts, on the stack.
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: 9) { bounds in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 10) { counts in
                for i in 0..<9 { bounds[i] = 1 << Int64(i) }
                for i in 0..<10 { counts[i] = total(WorkerCounter(rawValue: WorkerCounter.batch1.rawValue + i)!) }
                w.histogram("ringmaster_loop_completions", upperBounds: UnsafeBufferPointer(bounds),
                            bucketCounts: UnsafeBufferPointer(counts), sum: Int64(clamping: total(.batchSum)))
            }
        }
    }
}
