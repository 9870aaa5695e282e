// The worker's part of the coordinated shutdown (Worker+Drain.swift, DESIGN.md "Shutdown"):
// whether the drain began, the deadline it runs under and how the loop ended.

/// Where the worker is in its life: running, draining, or done.
struct WorkerLifecycle {
    /// The drain began: the listeners are shut, and answers carry Connection: close.
    var draining = false
    /// Set when the loop should end, with the reason; nil while it runs.
    var exit: WorkerExit?
    /// How long the drain may take before the rest is closed (`shutdown_timeout_s`).
    let timeoutMilliseconds: Int

    init(timeoutMilliseconds: Int) {
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}
