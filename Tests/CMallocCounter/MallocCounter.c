// Interposes the allocation entry points the Swift runtime and libc use, forwarding to
// glibc's __libc_* implementations, and counts calls made by one tracked thread.
#define _GNU_SOURCE
#include "CMallocCounter.h"
#include <stddef.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <execinfo.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static volatile int tracked_tid = -1;
static uint64_t counted;
static __thread int my_tid;

static int traces_left;
static __thread int in_trace;

static inline void note(void) {
    if (tracked_tid < 0) return;
    if (my_tid == 0) my_tid = (int)syscall(SYS_gettid);
    if (my_tid != tracked_tid) return;
    __atomic_add_fetch(&counted, 1, __ATOMIC_RELAXED);
    if (traces_left > 0 && !in_trace) {
        // Debugging aid: print where the first allocations come from.
        in_trace = 1;
        traces_left--;
        void *frames[24];
        int n = backtrace(frames, 24);
        backtrace_symbols_fd(frames, n, 2);
        write(2, "----\n", 5);
        in_trace = 0;
    }
}

void malloc_counter_trace(int n) { traces_left = n; }

void malloc_counter_track(int tid) { __atomic_store_n(&counted, 0, __ATOMIC_RELAXED); tracked_tid = tid; }
uint64_t malloc_counter_count(void) { return __atomic_load_n(&counted, __ATOMIC_RELAXED); }

void *malloc(size_t n) { note(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { note(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { note(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    note();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
