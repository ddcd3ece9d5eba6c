/* Outgoing connections: see link.h.
 *
 * States: RESOLVING -> CONNECTING -> CONNECTED -> CLOSING.  One uv_timer_t
 * bounds RESOLVING + CONNECTING.  The struct is freed when every handle it
 * owns has closed and no getaddrinfo/connect request is outstanding
 * (`refs` counts them), so a late libuv callback never sees freed memory.
 */
#include "link.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "log.h"

enum { ST_RESOLVING, ST_CONNECTING, ST_CONNECTED, ST_CLOSING };

#define LINK_READ_CHUNK 16384

typedef struct pending {
    link_reply_fn cb;
    void *ud;
} pending_t;

struct link {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_getaddrinfo_t gai;
    uv_connect_t creq;
    uv_write_t wreq;
    int state;
    int refs;              /* open handles + outstanding requests */
    bool tcp_open;
    char *host;
    int port;
    char laddr[64];
    link_opts_t opts;
    char *user, *password;
    buf_t out;             /* encoded, not yet handed to libuv */
    buf_t inflight;        /* handed to the current uv_write */
    bool writing;
    buf_t in;
    size_t inpos;
    pending_t *fifo;
    size_t fhead, fcount, fcap;
    void (*on_raw)(link_t *l, const char *p, size_t n, void *ud);
    bool pubsub;
    int depth;             /* > 0 while inside our own callbacks */
    bool close_pending;
    int close_status;
};

static void finish_close(link_t *l, int status);

/* ---- lifetime ----------------------------------------------------------- */

static void unref(link_t *l) {
    if (--l->refs > 0) return;
    buf_free(&l->out);
    buf_free(&l->inflight);
    buf_free(&l->in);
    xfree(l->fifo);
    xfree(l->host);
    xfree(l->user);
    xfree(l->password);
    xfree(l);
}

static void on_handle_closed(uv_handle_t *h) { unref(h->data); }

/* Closes now if we are not inside a callback, else when it returns. */
static void request_close(link_t *l, int status) {
    if (l->state == ST_CLOSING) return;
    if (l->depth > 0) {
        if (!l->close_pending) l->close_status = status;
        l->close_pending = true;
        return;
    }
    finish_close(l, status);
}

static void leave(link_t *l) {
    if (--l->depth == 0 && l->close_pending && l->state != ST_CLOSING) finish_close(l, l->close_status);
}

static void finish_close(link_t *l, int status) {
    int prev = l->state;
    l->state = ST_CLOSING;
    l->refs++; /* keep l alive through the callbacks below */
    if (prev == ST_RESOLVING) uv_cancel((uv_req_t *)&l->gai);
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, on_handle_closed);
    if (l->tcp_open) uv_close((uv_handle_t *)&l->tcp, on_handle_closed);
    /* Fail every awaited reply, then tell the owner once. */
    l->depth++;
    while (l->fcount) {
        pending_t p = l->fifo[l->fhead];
        l->fhead = (l->fhead + 1) % l->fcap;
        l->fcount--;
        if (p.cb) p.cb(l, NULL, p.ud);
    }
    if (l->opts.on_event) l->opts.on_event(l, LINK_CLOSED, status, l->opts.ud);
    l->depth--;
    unref(l);
}

void link_close(link_t *l) { request_close(l, 0); }

/* ---- writing ------------------------------------------------------------ */

static void on_written(uv_write_t *req, int status);

static void start_write(link_t *l) {
    if (l->writing || l->state != ST_CONNECTED || l->out.len == 0) return;
    buf_t tmp = l->inflight;
    l->inflight = l->out;
    l->out = tmp;
    buf_clear(&l->out);
    uv_buf_t b = uv_buf_init(l->inflight.p, (unsigned)l->inflight.len);
    l->wreq.data = l;
    int rc = uv_write(&l->wreq, (uv_stream_t *)&l->tcp, &b, 1, on_written);
    if (rc < 0) {
        request_close(l, rc);
        return;
    }
    l->writing = true;
    l->refs++;
}

static void on_written(uv_write_t *req, int status) {
    link_t *l = req->data;
    l->writing = false;
    buf_clear(&l->inflight);
    if (l->state != ST_CLOSING) {
        if (status < 0)
            request_close(l, status);
        else
            start_write(l);
    }
    unref(l);
}

