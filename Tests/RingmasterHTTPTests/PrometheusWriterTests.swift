// PrometheusWriter: exact output for a typical exposition, the checker's verdict on it,
// escaping, fixed-point values, and never writing past a buffer that is too small.

import RingmasterHTTP
import Testing

/// Runs `body` on a writer over `capacity` bytes; returns the text, or nil if it did
/// not fit. Fails the test if anything was written past `capacity`.
private func exposition(capacity: Int = 4096, _ body: (inout PrometheusWriter) -> Void) -> String? {
    var storage = [UInt8](repeating: 0xAA, count: capacity + 16)
    let count = storage.withUnsafeMutableBytes { all in
        var writer = PrometheusWriter(UnsafeMutableRawBufferPointer(rebasing: all[0..<capacity]))
        body(&writer)
        return writer.finish()
    }
    #expect(storage[capacity...].allSatisfy { $0 == 0xAA }, "wrote past the buffer")
    return count.map { String(decoding: storage[0..<$0], as: UTF8.self) }
}

/// A route name held in caller memory, as it would come from the config.
private let routeName = Array("static \"site\"\\n\nx".utf8)

/// A typical scrape: counters with labels, a negative gauge, a histogram in seconds.
private func typical(_ writer: inout PrometheusWriter) {
    writer.family("ringmaster_requests_total", help: "Requests answered, by status class.", type: .counter)
    writer.sample("ringmaster_requests_total", PrometheusLabel("class", "2xx"), 41)
    writer.sample("ringmaster_requests_total", PrometheusLabel("class", "4xx"), 1)
    writer.family("ringmaster_connections_active", help: "Open connections.", type: .gauge)
    writer.beginSample("ringmaster_connections_active")
    writer.endSample(Int64(-3))
    writer.family("ringmaster_route_bytes_total", help: "Bytes sent per route.", type: .counter)
    routeName.withUnsafeBytes { name in
        writer.beginSample("ringmaster_route_bytes_total")
        writer.label(PrometheusLabel("route", name))
        writer.label(PrometheusLabel("worker", "0"))
        writer.endSample(UInt64(1024))
    }
    writer.family("ringmaster_request_seconds", help: "Request time.", type: .histogram)
    let bounds: [Int64] = [500, 5_000, 250_000]
    let counts: [UInt64] = [2, 0, 5, 1]
    bounds.withUnsafeBufferPointer { bounds in
        counts.withUnsafeBufferPointer { counts in
            writer.histogram(
                "ringmaster_request_seconds", upperBounds: bounds, fractionDigits: 6, bucketCounts: counts,
                sum: 1_234_567)
        }
    }
}

/// The exact text `typical` writes.
private let typicalText = """
    # HELP ringmaster_requests_total Requests answered, by status class.
    # TYPE ringmaster_requests_total counter
    ringmaster_requests_total{class="2xx"} 41
    ringmaster_requests_total{class="4xx"} 1
    # HELP ringmaster_connections_active Open connections.
    # TYPE ringmaster_connections_active gauge
    ringmaster_connections_active -3
    # HELP ringmaster_route_bytes_total Bytes sent per route.
    # TYPE ringmaster_route_bytes_total counter
    ringmaster_route_bytes_total{route="static \\"site\\"\\\\n\\nx",worker="0"} 1024
    # HELP ringmaster_request_seconds Request time.
    # TYPE ringmaster_request_seconds histogram
    ringmaster_request_seconds_bucket{le="0.0005"} 2
    ringmaster_request_seconds_bucket{le="0.005"} 2
    ringmaster_request_seconds_bucket{le="0.25"} 7
    ringmaster_request_seconds_bucket{le="+Inf"} 8
    ringmaster_request_seconds_sum 1.234567
    ringmaster_request_seconds_count 8

    """

@Suite("Prometheus writer")
struct PrometheusWriterTests {
    @Test func typicalExpositionIsExact() {
        #expect(exposition(typical) == typicalText)
    }

