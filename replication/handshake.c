/* The pure decisions of the replica's handshake (handshake.h), taken out of
 * replica.c so they can be tested without sockets or a server.
 *
 * Design notes:
 *  1. Nothing here reads the server, logs or does I/O: replica.c feeds these
 *     functions what it received and acts on the answer.
 *  2. The $EOF mark is searched in two places per chunk: the window made of
 *     the kept tail (up to 39 bytes) and the chunk's first 39 bytes, which
 *     holds every mark that starts in the tail; then the chunk itself.  A
 *     match in the window ends before any match wholly inside the chunk (it
 *     ends within the first 39 bytes, a match in the chunk at byte 40 or
 *     later), so the first mark is always the one found.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif

#include "handshake.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- states -------------------------------------------------------------------- */

bool repl_hs_transition_ok(repl_state_t from, repl_state_t to) {
    switch (to) {
    case REPL_NONE:
    case REPL_CONNECT:
        return true;
    case REPL_CONNECTING:
        return from == REPL_CONNECT;
    case REPL_RECEIVE_PING_REPLY:
        return from == REPL_CONNECTING;
    case REPL_SEND_HANDSHAKE:
        return from == REPL_RECEIVE_PING_REPLY;
    case REPL_RECEIVE_AUTH_REPLY:
        return from == REPL_SEND_HANDSHAKE;
    case REPL_RECEIVE_PORT_REPLY:
        return from == REPL_SEND_HANDSHAKE || from == REPL_RECEIVE_AUTH_REPLY;
    case REPL_RECEIVE_IP_REPLY:
        return from == REPL_RECEIVE_PORT_REPLY;
    case REPL_RECEIVE_CAPA_REPLY:
        return from == REPL_RECEIVE_PORT_REPLY || from == REPL_RECEIVE_IP_REPLY;
    case REPL_SEND_PSYNC:
        return from == REPL_RECEIVE_CAPA_REPLY;
    case REPL_RECEIVE_PSYNC_REPLY:
        return from == REPL_SEND_PSYNC;
    case REPL_TRANSFER:
        return from == REPL_RECEIVE_PSYNC_REPLY;
    case REPL_CONNECTED:
        return from == REPL_RECEIVE_PSYNC_REPLY || from == REPL_TRANSFER;
    }
    return false;
}

bool repl_hs_is_handshake_state(repl_state_t s) {
    return s >= REPL_RECEIVE_PING_REPLY && s <= REPL_RECEIVE_PSYNC_REPLY;
}

/* ---- PING ---------------------------------------------------------------------- */

bool repl_hs_ping_reply_ok(const resp_value_t *v) {
    if (v->type == RV_SIMPLE) return true;
    if (v->type != RV_ERROR || !v->str) return false;
    return !strncmp(v->str, "NOAUTH", 6) || !strncmp(v->str, "NOPERM", 6) ||
           !strncmp(v->str, "ERR operation not permitted", 27);
}

/* ---- PSYNC --------------------------------------------------------------------- */

repl_hs_psync_reply_t repl_hs_psync_classify(const char *line) {
    if (!strncmp(line, "+FULLRESYNC", 11)) return REPL_HS_PSYNC_FULL;
    if (!strncmp(line, "+CONTINUE", 9)) return REPL_HS_PSYNC_CONTINUE;
    if (!strncmp(line, "-NOMASTERLINK", 13) || !strncmp(line, "-LOADING", 8))
        return REPL_HS_PSYNC_TRY_LATER;
    return REPL_HS_PSYNC_NOT_SUPPORTED;
}

bool repl_hs_fullresync_parse(const char *line, char id[REPL_HS_ID_LEN + 1], long long *off) {
    const char *p = strchr(line, ' ');
    if (!p) return false;
    p++;
    const char *q = strchr(p, ' ');
    if (!q || q - p != REPL_HS_ID_LEN) return false;
    char *end;
    errno = 0;
    long long v = strtoll(q + 1, &end, 10);
    if (errno || end == q + 1) return false;
    memcpy(id, p, REPL_HS_ID_LEN);
    id[REPL_HS_ID_LEN] = '\0';
    *off = v;
    return true;
}

bool repl_hs_continue_new_id(const char *line, char id[REPL_HS_ID_LEN + 1]) {
    if (strlen(line) != 9 + 1 + REPL_HS_ID_LEN || line[9] != ' ') return false;
    memcpy(id, line + 10, REPL_HS_ID_LEN);
    id[REPL_HS_ID_LEN] = '\0';
    return true;
}

/* ---- timeouts ---------------------------------------------------------------------- */

