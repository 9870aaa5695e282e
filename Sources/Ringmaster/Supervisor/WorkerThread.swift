// One worker's pthread: pinned and named before it allocates anything, it builds its Worker
// (ring, buffers, shard) on its own CPU and NUMA node, reports ready or the setup error, then
// runs the loop.
import CURing
import Glibc
import Dispatch

/// Handle on a running worker thread.
public final class WorkerThread: @unchecked Sendable {
    public let configuration: WorkerConfiguration
    public let statistics: WorkerStatistics
    public let control: WorkerControl
    private var thread = pthread_t()
    private let startup = StartupLatch()
    /// Set by the thread before it signals the latch; read after the latch.
    private(set) var setupError: SetupError?
    public private(set) var summary = ""
    public private(set) var threadID: Int32 = 0
    public private(set) var exitReason: WorkerExit = .drained
    /// Whether the worker's receive buffers ended up on huge pages.
    public private(set) var usesHugePages = false
    /// Where the worker's connection shard starts (for NUMA placement checks).
    public private(set) var shardAddress: UnsafeRawPointer?

    init(configuration: WorkerConfiguration, statistics: WorkerStatistics) throws(SetupError) {
        self.configuration = configuration
        self.statistics = statistics
        control = try WorkerControl()
    }

    /// Starts the thread and waits until its worker is ready or failed.
    func start() throws(SetupError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        let r = pthread_create(&thread, nil, { raw in
            let me = Unmanaged<WorkerThread>.fromOpaque(raw!).takeRetainedValue()
            me.body()
            return nil
        }, context)
        guard r == 0 else {
            Unmanaged<WorkerThread>.fromOpaque(context).release()
            throw .call("pthread_create for worker \(configuration.index)", errno: r)
        }
        startup.wait()
        if let setupError {
            join()
            // The thread closed its listener when it failed.
            let cpu = configuration.cpu.map { "CPU \($0)" } ?? "no fixed CPU"
            throw SetupError("worker \(configuration.index) (\(cpu)) failed to start: \(setupError)")
        }
    }

    private var joined = false

    /// Waits for the thread to finish (once; later calls return at once). Supervisor thread only.
    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    private func body() {
        // Pin first, before anything allocates, so first touch lands on the CPU's node.
        threadID = curing_gettid()
        if let cpu = configuration.cpu {
            let r = curing_pin_self(Int32(cpu))
            if r != 0 {
                setupError = SetupError("pthread_setaffinity_np to CPU \(cpu): \(Errno.describe(r))")
                closeDescriptors()
                startup.signal()
                return
            }
        }
        _ = curing_name_self("ringmaster-w\(configuration.index)")
        var worker: Worker
        do { worker = try Worker(configuration: configuration, statistics: statistics, control: control) } catch {
            setupError = error
            closeDescriptors()
            startup.signal()
            return
        }
        summary = worker.summary
        usesHugePages = worker.usesHugePages
        shardAddress = worker.shardAddress
        startup.signal()
        exitReason = worker.run()
    }

    /// A worker that failed to start never owned its descriptors: the thread closes them.
    private func closeDescriptors() {
        close(configuration.listenerFD)
        if configuration.plainListenerFD >= 0 { close(configuration.plainListenerFD) }
        if configuration.accessLogFD >= 0 { close(configuration.accessLogFD) }
    }
}

/// A one-shot latch: the supervisor blocks until the worker thread signals.
final class StartupLatch: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func signal() { semaphore.signal() }
    func wait() { semaphore.wait() }
}
