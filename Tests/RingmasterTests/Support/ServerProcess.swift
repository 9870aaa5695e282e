// Runs a built executable (`ringmaster`, or the `ringmaster-example` embedding program) as a
// child process for tests of process-level behaviour: signals, exit codes, configuration
// errors, and the example's routes.
import Foundation

/// A `ringmaster` child process with its stderr captured.
final class ServerProcess {
    let process = Process()
    private let errorPipe = Pipe()
    private let captured = CapturedBytes()

    /// The executable named `name` next to the test bundle (both are built into the same folder).
    static func executable(_ name: String = "ringmaster") -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
    }

    init(executable: String = "ringmaster", arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = ServerProcess.executable(executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        let sink = captured
        errorPipe.fileHandleForReading.readabilityHandler = { handle in sink.append(handle.availableData) }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        errorPipe.fileHandleForReading.readabilityHandler = nil
    }

    var stderr: String { captured.text }

    /// Waits until stderr shows the listening line and returns the port.
    func waitForPort(timeout: Double = 20) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = stderr
            if let range = text.range(of: #"listening on [^ ]+:(\d+)"#, options: .regularExpression) {
                let match = String(text[range])
                if let port = Int(match.split(separator: ":").last ?? "") { return port }
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        throw TestClientError.malformed("no listening line; stderr:\n\(stderr)")
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for exit; returns the exit status, or nil on timeout.
    func waitForExit(timeout: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        return process.isRunning ? nil : process.terminationStatus
    }
}

/// Bytes appended from the pipe's reader thread, read from the test.
final class CapturedBytes: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func append(_ more: Data) { lock.lock(); data.append(more); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
}
