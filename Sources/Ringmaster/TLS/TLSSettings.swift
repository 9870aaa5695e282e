// The `tls.*` keys: which certificates a TLS listener serves, which protocols and ciphers it
// accepts, how long a handshake may take and how often session ticket keys rotate. Plain data,
// checked by ConfigurationLoader; TLSContext turns it into OpenSSL contexts.

/// The lowest TLS version a listener accepts (`tls.protocols`).
public enum TLSProtocols: String, CaseIterable, Sendable {
    /// TLS 1.2 and 1.3: Mozilla's "intermediate" profile, what nginx and h2o default to.
    case tls12 = "tls1.2"
    /// TLS 1.3 only: Mozilla's "modern" profile.
    case tls13 = "tls1.3"
}

/// What the plain-HTTP port beside a TLS listener answers (`tls.plain`).
public enum TLSPlainAnswer: String, CaseIterable, Sendable {
    /// Every request: 301 (GET, HEAD) or 308 (others, which keep their method and body) to
    /// the same host and target over https, as nginx's `return 301 https://$host$request_uri`.
    case redirect
    /// The same routes as the TLS listener, in plain HTTP (an internal health check, a
    /// load balancer that terminates TLS itself on some paths).
    case serve
}

/// One certificate chain and its private key, both PEM files.
public struct TLSCertificate: Sendable, Equatable {
    public var chain: String
    public var key: String

    public init(chain: String, key: String) {
        self.chain = chain
        self.key = key
    }
}

/// What the TLS listener serves. Off unless `tls.certificate` is set.
public struct TLSSettings: Sendable, Equatable {
    /// Mozilla "intermediate" (v5.7) TLS 1.2 suites, all with forward secrecy and AEAD; TLS 1.3
    /// suites are OpenSSL's defaults (all three are AEAD).
    public static let intermediateCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
        + "ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"

    /// `tls.certificate`: the default certificate chain (PEM), served when SNI names no other.
    public var certificate: String? = nil
    /// `tls.key`: its private key (PEM).
    public var key: String? = nil
    /// `tls.more_certificates`: "CHAIN:KEY,CHAIN:KEY": further certificates SNI chooses among
    /// by the names they carry.
    public var more: [TLSCertificate] = []
    public var protocols: TLSProtocols = .tls12
    /// `tls.ciphers`: the TLS 1.2 cipher list (OpenSSL syntax).
    public var ciphers = TLSSettings.intermediateCiphers
    /// `tls.ticket_rotation_s`: a ticket key encrypts for this long and decrypts for twice it.
    public var ticketRotationSeconds = 43_200
    /// `tls.plain_port`: a plain-HTTP port on `listen.host` beside the TLS one (0: ephemeral);
    /// nil: none.
    public var plainPort: Int? = nil
    /// `tls.plain`: what that port answers.
    public var plainAnswer: TLSPlainAnswer = .redirect

    public init() {}

    /// Whether the listener speaks TLS.
    public var enabled: Bool { certificate != nil }

    /// Every certificate, the default first.
    public var certificates: [TLSCertificate] {
        guard let certificate else { return [] }
        return [TLSCertificate(chain: certificate, key: key ?? certificate)] + more
    }

    /// Parses "CHAIN:KEY,CHAIN:KEY" (nil when an entry is not a pair of non-empty paths).
    static func parseMore(_ text: String) -> [TLSCertificate]? {
        if text.isEmpty { return [] }
        var result: [TLSCertificate] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
            result.append(TLSCertificate(chain: String(parts[0]), key: String(parts[1])))
        }
        return result
    }
}
