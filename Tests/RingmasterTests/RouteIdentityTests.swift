// A request whose body is still arriving when a SIGHUP reload swaps the route table is
// answered by the route it matched (RouteTables keeps the old table until then), whatever the
// reload did to that route: removed it, moved it, or put another kind of route at its index.
import Foundation
import Testing
@testable import Ringmaster

@Suite(.serialized) struct RouteIdentityTests {
    static let original = [
        RouteConfiguration(path: "/", methods: ["GET", "POST"], body: "root\n"),
        RouteConfiguration(path: "/b", methods: ["POST"], body: "b\n"),
        RouteConfiguration(path: "/c", methods: ["POST"], body: "c\n"),
    ]

    /// Sends `target` with 2 of its 5 body bytes, reloads `replacement`, sends the other 3:
    /// returns the response and the client (still usable).
    func pendingAcrossReload(target: String, replacement: [RouteConfiguration], reloads: Int = 1) throws -> (TestResponse, TestClient, TestServer) {
        var c = TestServer.configuration()
        c.configuredRoutes = RouteIdentityTests.original
        let server = try TestServer(c)
        let client = try server.client()
        try client.send("POST \(target) HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab")
        usleep(100_000)
        var next = c
        for round in 0..<reloads {
            next.configuredRoutes = round % 2 == 0 ? replacement : RouteIdentityTests.original
            for worker in server.server.workers { worker.control.reload(next.hotSettings) }
            usleep(50_000)
        }
        try client.send("cde")
        return (try client.readResponse(), client, server)
    }

    @Test func aRemovedRouteStillAnswersItsPendingRequest() throws {
        let (response, client, server) = try pendingAcrossReload(target: "/c", replacement: [RouteIdentityTests.original[0]])
        #expect(response.status == 200 && response.bodyText == "c\n")
        // The next request sees the new table, where /c is gone.
        try client.send("POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(try client.readResponse().status == 404)
        server.stop()
    }

    @Test func aReorderedTableAnswersWithTheMatchedRoute() throws {
        let reordered = [RouteIdentityTests.original[2], RouteIdentityTests.original[1], RouteIdentityTests.original[0]]
        let (response, _, server) = try pendingAcrossReload(target: "/", replacement: reordered)
        #expect(response.bodyText == "root\n")
        server.stop()
    }

    @Test func aRouteWhoseIndexBecameMetricsStillAnswersWithItsBody() throws {
        var metrics = RouteConfiguration(path: "/metrics", methods: ["GET", "POST"], body: "")
        metrics.kind = "metrics"
        let (response, _, server) = try pendingAcrossReload(target: "/", replacement: [metrics])
        #expect(response.status == 200 && response.bodyText == "root\n", "not the Prometheus body")
        server.stop()
    }

    @Test func aRouteWhoseIndexBecameADirectoryStillAnswersWithItsBody() throws {
        let site = try SiteFixture()
        var files = RouteConfiguration(path: "/", methods: ["GET", "POST"], body: "")
        files.kind = "directory"
        files.match = "prefix"
        files.directory = DirectoryOptions(root: site.root)
        let (response, _, server) = try pendingAcrossReload(target: "/", replacement: [files])
        #expect(response.status == 200 && response.bodyText == "root\n", "not an empty 200")
        server.stop()
    }

    @Test func severalReloadsKeepOnlyTheTablesStillOwed() throws {
        let (response, client, server) = try pendingAcrossReload(target: "/b", replacement: [RouteIdentityTests.original[0]], reloads: 3)
        #expect(response.bodyText == "b\n")
        // The answer released the old table; a fresh request on the current (shrunk) table.
        try client.send("POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(try client.readResponse().status == 404)
        server.stop()
    }

    @Test func retiredTablesAreDroppedWhenTheirLastRequestEnds() throws {
        var tables = RouteTables()
        tables.retire(ResponseTable(routes: [], serverName: "t"), owed: 2)
        #expect(tables.retiredCount == 1 && tables.epoch == 1)
        tables.retire(ResponseTable(routes: [], serverName: "t"), owed: 0)
        #expect(tables.retiredCount == 1, "a table nobody waits for is not kept")
        tables.forget(epoch: 0, owed: true)
        #expect(tables.retiredCount == 1)
        tables.forget(epoch: 0, owed: false)
        #expect(tables.retiredCount == 1, "a connection that owed nothing releases nothing")
        tables.forget(epoch: 0, owed: true)
        #expect(tables.retiredCount == 0)
    }
}
