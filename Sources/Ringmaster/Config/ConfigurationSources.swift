// The inputs of one configuration load, kept so SIGHUP can load again from the same ones: the
// file path (re-read), the environment as captured at start (a running process's environment
// does not change), and the command-line overrides.
import FoundationEssentials

/// Where a configuration is loaded from.
public struct ConfigurationSources: Sendable, Equatable {
    /// One command-line override of a key.
    public struct Override: Sendable, Equatable {
        /// Dotted key name.
        public var key: String
        /// The value as typed.
        public var value: String
        /// The flag as the user spelled it, for messages: "--port" or "--set listen.port".
        public var flag: String

        public init(key: String, value: String, flag: String) {
            self.key = key
            self.value = value
            self.flag = flag
        }
    }

    /// The JSON file, or nil for defaults, environment and flags only.
    public var filePath: String?
    /// `RINGMASTER_*` environment variables.
    public var environment: [String: String]
    /// Command-line overrides, later ones winning.
    public var overrides: [Override]

    public init(filePath: String? = nil, environment: [String: String] = [:], overrides: [Override] = []) {
        self.filePath = filePath
        self.environment = environment.filter { $0.key.hasPrefix(ConfigurationSources.environmentPrefix) }
        self.overrides = overrides
    }

    /// Every configuration environment variable starts with this.
    public static let environmentPrefix = "RINGMASTER_"

    /// Variables with the prefix that are not configuration keys (test tooling), so they are not
    /// reported as typos.
    static let nonConfigurationVariables: Set<String> = ["RINGMASTER_TRACE_ALLOCATIONS"]

    /// This process's `RINGMASTER_*` variables.
    public static func processEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix(environmentPrefix) }
    }
}
