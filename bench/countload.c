// countload: a load generator that sends an exact number of HTTP/1.1 requests, for
// bench/count.sh, which divides kernel event counts (perf stat) and user-space instructions
// (callgrind) by that number. wrk, h2load -D and churn run for a time instead, which makes
// "per request" depend on how fast the server went.
//   countload -p PORT -n REQUESTS [-c CONNS=100] [-m DEPTH=1] [-u PATH=/] [-x] [-t SECONDS=120]
// Keep-alive by default: each connection writes DEPTH requests at once and waits for DEPTH
// responses, until REQUESTS have been sent. -x: a new connection per request, closed by the
// client after its response (source addresses 127.0.0.2-17 so TIME_WAIT does not run out of
// ports, as the shared kit's churn.c does). Responses must be 200 and framed by
// Content-Length; bodies of any size are skipped, not stored. Loopback only; bounded by -t.
// Prints "COUNTLOAD requests=N responses=N errors=N seconds=S"; exits 1 unless every
// request got a 200.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

struct conn {
    int fd, connecting;
    long owed;          // responses still expected for what was written
    long body_left;     // bytes of the current response body still to skip
    size_t head_len;    // bytes of the current response head gathered so far
    char head[8192];
};

static struct conn *conns;
static int ep, port, depth = 1, close_each = 0;
static long target, sent, answered, errors;
static char request[512], batch[512 * 64];
static size_t request_len, batch_len;
static unsigned source_rr;
static char body_chunk[1 << 16];

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void dial(struct conn *c, int i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) { perror("socket"); exit(1); }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (close_each) {
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000002u + (source_rr++ % 16));
        if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) { perror("bind"); exit(1); }
    }
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port)};
    dst.sin_addr.s_addr = htonl(0x7f000001u);
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) { perror("connect"); exit(1); }
    c->fd = fd; c->connecting = 1; c->owed = 0; c->body_left = 0; c->head_len = 0;
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

// Writes the next batch (DEPTH requests, fewer at the end); 0 when nothing is left to send.
static int send_batch(struct conn *c) {
    long n = close_each ? 1 : depth;
    if (target - sent < n) n = target - sent;
    if (n <= 0) return 0;
    size_t len = (size_t)n * request_len;
    if (write(c->fd, batch, len) != (ssize_t)len) { errors++; return -1; }
    sent += n; c->owed = n;
    return 1;
}

static void retire(struct conn *c, int i) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    if (close_each && sent < target) dial(c, i);
}

// Consumes received bytes: response heads (status, Content-Length) and skipped bodies.
// Returns 0 when the connection must go (an error), 1 otherwise.
static int consume(struct conn *c, const char *p, size_t n) {
    while (n > 0) {
        if (c->body_left > 0) {
            size_t k = (size_t)c->body_left < n ? (size_t)c->body_left : n;
            c->body_left -= (long)k; p += k; n -= k;
            if (c->body_left == 0) { c->owed--; answered++; }
            continue;
        }
        size_t room = sizeof c->head - 1 - c->head_len, k = n < room ? n : room;
        memcpy(c->head + c->head_len, p, k);
        c->head_len += k; c->head[c->head_len] = 0;
        char *end = strstr(c->head, "\r\n\r\n");
        if (!end) {
            if (c->head_len >= sizeof c->head - 1) return 0;
            p += k; n -= k; continue;
        }
        size_t head = (size_t)(end - c->head) + 4;
        // Bytes after the head that were copied go back to the input.
        size_t extra = c->head_len - head;
        p += k - extra; n -= k - extra;
        if (strncmp(c->head, "HTTP/1.1 200", 12) != 0) return 0;
        char *cl = strcasestr(c->head, "\r\ncontent-length:");
        if (!cl || cl > end) return 0;
        c->body_left = strtol(cl + 17, NULL, 10);
        c->head_len = 0;
        if (c->body_left == 0) { c->owed--; answered++; }
    }
    return 1;
}

int main(int argc, char **argv) {
    int nconns = 100, o, limit = 120;
    const char *path = "/";
    while ((o = getopt(argc, argv, "p:n:c:m:u:xt:")) != -1) {
        if (o == 'p') port = atoi(optarg);
        else if (o == 'n') target = atol(optarg);
        else if (o == 'c') nconns = atoi(optarg);
        else if (o == 'm') depth = atoi(optarg);
        else if (o == 'u') path = optarg;
        else if (o == 'x') close_each = 1;
        else if (o == 't') limit = atoi(optarg);
        else { fprintf(stderr, "usage: countload -p PORT -n N [-c C] [-m D] [-u PATH] [-x] [-t S]\n"); return 2; }
    }
    if (!port || target < 1 || nconns < 1 || depth < 1 || depth > 64 || limit < 1) { fprintf(stderr, "countload: bad arguments\n"); return 2; }
    request_len = (size_t)snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: */*\r\n\r\n", path, port);
    for (int i = 0; i < depth; i++) memcpy(batch + batch_len, request, request_len), batch_len += request_len;
    conns = calloc((size_t)nconns, sizeof *conns);
    ep = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < nconns; i++) dial(&conns[i], i);
    double start = now(), deadline = start + limit;
    int open = nconns;
    struct epoll_event events[256];
    while (open > 0 && now() < deadline) {
        int k = epoll_wait(ep, events, 256, 100);
        for (int e = 0; e < k; e++) {
            int i = (int)events[e].data.u32;
            struct conn *c = &conns[i];
            if (c->fd < 0) continue;
            if (c->connecting) {
                int err = 0; socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                c->connecting = 0;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                int s = err ? -1 : send_batch(c);
                if (s <= 0) { if (s < 0 || err) errors++; retire(c, i); if (c->fd < 0) open--; }
                continue;
            }
            ssize_t r = read(c->fd, body_chunk, sizeof body_chunk);
            if (r < 0 && errno == EAGAIN) continue;
            if (r <= 0 || !consume(c, body_chunk, (size_t)r)) {
                if (errors == 0) fprintf(stderr, "countload: first error: %s\n", r < 0 ? strerror(errno) : r == 0 ? "closed by the server" : c->head);
                errors++; retire(c, i); if (c->fd < 0) open--; continue;
            }
            if (c->owed == 0) {
                int s = close_each ? 0 : send_batch(c);
                if (s <= 0) { if (s < 0) errors++; retire(c, i); if (c->fd < 0) open--; }
            }
        }
    }
    printf("COUNTLOAD requests=%ld responses=%ld errors=%ld seconds=%.3f\n", sent, answered, errors, now() - start);
    return (answered == target && errors == 0) ? 0 : 1;
}
