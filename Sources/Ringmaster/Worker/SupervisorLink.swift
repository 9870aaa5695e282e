// What a worker shares with the supervisor and the other workers, fixed when it is built: its
// index, its counters (written by it alone, read by anyone), the mailbox the supervisor signals
// stop and reload through, the logger, every worker's counters for /metrics, and the start-up
// line. None of it changes while the worker runs; the counters' values do, inside their block.
import Logging

/// The worker's links to the rest of the process.
struct SupervisorLink: ~Copyable {
    /// The worker's position among the supervisor's workers, in log lines.
    let index: Int
    /// This worker's counters (WorkerStatistics.swift).
    let statistics: WorkerStatistics
    /// Stop and reload requests, and the eventfd that wakes the loop for them.
    let control: WorkerControl
    let logger: Logger
    /// What /metrics sums (every worker's counters) and writes into.
    let metrics: MetricsExport
    /// What the worker ended up using, for the start-up log line.
    let summary: String
}
