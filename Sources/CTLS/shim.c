// The OpenSSL side of Ringmaster's TLS: a BIO over the worker's buffers, SNI and ALPN
// callbacks, and session ticket keys every worker shares (CTLS.h says what each does).
#include "CTLS.h"
#include <stdatomic.h>
#include <string.h>
#include <stdio.h>
#include <pthread.h>
#include <openssl/rand.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

// ---- The BIO: reads from ctls_io.in, appends to ctls_io.out ----

static int ctls_bio_read(BIO *bio, char *data, int length) {
    ctls_io *io = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    size_t available = io->in_len - io->in_used;
    if (available == 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    size_t n = (size_t)length < available ? (size_t)length : available;
    memcpy(data, io->in + io->in_used, n);
    io->in_used += n;
    return (int)n;
}

static int ctls_bio_write(BIO *bio, const char *data, int length) {
    ctls_io *io = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    size_t room = io->out == NULL ? 0 : io->out_cap - io->out_len;
    if (room == 0) {
        BIO_set_retry_write(bio);
        return -1;
    }
    size_t n = (size_t)length < room ? (size_t)length : room;
    memcpy(io->out + io->out_len, data, n);
    io->out_len += n;
    return (int)n;
}

static long ctls_bio_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)bio; (void)number; (void)pointer;
    // FLUSH succeeds (the worker sends what was appended); PENDING and WPENDING are 0
    // because nothing is buffered here; everything else is unsupported.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

static int ctls_bio_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

static BIO_METHOD *ctls_method;
static pthread_once_t ctls_method_once = PTHREAD_ONCE_INIT;

static void ctls_method_make(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringmaster ring buffers");
    if (m == NULL) return;
    BIO_meth_set_read(m, ctls_bio_read);
    BIO_meth_set_write(m, ctls_bio_write);
    BIO_meth_set_ctrl(m, ctls_bio_ctrl);
    BIO_meth_set_create(m, ctls_bio_create);
    ctls_method = m;
}

SSL *ctls_session_new(SSL_CTX *ctx, ctls_io *io) {
    pthread_once(&ctls_method_once, ctls_method_make);
    if (ctls_method == NULL) return NULL;
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL) return NULL;
    BIO *bio = BIO_new(ctls_method);
    if (bio == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    BIO_set_data(bio, io);
    // One BIO both ways: SSL_set_bio takes the two references it needs.
    BIO_up_ref(bio);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_accept_state(ssl);
    return ssl;
}

// ---- Context settings ----

int ctls_ctx_configure(SSL_CTX *ctx, int min_version) {
    if (!SSL_CTX_set_min_proto_version(ctx, min_version)) return 0;
    // The server's cipher order (the list's order: AES-GCM first), except that a client
    // listing ChaCha20 first (no AES hardware: phones) gets it (SSL_OP_PRIORITIZE_CHACHA,
    // OpenSSL 1.1.1). Without an order of its own testssl.sh rates the server HIGH.
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                        | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
    // Partial writes: SSL_write returns after the records that fit (the worker sizes its
    // writes so they all fit); a moving buffer: a retried write may come from another address.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Tickets carry the session (stateless), so no server-side cache and its lock.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_dh_auto(ctx, 1);
    return 1;
}

// ---- SNI and ALPN ----

// The contexts SNI chooses among, owned by the first context (ex_data, freed with it; each
// other context is held by a reference).
typedef struct ctls_choice {
    int count;
    SSL_CTX *contexts[];
} ctls_choice;

static void ctls_choice_free(void *parent, void *pointer, CRYPTO_EX_DATA *data, int index, long argl, void *argp) {
    (void)parent; (void)data; (void)index; (void)argl; (void)argp;
    ctls_choice *choice = pointer;
    if (choice == NULL) return;
    for (int i = 1; i < choice->count; i++) SSL_CTX_free(choice->contexts[i]);
    OPENSSL_free(choice);
}

static int ctls_choice_index = -1;
static pthread_once_t ctls_choice_once = PTHREAD_ONCE_INIT;

static void ctls_choice_index_make(void) {
    ctls_choice_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ctls_choice_free);
}

static int ctls_servername(SSL *ssl, int *alert, void *argument) {
    (void)alert;
    const ctls_choice *choice = argument;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == NULL) return SSL_TLSEXT_ERR_OK;
    for (int i = 0; i < choice->count; i++) {
        X509 *certificate = SSL_CTX_get0_certificate(choice->contexts[i]);
        if (certificate != NULL && X509_check_host(certificate, name, 0, 0, NULL) == 1) {
            if (i > 0) SSL_set_SSL_CTX(ssl, choice->contexts[i]);
            return SSL_TLSEXT_ERR_OK;
        }
    }
    // No certificate names it: the first one answers, as nginx's default server does.
    return SSL_TLSEXT_ERR_OK;
}

static const unsigned char ctls_http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

