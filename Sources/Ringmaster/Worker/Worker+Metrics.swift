// GET /metrics: every worker's counters in the Prometheus text exposition format (0.0.4),
// read with relaxed loads (no lock), summed, and written per request into the worker's metrics block
// before the head (whose Content-Length needs the size). Allocation-free.
import RingmasterHTTP

extension Worker {
    /// The metrics response, written into the worker's metrics block now. An exposition
    /// larger than an output chunk (many workers with worker labels, many embedder metrics,
    /// the TLS and upstream families) is streamed from the block, as a cached file is: the
    /// answer carries one reference, which the caller drops once the stream holds its own.
    /// Only when an earlier scrape's stream still reads the block (a slow client) is a block
    /// allocated for this one; the steady state allocates nothing (AllocationTests).
    func metricsAnswer(headOnly: Bool) -> Answer {
        let inUse = link.metrics.block.isShared
        guard let block = inUse ? FileBlock.allocate(keyLength: 0, payload: MetricsExport.capacity) : link.metrics.block else {
            return Worker.text(.serviceUnavailable, Worker.bytes("out of memory\n"), headOnly: headOnly)
        }
        var writer = PrometheusWriter(UnsafeMutableRawBufferPointer(start: block.payload, count: MetricsExport.capacity))
        writeMetrics(into: &writer)
        guard let length = writer.finish() else {
            // Larger than the block (dozens of workers with worker labels, many embedder
            // metrics): written again into one four times as large, never sent cut off.
            if inUse { block.release() }
            return largeMetricsAnswer(headOnly: headOnly)
        }
        let head = AnswerHead(status: .ok, contentType: Worker.bytes("text/plain; version=0.0.4; charset=utf-8"), contentLength: UInt64(length))
        if headOnly {
            if inUse { block.release() }
            return .response(head, .none)
        }
        // A fresh block is always streamed (an inline body would be copied from it after
        // this returns, and nothing would free it).
        if inUse || length > slab.chunkSize - 1024 {
            if !inUse { block.retain() }
            return .response(head, .stream(.memory(block, UnsafeRawPointer(block.payload)), offset: 0, count: UInt64(length)))
        }
        return .response(head, .inline(UnsafeRawBufferPointer(start: block.payload, count: length)))
    }

    /// The exposition when it outgrew `metricsCapacity`: a block of its own, 4x as large
    /// (allocates; 503 if even that is too small or cannot be had).
    func largeMetricsAnswer(headOnly: Bool) -> Answer {
        let capacity = 4 * MetricsExport.capacity
        guard let block = FileBlock.allocate(keyLength: 0, payload: capacity) else {
            return Worker.text(.serviceUnavailable, Worker.bytes("out of memory\n"), headOnly: headOnly)
        }
        var writer = PrometheusWriter(UnsafeMutableRawBufferPointer(start: block.payload, count: capacity))
        writeMetrics(into: &writer)
        guard let length = writer.finish() else {
            block.release()
            link.logger.error("worker \(link.index): the /metrics exposition exceeds \(capacity) bytes; answered 503")
            return Worker.text(.serviceUnavailable, Worker.bytes("metrics exposition too large\n"), headOnly: headOnly)
        }
        let head = AnswerHead(status: .ok, contentType: Worker.bytes("text/plain; version=0.0.4; charset=utf-8"), contentLength: UInt64(length))
        if headOnly {
            block.release()
            return .response(head, .none)
        }
        return .response(head, .stream(.memory(block, UnsafeRawPointer(block.payload)), offset: 0, count: UInt64(length)))
    }

    /// Whether the answer to the request just handled is queued in full on `slot`'s output
    /// (nothing owed, no handler response deferred), which is when its duration is recorded.
    @inline(__always)
    func answerQueued(slot: UInt32, generation: UInt8) -> Bool {
        let record = table[slot]
        return record.pointee.generation == generation && record.pointee.pendingFlags & PendingResponse.owed == 0
            && record.pointee.handlerState & HandlerState.deferred == 0
    }

