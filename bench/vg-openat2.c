// vg-openat2: an LD_PRELOAD library for bench/count.sh's callgrind runs only. valgrind 3.19
// does not know openat2(2) (syscall 437, Linux 5.6) and fails it with ENOSYS, so every file
// answer would be a 500 under valgrind. This replaces libc's syscall() and turns openat2
// into openat with the same flags (the RESOLVE_* bits are dropped: the benchmark's paths
// stay inside the root anyway); every other call is passed through unchanged. It adds a
// few dozen instructions per open, which the counts include. Never use it outside valgrind.
//   cc -O2 -shared -fPIC -o vg-openat2.so vg-openat2.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/syscall.h>

long syscall(long number, ...) {
    static long (*next)(long, ...);
    if (!next) next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_openat2) {
        const struct open_how *how = (const struct open_how *)a[2];
        return openat((int)a[0], (const char *)a[1], (int)how->flags, (mode_t)how->mode);
    }
    return next(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
