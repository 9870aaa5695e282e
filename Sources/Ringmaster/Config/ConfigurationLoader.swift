// Loads the configuration from its layers with swift-configuration (through `LayeredLookup`):
// flags > environment > file, with the defaults of `ServerConfiguration` underneath. The
// lookup says which layer answers each key and under which name, so every value carries its
// source. Validation is ours and strict: every value is checked against its key's range and an
// error names the key, the bad value, the allowed values and the source. Nothing is applied
// until everything is valid, so a server never starts (or reloads) half-configured.
import Glibc
import RingmasterLayers

/// Loads and validates configurations.
public enum ConfigurationLoader {
    /// Loads the file at `path` alone (no environment, no flags).
    public static func load(path: String) throws(ConfigurationError) -> ServerConfiguration {
        try load(ConfigurationSources(filePath: path)).configuration
    }

    /// Parses JSON `bytes` alone; `source` names them in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws(ConfigurationError) -> ServerConfiguration {
        try resolve(file: ConfigurationFile.parse(bytes, path: source), sources: ConfigurationSources(filePath: source)).configuration
    }

    /// Loads from every layer of `sources`.
    public static func load(_ sources: ConfigurationSources) throws(ConfigurationError) -> LoadedConfiguration {
        var file: ConfigurationFile?
        if let path = sources.filePath { file = try ConfigurationFile.read(path: path) }
        return try resolve(file: file, sources: sources)
    }

    /// The `logging.format` the sources ask for, read on its own so that a configuration error
    /// elsewhere is still reported in that format: the last `--set`, then the environment, then
    /// the file if it parses; text when none says (or the value is not a format).
    public static func requestedLogFormat(_ sources: ConfigurationSources) -> LogFormat {
        let key = "logging.format"
        if let flag = sources.overrides.last(where: { $0.key == key }) { return LogFormat(rawValue: flag.value) ?? .text }
        if let variable = sources.environment["RINGMASTER_LOGGING_FORMAT"] { return LogFormat(rawValue: variable) ?? .text }
        guard let path = sources.filePath, let bytes = ConfigurationFile.readFile(path),
              let parsed = try? StrictJSONParser.parse(bytes),
              case .object(let root) = parsed.value, case .object(let logging)? = root["logging"],
              case .string(let format)? = logging["format"] else { return .text }
        return LogFormat(rawValue: format) ?? .text
    }

    /// The provider layers, in precedence order.
    enum Layer: Int { case flags = 0, environment = 1, file = 2 }

    /// Resolves every key from the layers and validates it. Every problem is collected (the
    /// file's, unknown names, each bad value, the routes) and thrown together.
    static func resolve(file: ConfigurationFile?, sources: ConfigurationSources) throws(ConfigurationError) -> LoadedConfiguration {
        let keys = ConfigurationKey.all
        var problems = file?.problems ?? []
        problems += checkNames(sources, keys: keys)
        var flags: [String: String] = [:]
        for override in sources.overrides { flags[override.key] = override.value }
        let lookup = LayeredLookup(flags: flags, environment: sources.environment, prefix: "ringmaster",
                                   fileKeys: Set(file?.values.keys.filter { $0 != "routes" } ?? []))
        var c = ServerConfiguration()
        var entrySources: [ValueSource] = []
        for key in keys where key.name != "routes" {
            var raw: RawValue?
            var source = ValueSource.defaultValue
            switch lookup.answer(for: key.name) {
            case nil: break
            case let answer? where answer.layer == .flags:
                raw = .text(answer.text ?? "")
                source = .flag(sources.overrides.last { $0.key == key.name }?.flag ?? "--set \(key.name)")
            case let answer? where answer.layer == .environment:
                raw = .text(answer.text ?? "")
                source = .environment(name: answer.name)
            case .some:
                if let file, let value = file.values[key.name] {
                    raw = .json(value)
                    let at = file.position(of: key.name)
                    source = .file(path: file.path, key: key.name, line: at?.line, column: at?.column)
                }
            }
            // A key the file already has a problem with (an exponent, a repeat) is not judged twice.
            if let raw, !key.apply(raw, &c), !(file?.problems.contains { $0.key == key.name } ?? false) {
                problems.append(ConfigurationError(key: key.name, "\(source): invalid value \(raw.display) for \(key.name): allowed: \(key.allowed)"))
            }
            entrySources.append(source)
        }
        var routesSource = ValueSource.defaultValue
        if let file, let routes = file.values["routes"] {
            let at = file.position(of: "routes")
            let source = ValueSource.file(path: file.path, key: "routes", line: at?.line, column: at?.column)
            do {
                c.configuredRoutes = try RouteParser.parse(routes, source: source.description) { key, value, allowed in
                    // The route's own line when the key is one of an element's ("routes[2].kind").
                    let element = file.position(of: key) ?? file.position(of: String(key.prefix { $0 != "." }))
                    let place = element.map { ValueSource.file(path: file.path, key: key, line: $0.line, column: $0.column).description } ?? source.description
                    return ConfigurationError(key: key, "\(place): invalid value \(value) for \(key): allowed: \(allowed)")
                }
            } catch {
                problems.append(error)
            }
            routesSource = source
        }
        guard problems.isEmpty else { throw .combined(problems) }
        entrySources.append(routesSource)
        let entries = zip(keys, entrySources).map { key, source in LoadedConfiguration.Entry(key: key.name, value: key.render(c), source: source) }
        var loaded = LoadedConfiguration(configuration: c, entries: entries, sources: sources, account: nil)
        try checkCombinations(&loaded)
        return loaded
    }

    /// Flags and environment variables must name known keys: a typo is an error, as in the file.
    static func checkNames(_ sources: ConfigurationSources, keys: [ConfigurationKey]) -> [ConfigurationError] {
        var problems: [ConfigurationError] = []
        let names = keys.map(\.name)
        let variables = keys.filter { $0.name != "routes" }.map(\.environmentName)
        for name in sources.environment.keys.sorted() where !variables.contains(name) && !ConfigurationSources.nonConfigurationVariables.contains(name) {
            let hint = name == "RINGMASTER_ROUTES" ? ": routes can only be set in the configuration file"
                : "\(ConfigurationFile.suggestion(for: name, among: variables)): known variables: RINGMASTER_ and a key in upper case with _ for ., e.g. RINGMASTER_LISTEN_PORT"
            problems.append(ConfigurationError(key: name, "env \(name): unknown configuration variable\(hint)"))
        }
        for override in sources.overrides {
            guard names.contains(override.key) else {
                problems.append(ConfigurationError(key: override.key, "flag \(override.flag): unknown key \(override.key)\(ConfigurationFile.suggestion(for: override.key, among: names)): allowed keys: \(names.joined(separator: ", "))"))
                continue
            }
            if override.key == "routes" {
                problems.append(ConfigurationError(key: "routes", "flag \(override.flag): routes can only be set in the configuration file"))
            }
        }
        return problems
    }

    /// Rules across keys, checked with the sources of the keys involved.
    static func checkCombinations(_ loaded: inout LoadedConfiguration) throws(ConfigurationError) {
        let c = loaded.configuration
        if c.steering == .cpu && !c.pinWorkers {
            throw ConfigurationError(key: "steering", "\(loaded.source(of: "steering")!): steering \"cpu\" needs pinned workers: pin_workers is false (\(loaded.source(of: "pin_workers")!))")
        }
        var account: Account?
        if let user = c.user {
            guard let ids = Account.user(named: user) else {
                throw ConfigurationError(key: "user", "\(loaded.source(of: "user")!): invalid value \"\(user)\" for user: allowed: a user name from the password database (no such user)")
            }
            account = Account(uid: ids.uid, gid: ids.gid, userName: user, groupName: Account.groupName(of: ids.gid))
        }
        if let group = c.group {
            guard let gid = Account.group(named: group) else {
                throw ConfigurationError(key: "group", "\(loaded.source(of: "group")!): invalid value \"\(group)\" for group: allowed: a group name from the group database (no such group)")
            }
            account = Account(uid: account?.uid ?? getuid(), gid: gid, userName: account?.userName, groupName: group)
        }
        loaded.account = account
        // The files must load now, so check-config and a reload say what is wrong with them.
        if c.tls.enabled { _ = try TLSContext(c.tls) }
        if c.tls.key != nil && c.tls.certificate == nil {
            throw ConfigurationError(key: "tls.key", "\(loaded.source(of: "tls.key")!): tls.key is set but tls.certificate is not: set both (or neither, for a plain listener)")
        }
        if let plain = c.tls.plainPort {
            guard c.tls.enabled else {
                throw ConfigurationError(key: "tls.plain_port", "\(loaded.source(of: "tls.plain_port")!): tls.plain_port is set but tls.certificate is not: a plain port is the one beside a TLS listener")
            }
            if plain != 0 && plain == c.port {
                throw ConfigurationError(key: "tls.plain_port", "\(loaded.source(of: "tls.plain_port")!): invalid value \(plain) for tls.plain_port: it is listen.port, the TLS port; allowed: another port")
            }
        }
    }
}
