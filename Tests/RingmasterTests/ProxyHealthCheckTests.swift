// The active health check (docs/proxy.md, "Active health check"): an upstream that accepts
// connections but fails its health path gets no requests while it fails, shows as down in
// /metrics, and gets its share again once it passes; the route's keys are checked.
import Foundation
import Glibc
import Testing
@testable import Ringmaster

@Suite(.serialized) struct ProxyHealthCheckTests {
    /// Through the real program: its supervisor waits on the workers from the start, which
    /// once stopped the checker after its first round (found in review).
    @Test func anUpstreamFailingItsHealthPathGetsNoRequestsUntilItPasses() throws {
        let tag = UUID().uuidString.prefix(8)
        let (a, b) = (try Upstream(name: "a-\(tag)"), try Upstream(name: "b-\(tag)"))
        defer { withExtendedLifetime((a, b)) {} }
        let downFile = "/tmp/ringmaster-upstream-b-\(tag).down"
        defer { unlink(downFile) }
        let routes = #""routes": [{"path": "/app/", "match": "prefix", "kind": "proxy", "upstreams": ["127.0.0.1:\#(a.port)", "127.0.0.1:\#(b.port)"], "health_check_path": "/app/health", "health_check_interval_s": 1, "health_check_timeout_ms": 500}, {"path": "/metrics", "kind": "metrics"}]"#
        let path = try temporaryConfigFile(ConfigurationReloadTests.config(routes))
        let child = try ServerProcess(arguments: ["--config", path])
        let client = try TestClient(port: try child.waitForPort())
        func answered() throws -> Set<String> { Set(try (0..<12).map { _ in try client.get("/app/name").bodyText }) }
        func waitFor(_ condition: () throws -> Bool) rethrows -> Bool {
            let deadline = Date().addingTimeInterval(8)
            while Date() < deadline {
                if try condition() { return true }
                usleep(100_000)
            }
            return false
        }
        #expect(try waitFor { try answered() == ["a-\(tag)", "b-\(tag)"] }, "both serve while both pass")
        // Past the first rounds of checks: the checker still runs.
        sleep(3)
        FileManager.default.createFile(atPath: downFile, contents: Data())
        #expect(try waitFor { try answered() == ["a-\(tag)"] }, "b fails its health path: no requests")
        #expect(try answered() == ["a-\(tag)"])
        let metrics = try client.get("/metrics").bodyText
        #expect(metrics.contains("ringmaster_upstream_server_up{upstream=\"127.0.0.1:\(b.port)\"} 0"))
        #expect(metrics.contains("ringmaster_upstream_server_up{upstream=\"127.0.0.1:\(a.port)\"} 1"))
        #expect(child.stderr.contains("health check: 127.0.0.1:\(b.port) /app/health failed (status 503)"), "\(child.stderr.suffix(600))")
        unlink(downFile)
        #expect(try waitFor { try answered() == ["a-\(tag)", "b-\(tag)"] }, "b passes again: back in the rotation")
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
    }

    /// Unlike the passive check, which never marks a route's last upstream down, a route whose
    /// every upstream fails its health path answers 503, and serves again once one passes.
    @Test func aRouteWhoseEveryUpstreamFailsAnswers503() throws {
        let tag = UUID().uuidString.prefix(8)
        let only = try Upstream(name: "only-\(tag)")
        defer { withExtendedLifetime(only) {} }
        let downFile = "/tmp/ringmaster-upstream-only-\(tag).down"
        FileManager.default.createFile(atPath: downFile, contents: Data())
        defer { unlink(downFile) }
        var c = TestServer.configuration()
        c.configuredRoutes = [RouteConfiguration.proxy(["127.0.0.1:\(only.port)"]) {
            $0.healthCheckPath = "/app/health"
            $0.healthCheckIntervalSeconds = 1
        }]
        let server = try TestServer(c)
        let client = try server.client()
        func status() throws -> Int { try client.get("/app/name").status }
        func waitFor(_ expected: Int) throws -> Bool {
            let deadline = Date().addingTimeInterval(6)
            while Date() < deadline {
                if try status() == expected { return true }
                usleep(100_000)
            }
            return false
        }
        #expect(try waitFor(503), "the only upstream fails: 503")
        unlink(downFile)
        #expect(try waitFor(200), "it passes again: served")
    }

    @Test func theHealthCheckKeysAreChecked() throws {
        func load(_ extra: String) -> ConfigurationError? {
            let route = #"{"path": "/app/", "match": "prefix", "kind": "proxy", "upstreams": ["127.0.0.1:9000"]"# + extra + "}"
            do {
                _ = try ConfigurationLoader.parse(Array("{\"routes\": [\(route)]}".utf8), source: "test.json")
                return nil
            } catch { return error }
        }
        #expect(load(#", "health_check_path": "healthz""#)?.key == "routes[0].health_check_path")
        #expect(load(#", "health_check_path": "/healthz", "health_check_interval_s": 0"#)?.key == "routes[0].health_check_interval_s")
        #expect(load(#", "health_check_path": "/healthz", "health_check_timeout_ms": 0"#)?.key == "routes[0].health_check_timeout_ms")
        #expect(load(#", "health_check_path": "/healthz", "health_check_interval_s": 2, "health_check_timeout_ms": 300"#) == nil)
    }
}
