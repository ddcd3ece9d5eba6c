/* Client connections: accept, read and parse, flush replies, limits, close.
 *
 * Design notes:
 *  1. Reading: libuv asks alloc_cb for memory and we hand it the free tail of
 *     the client's query buffer, so bytes land where the parser reads them.
 *     Every complete command in the buffer is executed before the next read
 *     (pipelining); a partial command stays, and the parser resumes it.
 *  2. Writing: see server.h note 3.  flush() first tries uv_try_write with an
 *     iovec of the inline buffer and the blocks.  If the socket is full, the
 *     unsent inline bytes are moved into a block (so c->buf is free again) and
 *     the blocks are handed to uv_write; blocks stay alive until its callback
 *     (their `sent` marks progress).  Replies produced meanwhile are appended
 *     past the in-flight range, which libuv never looks at.
 *  3. Freeing: a client is freed only outside its own callbacks: protocol
 *     errors and limits mark it CLOSE_ASAP / CLOSE_AFTER_REPLY and the
 *     before-poll hook frees it.  uv_close's callback releases the memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "alloc.h"
#include "buf.h"
#include "log.h"
#include "server.h"

#define QBUF_MIN_FREE 16384
#define IOV_MAX_BLOCKS 64

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b);

/* ---- lifecycle ---------------------------------------------------------- */

void client_set_db(client_t *c, int index) {
    c->db_index = index;
    c->db = server.db_for_index ? server.db_for_index(index) : NULL;
}

static client_t *client_alloc(void) {
    client_t *c = xcalloc(1, sizeof(*c));
    c->id = ++server.next_client_id;
    c->resp = 2;
    c->db_index = 0;
    c->authenticated = server.cfg.requirepass == NULL;
    resp_req_init(&c->req);
    c->ctime_ms = c->last_interaction_ms = server.now_ms;
    client_set_db(c, 0);
    return c;
}

static void link_client(client_t *c) {
    c->prev = NULL;
    c->next = server.clients;
    if (server.clients) server.clients->prev = c;
    server.clients = c;
    server.nclients++;
}

client_t *client_new_fake(void) {
    client_t *c = client_alloc();
    c->flags |= CLIENT_FAKE;
    c->authenticated = true;
    strcpy(c->addr, "fake");
    return c;
}

static void fmt_addr(const struct sockaddr_storage *ss, char *out, size_t n) {
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
        snprintf(out, n, "%s:%d", ip, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
        snprintf(out, n, "%s:%d", ip, port);
    } else {
        snprintf(out, n, "?:0");
    }
}

static bool addr_is_loopback(const struct sockaddr_storage *ss) {
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ss;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)ss;
        return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
               (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127);
    }
    return true;
}

static void on_close(uv_handle_t *h) {
    client_t *c = h->data;
    xfree(c);
}

/* Sends a short error straight to the socket and closes: used before the
 * client is fully set up (maxclients, protected mode). */
static void reject_and_close(client_t *c, const char *msg) {
    uv_buf_t b = uv_buf_init((char *)msg, (unsigned)strlen(msg));
    uv_try_write(&c->io.stream, &b, 1);
    resp_req_free(&c->req);
    uv_close(&c->io.handle, on_close);
}

