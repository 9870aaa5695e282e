// large-body-routes: the experiment behind issue 15 item 1 (docs/benchmarks.md, "Large
// bodies"). A minimal HTTP/1.1 responder that answers every GET on a keep-alive connection
// with the same file, its body sent one of four ways, so the routes can be compared by the
// server's CPU per response and by what the kernel had to do (perf stat -p on this process):
//   copy      pread 64 KiB into a buffer, send it (what Ringmaster's body streams do, as
//             syscalls instead of IORING_OP_READ + IORING_OP_SEND: two copies)
//   uring     IORING_OP_READ + IORING_OP_SEND of 64 KiB, linked (the ring version of copy)
//   sendfile  sendfile(2) on a non-blocking socket, POLLOUT between calls (route 1: a
//             regular descriptor, as IORING_OP_FIXED_FD_INSTALL would give a direct one)
//   splice    IORING_OP_SPLICE file -> pipe -> socket, 64 KiB, linked (route 2)
//   install   route 1 as Ringmaster would run it: the connection accepted into a direct
//             descriptor, the request received and the head sent through the ring on it,
//             IORING_OP_FIXED_FD_INSTALL (Linux 6.8) once per connection for a regular fd,
//             O_NONBLOCK on it, the body by sendfile(2) in 256 KiB pieces with a ring
//             POLL_ADD (POLLOUT) when the socket is full. Before each piece cachestat(2)
//             (Linux 6.5) says whether its pages are cached; a piece that is not goes
//             through IORING_OP_READ + SEND instead (the page cache's async buffered read,
//             no io-wq), so a cold file never blocks the thread.
// With -c (cold) the file is dropped from the page cache (posix_fadvise DONTNEED) before
// every response and the time the worker thread spends blocked is reported. One connection
// at a time; exits after N responses and prints
//   ROUTE mode=M responses=N cpu_us_per_resp=F user_us=F sys_us=F blocked_us_per_resp=F
//   large-body-routes PORT FILE MODE N [-c]        (cc -O2 -o lbr large-body-routes.c -luring)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct io_uring ring;
static char buffer[65536];
static double blocked_us;

#define OP_FIXED_FD_INSTALL 54 /* IORING_OP_FIXED_FD_INSTALL, Linux 6.8; liburing 2.3 predates it */
#define NR_cachestat 451       /* cachestat(2), Linux 6.5; glibc 2.36 has no wrapper */
struct cachestat_range { unsigned long long off, len; };
struct cachestat { unsigned long long nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };
static int slot_mode;          /* install: the connection is direct descriptor 0 */
static double ring_pieces, sendfile_pieces;

static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }

static int wait_one(void) {
    struct io_uring_cqe *cqe;
    if (io_uring_wait_cqe(&ring, &cqe) < 0) return -1;
    int res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    return res;
}

static int wait_all(int n);

/* install: the body by sendfile on `fd` (O_NONBLOCK), or by the ring for uncached pieces. */
static int send_installed(int fd, int file, off_t size) {
    off_t off = 0;
    while (off < size) {
        off_t piece = size - off < (1 << 18) ? size - off : (1 << 18);
        struct cachestat_range range = {(unsigned long long)off, (unsigned long long)piece};
        struct cachestat cs;
        double t = now_us();
        long r = syscall(NR_cachestat, file, &range, &cs, 0);
        blocked_us += now_us() - t;
        long pages = (piece + 4095) / 4096;
        if (r == 0 && (long)cs.nr_cache < pages) {
            ring_pieces++;
            for (off_t end = off + piece; off < end;) {
                unsigned n = end - off < (off_t)sizeof buffer ? (unsigned)(end - off) : sizeof buffer;
                struct io_uring_sqe *rd = io_uring_get_sqe(&ring);
                io_uring_prep_read(rd, file, buffer, n, (unsigned long long)off);
                rd->flags |= IOSQE_IO_LINK;
                struct io_uring_sqe *sd = io_uring_get_sqe(&ring);
                io_uring_prep_send(sd, 0, buffer, n, MSG_WAITALL);
                sd->flags |= IOSQE_FIXED_FILE;
                io_uring_submit(&ring);
                if (wait_all(2) < 0) return -1;
                off += n;
            }
            continue;
        }
        sendfile_pieces++;
        off_t end = off + piece;
        while (off < end) {
            t = now_us();
            ssize_t n = sendfile(fd, file, &off, (size_t)(end - off));
            blocked_us += now_us() - t;
            if (n < 0 && errno == EAGAIN) {
                struct io_uring_sqe *p = io_uring_get_sqe(&ring);
                io_uring_prep_poll_add(p, 0, POLLOUT);
                p->flags |= IOSQE_FIXED_FILE;
                io_uring_submit(&ring);
                if (wait_one() < 0) return -1;
                continue;
            }
            if (n <= 0) return -1;
        }
    }
    return 0;
}