static int ctls_alpn(SSL *ssl, const unsigned char **out, unsigned char *out_length,
                     const unsigned char *in, unsigned int in_length, void *argument) {
    (void)ssl; (void)argument;
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, out_length, ctls_http11, sizeof ctls_http11, in, in_length) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

int ctls_ctx_select(SSL_CTX *first, SSL_CTX *const *contexts, int count) {
    pthread_once(&ctls_choice_once, ctls_choice_index_make);
    if (ctls_choice_index < 0 || count < 1 || contexts[0] != first) return 0;
    ctls_choice *choice = OPENSSL_malloc(sizeof *choice + (size_t)count * sizeof(SSL_CTX *));
    if (choice == NULL) return 0;
    choice->count = count;
    for (int i = 0; i < count; i++) {
        choice->contexts[i] = contexts[i];
        if (i > 0) SSL_CTX_up_ref(contexts[i]);
        SSL_CTX_set_alpn_select_cb(contexts[i], ctls_alpn, NULL);
    }
    if (!SSL_CTX_set_ex_data(first, ctls_choice_index, choice)) {
        ctls_choice_free(NULL, choice, NULL, 0, 0, NULL);
        return 0;
    }
    SSL_CTX_set_tlsext_servername_callback(first, ctls_servername);
    SSL_CTX_set_tlsext_servername_arg(first, choice);
    return 1;
}

void ctls_error_text(char *buffer, size_t length) {
    unsigned long code = ERR_get_error();
    if (code == 0) {
        snprintf(buffer, length, "no OpenSSL error queued");
    } else {
        ERR_error_string_n(code, buffer, length);
    }
    ERR_clear_error();
}

// ---- Session ticket keys, shared by every context and worker ----
//
// Three slots in a ring: `current` encrypts, the one before it still decrypts. Rotation fills
// the slot after `current` (which no reader uses) and then publishes it with a release store,
// so a worker that loaded the old index keeps reading two slots nobody is writing.

typedef struct ctls_ticket_key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
} ctls_ticket_key;

static ctls_ticket_key ctls_keys[3];
static atomic_int ctls_current_key = -1;

int ctls_tickets_rotate(void) {
    int current = atomic_load_explicit(&ctls_current_key, memory_order_acquire);
    int next = current < 0 ? 0 : (current + 1) % 3;
    ctls_ticket_key *key = &ctls_keys[next];
    if (RAND_bytes(key->name, sizeof key->name) != 1 || RAND_bytes(key->aes, sizeof key->aes) != 1
        || RAND_bytes(key->hmac, sizeof key->hmac) != 1) {
        return 0;
    }
    if (current < 0) {
        // The first key has no predecessor: the previous slot gets a key nobody can match.
        RAND_bytes(ctls_keys[2].name, sizeof ctls_keys[2].name);
        RAND_bytes(ctls_keys[2].aes, sizeof ctls_keys[2].aes);
        RAND_bytes(ctls_keys[2].hmac, sizeof ctls_keys[2].hmac);
    }
    atomic_store_explicit(&ctls_current_key, next, memory_order_release);
    return 1;
}

static int ctls_ticket_key_set(const ctls_ticket_key *key, unsigned char *iv, EVP_CIPHER_CTX *cipher,
                               EVP_MAC_CTX *mac, int encrypt) {
    OSSL_PARAM parameters[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)key->hmac, sizeof key->hmac),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    if (!EVP_MAC_CTX_set_params(mac, parameters)) return 0;
    return encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, key->aes, iv)
                   : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, key->aes, iv);
}

static int ctls_ticket(SSL *ssl, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *cipher,
                       EVP_MAC_CTX *mac, int encrypt) {
    (void)ssl;
    int current = atomic_load_explicit(&ctls_current_key, memory_order_acquire);
    if (current < 0) return encrypt ? -1 : 0;
    if (encrypt) {
        const ctls_ticket_key *key = &ctls_keys[current];
        if (RAND_bytes(iv, EVP_CIPHER_iv_length(EVP_aes_256_cbc())) != 1) return -1;
        memcpy(name, key->name, sizeof key->name);
        return ctls_ticket_key_set(key, iv, cipher, mac, 1) ? 1 : -1;
    }
    int previous = (current + 2) % 3;
    if (memcmp(name, ctls_keys[current].name, 16) == 0) {
        return ctls_ticket_key_set(&ctls_keys[current], iv, cipher, mac, 0) ? 1 : -1;
    }
    if (memcmp(name, ctls_keys[previous].name, 16) == 0) {
        // 2: valid, and OpenSSL issues a fresh ticket under the current key.
        return ctls_ticket_key_set(&ctls_keys[previous], iv, cipher, mac, 0) ? 2 : -1;
    }
    // An unknown key (expired, or another server's): a full handshake.
    return 0;
}

int ctls_tickets_enable(SSL_CTX *ctx) {
    if (atomic_load_explicit(&ctls_current_key, memory_order_acquire) < 0 && !ctls_tickets_rotate()) return 0;
    return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ctls_ticket) == 1;
}