void client_on_connection(uv_stream_t *listener, int status) {
    listener_t *l = listener->data;
    if (status < 0) {
        log_warning("Accepting client connection: %s", uv_strerror(status));
        return;
    }
    client_t *c = client_alloc();
    int rc;
    if (l->unix_socket) {
        uv_pipe_init(server.loop, &c->io.pipe, 0);
        c->flags |= CLIENT_UNIX;
    } else {
        uv_tcp_init(server.loop, &c->io.tcp);
    }
    c->io.handle.data = c;
    rc = uv_accept(listener, &c->io.stream);
    if (rc < 0) {
        log_warning("Accepting client connection: %s", uv_strerror(rc));
        resp_req_free(&c->req);
        uv_close(&c->io.handle, on_close);
        return;
    }
    bool loopback = true;
    if (l->unix_socket) {
        snprintf(c->addr, sizeof(c->addr), "%s:0", server.cfg.unixsocket ? server.cfg.unixsocket : "");
        snprintf(c->laddr, sizeof(c->laddr), "%s:0", server.cfg.unixsocket ? server.cfg.unixsocket : "");
    } else {
        struct sockaddr_storage ss;
        int len = sizeof(ss);
        if (uv_tcp_getpeername(&c->io.tcp, (struct sockaddr *)&ss, &len) == 0) {
            fmt_addr(&ss, c->addr, sizeof(c->addr));
            loopback = addr_is_loopback(&ss);
        }
        len = sizeof(ss);
        if (uv_tcp_getsockname(&c->io.tcp, (struct sockaddr *)&ss, &len) == 0)
            fmt_addr(&ss, c->laddr, sizeof(c->laddr));
        uv_tcp_nodelay(&c->io.tcp, 1);
        if (server.cfg.tcp_keepalive > 0) uv_tcp_keepalive(&c->io.tcp, 1, (unsigned)server.cfg.tcp_keepalive);
    }
    server.stat_numconnections++;
    if (server.nclients >= server.cfg.maxclients) {
        server.stat_rejected_conn++;
        reject_and_close(c, "-ERR max number of clients reached\r\n");
        return;
    }
    /* Redis 7: with protected mode on and no password for the default user,
     * only loopback and unix-socket clients are accepted, whatever `bind` is. */
    if (server.cfg.protected_mode && !loopback && server.cfg.requirepass == NULL) {
        server.stat_rejected_conn++;
        reject_and_close(c,
            "-DENIED Redis is running in protected mode because protected mode is enabled and no "
            "password is set for the default user. In this mode connections are only accepted from "
            "the loopback interface. If you want to connect from external computers to Redis you may "
            "adopt one of the following solutions: 1) Just disable protected mode sending the command "
            "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
            "the same host the server is running, however MAKE SURE Redis is not publicly accessible "
            "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
            "Alternatively you can just disable the protected mode by editing the Redis configuration "
            "file, and setting the protected mode option to 'no', and then restarting the server. 3) "
            "If you started the server manually just for testing, restart it with the '--protected-mode "
            "no' option. 4) Set up an authentication password for the default user. NOTE: You only need "
            "to do one of the above things in order for the server to start accepting connections from "
            "the outside.\r\n");
        return;
    }
    link_client(c);
    rc = uv_read_start(&c->io.stream, on_alloc, on_read);
    if (rc < 0) {
        log_warning("Reading from client: %s", uv_strerror(rc));
        client_close_async(c);
    }
}

static void pending_unlink(client_t *c) {
    if (!(c->flags & CLIENT_PENDING_WRITE)) return;
    if (c->pending_prev)
        c->pending_prev->pending_next = c->pending_next;
    else
        server.pending_writes = c->pending_next;
    if (c->pending_next) c->pending_next->pending_prev = c->pending_prev;
    c->pending_next = c->pending_prev = NULL;
    c->flags &= ~CLIENT_PENDING_WRITE;
}

/* Hooks other modules install to release their per-client state. */
static void (*free_hooks[8])(client_t *c);
static int nfree_hooks;

void client_on_free(void (*fn)(client_t *c)) {
    if (nfree_hooks < (int)(sizeof(free_hooks) / sizeof(free_hooks[0]))) free_hooks[nfree_hooks++] = fn;
}

static void remove_from(client_t **arr, size_t *n, client_t *c) {
    for (size_t i = 0; i < *n; i++) {
        if (arr[i] == c) {
            arr[i] = arr[--*n];
            return;
        }
    }
}

