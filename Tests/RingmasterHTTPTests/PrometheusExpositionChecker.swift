// A line-by-line checker for the Prometheus text exposition format 0.0.4, independent of
// PrometheusWriter: it parses what a scraper parses and enforces the grammar and the
// ordering and histogram rules, so the writer's tests can assert "it scrapes".

/// One parsed sample line.
struct ExpositionSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: Double
}

/// Parses and validates an exposition; `errors` is empty when the text is valid.
struct PrometheusExpositionChecker {
    private(set) var errors: [String] = []
    private(set) var samples: [ExpositionSample] = []
    private var types: [String: String] = [:]
    private var helps: Set<String> = []
    private var finishedFamilies: Set<String> = []
    private var currentFamily: String?

    init(_ text: String) {
        guard !text.isEmpty else { return }
        guard text.hasSuffix("\n") else {
            errors.append("the last line must end with a newline")
            return
        }
        for (number, line) in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line.utf8)
            if let problem = check(bytes) { errors.append("line \(number + 1) \"\(line)\": \(problem)") }
        }
        checkHistograms()
    }

    /// The value of the sample with this name and labels, if present.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Checks one line; returns a problem or nil.
    private mutating func check(_ line: [UInt8]) -> String? {
        if line.isEmpty { return nil }
        if line.starts(with: Array("# HELP ".utf8)) || line.starts(with: Array("# TYPE ".utf8)) {
            return checkDescriptor(line)
        }
        if line.first == UInt8(ascii: "#") { return nil }
        return checkSample(line)
    }

    /// `# HELP name docstring` or `# TYPE name type`.
    private mutating func checkDescriptor(_ line: [UInt8]) -> String? {
        let isHelp = line[2] == UInt8(ascii: "H")
        var index = 7
        guard let name = metricName(line, &index) else { return "bad metric name" }
        if isHelp {
            guard helps.insert(name).inserted else { return "second HELP for \(name)" }
            if index == line.count { return nil }
            guard line[index] == UInt8(ascii: " ") else { return "no space after name" }
            var escape = false
            for byte in line[(index + 1)...] {
                if escape {
                    guard byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "n") else { return "bad escape in HELP" }
                    escape = false
                } else if byte == UInt8(ascii: "\\") {
                    escape = true
                }
            }
            return escape ? "dangling backslash in HELP" : nil
        }
        guard index < line.count, line[index] == UInt8(ascii: " ") else { return "no type" }
        let type = String(decoding: line[(index + 1)...], as: UTF8.self)
        guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(type) else { return "unknown type \(type)" }
        guard types[name] == nil else { return "second TYPE for \(name)" }
        guard !finishedFamilies.contains(name) && currentFamily != name else { return "TYPE after samples of \(name)" }
        types[name] = type
        return nil
    }

    /// `name [{label="value",…}] value [timestamp]`.
    private mutating func checkSample(_ line: [UInt8]) -> String? {
        var index = 0
        guard let name = metricName(line, &index) else { return "bad metric name" }
        var labels: [String: String] = [:]
        if index < line.count && line[index] == UInt8(ascii: "{") {
            index += 1
            while index < line.count && line[index] != UInt8(ascii: "}") {
                guard let labelName = labelName(line, &index) else { return "bad label name" }
                guard index + 1 < line.count, line[index] == UInt8(ascii: "="), line[index + 1] == UInt8(ascii: "\"")
                else { return "expected =\" after label name" }
                index += 2
                guard let value = labelValue(line, &index) else { return "bad label value" }
                guard labels.updateValue(value, forKey: labelName) == nil else { return "duplicate label" }
                if index < line.count && line[index] == UInt8(ascii: ",") { index += 1 }
            }
            guard index < line.count else { return "unterminated label set" }
            index += 1
        }
        guard index < line.count, line[index] == UInt8(ascii: " ") else { return "expected a space before the value" }
        let fields = line[(index + 1)...].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard fields.count == 1 || fields.count == 2 else { return "expected value [timestamp]" }
        guard let value = parseValue(String(decoding: fields[0], as: UTF8.self)) else { return "bad value" }
        if fields.count == 2 && Int64(String(decoding: fields[1], as: UTF8.self)) == nil { return "bad timestamp" }
        if let problem = enterFamily(of: name) { return problem }
        samples.append(ExpositionSample(name: name, labels: labels, value: value))
        return nil
    }

    /// Tracks which family a sample belongs to: a family's samples must be contiguous.
    private mutating func enterFamily(of name: String) -> String? {
        var family = name
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { family = base }
        }
        if family == currentFamily { return nil }
        if let currentFamily { finishedFamilies.insert(currentFamily) }
        guard !finishedFamilies.contains(family) else { return "samples of \(family) are not contiguous" }
        currentFamily = family
        return nil
    }

    /// Histogram rules: every bucket has `le`, counts are cumulative, a `+Inf` bucket
    /// exists and equals `_count`, and `_sum` exists.
    private mutating func checkHistograms() {
        for (family, type) in types where type == "histogram" {
            var groups: [[String: String]: [(Double, Double)]] = [:]
            for sample in samples where sample.name == family + "_bucket" {
                guard let le = sample.labels["le"], let bound = parseValue(le) else {
                    errors.append("\(family): bucket without a numeric le")
                    continue
                }
                var rest = sample.labels
                rest["le"] = nil
                groups[rest, default: []].append((bound, sample.value))
            }
            if groups.isEmpty { errors.append("\(family): histogram without buckets") }
            for (labels, buckets) in groups {
                if zip(buckets, buckets.dropFirst()).contains(where: { $0.0 >= $1.0 || $0.1 > $1.1 }) {
                    errors.append("\(family)\(labels): buckets not increasing and cumulative")
                }
                guard buckets.last?.0 == .infinity else {
                    errors.append("\(family)\(labels): no +Inf bucket")
                    continue
                }
                if value(family + "_count", labels) != buckets.last?.1 {
                    errors.append("\(family)\(labels): +Inf bucket differs from _count")
                }
                if value(family + "_sum", labels) == nil { errors.append("\(family)\(labels): no _sum") }
            }
        }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` at `index`.
    private func metricName(_ line: [UInt8], _ index: inout Int) -> String? {
        name(line, &index, extra: UInt8(ascii: ":"))
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*` at `index`.
    private func labelName(_ line: [UInt8], _ index: inout Int) -> String? {
        name(line, &index, extra: UInt8(ascii: "_"))
    }

    /// A name of letters, `_`, `extra`, and digits after the first byte.
    private func name(_ line: [UInt8], _ index: inout Int, extra: UInt8) -> String? {
        let start = index
        while index < line.count {
            let byte = line[index]
            let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard letter || byte == UInt8(ascii: "_") || byte == extra || (digit && index > start) else { break }
            index += 1
        }
        return index > start ? String(decoding: line[start..<index], as: UTF8.self) : nil
    }

    /// A label value up to the closing quote, unescaping `\\`, `\"` and `\n`.
    private func labelValue(_ line: [UInt8], _ index: inout Int) -> String? {
        var value: [UInt8] = []
        while index < line.count {
            let byte = line[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < line.count else { return nil }
                switch line[index] {
                case UInt8(ascii: "\\"): value.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\""): value.append(UInt8(ascii: "\""))
                case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                default: return nil
                }
                index += 1
            default:
                value.append(byte)
            }
        }
        return nil
    }

    /// A Go-`ParseFloat`-style value: decimal, exponent, `+Inf`, `-Inf` or `NaN`.
    private func parseValue(_ text: String) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            let allowed = text.allSatisfy { "0123456789+-.eE".contains($0) }
            return allowed ? Double(text) : nil
        }
    }
}
