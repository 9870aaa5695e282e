// One event loop: a ring, a buffer ring, a connection shard and the handlers that move each
// connection through accept, receive, parse, respond, send and close. Built and run on its
// own (pinned) thread; shares nothing with other workers but its statistics and control.
import Glibc
import Logging
import RingmasterHTTP

/// Why a worker's loop ended.
public enum WorkerExit: Sendable, Equatable {
    /// Drained: every connection finished.
    case drained
    /// Forced closed (second signal or SIGQUIT).
    case forced
    /// The drain deadline passed with connections still open.
    case timedOut
}

/// A single-threaded io_uring HTTP/1.1 worker.
public struct Worker: ~Copyable {
    var ring: Ring
    /// The provided receive buffers, input held out of them, and connections waiting for them.
    var receive: ReceiveBuffers
    var table: ConnectionTable
    var slab: ChunkSlab
    /// The listener's pending accepts and every connection's client address.
    var acceptor: Acceptor
    /// Connections' deadlines (idle, header, body, write, linger), checked by the tick.
    var wheel: TimingWheel
    /// The parser's header fields and the memory the kernel reads after submission.
    var scratch: WorkerScratch
    /// The parser's limits, the timeouts, the https redirect and the real-client rules.
    var policy: RequestPolicy
    /// The route tables (current and retired by a reload) and the Date they carry.
    var routing: Routing
    /// Static files (the cache and its scratch), a component that returns answers.
    var files: FileServer
    /// Bodies too large for the output chunk, sent after their heads.
    var streams: BodyStreams
    /// The router's handlers and their per-worker state (Worker+Handlers.swift).
    var handling: HandlerRuntime
    /// Upstream servers and the requests forwarded to them (docs/proxy.md).
    var proxy: ProxyState
    /// TLS sessions of a TLS listener's connections (Worker+TLS.swift); empty when plain.
    var tls: TLSSessions
    /// Off unless `access_log.path` is set (Worker+AccessLog.swift).
    var accessLog: AccessLog
    var lifecycle: WorkerLifecycle
    /// Its index, counters, control mailbox, logger and /metrics state (SupervisorLink.swift).
    let link: SupervisorLink