void client_free(client_t *c) {
    if (c->flags & CLIENT_CLOSING) return;
    if (c->flags & CLIENT_EXECUTING) {
        client_close_async(c);
        return;
    }
    c->flags |= CLIENT_CLOSING;
    if (server.current_client == c) server.current_client = NULL;
    for (int i = 0; i < nfree_hooks; i++) free_hooks[i](c);
    pending_unlink(c);
    remove_from(server.close_asap, &server.nclose_asap, c);
    remove_from(server.monitors, &server.nmonitors, c);
    remove_from(server.paused, &server.npaused, c);
    if (!(c->flags & CLIENT_FAKE)) {
        if (c->prev)
            c->prev->next = c->next;
        else
            server.clients = c->next;
        if (c->next) c->next->prev = c->prev;
        server.nclients--;
    }
    resp_req_free(&c->req);
    xfree(c->qbuf);
    xfree(c->argv);
    xfree(c->argvlen);
    for (int i = 0; i < c->mcount; i++) {
        for (int j = 0; j < c->mstate[i].argc; j++) xfree(c->mstate[i].argv[j]);
        xfree(c->mstate[i].argv);
        xfree(c->mstate[i].lens);
    }
    xfree(c->mstate);
    xfree(c->name);
    xfree(c->lib_name);
    xfree(c->lib_ver);
    /* Blocks still referenced by an in-flight uv_write are freed in its
     * callback, which libuv runs (with ECANCELED) before the close callback. */
    if (!c->write_in_flight) {
        reply_block_t *b = c->reply_head;
        while (b) {
            reply_block_t *n = b->next;
            xfree(b);
            b = n;
        }
        c->reply_head = c->reply_tail = NULL;
    }
    if (c->flags & CLIENT_FAKE) {
        xfree(c);
        return;
    }
    uv_close(&c->io.handle, on_close);
}

void client_close_async(client_t *c) {
    if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSING)) return;
    c->flags |= CLIENT_CLOSE_ASAP;
    if (server.nclose_asap == server.close_asap_cap) {
        server.close_asap_cap = server.close_asap_cap ? server.close_asap_cap * 2 : 16;
        server.close_asap = xrealloc(server.close_asap, server.close_asap_cap * sizeof(client_t *));
    }
    server.close_asap[server.nclose_asap++] = c;
}

void clients_free_pending_closes(void) {
    while (server.nclose_asap) {
        client_t *c = server.close_asap[server.nclose_asap - 1];
        c->flags &= ~CLIENT_EXECUTING;
        client_free(c); /* removes itself from close_asap */
    }
}

/* ---- input -------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
    client_t *c = h->data;
    size_t want = QBUF_MIN_FREE;
    size_t have = c->qlen - c->qpos;
    size_t need = resp_req_want(&c->req); /* from the command start: one read fills a big bulk */
    if (need > have && need - have > want) want = need - have;
    if (have == 0) {
        c->qpos = c->qlen = 0;
    } else if (c->qpos > 0 && c->qcap - c->qlen < want) {
        /* The parser keeps offsets from the command start, so moving the
         * partial command to the front is safe. */
        memmove(c->qbuf, c->qbuf + c->qpos, have);
        c->qpos = 0;
        c->qlen = have;
    }
    if (c->qcap - c->qlen < want) {
        c->qbuf = xrealloc(c->qbuf, c->qlen + want);
        c->qcap = xusable(c->qbuf);
    }
    size_t room = c->qcap - c->qlen;
    *b = uv_buf_init(c->qbuf + c->qlen, (unsigned)(room > 0x7fffffff ? 0x7fffffff : room));
}

static void ensure_argv(client_t *c, size_t n) {
    if (n <= c->argv_cap) return;
    size_t cap = c->argv_cap ? c->argv_cap : 8;
    while (cap < n) cap *= 2;
    c->argv = xrealloc(c->argv, cap * sizeof(*c->argv));
    c->argvlen = xrealloc(c->argvlen, cap * sizeof(*c->argvlen));
    c->argv_cap = cap;
}

static void protocol_error(client_t *c, const char *err) {
    if (log_get_level() <= LL_VERBOSE) log_verbose("Protocol error (%s) from client: id=%llu addr=%s", err,
                                                   (unsigned long long)c->id, c->addr);
    char msg[256];
    snprintf(msg, sizeof(msg), "ERR %s", err);
    reply_error(c, msg);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    c->qpos = c->qlen = 0;
    resp_req_reset(&c->req);
}