    @Test func typicalExpositionParsesAndCountsWhatWasWritten() throws {
        let text = try #require(exposition(typical))
        let checker = PrometheusExpositionChecker(text)
        #expect(checker.errors == [])
        #expect(checker.value("ringmaster_requests_total", ["class": "2xx"]) == 41)
        #expect(checker.value("ringmaster_connections_active") == -3)
        #expect(checker.value("ringmaster_route_bytes_total", ["route": "static \"site\"\\n\nx", "worker": "0"]) == 1024)
        #expect(checker.value("ringmaster_request_seconds_bucket", ["le": "+Inf"]) == 8)
        #expect(checker.value("ringmaster_request_seconds_sum") == 1.234567)
        #expect(checker.samples.count == 10)
    }

    @Test func histogramWithLabelAndIntegerBounds() throws {
        let bounds: [Int64] = [1, 2, 4, 8]
        let counts: [UInt64] = [10, 0, 3, 0, UInt64.max]
        let text = try #require(
            exposition { writer in
                writer.family("ringmaster_cqes_per_loop", help: "CQEs per loop iteration.", type: .histogram)
                bounds.withUnsafeBufferPointer { bounds in
                    counts.withUnsafeBufferPointer { counts in
                        writer.histogram(
                            "ringmaster_cqes_per_loop", label: PrometheusLabel("worker", "3"), upperBounds: bounds,
                            bucketCounts: counts, sum: 99)
                    }
                }
            })
        #expect(text.contains("ringmaster_cqes_per_loop_bucket{worker=\"3\",le=\"4\"} 13\n"))
        // The overflow bucket saturates instead of wrapping to 12.
        #expect(text.contains("ringmaster_cqes_per_loop_bucket{worker=\"3\",le=\"+Inf\"} 18446744073709551615\n"))
        #expect(text.hasSuffix("ringmaster_cqes_per_loop_count{worker=\"3\"} 18446744073709551615\n"))
        #expect(PrometheusExpositionChecker(text).errors == [])
    }

    @Test func helpTextEscapesBackslashAndNewlineButNotQuotes() {
        let text = exposition { writer in
            writer.help("x", "a \\ b\nc \"d\"")
            writer.type("x", .gauge)
            writer.sample("x", 0)
        }
        #expect(text == "# HELP x a \\\\ b\\nc \"d\"\n# TYPE x gauge\nx 0\n")
        #expect(PrometheusExpositionChecker(text ?? "").errors == [])
    }

    @Test(arguments: [
        (Int64(1234), 6, "0.001234"), (5000, 6, "0.005"), (-1500, 3, "-1.5"), (0, 3, "0"), (1_000_000, 6, "1"),
        (Int64.min, 0, "-9223372036854775808"), (Int64.max, 18, "9.223372036854775807"), (7, 1, "0.7"),
        (-7, 2, "-0.07"), (100, 0, "100"), (1_000_001, 6, "1.000001"),
    ])
    func fixedPointValues(value: Int64, fractionDigits: Int, expected: String) {
        let text = exposition { writer in
            writer.beginSample("v")
            writer.endSample(fixedPoint: value, fractionDigits: fractionDigits)
        }
        #expect(text == "v \(expected)\n")
        if value.magnitude < 1 << 53 {
            #expect(Double(expected) == Double(value) / pow10(fractionDigits))
        }
    }

    @Test func everyTooSmallBufferFailsWithoutOverrun() {
        let full = typicalText.utf8.count
        #expect(exposition(capacity: full, typical) == typicalText)
        for capacity in 0..<full {
            #expect(exposition(capacity: capacity, typical) == nil)
        }
    }

    @Test(arguments: [
        "x 1",
        "x{a=\"1\"} ",
        "x{a=1} 1\n",
        "x{a=\"\\q\"} 1\n",
        "x{a=\"1\" 1\n",
        "1x 1\n",
        "x 1 2 3\n",
        "x one\n",
        "x 1\n# TYPE x counter\n",
        "# TYPE x counter\n# TYPE x gauge\n",
        "# TYPE x flavour\n",
        "x 1\ny 1\nx 2\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\nh_count 4\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_sum 1\nh_count 5\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 5\nh_sum 1\nh_count 6\n",
        "# HELP x a\\b\n",
    ])
    func checkerRejectsInvalidText(text: String) {
        #expect(!PrometheusExpositionChecker(text).errors.isEmpty, "\(text)")
    }
}

/// 10 to the power `exponent`, as a Double.
private func pow10(_ exponent: Int) -> Double {
    (0..<exponent).reduce(1.0) { value, _ in value * 10 }
}
