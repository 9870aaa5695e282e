// `ringmaster check-config` and configuration errors as an operator sees them: the effective
// configuration with each value's source, and one test per validation rule (every key's
// range and type, unknown keys, unknown variables, bad flags), each exiting 2 with a message
// that names the key, the bad value, what is allowed and where the value came from.
import Foundation
import Testing
@testable import Ringmaster

/// One run of the executable to completion, stdout and stderr captured.
struct CommandRun {
    var status: Int32
    var stdout: String
    var stderr: String

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = ServerProcess.executable()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RINGMASTER_") }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }

    /// The `key = value  # source` line for `key`, split in two.
    func line(_ key: String) -> (value: String, source: String)? {
        for line in stdout.split(separator: "\n") where line.hasPrefix(key + " ") {
            let rest = line.drop { $0 != "=" }.dropFirst(2)
            guard let mark = rest.range(of: "  # ") else { return nil }
            return (String(rest[..<mark.lowerBound]), String(rest[mark.upperBound...]))
        }
        return nil
    }
}

@Suite struct ConfigurationCheckTests {
    @Test func checkConfigPrintsEveryKeyWithItsSource() throws {
        let path = try temporaryConfigFile("{\n  \"listen\": {\"port\": 1000},\n  \"workers\": 2,\n  \"timeouts\": {\"idle_s\": 7}\n}\n")
        let run = try CommandRun(["check-config", "--config", path, "--port", "3000", "--set", "limits.body_bytes=99"],
                                 environment: ["RINGMASTER_WORKERS": "4", "RINGMASTER_LISTEN_BACKLOG": "128"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.line("listen.port")! == ("3000", "flag --port"))
        #expect(run.line("limits.body_bytes")! == ("99", "flag --set limits.body_bytes"))
        #expect(run.line("workers")! == ("4", "env RINGMASTER_WORKERS"))
        #expect(run.line("listen.backlog")! == ("128", "env RINGMASTER_LISTEN_BACKLOG"))
        #expect(run.line("timeouts.idle_s")! == ("7", "\(path):4:16 (timeouts.idle_s)"), "line 4, column 16: where the key is written")
        #expect(run.line("listen.host")! == ("\"127.0.0.1\"", "default"))
        #expect(run.line("routes")?.source == "default")
        let keys = run.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: " ")[0]) }
        #expect(keys == ConfigurationKey.all.map(\.name))
        #expect(run.stdout.contains("# configuration is valid"))
    }

    @Test func versionAndHelp() throws {
        let version = try CommandRun(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("0."))
        let help = try CommandRun(["--help"])
        #expect(help.stdout.contains("Examples:"))
        #expect(help.stdout.contains("check-config"))
    }

    /// (file text, key, fragment of the message) for one rule each.
    static let fileRules: [(String, String, String)] = [
        (#"{"listen": {"host": ""}}"#, "listen.host", "an IPv4 or IPv6 address"),
        (#"{"listen": {"port": 70000}}"#, "listen.port", "invalid value 70000 for listen.port: allowed: an integer from 0 to 65535"),
        (#"{"listen": {"port": "80"}}"#, "listen.port", #"invalid value "80" for listen.port"#),
        (#"{"listen": {"backlog": 0}}"#, "listen.backlog", "an integer from 1 to 65535"),
        (#"{"listen": 5}"#, "listen", "allowed: an object"),
        (#"{"workers": "many"}"#, "workers", #""auto" or an integer from 1 to 4096"#),
        (#"{"workers": 0}"#, "workers", #""auto" or an integer from 1 to 4096"#),
        (#"{"cpus": "3-1"}"#, "cpus", "a CPU list"),
        (#"{"numa": "yes"}"#, "numa", #""auto" or "off""#),
        (#"{"steering": "rss"}"#, "steering", #""none" or "cpu""#),
        (#"{"steering": "cpu", "pin_workers": false}"#, "steering", "needs pinned workers"),
        (#"{"pin_workers": 1}"#, "pin_workers", "true or false"),
        (#"{"server_name": "a b"}"#, "server_name", "visible ASCII"),
        (#"{"plaintext_body": 5}"#, "plaintext_body", "at most 65536 bytes"),
        (#"{"ring": {"sq_entries": 100}}"#, "ring.sq_entries", "a power of two from 8 to 32768"),
        (#"{"ring": {"cq_factor": 17}}"#, "ring.cq_factor", "an integer from 1 to 16"),
        (#"{"buffers": {"count": 1000}}"#, "buffers.count", "a power of two from 1 to 32768"),
        (#"{"buffers": {"size": 100}}"#, "buffers.size", "an integer from 512 to 1048576"),
        (#"{"buffers": {"huge_pages": "maybe"}}"#, "buffers.huge_pages", #""auto", "on" or "off""#),
        (#"{"buffers": {"max_groups": 0}}"#, "buffers.max_groups", "an integer from 1 to 16"),
        (#"{"max_connections": 8}"#, "max_connections", "an integer from 16 to 1048576"),
        (#"{"limits": {"request_line": 10}}"#, "limits.request_line", "an integer from 64 to 65536"),
        (#"{"limits": {"header_bytes": 100}}"#, "limits.header_bytes", "an integer from 256 to 65536"),
        (#"{"limits": {"header_count": 0}}"#, "limits.header_count", "an integer from 1 to 1024"),
        (#"{"limits": {"body_bytes": -1}}"#, "limits.body_bytes", "an integer from 0 to"),
        (#"{"timeouts": {"idle_s": 0}}"#, "timeouts.idle_s", "an integer from 1 to 253"),
        (#"{"timeouts": {"header_s": 254}}"#, "timeouts.header_s", "an integer from 1 to 253"),
        (#"{"timeouts": {"body_s": 1.5}}"#, "timeouts.body_s", "invalid value 1.5"),
        (#"{"timeouts": {"write_s": "30"}}"#, "timeouts.write_s", #"invalid value "30""#),
        (#"{"tcp": {"nodelay": "yes"}}"#, "tcp.nodelay", "true or false"),
        (#"{"tcp": {"quickack": 0}}"#, "tcp.quickack", "true or false"),
        (#"{"tcp": {"busy_poll_us": 2000000}}"#, "tcp.busy_poll_us", "an integer from 0 to 1000000"),
        (#"{"tcp": {"prefer_busy_poll": null}}"#, "tcp.prefer_busy_poll", "invalid value null"),
        (#"{"shutdown_timeout_ms": 4000000}"#, "shutdown_timeout_ms", "an integer from 0 to 3600000"),
        (#"{"logging": {"level": "verbose"}}"#, "logging.level", #""trace", "debug", "info", "notice", "warning", "error" or "critical""#),
        (#"{"logging": {"format": "xml"}}"#, "logging.format", #""text" or "json""#),
        (#"{"user": "no-such-user-rm"}"#, "user", "no such user"),
        (#"{"user": 5}"#, "user", "a user name"),
        (#"{"group": "no-such-group-rm"}"#, "group", "no such group"),
        (#"{"routes": {}}"#, "routes", "a list of"),
        (#"{"routes": [{"body": "x"}]}"#, "routes[0].path", "a path starting with"),
        (#"{"routes": [{"path": "/", "status": 99}]}"#, "routes[0].status", "an integer from 200 to 599"),
        (#"{"routes": [{"path": "/", "methods": ["BREW"]}]}"#, "routes[0].methods", "one of GET, HEAD, POST"),
        (#"{"routes": [{"path": "/", "kind": "cgi"}]}"#, "routes[0].kind", #""static", "metrics", "redirect", "health", "directory" or "proxy""#),
        (#"{"routes": [{"path": "/", "match": "regex"}]}"#, "routes[0].match", #""exact" or "prefix""#),
        (#"{"routes": [{"path": "/", "kind": "redirect"}]}"#, "routes[0].location", "a URL or path"),
        (#"{"routes": [{"path": "/", "kind": "cgi"}]}"#, "routes[0].kind", #""static""#),
        (#"{"routes": [{"path": "/", "colour": 1}]}"#, "routes[0].colour", "unknown key routes[0].colour"),
        (#"{"routes": [{"path": "/"}, {"path": "/"}]}"#, "routes[1].path", "a path no earlier route uses"),
        (#"{"wokers": 2}"#, "wokers", "unknown key wokers (did you mean workers?)"),
        (#"{"logging": {"colour": true}}"#, "logging.colour", "unknown key logging.colour"),
        (#"[1]"#, "", "the top level must be a JSON object"),
        (#"{"listen": "#, "", "not valid JSON"),
    ]

    @Test(arguments: fileRules)
    func invalidFileValueExitsTwoNamingKeyValueAllowedAndSource(text: String, key: String, fragment: String) throws {
        let path = try temporaryConfigFile(text)
        let run = try CommandRun(["check-config", "--config", path])
        #expect(run.status == ExitCode.configurationError)
        #expect(run.stderr.contains(fragment), "stderr: \(run.stderr)")
        #expect(run.stderr.contains(path), "names the file: \(run.stderr)")
        if !key.isEmpty { #expect(run.stderr.contains(key), "names the key: \(run.stderr)") }
        #expect(run.stdout.isEmpty, "nothing half-printed")
    }

    /// (arguments, environment, fragment) for the environment and flag layers.
    static let textRules: [([String], [String: String], String)] = [
        ([], ["RINGMASTER_WOKERS": "2"], "env RINGMASTER_WOKERS: unknown configuration variable (did you mean RINGMASTER_WORKERS?)"),
        ([], ["RINGMASTER_ROUTES": "x"], "routes can only be set in the configuration file"),
        ([], ["RINGMASTER_LISTEN_PORT": "http"], #"env RINGMASTER_LISTEN_PORT: invalid value "http" for listen.port: allowed: an integer from 0 to 65535"#),
        ([], ["RINGMASTER_TCP_NODELAY": "maybe"], #"env RINGMASTER_TCP_NODELAY: invalid value "maybe" for tcp.nodelay"#),
        (["--port", "99999"], [:], #"flag --port: invalid value "99999" for listen.port"#),
        (["--workers", "0"], [:], #"flag --workers: invalid value "0" for workers: allowed: "auto" or an integer"#),
        (["--cpus", "x"], [:], "flag --cpus: invalid value \"x\" for cpus"),
        (["--set", "limits.header_count=2000"], [:], "flag --set limits.header_count: invalid value \"2000\" for limits.header_count: allowed: an integer from 1 to 1024"),
        (["--set", "limits.header_count"], [:], "expected key=value"),
        (["--set", "listen.prot=1"], [:], "unknown key listen.prot (did you mean listen.port?)"),
        (["--set", "routes=[]"], [:], "routes can only be set in the configuration file"),
    ]

    @Test(arguments: textRules)
    func invalidEnvironmentOrFlagExitsTwoNamingIt(arguments: [String], environment: [String: String], fragment: String) throws {
        for command in [["check-config"], []] {
            let run = try CommandRun(command + arguments, environment: environment)
            #expect(run.status == ExitCode.configurationError, "\(command + arguments): \(run.stderr)")
            #expect(run.stderr.contains(fragment), "stderr: \(run.stderr)")
        }
    }
}
