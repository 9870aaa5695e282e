// The strict configuration reader: a trailing comma, a fraction where an integer is expected,
// an exponent and a repeated key are each refused; errors carry file, line and column; one run
// reports every problem; and a startup configuration error is written in the configured log
// format.
import Foundation
import Testing
@testable import Ringmaster

@Suite struct StrictConfigurationTests {
    /// The error `text` gives as a file, split into its problems.
    func problems(_ text: String) throws -> (path: String, all: [ConfigurationError]) {
        let path = try temporaryConfigFile(text)
        do {
            _ = try ConfigurationLoader.load(ConfigurationSources(filePath: path))
        } catch {
            return (path, error.all)
        }
        Issue.record("\(text) was accepted")
        return (path, [])
    }

    @Test func aTrailingCommaIsRefusedWithItsPosition() throws {
        let object = try problems("{\"workers\": 1,}")
        #expect(object.all.map(\.description) == ["\(object.path):1:15: not valid JSON: trailing comma before '}'"])
        let array = try problems("{\"routes\": [\n  {\"path\": \"/\", \"body\": \"x\"},\n]}")
        #expect(array.all.first?.description == "\(array.path):3:1: not valid JSON: trailing comma before ']'")
    }

    @Test func aFractionIsNotAnInteger() throws {
        let result = try problems("{\"listen\": {\"port\": 19101.0}}")
        #expect(result.all.count == 1)
        #expect(result.all.first?.description == "\(result.path):1:13 (listen.port): invalid value 19101.0 for listen.port: allowed: an integer from 0 to 65535")
        #expect(result.all.first?.key == "listen.port")
    }

    @Test func exponentsAreRefused() throws {
        let result = try problems("{\n  \"shutdown_timeout_ms\": 1e4\n}")
        #expect(result.all.contains { $0.description == "\(result.path):2:26: number 1e4 for shutdown_timeout_ms has an exponent: write it out in full (e.g. 10000, not 1e4)" },
                "\(result.all)")
        #expect(result.all.allSatisfy { $0.key == "shutdown_timeout_ms" })
    }

    @Test func aRepeatedKeyIsRefusedRatherThanFirstWins() throws {
        let scalar = try problems("{\"workers\":1,\"workers\":2}")
        #expect(scalar.all.map(\.description) == ["\(scalar.path):1:14: duplicate key workers (first at line 1, column 2): a key may appear only once"])
        let group = try problems("{\n\"logging\": {\"level\": \"debug\"},\n\"logging\": {\"format\": \"json\"}\n}")
        #expect(group.all.map(\.description) == ["\(group.path):3:1: duplicate key logging (first at line 2, column 1): a key may appear only once"])
        let nested = try problems("{\"listen\": {\"port\": 1, \"port\": 2}}")
        #expect(nested.all.first?.key == "listen.port")
    }

    @Test func invalidJSONSaysWhereNotDataCorrupted() throws {
        let result = try problems("{\n  \"workers\": 1\n  \"cpus\": null\n}")
        #expect(result.all.map(\.description) == ["\(result.path):3:3: not valid JSON: expected ',' or '}' after the value of workers, found '\"'"])
        for (text, message) in [("{\"a\": 01}", "leading zeros"), ("{\"a\": \"x\ny\"}", "control character"), ("{\"a\": tru}", "expected true"),
                                ("{\"a\": 1} x", "after the top-level value"), ("{\"a\": \"\\q\"}", "invalid escape"), ("[1, 2", "unterminated array")] {
            let bad = try problems(text)
            #expect(bad.all.first?.description.contains(message) == true, "\(text): \(bad.all)")
            #expect(bad.all.first?.description.contains("DecodingError") == false)
        }
    }

    @Test func everyProblemInTheFileIsReportedInOneRun() throws {
        let text = """
            {
              "listen": {"port": 70000, "hots": "x"},
              "wokers": 2,
              "workers": 0,
              "logging": {"level": "loud"},
              "limits": {"header_bytes": 1e4},
              "routes": [{"path": "/", "kind": "nope"}]
            }
            """
        let result = try problems(text)
        let messages = result.all.map(\.description)
        #expect(result.all.count == 7, "\(messages.joined(separator: "\n"))")
        let expected = [
            "\(result.path):2:29: unknown key listen.hots (did you mean listen.host?)",
            "\(result.path):3:3: unknown key wokers (did you mean workers?)",
            "\(result.path):6:30: number 1e4 for limits.header_bytes has an exponent",
            "\(result.path):2:14 (listen.port): invalid value 70000 for listen.port",
            "\(result.path):4:3 (workers): invalid value 0 for workers",
            "\(result.path):5:15 (logging.level): invalid value \"loud\" for logging.level",
            "routes[0].kind): invalid value \"nope\" for routes[0].kind",
        ]
        for fragment in expected {
            #expect(messages.contains { $0.contains(fragment) }, "missing \(fragment) in \(messages.joined(separator: "\n"))")
        }
    }

    @Test func checkConfigPrintsEveryProblemOnItsOwnLineAndExits2() throws {
        let path = try temporaryConfigFile("{\"listen\": {\"port\": -1}, \"workers\": 1.5, \"numa\": \"maybe\"}")
        let run = try CommandRun(["check-config", "--config", path])
        #expect(run.status == ConfigurationError.exitCode)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 3, "\(run.stderr)")
        #expect(lines.allSatisfy { $0.hasPrefix("ringmaster: configuration error: \(path):1:") })
        #expect(run.stdout.isEmpty)
    }

    @Test func aStartupConfigurationErrorIsAJSONLineWhenLoggingFormatIsJSON() throws {
        let path = try temporaryConfigFile("{\"logging\": {\"format\": \"json\"}, \"listen\": {\"port\": \"http\"}, \"workers\": 0}")
        let run = try CommandRun(["--config", path])
        #expect(run.status == ConfigurationError.exitCode)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 2, "\(run.stderr)")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] as? String == "critical")
            #expect((object?["message"] as? String)?.hasPrefix("configuration error: \(path):1:") == true)
        }
        let keys = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.compactMap { $0["key"] as? String }
        #expect(Set(keys) == ["listen.port", "workers"], "the key is a field of the line")
        // The same file with text logging is text.
        let text = try temporaryConfigFile("{\"listen\": {\"port\": \"http\"}}")
        let plain = try CommandRun(["--config", text])
        #expect(plain.stderr.contains("critical ringmaster: configuration error") || plain.stderr.contains("critical"), "\(plain.stderr)")
        #expect(!plain.stderr.hasPrefix("{"))
    }

    @Test func positionsAreRecordedForEveryKeyAndElement() throws {
        let parsed = try StrictJSONParser.parse(Array("{\n \"a\": {\"b\": [ {\"c\": \"\\u00e9\\ud83d\\ude00\"} ]}\n}".utf8))
        #expect(parsed.positions["a"] == .init(line: 2, column: 2))
        #expect(parsed.positions["a.b"] == .init(line: 2, column: 8))
        #expect(parsed.positions["a.b[0]"] == .init(line: 2, column: 15))
        #expect(parsed.positions["a.b[0].c"] == .init(line: 2, column: 16))
        guard case .object(let root) = parsed.value, case .object(let a)? = root["a"], case .array(let b)? = a["b"],
              case .object(let element)? = b.first else { Issue.record("\(parsed.value)"); return }
        #expect(element["c"] == .string("é😀"))
        #expect(try StrictJSONParser.parse(Array("-0.5".utf8)).value == .number(-0.5))
        #expect(try StrictJSONParser.parse(Array("-12".utf8)).value == .integer(-12))
    }
}
