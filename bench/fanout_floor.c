/* The physical floor of the bridge's fan-out and latency scenarios: the kernel's cost of writing one
 * frame to each of N loopback TCP connections, with nothing else in the way (no event loop, no
 * WebSocket code). A reader process receives on the other ends, as the benchmark's client does, either
 * reading every frame as it arrives (`read`, like live_bench.py's client) or not reading during the burst.
 *
 *   fanout_floor N ROUNDS read|noread [WRITERS [FRAME_BYTES]]
 *
 * WRITERS threads (default 1) each write to their share of the connections, as the bridge's event
 * loops do; each frame is FRAME_BYTES long (default 64, at most 65,539), a WebSocket text frame's
 * header included. Prints one JSON line: the median and worst time from the first write to the last,
 * over ROUNDS, and the median and 99th percentile of each frame's time from the round's start — the
 * figures the bridge's commit → frame histogram is compared with. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct share { int *sockets; int count; const char *frame; int frame_length; double start; double *written; };

static void *write_share(void *argument) {
    struct share *share = argument;
    for (int i = 0; i < share->count; i++) {
        if (write(share->sockets[i], share->frame, share->frame_length) != share->frame_length) { perror("write"); exit(1); }
        share->written[i] = now_ms() - share->start;
    }
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 6) { fprintf(stderr, "usage: %s N ROUNDS read|noread [WRITERS [FRAME_BYTES]]\n", argv[0]); return 2; }
    int n = atoi(argv[1]), rounds = atoi(argv[2]), reading = strcmp(argv[3], "read") == 0;
    int writers = argc >= 5 ? atoi(argv[4]) : 1;
    int frame_length = argc == 6 ? atoi(argv[5]) : 64;
    if (n < 1 || rounds < 1) { fprintf(stderr, "N and ROUNDS must be positive\n"); return 2; }
    if (writers < 1 || writers > 16) { fprintf(stderr, "WRITERS must be 1..16\n"); return 2; }
    if (frame_length < 64 || frame_length > 65539) { fprintf(stderr, "FRAME_BYTES must be 64..65539\n"); return 2; }
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    if ((rlim_t)(2 * n + 64) > limit.rlim_cur) { fprintf(stderr, "raise the file limit: need %d\n", 2 * n + 64); return 1; }

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096)) { perror("listen"); return 1; }
    getsockname(listener, (struct sockaddr *)&address, &length);

    int *clients = malloc(n * sizeof(int)), *servers = malloc(n * sizeof(int));
    for (int i = 0; i < n; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(clients[i], (struct sockaddr *)&address, sizeof address)) { perror("connect"); return 1; }
        servers[i] = accept(listener, NULL, NULL);
        int one = 1;
        setsockopt(servers[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    int sync_pipe[2];
    if (pipe(sync_pipe)) { perror("pipe"); return 1; }
    pid_t reader = fork();
    if (reader == 0) {
        /* The client side: its own process, reading every frame as it comes (or only at the end). */
        for (int i = 0; i < n; i++) close(servers[i]);
        int poller = epoll_create1(0);
        for (int i = 0; i < n; i++) {
            struct epoll_event event = {.events = EPOLLIN, .data.fd = clients[i]};
            epoll_ctl(poller, EPOLL_CTL_ADD, clients[i], &event);
        }
        struct epoll_event events[512];
        char buffer[65536];
        long expected = (long)n * rounds * frame_length, received = 0;
        while (received < expected) {
            if (!reading) { usleep(1000); }
            int ready = epoll_wait(poller, events, 512, reading ? -1 : 0);
            for (int i = 0; i < ready; i++) {
                ssize_t got = read(events[i].data.fd, buffer, sizeof buffer);
                if (got > 0) received += got;
            }
        }
        char done = 1;
        if (write(sync_pipe[1], &done, 1) != 1) return 1;
        _exit(0);
    }
    /* An unmasked WebSocket text frame: a 2-byte header up to 125 bytes of text, 4 bytes above. */
    char *frame = malloc(frame_length);
    memset(frame, 'x', frame_length);
    frame[0] = (char)0x81;
    if (frame_length - 2 <= 125) {
        frame[1] = (char)(frame_length - 2);
    } else {
        frame[1] = 126; frame[2] = (char)((frame_length - 4) >> 8); frame[3] = (char)((frame_length - 4) & 0xff);
    }
    double *times = malloc(rounds * sizeof(double));
    double *written = malloc((size_t)rounds * n * sizeof(double));
    usleep(200000);
    for (int round = 0; round < rounds; round++) {
        pthread_t threads[16];
        struct share shares[16];
        double start = now_ms();
        for (int t = 0; t < writers; t++) {
            int first = (int)((long)n * t / writers), last = (int)((long)n * (t + 1) / writers);
            shares[t] = (struct share){servers + first, last - first, frame, frame_length, start, written + (long)round * n + first};
            pthread_create(&threads[t], NULL, write_share, &shares[t]);
        }
        for (int t = 0; t < writers; t++) pthread_join(threads[t], NULL);
        times[round] = now_ms() - start;
        usleep(300000);
    }
    char done;
    if (read(sync_pipe[0], &done, 1) != 1) return 1;
    waitpid(reader, NULL, 0);
    qsort(times, rounds, sizeof(double), compare);
    long frames = (long)rounds * n;
    qsort(written, frames, sizeof(double), compare);
    printf("{\"scenario\": \"fanout_floor\", \"connections\": %d, \"rounds\": %d, \"reader\": \"%s\", \"writers\": %d, "
           "\"frame_bytes\": %d, \"last_write_p50_ms\": %.1f, \"last_write_max_ms\": %.1f, \"write_us_per_connection\": %.2f, "
           "\"frame_p50_ms\": %.2f, \"frame_p99_ms\": %.2f}\n",
           n, rounds, argv[3], writers, frame_length, times[rounds / 2], times[rounds - 1], 1000 * times[rounds / 2] / n,
           written[frames / 2], written[frames * 99 / 100]);
    return 0;
}
