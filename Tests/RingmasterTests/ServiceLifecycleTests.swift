// `Server` as a swift-service-lifecycle `Service` (docs/handlers.md, "Running in a
// ServiceGroup"): it serves while the group runs, the group's graceful shutdown drains it
// (a response owed by an async handler still goes out, with Connection: close), and
// cancelling the group's task stops it at once. Either way `run()` returns and the group ends.
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import Ringmaster
@testable import RingmasterServiceLifecycle

@Suite(.serialized) struct ServiceLifecycleTests {
    /// Opened by a test once it has seen the drain begin: the owed handler then finishes.
    /// (Timing cannot stand in for it: the suite runs beside blocking tests that can hold
    /// this machine's two cooperative threads for seconds, and the group's shutdown runs there.)
    final class Gate: Sendable {
        let open = Atomic<Bool>(false)
    }

    static func server(gate: Gate = Gate()) -> Server {
        var c = TestServer.configuration()
        // Far from how long a cancelled group takes to stop, however loaded the machine.
        c.shutdownTimeoutMilliseconds = 60_000
        c.configuredRoutes = [RouteConfiguration(path: "/plaintext", body: "Hello, World!")]
        var router = Router()
        router.get("/slow") { _ async throws in
            // Until the gate opens (or 20 s).
            for _ in 0..<2000 where !gate.open.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(10)) }
            return .text("finished\n")
        }
        return Server(configuration: c, router: router, logger: Logger(label: "test"))
    }

    /// Runs blocking socket work on a Dispatch thread: blocking a concurrency pool thread (two
    /// on this machine) would hold up the group's own tasks, and with them its shutdown.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Waits until the server's workers accept.
    static func started(_ server: Server) async -> Bool {
        for _ in 0..<500 {
            if server.workers.count == 1 && server.port != 0 { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func theGroupsGracefulShutdownDrainsTheServer() async throws {
        let gate = Gate()
        let server = Self.server(gate: gate)
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await Self.started(server))
            let client = try TestClient(port: server.port)
            #expect(try await Self.blocking { try client.get("/plaintext") }.bodyText == "Hello, World!")
            try client.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
            try await Task.sleep(for: .milliseconds(50))
            await group.triggerGracefulShutdown()
            // The drain has begun once the listener is closed: connecting is refused.
            let port = server.port
            try await Self.blocking {
                for _ in 0..<2000 {
                    guard (try? TestClient(port: port)) != nil else { return }
                    usleep(10_000)
                }
            }
            gate.open.store(true, ordering: .releasing)
            let owed = try await Self.blocking { try client.readResponse() }
            #expect(owed.status == 200 && owed.bodyText == "finished\n" && owed.header("Connection") == "close")
            try await tasks.next()
        }
        #expect(server.workers.allSatisfy { $0.exitReason == .drained })
    }

    @Test func cancellingTheGroupStopsTheServerAtOnce() async throws {
        let server = Self.server()
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "group")))
        let started = Date()
        await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await Self.started(server))
            let client = try? TestClient(port: server.port)
            try? client?.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
            tasks.cancelAll()
            _ = try? await tasks.next()
        }
        #expect(Date().timeIntervalSince(started) < 20, "at once, not after the 60 s drain deadline")
        #expect(server.workers.allSatisfy { $0.exitReason == .forced })
    }
}
