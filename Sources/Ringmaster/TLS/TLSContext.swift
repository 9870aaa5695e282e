// The OpenSSL server contexts of a TLS listener: one per certificate, the first the default and
// the one SNI starts from (ctls_ctx_select). Built by the supervisor (at start and on each
// SIGHUP) and shared by every worker: OpenSSL contexts are safe to use from many threads once
// built, and each connection's SSL object holds a reference to the context it was made from,
// so a reload that swaps the context leaves open connections on the old one until they close.
import CTLS
import Glibc

/// The contexts built from `TLSSettings`, or the reason they could not be.
public final class TLSContext: @unchecked Sendable {
    /// The default SSL_CTX (it owns the SNI choice and references to the others).
    let context: OpaquePointer
    public let settings: TLSSettings
    /// Whether OpenSSL's small blocks (a WPACKET_SUB per record) come from CTLS's per-thread
    /// free list rather than malloc (Sources/CTLS/allocator.c, docs/tls.md).
    static var poolsRecordAllocations: Bool { ctls_allocator_installed() != 0 }

    /// Reads every certificate and key; an unreadable file, a key that does not match its
    /// certificate or a cipher list OpenSSL rejects is an error naming the key and the file.
    public init(_ settings: TLSSettings) throws(ConfigurationError) {
        var contexts: [OpaquePointer] = []
        do {
            for (i, certificate) in settings.certificates.enumerated() {
                contexts.append(try TLSContext.make(certificate, settings: settings, first: i == 0))
            }
        } catch {
            contexts.forEach { SSL_CTX_free($0) }
            throw error
        }
        guard let first = contexts.first else { throw ConfigurationError(key: "tls.certificate", "tls.certificate: not set") }
        let selected = contexts.map { Optional($0) }.withUnsafeBufferPointer { ctls_ctx_select(first, $0.baseAddress, Int32($0.count)) }
        // The first context now holds the others; ours go.
        contexts.dropFirst().forEach { SSL_CTX_free($0) }
        guard selected == 1 else {
            SSL_CTX_free(first)
            throw ConfigurationError(key: "tls.more_certificates", "tls.more_certificates: \(TLSContext.opensslError())")
        }
        context = first
        self.settings = settings
    }

    deinit { SSL_CTX_free(context) }

    /// Builds, checks and loads one certificate's context (the first also checks the cipher
    /// list, the same text for all).
    static func make(_ certificate: TLSCertificate, settings: TLSSettings, first: Bool) throws(ConfigurationError) -> OpaquePointer {
        let chainKey = first ? "tls.certificate" : "tls.more_certificates"
        let keyKey = first ? "tls.key" : "tls.more_certificates"
        try readable(certificate.chain, key: chainKey)
        try readable(certificate.key, key: keyKey)
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw ConfigurationError(key: chainKey, "\(chainKey): OpenSSL could not make a context: \(opensslError())")
        }
        let minimum = settings.protocols == .tls13 ? Int32(CTLS_TLS1_3_VERSION) : Int32(CTLS_TLS1_2_VERSION)
        guard ctls_ctx_configure(ctx, minimum) == 1 else {
            SSL_CTX_free(ctx)
            throw ConfigurationError(key: "tls.protocols", "tls.protocols: OpenSSL refused the protocol range: \(opensslError())")
        }
        guard SSL_CTX_set_cipher_list(ctx, settings.ciphers) == 1 else {
            SSL_CTX_free(ctx)
            throw ConfigurationError(key: "tls.ciphers", "tls.ciphers: invalid value \"\(settings.ciphers)\": allowed: an OpenSSL cipher list naming at least one TLS 1.2 cipher (\(opensslError()))")
        }
        guard SSL_CTX_use_certificate_chain_file(ctx, certificate.chain) == 1 else {
            SSL_CTX_free(ctx)
            throw ConfigurationError(key: chainKey, "\(chainKey): \(certificate.chain) is not a PEM certificate chain: \(opensslError())")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, certificate.key, Int32(CTLS_FILETYPE_PEM)) == 1 else {
            SSL_CTX_free(ctx)
            throw ConfigurationError(key: keyKey, "\(keyKey): \(certificate.key) is not a PEM private key: \(opensslError())")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            SSL_CTX_free(ctx)
            throw ConfigurationError(key: keyKey, "\(keyKey): \(certificate.key) does not match the certificate in \(certificate.chain)")
        }
        guard ctls_tickets_enable(ctx) == 1 else {
            SSL_CTX_free(ctx)
            throw ConfigurationError(key: "tls.ticket_rotation_s", "tls.ticket_rotation_s: session ticket keys could not be made: \(opensslError())")
        }
        return ctx
    }

    /// A clear message for a file that cannot be read (OpenSSL's says only "system lib").
    static func readable(_ path: String, key: String) throws(ConfigurationError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConfigurationError(key: key, "\(key): cannot read \(path): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    /// The oldest queued OpenSSL error, as text (and the queue cleared).
    static func opensslError() -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { ctls_error_text(UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count) }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Makes a new ticket key current (the previous one still decrypts). The supervisor's
    /// timer calls it every `tls.ticket_rotation_s`; every worker sees it at once.
    public static func rotateTicketKeys() -> Bool { ctls_tickets_rotate() == 1 }

    /// Whether the kernel offers kernel TLS: "tls" among /proc/sys/net/ipv4/tcp_available_ulp
    /// (CONFIG_TLS; TCP_ULP "tls" transmit since Linux 4.13, receive since 4.17). Records are
    /// made in user space either way for now (docs/tls.md, "Kernel TLS"); the worker's
    /// start-up line says which of the two applies.
    static let kernelOffersTLS: Bool = {
        guard let file = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r") else { return false }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), file) != nil else { return false }
        let names = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return names.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("tls")
    }()

    /// The worker's start-up words for its TLS records.
    static var recordsSummary: String {
        let kernel = kernelOffersTLS ? "kernel TLS offload not used yet" : "this kernel has no tls ULP"
        let pool = poolsRecordAllocations ? "" : "; OpenSSL initialised before Ringmaster: a malloc per record"
        return "userspace records: \(kernel)\(pool)"
    }
}
