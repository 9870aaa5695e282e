// The `ringmaster` command: `run` (the default) and `check-config`. Parsing the command line
// and choosing the subcommand is all that lives here; loading, validation and running are
// the library's.
import ArgumentParser
import Ringmaster

@main
struct RingmasterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringmaster",
        abstract: "An io_uring HTTP/1.1 server.",
        discussion: """
            Configuration comes from flags, then RINGMASTER_* environment variables, then the \
            JSON file, then defaults (docs/configuration.md lists every key).

            Examples:
              ringmaster --config config/ringmaster.json
              ringmaster --config config/ringmaster.json --port 18180 --workers auto
              ringmaster run --config /etc/ringmaster.json --set limits.header_bytes=16384
              RINGMASTER_LISTEN_PORT=9000 ringmaster check-config --config config/ringmaster.json
              kill -HUP $(pidof ringmaster)    # reopen the access log, reload hot keys (limits, timeouts, routes, logging)

            Exit codes: 0 drained, 1 startup failure, 2 configuration error, 3 forced, 4 drain timed out.
            """,
        version: "\(BuildInfo.version)",
        subcommands: [RunCommand.self, CheckConfigCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