static void push_pending(link_t *l, link_reply_fn cb, void *ud) {
    if (l->fcount == l->fcap) {
        size_t cap = l->fcap ? l->fcap * 2 : 16;
        pending_t *f = xmalloc(cap * sizeof(*f));
        for (size_t i = 0; i < l->fcount; i++) f[i] = l->fifo[(l->fhead + i) % l->fcap];
        xfree(l->fifo);
        l->fifo = f;
        l->fcap = cap;
        l->fhead = 0;
    }
    l->fifo[(l->fhead + l->fcount) % l->fcap] = (pending_t){cb, ud};
    l->fcount++;
}

void link_command(link_t *l, link_reply_fn cb, void *ud, int argc, const char *const *argv,
                  const size_t *lens) {
    if (l->state == ST_CLOSING) {
        if (cb) cb(l, NULL, ud);
        return;
    }
    resp_encode_cmd(&l->out, argc, argv, lens);
    push_pending(l, cb, ud);
    start_write(l);
}

void link_commandl(link_t *l, link_reply_fn cb, void *ud, ...) {
    const char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, ud);
    for (const char *a; argc < 32 && (a = va_arg(ap, const char *));) argv[argc++] = a;
    va_end(ap);
    link_command(l, cb, ud, argc, argv, NULL);
}

void link_send_raw(link_t *l, const void *p, size_t n) {
    if (l->state == ST_CLOSING) return;
    buf_append(&l->out, p, n);
    start_write(l);
}

/* ---- reading ------------------------------------------------------------ */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
    link_t *l = h->data;
    if (l->inpos && (l->inpos == l->in.len || l->inpos > l->in.len / 2)) {
        buf_consume(&l->in, l->inpos); /* keep only the partial reply */
        l->inpos = 0;
    }
    buf_reserve(&l->in, LINK_READ_CHUNK);
    *b = uv_buf_init(l->in.p + l->in.len, (unsigned)(l->in.cap - l->in.len - 1));
}

static bool is_pubsub_message(const resp_value_t *v) {
    if (v->type == RV_PUSH) return true;
    if (v->type != RV_ARRAY || v->n < 3 || v->elems[0].type != RV_BULK) return false;
    static const char *const kinds[] = {"message", "pmessage", "smessage", "subscribe", "unsubscribe",
                                        "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", NULL};
    for (int i = 0; kinds[i]; i++)
        if (strcasecmp(v->elems[0].str, kinds[i]) == 0) return true;
    return false;
}

static void dispatch_input(link_t *l) {
    l->depth++;
    while (l->state != ST_CLOSING && !l->close_pending && l->inpos < l->in.len) {
        if (l->on_raw) {
            size_t n = l->in.len - l->inpos;
            l->inpos = l->in.len;
            l->on_raw(l, l->in.p + l->in.len - n, n, l->opts.ud);
            continue;
        }
        size_t consumed = 0;
        resp_value_t *v = NULL;
        const char *err = NULL;
        int rc = resp_value_parse(l->in.p + l->inpos, l->in.len - l->inpos, &consumed, &v, &err);
        if (rc == RESP_AGAIN) {
            if (l->in.len - l->inpos > (l->opts.max_reply_bytes ? l->opts.max_reply_bytes : 64u << 20)) {
                log_warning("Link to %s:%d: reply larger than the limit, closing", l->host, l->port);
                request_close(l, UV_ENOBUFS);
            }
            break;
        }
        if (rc == RESP_EPROTO) {
            log_warning("Link to %s:%d: protocol error (%s), closing", l->host, l->port, err);
            request_close(l, UV_EPROTO);
            break;
        }
        l->inpos += consumed;
        if ((l->pubsub || v->type == RV_PUSH) && is_pubsub_message(v) && l->opts.on_push) {
            l->opts.on_push(l, v, l->opts.ud);
        } else if (l->fcount) {
            pending_t p = l->fifo[l->fhead];
            l->fhead = (l->fhead + 1) % l->fcap;
            l->fcount--;
            if (p.cb) p.cb(l, v, p.ud);
        }
        /* A reply nobody waits for (e.g. after a timeout) is dropped. */
        resp_value_free(v);
    }
    if (l->inpos == l->in.len) {
        buf_clear(&l->in);
        l->inpos = 0;
    }
    leave(l);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
    link_t *l = s->data;
    if (nread == 0 || l->state == ST_CLOSING) return;
    if (nread < 0) {
        request_close(l, (int)nread);
        return;
    }
    l->in.len += (size_t)nread;
    l->in.p[l->in.len] = '\0';
    dispatch_input(l);
}

