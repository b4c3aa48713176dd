/* The timed part of the `pace` scenario in C, so that what it measures is the server and not the
 * client: bench/paced_moves.py (--client c) signs the players in and opens their game pages in
 * Python, then hands this program one line per game side, and this program opens the WebSockets,
 * plays every game's moves on its fixed schedule and timestamps each answer and frame the moment
 * `read` returns it. With Python's event loop in between (aiohttp, websockets, permessage-deflate),
 * a move's round trip read about 1.5 ms more than nginx logged for it.
 *
 *   pace_client HOST PORT < spec > moves
 *
 * Spec (from paced_moves.py), one item per line, fields separated by tabs:
 *   run  INTERVAL_S WARMUP_S DURATION_S LATE_MS PUSH_TIMEOUT_S
 *   cell ROW COL                     (the moves of every game, in order)
 *   slot OFFSET_S                    (a schedule; its games follow)
 *   game ID
 *   side COOKIE CSRF WS_PATH         (black, then white)
 *   end
 * Then it connects every WebSocket, waits 0.5 s, prints "ready CONNECT_FRAMES" and waits for a line
 * "begin T" (T on CLOCK_MONOTONIC, which is Python's time.perf_counter on Linux). Output: one line
 * per measured move, "move HTTP_MS PUSH_MS LAG_MS LATE BEHIND_PREVIOUS", and "errors ..." at the end.
 * Status and progress go to stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CELLS 225
#define BUFFER 65536

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "pace_client: ");
    vfprintf(stderr, format, arguments);
    fprintf(stderr, "\n");
    va_end(arguments);
    exit(1);
}

/* One endpoint of a player: a keep-alive HTTP connection or a WebSocket. */
struct connection {
    int fd;
    char buffer[BUFFER];
    size_t length;
    struct side *side;
    int is_websocket;
};

struct side {
    char *cookie, *csrf, *ws_path;
    struct connection http, ws;
    int frames_waiting;   /* data frames that arrived while nothing was expected */
    int closed;
    double frame_at;      /* arrival of the first frame after the current move's POST, or 0 */
};

struct game { long id; struct side sides[2]; };

enum slot_state { WAITING, IN_FLIGHT, FINISHED };

struct slot {
    double offset, first_at, due, sent_at, answered_at, prev_done;
    struct game *games;
    int game_count, game_index, move_index, k, status;
    enum slot_state state;
};

static const char *host;
static int port;
static double interval, warmup, duration, late_ms, push_timeout, warm_end, end_at;
static int cells[MAX_CELLS][2], cell_count;
static struct slot *slots;
static int slot_count;
static int epoll_fd;
static long errors, non_2xx, push_timeouts, unexpected_frames, games_used, slots_out_of_games, late_starts, late_behind;

static int connect_to_server(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail("socket: %s", strerror(errno));
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) fail("HOST must be an IPv4 address: %s", host);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("connect: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("write: %s", strerror(errno));
        data += n;
        length -= (size_t)n;
    }
}

static void watch(struct connection *connection) {
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = connection};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, connection->fd, &event) < 0) fail("epoll_ctl: %s", strerror(errno));
}

/* The head of an HTTP answer in buffer, or -1 while incomplete. */
static long head_length(const struct connection *connection) {
    const char *end = memmem(connection->buffer, connection->length, "\r\n\r\n", 4);
    return end ? end - connection->buffer + 4 : -1;
}

static int header_value(const char *head, long head_len, const char *name, char *out, size_t out_size) {
    size_t name_len = strlen(name);
    for (const char *line = head; line < head + head_len;) {
        const char *eol = memmem(line, (size_t)(head + head_len - line), "\r\n", 2);
        if (!eol) break;
        if ((size_t)(eol - line) > name_len + 1 && strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *value = line + name_len + 1;
            while (*value == ' ') value++;
            size_t n = (size_t)(eol - value) < out_size - 1 ? (size_t)(eol - value) : out_size - 1;
            memcpy(out, value, n);
            out[n] = 0;
            return 1;
        }
        line = eol + 2;
    }
    return 0;
}