static void reset_after_command(client_t *c) {
    c->argc = 0;
    c->cmd = NULL;
    if (c->flags & CLIENT_REPLY_SKIP) c->flags &= ~CLIENT_REPLY_SKIP;
    if (c->flags & CLIENT_REPLY_SKIP_NEXT) {
        c->flags &= ~CLIENT_REPLY_SKIP_NEXT;
        c->flags |= CLIENT_REPLY_SKIP;
    }
}

void client_process_input(client_t *c) {
    resp_limits_t lim = {
        .max_bulk_len = server.cfg.proto_max_bulk_len,
        .max_multibulk_len = 0x7fffffff,
        .max_inline_len = 64 * 1024,
        .unauthenticated = !c->authenticated,
    };
    c->flags |= CLIENT_EXECUTING;
    while (c->qpos < c->qlen) {
        if (c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)) break;
        if (c->flags & (CLIENT_PAUSED | CLIENT_READ_STOPPED)) break;
        size_t consumed = 0;
        lim.unauthenticated = !c->authenticated;
        int rc = resp_req_parse(&c->req, c->qbuf + c->qpos, c->qlen - c->qpos, &lim, &consumed);
        if (rc == RESP_AGAIN) break;
        if (rc == RESP_EPROTO) {
            protocol_error(c, c->req.err);
            break;
        }
        char *base = c->qbuf + c->qpos;
        if (c->req.argc == 0) {
            c->qpos += consumed;
            continue;
        }
        ensure_argv(c, c->req.argc);
        for (size_t i = 0; i < c->req.argc; i++) {
            c->argv[i] = base + c->req.argv[i].off;
            c->argvlen[i] = c->req.argv[i].len;
        }
        c->argc = (int)c->req.argc;
        if (server.pause_type && client_is_paused_for(c, command_lookup_argv(c->argc, c->argv, c->argvlen))) {
            /* Not executed now: the command stays in the buffer (re-parsed
             * from its start) and runs when the pause ends. */
            resp_req_reset(&c->req);
            c->argc = 0;
            c->flags |= CLIENT_PAUSED;
            if (server.npaused == server.paused_cap) {
                server.paused_cap = server.paused_cap ? server.paused_cap * 2 : 16;
                server.paused = xrealloc(server.paused, server.paused_cap * sizeof(client_t *));
            }
            server.paused[server.npaused++] = c;
            break;
        }
        /* Commands may look at the byte after an argument: terminate each in
         * place (the CRLF or space after it is ours to overwrite). */
        for (size_t i = 0; i < c->req.argc; i++) base[c->req.argv[i].off + c->req.argv[i].len] = '\0';
        c->qpos += consumed;
        c->last_interaction_ms = server.now_ms;
        command_process(c);
        if ((c->flags & CLIENT_MASTER) && command_hooks.master_applied) command_hooks.master_applied(c, consumed);
        reset_after_command(c);
    }
    c->flags &= ~CLIENT_EXECUTING;
    if (c->qpos == c->qlen) c->qpos = c->qlen = 0;
    if (c->qlen - c->qpos > server.cfg.client_query_buffer_limit && server.cfg.client_query_buffer_limit) {
        log_warning("Closing client that reached max query buffer length: id=%llu addr=%s qbuf=%zu",
                    (unsigned long long)c->id, c->addr, c->qlen - c->qpos);
        server.stat_client_qbuf_limit_disconnections++;
        client_close_async(c);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
    client_t *c = s->data;
    if (nread == 0) return;
    if (nread < 0) {
        if (nread != UV_EOF && nread != UV_ECONNRESET)
            log_verbose("Reading from client: %s", uv_strerror((int)nread));
        client_close_async(c);
        return;
    }
    server.stat_net_input_bytes += nread;
    server.stat_io_reads++;
    c->net_in += (size_t)nread;
    c->qlen += (size_t)nread;
    if (c->qlen > c->qpeak) c->qpeak = c->qlen;
    if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY)) {
        c->qpos = c->qlen = 0;
        return;
    }
    /* Commands see the time the bytes arrived, not the time before the
     * poll (which can be 1/hz old): expiry must be exact to the ms. */
    server_update_clock();
    server.current_client = c;
    client_process_input(c);
    server.current_client = NULL;
}

