// From the process configuration to each worker's settings (the supervisor's job, so the
// Config layer stays free of worker details).

extension ServerConfiguration {
    /// The settings of worker `index` accepting on `listenerFD`.
    public func workerConfiguration(index: Int, listenerFD: Int32, cpu: Int?, numaNode: Int32?) -> WorkerConfiguration {
        var c = WorkerConfiguration(index: index, listenerFD: listenerFD)
        c.cpu = cpu
        c.numaNode = numaNode
        c.ringEntries = ringEntries
        c.cqFactor = cqFactor
        c.bufferCount = bufferCount
        c.bufferSize = bufferSize
        c.hugePages = hugePages
        c.maxConnections = maxConnections
        c.limits = limits
        c.timeouts = timeouts
        c.tcpQuickAck = tcpQuickAck
        c.proxyProtocol = proxyProtocol
        c.plainAnswer = tls.plainAnswer
        c.realIPFrom = realIPFrom
        c.realIPHeader = realIPHeader
        c.napiBusyPollMicroseconds = napiBusyPollMicroseconds
        c.napiPreferBusyPoll = napiPreferBusyPoll
        c.bufferGroupsMax = bufferGroupsMax
        c.routes = routes
        c.serverName = serverName
        c.shutdownTimeoutMilliseconds = shutdownTimeoutMilliseconds
        c.chunkSize = chunkSize
        c.fileCacheBytes = fileCacheBytes
        c.fileCacheMaxFile = fileCacheMaxFile
        c.maxStreams = maxStreams
        c.streamBufferSize = streamReadBytes
        c.sendfile = fileSendfile
        c.accessLogFormat = accessLogFormat
        return c
    }
}
