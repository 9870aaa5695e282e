// Where a configuration value came from, so an error and `check-config` can say exactly which
// file line, environment variable or flag to change.

/// The origin of one effective configuration value.
public enum ValueSource: Sendable, Equatable, CustomStringConvertible {
    /// The built-in default (nothing set it).
    case defaultValue
    /// A key in the configuration file; `line` is where the key's name appears, when found.
    case file(path: String, key: String, line: Int?)
    /// An environment variable such as `RINGMASTER_LISTEN_PORT`.
    case environment(name: String)
    /// A command-line flag such as `--port` or `--set listen.port=…`.
    case flag(String)

    public var description: String {
        switch self {
        case .defaultValue: return "default"
        case .file(let path, let key, let line): return line.map { "\(path):\($0) (\(key))" } ?? "\(path) (\(key))"
        case .environment(let name): return "env \(name)"
        case .flag(let flag): return "flag \(flag)"
        }
    }
}
