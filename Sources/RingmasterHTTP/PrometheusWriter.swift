// The Prometheus text exposition format, version 0.0.4 (the `text/plain; version=0.0.4`
// body every Prometheus server scrapes), written into caller memory. Metric and label
// names are StaticStrings fixed at compile time; values are integers or fixed-point
// decimals, so no float formatting (which would allocate a String) is needed.

/// Writes `# HELP`, `# TYPE`, samples and histograms in the Prometheus text format.
///
/// Like `ByteWriter`, running out of space is a flag: once something does not fit,
/// nothing more is written, and `finish()` returns nil. The writer never writes past its
/// buffer. The caller is responsible for the format's ordering rules: one `TYPE` per
/// metric family, before its first sample, and all of a family's samples together.
public struct PrometheusWriter {
    /// The metric types this writer emits (`# TYPE name <type>`).
    public enum MetricType: Sendable {
        /// A value that only goes up (and resets to zero on restart).
        case counter
        /// A value that goes up and down.
        case gauge
        /// Cumulative buckets with `le` labels, plus `_sum` and `_count`.
        case histogram
    }

    /// The output cursor.
    var writer: ByteWriter
    /// Labels written in the sample being built, to choose between `{` and `,`.
    var labelCount = 0

    /// Starts writing at the beginning of `output`.
    public init(_ output: UnsafeMutableRawBufferPointer) {
        writer = ByteWriter(output)
    }

    /// Bytes written so far (meaningless once `overflowed`).
    public var count: Int { writer.count }

    /// Whether something did not fit.
    public var overflowed: Bool { writer.overflowed }

    /// The number of bytes written, or nil when the buffer was too small.
    public func finish() -> Int? {
        writer.overflowed ? nil : writer.count
    }