/* ---- connecting --------------------------------------------------------- */

static void on_timeout(uv_timer_t *t) {
    link_t *l = t->data;
    if (l->state == ST_RESOLVING || l->state == ST_CONNECTING) request_close(l, UV_ETIMEDOUT);
}

static void on_connected(uv_connect_t *req, int status) {
    link_t *l = req->data;
    if (l->state == ST_CLOSING) {
        unref(l);
        return;
    }
    if (status < 0) {
        request_close(l, status);
        unref(l);
        return;
    }
    l->state = ST_CONNECTED;
    uv_timer_stop(&l->timer);
    uv_tcp_nodelay(&l->tcp, 1);
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len) == 0) {
        char ip[48] = "?";
        int port = 0;
        if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        snprintf(l->laddr, sizeof(l->laddr), "%s:%d", ip, port);
    }
    int rc = uv_read_start((uv_stream_t *)&l->tcp, on_alloc, on_read);
    if (rc < 0) {
        request_close(l, rc);
        unref(l);
        return;
    }
    l->depth++;
    if (l->opts.on_event) l->opts.on_event(l, LINK_CONNECTED, 0, l->opts.ud);
    leave(l);
    if (l->state == ST_CONNECTED) start_write(l);
    unref(l);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
    link_t *l = req->data;
    if (l->state == ST_CLOSING || status < 0) {
        if (res) uv_freeaddrinfo(res);
        if (l->state != ST_CLOSING) request_close(l, status);
        unref(l);
        return;
    }
    l->state = ST_CONNECTING;
    uv_tcp_init(l->loop, &l->tcp);
    l->tcp.data = l;
    l->tcp_open = true;
    l->refs++;
    l->creq.data = l;
    int rc = uv_tcp_connect(&l->creq, &l->tcp, res->ai_addr, on_connected);
    uv_freeaddrinfo(res);
    if (rc < 0)
        request_close(l, rc);
    else
        l->refs++; /* the connect request */
    unref(l);      /* the getaddrinfo request */
}

link_t *link_connect(uv_loop_t *loop, const char *host, int port, const link_opts_t *opts) {
    link_t *l = xcalloc(1, sizeof(*l));
    l->loop = loop;
    l->host = xstrdup(host);
    l->port = port;
    if (opts) l->opts = *opts;
    if (l->opts.password) {
        l->password = xstrdup(l->opts.password);
        if (l->opts.user) l->user = xstrdup(l->opts.user);
    }
    l->opts.user = l->user;
    l->opts.password = l->password;
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    l->refs = 1; /* the timer handle */
    int64_t timeout = l->opts.connect_timeout_ms > 0 ? l->opts.connect_timeout_ms : 10000;
    uv_timer_start(&l->timer, on_timeout, (uint64_t)timeout, 0);
    l->state = ST_RESOLVING;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    l->gai.data = l;
    int rc = uv_getaddrinfo(loop, &l->gai, on_resolved, host, portstr, &hints);
    if (rc < 0) {
        l->state = ST_CLOSING;
        uv_close((uv_handle_t *)&l->timer, on_handle_closed);
        return NULL;
    }
    l->refs++;
    /* AUTH goes first so the owner's commands follow it. */
    if (l->password) {
        if (l->user)
            link_commandl(l, NULL, NULL, "AUTH", l->user, l->password, NULL);
        else
            link_commandl(l, NULL, NULL, "AUTH", l->password, NULL);
    }
    return l;
}

/* ---- modes and introspection -------------------------------------------- */

void link_set_raw(link_t *l, void (*on_raw)(link_t *l, const char *p, size_t n, void *ud)) { l->on_raw = on_raw; }
void link_set_pubsub(link_t *l, bool on) { l->pubsub = on; }
bool link_is_connected(const link_t *l) { return l->state == ST_CONNECTED; }
const char *link_host(const link_t *l) { return l->host; }
int link_port(const link_t *l) { return l->port; }
const char *link_local_addr(const link_t *l) { return l->laddr; }
size_t link_pending_output(const link_t *l) { return l->out.len + l->inflight.len; }
size_t link_pending_replies(const link_t *l) { return l->fcount; }
