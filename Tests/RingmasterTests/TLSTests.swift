// HTTPS end to end (docs/tls.md): handshakes with Python's ssl, curl and openssl s_client over
// TLS 1.2 and 1.3, SNI, ALPN, resumption by ticket, pipelining, records split byte by byte,
// large bodies both ways, plain HTTP on the TLS port, hostile handshakes, and close_notify on a
// drain. Each check reads the server's TLS counters too, so a failure is counted where it happened.
import Foundation
import Glibc
import Testing
@testable import Ringmaster

@Suite(.serialized) struct TLSTests {
    static func echoRouter() -> Router {
        var router = Router()
        router.post("/echo") { request, response in
            response.contentType = "application/octet-stream"
            response.write(request.body)
        }
        return router
    }

    @Test func handshakesAndRequestsOverTLS12AndTLS13() throws {
        let server = try TLSClient.server()
        for (version, name) in [("1.2", "TLSv1.2"), ("1.3", "TLSv1.3")] {
            let result = try TLSClient.run("basic", port: server.port, [version])
            #expect(result["error"] == nil, "\(result)")
            #expect(result["status"] as? Int == 200 && result["body"] as? String == "Hello, World!")
            #expect(result["version"] as? String == name)
            #expect(result["alpn"] as? String == "http/1.1")
            // The suite the client saw is the one counted (TLSCipher's table names suites as
            // OpenSSL does, as Python's ssl reports them).
            let row = TLSCipher.table.first { "\($0.name)" == result["cipher"] as? String }
            #expect(row != nil && server.server.total(row!.counter) == 1, "\(result["cipher"] ?? "none")")
        }
        #expect(server.server.total(.tlsHandshakes12) == 1 && server.server.total(.tlsHandshakes13) == 1)
        let ciphers = TLSCipher.table.reduce(UInt64(0)) { $0 + server.server.total($1.counter) }
        #expect(ciphers == 2, "every handshake counted under one suite")
        let metrics = TLSClient.command("curl", ["-sk", "https://127.0.0.1:\(server.port)/metrics"]).output
        #expect(metrics.contains("ringmaster_tls_ciphers_total{cipher=\"other\"} 0\n"), "the family is exported")
    }

    @Test func sniChoosesTheCertificateNamingTheServer() throws {
        let server = try TLSClient.server()
        for (name, other) in [("other.test", true), ("www.other.test", true), ("localhost", false), ("unknown.example", false)] {
            let result = try TLSClient.run("sni", port: server.port, [name])
            #expect(result["other"] as? Bool == other && result["localhost"] as? Bool == !other, "\(name): \(result)")
        }
    }

    @Test func alpnSelectsHTTP11AndRefusesClientsOfferingOnlyOthers() throws {
        let server = try TLSClient.server()
        let both = try TLSClient.run("alpn", port: server.port, ["h2,http/1.1"])
        #expect(both["alpn"] as? String == "http/1.1" && both["status"] as? Int == 200, "\(both)")
        let h2 = try TLSClient.run("alpn", port: server.port, ["h2"])
        #expect((h2["error"] as? String)?.contains("no application protocol") == true, "\(h2)")
        #expect(server.server.total(.tlsFailuresProtocol) == 1)
    }

    @Test func sessionsResumeByTicket() throws {
        let server = try TLSClient.server()
        for version in ["1.2", "1.3"] {
            let result = try TLSClient.run("resume", port: server.port, [version])
            #expect(result["reused"] as? Bool == true && result["status"] as? Int == 200, "\(version): \(result)")
        }
        #expect(server.server.total(.tlsResumed) == 2)
    }

    @Test func aPipeliningClientGetsEveryResponse() throws {
        let server = try TLSClient.server()
        let result = try TLSClient.run("pipeline", port: server.port, ["800"])
        #expect(result["responses"] as? Int == 800, "\(result)")
    }

    @Test func recordsSplitByteByByteIncludingA16KBRecord() throws {
        let server = try TLSClient.server(router: TLSTests.echoRouter())
        let result = try TLSClient.run("trickle", port: server.port, ["16000"])
        #expect(result["status"] as? Int == 200 && result["echoed"] as? Bool == true, "\(result)")
        #expect((result["bytes_sent_singly"] as? Int ?? 0) > 16_000)
    }

