// The configuration layers in process: precedence of flags over environment over file over
// defaults for several keys, the source each value records, unknown names in every layer,
// routes, and which changed keys a reload can apply.
import Foundation
import Testing
@testable import Ringmaster

/// A temporary JSON file for one test.
func temporaryConfigFile(_ text: String, name: String = "c.json") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-cfg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let file = dir.appendingPathComponent(name)
    try text.write(to: file, atomically: false, encoding: .utf8)
    return file.path
}

@Suite struct ConfigurationLoaderTests {
    static let file = """
        {
          "listen": {"port": 1000, "host": "127.0.0.2"},
          "workers": 2,
          "limits": {"header_bytes": 1024}
        }
        """

    func load(env: [String: String] = [:], flags: [(String, String, String)] = []) throws -> LoadedConfiguration {
        let path = try temporaryConfigFile(Self.file)
        return try ConfigurationLoader.load(ConfigurationSources(filePath: path, environment: env,
                                                                 overrides: flags.map { .init(key: $0.0, value: $0.1, flag: $0.2) }))
    }

    @Test func fileOverridesDefaultsAndRecordsFileAndLine() throws {
        let loaded = try load()
        #expect(loaded.configuration.port == 1000)
        #expect(loaded.configuration.workers == 2)
        #expect(loaded.configuration.limits.maxHeaderBytes == 1024)
        guard case .file(let path, "listen.port", 2, let column?)? = loaded.source(of: "listen.port"), column > 1 else {
            Issue.record("source \(String(describing: loaded.source(of: "listen.port")))"); return
        }
        #expect(path.hasSuffix("c.json"))
        #expect(loaded.source(of: "limits.header_bytes")?.description.hasSuffix("c.json:4:14 (limits.header_bytes)") == true)
        #expect(loaded.source(of: "listen.backlog") == .defaultValue)
        #expect(loaded.configuration.backlog == 4096)
    }

    @Test func environmentOverridesFile() throws {
        let loaded = try load(env: ["RINGMASTER_LISTEN_PORT": "2000", "RINGMASTER_WORKERS": "auto", "RINGMASTER_LIMITS_HEADER_BYTES": "2048"])
        #expect(loaded.configuration.port == 2000)
        #expect(loaded.configuration.workers == nil)
        #expect(loaded.configuration.limits.maxHeaderBytes == 2048)
        #expect(loaded.source(of: "listen.port") == .environment(name: "RINGMASTER_LISTEN_PORT"))
        #expect(loaded.source(of: "limits.header_bytes") == .environment(name: "RINGMASTER_LIMITS_HEADER_BYTES"))
        #expect(loaded.configuration.host == "127.0.0.2", "keys the environment does not set still come from the file")
    }

    @Test func flagsOverrideEnvironmentAndFile() throws {
        let loaded = try load(env: ["RINGMASTER_LISTEN_PORT": "2000", "RINGMASTER_WORKERS": "3"],
                              flags: [("listen.port", "3000", "--port"), ("limits.header_bytes", "4096", "--set limits.header_bytes")])
        #expect(loaded.configuration.port == 3000)
        #expect(loaded.source(of: "listen.port") == .flag("--port"))
        #expect(loaded.configuration.limits.maxHeaderBytes == 4096)
        #expect(loaded.source(of: "limits.header_bytes") == .flag("--set limits.header_bytes"))
        #expect(loaded.configuration.workers == 3)
        #expect(loaded.source(of: "workers") == .environment(name: "RINGMASTER_WORKERS"))
    }

    @Test func laterFlagWinsOverEarlierSet() throws {
        let loaded = try load(flags: [("listen.port", "3000", "--set listen.port"), ("listen.port", "3001", "--port")])
        #expect(loaded.configuration.port == 3001)
        #expect(loaded.source(of: "listen.port") == .flag("--port"))
    }

    @Test func environmentBooleansAndEnumerations() throws {
        let loaded = try load(env: ["RINGMASTER_TCP_QUICKACK": "yes", "RINGMASTER_LOGGING_LEVEL": "debug", "RINGMASTER_LOGGING_FORMAT": "json"])
        #expect(loaded.configuration.tcpQuickAck)
        #expect(loaded.configuration.logLevel == .debug)
        #expect(loaded.configuration.logFormat == .json)
    }

