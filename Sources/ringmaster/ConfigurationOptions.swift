// The options every subcommand shares: the file and the overrides. Each becomes a
// `ConfigurationSources.Override` that remembers how it was spelt, so a bad value is reported
// as coming from `--port` or `--set limits.header_bytes`.
import ArgumentParser
import Ringmaster

/// `--config` and the override flags.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (JSON).")
    var config: String?

    @Option(name: .long, help: "Listen address; overrides listen.host.")
    var host: String?

    @Option(name: .long, help: "Listen port; overrides listen.port.")
    var port: String?

    @Option(name: .long, help: "Worker count or \"auto\"; overrides workers.")
    var workers: String?

    @Option(name: .long, help: "CPUs for the workers, e.g. 0-3,8; overrides cpus.")
    var cpus: String?

    @Option(name: .long, help: ArgumentHelp("Set any key, e.g. --set limits.header_bytes=16384 (repeatable).", valueName: "key=value"))
    var set: [String] = []

    /// The sources these options name, with this process's environment.
    func sources() throws(ConfigurationError) -> ConfigurationSources {
        var overrides: [ConfigurationSources.Override] = []
        for pair in set {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ConfigurationError(key: "", "flag --set \(pair): expected key=value, e.g. --set listen.port=8080")
            }
            let key = String(pair[..<equals])
            overrides.append(.init(key: key, value: String(pair[pair.index(after: equals)...]), flag: "--set \(key)"))
        }
        // The dedicated flags come after --set, so they win when both name a key.
        if let host { overrides.append(.init(key: "listen.host", value: host, flag: "--host")) }
        if let port { overrides.append(.init(key: "listen.port", value: port, flag: "--port")) }
        if let workers { overrides.append(.init(key: "workers", value: workers, flag: "--workers")) }
        if let cpus { overrides.append(.init(key: "cpus", value: cpus, flag: "--cpus")) }
        return ConfigurationSources(filePath: config, environment: ConfigurationSources.processEnvironment(), overrides: overrides)
    }
}
