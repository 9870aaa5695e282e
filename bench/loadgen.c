// loadgen: a small, static HTTP/1.1 load generator for scaling runs on machines without wrk
// (the lent 16-core machine has no packages). T threads, each with C/T keep-alive
// connections on epoll; each connection writes DEPTH pipelined requests and waits for DEPTH
// responses (counted by the fixed response length measured first), for DURATION seconds.
// Prints "LOADGEN requests=N duration_s=S rps=R".
//   loadgen HOST PORT PATH THREADS CONNS DEPTH DURATION
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in addr;
static char request[256];
static int request_len, response_len, depth, duration, conns_per_thread;
static char batch[256 * 64];
static atomic_long total;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); exit(1); }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// Measures one response's length: the server's responses to this request are fixed-size.
static int measure(void) {
    int fd = dial(); char buf[4096]; int got = 0;
    write(fd, request, request_len);
    for (;;) {
        int n = read(fd, buf + got, sizeof buf - got - 1);
        if (n <= 0) { fprintf(stderr, "no response\n"); exit(1); }
        got += n; buf[got] = 0;
        char *end = strstr(buf, "\r\n\r\n"), *cl = strcasestr(buf, "content-length:");
        if (end && cl) { int len = atoi(cl + 15); if (got >= (end - buf) + 4 + len) { close(fd); return (end - buf) + 4 + len; } }
    }
}

static void *run(void *arg) {
    (void)arg;
    int ep = epoll_create1(0);
    int *fds = calloc(conns_per_thread, sizeof(int));
    long *pending = calloc(conns_per_thread, sizeof(long));
    for (int i = 0; i < conns_per_thread; i++) {
        fds[i] = dial();
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
        write(fds[i], batch, request_len * depth);
        pending[i] = (long)response_len * depth;
    }
    long done = 0; double end = now() + duration; char buf[65536];
    struct epoll_event events[256];
    while (now() < end) {
        int n = epoll_wait(ep, events, 256, 100);
        for (int e = 0; e < n; e++) {
            int i = events[e].data.u32;
            int r = read(fds[i], buf, sizeof buf);
            if (r <= 0) { fprintf(stderr, "connection lost\n"); exit(1); }
            pending[i] -= r;
            if (pending[i] <= 0) {
                done += depth;
                pending[i] += (long)response_len * depth;
                write(fds[i], batch, request_len * depth);
            }
        }
    }
    atomic_fetch_add(&total, done);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 8) { fprintf(stderr, "usage: loadgen HOST PORT PATH THREADS CONNS DEPTH DURATION\n"); return 2; }
    addr.sin_family = AF_INET; addr.sin_port = htons(atoi(argv[2])); inet_pton(AF_INET, argv[1], &addr.sin_addr);
    int threads = atoi(argv[4]), conns = atoi(argv[5]);
    depth = atoi(argv[6]); duration = atoi(argv[7]);
    if (threads < 1 || conns < threads || depth < 1 || depth > 64) { fprintf(stderr, "bad arguments\n"); return 2; }
    conns_per_thread = conns / threads;
    request_len = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", argv[3], argv[1]);
    for (int i = 0; i < depth; i++) memcpy(batch + i * request_len, request, request_len);
    response_len = measure();
    pthread_t t[256];
    double start = now();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, run, NULL);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double elapsed = now() - start;
    printf("LOADGEN requests=%ld duration_s=%.2f rps=%.0f\n", atomic_load(&total), elapsed, atomic_load(&total) / elapsed);
    return 0;
}
