// GET /metrics: every worker's counters in the Prometheus text exposition format (0.0.4),
// read with relaxed loads (no lock), summed, and written per request into a scratch block
// before the head (whose Content-Length needs the size). Allocation-free.
import RingmasterHTTP

extension Worker {
    /// Appends the metrics response.
    mutating func appendMetrics(slot: UInt32, close: Bool, headOnly: Bool) {
        var text = TextBuffer(base: metricsScratch, capacity: Worker.metricsCapacity)
        writeMetrics(into: &text)
        appendGenerated(slot: slot, status: .ok, body: text.bytes, extraHeaders: Worker.bytes(""),
                        contentType: Worker.bytes("text/plain; version=0.0.4; charset=utf-8"), close: close, headOnly: headOnly)
    }

    static let metricsCapacity = 16384

    /// The exposition: counters summed over workers, one gauge, one histogram.
    func writeMetrics(into text: inout TextBuffer) {
        func total(_ counter: WorkerCounter) -> UInt64 {
            var sum: UInt64 = 0
            for statistics in allStatistics { sum &+= statistics.value(counter) }
            return sum
        }
        func counter(_ name: StaticString, _ help: StaticString, _ value: WorkerCounter) {
            text.family(name, help, type: "counter")
            text.sample(name, label: nil, value: total(value))
        }
        counter("ringmaster_connections_accepted_total", "Connections accepted.", .accepted)
        counter("ringmaster_connections_closed_total", "Connections closed.", .closed)
        text.family("ringmaster_connections_active", "Connections open now.", type: "gauge")
        text.sample("ringmaster_connections_active", label: nil, value: total(.active))
        counter("ringmaster_requests_total", "Requests parsed.", .requests)
        counter("ringmaster_received_bytes_total", "Bytes received.", .bytesIn)
        counter("ringmaster_sent_bytes_total", "Bytes sent.", .bytesOut)
        text.family("ringmaster_responses_total", "Responses by status class.", type: "counter")
        text.sample("ringmaster_responses_total", label: ("code", "1xx"), value: total(.responses1xx))
        text.sample("ringmaster_responses_total", label: ("code", "2xx"), value: total(.responses2xx))
        text.sample("ringmaster_responses_total", label: ("code", "3xx"), value: total(.responses3xx))
        text.sample("ringmaster_responses_total", label: ("code", "4xx"), value: total(.responses4xx))
        text.sample("ringmaster_responses_total", label: ("code", "5xx"), value: total(.responses5xx))
        counter("ringmaster_parse_errors_total", "Requests rejected as malformed or over a limit.", .parseErrors)
        counter("ringmaster_peer_errors_total", "Connections ended by a peer error (reset, broken pipe).", .peerErrors)
        text.family("ringmaster_timeouts_total", "Connections cut by a timeout, by kind.", type: "counter")
        text.sample("ringmaster_timeouts_total", label: ("kind", "idle"), value: total(.idleTimeouts))
        text.sample("ringmaster_timeouts_total", label: ("kind", "header"), value: total(.headerTimeouts))
        text.sample("ringmaster_timeouts_total", label: ("kind", "body"), value: total(.bodyTimeouts))
        text.sample("ringmaster_timeouts_total", label: ("kind", "write"), value: total(.writeTimeouts))
        counter("ringmaster_buffer_starvations_total", "Receives that found no provided buffer (ENOBUFS).", .bufferStarvations)
        counter("ringmaster_buffer_groups_added_total", "Provided-buffer groups added under starvation.", .bufferGroupsAdded)
        counter("ringmaster_accept_errors_total", "Accepts that failed (ENFILE: connection limit).", .acceptErrors)
        counter("ringmaster_completion_overflows_total", "Loop iterations that found the CQ overflowed.", .completionOverflows)
        text.family("ringmaster_loop_completions", "Completions handled per event-loop iteration.", type: "histogram")
        var cumulative: UInt64 = 0
        for i in 0..<9 {
            cumulative &+= total(WorkerCounter(rawValue: WorkerCounter.batch1.rawValue + i)!)
            text.bucket("ringmaster_loop_completions_bucket", upperBound: 1 << UInt64(i), value: cumulative)
        }
        text.sample("ringmaster_loop_completions_bucket", label: ("le", "+Inf"), value: total(.batchCount))
        text.sample("ringmaster_loop_completions_sum", label: nil, value: total(.batchSum))
        text.sample("ringmaster_loop_completions_count", label: nil, value: total(.batchCount))
    }
}