static void open_websocket(struct side *side) {
    struct connection *ws = &side->ws;
    ws->fd = connect_to_server();
    ws->side = side;
    ws->is_websocket = 1;
    char request[8192];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: cGFjZWNsaWVudGtleTEyMw==\r\nSec-WebSocket-Version: 13\r\n"
                     "Origin: http://%s:%d\r\nCookie: %s\r\n\r\n",
                     side->ws_path, host, port, host, port, side->cookie);
    if (n >= (int)sizeof request) fail("WebSocket request too long");
    send_all(ws->fd, request, (size_t)n);
    long head;
    while ((head = head_length(ws)) < 0) {
        ssize_t got = read(ws->fd, ws->buffer + ws->length, BUFFER - ws->length);
        if (got <= 0) fail("WebSocket handshake: connection closed");
        ws->length += (size_t)got;
    }
    if (strncmp(ws->buffer, "HTTP/1.1 101", 12) != 0) fail("WebSocket handshake refused: %.40s", ws->buffer);
    memmove(ws->buffer, ws->buffer + head, ws->length - (size_t)head);
    ws->length -= (size_t)head;
    watch(ws);
}

static void open_http(struct side *side) {
    side->http.fd = connect_to_server();
    side->http.side = side;
    side->http.length = 0;
    watch(&side->http);
}

static void send_frame(int fd, int opcode, const char *payload, size_t length) {
    unsigned char frame[2 + 4 + 125];
    if (length > 125) length = 125;
    frame[0] = (unsigned char)(0x80 | opcode);
    frame[1] = (unsigned char)(0x80 | length);
    memset(frame + 2, 0, 4); /* a zero mask: the payload goes as it is */
    memcpy(frame + 6, payload, length);
    send_all(fd, (const char *)frame, 6 + length);
}

static struct slot *slot_of(const struct side *side, int *is_mover, int *is_opponent) {
    for (int s = 0; s < slot_count; s++) {
        struct slot *slot = &slots[s];
        if (slot->state != IN_FLIGHT) continue;
        struct game *game = &slot->games[slot->game_index];
        int mover = slot->move_index % 2;
        if (side == &game->sides[mover]) { *is_mover = 1; *is_opponent = 0; return slot; }
        if (side == &game->sides[1 - mover]) { *is_mover = 0; *is_opponent = 1; return slot; }
    }
    return NULL;
}

static void next_game(struct slot *slot);
static void maybe_done(struct slot *slot);

/* Parses every whole frame in the buffer; a data frame is the push when a move awaits one. */
static void read_frames(struct connection *ws, double at) {
    struct side *side = ws->side;
    size_t position = 0;
    while (ws->length - position >= 2) {
        unsigned char *p = (unsigned char *)ws->buffer + position;
        int fin = p[0] & 0x80, opcode = p[0] & 0x0f;
        unsigned long long length = p[1] & 0x7f;
        size_t header = 2;
        if (length == 126) {
            if (ws->length - position < 4) break;
            length = ((unsigned)p[2] << 8) | p[3];
            header = 4;
        } else if (length == 127) {
            if (ws->length - position < 10) break;
            length = 0;
            for (int i = 0; i < 8; i++) length = (length << 8) | p[2 + i];
            header = 10;
        }
        if (header + length > BUFFER) fail("frame of %llu bytes", length);
        if (ws->length - position < header + length) break;
        const char *payload = (const char *)p + header;
        if (opcode == 0x9) send_frame(ws->fd, 0xA, payload, (size_t)length);
        else if (opcode == 0x8) side->closed = 1;
        else if (fin && opcode <= 0x2) {
            int is_mover = 0, is_opponent = 0;
            struct slot *slot = slot_of(side, &is_mover, &is_opponent);
            if (slot && side->frame_at == 0) side->frame_at = at;
            else side->frames_waiting++;
            if (slot) maybe_done(slot);
        }
        position += header + (size_t)length;
    }
    memmove(ws->buffer, ws->buffer + position, ws->length - position);
    ws->length -= position;
}

