// OpenSSL's allocator for Ringmaster: small blocks come from a per-thread free list.
//
// Why: OpenSSL 3.0 mallocs and frees a 40-byte WPACKET_SUB for every record it writes and
// for every TLS 1.3 record it decrypts (WPACKET_init_static_len builds the record header and
// the AEAD's additional data; ssl/packet.c). That is a malloc per request on the worker's hot
// path, which Ringmaster's rule forbids (AllocationTests counts every malloc). Blocks up to
// CTLS_SMALL bytes freed by a thread are kept on that thread's list (at most CTLS_CACHED) and
// handed back by its next small allocation: no lock, no malloc once warm. Larger blocks (record
// buffers, allocated once per connection) go straight to libc.
//
// Every block carries a 16-byte header with its requested size, so free and realloc know a
// small block (capacity CTLS_SMALL) from a large one; the header keeps malloc's 16-byte
// alignment. Installed by a load-time constructor, before OpenSSL can allocate anything:
// CRYPTO_set_mem_functions refuses once the first allocation happened (crypto/mem.c), and then
// OpenSSL keeps libc's malloc (ctls_allocator_installed() says which).
#include "CTLS.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CTLS_SMALL 64
#define CTLS_CACHED 256

typedef struct ctls_block {
    size_t size;              // the size asked for; <= CTLS_SMALL means capacity CTLS_SMALL
    struct ctls_block *next;  // the free list's link, while cached
} ctls_block;

static __thread ctls_block *ctls_cache;
static __thread unsigned ctls_cached;
static __thread int ctls_registered;
static int ctls_installed;
// Its destructor frees a thread's cached blocks when the thread ends (a server's workers
// come and go in a program that starts and stops servers, as the test suite does).
static pthread_key_t ctls_cache_key;
static int ctls_key_ready;

static void ctls_release_cache(void *unused) {
    (void)unused;
    while (ctls_cache != NULL) {
        ctls_block *next = ctls_cache->next;
        free(ctls_cache);
        ctls_cache = next;
    }
    ctls_cached = 0;
}

static void *ctls_malloc(size_t size, const char *file, int line) {
    (void)file; (void)line;
    ctls_block *block;
    if (size <= CTLS_SMALL) {
        if ((block = ctls_cache) != NULL) {
            ctls_cache = block->next;
            ctls_cached--;
        } else if ((block = malloc(sizeof(ctls_block) + CTLS_SMALL)) == NULL) {
            return NULL;
        }
    } else if (size > SIZE_MAX - sizeof(ctls_block) || (block = malloc(sizeof(ctls_block) + size)) == NULL) {
        return NULL;
    }
    block->size = size;
    return block + 1;
}

static void ctls_free(void *pointer, const char *file, int line) {
    (void)file; (void)line;
    if (pointer == NULL) return;
    ctls_block *block = (ctls_block *)pointer - 1;
    if (block->size <= CTLS_SMALL && ctls_cached < CTLS_CACHED) {
        if (!ctls_registered && ctls_key_ready) {
            // Any non-NULL value makes the destructor run at this thread's exit.
            pthread_setspecific(ctls_cache_key, (void *)1);
            ctls_registered = 1;
        }
        block->next = ctls_cache;
        ctls_cache = block;
        ctls_cached++;
        return;
    }
    free(block);
}

static void *ctls_realloc(void *pointer, size_t size, const char *file, int line) {
    if (pointer == NULL) return ctls_malloc(size, file, line);
    if (size == 0) { ctls_free(pointer, file, line); return NULL; }
    ctls_block *block = (ctls_block *)pointer - 1;
    if (block->size <= CTLS_SMALL && size <= CTLS_SMALL) {
        block->size = size;  // still fits its capacity
        return pointer;
    }
    if (block->size > CTLS_SMALL && size > CTLS_SMALL) {
        if (size > SIZE_MAX - sizeof(ctls_block)) return NULL;
        ctls_block *moved = realloc(block, sizeof(ctls_block) + size);
        if (moved == NULL) return NULL;
        moved->size = size;
        return moved + 1;
    }
    void *fresh = ctls_malloc(size, file, line);
    if (fresh == NULL) return NULL;
    memcpy(fresh, pointer, block->size < size ? block->size : size);
    ctls_free(pointer, file, line);
    return fresh;
}

__attribute__((constructor)) static void ctls_install_allocator(void) {
    ctls_key_ready = pthread_key_create(&ctls_cache_key, ctls_release_cache) == 0;
    ctls_installed = CRYPTO_set_mem_functions(ctls_malloc, ctls_realloc, ctls_free);
}

int ctls_allocator_installed(void) { return ctls_installed; }
