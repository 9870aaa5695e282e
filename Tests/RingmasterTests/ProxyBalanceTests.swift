// The hashing balances (docs/proxy.md): `header_hash` sends every request carrying the same
// value of its field to the same upstream, and `client_hash` every request of one client.
// Both are rendezvous hashes: when an upstream goes down, only the keys it held move (each to
// its next choice) and the others stay where they were. Checked against three real upstreams
// that answer with their names, one of them then stopped.
import Foundation
import Testing
@testable import Ringmaster

@Suite(.serialized) struct ProxyBalanceTests {
    static func server(_ ports: [Int], _ balance: UpstreamBalance, header: String? = nil) throws -> TestServer {
        var c = TestServer.configuration()
        c.configuredRoutes = [RouteConfiguration.proxy(ports.map { "127.0.0.1:\($0)" }) {
            $0.balance = balance
            $0.hashHeader = header
        }]
        return try TestServer(c)
    }

    /// Which upstream answered each user.
    static func placement(_ client: TestClient, users: Range<Int>) throws -> [String] {
        try users.map { user in
            let response = try client.get("/app/name", ["X-User: user-\(user)"])
            return response.status == 200 ? response.bodyText : "status \(response.status)"
        }
    }

    @Test func aHeaderValueStaysOnItsUpstreamAndOnlyAStoppedUpstreamsKeysMove() throws {
        var upstreams: [Upstream?] = try ["a", "b", "c"].map { try Upstream(name: $0) }
        let ports = upstreams.map { $0!.port }
        let server = try Self.server(ports, .headerHash, header: "x-user")
        let client = try server.client()
        let first = try Self.placement(client, users: 0..<60)
        #expect(try Self.placement(client, users: 0..<60) == first, "the same user goes to the same upstream")
        let names = Set(first)
        #expect(names == ["a", "b", "c"], "60 users spread over all three: \(first)")
        // b stops: its users move to a or c; nobody else moves.
        upstreams[1] = nil
        let after = try Self.placement(client, users: 0..<60)
        for (before, now) in zip(first, after) {
            if before == "b" { #expect(now == "a" || now == "c", "b's user went to \(now)") } else { #expect(now == before) }
        }
        withExtendedLifetime(upstreams) {}
    }

    @Test func everyRequestOfOneClientGoesToOneUpstream() throws {
        let upstreams = try ["a", "b", "c"].map { try Upstream(name: $0) }
        let server = try Self.server(upstreams.map(\.port), .clientHash)
        // Different users, one client address (127.0.0.1): one upstream for all.
        let names = Set(try Self.placement(try server.client(), users: 0..<20) + Self.placement(try server.client(), users: 20..<40))
        #expect(names.count == 1, "\(names)")
        withExtendedLifetime(upstreams) {}
    }

    @Test func headerHashNeedsItsHeaderAndTheHeaderIsAToken() throws {
        func load(_ route: String) -> ConfigurationError? {
            do {
                _ = try ConfigurationLoader.parse(Array("{\"routes\": [\(route)]}".utf8), source: "test.json")
                return nil
            } catch { return error }
        }
        let base = #""path": "/app/", "match": "prefix", "kind": "proxy", "upstreams": ["127.0.0.1:9000"]"#
        #expect(load("{\(base), \"balance\": \"header_hash\"}")?.key == "routes[0].hash_header")
        #expect(load("{\(base), \"balance\": \"header_hash\", \"hash_header\": \"x user\"}")?.key == "routes[0].hash_header")
        #expect(load("{\(base), \"balance\": \"header_hash\", \"hash_header\": \"X-User\"}") == nil)
        let bad = load("{\(base), \"balance\": \"random\"}")
        #expect(bad?.description.contains("\"header_hash\"") == true, "\(String(describing: bad))")
    }
}
