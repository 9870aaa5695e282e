// ringmaster-example: the Ringmaster library embedded in a program. A small in-memory JSON
// API (/api/items, and /api/v2/items as async handlers over a simulated database with
// latency), /healthz, /metrics and, with --static DIR, the files of a directory.
//
//   ringmaster-example --port 8080 --workers auto --static /srv/public
//   curl -d '{"name":"milk"}' localhost:8080/api/items
//   curl localhost:8080/api/items/1
import Glibc
import Logging
import Ringmaster

let usage = """
    usage: ringmaster-example [--host ADDRESS] [--port N] [--workers N|auto] [--static DIR]
      --port      listen port (default 8080; 0 picks a free one, printed on stderr)
      --workers   worker threads, or "auto" for one per CPU (default 1)
      --static    serve the files of DIR (an absolute path) at /, as a directory route
    """

func fail(_ message: String) -> Never {
    var line = Array("ringmaster-example: \(message)\n\(usage)\n".utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

var configuration = ServerConfiguration()
configuration.configuredRoutes = []   // serve the router alone, not the built-in routes
var staticDirectory: String?
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    if flag == "--help" || flag == "-h" {
        print(usage)
        exit(0)
    }
    guard let value = arguments.popFirst() else { fail("\(flag) needs a value") }
    switch flag {
    case "--host": configuration.host = value
    case "--port":
        guard let port = Int(value), (0...65535).contains(port) else { fail("--port: expected 0-65535, got \(value)") }
        configuration.port = port
    case "--workers":
        if value == "auto" {
            configuration.workers = nil
        } else {
            guard let count = Int(value), count > 0 else { fail("--workers: expected a count or auto, got \(value)") }
            configuration.workers = count
        }
    case "--static": staticDirectory = value
    default: fail("unknown flag \(flag)")
    }
}

LogOutput.bootstrap(level: .info, format: .text)
let logger = Logger(label: "ringmaster-example")

var router = Router()
router.health("/healthz")
router.metrics("/metrics")
let store = ItemStore()
API.register(in: &router, store: store)
AsyncAPI.register(in: &router, database: SimulatedDatabase(store: store, milliseconds: 1))
if let staticDirectory {
    // A directory route: files beneath the root only, cached when small, streamed when large.
    var st = stat()
    guard staticDirectory.hasPrefix("/"), stat(staticDirectory, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
        fail("--static \(staticDirectory): not an absolute path of a directory")
    }
    router.files("/", DirectoryOptions(root: staticDirectory))
}
ProcessRunner.run(configuration: configuration, router: router, logger: logger)
