// CURing: the C shim between Swift and the kernel's io_uring (through Debian's liburing 2.3)
// and libnuma. It holds constants newer than liburing 2.3 and static inline helpers for what
// Swift cannot import (macros, unions, raw syscalls). No policy lives here.
#ifndef CURING_H
#define CURING_H

// System headers first, before liburing.h defines _GNU_SOURCE and _XOPEN_SOURCE: included
// under the same feature macros as Swift's Glibc module, their declarations merge with it
// (otherwise fd_set and __rusage_who differ between modules and Dispatch cannot be imported
// next to this module). GNU-only calls live as wrappers in shim.c, as CNIOLinux does.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <pthread.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>


// The kernel's uapi header first: it and liburing 2.3's copy share one include guard
// (STYLE.md fact 3), so liburing's copy is skipped and every module that includes
// <linux/io_uring.h> (swift-system's CSystem does) sees the same definitions, which clang
// can merge. Debian 12's linux-libc-dev (6.1) has everything liburing 2.3 needs.
#include <linux/io_uring.h>
#include <liburing.h>
#include <numa.h>
#include <numaif.h>

// ---- Macro constants newer than liburing 2.3 (#ifndef works for macros) ----
#ifndef IORING_SETUP_NO_SQARRAY
#define IORING_SETUP_NO_SQARRAY (1U << 16)          // Linux 6.6
#endif
#ifndef IORING_RECVSEND_BUNDLE
#define IORING_RECVSEND_BUNDLE (1U << 4)            // Linux 6.10
#endif
#ifndef IORING_TIMEOUT_MULTISHOT
#define IORING_TIMEOUT_MULTISHOT (1U << 6)          // Linux 6.4
#endif
#ifndef SOCKET_URING_OP_SETSOCKOPT
#define SOCKET_URING_OP_SETSOCKOPT 3                // Linux 6.7
#endif
#ifndef IORING_ASYNC_CANCEL_FD_FIXED
#define IORING_ASYNC_CANCEL_FD_FIXED (1U << 3)      // Linux 6.0
#endif
#ifndef IORING_ASYNC_CANCEL_OP
#define IORING_ASYNC_CANCEL_OP (1U << 5)            // Linux 6.6: match on sqe->len as the opcode
#endif
#ifndef IORING_FEAT_NODROP
#define IORING_FEAT_NODROP (1U << 1)
#endif

// ---- Enum-valued constants newer than liburing 2.3: prefixed, since #ifndef cannot see enum members ----
enum {
    CURING_REGISTER_NAPI = 27,        // IORING_REGISTER_NAPI, Linux 6.9
    CURING_REGISTER_PBUF_STATUS = 26, // IORING_REGISTER_PBUF_STATUS, Linux 6.8
    CURING_OP_FIXED_FD_INSTALL = 54,  // IORING_OP_FIXED_FD_INSTALL, Linux 6.8
};

// ---- Enum-based macros Swift cannot import, as plain values ----
static const uint8_t CURING_IOSQE_FIXED_FILE = IOSQE_FIXED_FILE;
static const uint8_t CURING_IOSQE_IO_LINK = IOSQE_IO_LINK;
static const uint8_t CURING_IOSQE_IO_HARDLINK = IOSQE_IO_HARDLINK;
static const uint8_t CURING_IOSQE_BUFFER_SELECT = IOSQE_BUFFER_SELECT;
static const uint8_t CURING_IOSQE_CQE_SKIP_SUCCESS = IOSQE_CQE_SKIP_SUCCESS;
static const uint32_t CURING_CQE_F_BUFFER = IORING_CQE_F_BUFFER;
static const uint32_t CURING_CQE_F_MORE = IORING_CQE_F_MORE;
static const uint32_t CURING_CQE_BUFFER_SHIFT = IORING_CQE_BUFFER_SHIFT;