    /// Builds every per-worker structure. Call on the worker's thread after pinning, so the
    /// memory is first touched on its NUMA node and the ring's single issuer is this thread.
    public init(configuration c: WorkerConfiguration, statistics: WorkerStatistics, control: WorkerControl) throws(SetupError) {
        var ring = try Ring(entries: c.ringEntries, cqFactor: c.cqFactor)
        try ring.probeRequiredOperations()
        let tableSize = try ring.registerFixedFiles(wanted: c.maxConnections)
        let buffers = try BufferPool(count: c.bufferCount, bufferSize: c.bufferSize, hugePages: c.hugePages,
                                     node: c.numaNode, maxGroups: c.bufferGroupsMax, ring: ring)
        let table = try ConnectionTable(capacity: tableSize, node: c.numaNode)
        let tls = try TLSSessions(context: c.tls, slots: tableSize, node: c.numaNode)
        let acceptor = try Acceptor(listenerFD: c.listenerFD, plainListenerFD: c.plainListenerFD, expectsProxyHeader: c.proxyProtocol, quickAck: c.tcpQuickAck,
                                    slots: tableSize, node: c.numaNode)
        // Large file bodies by sendfile need IORING_OP_FIXED_FD_INSTALL (Linux 6.8).
        let installs = ring.supportsFixedFDInstall
        if c.sendfile && !installs {
            c.logger.warning("worker \(c.index): IORING_OP_FIXED_FD_INSTALL unavailable (it needs Linux 6.8): large file bodies go by IORING_OP_READ + SEND")
        }
        let streams = try BodyStreams(capacity: c.maxStreams, bufferSize: c.streamBufferSize, node: c.numaNode,
                                      sendfile: c.sendfile && installs, slots: tableSize)
        let slab = try ChunkSlab(chunkSize: c.chunkSize, capacity: UInt32(min(2 * tableSize + 64, Int(UInt16.max) - 1)), node: c.numaNode)
        try ring.checkSocketCommands(listenerFD: c.listenerFD)
        let napi = ring.registerNAPI(microseconds: c.napiBusyPollMicroseconds, prefer: c.napiPreferBusyPoll)
        if c.accessLogFD >= 0 { try ring.checkLogWrites() }
        // Last of the steps that can fail: from here the log owns the file descriptor.
        let accessLog = c.accessLogFD >= 0
            ? try AccessLog(fd: c.accessLogFD, format: c.accessLogFormat, slots: tableSize, node: c.numaNode)
            : AccessLog()
        let summary = "worker \(c.index): cpu=\(c.cpu.map(String.init) ?? "any") node=\(c.numaNode.map { String($0) } ?? "none") "
            + "ring=\(ring.sqEntries)/\(ring.cqEntries) no_sqarray=\(ring.usesNoSQArray) registered_ring_fd=\(ring.usesRegisteredRingFD) "
            + "fixed_files=\(tableSize) buffers=\(c.bufferCount)x\(c.bufferSize) huge_pages=\(buffers.usesHugePages) napi=\(napi)"
            + " access_log=\(accessLog.enabled ? accessLog.format.rawValue : "off") sendfile=\(streams.sockets.enabled)"
            + " tls=\(tls.enabled ? "on (\(TLSContext.recordsSummary))" : "off")"
        self.accessLog = accessLog
        self.tls = tls
        policy = RequestPolicy(limits: c.limits, timeouts: c.timeouts,
                               httpsRedirect: HTTPSRedirect(enabled: c.tls != nil && c.plainListenerFD >= 0 && c.plainAnswer == .redirect,
                                                            httpsPort: c.httpsPort, chunkSize: c.chunkSize),
                               realIP: RealIP(ranges: c.realIPFrom, header: c.realIPHeader, slots: tableSize))
        self.acceptor = acceptor
        self.ring = ring
        receive = ReceiveBuffers(pool: buffers, slots: tableSize)
        self.table = table
        self.slab = slab
        self.streams = streams
        link = SupervisorLink(index: c.index, statistics: statistics, control: control, logger: c.logger,
                              metrics: MetricsExport(all: c.allStatistics.isEmpty ? [statistics] : c.allStatistics), summary: summary)
        wheel = TimingWheel(capacity: tableSize)
        lifecycle = WorkerLifecycle(timeoutMilliseconds: c.shutdownTimeoutMilliseconds)
        // Code routes first: they win over configured ones, and their indices (which a
        // connection may hold across a reload) never change.
        routing = Routing(responses: ResponseTable(routes: c.router.routes + c.routes, serverName: c.serverName), unixSeconds: Worker.now())
        handling = HandlerRuntime(router: c.router, connections: tableSize, chunkSize: c.chunkSize, workerIndex: c.index, logger: c.logger,
                                  eventFD: control.eventFD)
        files = FileServer(cacheBytes: c.fileCacheBytes, cacheFileMax: c.fileCacheMaxFile,
                           pathScratchSize: FileServer.pathScratchSize(limits: c.limits, responses: routing.responses),
                           chunkSize: c.chunkSize, statistics: statistics)
        scratch = WorkerScratch(headerCount: c.limits.maxHeaderCount)
        proxy = ProxyState(capacity: c.maxStreams, slots: tableSize, cells: statistics.upstreamCells, probes: c.upstreamProbes,
                           routes: c.router.routes + c.routes)
    }

    deinit {
        close(acceptor.listenerFD)
        if acceptor.plainListenerFD >= 0 { close(acceptor.plainListenerFD) }
    }

