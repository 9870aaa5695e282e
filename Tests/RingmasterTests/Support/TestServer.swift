// Starts an in-process Ringmaster on an ephemeral loopback port for a test, and stops and
// joins it when the test is done.
import Ringmaster
import Logging

/// A server running for one test.
final class TestServer {
    let server: Server
    var port: Int { server.port }

    /// A small configuration for tests: unpinned, ephemeral port, modest memory.
    static func configuration() -> ServerConfiguration {
        var c = ServerConfiguration()
        c.host = "127.0.0.1"
        c.port = 0
        c.workers = 1
        c.pinWorkers = false
        c.bufferCount = 256
        c.maxConnections = 4096
        c.ringEntries = 1024
        c.hugePages = .off
        c.plaintextBody = "Hello, World!"
        return c
    }

    init(_ configuration: ServerConfiguration = TestServer.configuration(), router: Router = Router(), logger: Logger? = nil) throws {
        var quiet = Logger(label: "test")
        quiet.logLevel = .warning
        server = Server(configuration: configuration, router: router, logger: logger ?? quiet)
        try server.start()
    }

    private var stopped = false

    func stop() {
        guard !stopped else { return }
        stopped = true
        server.stop()
        server.wait()
    }

    deinit { stop() }

    func client(receiveBuffer: Int32? = nil, maxSegment: Int32? = nil) throws -> TestClient {
        try TestClient(port: port, receiveBuffer: receiveBuffer, maxSegment: maxSegment)
    }
}
