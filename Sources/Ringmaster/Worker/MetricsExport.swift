// What GET /metrics reads and writes into: every worker's statistics (read with relaxed
// loads, no lock) and the block the exposition is written into per scrape (Worker+Metrics.swift).
import RingmasterHTTP

/// The metrics route's state: the statistics it sums and the block it writes into.
struct MetricsExport: ~Copyable {
    /// Every worker's statistics, this one's included.
    let all: [WorkerStatistics]
    /// Written in place per scrape, and streamed from when larger than an output chunk (the
    /// stream holds a reference while it sends).
    let block: FileBlock

    /// Room for every family with a `worker` label on many workers, up to 250 route samples and
    /// an embedding program's own metrics.
    static let capacity = 262_144

    init(all: [WorkerStatistics]) {
        self.all = all
        // Same failure as the other scratch allocations: out of memory at start-up.
        guard let block = FileBlock.allocate(keyLength: 0, payload: MetricsExport.capacity) else { fatalError("out of memory for the metrics block") }
        self.block = block
    }

    deinit { block.release() }
}
