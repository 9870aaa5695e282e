// A configuration problem, named precisely: the key, the bad value, what is allowed and
// where the value came from. One load reports every problem it finds, not only the first, so
// an operator fixes a file in one pass. The executable prints each and exits with code 2.

/// An invalid configuration value or file; with several problems, the first one plus the rest.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The dotted key, e.g. "listen.port", or "" for the file as a whole.
    public var key: String
    /// Every problem, one per line.
    public var description: String
    /// The problems after the first, when one load found several.
    public var others: [ConfigurationError] = []

    public init(key: String, _ description: String) {
        self.key = key
        self.description = description
    }

    /// One error for all of `problems` (at least one), in their order.
    static func combined(_ problems: [ConfigurationError]) -> ConfigurationError {
        var first = problems[0]
        first.others = Array(problems.dropFirst().flatMap(\.all))
        first.description = problems.map(\.description).joined(separator: "\n")
        return first
    }

    /// This problem and the others, each with its own one-line message.
    public var all: [ConfigurationError] {
        guard !others.isEmpty else { return [self] }
        var head = self
        head.others = []
        head.description = String(description.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)[0])
        return [head] + others
    }

    /// The exit code for configuration errors.
    public static let exitCode: Int32 = 2
}
