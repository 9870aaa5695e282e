// Where a configuration value came from, so an error and `check-config` can say exactly which
// file line, environment variable or flag to change.

/// The origin of one effective configuration value.
public enum ValueSource: Sendable, Equatable, CustomStringConvertible {
    /// The built-in default (nothing set it).
    case defaultValue
    /// A key in the configuration file; `line` and `column` are where the key's name is written.
    case file(path: String, key: String, line: Int?, column: Int? = nil)
    /// An environment variable such as `RINGMASTER_LISTEN_PORT`.
    case environment(name: String)
    /// A command-line flag such as `--port` or `--set listen.port=…`.
    case flag(String)

    public var description: String {
        switch self {
        case .defaultValue: return "default"
        case .file(let path, let key, let line, let column):
            guard let line else { return "\(path) (\(key))" }
            return column.map { "\(path):\(line):\($0) (\(key))" } ?? "\(path):\(line) (\(key))"
        case .environment(let name): return "env \(name)"
        case .flag(let flag): return "flag \(flag)"
        }
    }
}
