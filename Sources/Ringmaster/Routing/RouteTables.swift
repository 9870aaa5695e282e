// Route tables that a reload replaced while requests that matched them still wait for their
// bodies: each is kept, with the number of such requests, until the last is answered, so a
// pending request is answered by the route it matched whatever the reload did (issue: a
// reload turned a pending GET / into the metrics body). Cold path: reloads are rare.
import RingmasterHTTP

/// A replaced table and how many owed answers still refer to it.
final class RetiredTable {
    let epoch: UInt8
    var table: ResponseTable
    var owed: Int

    init(epoch: UInt8, table: consuming ResponseTable, owed: Int) {
        self.epoch = epoch
        self.table = table
        self.owed = owed
    }
}

/// The current table's epoch and the retired tables still owed answers.
public struct RouteTables {
    /// The epoch of the worker's current table; a connection records it with its pending route.
    public private(set) var epoch: UInt8 = 0
    var retired: [RetiredTable] = []

    public init() {}

    /// Tables kept alive now (for tests and the reload log line).
    public var retiredCount: Int { retired.count }

    /// The current table was replaced by a new one; `old` is kept while `owed` answers refer
    /// to it. Epochs wrap after 256 reloads; a table still owed after that many is dropped
    /// (its requests then get 404), never confused with a newer one.
    public mutating func retire(_ old: consuming ResponseTable, owed: Int) {
        let next = epoch &+ 1
        retired.removeAll { $0.epoch == next }
        if owed > 0 { retired.append(RetiredTable(epoch: epoch, table: old, owed: owed)) }
        epoch = next
    }

    /// The answer the table of `epoch` (not the current one) gives for `route`.
    func answer(epoch: UInt8, route: UInt8, close: Bool, headOnly: Bool, draining: Bool) -> RouteAnswer {
        guard let old = retired.first(where: { $0.epoch == epoch }) else { return .notFound }
        return RouteAnswer.of(route: route, in: old.table, close: close, headOnly: headOnly, draining: draining)
    }

    /// An owed answer of `epoch` was given or its connection closed: the table goes once
    /// none is left. Nothing to do for the current epoch.
    @inline(__always)
    public mutating func forget(epoch: UInt8, owed: Bool) {
        guard owed, epoch != self.epoch, !retired.isEmpty else { return }
        guard let index = retired.firstIndex(where: { $0.epoch == epoch }) else { return }
        retired[index].owed -= 1
        if retired[index].owed <= 0 { retired.remove(at: index) }
    }

    /// Rebuilds the retired tables' responses with the new Date too.
    public mutating func refresh(date: HTTPDate) {
        // An index loop: a for-in over the array instantiates Array's Sequence witness table on
        // the first call, a once-a-second allocation on the worker that the allocation test
        // caught when a measured window first crossed a second boundary.
        var i = 0
        while i < retired.count {
            retired[i].table.refresh(date: date)
            i += 1
        }
    }
}
