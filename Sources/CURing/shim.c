// GNU-only calls, compiled with _GNU_SOURCE here so the header Swift imports stays free of
// it (see CURing.h). Everything else is static inline in CURing.h.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include "CURing.h"

int curing_pin_self(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int curing_allowed_cpus(int *out, int cap) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -errno;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < cap; c++)
        if (CPU_ISSET(c, &set)) out[n++] = c;
    return n;
}

int curing_name_self(const char *name) { return pthread_setname_np(pthread_self(), name); }
