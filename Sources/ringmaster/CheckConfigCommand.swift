// `ringmaster check-config`: validate like `run` would (every key, unknown keys and variables,
// the user and group) and print the effective configuration, one key per line with the
// source of its value. Exit 0 when valid, 2 when not.
import ArgumentParser
import Glibc
import Ringmaster

/// Validates and prints the effective configuration.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print every effective value with its source.",
        discussion: "Each line reads `key = value  # source`, where the source is a file and line, an environment variable, a flag or `default`."
    )

    @OptionGroup var options: ConfigurationOptions

    func run() throws {
        do {
            let loaded = try ConfigurationLoader.load(options.sources())
            print(loaded.report)
            print("# configuration is valid (\(loaded.sources.filePath.map { "file \($0)" } ?? "no file"))")
        } catch {
            for problem in error.all { FileStandardError.write("ringmaster: configuration error: \(problem.description)\n") }
            throw ArgumentParser.ExitCode(Ringmaster.ExitCode.configurationError)
        }
    }
}

/// Writes to stderr without Foundation.
enum FileStandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