/* Parses the HTTP answer to the POST once it is whole (Content-Length or chunked). */
static void read_answer(struct connection *http, double at) {
    long head = head_length(http);
    if (head < 0) return;
    char value[64];
    size_t body_end;
    if (header_value(http->buffer, head, "Content-Length", value, sizeof value)) {
        body_end = (size_t)head + strtoul(value, NULL, 10);
        if (http->length < body_end) return;
    } else if (header_value(http->buffer, head, "Transfer-Encoding", value, sizeof value) && strcasestr(value, "chunked")) {
        size_t position = (size_t)head;
        for (;;) {
            const char *eol = memmem(http->buffer + position, http->length - position, "\r\n", 2);
            if (!eol) return;
            unsigned long size = strtoul(http->buffer + position, NULL, 16);
            position = (size_t)(eol - http->buffer) + 2 + size + 2;
            if (position > http->length) return;
            if (size == 0) break;
        }
        body_end = position;
    } else {
        fail("answer without a length: %.60s", http->buffer);
    }
    int is_mover = 0, is_opponent = 0;
    struct slot *slot = slot_of(http->side, &is_mover, &is_opponent);
    if (!slot || !is_mover) { /* the answer to a move already given up on (push timeout) */
        errors++;
        slot = NULL;
    }
    int status = atoi(http->buffer + 9);
    int server_closes = header_value(http->buffer, head, "Connection", value, sizeof value) && strcasecmp(value, "close") == 0;
    memmove(http->buffer, http->buffer + body_end, http->length - body_end);
    http->length -= body_end;
    if (server_closes) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, http->fd, NULL);
        close(http->fd);
        open_http(http->side);
    }
    if (!slot) return;
    slot->status = status;
    slot->answered_at = at;
    if (status < 200 || status >= 300) {
        errors++;
        non_2xx++;
        fprintf(stderr, "pace_client: game %ld: move -> HTTP %d\n", slot->games[slot->game_index].id, slot->status);
        next_game(slot);
        return;
    }
    maybe_done(slot);
}

static void record_move(struct slot *slot) {
    struct game *game = &slot->games[slot->game_index];
    int mover = slot->move_index % 2;
    double lag = slot->sent_at - slot->due;
    int late = lag * 1000 > late_ms;
    int behind = late && slot->prev_done > slot->due + late_ms / 1000;
    slot->prev_done = now_s();
    if (slot->due >= warm_end && slot->due < end_at) {
        late_starts += late;
        late_behind += behind;
        printf("move %.4f %.4f %.4f\n", (slot->answered_at - slot->sent_at) * 1000,
               (game->sides[1 - mover].frame_at - slot->sent_at) * 1000, lag * 1000);
    }
}

static void schedule_next(struct slot *slot) {
    slot->due = slot->first_at + slot->k * interval;
    slot->state = slot->due >= end_at ? FINISHED : WAITING;
}

static void maybe_done(struct slot *slot) {
    struct game *game = &slot->games[slot->game_index];
    int mover = slot->move_index % 2;
    if (slot->answered_at == 0 || game->sides[0].frame_at == 0 || game->sides[1].frame_at == 0) return;
    (void)mover;
    record_move(slot);
    slot->move_index++;
    if (slot->move_index == cell_count) {
        fprintf(stderr, "pace_client: game %ld is full; next game\n", game->id);
        next_game(slot);
        return;
    }
    schedule_next(slot);
}

static void next_game(struct slot *slot) {
    slot->game_index++;
    slot->move_index = 0;
    if (slot->game_index == slot->game_count) {
        slot->state = FINISHED;
        if (slot->first_at + slot->k * interval < end_at) {
            slots_out_of_games++;
            fprintf(stderr, "pace_client: a slot is out of games (seed more, or a shorter run)\n");
        }
        return;
    }
    games_used++;
    schedule_next(slot);
}

static void percent_encode(const char *in, char *out, size_t out_size) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *in && n + 4 < out_size; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-_.~", c)) out[n++] = (char)c;
        else { out[n++] = '%'; out[n++] = hex[c >> 4]; out[n++] = hex[c & 15]; }
    }
    out[n] = 0;
}