// ---- Raw system calls: the ring is set up and driven directly, not through liburing's
// struct io_uring, because liburing 2.3 predates IORING_SETUP_NO_SQARRAY: its setup would
// write the identity SQ array over the ring header when the kernel maps no array. ----

/// io_uring_setup(2).
static inline int curing_setup(unsigned entries, struct io_uring_params *p) {
    int r = (int)syscall(__NR_io_uring_setup, entries, p);
    return r < 0 ? -errno : r;
}

/// io_uring_enter(2) without a signal mask.
static inline int curing_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
    int r = (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, 0);
    return r < 0 ? -errno : r;
}

/// io_uring_register(2).
static inline int curing_register(int fd, unsigned opcode, void *arg, unsigned nr_args) {
    int r = (int)syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
    return r < 0 ? -errno : r;
}

/// Registers a sparse fixed-file table of `nr` slots (IORING_REGISTER_FILES2 with
/// IORING_RSRC_REGISTER_SPARSE, Linux 5.19).
static inline int curing_register_files_sparse(int fd, unsigned nr) {
    struct io_uring_rsrc_register reg;
    memset(&reg, 0, sizeof reg);
    reg.nr = nr;
    reg.flags = IORING_RSRC_REGISTER_SPARSE;
    return curing_register(fd, IORING_REGISTER_FILES2, &reg, sizeof reg);
}

/// Registers the ring's own fd (IORING_REGISTER_RING_FDS, Linux 5.18) so io_uring_enter
/// skips the fd table lookup. Returns the registered index or -errno.
static inline int curing_register_ring_fd(int fd) {
    struct io_uring_rsrc_update up;
    memset(&up, 0, sizeof up);
    up.offset = -1U;
    up.data = (uint64_t)fd;
    int r = curing_register(fd, IORING_REGISTER_RING_FDS, &up, 1);
    return r == 1 ? (int)up.offset : (r < 0 ? r : -EINVAL);
}

/// Registers a provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19).
static inline int curing_register_buf_ring(int fd, void *ring, unsigned entries, unsigned short bgid) {
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)ring;
    reg.ring_entries = entries;
    reg.bgid = bgid;
    return curing_register(fd, IORING_REGISTER_PBUF_RING, &reg, 1);
}

/// Asks the kernel which opcodes it supports (IORING_REGISTER_PROBE, Linux 5.6).
/// Returns 1 when `op` is supported, 0 when not, -errno when the probe itself failed.
static inline int curing_probe_op(int fd, unsigned op) {
    size_t len = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
    struct io_uring_probe *probe = (struct io_uring_probe *)calloc(1, len);
    if (!probe) return -ENOMEM;
    int r = curing_register(fd, IORING_REGISTER_PROBE, probe, 256);
    int ok = r < 0 ? r : (op <= probe->last_op && (probe->ops[op].flags & IO_URING_OP_SUPPORTED)) ? 1 : 0;
    free(probe);
    return ok;
}

// ---- SQE preparation helpers for what liburing 2.3 lacks ----

/// IORING_OP_URING_CMD with SOCKET_URING_OP_SETSOCKOPT (Linux 6.7; liburing 2.5's
/// io_uring_prep_cmd_sock). liburing 2.3's struct has no level/optname/optval/optlen names,
/// so the fields are written at their uapi offsets: cmd_op over `off`, level and optname over
/// `addr`, optlen over `file_index`, optval over `addr3`.
static inline void curing_prep_setsockopt(struct io_uring_sqe *sqe, int fd, int level, int optname,
                                          const void *optval, unsigned optlen) {
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = IORING_OP_URING_CMD;
    sqe->fd = fd;
    sqe->cmd_op = SOCKET_URING_OP_SETSOCKOPT;
    sqe->addr = ((uint64_t)(uint32_t)optname << 32) | (uint32_t)level;
    sqe->file_index = optlen;
    sqe->addr3 = (uint64_t)(uintptr_t)optval;
}

