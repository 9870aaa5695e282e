// The buffer ring tries huge pages first and falls back cleanly. The test reserves a few
// 2 MiB pages itself (root only) and returns the reservation afterwards.
import Glibc
import Logging
import Testing
@testable import Ringmaster

/// Reads and writes vm.nr_hugepages.
enum HugePages {
    static let path = "/proc/sys/vm/nr_hugepages"

    static func reserved() -> Int? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 32)
        guard fgets(&line, 32, f) != nil else { return nil }
        return Int(String(cString: line).filter { $0.isNumber })
    }

    @discardableResult
    static func reserve(_ count: Int) -> Bool {
        guard let f = fopen(path, "w") else { return false }
        fputs("\(count)\n", f)
        return fclose(f) == 0 && reserved() == count
    }

    static var canReserve: Bool { geteuid() == 0 && access(path, W_OK) == 0 }
}

/// Captures log messages for assertions.
final class CapturedLog: @unchecked Sendable {
    private var lines: [String] = []
    private let lock = NSLockLike()
    func append(_ line: String) { lock.run { lines.append(line) } }
    var all: [String] { lock.run { lines } }
}

final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func run<T>(_ body: () -> T) -> T { pthread_mutex_lock(&mutex); defer { pthread_mutex_unlock(&mutex) }; return body() }
}

struct CapturingHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { metadata[key] } set { metadata[key] = newValue } }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        log.append("\(level) \(message)")
    }
}

@Suite(.serialized) struct HugePageTests {
    @Test(.enabled(if: HugePages.canReserve, "needs root and a writable vm.nr_hugepages"))
    func bufferRingUsesReservedHugePages() throws {
        let before = try #require(HugePages.reserved())
        defer { HugePages.reserve(before) }
        guard HugePages.reserve(before + 4) else {
            Issue.record("could not reserve 4 huge pages")
            return
        }
        let ring = try ProvidedBufferRing(count: 256, bufferSize: 4096, groupID: 0, hugePages: .auto, node: nil)
        let huge = ring.usesHugePages
        #expect(huge)
        #expect(UInt(bitPattern: ring.buffer(0)) % UInt(2 << 20) == 0, "a MAP_HUGETLB mapping is 2 MiB aligned")

        // And a whole server picks them up.
        var configuration = TestServer.configuration()
        configuration.hugePages = .auto
        let server = try TestServer(configuration)
        #expect(server.server.workers[0].usesHugePages)
        let client = try server.client()
        try client.send(getRoot)
        #expect(try client.readResponse().status == 200)
    }

    @Test(.enabled(if: HugePages.canReserve, "needs root and a writable vm.nr_hugepages"))
    func withoutHugePagesTheFallbackIsUsedAndLogged() throws {
        let before = try #require(HugePages.reserved())
        defer { HugePages.reserve(before) }
        #expect(HugePages.reserve(0))
        let ring = try ProvidedBufferRing(count: 256, bufferSize: 4096, groupID: 0, hugePages: .auto, node: nil)
        let huge = ring.usesHugePages
        #expect(!huge)
        #expect(throws: SetupError.self) { _ = try ProvidedBufferRing(count: 256, bufferSize: 4096, groupID: 0, hugePages: .on, node: nil) }

        let log = CapturedLog()
        var configuration = TestServer.configuration()
        configuration.hugePages = .auto
        let server = Server(configuration: configuration, logger: Logger(label: "test") { _ in CapturingHandler(log: log) })
        try server.start()
        defer { server.stop(); server.wait() }
        #expect(!server.workers[0].usesHugePages)
        #expect(log.all.contains { $0.contains("no huge pages available") })
    }
}
