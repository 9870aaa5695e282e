// A worker's upstream servers: one group per proxy route, each upstream with its socket
// address, its passive health (down until a time after a failure), its connections in use and
// a LIFO of idle keep-alive connections to reuse. Per worker, like everything else on the
// ring: no lock, no sharing; each worker keeps its own pool (docs/proxy.md).
import Glibc
import RingmasterHTTP

/// One upstream server of a group.
struct Upstream {
    let address: UpstreamAddress
    /// sockaddr_in / sockaddr_in6 / sockaddr_un bytes for connect(2).
    let sockaddr: [UInt8]
    /// The address as configured ("127.0.0.1:9000", "[::1]:9000", "unix:/run/app.sock"), for
    /// the access log's `upstream_addr` and the `upstream` label of /metrics. Owned by
    /// `Upstreams` (freed when its group is replaced), so taking it costs no retain.
    let name: UnsafeRawBufferPointer
    /// Connections to it in use (an exchange or a response body) plus idle ones.
    var open = 0
    /// Requests in flight to it (least_conn).
    var active = 0
    /// Idle keep-alive connections, most recent last.
    var idle: [Int32] = []
    /// Monotonic seconds until which it is skipped after a failure (passive health).
    var downUntil = 0
    /// Its row in the worker's `UpstreamCells` (/metrics), -1 past `UpstreamCells.capacity`.
    var row = -1
    /// FNV-1a of `name`: its identity in rendezvous hashing, the same on every worker and
    /// across reloads and reorderings of the list.
    let identity: UInt64

    init(address: UpstreamAddress) {
        self.address = address
        sockaddr = Upstream.socketAddress(address)
        let text = Array(address.description.utf8)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(text.count, 1), alignment: 1)
        bytes.copyBytes(from: text)
        name = UnsafeRawBufferPointer(rebasing: bytes[0..<text.count])
        identity = Hash64.fnv1a(name)
        idle.reserveCapacity(Upstreams.maxIdle)
    }

    /// Frees `name` (the group is being replaced).
    func release() { name.deallocate() }

    var family: Int32 {
        switch address {
        case .ip(let a): return a.family == .ipv4 ? AF_INET : AF_INET6
        case .unix: return AF_UNIX
        }
    }

    static func socketAddress(_ address: UpstreamAddress) -> [UInt8] {
        switch address {
        case .ip(let a) where a.family == .ipv4:
            var s = sockaddr_in()
            s.sin_family = sa_family_t(AF_INET)
            s.sin_port = a.port.bigEndian
            withUnsafeMutableBytes(of: &s.sin_addr) { for i in 0..<4 { $0[i] = a.byte(i) } }
            return withUnsafeBytes(of: &s) { Array($0) }
        case .ip(let a):
            var s = sockaddr_in6()
            s.sin6_family = sa_family_t(AF_INET6)
            s.sin6_port = a.port.bigEndian
            withUnsafeMutableBytes(of: &s.sin6_addr) { for i in 0..<16 { $0[i] = a.byte(i) } }
            return withUnsafeBytes(of: &s) { Array($0) }
        case .unix(let path):
            var s = sockaddr_un()
            s.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &s.sun_path) { raw in
                for (i, b) in path.utf8.enumerated() { raw[i] = b }
            }
            return withUnsafeBytes(of: &s) { Array($0) }
        }
    }
}

/// One proxy route's upstreams and its options.
struct UpstreamGroup {
    let route: Int
    let options: ProxyOptions
    var members: [Upstream]
    /// Round-robin position.
    var next = 0
    /// Exchanges waiting for a connection (every usable member at its cap).
    var waiters = UpstreamWaiters()
}

/// Every proxy route's group, rebuilt when a reload changes the routes (`epoch` tells a
/// connection coming back from an older set to close instead of joining the pool).
struct Upstreams: ~Copyable {
    /// Idle connections kept per upstream and worker.
    static let maxIdle = 32
    private(set) var groups: [UpstreamGroup] = []
    /// Group index per route index of the current response table (-1: not a proxy route).
    private(set) var groupOfRoute: [Int] = []
    private(set) var epoch: UInt32 = 0
    /// The worker's per-upstream counters (set once by the worker, before `configure`).
    var cells = UpstreamCells.none
    /// The active health check's verdicts, shared by every worker (set once by the worker).
    var probes = UpstreamProbes()
    /// The distinct upstream addresses, in configuration order: row i of `cells`.
    private(set) var rows: [UpstreamAddress] = []
    /// Each row's name (the first member with that address), for the `upstream` label.
    private(set) var rowNames: [UnsafeRawBufferPointer] = []

