// What answers a request now: the current route table with its prebuilt responses, the tables
// a reload replaced while requests that matched them are owed answers (RouteTables), and the
// cached Date every prebuilt response carries. The three change together: a new second
// rebuilds the responses of every table, and a reload swaps the current one.
import RingmasterHTTP

/// The worker's route tables and the Date their responses carry.
struct Routing: ~Copyable {
    /// The current table: code routes first, then the configuration's.
    var responses: ResponseTable
    /// Tables a reload replaced, kept while requests that matched them wait.
    var retired = RouteTables()
    /// The Date header's value, refreshed at most once a second.
    var date: HTTPDate

    init(responses: consuming ResponseTable, unixSeconds: Int) {
        self.responses = responses
        date = HTTPDate(unixSeconds: unixSeconds)
        self.responses.refresh(date: date)
    }

    /// Rebuilds every table's Date when the second changed (at most once a second).
    @inline(__always)
    mutating func refresh(unixSeconds: Int) {
        if date.update(unixSeconds: unixSeconds) {
            responses.refresh(date: date)
            retired.refresh(date: date)
        }
    }

    /// A reload's table replaces the current one; the old one stays while `owed` answers
    /// (requests that matched it and wait for their bodies) still refer to it.
    mutating func replace(with table: consuming ResponseTable, owed: Int) {
        var table = table
        table.refresh(date: date)
        swap(&responses, &table)
        retired.retire(table, owed: owed)
    }
}