static const repl_hs_timeout_t state_timeouts[] = {
    [REPL_NONE] = REPL_HS_TIMEOUT_NONE,
    [REPL_CONNECT] = REPL_HS_TIMEOUT_NONE,
    [REPL_CONNECTING] = REPL_HS_TIMEOUT_HANDSHAKE,
    [REPL_RECEIVE_PING_REPLY] = REPL_HS_TIMEOUT_HANDSHAKE,
    [REPL_SEND_HANDSHAKE] = REPL_HS_TIMEOUT_HANDSHAKE,
    [REPL_RECEIVE_AUTH_REPLY] = REPL_HS_TIMEOUT_HANDSHAKE,
    [REPL_RECEIVE_PORT_REPLY] = REPL_HS_TIMEOUT_HANDSHAKE,
    [REPL_RECEIVE_IP_REPLY] = REPL_HS_TIMEOUT_HANDSHAKE,
    [REPL_RECEIVE_CAPA_REPLY] = REPL_HS_TIMEOUT_HANDSHAKE,
    [REPL_SEND_PSYNC] = REPL_HS_TIMEOUT_HANDSHAKE,
    [REPL_RECEIVE_PSYNC_REPLY] = REPL_HS_TIMEOUT_HANDSHAKE,
    [REPL_TRANSFER] = REPL_HS_TIMEOUT_TRANSFER,
    [REPL_CONNECTED] = REPL_HS_TIMEOUT_STREAM,
};
static_assert(sizeof(state_timeouts) / sizeof(state_timeouts[0]) == REPL_CONNECTED + 1,
              "one timeout per state");

repl_hs_timeout_t repl_hs_timeout_kind(repl_state_t s) { return state_timeouts[s]; }

repl_hs_timeout_t repl_hs_timeout_check(repl_state_t s, int64_t now_ms, int64_t last_io_ms,
                                        int64_t since_ms, int64_t transfer_last_io_ms,
                                        int timeout_s) {
    repl_hs_timeout_t kind = state_timeouts[s];
    int64_t last = last_io_ms > since_ms ? last_io_ms : since_ms;
    if (kind == REPL_HS_TIMEOUT_TRANSFER && transfer_last_io_ms > last) last = transfer_last_io_ms;
    if (kind != REPL_HS_TIMEOUT_NONE && (now_ms - last) / 1000 > timeout_s) return kind;
    return REPL_HS_TIMEOUT_NONE;
}

/* ---- the transfer: header line ------------------------------------------------------ */

long repl_hs_take_line(buf_t *line, const char *p, size_t n, bool *complete) {
    const char *nl = memchr(p, '\n', n);
    size_t take = nl ? (size_t)(nl - p) + 1 : n;
    *complete = false;
    if (line->len + take > REPL_HS_LINE_MAX) return -1;
    buf_append(line, p, take);
    *complete = nl != NULL;
    if (*complete) {
        line->len--; /* '\n' */
        if (line->len && line->p[line->len - 1] == '\r') line->len--;
        line->p[line->len] = '\0';
    }
    return (long)take;
}

repl_hs_bulk_t repl_hs_bulk_header(const char *line, long long *size,
                                   char mark[RDB_EOF_MARK_SIZE]) {
    if (line[0] == '\0') return REPL_HS_BULK_KEEPALIVE;
    if (line[0] == '-') return REPL_HS_BULK_ERROR;
    if (line[0] != '$') return REPL_HS_BULK_BAD;
    if (!strncmp(line + 1, "EOF:", 4) && strlen(line + 5) >= RDB_EOF_MARK_SIZE) {
        memcpy(mark, line + 5, RDB_EOF_MARK_SIZE);
        *size = 0;
        return REPL_HS_BULK_EOF_MARK;
    }
    *size = strtoll(line + 1, NULL, 10);
    return REPL_HS_BULK_SIZE;
}

/* ---- the transfer: the $EOF mark ----------------------------------------------------- */

void repl_hs_eof_init(repl_hs_eof_t *e, const char mark[RDB_EOF_MARK_SIZE]) {
    memcpy(e->mark, mark, RDB_EOF_MARK_SIZE);
    e->taillen = 0;
}

size_t repl_hs_eof_scan(repl_hs_eof_t *e, const char *p, size_t n) {
    char win[2 * RDB_EOF_MARK_SIZE];
    size_t head = n < RDB_EOF_MARK_SIZE - 1 ? n : RDB_EOF_MARK_SIZE - 1;
    memcpy(win, e->tail, e->taillen);
    memcpy(win + e->taillen, p, head);
    const char *m = memmem(win, e->taillen + head, e->mark, RDB_EOF_MARK_SIZE);
    if (m) return (size_t)(m - win) + RDB_EOF_MARK_SIZE - e->taillen; /* note 2 */
    if ((m = memmem(p, n, e->mark, RDB_EOF_MARK_SIZE))) return (size_t)(m - p) + RDB_EOF_MARK_SIZE;
    /* keep the last RDB_EOF_MARK_SIZE-1 bytes seen */
    size_t total = e->taillen + n, keep = total < sizeof(e->tail) ? total : sizeof(e->tail);
    if (n >= keep) {
        memcpy(e->tail, p + n - keep, keep);
    } else {
        size_t from_tail = keep - n;
        memmove(e->tail, e->tail + e->taillen - from_tail, from_tail);
        memcpy(e->tail + from_tail, p, n);
    }
    e->taillen = keep;
    return 0;
}
