// The cipher suites a handshake can end on, for `ringmaster_tls_ciphers_total{cipher}`: the
// suites of Mozilla's intermediate profile (TLSSettings.intermediateCiphers) and OpenSSL's
// three TLS 1.3 suites, by IANA code, with one `other` for a suite a custom `tls.ciphers`
// admits. A fixed table, so neither counting nor a scrape allocates.
import RingmasterHTTP

enum TLSCipher {
    /// (IANA code, OpenSSL name, counter); the last row counts every other suite.
    static let table: [(code: UInt16, name: StaticString, counter: WorkerCounter)] = [
        (0x1301, "TLS_AES_128_GCM_SHA256", .tlsCipherAES128GCM13),
        (0x1302, "TLS_AES_256_GCM_SHA384", .tlsCipherAES256GCM13),
        (0x1303, "TLS_CHACHA20_POLY1305_SHA256", .tlsCipherChaCha13),
        (0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", .tlsCipherECDSAAES128GCM),
        (0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", .tlsCipherECDSAAES256GCM),
        (0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", .tlsCipherECDSAChaCha),
        (0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", .tlsCipherRSAAES128GCM),
        (0xC030, "ECDHE-RSA-AES256-GCM-SHA384", .tlsCipherRSAAES256GCM),
        (0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", .tlsCipherRSAChaCha),
        (0x009E, "DHE-RSA-AES128-GCM-SHA256", .tlsCipherDHEAES128GCM),
        (0x009F, "DHE-RSA-AES256-GCM-SHA384", .tlsCipherDHEAES256GCM),
        (0xCCAA, "DHE-RSA-CHACHA20-POLY1305", .tlsCipherDHEChaCha),
        (0, "other", .tlsCipherOther),
    ]

    /// The counter for the suite with IANA code `code` (SSL_CIPHER_get_protocol_id): a scan
    /// of the table, once per handshake.
    static func counter(code: UInt16) -> WorkerCounter {
        var row = 0
        while row < table.count - 1 {
            if table[row].code == code { return table[row].counter }
            row += 1
        }
        return .tlsCipherOther
    }
}
