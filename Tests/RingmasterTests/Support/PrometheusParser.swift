// Checks an exposition with a real Prometheus parser: the prometheus-client Python package's
// text parser (the one its own tests use), run as a child process. Installed on first use when
// missing (pip, else apt's python3-prometheus-client), as the test setup of `make test` allows.
import Foundation

/// The prometheus_client text parser, run over exposition text.
enum PrometheusParser {
    /// The script: parses stdin, prints `name{labels} value` per sample (labels sorted), or the
    /// parser's error on stderr with exit 1.
    static let script = """
        import sys
        from prometheus_client.parser import text_string_to_metric_families
        try:
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
                    print("%s %s %s{%s} %r" % (family.name, family.type, s.name, labels, s.value))
        except Exception as e:
            print("parse error: %s" % e, file=sys.stderr)
            sys.exit(1)
        """

    /// One parsed sample: family, type, `name{sorted labels}` and value.
    struct Sample {
        var family: String
        var type: String
        var series: String
        var value: Double
    }

    /// The interpreter that has prometheus_client, installing it when needed.
    static let python: String? = {
        for candidate in ["python3", "/usr/bin/python3"] where run(candidate, ["-c", "import prometheus_client"], input: "").status == 0 {
            return candidate
        }
        _ = run("python3", ["-m", "pip", "install", "-q", "--break-system-packages", "prometheus-client"], input: "")
        if run("python3", ["-c", "import prometheus_client"], input: "").status == 0 { return "python3" }
        _ = run("apt-get", ["install", "-y", "-qq", "python3-prometheus-client"], input: "")
        return run("/usr/bin/python3", ["-c", "import prometheus_client"], input: "").status == 0 ? "/usr/bin/python3" : nil
    }()

    /// Parses `text`; throws with the parser's message when it is not valid exposition.
    static func parse(_ text: String) throws -> [Sample] {
        guard let python else { throw TestClientError.malformed("no python3 with prometheus_client (pip install prometheus-client)") }
        let result = run(python, ["-c", script], input: text)
        guard result.status == 0 else { throw TestClientError.malformed("prometheus_client rejected the exposition: \(result.error)") }
        return result.output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, let space = parts[2].lastIndex(of: " "), let value = Double(parts[2][parts[2].index(after: space)...])
            else { return nil }
            return Sample(family: String(parts[0]), type: String(parts[1]), series: String(parts[2][..<space]), value: value)
        }
    }

    /// Runs `command` with `input` on stdin; returns its status, stdout and stderr.
    static func run(_ command: String, _ arguments: [String], input: String) -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { return (127, "", "\(error)") }
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let errors = DataHandover()
        Thread { errors.set(stderr.fileHandleForReading.readDataToEndOfFile()) }.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors.wait(), as: UTF8.self))
    }
}

/// A one-shot hand-over of bytes between threads (stderr read while stdout is drained).
final class DataHandover: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Data?
    func set(_ data: Data) { condition.lock(); value = data; condition.signal(); condition.unlock() }
    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}