static int wait_all(int n) {
    for (int i = 0; i < n; i++) {
        struct io_uring_cqe *cqe;
        if (io_uring_wait_cqe(&ring, &cqe) < 0) return -1;
        int res = cqe->res;
        io_uring_cqe_seen(&ring, cqe);
        if (res < 0) { fprintf(stderr, "cqe %d: %s\n", i, strerror(-res)); return -1; }
    }
    return 0;
}

static int send_body(const char *mode, int sock, int file, off_t size, int pipefd[2]) {
    off_t off = 0;
    if (!strcmp(mode, "copy")) {
        while (off < size) {
            double t = now_us();
            ssize_t n = pread(file, buffer, sizeof buffer, off);
            blocked_us += now_us() - t;
            if (n <= 0) return -1;
            for (ssize_t sent = 0; sent < n;) {
                ssize_t w = send(sock, buffer + sent, (size_t)(n - sent), 0);
                if (w <= 0) return -1;
                sent += w;
            }
            off += n;
        }
    } else if (!strcmp(mode, "uring")) {
        while (off < size) {
            unsigned n = size - off < (off_t)sizeof buffer ? (unsigned)(size - off) : sizeof buffer;
            struct io_uring_sqe *r = io_uring_get_sqe(&ring);
            io_uring_prep_read(r, file, buffer, n, (unsigned long long)off);
            r->flags |= IOSQE_IO_LINK;
            struct io_uring_sqe *s = io_uring_get_sqe(&ring);
            io_uring_prep_send(s, sock, buffer, n, MSG_WAITALL);
            io_uring_submit(&ring);
            if (wait_all(2) < 0) return -1;
            off += n;
        }
    } else if (!strcmp(mode, "sendfile")) {
        while (off < size) {
            double t = now_us();
            ssize_t n = sendfile(sock, file, &off, (size_t)(size - off));
            blocked_us += now_us() - t;
            if (n < 0 && errno == EAGAIN) {
                struct pollfd p = {.fd = sock, .events = POLLOUT};
                poll(&p, 1, 1000);
                continue;
            }
            if (n <= 0) return -1;
        }
    } else if (!strcmp(mode, "splice")) {
        while (off < size) {
            unsigned n = size - off < (off_t)sizeof buffer ? (unsigned)(size - off) : sizeof buffer;
            struct io_uring_sqe *a = io_uring_get_sqe(&ring);
            io_uring_prep_splice(a, file, off, pipefd[1], -1, n, SPLICE_F_MOVE);
            a->flags |= IOSQE_IO_LINK;
            struct io_uring_sqe *b = io_uring_get_sqe(&ring);
            io_uring_prep_splice(b, pipefd[0], -1, sock, -1, n, SPLICE_F_MOVE);
            io_uring_submit(&ring);
            if (wait_all(2) < 0) return -1;
            off += n;
        }
    } else {
        return -1;
    }
    return 0;
}