/* ---- output ------------------------------------------------------------- */

size_t client_output_bytes(const client_t *c) { return c->bufpos - c->bufsent + c->reply_bytes; }

static void free_sent_blocks(client_t *c) {
    while (c->reply_head && c->reply_head->sent == c->reply_head->used && c->reply_head->size != 0 &&
           !(c->write_in_flight)) {
        reply_block_t *b = c->reply_head;
        c->reply_head = b->next;
        if (!c->reply_head) c->reply_tail = NULL;
        xfree(b);
    }
}

static void account_written(client_t *c, size_t n) {
    server.stat_net_output_bytes += (long long)n;
    c->net_out += n;
    size_t inl = c->bufpos - c->bufsent;
    if (inl) {
        size_t k = n < inl ? n : inl;
        c->bufsent += k;
        n -= k;
        if (c->bufsent == c->bufpos) c->bufsent = c->bufpos = 0;
    }
    for (reply_block_t *b = c->reply_head; b && n; b = b->next) {
        size_t left = b->used - b->sent;
        size_t k = n < left ? n : left;
        b->sent += k;
        c->reply_bytes -= k;
        n -= k;
    }
}

static void on_write_done(uv_write_t *req, int status);

static int fill_iov(client_t *c, uv_buf_t *iov, int max, size_t *total) {
    int n = 0;
    *total = 0;
    if (c->bufpos > c->bufsent) {
        iov[n++] = uv_buf_init(c->buf + c->bufsent, (unsigned)(c->bufpos - c->bufsent));
        *total += c->bufpos - c->bufsent;
    }
    for (reply_block_t *b = c->reply_head; b && n < max; b = b->next) {
        if (b->used == b->sent) continue;
        iov[n++] = uv_buf_init(b->data + b->sent, (unsigned)(b->used - b->sent));
        *total += b->used - b->sent;
    }
    return n;
}

/* Writes what it can now; queues the rest.  Returns false if c was closed. */
static bool flush_client(client_t *c) {
    if (c->write_in_flight) return true;
    for (;;) {
        uv_buf_t iov[IOV_MAX_BLOCKS];
        size_t total;
        int n = fill_iov(c, iov, IOV_MAX_BLOCKS, &total);
        if (n == 0) break;
        int w = uv_try_write(&c->io.stream, iov, (unsigned)n);
        if (w == UV_EAGAIN || w == UV_ENOSYS) w = 0;
        if (w < 0) {
            log_verbose("Error writing to client: %s", uv_strerror(w));
            client_free(c);
            return false;
        }
        server.stat_io_writes++;
        account_written(c, (size_t)w);
        free_sent_blocks(c);
        if ((size_t)w == total) continue; /* maybe more than IOV_MAX_BLOCKS */
        /* Socket full: move unsent inline bytes into a block so c->buf is free,
         * then let libuv write the blocks when the socket drains. */
        if (c->bufpos > c->bufsent) {
            size_t k = c->bufpos - c->bufsent;
            reply_block_t *b = xmalloc(sizeof(*b) + k);
            b->next = c->reply_head;
            b->size = b->used = k;
            b->sent = 0;
            memcpy(b->data, c->buf + c->bufsent, k);
            c->reply_head = b;
            if (!c->reply_tail) c->reply_tail = b;
            c->reply_bytes += k;
            c->bufpos = c->bufsent = 0;
        }
        n = fill_iov(c, iov, IOV_MAX_BLOCKS, &total);
        c->wreq.data = c;
        c->inflight_bytes = total;
        int rc = uv_write(&c->wreq, &c->io.stream, iov, (unsigned)n, on_write_done);
        if (rc < 0) {
            client_free(c);
            return false;
        }
        c->write_in_flight = true;
        return true;
    }
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
        client_free(c);
        return false;
    }
    /* Give back a large query buffer once idle. */
    return true;
}

