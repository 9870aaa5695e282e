// A configuration problem, named precisely: the key, the bad value, what is allowed and
// where the value came from. The executable prints it and exits with code 2.

/// An invalid configuration value or file.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The dotted key, e.g. "listen.port", or "" for the file as a whole.
    public var key: String
    public var description: String

    public init(key: String, _ description: String) {
        self.key = key
        self.description = description
    }

    /// The exit code for configuration errors.
    public static let exitCode: Int32 = 2
}