/* install: accept into direct descriptor 0, install a regular fd once, serve the connection. */
static int serve_installed(int listener, int file, off_t size, const char *head, int head_len, int total, int cold, int *served) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_accept_direct(sqe, listener, NULL, NULL, 0, 0);
    io_uring_submit(&ring);
    if (wait_one() < 0) return -1;
    sqe = io_uring_get_sqe(&ring);
    if (!sqe) return -1;
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = OP_FIXED_FD_INSTALL;
    sqe->fd = 0;
    sqe->flags = IOSQE_FIXED_FILE;
    io_uring_submit(&ring);
    int fd = wait_one();
    if (fd < 0) { fprintf(stderr, "FIXED_FD_INSTALL: %s\n", strerror(-fd)); return -1; }
    // Shared with the direct descriptor: the ring's recv and send on slot 0 see it too.
    fcntl(fd, F_SETFL, O_NONBLOCK);
    char request[4096];
    size_t got = 0;
    while (*served < total) {
        sqe = io_uring_get_sqe(&ring);
        io_uring_prep_recv(sqe, 0, request + got, sizeof request - 1 - got, 0);
        sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_submit(&ring);
        int r = wait_one();
        if (r == -EAGAIN) { fprintf(stderr, "recv on the direct descriptor failed with EAGAIN once O_NONBLOCK was set\n"); return -1; }
        if (r <= 0) break;
        got += (size_t)r; request[got] = 0;
        if (!strstr(request, "\r\n\r\n")) continue;
        got = 0;
        if (cold) posix_fadvise(file, 0, 0, POSIX_FADV_DONTNEED);
        sqe = io_uring_get_sqe(&ring);
        io_uring_prep_send(sqe, 0, head, (size_t)head_len, MSG_MORE | MSG_WAITALL);
        sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_submit(&ring);
        if (wait_one() != head_len) return -1;
        if (send_installed(fd, file, size) != 0) return -1;
        (*served)++;
    }
    close(fd);
    sqe = io_uring_get_sqe(&ring);
    io_uring_prep_close_direct(sqe, 0);
    io_uring_submit(&ring);
    wait_one();
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: large-body-routes PORT FILE copy|uring|sendfile|splice N [-c]\n"); return 2; }
    int port = atoi(argv[1]), total = atoi(argv[4]), cold = argc > 5 && !strcmp(argv[5], "-c");
    const char *mode = argv[3];
    int file = open(argv[2], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (file < 0 || fstat(file, &st) != 0) { perror(argv[2]); return 1; }
    if (io_uring_queue_init(8, &ring, 0) < 0) { perror("io_uring_queue_init"); return 1; }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return 1;
    fcntl(pipefd[1], F_SETPIPE_SZ, (int)sizeof buffer);
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(0x7f000001u);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 64)) { perror("bind/listen"); return 1; }
    char head[256];
    int head_len = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\nContent-Type: application/octet-stream\r\n\r\n",
                            (long long)st.st_size);
    int served = 0;
    struct rusage before, after;
    int measuring = 0;
    if (!strcmp(mode, "install")) {
        slot_mode = 1;
        if (io_uring_register_files_sparse(&ring, 4) < 0) { fprintf(stderr, "sparse files\n"); return 1; }
        getrusage(RUSAGE_SELF, &before);
        while (served < total)
            if (serve_installed(listener, file, st.st_size, head, head_len, total, cold, &served) != 0) { fprintf(stderr, "install failed\n"); return 1; }
        measuring = 1;
    }
    while (served < total) {
        int sock = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (sock < 0) continue;
        setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!strcmp(mode, "sendfile")) fcntl(sock, F_SETFL, O_NONBLOCK);
        char request[4096];
        size_t got = 0;
        while (served < total) {
            ssize_t r = recv(sock, request + got, sizeof request - 1 - got, 0);
            if (r < 0 && errno == EAGAIN) { struct pollfd p = {.fd = sock, .events = POLLIN}; poll(&p, 1, 1000); continue; }
            if (r <= 0) break;
            got += (size_t)r; request[got] = 0;
            if (!strstr(request, "\r\n\r\n")) continue;
            got = 0;
            if (!measuring) { getrusage(RUSAGE_SELF, &before); measuring = 1; blocked_us = 0; }
            if (cold) posix_fadvise(file, 0, 0, POSIX_FADV_DONTNEED);
            for (int sent = 0; sent < head_len;) {
                ssize_t w = send(sock, head + sent, (size_t)(head_len - sent), MSG_MORE);
                if (w < 0 && errno == EAGAIN) { struct pollfd p = {.fd = sock, .events = POLLOUT}; poll(&p, 1, 1000); continue; }
                if (w <= 0) { fprintf(stderr, "head send failed\n"); return 1; }
                sent += (int)w;
            }
            if (send_body(mode, sock, file, st.st_size, pipefd) != 0) { fprintf(stderr, "body failed\n"); return 1; }
            served++;
        }
        close(sock);
    }
    getrusage(RUSAGE_SELF, &after);
    double user = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1e6 + (after.ru_utime.tv_usec - before.ru_utime.tv_usec);
    double sys = (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1e6 + (after.ru_stime.tv_usec - before.ru_stime.tv_usec);
    printf("ROUTE mode=%s cold=%d responses=%d cpu_us_per_resp=%.1f user_us=%.0f sys_us=%.0f in_call_us_per_resp=%.1f", mode, cold,
           served, (user + sys) / served, user, sys, blocked_us / served);
    if (slot_mode) printf(" sendfile_pieces=%.0f ring_pieces=%.0f", sendfile_pieces, ring_pieces);
    printf("\n");
    return 0;
}