    /// Builds the groups for `routes` (the current response table's), closing the idle
    /// connections of the previous set.
    mutating func configure(routes: [StaticRoute]) {
        closeIdle()
        // Connections of the old set still in use close when their exchange ends; they no
        // longer count in the pool gauge.
        for group in groups {
            for member in group.members {
                cells.add(member.row, UpstreamCells.connections, 0 &- UInt64(max(member.open, 0)))
                member.release()
            }
        }
        epoch &+= 1
        groups = []
        groupOfRoute = Array(repeating: -1, count: routes.count)
        var addresses: [UpstreamAddress] = []
        for (index, route) in routes.enumerated() where route.kind == .proxy {
            guard let options = route.proxy, !options.upstreams.isEmpty else { continue }
            groupOfRoute[index] = groups.count
            var members = options.upstreams.map(Upstream.init)
            for m in members.indices {
                if let row = addresses.firstIndex(of: members[m].address) {
                    members[m].row = row < UpstreamCells.capacity ? row : -1
                } else {
                    members[m].row = addresses.count < UpstreamCells.capacity ? addresses.count : -1
                    addresses.append(members[m].address)
                }
            }
            groups.append(UpstreamGroup(route: index, options: options, members: members))
        }
        // Rows that would name other upstreams now restart from zero.
        if addresses != rows { cells.clear() }
        rows = addresses
        rowNames = []
        for row in 0..<min(addresses.count, UpstreamCells.capacity) {
            rowNames.append(groups.lazy.flatMap(\.members).first { $0.row == row }!.name)
            cells.set(row, UpstreamCells.downUntil, 0)
        }
    }

    deinit {
        for group in groups {
            for member in group.members {
                for fd in member.idle { close(fd) }
                member.release()
            }
        }
    }