    /// What the worker ended up using, for the start-up log line.
    public var summary: String { link.summary }
    /// True when the receive buffers are on huge pages.
    public var usesHugePages: Bool { receive.pool.usesHugePages }
    /// The first connection record: the start of this worker's shard.
    public var shardAddress: UnsafeRawPointer { table.address(of: 0) }

    /// Runs the event loop until the drain finishes or is forced.
    public mutating func run() -> WorkerExit {
        acceptor.armAll(ring: &ring)
        armWake()
        armTick()
        while lifecycle.exit == nil {
            ring.submitAndWait()
            refreshDate()
            let (head, tail) = ring.readyCompletions()
            var index = head
            while index != tail {
                let cqe = ring.cqe(at: index)
                // No prefetch of the next CQE's connection record (audit item 2): measured
                // A/B in docs/benchmarks.md, it saved nothing (the records of the benchmark's
                // connections stay in L1), so it was removed as the audit asks.
                dispatch(UserData(rawValue: cqe.pointee.user_data), Completion(result: cqe.pointee.res, flags: cqe.pointee.flags))
                // Safe: free-running CQ indices.
                index &+= 1
            }
            ring.consumeCompletions(upTo: tail)
            // Timers and finished responses that handlers queued during the batch.
            if handling.context.hasWork || handling.context.executor.hasJobs { runHandlerWork() }
            // Safe: free-running CQ indices.
            link.statistics.recordBatch(tail &- head)
            // Completions the CQ could not take wait in the kernel (NODROP); the next enter
            // flushes them now that the batch made room. Counted, never lost.
            if ring.completionsOverflowed { link.statistics.add(.completionOverflows) }
            let returned = receive.pool.publish()
            if receive.starved.count > 0 { rearmStarved(budget: returned) }
        }
        if accessLog.enabled { finishAccessLog() }
        // Hand the last closes to the kernel; the ring's teardown finishes the rest.
        ring.flushSubmissions()
        // A TLS close_notify is linked before its close: the chain advances only when the
        // ring is entered (DEFER_TASKRUN), so a few rounds let the last ones go out.
        if tls.enabled { ring.runDeferredWork(rounds: 4) }
        return lifecycle.exit ?? .drained
    }

    /// One handler per operation.
    @inline(__always)
    mutating func dispatch(_ data: UserData, _ completion: Completion) {
        switch data.operation {
        case .recv?: handleRecv(data, completion)
        case .send?: handleSend(data, completion)
        case .accept?: handleAccept(data, completion)
        case .wake?: handleWake()
        case .timeout?: data.slot == Worker.acceptRetryTimer ? acceptor.arm(Int(data.buffer), ring: &ring) : handleDrainDeadline()
        case .tick?: handleTick(completion)
        case .fileRead?: handleFileRead(data, completion)
        case .streamSend?: handleStreamSend(data, completion)
        case .streamPoll?: handleStreamPoll(data, completion)
        case .fdInstall?: handleFDInstall(data, completion)
        case .logWrite?: handleLogWrite(result: completion.result)
        case .handlerTimer?: handleHandlerTimer(data, completion)
        case .upstreamConnect?: handleUpstreamConnect(data, completion)
        case .upstreamSend?: handleUpstreamSend(data, completion)
        case .upstreamRecv?: handleUpstreamRecv(data, completion)
        case .tlsSend?: handleTLSSend(data, completion)
        case .close?, .cancel?, .setsockopt?, .shutdown?, .linkTimeout?: handleAuxiliaryFailure(data, completion)
        case nil: assertionFailure("CQE with unknown user_data \(data.rawValue)")
        }
    }

    /// Re-reads the coarse real-time clock (vDSO, no system call) and rebuilds the cached Date
    /// and static responses when the second changed: at most once a second, and never on an
    /// idle worker (no timer wakes it).
    @inline(__always)
    mutating func refreshDate() {
        routing.refresh(unixSeconds: Worker.now())
    }

    @inline(__always)
    static func now() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return ts.tv_sec
    }
}
