// Where the process's log lines go and in which form: swift-log's StreamLogHandler text for
// people, or one JSON object per line for collectors (`logging.format`), at `logging.level`.
// Both are read on every line from one shared setting, so a SIGHUP reload changes the level
// and format of every existing logger at once (swift-log allows only one bootstrap).
import Logging
import Synchronization

/// The shared log level and format of the process.
public final class LogOutput: Sendable {
    /// The instance the bootstrapped handlers read.
    public static let shared = LogOutput()
    private let settings = Mutex<(level: Logger.Level, format: LogFormat)>((.info, .text))

    /// Current level.
    public var level: Logger.Level { settings.withLock { $0.level } }
    /// Current format.
    public var format: LogFormat { settings.withLock { $0.format } }

    /// Changes the level and format of every logger from now on.
    public func update(level: Logger.Level, format: LogFormat) {
        settings.withLock { $0 = (level, format) }
    }

    /// Installs the handler for the whole process; call once, before any logger is made.
    public static func bootstrap(level: Logger.Level, format: LogFormat) {
        shared.update(level: level, format: format)
        LoggingSystem.bootstrap { label in SwitchingLogHandler(label: label, output: shared) }
    }
}

/// Writes each line as text or JSON, whichever `LogOutput` says now.
public struct SwitchingLogHandler: LogHandler {
    let label: String
    let output: LogOutput
    public var metadata: Logger.Metadata = [:]
    /// Set only when code sets a logger's level itself; otherwise the shared level applies.
    private var ownLevel: Logger.Level?

    public init(label: String, output: LogOutput) {
        self.label = label
        self.output = output
    }

    public var logLevel: Logger.Level {
        get { ownLevel ?? output.level }
        set { ownLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        switch output.format {
        case .text:
            var stream = StreamLogHandler.standardError(label: label)
            stream.logLevel = .trace // Filtering already happened against `logLevel`.
            stream.metadata = metadata
            stream.log(event: event)
        case .json:
            JSONLogLine.write(label: label, event: event, metadata: metadata)
        }
    }
}
