// The supervisor: binds one listener per worker, spawns the worker threads, and drives the
// coordinated shutdown. Used by the `ringmaster` executable and by programs embedding it.
import CURing
import Glibc
import Logging

/// A running Ringmaster server.
public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    let logger: Logger
    public private(set) var workers: [WorkerThread] = []
    /// The bound port (resolves port 0).
    public private(set) var port = 0

    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "ringmaster")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Binds, starts every worker and returns once all accept. On any failure, the workers
    /// already started are stopped and joined before the error is thrown.
    public func start() throws(SetupError) {
        let cpus = try CPUSet.allowed()
        let count = configuration.workers ?? cpus.count
        if configuration.pinWorkers && count > cpus.count {
            throw SetupError("workers: \(count) workers need \(count) CPUs, but only \(cpus.count) are allowed (\(CPUSet.describe(cpus)))")
        }
        var listeners: [Int32] = []
        var boundPort = configuration.port
        do {
            for _ in 0..<count {
                let fd = try Listener.open(host: configuration.host, port: boundPort, backlog: configuration.backlog)
                if boundPort == 0 { boundPort = Listener.boundPort(of: fd) }
                listeners.append(fd)
            }
        } catch {
            listeners.forEach { close($0) }
            throw error
        }
        port = boundPort
        for (i, fd) in listeners.enumerated() {
            let cpu = configuration.pinWorkers ? cpus[i] : nil
            let node = cpu.flatMap { numa_available() >= 0 ? Int32(numa_node_of_cpu(Int32($0))) : nil }
            let worker: WorkerThread
            do {
                worker = try WorkerThread(configuration: configuration.workerConfiguration(index: i, listenerFD: fd, cpu: cpu, numaNode: node))
                try worker.start()
            } catch {
                listeners[i...].forEach { close($0) }
                stop(force: true)
                wait()
                throw error
            }
            workers.append(worker)
            logger.info("\(worker.summary)")
            if configuration.hugePages == .auto && !worker.usesHugePages {
                logger.notice("worker \(i): no huge pages available (reserve some with vm.nr_hugepages): receive buffers use normal pages")
            }
        }
    }

    /// Starts a graceful drain (or a forced close) on every worker at once.
    public func stop(force: Bool = false) {
        for worker in workers { worker.control.request(force ? .forced : .draining) }
    }

    /// Joins every worker; returns the worst exit: forced over timed out over drained.
    @discardableResult
    public func wait() -> WorkerExit {
        var result = WorkerExit.drained
        for worker in workers {
            worker.join()
            switch worker.exitReason {
            case .forced: result = .forced
            case .timedOut: if result == .drained { result = .timedOut }
            case .drained: break
            }
        }
        return result
    }

    /// Sum of one counter over the workers.
    public func total(_ counter: WorkerCounter) -> UInt64 {
        workers.reduce(0) { $0 + $1.statistics.value(counter) }
    }
}
