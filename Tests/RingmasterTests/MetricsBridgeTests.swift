// The swift-metrics bridge forwards exactly what the workers counted, once.
import MetricsTestKit
import Testing
@testable import Ringmaster

@Suite struct MetricsBridgeTests {
    @Test func forwardsIncrementsOnceAndTheActiveGauge() throws {
        let server = try TestServer()
        let metrics = TestMetrics()
        let bridge = MetricsBridge(server: server.server, factory: metrics)
        let client = try server.client()
        for _ in 0..<3 {
            try client.send(getRoot)
            _ = try client.readResponse()
        }
        bridge.update()
        #expect(metrics.counterTotal(label: "ringmaster_requests_total") == 3)
        #expect(metrics.counterTotal(label: "ringmaster_responses_total", dimensions: [("code", "2xx")]) == 3)
        #expect(try metrics.expectGauge("ringmaster_connections_active").lastValue == 1)
        try client.send("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try client.readResponse()
        bridge.update()
        bridge.update()
        #expect(metrics.counterTotal(label: "ringmaster_requests_total") == 4, "each increment forwarded once")
        #expect(metrics.counterTotal(label: "ringmaster_responses_total", dimensions: [("code", "4xx")]) == 1)
    }
}
