/* The reply writer: RESP2/RESP3 encodings into a client's output.
 *
 * Output layout (see server.h note 3): bytes go to c->buf while no block is
 * queued; once a block exists every append goes to the tail block (so order
 * is kept), and a full tail gets a new block of at least REPLY_CHUNK bytes.
 * A deferred-length placeholder is a block of size 0 that is filled later;
 * its zero size makes the next append start a new block after it. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "server.h"

#define DEFER_HDR_MAX 24 /* "*" + 20 digits + CRLF */

int reply_suppressed(const client_t *c) {
    return c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_FAKE | CLIENT_CLOSE_AFTER_REPLY);
}

void reply_schedule(client_t *c) {
    if (c->flags & CLIENT_PENDING_WRITE) return;
    c->flags |= CLIENT_PENDING_WRITE;
    c->pending_prev = NULL;
    c->pending_next = server.pending_writes;
    if (server.pending_writes) server.pending_writes->pending_prev = c;
    server.pending_writes = c;
}

static reply_block_t *block_new(size_t min) {
    size_t size = min < REPLY_CHUNK ? REPLY_CHUNK : min;
    reply_block_t *b = xmalloc(sizeof(*b) + size);
    b->next = NULL;
    b->size = xusable(b) - sizeof(*b);
    b->used = b->sent = 0;
    return b;
}

static void block_append(client_t *c, reply_block_t *b) {
    if (c->reply_tail)
        c->reply_tail->next = b;
    else
        c->reply_head = b;
    c->reply_tail = b;
}

static void add_to_blocks(client_t *c, const char *p, size_t n) {
    reply_block_t *t = c->reply_tail;
    if (t && t->size > t->used) {
        size_t room = t->size - t->used;
        size_t k = n < room ? n : room;
        memcpy(t->data + t->used, p, k);
        t->used += k;
        c->reply_bytes += k;
        p += k;
        n -= k;
    }
    if (n) {
        reply_block_t *b = block_new(n);
        memcpy(b->data, p, n);
        b->used = n;
        c->reply_bytes += n;
        block_append(c, b);
    }
}

/* The only place bytes enter a client's output. */
static inline void add(client_t *c, const char *p, size_t n) {
    if (__builtin_expect(reply_suppressed(c) != 0, 0)) return;
    if (!c->reply_head && c->bufpos + n <= sizeof(c->buf)) {
        memcpy(c->buf + c->bufpos, p, n);
        c->bufpos += n;
    } else {
        add_to_blocks(c, p, n);
    }
    reply_schedule(c);
}

void reply_raw(client_t *c, const void *p, size_t n) { add(c, p, n); }

void reply_ok(client_t *c) { add(c, "+OK\r\n", 5); }

void reply_simple_len(client_t *c, const char *s, size_t n) {
    char tmp[256];
    if (n + 3 <= sizeof(tmp)) {
        tmp[0] = '+';
        memcpy(tmp + 1, s, n);
        tmp[n + 1] = '\r';
        tmp[n + 2] = '\n';
        add(c, tmp, n + 3);
        return;
    }
    add(c, "+", 1);
    add(c, s, n);
    add(c, "\r\n", 2);
}

void reply_simple(client_t *c, const char *s) { reply_simple_len(c, s, strlen(s)); }

void reply_error_len(client_t *c, const char *err, size_t n) {
    /* Newlines would break the protocol: Redis replaces them with spaces. */
    server_log_error_reply(err, n);
    if (reply_suppressed(c)) return;
    add(c, "-", 1);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (err[i] == '\r' || err[i] == '\n') {
            add(c, err + start, i - start);
            add(c, " ", 1);
            start = i + 1;
        }
    }
    add(c, err + start, n - start);
    add(c, "\r\n", 2);
}

void reply_error(client_t *c, const char *err) { reply_error_len(c, err, strlen(err)); }

void reply_errorf(client_t *c, const char *fmt, ...) {
    buf_t b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    reply_error_len(c, b.p, b.len);
    buf_free(&b);
}

void reply_error_syntax(client_t *c) { reply_error(c, "ERR syntax error"); }

void reply_error_arity(client_t *c, const char *cmdname) {
    reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmdname);
}

