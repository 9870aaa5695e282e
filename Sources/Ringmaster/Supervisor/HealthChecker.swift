// The active health check (docs/proxy.md, "Active health check"): a supervisor thread that, for
// every upstream of a proxy route with `health_check_path`, sends `GET path` each
// `health_check_interval_s` and records in UpstreamProbes whether it answered 2xx or 3xx within
// `health_check_timeout_ms`. Blocking sockets with poll(2) deadlines: it is not a worker, so
// waiting costs no request anything, and one probe per upstream serves every worker.
import Glibc
import Logging
import Synchronization

/// Probes the upstreams of the proxy routes that ask for it.
final class HealthChecker: @unchecked Sendable {
    /// One upstream to check: its row (as Upstreams numbers them) and the first checking
    /// route's settings.
    struct Target {
        let row: Int
        let address: UpstreamAddress
        let name: String
        let path: String
        let interval: Int
        let timeoutMilliseconds: Int
        var due = 0
    }

    let probes: UpstreamProbes
    let logger: Logger
    /// The targets, and a generation bumped by every `update`: a probe started before an
    /// update does not record its verdict (its row may name another upstream now).
    private let targets = Mutex<(list: [Target], generation: Int)>(([], 0))
    private let stopping = Atomic<Bool>(false)
    private var thread: pthread_t?

    init(probes: UpstreamProbes, logger: Logger) {
        self.probes = probes
        self.logger = logger
    }

    /// The targets for `routes` (the routes every worker's table holds, in order). Rows are
    /// numbered as Upstreams.configure numbers them: distinct addresses in order over every
    /// proxy route, the first 64 exported.
    static func targets(routes: [StaticRoute]) -> [Target] {
        var addresses: [UpstreamAddress] = []
        var targets: [Target] = []
        for route in routes where route.kind == .proxy {
            guard let options = route.proxy else { continue }
            for address in options.upstreams {
                let row = addresses.firstIndex(of: address) ?? addresses.count
                if row == addresses.count { addresses.append(address) }
                guard let path = options.healthCheckPath, row < 64, !targets.contains(where: { $0.row == row }) else { continue }
                targets.append(Target(row: row, address: address, name: address.description, path: path,
                                      interval: options.healthCheckIntervalSeconds, timeoutMilliseconds: options.healthCheckTimeoutMilliseconds))
            }
        }
        return targets
    }

    /// Checks `routes`' upstreams from now on (at start, and after a reload changed them).
    func update(routes: [StaticRoute]) {
        let next = HealthChecker.targets(routes: routes)
        targets.withLock { current in
            if current.list.map(\.row) != next.map(\.row) || current.list.map(\.name) != next.map(\.name) { probes.clear() }
            current.list = next
            current.generation += 1
        }
    }

    func start() {
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let created = pthread_create(&handle, nil, { raw in
            let checker = Unmanaged<HealthChecker>.fromOpaque(raw!).takeRetainedValue()
            checker.run()
            return nil
        }, box.toOpaque())
        if created == 0 { thread = handle } else { box.release() }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        while !stopping.load(ordering: .relaxed) {
            let now = HealthChecker.monotonicSeconds()
            let (due, generation) = targets.withLock { targets -> ([Target], Int) in
                var due: [Target] = []
                for i in targets.list.indices where targets.list[i].due <= now {
                    due.append(targets.list[i])
                    targets.list[i].due = now + targets.list[i].interval
                }
                return (due, targets.generation)
            }
            for target in due {
                let failure = HealthChecker.probe(target)
                // Recorded under the lock, so an update cannot slip in between the check and
                // the write.
                let changed = targets.withLock { targets in
                    targets.generation == generation && probes.record(row: target.row, failing: failure != nil)
                }
                if changed {
                    if let failure {
                        logger.warning("health check: \(target.name) \(target.path) failed (\(failure)); no requests until it passes")
                    } else {
                        logger.notice("health check: \(target.name) \(target.path) passes again")
                    }
                }
            }
            usleep(100_000)
        }
    }

    /// One check: connect, `GET path`, read the status line. Nil when it answered 2xx or
    /// 3xx in time, else why not.
    static func probe(_ target: Target) -> String? {
        let bytes = Upstream.socketAddress(target.address)
        let family: Int32
        switch target.address {
        case .unix: family = AF_UNIX
        case .ip(let address): family = address.family == .ipv6 ? AF_INET6 : AF_INET
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return "socket: \(Errno.describe(errno))" }
        defer { close(fd) }
        let deadline = monotonicMilliseconds() + target.timeoutMilliseconds
        let connected = bytes.withUnsafeBytes { raw in
            connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if connected != 0 {
            guard errno == EINPROGRESS else { return "connect: \(Errno.describe(errno))" }
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return "connect timed out" }
            var error: Int32 = 0
            var length = socklen_t(4)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { return "connect: \(Errno.describe(error))" }
        }
        // The address as configured is the Host (nginx's default for its upstream probes).
        let host = target.name.hasPrefix("unix:") ? "localhost" : target.name
        let request = Array("GET \(target.path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: ringmaster-health-check\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, SocketSendFlags.noSignal) }
        guard sent == request.count else { return "send: \(sent < 0 ? Errno.describe(errno) : "short")" }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while response.count < 12 {
            guard wait(fd, for: Int16(POLLIN), until: deadline) else { return "no answer in \(target.timeoutMilliseconds) ms" }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return n == 0 ? "closed without an answer" : "recv: \(Errno.describe(errno))" }
            response += buffer[0..<n]
        }
        // "HTTP/1.1 200": the status code's first digit.
        guard response.starts(with: Array("HTTP/1.".utf8)), response[8] == UInt8(ascii: " ") else { return "not an HTTP response" }
        let first = response[9]
        guard first == UInt8(ascii: "2") || first == UInt8(ascii: "3") else {
            return "status \(String(decoding: response[9..<12], as: UTF8.self))"
        }
        return nil
    }

    /// poll(2) for `events` on `fd` until `deadline` (monotonic milliseconds).
    static func wait(_ fd: Int32, for events: Int16, until deadline: Int) -> Bool {
        while true {
            let left = deadline - monotonicMilliseconds()
            guard left > 0 else { return false }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&entry, 1, Int32(left))
            if r > 0 { return true }
            if r == 0 || errno != EINTR { return false }
        }
    }

    static func monotonicSeconds() -> Int { monotonicMilliseconds() / 1000 }

    static func monotonicMilliseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}