/// Sets the buffer group on a buffer-select SQE (a packed union Swift cannot assign).
static inline void curing_sqe_set_buf_group(struct io_uring_sqe *sqe, unsigned short group) {
    sqe->buf_group = group;
}

/// A classic BPF instruction, laid out as `struct sock_filter` (linux/filter.h). Declared
/// here rather than including linux/filter.h, whose kernel types clash with Glibc's socket
/// enums in Swift's module merge.
typedef struct {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
} curing_sock_filter;

/// Attaches a classic BPF program to a reuseport group (SO_ATTACH_REUSEPORT_CBPF, Linux 4.5),
/// passing a `struct sock_fprog`. Returns 0 or -errno.
static inline int curing_attach_reuseport_cbpf(int fd, curing_sock_filter *code, unsigned short len) {
    struct { unsigned short len; curing_sock_filter *filter; } program = { len, code };
    return setsockopt(fd, SOL_SOCKET, 51 /* SO_ATTACH_REUSEPORT_CBPF */, &program, sizeof program) == 0 ? 0 : -errno;
}

/// Registers NAPI busy polling for the ring's sockets (IORING_REGISTER_NAPI, Linux 6.9) with
/// `struct io_uring_napi` { busy_poll_to, prefer_busy_poll, pad[3], resv }, which liburing 2.3
/// lacks. Returns 0 or -errno.
static inline int curing_register_napi(int fd, unsigned busy_poll_us, unsigned char prefer_busy_poll) {
    struct { uint32_t busy_poll_to; uint8_t prefer_busy_poll; uint8_t pad[3]; uint64_t resv; } napi;
    memset(&napi, 0, sizeof napi);
    napi.busy_poll_to = busy_poll_us;
    napi.prefer_busy_poll = prefer_busy_poll;
    int r = curing_register(fd, CURING_REGISTER_NAPI, &napi, 1);
    return r < 0 ? r : 0;
}


// ---- Threads, CPUs, signals: macros and varargs Swift cannot call ----

/// The calling thread's kernel thread id (gettid(2)).
// ---- Large bodies by sendfile (docs/files.md, "Large files by sendfile") ----

/// IORING_OP_FIXED_FD_INSTALL (Linux 6.8; io_uring_prep_fixed_fd_install is liburing 2.6+):
/// installs a regular descriptor for fixed descriptor `slot` (the same open file, so flags
/// set on it are the socket's), O_CLOEXEC unless IORING_FIXED_FD_NO_CLOEXEC. The CQE's result
/// is the new descriptor. The kernel requires IOSQE_FIXED_FILE and every other field zero.
static inline void curing_prep_fixed_fd_install(struct io_uring_sqe *sqe, int slot) {
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = CURING_OP_FIXED_FD_INSTALL;
    sqe->fd = slot;
    sqe->flags = IOSQE_FIXED_FILE;
}

/// cachestat(2) (Linux 6.5, syscall 451; glibc 2.36 has no wrapper): how many pages of
/// [offset, offset + length) of `fd` are in the page cache. Returns the count or -errno.
/// Pages still being read count as cached, hence the RWF_NOWAIT probe beside it.
static inline long long curing_cached_pages(int fd, unsigned long long offset, unsigned long long length) {
    struct { unsigned long long off, len; } range = {offset, length};
    struct { unsigned long long nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; } stat;
    long r = syscall(451, fd, &range, &stat, 0);
    return r < 0 ? -errno : (long long)stat.nr_cache;
}

/// preadv2(2) of one byte at `offset` with RWF_NOWAIT (Linux 4.14 for regular files):
/// 1 when that page is in the page cache and up to date, -EAGAIN when reading it would block
/// (not cached, or still under read), 0 at end of file, else -errno. (x86-64 and AArch64:
/// the whole offset travels in pos_l.)
static inline int curing_probe_cached_byte(int fd, long long offset) {
    unsigned char byte;
    struct iovec iov = {&byte, 1};
    long r = syscall(SYS_preadv2, fd, &iov, 1, (long)offset, 0L, 0x00000008 /* RWF_NOWAIT */);
    return r < 0 ? -errno : (int)r;
}

