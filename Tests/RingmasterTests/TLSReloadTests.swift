// Certificates renew on disk: SIGHUP re-reads them in a running process. New handshakes get
// the new certificate, connections handshaken before the reload keep being answered, and a
// key that does not match its certificate keeps the running pair and says why (docs/tls.md).
import Foundation
import Glibc
import Testing
@testable import Ringmaster

@Suite(.serialized) struct TLSReloadTests {
    /// Waits until `condition` holds, up to `seconds`.
    func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try condition() { return true }
            usleep(20_000)
        } while Date() < deadline
        return false
    }

    /// Whether a new handshake (SNI localhost) is answered with other.test's certificate.
    func servesOther(_ port: Int) throws -> Bool? {
        try TLSClient.run("sni", port: port, ["localhost"])["other"] as? Bool
    }

    @Test func sighupSwapsTheCertificateWithoutDroppingConnectionsAndABadKeyKeepsTheOld() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-tls-reload-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func install(certificate: String, key: String) throws {
            for (source, target) in [(certificate, "cert.pem"), (key, "key.pem")] {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: TLSClient.certificates + "/" + source))
                try bytes.write(to: URL(fileURLWithPath: dir + "/" + target))
            }
        }
        try install(certificate: "localhost.pem", key: "localhost.key")
        let path = try temporaryConfigFile(ConfigurationReloadTests.config(#""tls": {"certificate": "\#(dir)/cert.pem", "key": "\#(dir)/key.pem"}"#))
        let child = try ServerProcess(arguments: ["--config", path])
        let port = try child.waitForPort()
        let rounds = try TLSRounds(port: port)
        try rounds.round()
        #expect(try servesOther(port) == false)

        // Renewed: the files now hold other.test's pair.
        try install(certificate: "other.pem", key: "other.key")
        child.signal(SIGHUP)
        #expect(try eventually { child.stderr.contains("certificates re-read") }, "stderr: \(child.stderr)")
        #expect(try eventually { try servesOther(port) == true }, "new handshakes get the renewed certificate")
        try rounds.round()

        // A certificate whose key does not match: the running pair stays, and the log says why.
        try install(certificate: "localhost.pem", key: "other.key")
        child.signal(SIGHUP)
        #expect(try eventually { child.stderr.contains("keeping the running configuration") }, "stderr: \(child.stderr)")
        let line = child.stderr.split(separator: "\n").first { $0.contains("keeping the running configuration") } ?? ""
        #expect(line.contains("does not match") && line.contains("tls.key"), "\(line)")
        #expect(try servesOther(port) == true)
        try rounds.round()
        rounds.finish()
        #expect(rounds.process.terminationStatus == 0)
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
    }
}