    mutating func closeIdle() {
        for g in groups.indices {
            for m in groups[g].members.indices {
                for fd in groups[g].members[m].idle { close(fd) }
                groups[g].members[m].open -= groups[g].members[m].idle.count
                cells.add(groups[g].members[m].row, UpstreamCells.connections, 0 &- UInt64(groups[g].members[m].idle.count))
                groups[g].members[m].idle.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Whether `routes` name the same proxy routes, at the same indices, with the same options.
    func matches(routes: [StaticRoute]) -> Bool {
        var count = 0
        for (index, route) in routes.enumerated() where route.kind == .proxy && route.proxy != nil {
            guard let g = group(route: index), groups[g].options == route.proxy else { return false }
            count += 1
        }
        return count == groups.count && routes.count == groupOfRoute.count
    }

    var hasGroups: Bool { !groups.isEmpty }

    func group(route: Int) -> Int? {
        guard route < groupOfRoute.count, groupOfRoute[route] >= 0 else { return nil }
        return groupOfRoute[route]
    }

    /// Picks an upstream of `group` for a request whose hash key (`hashKey`, for the hashing
    /// balances) is given, skipping those down (at `now`, monotonic seconds), at their
    /// connection cap, or in `excluded` (a bit per member: tried already). Nil when none is left.
    mutating func choose(group g: Int, hashKey: UInt64, now: Int, excluded: UInt64) -> Int? {
        let count = groups[g].members.count
        switch groups[g].options.balance {
        case .roundRobin:
            for step in 0..<count {
                let m = (groups[g].next + step) % count
                if usable(g, m, now: now, excluded: excluded) {
                    groups[g].next = (m + 1) % count
                    return m
                }
            }
        case .leastConnections:
            var best: Int?
            for step in 0..<count {
                let m = (groups[g].next + step) % count
                if usable(g, m, now: now, excluded: excluded), best == nil || groups[g].members[m].active < groups[g].members[best!].active { best = m }
            }
            if let best { groups[g].next = (best + 1) % count }
            return best
        case .clientHash, .headerHash:
            // Rendezvous hashing (highest random weight): every usable member scores the key
            // and the highest wins, so a member going down or added moves only the keys it
            // loses or wins, and a retry goes to the key's next choice.
            var best: Int?
            var bestScore: UInt64 = 0
            for m in 0..<count where usable(g, m, now: now, excluded: excluded) {
                let score = Hash64.mix(hashKey ^ groups[g].members[m].identity)
                if best == nil || score > bestScore {
                    best = m
                    bestScore = score
                }
            }
            return best
        }
        return nil
    }

    /// Whether a request for which `choose` found no member should wait rather than fail:
    /// some member it may still try is up but at its connection cap.
    func waitsForRoom(group g: Int, now: Int, excluded: UInt64) -> Bool {
        for (m, member) in groups[g].members.enumerated()
        where excluded & (1 << UInt64(m)) == 0 && member.downUntil <= now && !probes.isFailing(row: member.row) {
            if member.idle.isEmpty && member.open >= groups[g].options.maxConnections { return true }
        }
        return false
    }

    /// Queues exchange `id` on `group` until a connection is released to it.
    mutating func wait(group g: Int, id: UInt16) {
        groups[g].waiters.append(id)
    }

    /// How many entries (some maybe stale) wait on `group` of set `epoch`.
    func waiterCount(group g: Int, epoch: UInt32) -> Int {
        epoch == self.epoch && g < groups.count ? groups[g].waiters.count : 0
    }

    /// The oldest exchange waiting on `group` of set `epoch`, or nil.
    mutating func nextWaiter(group g: Int, epoch: UInt32) -> UInt16? {
        guard epoch == self.epoch, g < groups.count else { return nil }
        return groups[g].waiters.popFirst()
    }

    /// How long a request may wait for a connection: the group's connect timeout, at least
    /// a second (the tick's resolution).
    func queueSeconds(group g: Int) -> Int {
        max(1, (groups[g].options.connectTimeoutMilliseconds + 999) / 1000)
    }

    /// Up, under its connection cap (idle connections count as available), not tried yet.
    func usable(_ g: Int, _ m: Int, now: Int, excluded: UInt64) -> Bool {
        let member = groups[g].members[m]
        return excluded & (1 << UInt64(m)) == 0 && member.downUntil <= now && !probes.isFailing(row: member.row)
            && (!member.idle.isEmpty || member.open < groups[g].options.maxConnections)
    }

    /// An idle connection to member `m`, or nil (the caller connects a new one).
    mutating func takeIdle(group g: Int, member m: Int) -> Int32? {
        groups[g].members[m].idle.popLast()
    }

    /// A new connection to member `m` was opened.
    mutating func opened(group g: Int, member m: Int) {
        groups[g].members[m].open += 1
        cells.add(groups[g].members[m].row, UpstreamCells.connections)
    }

    /// An exchange starts on member `m`.
    mutating func began(group g: Int, member m: Int) {
        groups[g].members[m].active += 1
        cells.add(groups[g].members[m].row, UpstreamCells.requests)
    }

    /// The request on `fd` to member `m` of `group` (of set `epoch`) is over: the
    /// connection joins the idle pool when `reusable` and there is room, else closes. `fd` -1:
    /// none was opened (socket(2) failed).
    mutating func finished(group g: Int, member m: Int, epoch: UInt32, fd: Int32, reusable: Bool) {
        guard epoch == self.epoch, g < groups.count, m < groups[g].members.count else {
            close(fd)
            return
        }
        groups[g].members[m].active -= 1
        if reusable && groups[g].members[m].idle.count < Upstreams.maxIdle {
            groups[g].members[m].idle.append(fd)
        } else if fd >= 0 {
            close(fd)
            groups[g].members[m].open -= 1
            cells.add(groups[g].members[m].row, UpstreamCells.connections, 0 &- 1)
        }
    }

    /// A connect failed or a connection broke before its response: skip the member for the
    /// group's fail timeout (passive health).
    /// A group of one is never marked down (as nginx): there is nowhere else to send.
    mutating func failed(group g: Int, member m: Int, now: Int) {
        let seconds = groups[g].options.failTimeoutSeconds
        guard seconds > 0 && groups[g].members.count > 1 else { return }
        groups[g].members[m].downUntil = now + seconds
        // Shared by every group naming this address: the latest deadline.
        let row = groups[g].members[m].row
        cells.set(row, UpstreamCells.downUntil, max(cells.value(row, UpstreamCells.downUntil), UInt64(now + seconds)))
    }

    mutating func count(group g: Int, member m: Int, _ kind: UpstreamFailure) {
        let row = groups[g].members[m].row
        switch kind {
        case .connect: cells.add(row, UpstreamCells.connectErrors)
        case .response: cells.add(row, UpstreamCells.protocolErrors)
        case .timeout: cells.add(row, UpstreamCells.timeoutErrors)
        }
    }

    subscript(group g: Int) -> UpstreamGroup { groups[g] }

    /// The read timeout of `group` of the set `epoch` named. A reload may have replaced that
    /// set (and its group numbers) while the exchange was in flight: it then keeps the default
    /// rather than reading another route's options or past the end of `groups`.
    func readTimeoutSeconds(group: Int, epoch: UInt32) -> Int {
        epoch == self.epoch && group < groups.count ? groups[group].options.readTimeoutSeconds : ProxyOptions(upstreams: []).readTimeoutSeconds
    }

    /// The name of member `m` of `group` in set `epoch`, or nil when that set was replaced
    /// by a reload since (its indices may name other upstreams now).
    func name(group g: Int, member m: Int, epoch: UInt32) -> UnsafeRawBufferPointer? {
        guard epoch == self.epoch, g < groups.count, m < groups[g].members.count else { return nil }
        return groups[g].members[m].name
    }

    /// Whether `client` is one of `group`'s trusted proxies (its X-Forwarded-For is kept).
    func trusts(group g: Int, client: ClientAddress) -> Bool {
        let ranges = groups[g].options.trustedProxies
        var i = 0
        while i < ranges.count {
            if ranges[i].contains(client) { return true }
            i += 1
        }
        return false
    }

    /// Counts a response head from member `m` that took `nanoseconds` (set `epoch`).
    func recordTime(group g: Int, member m: Int, epoch: UInt32, nanoseconds: UInt64) {
        guard epoch == self.epoch, g < groups.count, m < groups[g].members.count else { return }
        cells.recordTime(groups[g].members[m].row, nanoseconds: nanoseconds)
    }
}

/// Why an upstream exchange failed, for its counters.
enum UpstreamFailure {
    case connect, response, timeout
}
