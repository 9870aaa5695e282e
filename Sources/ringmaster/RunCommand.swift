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

    @Option(name: .long, help: ArgumentHelp("Take over from the ringmaster with this PID: like --takeover, then SIGTERM it once this process is ready.", valueName: "pid"))
    var replace: Int32?

    func run() throws {
        let loaded: LoadedConfiguration
        let sources: ConfigurationSources
        do {
            sources = try options.sources()
            loaded = try ConfigurationLoader.load(sources)
        } catch {
            // Reported in the format the configuration asks for, even though it is invalid.
            let format = (try? options.sources()).map(ConfigurationLoader.requestedLogFormat) ?? .text
            LogOutput.bootstrap(level: .info, format: format)
            let logger = Logger(label: "ringmaster")
            for problem in error.all {
                logger.critical("configuration error: \(problem.description)", metadata: problem.key.isEmpty ? [:] : ["key": "\(problem.key)"])
            }
            throw ArgumentParser.ExitCode(Ringmaster.ExitCode.configurationError)
        }
        var running = loaded
        running.configuration.takeover = takeover || replace != nil
        running.configuration.replaceProcess = replace
        LogOutput.bootstrap(level: loaded.configuration.logLevel, format: loaded.configuration.logFormat)
        ProcessRunner.run(running, logger: Logger(label: "ringmaster"))
    }
}
