/* The physical floor of the page scenario: a FastCGI responder in C on libfcgi that answers every
 * request with the same N bytes, doing no work at all. `make bench` runs it behind an nginx with the
 * site's own configuration, so the game page's req/s can be read against what nginx + FastCGI can
 * carry on this machine at all, next to nginx serving the bytes as a static file.
 *
 *   fcgi_floor SOCKET_PATH FILE THREADS
 *
 * Runs until killed (SIGKILL or SIGTERM; libfcgi's accept loop ignores a plain signal flag). */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char *body;
static long body_length;
static int listen_fd;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    while (FCGX_Accept_r(&request) >= 0) {
        FCGX_FPrintF(request.out, "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %ld\r\n\r\n",
                     body_length);
        FCGX_PutStr(body, (int)body_length, request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s SOCKET_PATH FILE THREADS\n", argv[0]); return 2; }
    FILE *file = fopen(argv[2], "rb");
    if (!file) { perror(argv[2]); return 1; }
    fseek(file, 0, SEEK_END);
    body_length = ftell(file);
    rewind(file);
    body = malloc(body_length > 0 ? body_length : 1);
    if (!body || fread(body, 1, body_length, file) != (size_t)body_length) { perror("read"); return 1; }
    fclose(file);
    int threads = atoi(argv[3]);
    if (threads < 1 || threads > 64) { fprintf(stderr, "THREADS must be 1..64\n"); return 2; }
    FCGX_Init();
    umask(0);
    listen_fd = FCGX_OpenSocket(argv[1], 128);
    if (listen_fd < 0) { fprintf(stderr, "cannot listen on %s\n", argv[1]); return 1; }
    signal(SIGTERM, SIG_DFL);
    pthread_t workers[64];
    for (int i = 0; i < threads; i++) pthread_create(&workers[i], NULL, serve, NULL);
    for (int i = 0; i < threads; i++) pthread_join(workers[i], NULL);
    return 0;
}