static void send_move(struct slot *slot) {
    struct game *game = &slot->games[slot->game_index];
    int mover = slot->move_index % 2;
    struct side *side = &game->sides[mover], *other = &game->sides[1 - mover];
    if (side->closed || other->closed) {
        errors++;
        fprintf(stderr, "pace_client: game %ld: websocket closed\n", game->id);
        next_game(slot);
        return;
    }
    unexpected_frames += side->frames_waiting + other->frames_waiting;
    side->frames_waiting = other->frames_waiting = 0;
    side->frame_at = other->frame_at = 0;
    char token[512], body[1200], request[8192];
    percent_encode(side->csrf, token, sizeof token);
    int body_length = snprintf(body, sizeof body, "row=%d&col=%d&csrf_token=%s&csrfmiddlewaretoken=%s",
                               cells[slot->move_index][0], cells[slot->move_index][1], token, token);
    int n = snprintf(request, sizeof request,
                     "POST /games/%ld/move/ HTTP/1.1\r\nHost: %s:%d\r\nCookie: %s\r\nOrigin: http://%s:%d\r\n"
                     "HX-Request: true\r\nHX-Target: board\r\nHX-Current-URL: http://%s:%d/games/%ld/\r\n"
                     "X-CSRFToken: %s\r\nX-CSRF-Token: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: %d\r\n\r\n%s",
                     game->id, host, port, side->cookie, host, port, host, port, game->id, side->csrf, side->csrf,
                     body_length, body);
    if (n >= (int)sizeof request) fail("move request too long");
    slot->k++;
    slot->state = IN_FLIGHT;
    slot->answered_at = 0;
    slot->sent_at = now_s();
    send_all(side->http.fd, request, (size_t)n);
}

static char *field(char **cursor) {
    char *start = *cursor;
    if (!start) fail("spec: a field is missing");
    char *tab = strchr(start, '\t');
    if (tab) { *tab = 0; *cursor = tab + 1; } else *cursor = NULL;
    return start;
}

static void read_spec(void) {
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    struct slot *slot = NULL;
    struct game *game = NULL;
    int side_index = 0;
    while ((length = getline(&line, &capacity, stdin)) > 0) {
        if (line[length - 1] == '\n') line[length - 1] = 0;
        char *cursor = line;
        char *kind = field(&cursor);
        if (strcmp(kind, "end") == 0) break;
        if (strcmp(kind, "run") == 0) {
            interval = atof(field(&cursor));
            warmup = atof(field(&cursor));
            duration = atof(field(&cursor));
            late_ms = atof(field(&cursor));
            push_timeout = atof(field(&cursor));
        } else if (strcmp(kind, "cell") == 0) {
            if (cell_count == MAX_CELLS) fail("spec: more than %d cells", MAX_CELLS);
            cells[cell_count][0] = atoi(field(&cursor));
            cells[cell_count][1] = atoi(field(&cursor));
            cell_count++;
        } else if (strcmp(kind, "slot") == 0) {
            slots = realloc(slots, sizeof *slots * (size_t)(slot_count + 1));
            slot = &slots[slot_count++];
            memset(slot, 0, sizeof *slot);
            slot->offset = atof(field(&cursor));
        } else if (strcmp(kind, "game") == 0) {
            if (!slot) fail("spec: game before slot");
            slot->games = realloc(slot->games, sizeof *slot->games * (size_t)(slot->game_count + 1));
            game = &slot->games[slot->game_count++];
            memset(game, 0, sizeof *game);
            game->id = atol(field(&cursor));
            side_index = 0;
        } else if (strcmp(kind, "side") == 0) {
            if (!game || side_index > 1) fail("spec: side without its game");
            struct side *side = &game->sides[side_index++];
            side->cookie = strdup(field(&cursor));
            side->csrf = strdup(field(&cursor));
            side->ws_path = strdup(field(&cursor));
        } else {
            fail("spec: unknown line '%s'", kind);
        }
    }
    free(line);
    if (!slot_count || !cell_count || interval <= 0) fail("spec: no slots, cells or interval");
}