static void on_write_done(uv_write_t *req, int status) {
    client_t *c = req->data;
    c->write_in_flight = false;
    if (c->flags & CLIENT_CLOSING) {
        reply_block_t *b = c->reply_head;
        while (b) {
            reply_block_t *n = b->next;
            xfree(b);
            b = n;
        }
        c->reply_head = c->reply_tail = NULL;
        return;
    }
    if (status < 0) {
        client_close_async(c);
        return;
    }
    /* The in-flight range was written whole (libuv completes partial writes). */
    size_t n = c->inflight_bytes;
    c->inflight_bytes = 0;
    server.stat_net_output_bytes += (long long)n;
    c->net_out += n;
    for (reply_block_t *b = c->reply_head; b && n; b = b->next) {
        size_t left = b->used - b->sent;
        size_t k = n < left ? n : left;
        b->sent += k;
        c->reply_bytes -= k;
        n -= k;
    }
    free_sent_blocks(c);
    if (client_output_bytes(c) || (c->flags & CLIENT_CLOSE_AFTER_REPLY)) reply_schedule(c);
}

int client_obuf_class(const client_t *c) {
    if (c->flags & CLIENT_REPLICA) return OBUF_REPLICA;
    if (c->flags & CLIENT_PUBSUB) return OBUF_PUBSUB;
    return OBUF_NORMAL;
}

/* client-output-buffer-limit: true if c must be closed. */
static bool obuf_limit_reached(client_t *c) {
    const config_obuf_limit_t *l = &server.cfg.obuf_limits[client_obuf_class(c)];
    if (c->flags & CLIENT_MASTER) return false;
    size_t used = c->reply_bytes;
    if (l->hard_bytes && used >= l->hard_bytes) return true;
    if (l->soft_bytes && used >= l->soft_bytes) {
        if (!c->obuf_soft_since_ms) {
            c->obuf_soft_since_ms = server.now_ms;
            return false;
        }
        return server.now_ms - c->obuf_soft_since_ms > l->soft_seconds * 1000;
    }
    c->obuf_soft_since_ms = 0;
    return false;
}

void clients_flush_pending(void) {
    while (server.pending_writes) {
        client_t *c = server.pending_writes;
        pending_unlink(c);
        if (c->flags & (CLIENT_CLOSING | CLIENT_CLOSE_ASAP)) continue;
        if (obuf_limit_reached(c)) {
            log_warning("Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of output "
                        "buffer limits.", (unsigned long long)c->id, c->addr);
            server.stat_client_outbuf_limit_disconnections++;
            client_close_async(c);
            continue;
        }
        /* A replica receiving its snapshot accumulates the stream; whoever
         * clears CLIENT_REPL_HOLD calls reply_schedule() again. */
        if (c->flags & CLIENT_REPL_HOLD) continue;
        flush_client(c);
    }
}

/* ---- blocking (WAIT) ----------------------------------------------------- */

/* Blocks or resumes the processing of c's commands (replication's WAIT).
 * While blocked, bytes are still read (so a disconnect is noticed) but no
 * command runs; resuming runs what arrived meanwhile. */
void client_block_input(client_t *c, bool blocked) {
    if (blocked) {
        c->flags |= CLIENT_READ_STOPPED;
        return;
    }
    if (!(c->flags & CLIENT_READ_STOPPED)) return;
    c->flags &= ~CLIENT_READ_STOPPED;
    if (c->flags & (CLIENT_CLOSING | CLIENT_CLOSE_ASAP | CLIENT_EXECUTING)) return;
    if (c->qpos < c->qlen) {
        server.current_client = c;
        client_process_input(c);
        server.current_client = NULL;
    }
}

/* ---- pause -------------------------------------------------------------- */

void client_pause(int type, int64_t end_ms) {
    /* A longer or stricter pause wins, as in Redis. */
    if (type > server.pause_type) server.pause_type = type;
    if (end_ms > server.pause_end_ms) server.pause_end_ms = end_ms;
}

void client_unpause(void) {
    server.pause_type = 0;
    server.pause_end_ms = 0;
    while (server.npaused) {
        client_t *c = server.paused[--server.npaused];
        c->flags &= ~CLIENT_PAUSED;
        if (c->qpos < c->qlen) {
            server.current_client = c;
            client_process_input(c);
            server.current_client = NULL;
        }
    }
}

/* ---- introspection ------------------------------------------------------ */

