// The `ringmaster` command: parses the command line, loads the configuration, runs the
// server. Nothing else lives here.
import ArgumentParser
import Logging
import Ringmaster

@main
struct RingmasterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringmaster",
        abstract: "An io_uring HTTP/1.1 server.",
        discussion: """
            Examples:
              ringmaster --config config/ringmaster.json
              ringmaster --config config/ringmaster.json --port 18180
            Exit codes: 0 drained, 1 startup failure, 2 configuration error, 3 forced, 4 drain timed out.
            """,
        version: "0.1.0"
    )

    @Option(name: .long, help: "Configuration file (JSON).")
    var config: String?

    @Option(name: .long, help: "Listen address; overrides listen.host.")
    var host: String?

    @Option(name: .long, help: "Listen port; overrides listen.port.")
    var port: Int?

    @Option(name: .long, help: "Worker count or \"auto\"; overrides workers.")
    var workers: String?

    @Option(name: .long, help: "CPUs for the workers, e.g. 0-3,8; overrides cpus.")
    var cpus: String?

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "ringmaster")
        var settings = ServerConfiguration()
        do {
            if let config { settings = try ConfigurationLoader.load(path: config) }
            if let host { settings.host = host }
            if let port {
                guard (0...65535).contains(port) else { throw ConfigurationError(key: "listen.port", "--port: invalid value \(port) for listen.port: allowed: an integer from 0 to 65535") }
                settings.port = port
            }
            if let workers {
                if workers == "auto" { settings.workers = nil } else {
                    guard let n = Int(workers), (1...4096).contains(n) else {
                        throw ConfigurationError(key: "workers", "--workers: invalid value \(workers) for workers: allowed: \"auto\" or an integer from 1 to 4096")
                    }
                    settings.workers = n
                }
            }
            if let cpus {
                guard let list = CPUList.parse(cpus) else {
                    throw ConfigurationError(key: "cpus", "--cpus: invalid value \(cpus) for cpus: allowed: a CPU list such as 0-3,8")
                }
                settings.cpus = list
            }
        } catch let error as ConfigurationError {
            logger.critical("configuration error: \(error.description)")
            throw ExitCode(ConfigurationErrorExit.code)
        }
        ProcessRunner.run(configuration: settings, logger: logger)
    }
}

enum ConfigurationErrorExit {
    static let code = Ringmaster.ExitCode.configurationError
}