    /// A counter summed over every worker.
    func total(_ counter: WorkerCounter) -> UInt64 {
        var sum: UInt64 = 0
        // Index loops: a for-in over an array or range goes through an unspecialised
        // IndexingIterator in debug builds, which allocates (AllocationTests scrapes /metrics).
        var i = 0
        while i < link.metrics.all.count {
            sum &+= link.metrics.all[i].value(counter)
            i += 1
        }
        return sum
    }

    /// A metric family with one unlabelled sample: `counter` summed over every worker.
    func single(_ w: inout PrometheusWriter, _ name: StaticString, help: StaticString, _ type: PrometheusWriter.MetricType,
                _ counter: WorkerCounter) {
        w.family(name, help: help, type: type)
        labelled(&w, name, nil, counter)
    }

    /// One sample of `counter` with `label`: summed over workers, or (with `link.metrics.worker_label`)
    /// one sample per worker with `worker="i"` added.
    func labelled(_ w: inout PrometheusWriter, _ name: StaticString, _ label: PrometheusLabel?, _ counter: WorkerCounter) {
        guard link.statistics.labelsWorkers else {
            w.beginSample(name)
            if let label { w.label(label) }
            w.endSample(total(counter))
            return
        }
        var i = 0
        while i < link.metrics.all.count {
            let block = link.metrics.all[i]
            w.beginSample(name)
            if let label { w.label(label) }
            w.label(block.workerLabel)
            w.endSample(block.value(counter))
            i += 1
        }
    }