    /// Writes `# HELP <name> <text>`, escaping `\` and newline in `text` as the format
    /// requires for docstrings.
    public mutating func help(_ name: StaticString, _ text: StaticString) {
        assert(Self.isMetricName(name), "invalid metric name")
        writer.append("# HELP ")
        writer.append(name)
        writer.append(" ")
        appendEscaped(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), quotes: false)
        writer.append("\n")
    }

    /// Writes `# TYPE <name> <type>`.
    public mutating func type(_ name: StaticString, _ type: MetricType) {
        assert(Self.isMetricName(name), "invalid metric name")
        writer.append("# TYPE ")
        writer.append(name)
        switch type {
        case .counter: writer.append(" counter\n")
        case .gauge: writer.append(" gauge\n")
        case .histogram: writer.append(" histogram\n")
        }
    }

    /// Writes the `HELP` and `TYPE` lines that open a metric family.
    public mutating func family(_ name: StaticString, help text: StaticString, type: MetricType) {
        help(name, text)
        self.type(name, type)
    }

    /// Writes `<name> <value>`.
    public mutating func sample(_ name: StaticString, _ value: UInt64) {
        beginSample(name)
        endSample(value)
    }

    /// Writes `<name>{<label>="<value>"} <value>`.
    public mutating func sample(_ name: StaticString, _ label: PrometheusLabel, _ value: UInt64) {
        beginSample(name)
        self.label(label)
        endSample(value)
    }

    /// Starts a sample line with `name` followed by `suffix` (such as `_bucket`); add
    /// labels with `label(_:)` and finish with one of the `endSample` methods.
    public mutating func beginSample(_ name: StaticString, suffix: StaticString = "") {
        assert(Self.isMetricName(name), "invalid metric name")
        writer.append(name)
        writer.append(suffix)
        labelCount = 0
    }

    /// Adds `name="value"` to the sample being built, escaping `\`, `"` and newline.
    public mutating func label(_ label: PrometheusLabel) {
        assert(Self.isLabelName(label.name), "invalid label name")
        writer.append(labelCount == 0 ? "{" : ",")
        labelCount += 1
        writer.append(label.name)
        writer.append("=\"")
        appendEscaped(label.value, quotes: true)
        writer.append("\"")
    }

    /// Ends the sample being built with an unsigned value and a newline.
    public mutating func endSample(_ value: UInt64) {
        closeLabels()
        writer.appendDecimal(value)
        writer.append("\n")
    }

    /// Ends the sample being built with a signed value (a gauge) and a newline.
    public mutating func endSample(_ value: Int64) {
        endSample(fixedPoint: value, fractionDigits: 0)
    }

    /// Ends the sample being built with `value / 10^fractionDigits` written exactly as a
    /// decimal (`1234` with 6 digits is `0.001234`), for durations kept in integer units.
    public mutating func endSample(fixedPoint value: Int64, fractionDigits: Int) {
        closeLabels()
        appendFixedPoint(value, fractionDigits: fractionDigits)
        writer.append("\n")
    }

    /// Writes a histogram's samples: `<name>_bucket{le="…"}` for each bound and
    /// `le="+Inf"`, then `<name>_sum` and `<name>_count`, each with `label` if given.
    ///
    /// `bucketCounts` are per-bucket (not cumulative) observation counts, one per upper
    /// bound plus a last one for observations above every bound; the writer accumulates
    /// them because the format's buckets are cumulative and `+Inf` equals `_count`.
    /// Bounds and `sum` are fixed-point with `fractionDigits` decimals, so bounds in
    /// microseconds with 6 digits read as seconds. Counts saturate rather than wrap.
    public mutating func histogram(
        _ name: StaticString,
        label: PrometheusLabel? = nil,
        upperBounds: UnsafeBufferPointer<Int64>,
        fractionDigits: Int = 0,
        bucketCounts: UnsafeBufferPointer<UInt64>,
        sum: Int64
    ) {
        precondition(bucketCounts.count == upperBounds.count + 1, "one count per bound plus the +Inf bucket")
        var cumulative: UInt64 = 0
        // Index loops in this file: a for-in over a range is an unspecialised IndexingIterator
        // in debug builds, which allocates.
        var index = 0
        while index < bucketCounts.count {
            defer { index += 1 }
            let (total, overflow) = cumulative.addingReportingOverflow(bucketCounts[index])
            cumulative = overflow ? UInt64.max : total
            beginSample(name, suffix: "_bucket")
            if let label { self.label(label) }
            writer.append(labelCount == 0 ? "{" : ",")
            labelCount += 1
            writer.append("le=\"")
            if index < upperBounds.count {
                appendFixedPoint(upperBounds[index], fractionDigits: fractionDigits)
            } else {
                writer.append("+Inf")
            }
            writer.append("\"")
            endSample(cumulative)
        }
        beginSample(name, suffix: "_sum")
        if let label { self.label(label) }
        endSample(fixedPoint: sum, fractionDigits: fractionDigits)
        beginSample(name, suffix: "_count")
        if let label { self.label(label) }
        endSample(cumulative)
    }

    /// Appends bytes the caller formatted and checked once, ahead of time: the `# HELP`/`# TYPE`
    /// lines and `name{labels} ` prefixes of metrics whose names are only known at run time
    /// (an embedding program's swift-metrics), so a scrape copies them instead of formatting.
    public mutating func appendPreformatted(_ bytes: UnsafeRawBufferPointer) {
        writer.append(bytes)
    }

    /// Appends an unsigned value and a newline, after a preformatted prefix.
    public mutating func appendValueLine(_ value: UInt64) {
        writer.appendDecimal(value)
        writer.append("\n")
    }

    /// Appends `value / 10^fractionDigits` and a newline, after a preformatted prefix.
    public mutating func appendValueLine(fixedPoint value: Int64, fractionDigits: Int, terminator: StaticString = "\n") {
        appendFixedPoint(value, fractionDigits: fractionDigits)
        writer.append(terminator)
    }

    /// Closes the label set, if any, and writes the space before the value.
    mutating func closeLabels() {
        writer.append(labelCount > 0 ? "} " : " ")
        labelCount = 0
    }

    /// Appends `value / 10^fractionDigits` in decimal, trailing fraction zeros dropped.
    mutating func appendFixedPoint(_ value: Int64, fractionDigits: Int) {
        precondition((0...18).contains(fractionDigits), "at most 18 fraction digits fit an Int64")
        if value < 0 { writer.append("-") }
        let magnitude = value.magnitude
        var scale: UInt64 = 1
        var step = 0
        while step < fractionDigits {
            scale *= 10
            step += 1
        }
        writer.appendDecimal(magnitude / scale)
        var fraction = magnitude % scale
        guard fraction != 0 else { return }
        var digits = fractionDigits
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        writer.append(".")
        // Leading zeros of the fraction: its width is `digits`, its value may be shorter.
        var width: UInt64 = 10
        var place = 1
        while place < digits {
            defer { place += 1 }
            if fraction < width { writer.append("0") }
            // Safe: digits <= 18, so width stays at or below 10^18 < UInt64.max.
            width = width &* 10
        }
        writer.appendDecimal(fraction)
    }

    /// Appends `bytes`, escaping `\` as `\\` and newline as `\n`, and `"` as `\"` when
    /// `quotes` (label values; docstrings keep their quotes).
    mutating func appendEscaped(_ bytes: UnsafeRawBufferPointer, quotes: Bool) {
        var start = 0
        var index = 0
        while index < bytes.count {
            defer { index += 1 }
            let byte = bytes[index]
            let escape: StaticString
            switch byte {
            case UInt8(ascii: "\\"): escape = "\\\\"
            case UInt8(ascii: "\n"): escape = "\\n"
            case UInt8(ascii: "\"") where quotes: escape = "\\\""
            default: continue
            }
            writer.append(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            writer.append(escape)
            start = index + 1
        }
        writer.append(UnsafeRawBufferPointer(rebasing: bytes[start...]))
    }

    /// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isMetricName(_ name: StaticString) -> Bool {
        isName(name, colons: true)
    }

    /// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with the
    /// reserved `__`.
    static func isLabelName(_ name: StaticString) -> Bool {
        let bytes = name.utf8Start
        let reserved = name.utf8CodeUnitCount >= 2 && bytes[0] == UInt8(ascii: "_") && bytes[1] == UInt8(ascii: "_")
        return isName(name, colons: false) && !reserved
    }

    /// The shared name grammar: letters, `_`, optionally `:`, and digits after the first.
    private static func isName(_ name: StaticString, colons: Bool) -> Bool {
        guard name.utf8CodeUnitCount > 0 else { return false }
        for index in 0..<name.utf8CodeUnitCount {
            let byte = name.utf8Start[index]
            let isLetter = ASCII.lowercased(byte) >= UInt8(ascii: "a") && ASCII.lowercased(byte) <= UInt8(ascii: "z")
            let ok =
                isLetter || byte == UInt8(ascii: "_") || (colons && byte == UInt8(ascii: ":"))
                || (index > 0 && ASCII.isDigit(byte))
            if !ok { return false }
        }
        return true
    }
}
