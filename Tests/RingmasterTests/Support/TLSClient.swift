// Runs Support/tls_client.py scenarios against a TLS test server and decodes their JSON, and
// builds the TLS test configuration from the repository's test certificates (config/tls).
import Foundation
@testable import Ringmaster

enum TLSClient {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("tls_client.py").path
    static let certificates = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config/tls").path

    /// The test certificates: localhost (ECDSA) by default, other.test (RSA) by SNI.
    static func settings() -> TLSSettings {
        var tls = TLSSettings()
        tls.certificate = certificates + "/localhost.pem"
        tls.key = certificates + "/localhost.key"
        tls.more = [TLSCertificate(chain: certificates + "/other.pem", key: certificates + "/other.key")]
        return tls
    }

    /// A TLS test server (one worker, ephemeral port).
    static func server(_ adjust: (inout ServerConfiguration) -> Void = { _ in }, router: Router = Router()) throws -> TestServer {
        var c = TestServer.configuration()
        c.tls = settings()
        adjust(&c)
        return try TestServer(c, router: router)
    }

    /// Runs `scenario` and returns its JSON object.
    static func run(_ scenario: String, port: Int, _ arguments: [String] = []) throws -> [String: Any] {
        let result = PrometheusParser.run("timeout", ["60", "python3", script, scenario, "\(port)"] + arguments, input: "")
        guard let line = result.output.split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestClientError.malformed("tls_client.py \(scenario): no result (status \(result.status)): \(result.error.suffix(400))")
        }
        return object
    }

    /// Runs a command (curl, openssl) and returns its status and output.
    static func command(_ name: String, _ arguments: [String], input: String = "") -> (status: Int32, output: String, error: String) {
        // Bounded: a client that never finishes fails its test instead of hanging the suite.
        PrometheusParser.run("timeout", ["60", name] + arguments, input: input)
    }
}

/// tls_client.py's `rounds` scenario kept running: eight TLS keep-alive connections, handshaken
/// once, that run one round of requests (20 each) per `round()`. For counting the worker's
/// allocations after the handshakes.
final class TLSRounds {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var pending = Data()

    init(port: Int) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["timeout", "120", "python3", TLSClient.script, "rounds", "\(port)"]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try expectLine("ready")
    }

    /// One round on every connection; returns when the client has read every response.
    func round() throws {
        input.fileHandleForWriting.write(Data("go\n".utf8))
        try expectLine("done")
    }

    func finish() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    func expectLine(_ expected: String) throws {
        while !pending.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            guard !more.isEmpty else { throw TestClientError.malformed("tls_client.py rounds ended before \"\(expected)\"") }
            pending.append(more)
        }
        let end = pending.firstIndex(of: UInt8(ascii: "\n"))!
        let line = String(decoding: pending[pending.startIndex..<end], as: UTF8.self)
        pending = Data(pending[(end + 1)...])
        guard line == expected else { throw TestClientError.malformed("tls_client.py rounds: \"\(line)\", expected \"\(expected)\"") }
    }
}