    @Test func largeBodiesBothWays() throws {
        let site = try SiteFixture()
        let big = SiteFixture.pattern(3 << 20, seed: 5)
        try site.write("big.bin", big)
        var route = RouteConfiguration(path: "/", kind: "directory", body: "")
        route.directory = DirectoryOptions(root: site.root)
        let server = try TLSClient.server({
            $0.configuredRoutes = [route]
            $0.limits.maxBodyBytes = 4 << 20
        }, router: TLSTests.echoRouter())
        let result = try TLSClient.run("large", port: server.port, ["/big.bin", "\(1 << 20)"])
        let digest = TLSClient.command("sha256sum", [site.root + "/big.bin"]).output.prefix(64)
        #expect(result["status"] as? Int == 200 && result["length"] as? Int == big.count, "\(result)")
        #expect(result["sha256"] as? String == String(digest))
        #expect(result["post_status"] as? Int == 200 && result["post_ok"] as? Bool == true, "\(result)")
    }

    @Test func plainHTTPOnTheTLSPortGets400AndAClose() throws {
        let server = try TLSClient.server()
        let result = try TLSClient.run("plaintext", port: server.port)
        #expect(result["first_line"] as? String == "HTTP/1.1 400 Bad Request", "\(result)")
        #expect(server.server.total(.tlsFailuresPlaintext) == 1)
    }

    @Test func garbageAndTruncatedHandshakesAreClosedAndCounted() throws {
        let server = try TLSClient.server()
        let garbage = try TLSClient.run("garbage", port: server.port)
        #expect(garbage["closed"] as? Bool == true, "\(garbage)")
        #expect(server.server.total(.tlsFailuresProtocol) == 1)
        _ = try TLSClient.run("truncated", port: server.port)
        let deadline = Date().addingTimeInterval(5)
        while server.server.total(.tlsFailuresClosed) < 1 && Date() < deadline { usleep(20_000) }
        #expect(server.server.total(.tlsFailuresClosed) == 1)
        #expect(server.server.total(.active) == 0)
        // And the worker still serves.
        #expect(try TLSClient.run("basic", port: server.port)["status"] as? Int == 200)
    }

    @Test func aThousandStalledHandshakesTimeOut() throws {
        let server = try TLSClient.server { $0.timeouts.handshake = 1 }
        let result = try TLSClient.run("stalled", port: server.port, ["1000", "3.5"])
        #expect(result["closed"] as? Int == 1000, "\(result)")
        #expect(server.server.total(.tlsFailuresTimeout) == 1000)
        #expect(server.server.total(.active) == 0)
        #expect(try TLSClient.run("basic", port: server.port)["status"] as? Int == 200)
    }