const char *client_type_name(const client_t *c) {
    if (c->flags & CLIENT_MASTER) return "master";
    if (c->flags & CLIENT_REPLICA) return "replica";
    if (c->flags & CLIENT_PUBSUB) return "pubsub";
    return "normal";
}

static void flags_string(const client_t *c, char *out) {
    char *p = out;
    if (c->flags & CLIENT_REPLICA) *p++ = 'S';
    if (c->flags & CLIENT_MASTER) *p++ = 'M';
    if (c->flags & CLIENT_PUBSUB) *p++ = 'P';
    if (c->flags & CLIENT_MULTI) *p++ = 'x';
    if (c->flags & CLIENT_DIRTY_CAS) *p++ = 'd';
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (c->flags & CLIENT_UNIX) *p++ = 'U';
    if (c->flags & CLIENT_CLOSE_ASAP) *p++ = 'A';
    if (c->flags & CLIENT_NO_EVICT) *p++ = 'e';
    if (c->flags & CLIENT_NO_TOUCH) *p++ = 'T';
    if (c->flags & CLIENT_MONITOR) *p++ = 'O';
    if (p == out) *p++ = 'N';
    *p = '\0';
}

void client_info_line(const client_t *c, buf_t *out) {
    char flags[32];
    flags_string(c, flags);
    size_t nsub = c->pubsub_channels ? ht_count(c->pubsub_channels) : 0;
    size_t nssub = c->pubsub_shard_channels ? ht_count(c->pubsub_shard_channels) : 0;
    size_t obl = c->bufpos - c->bufsent;
    size_t oll = 0;
    for (reply_block_t *b = c->reply_head; b; b = b->next) oll++;
    const char *cmd = c->lastcmd ? c->lastcmd->fullname : "NULL";
    buf_printf(out,
               "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%zu "
               "psub=%d ssub=%zu multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=0 "
               "rbs=%zu rbp=%zu obl=%zu oll=%zu omem=%zu tot-mem=%zu events=r cmd=%s user=default "
               "redir=-1 resp=%d",
               (unsigned long long)c->id, c->addr, c->laddr, (int)c->io.stream.io_watcher.fd,
               c->name ? c->name : "", (long long)((server.now_ms - c->ctime_ms) / 1000),
               (long long)((server.now_ms - c->last_interaction_ms) / 1000), flags, c->db_index, nsub,
               c->pubsub_npatterns, nssub, (c->flags & CLIENT_MULTI) ? c->mcount : -1, c->qlen - c->qpos,
               c->qcap - c->qlen, (size_t)0, c->qcap, c->qpeak, obl, oll, c->reply_bytes,
               sizeof(*c) + c->qcap + c->reply_bytes, cmd, c->resp);
    if (c->lib_name || c->lib_ver)
        buf_printf(out, " lib-name=%s lib-ver=%s", c->lib_name ? c->lib_name : "", c->lib_ver ? c->lib_ver : "");
}

/* ---- cron --------------------------------------------------------------- */

void clients_cron(void) {
    /* Idle timeout and query-buffer shrinking, over all clients: with our
     * client counts a full pass per tick is cheap (Redis does a slice). */
    for (client_t *c = server.clients, *next; c; c = next) {
        next = c->next;
        if (server.cfg.timeout && !(c->flags & (CLIENT_MASTER | CLIENT_REPLICA | CLIENT_PUBSUB)) &&
            !(c->flags & CLIENT_PAUSED) &&
            server.now_ms - c->last_interaction_ms > server.cfg.timeout * 1000) {
            log_verbose("Closing idle client");
            client_close_async(c);
            continue;
        }
        if (c->qpos == c->qlen && c->qcap > 32 * 1024 && !(c->flags & CLIENT_EXECUTING)) {
            xfree(c->qbuf);
            c->qbuf = NULL;
            c->qcap = c->qlen = c->qpos = 0;
        }
        c->qpeak = c->qlen;
        if (c->reply_bytes && obuf_limit_reached(c)) {
            server.stat_client_outbuf_limit_disconnections++;
            client_close_async(c);
        }
    }
}
