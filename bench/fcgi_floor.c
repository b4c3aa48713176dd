/* The physical floor of the page scenario: a FastCGI responder in C on libfcgi that answers every
 * request with the same N bytes, doing no work at all. `make bench` runs it behind an nginx with the
 * site's own configuration, so the game page's req/s can be read against what nginx + FastCGI can
 * carry on this machine at all, next to nginx serving the bytes as a static file.
 *
 * It moves bytes the way gomoku-fcgi does (Sources/FCGIApp/Transport): the whole answer as its
 * FastCGI records in one write, the connection kept when the web server asks (fastcgi_keep_conn),
 * and otherwise closed at once, without libfcgi's lingering close, once the request's input has been
 * read to its end. A kept connection holds its thread here (libfcgi's way), so run it with more
 * threads than the web server keeps connections.
 *
 *   fcgi_floor SOCKET_PATH FILE THREADS
 *
 * Runs until killed (SIGKILL or SIGTERM; libfcgi's accept loop ignores a plain signal flag). */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char *answer;  /* the whole answer: STDOUT records, the empty STDOUT and END_REQUEST */
static size_t answer_length;
static int listen_fd;

static void put_header(unsigned char *at, int type, size_t content_length) {
    at[0] = 1; at[1] = (unsigned char)type; at[2] = 0; at[3] = 1;  /* request id 1, patched per request */
    at[4] = (unsigned char)(content_length >> 8); at[5] = (unsigned char)content_length; at[6] = 0; at[7] = 0;
}

/* CGI head + body as records of at most 65535 bytes, then the end records, built once. */
static void build_answer(const char *body, long body_length) {
    char head[256];
    int head_length = snprintf(head, sizeof head,
        "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %ld\r\n\r\n", body_length);
    size_t content = (size_t)head_length + (size_t)body_length;
    char *stdout_bytes = malloc(content);
    memcpy(stdout_bytes, head, (size_t)head_length);
    memcpy(stdout_bytes + head_length, body, (size_t)body_length);
    size_t records = (content + 65534) / 65535;
    answer = malloc(content + 8 * records + 24);
    size_t at = 0;
    for (size_t start = 0; start < content; start += 65535) {
        size_t length = content - start < 65535 ? content - start : 65535;
        put_header(answer + at, 6, length);
        memcpy(answer + at + 8, stdout_bytes + start, length);
        at += 8 + length;
    }
    put_header(answer + at, 6, 0);
    put_header(answer + at + 8, 3, 8);
    memset(answer + at + 16, 0, 8);
    answer_length = at + 24;
    free(stdout_bytes);
}

static void write_answer(int fd, int request_id) {
    unsigned char *copy = malloc(answer_length);
    memcpy(copy, answer, answer_length);
    for (size_t at = 0; at < answer_length; at += 8 + ((size_t)copy[at + 4] << 8 | copy[at + 5])) {
        copy[at + 2] = (unsigned char)(request_id >> 8);
        copy[at + 3] = (unsigned char)request_id;
    }
    for (size_t sent = 0; sent < answer_length;) {
        ssize_t n = write(fd, copy + sent, answer_length - sent);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        sent += (size_t)n;
    }
    free(copy);
}

/* Reads only input that has already arrived; true when it reached the end-of-stdin record. */
static int input_ended(FCGX_Request *request) {
    int flags = fcntl(request->ipcFd, F_GETFL);
    if (flags < 0 || fcntl(request->ipcFd, F_SETFL, flags | O_NONBLOCK) != 0) return 0;
    char scratch[64];
    for (int i = 0; i < 4 && !request->in->isClosed; i++) FCGX_GetStr(scratch, sizeof scratch, request->in);
    int ended = request->in->isClosed && FCGX_GetError(request->in) == 0;
    fcntl(request->ipcFd, F_SETFL, flags);
    return ended;
}

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    while (FCGX_Accept_r(&request) >= 0) {
        write_answer(request.ipcFd, request.requestId);
        request.out->wasFCloseCalled = 1;
        request.err->wasFCloseCalled = 1;
        request.detached = !request.keepConnection && input_ended(&request);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s SOCKET_PATH FILE THREADS\n", argv[0]); return 2; }
    FILE *file = fopen(argv[2], "rb");
    if (!file) { perror(argv[2]); return 1; }
    fseek(file, 0, SEEK_END);
    long body_length = ftell(file);
    rewind(file);
    char *body = malloc(body_length > 0 ? body_length : 1);
    if (!body || fread(body, 1, body_length, file) != (size_t)body_length) { perror("read"); return 1; }
    fclose(file);
    build_answer(body, body_length);
    free(body);
    int threads = atoi(argv[3]);
    if (threads < 1 || threads > 256) { fprintf(stderr, "THREADS must be 1..256\n"); return 2; }
    FCGX_Init();
    umask(0);
    listen_fd = FCGX_OpenSocket(argv[1], 128);
    if (listen_fd < 0) { fprintf(stderr, "cannot listen on %s\n", argv[1]); return 1; }
    signal(SIGTERM, SIG_DFL);
    pthread_t workers[256];
    pthread_attr_t small_stack;  /* many threads, each only a few frames deep */
    pthread_attr_init(&small_stack);
    pthread_attr_setstacksize(&small_stack, 256 * 1024);
    for (int i = 0; i < threads; i++) pthread_create(&workers[i], &small_stack, serve, NULL);
    for (int i = 0; i < threads; i++) pthread_join(workers[i], NULL);
    return 0;
}