    @Test func aDrainSendsCloseNotify() throws {
        let server = try TLSClient.server()
        let signal = FileManager.default.temporaryDirectory.appendingPathComponent("rm-tls-\(UUID().uuidString.prefix(8))").path
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        client.arguments = [TLSClient.script, "close_notify", "\(server.port)", signal]
        let out = Pipe()
        client.standardOutput = out
        try client.run()
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: signal) && Date() < deadline { usleep(10_000) }
        usleep(200_000)
        server.stop()
        let line = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        client.waitUntilExit()
        unlink(signal)
        #expect(line.contains("\"answered\": true") && line.contains("\"close_notify\": true"), "\(line)")
        #expect(server.server.total(.tlsCloseNotify) >= 1)
    }

    @Test func curlAndOpenSSLClientsAgree() throws {
        let server = try TLSClient.server()
        let ca = TLSClient.certificates + "/localhost.pem"
        let curl = TLSClient.command("curl", ["-sS", "--cacert", ca, "-w", " %{http_code} %{ssl_verify_result}",
                                              "https://localhost:\(server.port)/plaintext", "--resolve", "localhost:\(server.port):127.0.0.1"])
        #expect(curl.output == "Hello, World! 200 0", "\(curl.output) \(curl.error)")
        for flag in ["-tls1_2", "-tls1_3"] {
            let s = TLSClient.command("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "localhost",
                                                  "-alpn", "http/1.1", "-CAfile", ca, flag, "-ign_eof"],
                                      input: "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(s.output.contains("Verify return code: 0 (ok)"), "\(flag): \(s.output.suffix(300))")
            #expect(s.output.contains("ALPN protocol: http/1.1"), "\(flag)")
            #expect(s.output.contains("Hello, World!"), "\(flag)")
        }
        // A client that offers no ALPN at all is served HTTP/1.1 (docs/tls.md).
        let plain = TLSClient.command("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "localhost",
                                                  "-CAfile", ca, "-ign_eof"],
                                      input: "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(plain.output.contains("No ALPN negotiated") && plain.output.contains("Hello, World!"), "\(plain.output.suffix(300))")
    }

    @Test func badFilesAreConfigurationErrorsNamingTheKeyAndFile() throws {
        let dir = TLSClient.certificates
        func load(_ tls: String) -> ConfigurationError? {
            do {
                _ = try ConfigurationLoader.parse(Array("{\"tls\": {\(tls)}}".utf8), source: "test.json")
                return nil
            } catch { return error }
        }
        let missing = load("\"certificate\": \"/nonexistent/cert.pem\", \"key\": \"\(dir)/localhost.key\"")
        #expect(missing?.key == "tls.certificate" && missing?.description.contains("/nonexistent/cert.pem") == true, "\(String(describing: missing))")
        let mismatch = load("\"certificate\": \"\(dir)/localhost.pem\", \"key\": \"\(dir)/other.key\"")
        #expect(mismatch?.key == "tls.key" && mismatch?.description.contains("does not match") == true, "\(String(describing: mismatch))")
        let notPEM = load("\"certificate\": \"\(dir)/README.md\", \"key\": \"\(dir)/localhost.key\"")
        #expect(notPEM?.key == "tls.certificate", "\(String(describing: notPEM))")
        let ciphers = load("\"certificate\": \"\(dir)/localhost.pem\", \"key\": \"\(dir)/localhost.key\", \"ciphers\": \"NOPE\"")
        #expect(ciphers?.key == "tls.ciphers", "\(String(describing: ciphers))")
        let pairs = load("\"certificate\": \"\(dir)/localhost.pem\", \"more_certificates\": \"only-one-path\"")
        #expect(pairs?.key == "tls.more_certificates", "\(String(describing: pairs))")
        let keyOnly = load("\"key\": \"\(dir)/localhost.key\"")
        #expect(keyOnly?.key == "tls.key", "\(String(describing: keyOnly))")
        #expect(load("\"certificate\": \"\(dir)/localhost.pem\", \"key\": \"\(dir)/localhost.key\", \"protocols\": \"tls1.3\"") == nil)
    }

    /// Kernel TLS is not used yet; the start-up line says whether this kernel could (docs/tls.md).
    @Test func theStartUpLineSaysWhetherTheKernelOffersTLS() throws {
        let ulps = (try? String(contentsOfFile: "/proc/sys/net/ipv4/tcp_available_ulp", encoding: .utf8)) ?? ""
        let offered = ulps.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("tls")
        #expect(TLSContext.kernelOffersTLS == offered)
        #expect(TLSContext.recordsSummary.hasPrefix(offered ? "userspace records: kernel TLS offload not used yet" : "userspace records: this kernel has no tls ULP"))
    }

    /// A proxied request that came over TLS tells the upstream so (X-Forwarded-Proto: https),
    /// as nginx's `$scheme` does: an application builds its links and cookies from it.
    @Test func aProxiedRequestOverTLSIsForwardedAsHTTPS() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try TLSClient.server { $0.configuredRoutes = [RouteConfiguration.proxy(["127.0.0.1:\(upstream.port)"])] }
        let echo = TLSClient.command("curl", ["-sk", "https://127.0.0.1:\(server.port)/app/echo"])
        let lines = Set(echo.output.split(separator: "\n").map(String.init))
        #expect(lines.contains("x-forwarded-proto: https"), "curl status \(echo.status)")
        #expect(!lines.contains("x-forwarded-proto: http"))
    }
}
