// `ringmaster run` (the default subcommand): load, set up logging, run until a signal stops it.
import ArgumentParser
import Logging
import Ringmaster

/// Runs the server.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the server (the default when no subcommand is given)."
    )

    @OptionGroup var options: ConfigurationOptions

    @Flag(name: .long, help: "Share the port with the ringmaster that holds it and take it over once that one exits (zero-downtime restart; docs/shutdown.md).")
    var takeover = false

    func run() throws {
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigurationLoader.load(options.sources())
        } catch {
            LogOutput.bootstrap(level: .info, format: .text)
            Logger(label: "ringmaster").critical("configuration error: \(error.description)")
            throw ArgumentParser.ExitCode(Ringmaster.ExitCode.configurationError)
        }
        var running = loaded
        running.configuration.takeover = takeover
        LogOutput.bootstrap(level: loaded.configuration.logLevel, format: loaded.configuration.logFormat)
        ProcessRunner.run(running, logger: Logger(label: "ringmaster"))
    }
}
