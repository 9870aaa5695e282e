// CTLS: the C shim between Swift and OpenSSL 3 (Debian 12's libssl-dev). It holds what Swift
// cannot import (function-like macros, callbacks OpenSSL calls) and the memory BIO the worker
// feeds: OpenSSL reads ciphertext from the receive buffer the ring filled and writes records
// into the connection's cipher chunk; it never sees a socket. No policy lives here: which
// certificate, protocols and ciphers is decided in Swift (Sources/Ringmaster/TLS).
#ifndef CTLS_H
#define CTLS_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/// Where one session's BIO reads and writes: `in` is ciphertext the ring received (OpenSSL
/// takes from `in_used` up to `in_len`), `out` the cipher chunk records are appended to (from
/// `out_len` up to `out_cap`). The worker points them at its buffers before each call.
typedef struct ctls_io {
    const unsigned char *in;
    size_t in_len;
    size_t in_used;
    unsigned char *out;
    size_t out_cap;
    size_t out_len;
} ctls_io;

/// A server session reading and writing through `io` (SSL_new, a BIO of ours, accept state).
/// NULL when OpenSSL is out of memory.
SSL *ctls_session_new(SSL_CTX *ctx, ctls_io *io);

/// TLS 1.2/1.3 server context settings behind OpenSSL macros: minimum protocol
/// (TLS1_2_VERSION or TLS1_3_VERSION), options (no compression, no renegotiation, tickets on),
/// partial writes, one TLS 1.3 ticket per handshake, automatic DH parameters. 1 on success.
int ctls_ctx_configure(SSL_CTX *ctx, int min_version);

/// Chooses among `count` contexts by SNI: the first whose certificate matches the client's
/// server name (X509_check_host, wildcards per RFC 6125), else the first. ALPN selects
/// `http/1.1` and fails the handshake (no_application_protocol, RFC 7301 §3.2) when the client
/// offers only others. The first context keeps references to the others (freed with it);
/// `contexts[0]` must be `first`. 1 on success.
int ctls_ctx_select(SSL_CTX *first, SSL_CTX *const *contexts, int count);

/// The text of the oldest queued OpenSSL error (and clears the queue), for log lines.
void ctls_error_text(char *buffer, size_t length);

/// SSL_CTX_set_tlsext_ticket_key_evp_cb with keys shared by every worker (the contexts are
/// shared) and rotated by `ctls_tickets_rotate`: new tickets use the current key, the
/// previous key still decrypts (renewing the ticket).
int ctls_tickets_enable(SSL_CTX *ctx);
/// Makes a new current key (the supervisor's thread calls it); 0 when RAND_bytes failed.
int ctls_tickets_rotate(void);

static inline long ctls_session_reused(SSL *ssl) { return SSL_session_reused(ssl); }
static inline int ctls_version(SSL *ssl) { return SSL_version(ssl); }
/// The negotiated suite's IANA code (SSL_CIPHER_get_protocol_id), 0 before a handshake.
static inline uint16_t ctls_cipher_code(SSL *ssl) {
    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
    return cipher == NULL ? 0 : SSL_CIPHER_get_protocol_id(cipher);
}

enum {
    CTLS_ERROR_NONE = SSL_ERROR_NONE,
    CTLS_ERROR_SSL = SSL_ERROR_SSL,
    CTLS_ERROR_WANT_READ = SSL_ERROR_WANT_READ,
    CTLS_ERROR_WANT_WRITE = SSL_ERROR_WANT_WRITE,
    CTLS_ERROR_SYSCALL = SSL_ERROR_SYSCALL,
    CTLS_ERROR_ZERO_RETURN = SSL_ERROR_ZERO_RETURN,
    CTLS_TLS1_2_VERSION = TLS1_2_VERSION,
    CTLS_TLS1_3_VERSION = TLS1_3_VERSION,
    CTLS_FILETYPE_PEM = SSL_FILETYPE_PEM,
};

/// 1 when OpenSSL allocates through allocator.c's per-thread free list for small blocks (no
/// malloc per record once warm); 0 when CRYPTO_set_mem_functions refused because something
/// allocated through OpenSSL before this library was loaded.
int ctls_allocator_installed(void);

#endif