/// sendfile(2) of up to `count` bytes of `file` at *offset to the socket `out` (non-blocking
/// when `out` is O_NONBLOCK). Returns the bytes sent or -errno.
static inline long curing_sendfile(int out, int file, long long *offset, unsigned long count) {
    long r = syscall(SYS_sendfile, out, file, offset, count);
    return r < 0 ? -errno : r;
}

/// Blocks SIGPIPE in the calling thread: sendfile(2) has no MSG_NOSIGNAL, so a write to a
/// reset connection would otherwise kill the process; blocked, it stays pending on this thread
/// and the call returns EPIPE. Per thread, so an embedding program's disposition is untouched.
static inline int curing_block_broken_pipe(void) {
    sigset_t set; sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

// openat2(2) (Linux 5.6), which glibc 2.36 does not wrap. `resolve` takes RESOLVE_* bits:
// RESOLVE_BENEATH refuses any path, `..` or symlink (absolute or relative) that would leave
// `dirfd`; RESOLVE_NO_SYMLINKS refuses symlinks altogether; RESOLVE_NO_MAGICLINKS refuses
// /proc-style links. Returns the descriptor or -errno.
#include <linux/openat2.h>
// O_PATH (Linux 2.6.39) is GNU-only in glibc's <fcntl.h>, which this header includes without
// _GNU_SOURCE (see above); its value is the kernel's uapi one.
static const int CURING_O_PATH = 010000000;
static inline int curing_openat2(int dirfd, const char *path, int flags, unsigned long long resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)flags;
    how.resolve = resolve;
    long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    return r < 0 ? -errno : (int)r;
}

static inline int curing_gettid(void) { return (int)syscall(SYS_gettid); }

/* The CPU's constant-rate counter (x86-64 TSC, AArch64 CNTVCT_EL0), for timing requests at a
   few nanoseconds a read instead of a vDSO clock_gettime call; elsewhere CLOCK_MONOTONIC in ns.
   Whether it may be used, and its rate, are decided (and calibrated) in Swift. */
static inline uint64_t curing_cycles(void) {
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    uint64_t value;
    __asm__ volatile("mrs %0, cntvct_el0" : "=r"(value));
    return value;
#else
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
#endif
}

/* getdents64(2) through syscall(2), which Swift cannot call (variadic): lists a directory
   into caller memory without opendir's heap allocation (/metrics counts /proc/self/fd). */
static inline long curing_getdents64(int fd, void *buffer, size_t length) {
    return syscall(SYS_getdents64, fd, buffer, length);
}

/// Pins the calling thread to exactly `cpu` (pthread_setaffinity_np). Returns 0 or an errno.
int curing_pin_self(int cpu);

/// Fills `out` (capacity `cap`) with the CPUs this process may run on (sched_getaffinity).
/// Returns the count, or -errno.
int curing_allowed_cpus(int *out, int cap);

/// Blocks SIGINT, SIGTERM, SIGQUIT and SIGHUP in the calling thread (and so in every thread it
/// creates afterwards), for Dispatch signal sources to receive them (STYLE.md fact 5).
static inline int curing_block_shutdown_signals(void) {
    sigset_t set; sigemptyset(&set);
    sigaddset(&set, SIGINT); sigaddset(&set, SIGTERM); sigaddset(&set, SIGQUIT); sigaddset(&set, SIGHUP);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/// Names the calling thread (pthread_setname_np; at most 15 bytes).
int curing_name_self(const char *name);

/// The NUMA node that holds the page at `addr` (get_mempolicy with MPOL_F_NODE | MPOL_F_ADDR),
/// or -errno.
static inline int curing_node_of_address(void *addr) {
    int node = -1;
    if (get_mempolicy(&node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR) != 0) return -errno;
    return node;
}

#endif