    /// The exposition: counters summed over workers, one gauge, one histogram.
    func writeMetrics(into w: inout PrometheusWriter) {
        single(&w, "ringmaster_connections_accepted_total", help: "Connections accepted.", .counter, .accepted)
        single(&w, "ringmaster_connections_closed_total", help: "Connections closed.", .counter, .closed)
        single(&w, "ringmaster_connections_active", help: "Connections open now.", .gauge, .active)
        single(&w, "ringmaster_requests_total", help: "Requests parsed.", .counter, .requests)
        single(&w, "ringmaster_received_bytes_total", help: "Bytes received.", .counter, .bytesIn)
        single(&w, "ringmaster_sent_bytes_total", help: "Bytes sent.", .counter, .bytesOut)
        w.family("ringmaster_responses_total", help: "Responses by status class.", type: .counter)
        labelled(&w, "ringmaster_responses_total", PrometheusLabel("code", "1xx"), .responses1xx)
        labelled(&w, "ringmaster_responses_total", PrometheusLabel("code", "2xx"), .responses2xx)
        labelled(&w, "ringmaster_responses_total", PrometheusLabel("code", "3xx"), .responses3xx)
        labelled(&w, "ringmaster_responses_total", PrometheusLabel("code", "4xx"), .responses4xx)
        labelled(&w, "ringmaster_responses_total", PrometheusLabel("code", "5xx"), .responses5xx)
        w.family("ringmaster_parse_errors_total", help: "Requests rejected as malformed or over a limit, by kind.", type: .counter)
        // One sample per kind, from the same table the statistics and the bridge use.
        let kinds = WorkerStatistics.parseErrorKinds
        var k = 0
        while k < kinds.count {
            labelled(&w, "ringmaster_parse_errors_total", PrometheusLabel("kind", kinds[k].1), kinds[k].0)
            k += 1
        }
        single(&w, "ringmaster_parse_errors_all_total", help: "Requests rejected as malformed or over a limit, all kinds.", .counter, .parseErrors)
        single(&w, "ringmaster_peer_errors_total", help: "Connections ended by a peer error.", .counter, .peerErrors)
        single(&w, "ringmaster_protocol_overflows_total", help: "Connections closed because a response found no output room (never expected: parsing waits for room).", .counter, .protocolOverflows)
        single(&w, "ringmaster_receive_pauses_total", help: "Times a connection stopped receiving because its output had no room (backpressure).", .counter, .receivePauses)
        single(&w, "ringmaster_lingering_closes_total", help: "Lingering closes begun (write side shut, input read and dropped).", .counter, .lingeringCloses)
        w.family("ringmaster_timeouts_total", help: "Connections cut by a timeout, by kind.", type: .counter)
        labelled(&w, "ringmaster_timeouts_total", PrometheusLabel("kind", "idle"), .idleTimeouts)
        labelled(&w, "ringmaster_timeouts_total", PrometheusLabel("kind", "header"), .headerTimeouts)
        labelled(&w, "ringmaster_timeouts_total", PrometheusLabel("kind", "body"), .bodyTimeouts)
        labelled(&w, "ringmaster_timeouts_total", PrometheusLabel("kind", "write"), .writeTimeouts)
        labelled(&w, "ringmaster_timeouts_total", PrometheusLabel("kind", "linger"), .lingerTimeouts)
        single(&w, "ringmaster_buffer_starvations_total", help: "Receives that found no provided buffer (ENOBUFS).", .counter, .bufferStarvations)
        single(&w, "ringmaster_buffer_groups_added_total", help: "Provided-buffer groups added when the ring ran dry.", .counter, .bufferGroupsAdded)
        single(&w, "ringmaster_accept_errors_total", help: "Accepts that failed (ENFILE: connection limit).", .counter, .acceptErrors)
        single(&w, "ringmaster_accept_backoffs_total", help: "Accept retries delayed after a failure (bounded backoff).", .counter, .acceptBackoffs)
        single(&w, "ringmaster_proxy_headers_total", help: "PROXY protocol headers read (listen.proxy_protocol).", .counter, .proxyHeaders)
        single(&w, "ringmaster_upstream_requests_total", help: "Requests forwarded to upstreams (proxy routes).", .counter, .proxyRequests)
        single(&w, "ringmaster_upstream_errors_total", help: "Upstream failures: connect errors, resets, malformed responses.", .counter, .proxyErrors)
        single(&w, "ringmaster_upstream_timeouts_total", help: "Upstream connects, request sends or response reads past their timeout.", .counter, .proxyTimeouts)
        single(&w, "ringmaster_upstream_queued_total", help: "Proxied requests that waited for a connection because every usable upstream was at max_connections.", .counter, .proxyQueued)
        single(&w, "ringmaster_upstream_streamed_uploads_total", help: "Proxied request bodies streamed to the upstream as they arrived (chunked, or longer than half a chunk).", .counter, .proxyUploads)
        single(&w, "ringmaster_upstream_retries_total", help: "Requests sent again after an upstream failure.", .counter, .proxyRetries)
        single(&w, "ringmaster_proxy_header_errors_total", help: "Connections refused for a missing or malformed PROXY protocol header.", .counter, .proxyHeaderErrors)
        w.family("ringmaster_tls_handshakes_total", help: "TLS handshakes completed, by protocol version.", type: .counter)
        labelled(&w, "ringmaster_tls_handshakes_total", PrometheusLabel("protocol", "tls1.2"), .tlsHandshakes12)
        labelled(&w, "ringmaster_tls_handshakes_total", PrometheusLabel("protocol", "tls1.3"), .tlsHandshakes13)
        single(&w, "ringmaster_tls_resumed_total", help: "TLS handshakes that resumed a session (ticket), also counted in handshakes.", .counter, .tlsResumed)
        w.family("ringmaster_tls_failures_total", help: "TLS connections that ended before their handshake completed, by reason: protocol (alert, bad record, no shared version or ALPN), plaintext (HTTP sent to the TLS port, answered 400), timeout (tls.handshake_timeout_s), closed (peer closed mid-handshake).", type: .counter)
        labelled(&w, "ringmaster_tls_failures_total", PrometheusLabel("reason", "protocol"), .tlsFailuresProtocol)
        labelled(&w, "ringmaster_tls_failures_total", PrometheusLabel("reason", "plaintext"), .tlsFailuresPlaintext)
        labelled(&w, "ringmaster_tls_failures_total", PrometheusLabel("reason", "timeout"), .tlsFailuresTimeout)
        labelled(&w, "ringmaster_tls_failures_total", PrometheusLabel("reason", "closed"), .tlsFailuresClosed)
        w.family("ringmaster_tls_ciphers_total", help: "TLS handshakes completed, by the cipher suite they ended on (other: a suite outside Mozilla's intermediate list).", type: .counter)
        var cipher = 0
        while cipher < TLSCipher.table.count {
            let row = TLSCipher.table[cipher]
            labelled(&w, "ringmaster_tls_ciphers_total", PrometheusLabel("cipher", row.name), row.counter)
            cipher += 1
        }
        single(&w, "ringmaster_tls_close_notify_total", help: "close_notify alerts sent (a clean TLS end before the close or the write-side shutdown).", .counter, .tlsCloseNotify)
        single(&w, "ringmaster_completion_overflows_total", help: "Loop iterations that found the CQ overflowed.", .counter, .completionOverflows)
        w.family("ringmaster_file_cache_lookups_total", help: "Static file cache lookups, by result.", type: .counter)
        labelled(&w, "ringmaster_file_cache_lookups_total", PrometheusLabel("result", "hit"), .fileCacheHits)
        labelled(&w, "ringmaster_file_cache_lookups_total", PrometheusLabel("result", "miss"), .fileCacheMisses)
        single(&w, "ringmaster_file_streams_total", help: "Response bodies streamed (too large for the output chunk).", .counter, .fileStreams)
        single(&w, "ringmaster_file_errors_total", help: "Files that failed to open or read.", .counter, .fileErrors)
        single(&w, "ringmaster_path_rejections_total", help: "File request paths refused (traversal, encoded slash, control bytes).", .counter, .pathRejections)
        w.family("ringmaster_sendfile_pieces_total", help: "File body pieces of large bodies, by route: sendfile, or the ring's read for pieces not in the page cache.", type: .counter)
        labelled(&w, "ringmaster_sendfile_pieces_total", PrometheusLabel("route", "sendfile"), .sendfilePieces)
        labelled(&w, "ringmaster_sendfile_pieces_total", PrometheusLabel("route", "ring_read"), .sendfileColdPieces)
        single(&w, "ringmaster_sendfile_installs_total", help: "Regular descriptors installed for connections (IORING_OP_FIXED_FD_INSTALL).", .counter, .sendfileInstalls)
        single(&w, "ringmaster_sendfile_socket_full_total", help: "sendfile calls that found the socket full (short or EAGAIN), resumed by a POLLOUT poll.", .counter, .sendfileSocketFull)
        single(&w, "ringmaster_streams_exhausted_total", help: "File answers refused with 503 because every body stream was busy.", .counter, .streamsExhausted)
        single(&w, "ringmaster_access_log_dropped_total", help: "Access log lines dropped because both log buffers were busy.", .counter, .accessLogDropped)
        single(&w, "ringmaster_access_log_write_errors_total", help: "Access log writes that failed (their lines are lost).", .counter, .accessLogWriteErrors)
        w.family("ringmaster_loop_completions", help: "Completions handled per event-loop iteration.", type: .histogram)
        // Bounds 1, 2, 4 ... 256 and the per-bucket counts, on the stack.
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: 9) { bounds in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 10) { counts in
                var i = 0
                while i < 10 {
                    if i < 9 { bounds[i] = 1 << Int64(i) }
                    counts[i] = total(WorkerCounter(rawValue: WorkerCounter.batch1.rawValue + i)!)
                    i += 1
                }
                w.histogram("ringmaster_loop_completions", upperBounds: UnsafeBufferPointer(bounds),
                            bucketCounts: UnsafeBufferPointer(counts), sum: Int64(clamping: total(.batchSum)))
            }
        }
        MetricsExposition.writeDurations(into: &w, link.metrics.all)
        MetricsExposition.writeRoutes(into: &w, link.metrics.all, routeCount: routing.responses.routeCount) { routing.responses.path(of: $0) }
        UpstreamExposition.write(into: &w, link.metrics.all, names: proxy.upstreams.rowNames, now: Worker.monotonicSeconds(), probes: proxy.upstreams.probes)
        MetricsExposition.writeProcess(into: &w)
        MetricsRegistry.shared.write(into: &w)
    }
}