    @Test func unknownEnvironmentVariableIsAnError() throws {
        #expect { try load(env: ["RINGMASTER_WOKERS": "2"]) } throws: { error in
            let e = error as! ConfigurationError
            return e.key == "RINGMASTER_WOKERS" && e.description.contains("did you mean RINGMASTER_WORKERS?")
        }
    }

    @Test func unknownSetKeyIsAnError() throws {
        #expect { try load(flags: [("limits.header_byte", "1", "--set limits.header_byte")]) } throws: { error in
            (error as! ConfigurationError).description.contains("unknown key limits.header_byte (did you mean limits.header_bytes?)")
        }
    }

    @Test func everyKeyHasAnEnvironmentVariable() {
        let names = ConfigurationKey.all.filter { $0.name != "routes" }.map(\.environmentName)
        #expect(names.contains("RINGMASTER_LISTEN_PORT"))
        #expect(names.contains("RINGMASTER_LIMITS_HEADER_BYTES"))
        #expect(names.contains("RINGMASTER_SHUTDOWN_TIMEOUT_MS"))
        #expect(Set(names).count == names.count)
    }

    @Test func routesReplaceTheBuiltInsAndSizeTheChunks() throws {
        let big = String(repeating: "x", count: 40000)
        let path = try temporaryConfigFile("""
            {"routes": [{"path": "/a", "body": "A"}, {"path": "/big", "status": 201, "content_type": "text/html", "body": "\(big)"}]}
            """)
        let c = try ConfigurationLoader.load(path: path)
        #expect(c.routes.map(\.path) == ["/a", "/big"])
        #expect(c.routes[1].status.rawValue == 201)
        #expect(c.routes[1].contentType == "text/html")
        #expect(c.chunkSize >= 41000)
        #expect(ServerConfiguration().routes.map(\.path) == ["/", "/plaintext", "/healthz", "/metrics"])
    }

    @Test func reloadPlanSeparatesHotAndRestartKeys() throws {
        let old = try load()
        let hot = try load(flags: [("timeouts.idle_s", "5", "--set"), ("plaintext_body", "x", "--set"), ("logging.level", "debug", "--set")])
        let plan = ReloadPlan(old: old, new: hot)
        #expect(plan.changed == ["plaintext_body", "timeouts.idle_s", "logging.level"])
        #expect(plan.needsRestart.isEmpty)
        let cold = try load(flags: [("listen.backlog", "10", "--set"), ("timeouts.idle_s", "5", "--set")])
        #expect(ReloadPlan(old: old, new: cold).needsRestart == ["listen.backlog"])
        // A larger head limit than the running chunks hold needs a restart too.
        let bigger = try load(flags: [("limits.header_bytes", "65536", "--set")])
        #expect(ReloadPlan(old: old, new: bigger).needsRestart == ["limits.header_bytes"])
        let smaller = try load(flags: [("limits.header_bytes", "512", "--set")])
        #expect(ReloadPlan(old: old, new: smaller).needsRestart.isEmpty)
    }

    @Test func defaultFileListsEveryKeyButRoutes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let loaded = try ConfigurationLoader.load(ConfigurationSources(filePath: root.appendingPathComponent("config/ringmaster.json").path))
        for entry in loaded.entries where entry.key != "routes" {
            guard case .file = entry.source else { Issue.record("\(entry.key) is not in config/ringmaster.json"); continue }
            #expect(entry.value == ConfigurationKey.named(entry.key)!.render(ServerConfiguration()), "\(entry.key) differs from its default")
        }
        let example = try ConfigurationLoader.load(path: root.appendingPathComponent("config/routes.example.json").path)
        #expect(example.routes == ServerConfiguration().routes, "the example spells out the built-in routes")
    }

    @Test func jsonLogLinesEscapeAndNest() throws {
        #expect(JSONLogLine.quote("a\"b\\c\n\u{1}") == #""a\"b\\c\n\u0001""#)
        let rendered = JSONLogLine.render(.dictionary(["k": .array([.string("v"), .stringConvertible(3)])]))
        let parsed = try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: [String]]
        #expect(parsed == ["k": ["v", "3"]])
        #expect(JSONLogLine.timestamp().count == 24)
    }
}