static void handle(struct connection *connection, double at) {
    if (connection->length == BUFFER) fail("an answer or frame larger than %d bytes", BUFFER);
    ssize_t got = read(connection->fd, connection->buffer + connection->length, BUFFER - connection->length);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, connection->fd, NULL);
        if (connection->is_websocket) {
            connection->side->closed = 1;
            return;
        }
        close(connection->fd); /* nginx closed an idle keep-alive connection */
        open_http(connection->side);
        return;
    }
    connection->length += (size_t)got;
    if (connection->is_websocket) read_frames(connection, at);
    else read_answer(connection, at);
}

/* Serves events until `until` (or, with until = 0, until every slot has finished). */
static void run_loop(int timer_fd, double until) {
    struct epoll_event events[64];
    for (;;) {
        double now = now_s();
        double next = until ? until : now + 1;
        int active = 0;
        for (int s = 0; s < slot_count; s++) {
            struct slot *slot = &slots[s];
            if (slot->state == WAITING && slot->due <= now) send_move(slot);
            if (slot->state == IN_FLIGHT && now - slot->sent_at > push_timeout) {
                errors++;
                push_timeouts++;
                fprintf(stderr, "pace_client: game %ld: no push\n", slot->games[slot->game_index].id);
                next_game(slot);
            }
            if (slot->state == WAITING && slot->due < next) next = slot->due;
            if (slot->state == IN_FLIGHT && slot->sent_at + push_timeout < next) next = slot->sent_at + push_timeout;
            active += slot->state != FINISHED;
        }
        if (until ? now >= until : !active) return;
        struct itimerspec when = {0};
        when.it_value.tv_sec = (time_t)next;
        when.it_value.tv_nsec = (long)((next - (double)(time_t)next) * 1e9);
        if (when.it_value.tv_sec == 0 && when.it_value.tv_nsec == 0) when.it_value.tv_nsec = 1;
        timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &when, NULL);
        int count = epoll_wait(epoll_fd, events, 64, -1);
        double at = now_s();
        for (int i = 0; i < count; i++) {
            if (events[i].data.ptr == NULL) {
                unsigned long long expirations;
                if (read(timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) fail("timerfd: %s", strerror(errno));
                continue;
            }
            handle(events[i].data.ptr, at);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 3) fail("usage: pace_client HOST PORT < spec");
    host = argv[1];
    port = atoi(argv[2]);
    read_spec();
    epoll_fd = epoll_create1(0);
    int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event timer_event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &timer_event);
    for (int s = 0; s < slot_count; s++)
        for (int g = 0; g < slots[s].game_count; g++)
            for (int i = 0; i < 2; i++) {
                open_websocket(&slots[s].games[g].sides[i]);
                open_http(&slots[s].games[g].sides[i]);
            }
    /* The presence frames of joining are not part of the moves' pushes. */
    for (int s = 0; s < slot_count; s++) slots[s].state = FINISHED;
    run_loop(timer_fd, now_s() + 0.5);
    long connect_frames = 0;
    for (int s = 0; s < slot_count; s++)
        for (int g = 0; g < slots[s].game_count; g++)
            for (int i = 0; i < 2; i++) {
                connect_frames += slots[s].games[g].sides[i].frames_waiting;
                slots[s].games[g].sides[i].frames_waiting = 0;
            }
    printf("ready %ld\n", connect_frames);
    fflush(stdout);
    char line[128];
    if (!fgets(line, sizeof line, stdin) || strncmp(line, "begin ", 6) != 0) fail("expected 'begin T' on stdin");
    double begin = atof(line + 6);
    warm_end = begin + warmup;
    end_at = warm_end + duration;
    for (int s = 0; s < slot_count; s++) {
        slots[s].first_at = slots[s].prev_done = begin + slots[s].offset;
        slots[s].game_index = -1;
        next_game(&slots[s]);
    }
    run_loop(timer_fd, 0);
    printf("errors %ld %ld %ld %ld %ld %ld %ld %ld\n", errors, non_2xx, push_timeouts, unexpected_frames, games_used,
           slots_out_of_games, late_starts, late_behind);
    return 0;
}