void reply_error_wrongtype(client_t *c) {
    reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void reply_error_not_int(client_t *c) {
    reply_error(c, "ERR value is not an integer or out of range");
}

static inline void add_hdr(client_t *c, char type, long long n) {
    char tmp[32];
    tmp[0] = type;
    size_t k = 1 + ll2str(tmp + 1, n);
    tmp[k++] = '\r';
    tmp[k++] = '\n';
    add(c, tmp, k);
}

void reply_int(client_t *c, long long v) {
    if (v >= 0 && v <= 1) {
        add(c, v ? ":1\r\n" : ":0\r\n", 4);
        return;
    }
    add_hdr(c, ':', v);
}

void reply_bulk(client_t *c, const void *p, size_t n) {
    if (n < 200 && !c->reply_head && c->bufpos + n + 32 <= sizeof(c->buf) && !reply_suppressed(c)) {
        /* Fast path: header, payload and CRLF straight into the inline buffer. */
        char *o = c->buf + c->bufpos;
        *o++ = '$';
        o += ull2str(o, n);
        *o++ = '\r';
        *o++ = '\n';
        memcpy(o, p, n);
        o += n;
        *o++ = '\r';
        *o++ = '\n';
        c->bufpos = (size_t)(o - c->buf);
        reply_schedule(c);
        return;
    }
    add_hdr(c, '$', (long long)n);
    add(c, p, n);
    add(c, "\r\n", 2);
}

void reply_bulk_cstr(client_t *c, const char *s) {
    if (!s)
        reply_null(c);
    else
        reply_bulk(c, s, strlen(s));
}

void reply_bulk_ll(client_t *c, long long v) {
    char tmp[24];
    reply_bulk(c, tmp, ll2str(tmp, v));
}

void reply_bulkf(client_t *c, const char *fmt, ...) {
    buf_t b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    reply_bulk(c, b.p ? b.p : "", b.len);
    buf_free(&b);
}

void reply_null(client_t *c) {
    if (c->resp >= 3)
        add(c, "_\r\n", 3);
    else
        add(c, "$-1\r\n", 5);
}

void reply_null_array(client_t *c) {
    if (c->resp >= 3)
        add(c, "_\r\n", 3);
    else
        add(c, "*-1\r\n", 5);
}

void reply_array(client_t *c, long long n) { add_hdr(c, '*', n); }
void reply_empty_array(client_t *c) { add(c, "*0\r\n", 4); }

void reply_map(client_t *c, long long pairs) {
    if (c->resp >= 3)
        add_hdr(c, '%', pairs);
    else
        add_hdr(c, '*', pairs * 2);
}

void reply_set(client_t *c, long long n) { add_hdr(c, c->resp >= 3 ? '~' : '*', n); }
void reply_push(client_t *c, long long n) { add_hdr(c, c->resp >= 3 ? '>' : '*', n); }

void reply_attribute(client_t *c, long long pairs) {
    if (c->resp >= 3) add_hdr(c, '|', pairs);
}

void reply_double(client_t *c, double d) {
    char tmp[64];
    size_t n = d2str(tmp, sizeof(tmp), d);
    if (c->resp >= 3) {
        char out[72];
        out[0] = ',';
        memcpy(out + 1, tmp, n);
        out[n + 1] = '\r';
        out[n + 2] = '\n';
        add(c, out, n + 3);
    } else {
        reply_bulk(c, tmp, n);
    }
}

void reply_bool(client_t *c, int b) {
    if (c->resp >= 3)
        add(c, b ? "#t\r\n" : "#f\r\n", 4);
    else
        add(c, b ? ":1\r\n" : ":0\r\n", 4);
}

void reply_verbatim(client_t *c, const char *p, size_t n, const char *ext) {
    if (c->resp < 3) {
        reply_bulk(c, p, n);
        return;
    }
    add_hdr(c, '=', (long long)n + 4);
    add(c, ext, 3);
    add(c, ":", 1);
    add(c, p, n);
    add(c, "\r\n", 2);
}

void *reply_defer_len(client_t *c) {
    if (reply_suppressed(c)) return NULL;
    reply_block_t *b = xmalloc(sizeof(*b) + DEFER_HDR_MAX);
    b->next = NULL;
    b->size = b->used = b->sent = 0; /* size 0: nothing is appended into it */
    block_append(c, b);
    reply_schedule(c);
    return b;
}

static void set_deferred(client_t *c, void *node, char type, long long n) {
    if (!node) return;
    reply_block_t *b = node;
    char tmp[32];
    tmp[0] = type;
    size_t k = 1 + ll2str(tmp + 1, n);
    tmp[k++] = '\r';
    tmp[k++] = '\n';
    memcpy(b->data, tmp, k);
    b->size = b->used = k;
    c->reply_bytes += k;
}

void reply_set_deferred_array(client_t *c, void *node, long long n) { set_deferred(c, node, '*', n); }

void reply_set_deferred_map(client_t *c, void *node, long long pairs) {
    if (c->resp >= 3)
        set_deferred(c, node, '%', pairs);
    else
        set_deferred(c, node, '*', pairs * 2);
}

void reply_set_deferred_set(client_t *c, void *node, long long n) {
    set_deferred(c, node, c->resp >= 3 ? '~' : '*', n);
}

void reply_lines(client_t *c, const char *const *lines, size_t n) {
    reply_array(c, (long long)n);
    for (size_t i = 0; i < n; i++) reply_simple(c, lines[i]);
}

/* The command name as typed, upper-cased, at most 127 bytes. */
static void upper_cmd_name(const client_t *c, char out[128]) {
    size_t n = c->argvlen[0] < 127 ? c->argvlen[0] : 127;
    for (size_t i = 0; i < n; i++) out[i] = (char)toupper((unsigned char)c->argv[0][i]);
    out[n] = '\0';
}

void reply_help(client_t *c, const char *const *lines) {
    size_t n = 0;
    while (lines[n]) n++;
    char cmd[128];
    upper_cmd_name(c, cmd);
    reply_array(c, (long long)n + 3);
    buf_t b = BUF_INIT;
    buf_printf(&b, "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd);
    reply_simple_len(c, b.p, b.len);
    buf_free(&b);
    for (size_t i = 0; i < n; i++) reply_simple(c, lines[i]);
    reply_simple(c, "HELP");
    reply_simple(c, "    Print this help.");
}

void reply_error_subcommand_syntax(client_t *c) {
    char cmd[128];
    upper_cmd_name(c, cmd);
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
                 c->argc > 1 ? c->argv[1] : "", cmd);
}
