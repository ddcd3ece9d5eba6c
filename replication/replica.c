/* The replica side of replication: the link to our master, the handshake state
 * machine, the transfer and load of the snapshot, the master client that applies
 * the stream, ACKs, and the cached master that turns a blip into a partial resync.
 *
 *          set_master(host)          link up          PING reply ok
 *   NONE ----------------> CONNECT ---> CONNECTING ---> RECEIVE_PING_REPLY
 *    ^                     ^   ^                              |
 *    | set_master(NULL)    |   | errors, timeouts             v
 *  (any)                   |   +------------------------ SEND_HANDSHAKE
 *                          |          AUTH?, REPLCONF listening-port, [ip-address], capa
 *                          |          (pipelined; one state per reply):
 *                          |     RECEIVE_AUTH_REPLY -> RECEIVE_PORT_REPLY -> [RECEIVE_IP_REPLY]
 *                          |     -> RECEIVE_CAPA_REPLY -> SEND_PSYNC -> RECEIVE_PSYNC_REPLY
 *                          |         +FULLRESYNC, or SYNC:  |            | +CONTINUE
 *                          |                 TRANSFER <-----+            |
 *                          |   snapshot loaded  |                        v
 *                          +---- link lost -- CONNECTED <----------------+
 *
 * Transitions ([function] that makes them):
 *   NONE -> CONNECT                          [repl_replica_set_master]
 *   any -> NONE                              [repl_replica_set_master(NULL)]
 *   any -> CONNECT                           [repl_replica_set_master(other), handshake_fail,
 *                                             cancel_handshake, master_detach]
 *   CONNECT -> CONNECTING                    [connect_to_master]
 *   CONNECTING -> RECEIVE_PING_REPLY         [on_link_event]
 *   RECEIVE_PING_REPLY -> SEND_HANDSHAKE     [st_ping_reply]
 *   SEND_HANDSHAKE -> RECEIVE_AUTH_REPLY     [send_handshake]   (masterauth set)
 *   SEND_HANDSHAKE -> RECEIVE_PORT_REPLY     [send_handshake]   (no masterauth)
 *   RECEIVE_AUTH_REPLY -> RECEIVE_PORT_REPLY [st_auth_reply]
 *   RECEIVE_PORT_REPLY -> RECEIVE_IP_REPLY   [st_port_reply]    (replica-announce-ip set)
 *   RECEIVE_PORT_REPLY -> RECEIVE_CAPA_REPLY [st_port_reply]
 *   RECEIVE_IP_REPLY -> RECEIVE_CAPA_REPLY   [st_ip_reply]
 *   RECEIVE_CAPA_REPLY -> SEND_PSYNC         [st_capa_reply]
 *   SEND_PSYNC -> RECEIVE_PSYNC_REPLY        [send_psync]
 *   RECEIVE_PSYNC_REPLY -> TRANSFER          [st_psync_line]    (+FULLRESYNC, or SYNC fallback)
 *   RECEIVE_PSYNC_REPLY -> CONNECTED         [st_psync_line]    (+CONTINUE)
 *   TRANSFER -> CONNECTED                    [transfer_finish]
 *
 * Design notes:
 *  1. One link_t (link.h) carries the whole conversation.  The handshake uses
 *     parsed replies (one callback, dispatched on the state: replies arrive in
 *     the order of the commands).  AUTH is sent by this file after PING, as
 *     Redis does, not by the link, so its error is seen ("Unable to AUTH to
 *     MASTER").  Right after PSYNC the link goes to raw mode: the PSYNC reply
 *     line, the "$<len>" / "$EOF:<mark>" header, the payload and then the
 *     stream are bytes, with bare "\n" keepalives allowed before the reply and
 *     before the header (the master sends them while it waits for BGSAVE).
 *  2. Offsets (repl_int.h): on a replica server.master_repl_offset is the
 *     number of stream bytes *applied*; this file owns it (master.c's
 *     repl_master_feed_raw() must not advance it on a replica).  A replica that
 *     applied bytes 1..N asks PSYNC <id> N+1.  Bytes received but not yet
 *     applied (a partial command, or a MULTI not yet closed by EXEC, as Redis
 *     advances its reploff only outside MULTI) are slave_read_repl_offset -
 *     slave_repl_offset.
 *  3. The master client is a fake client (client_new_fake) flagged
 *     CLIENT_MASTER and linked into server.clients so CLIENT LIST / CLIENT KILL
 *     TYPE master see it.  Stream bytes are appended to its query buffer and
 *     client_process_input() runs them; its replies are suppressed (fake).
 *     Arguments are NUL-terminated in place in the query buffer, so the exact
 *     bytes for sub-replicas come from a copy (S.pending): after each applied
 *     command the hook advances the offset, and the applied prefix of the copy
 *     is proxied with repl_master_feed_raw() once the chunk is processed (so
 *     when feed_raw(p, n) runs, server.master_repl_offset already counts the
 *     n bytes).
 *  4. Losing the master (link closed, repl-timeout, CLIENT KILL TYPE master)
 *     caches it: a fresh unlinked fake client keeps its db, and S.cached_replid
 *     / S.cached_off keep what PSYNC needs, so a blip costs a partial resync.
 *     The client itself is freed (CLIENT KILL frees it whatever we do), so the
 *     transaction state is dropped, as Redis's replicationCacheMaster does.
 *  5. Full sync (repl-diskless-load is treated as "disabled" for every value:
 *     on-empty-db and swapdb also receive to disk and load from the file): the
 *     payload goes to "temp-<unix>.<pid>.rdb" in dir, is fsynced, renamed onto
 *     dbfilename (Redis keeps the master's snapshot as its own dump) and loaded
 *     synchronously after db_flush(-1).  The load does not serve clients: a
 *     nested uv_run inside a link callback is not allowed by libuv.
 *  6. Timeouts (repl-timeout) are one table, per state, measured from the last
 *     byte seen from the master, and checked by the 1 Hz replication cron.
 *     The table and the other pure decisions (the transition check, the PING
 *     and PSYNC replies, the transfer header and $EOF mark) are in
 *     handshake.c (handshake.h), unit-tested by test_handshake.c.
 *  7. REPLICAOF given at start-up (repl_init runs before the load of the
 *     dataset) only records the master: the first cron tick connects, so the
 *     handshake never runs in the middle of the start-up load.
 *  8. Our own replicas, as Redis 7.0: REPLICAOF host port keeps them (our
 *     history goes on if the new master continues it); a full sync, or a new
 *     id on +CONTINUE, disconnects them; REPLICAOF NO ONE disconnects them too
 *     (replicationUnsetMaster's disconnectSlaves) so they learn the new id:
 *     they PSYNC with the old one, which is now our replid2, and continue.
 *  9. Persistence around a full sync, as Redis's readSyncBulkPayload: before
 *     the flush, the AOF is stopped (aof_stop) and a BGSAVE child killed
 *     (save_kill_bgsave: its old snapshot must not land on dbfilename after
 *     the master's).  After a successful load the AOF restarts with a rewrite
 *     of the new dataset (aof_start_after_load), so the AOF holds the
 *     master's data; after a failed load it stays off until a sync succeeds
 *     or REPLICAOF NO ONE.  The restart is a no-op with appendonly no.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "aof.h"
#include "buf.h"
#include "db.h"
#include "err.h"
#include "handshake.h"
#include "log.h"
#include "rdb.h"
#include "repl_int.h"
#include "save.h"

#define REPL_ID_LEN REPL_HS_ID_LEN
#define REPL_LINE_MAX REPL_HS_LINE_MAX

void client_on_free(void (*fn)(client_t *c)); /* client.c */

/* File-private state (repl_int.h's repl_t has the shared part). */
static struct {
    bool started;     /* the cron ran once: connecting is allowed (note 7) */
    bool pre_psync;   /* the master answered SYNC, not PSYNC: no ACKs, no cache */
    client_t *linked; /* the client we linked into server.clients */
    /* the cached master (repl.cached_master is its client: db) */
    char cached_replid[REPL_ID_LEN + 1];
    long long cached_off; /* bytes 1..cached_off applied: PSYNC asks cached_off+1 */
    /* stream bookkeeping (note 3) */
    long long read_reploff; /* stream bytes received (slave_read_repl_offset) */
    buf_t pending;          /* received bytes not yet proxied; the first `applied` are applied */
    size_t applied;
    /* raw mode: the PSYNC reply line or the bulk header line being read */
    buf_t line;
    /* transfer */
    bool header_done;  /* "$..." line seen */
    bool usemark;      /* "$EOF:<mark>" framing */
    repl_hs_eof_t eof; /* finds the mark, which may straddle chunks */
    /* the AOF restart after a full sync (note 9) */
    bool aof_restart_pending; /* failed: the cron tries again */
    int aof_restart_failures;
} S;

static void connect_to_master(void);
static void stream_feed(const char *p, size_t n);

/* The pure decisions (transitions, PING and PSYNC replies, timeouts, the
 * transfer's framing) live in handshake.c, where they are unit-tested. */

/* ---- state --------------------------------------------------------------------- */

static void set_state(repl_state_t to) {
    bool ok = repl_hs_transition_ok(repl.state, to);
    assert(ok);
    (void)ok; /* NDEBUG builds */
    if (repl.state != to)
        log_verbose("MASTER <-> REPLICA sync: state %s -> %s", repl_state_name(repl.state),
                    repl_state_name(to));
    repl.state = to;
    repl.state_since_ms = server.now_ms;
}

static const char *uv_reason(int status) {
    if (status == 0) return "connection closed";
    if (status == UV_EOF) return "connection lost";
    if (status < 0 && status > -1000) return strerror(-status); /* libuv codes are -errno here */
    return uv_strerror(status);
}

static const char *master_auth(void) {
    return server.cfg.masterauth && *server.cfg.masterauth ? server.cfg.masterauth : NULL;
}

static const char *announce_ip(void) {
    return server.cfg.replica_announce_ip && *server.cfg.replica_announce_ip
               ? server.cfg.replica_announce_ip
               : NULL;
}

/* Clears replid2 as Redis's clearReplicationId2: forty '0' and offset -1. */
static void clear_replid2(void) {
    memset(server.replid2, '0', REPL_ID_LEN);
    server.replid2[REPL_ID_LEN] = '\0';
    server.second_replid_offset = -1;
}

/* The backlog must hold the stream from our offset on: create it if needed
 * and restart it at server.master_repl_offset when it disagrees. */
static void backlog_at_offset(void) {
    repl_master_create_backlog();
    if (repl.backlog && repl_backlog_master_offset(repl.backlog) != server.master_repl_offset)
        repl_backlog_reset(repl.backlog, server.master_repl_offset);
}

/* ---- the link: close, abort ------------------------------------------------------- */

static void link_drop(void) {
    if (!repl.link) return;
    link_t *l = repl.link;
    repl.link = NULL; /* on_link_event ignores the LINK_CLOSED of a link we dropped */
    link_close(l);
}

static void transfer_abort(void) {
    if (repl.transfer_fd != -1) {
        close(repl.transfer_fd);
        repl.transfer_fd = -1;
        if (repl.transfer_tmpfile[0]) unlink(repl.transfer_tmpfile);
    }
    repl.transfer_tmpfile[0] = '\0';
    repl.transfer_size = -1;
    repl.transfer_read = 0;
    S.header_done = S.usemark = false;
    S.eof.taillen = 0;
    buf_clear(&S.line);
}

/* Redis's cancelReplicationHandshake: stops a connect, handshake or transfer
 * in progress (state CONNECT); with reconnect, tries again at once.  Returns
 * false when there was none. */
static bool cancel_handshake(bool reconnect) {
    if (repl.state == REPL_TRANSFER) {
        link_drop();
        transfer_abort();
    } else if (repl.state == REPL_CONNECTING || repl_hs_is_handshake_state(repl.state)) {
        link_drop();
    } else {
        return false;
    }
    set_state(REPL_CONNECT);
    if (reconnect && repl.master_host) {
        log_notice("Reconnecting to MASTER %s:%d after failure", repl.master_host,
                   repl.master_port);
        connect_to_master();
    }
    return true;
}

/* A handshake error: drop the link, the cron retries in a second. */
static void handshake_fail(void) {
    link_drop();
    transfer_abort();
    set_state(REPL_CONNECT);
}

/* ---- the master client ----------------------------------------------------------- */

/* server.clients has no public link call for fake clients; this mirrors
 * client.c's link_client, and on_client_free undoes it (client_free leaves
 * fake clients alone). */
static void master_client_link(client_t *c) {
    c->prev = NULL;
    c->next = server.clients;
    if (server.clients) server.clients->prev = c;
    server.clients = c;
    server.nclients++;
    S.linked = c;
}

static void master_client_unlink(client_t *c) {
    if (S.linked != c) return;
    if (c->prev)
        c->prev->next = c->next;
    else
        server.clients = c->next;
    if (c->next) c->next->prev = c->prev;
    c->next = c->prev = NULL;
    server.nclients--;
    S.linked = NULL;
}

static client_t *master_client_new(int dbid) {
    client_t *c = client_new_fake();
    c->flags |= CLIENT_MASTER;
    c->authenticated = true;
    if (dbid >= 0 && dbid < server.cfg.databases) client_set_db(c, dbid);
    return c;
}

/* Makes c the live master client on the current link. */
static void master_client_attach(client_t *c) {
    repl.master = c;
    master_client_link(c);
    snprintf(c->addr, sizeof(c->addr), "%s:%d", repl.master_host, repl.master_port);
    snprintf(c->laddr, sizeof(c->laddr), "%s", repl.link ? link_local_addr(repl.link) : "");
    c->last_interaction_ms = repl.last_io_ms = server.now_ms;
    c->qpos = c->qlen = 0;
    buf_clear(&S.pending);
    S.applied = 0;
    S.read_reploff = server.master_repl_offset;
    repl.link_down_since_ms = 0;
    set_state(REPL_CONNECTED);
}

/* Sends the applied prefix of the copy to sub-replicas and the backlog. */
static void proxy_applied(void) {
    if (!S.applied) return;
    repl_master_feed_raw(S.pending.p, S.applied);
    buf_consume(&S.pending, S.applied);
    S.applied = 0;
}

static void discard_cached_master(void) {
    if (!repl.cached_master) return;
    log_notice("Discarding previously cached master state.");
    client_t *c = repl.cached_master;
    repl.cached_master = NULL;
    client_free(c);
}

/* Redis's replicationCacheMasterUsingMyself: a master turned replica PSYNCs
 * its new master with its own id and offset (the new master may be our
 * promoted replica, which knows our id as its replid2). */
static void cache_master_using_myself(void) {
    log_notice("Before turning into a replica, using my own master parameters to synthesize "
               "a cached master: I may be able to synchronize with the new master with just "
               "a partial transfer.");
    repl.cached_master = master_client_new(-1);
    memcpy(S.cached_replid, server.replid, sizeof(S.cached_replid));
    S.cached_off = server.master_repl_offset;
}

/* The live master client goes away (note 4): keep what PSYNC needs in a fresh
 * cached master, drop the link.  The caller frees c (or it is being freed). */
static void master_detach(client_t *c) {
    assert(c == repl.master);
    proxy_applied();
    repl.master = NULL;
    master_client_unlink(c);
    discard_cached_master();
    if (!S.pre_psync) {
        log_notice("Caching the disconnected master state.");
        repl.cached_master = master_client_new(c->db_index);
        memcpy(S.cached_replid, repl.master_replid, sizeof(S.cached_replid));
        S.cached_off = server.master_repl_offset;
    }
    buf_clear(&S.pending);
    S.applied = 0;
    S.read_reploff = server.master_repl_offset;
    link_drop();
    repl.link_down_since_ms = server.now_ms;
    set_state(REPL_CONNECT);
}

/* Link lost, timeout or kill: cache the master, reconnect at once (a second
 * of waiting may cost the backlog). */
static void master_lost(client_t *c, bool free_it) {
    log_warning("Connection with master lost.");
    master_detach(c);
    if (free_it) client_free(c);
    if (repl.master_host) {
        log_notice("Reconnecting to MASTER %s:%d", repl.master_host, repl.master_port);
        connect_to_master();
    }
}

/* client_free hook: CLIENT KILL TYPE master, the query buffer limit, ... */
static void on_client_free(client_t *c) {
    if (c == repl.master) master_lost(c, false);
    master_client_unlink(c);
}

/* Redis's replicationResurrectCachedMaster: the stream continues where the
 * cached master stopped. */
static void resurrect_cached_master(void) {
    client_t *c = repl.cached_master;
    repl.cached_master = NULL;
    memcpy(repl.master_replid, S.cached_replid, sizeof(repl.master_replid));
    server.master_repl_offset = S.cached_off;
    master_client_attach(c);
    backlog_at_offset();
}

/* ---- the stream ------------------------------------------------------------------ */

static void qbuf_append(client_t *c, const char *p, size_t n) {
    if (c->qpos == c->qlen) c->qpos = c->qlen = 0;
    if (c->qcap < c->qlen + n + 1) {
        if (c->qpos > 0) { /* the parser counts from the command start: moving is safe */
            memmove(c->qbuf, c->qbuf + c->qpos, c->qlen - c->qpos);
            c->qlen -= c->qpos;
            c->qpos = 0;
        }
        if (c->qcap < c->qlen + n + 1) {
            size_t want = c->qlen + n + 1;
            if (want < 2 * c->qcap) want = 2 * c->qcap;
            c->qbuf = xrealloc(c->qbuf, want);
            c->qcap = xusable(c->qbuf);
        }
    }
    memcpy(c->qbuf + c->qlen, p, n);
    c->qlen += n;
    c->qbuf[c->qlen] = '\0';
    if (c->qlen > c->qpeak) c->qpeak = c->qlen;
}

/* Stream bytes from the master: apply them through the master client. */
static void stream_feed(const char *p, size_t n) {
    client_t *c = repl.master;
    if (!c || n == 0) return;
    qbuf_append(c, p, n);
    buf_append(&S.pending, p, n);
    S.read_reploff += (long long)n;
    c->net_in += n;
    c->last_interaction_ms = server.now_ms;
    server_update_clock();
    client_t *prev = server.current_client;
    server.current_client = c;
    client_process_input(c);
    server.current_client = prev;
    proxy_applied();
    if (repl.master == c && (c->flags & CLIENT_CLOSE_AFTER_REPLY)) {
        /* A protocol error in the stream: resending the same bytes would fail
         * the same way, so the next sync is a full one. */
        log_warning("Protocol error in the replication stream from MASTER: "
                    "the next sync will be a full one");
        master_detach(c);
        discard_cached_master();
        client_free(c);
        connect_to_master();
    }
}

void repl_replica_applied(client_t *c, size_t bytes) {
    (void)bytes; /* derived from the buffer: empty lines before a command count too */
    if (c != repl.master || (c->flags & CLIENT_MULTI)) return;
    long long processed = S.read_reploff - (long long)(c->qlen - c->qpos);
    long long delta = processed - server.master_repl_offset;
    if (delta <= 0) return;
    server.master_repl_offset += delta;
    S.applied += (size_t)delta;
}

void repl_replica_send_ack(void) {
    if (!repl.master || !repl.link || S.pre_psync) return;
    char off[32];
    snprintf(off, sizeof(off), "%lld", server.master_repl_offset);
    const char *argv[] = {"REPLCONF", "ACK", off};
    buf_t b = BUF_INIT;
    resp_encode_cmdv(&b, 3, argv);
    link_send_raw(repl.link, b.p, b.len); /* ACK gets no reply */
    buf_free(&b);
}

/* ---- the transfer ------------------------------------------------------------------ */

static bool transfer_open(void) {
    snprintf(repl.transfer_tmpfile, sizeof(repl.transfer_tmpfile), "temp-%d.%ld.rdb",
             (int)(server.now_ms / 1000), (long)getpid());
    int fd = open(repl.transfer_tmpfile, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 0644);
    if (fd == -1) {
        log_warning("Opening the temp file needed for MASTER <-> REPLICA synchronization: %s",
                    strerror(errno));
        repl.transfer_tmpfile[0] = '\0';
        return false;
    }
    repl.transfer_fd = fd;
    repl.transfer_size = -1;
    repl.transfer_read = 0;
    repl.transfer_last_io_ms = server.now_ms;
    S.header_done = S.usemark = false;
    S.eof.taillen = 0;
    return true;
}

static bool transfer_write(const char *p, size_t n) {
    while (n) {
        ssize_t w = write(repl.transfer_fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            log_warning("Write error or short write writing to the DB dump file needed for "
                        "MASTER <-> REPLICA synchronization: %s",
                        w < 0 ? strerror(errno) : "short write");
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The "$<len>" or "$EOF:<mark>" line (CRLF stripped).  False: error logged. */
static bool transfer_header(const char *line) {
    char mark[RDB_EOF_MARK_SIZE];
    long long size = 0;
    switch (repl_hs_bulk_header(line, &size, mark)) {
    case REPL_HS_BULK_KEEPALIVE:
        return true; /* raw_step skips empty lines: not reached */
    case REPL_HS_BULK_ERROR:
        log_warning("MASTER aborted replication with an error: %s", line + 1);
        return false;
    case REPL_HS_BULK_BAD:
        log_warning("Bad protocol from MASTER, the first byte is not '$' (we received '%s'), "
                    "are you sure the host and port are right?",
                    line);
        return false;
    case REPL_HS_BULK_EOF_MARK:
        S.usemark = true;
        repl_hs_eof_init(&S.eof, mark);
        repl.transfer_size = 0;
        log_notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk");
        break;
    case REPL_HS_BULK_SIZE:
        S.usemark = false;
        repl.transfer_size = size;
        log_notice("MASTER <-> REPLICA sync: receiving %lld bytes from master to disk",
                   repl.transfer_size);
        break;
    }
    S.header_done = true;
    return true;
}

/* Payload bytes.  Returns how many belong to the snapshot (the rest is
 * stream) and sets *done at its end; -1 after a logged error.  With a mark,
 * the mark is searched across the chunk boundary: the master sends nothing
 * after it until our first ACK, but a glued stream would still be found. */
static long transfer_payload(const char *p, size_t n, bool *done) {
    *done = false;
    if (!S.usemark) {
        long long left = repl.transfer_size - repl.transfer_read;
        size_t take = (long long)n < left ? n : (size_t)left;
        if (!transfer_write(p, take)) return -1;
        repl.transfer_read += (long long)take;
        *done = repl.transfer_read == repl.transfer_size;
        return (long)take;
    }
    size_t end = repl_hs_eof_scan(&S.eof, p, n); /* 0 = the mark is not in this chunk */
    size_t take = end ? end : n;
    if (!transfer_write(p, take)) return -1;
    repl.transfer_read += (long long)take;
    if (end) {
        if (ftruncate(repl.transfer_fd, (off_t)(repl.transfer_read - RDB_EOF_MARK_SIZE)) == -1) {
            log_warning("Error truncating the RDB file received from the master for SYNC: %s",
                        strerror(errno));
            return -1;
        }
        *done = true;
        return (long)take;
    }
    return (long)take;
}

/* Redis's replicationAttachToNewMaster: a new history starts, so nothing we
 * had can be continued by our own replicas. */
static void attach_to_new_master(void) {
    discard_cached_master();
    repl_master_disconnect_replicas();
}

/* Redis's restartAOFAfterSYNC (note 9), without sleeping on the loop: a
 * failure is retried by the cron a second later, and the tenth exits. */
#define AOF_RESTART_MAX_TRIES 10
static void restart_aof(void) {
    S.aof_restart_pending = false;
    if (aof_start_after_load() == 0) {
        S.aof_restart_failures = 0;
        return;
    }
    if (++S.aof_restart_failures < AOF_RESTART_MAX_TRIES) {
        log_warning("Failed enabling the AOF after successful master synchronization! Trying it "
                    "again in one second.");
        S.aof_restart_pending = true;
        return;
    }
    log_warning("FATAL: this replica instance finished the synchronization with its master, but "
                "the AOF can't be turned on. Exiting now.");
    exit(1);
}

/* The whole snapshot is on disk: flush, load, become CONNECTED. */
static bool transfer_finish(void) {
    /* Before the old data goes (note 9): the AOF stops, and a BGSAVE child
     * dies so its stale snapshot cannot be renamed onto dbfilename after
     * the master's. */
    aof_stop();
    save_kill_bgsave();
    attach_to_new_master();
    log_notice("MASTER <-> REPLICA sync: Flushing old data");
    db_flush(-1);
    log_notice("MASTER <-> REPLICA sync: Loading DB in memory");
    if (fsync(repl.transfer_fd) == -1) {
        log_warning(
            "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: %s",
            strerror(errno));
        return false;
    }
    if (rename(repl.transfer_tmpfile, server.cfg.dbfilename) == -1) {
        log_warning(
            "Failed trying to rename the temp DB into %s in MASTER <-> REPLICA synchronization: %s",
            server.cfg.dbfilename, strerror(errno));
        return false;
    }
    close(repl.transfer_fd);
    repl.transfer_fd = -1;
    repl.transfer_tmpfile[0] = '\0';
    rdb_load_info_t info;
    memset(&info, 0, sizeof(info));
    char *err = NULL;
    server.loading = true;
    int rc = rdb_load_file(server.cfg.dbfilename, RDB_LOAD_INSERT, &info, NULL, NULL, &err);
    server.loading = false;
    if (rc != 0) {
        log_warning("Failed trying to load the MASTER synchronization DB from disk: %s",
                    err ? err : "unknown error");
        xfree(err);
        db_flush(-1); /* no half-loaded dataset */
        return false;
    }
    xfree(err);
    log_notice("Done loading RDB, keys loaded: %lld, keys expired: %lld.", info.keys_loaded,
               info.keys_expired);
    /* After a full sync our history is the master's: its id and offset, no replid2. */
    memcpy(server.replid, repl.master_replid, sizeof(server.replid));
    server.master_repl_offset = repl.master_initial_offset < 0 ? 0 : repl.master_initial_offset;
    clear_replid2();
    master_client_attach(master_client_new(info.repl_stream_db));
    backlog_at_offset();
    log_notice("MASTER <-> REPLICA sync: Finished with success");
    /* a rewrite of the new dataset becomes the AOF */
    restart_aof();
    if (S.usemark) repl_replica_send_ack(); /* puts us online on a diskless master */
    S.header_done = S.usemark = false;
    repl.transfer_size = -1;
    return true;
}

/* ---- raw mode: PSYNC reply, bulk header, payload, stream ---------------------------- */

/* Takes bytes up to '\n' into S.line (repl_hs_take_line). */
static long take_line(const char *p, size_t n, bool *complete) {
    return repl_hs_take_line(&S.line, p, n, complete);
}

static void start_transfer(void) {
    if (!transfer_open()) {
        handshake_fail();
        return;
    }
    set_state(REPL_TRANSFER);
}

static void st_psync_line(const char *line) {
    char id[REPL_ID_LEN + 1];
    repl_hs_psync_reply_t kind = repl_hs_psync_classify(line);
    if (repl.fo_state == FO_IN_PROGRESS) {
        /* We are the demoting master of a FAILOVER: the target either took
         * over (we go on as its replica) or refused (we are master again). */
        if (kind != REPL_HS_PSYNC_FULL && kind != REPL_HS_PSYNC_CONTINUE) {
            log_warning("FAILOVER target refused PSYNC FAILOVER: %s", line);
            repl_failover_psync_result(false);
            return;
        }
        repl_failover_psync_result(true);
    }
    switch (kind) {
    case REPL_HS_PSYNC_FULL: {
        long long off = -1;
        if (!repl_hs_fullresync_parse(line, id, &off)) {
            /* The master supports PSYNC but the reply is wrong: blank the id so
             * no later PSYNC can match it. */
            log_warning("Master replied with wrong +FULLRESYNC syntax.");
            memset(repl.master_replid, 0, sizeof(repl.master_replid));
        } else {
            memcpy(repl.master_replid, id, sizeof(repl.master_replid));
            repl.master_initial_offset = off;
            log_notice("Full resync from master: %s:%lld", repl.master_replid,
                       repl.master_initial_offset);
        }
        S.pre_psync = false;
        start_transfer();
        return;
    }
    case REPL_HS_PSYNC_CONTINUE:
        log_notice("Successful partial resynchronization with master.");
        if (!repl.cached_master) { /* cannot happen: we sent "PSYNC ?" */
            log_warning("Unexpected +CONTINUE without a cached master");
            handshake_fail();
            return;
        }
        if (repl_hs_continue_new_id(line, id) && strcmp(id, S.cached_replid) != 0) {
            /* The master's history got a new id (it was promoted): our old id
             * stays valid, as replid2, up to the byte after our offset, so our
             * own replicas can continue too.  Worked example: we applied bytes
             * 1..500 under id A and the master now calls itself B: replid2 = A,
             * second_replid_offset = 501, replid = B. */
            log_warning("Master replication ID changed to %s", id);
            memcpy(server.replid2, S.cached_replid, sizeof(server.replid2));
            server.second_replid_offset = S.cached_off + 1;
            memcpy(server.replid, id, sizeof(server.replid));
            memcpy(S.cached_replid, id, sizeof(S.cached_replid));
            repl_master_disconnect_replicas(); /* they learn the new id by reconnecting */
        }
        S.pre_psync = false;
        resurrect_cached_master();
        log_notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        return;
    case REPL_HS_PSYNC_TRY_LATER:
        log_notice("Master is currently unable to PSYNC but should be in the future: %s", line);
        handshake_fail();
        return;
    case REPL_HS_PSYNC_NOT_SUPPORTED:
        if (strncmp(line, "-ERR", 4) != 0)
            log_warning("Unexpected reply to PSYNC from master: %s", line);
        else
            log_notice("Master does not support PSYNC or is in error state (reply: %s)", line);
        log_notice("Retrying with SYNC...");
        link_send_raw(repl.link, "SYNC\r\n", 6);
        repl.master_initial_offset = -1;
        S.pre_psync = true;
        start_transfer();
        return;
    }
}

/* One step of raw input in the current state; returns bytes consumed, or -1
 * after the state machine left the link (error, or the link was dropped). */
static long raw_step(const char *p, size_t n) {
    bool complete = false, done = false;
    long used;
    switch (repl.state) {
    case REPL_RECEIVE_PSYNC_REPLY:
        if ((used = take_line(p, n, &complete)) < 0) {
            log_warning("Master sent a PSYNC reply longer than %d bytes", REPL_LINE_MAX);
            handshake_fail();
            return -1;
        }
        if (complete) {
            /* An empty line is a keepalive sent before the reply. */
            if (S.line.len) st_psync_line(S.line.p);
            buf_clear(&S.line);
        }
        return used;
    case REPL_TRANSFER:
        repl.transfer_last_io_ms = server.now_ms;
        if (!S.header_done) {
            if ((used = take_line(p, n, &complete)) < 0) {
                log_warning("Master sent a bulk header longer than %d bytes", REPL_LINE_MAX);
                cancel_handshake(true);
                return -1;
            }
            if (complete) {
                bool ok = !S.line.len || transfer_header(S.line.p); /* empty: keepalive */
                buf_clear(&S.line);
                if (!ok) { /* the master refused: retry from the cron, not in a tight loop */
                    handshake_fail();
                    return -1;
                }
            }
            return used;
        }
        if ((used = transfer_payload(p, n, &done)) < 0) {
            cancel_handshake(true);
            return -1;
        }
        if (done && !transfer_finish()) {
            cancel_handshake(true);
            return -1;
        }
        return used;
    case REPL_CONNECTED:
        stream_feed(p, n);
        return (long)n;
    default:
        return -1;
    }
}

static void on_raw(link_t *l, const char *p, size_t n, void *ud) {
    if (l != repl.link) return;
    repl.last_io_ms = server.now_ms;
    while (n > 0 && l == repl.link) {
        long used = raw_step(p, n);
        if (used < 0) return;
        p += used;
        n -= (size_t)used;
    }
}

/* ---- the handshake: one handler per state ------------------------------------------- */

static void on_handshake_reply(link_t *l, const resp_value_t *v, void *ud);

static void send_psync(void) {
    char off[32];
    const char *id;
    repl.master_initial_offset = -1;
    if (repl.cached_master) {
        id = S.cached_replid;
        snprintf(off, sizeof(off), "%lld", S.cached_off + 1);
        log_notice("Trying a partial resynchronization (request %s:%s).", id, off);
    } else {
        id = "?";
        snprintf(off, sizeof(off), "-1");
        log_notice("Partial resynchronization not possible (no cached master)");
    }
    /* A demoting master in FAILOVER asks its target to take over. */
    const char *argv[] = {"PSYNC", id, off, "FAILOVER"};
    int argc = repl.fo_state == FO_IN_PROGRESS ? 4 : 3;
    buf_t b = BUF_INIT;
    resp_encode_cmdv(&b, argc, argv);
    link_send_raw(repl.link, b.p, b.len);
    buf_free(&b);
    buf_clear(&S.line);
    link_set_raw(repl.link, on_raw); /* note 1: the reply may come after "\n" keepalives */
    set_state(REPL_RECEIVE_PSYNC_REPLY);
}

/* AUTH, REPLCONF listening-port, [ip-address], capa: sent together, replies
 * read one per state. */
static void send_handshake(void) {
    link_t *l = repl.link;
    const char *pass = master_auth();
    if (pass) {
        const char *user =
            server.cfg.masteruser && *server.cfg.masteruser ? server.cfg.masteruser : NULL;
        if (user)
            link_commandl(l, on_handshake_reply, NULL, "AUTH", user, pass, NULL);
        else
            link_commandl(l, on_handshake_reply, NULL, "AUTH", pass, NULL);
    }
    char port[16];
    snprintf(port, sizeof(port), "%d",
             server.cfg.replica_announce_port ? server.cfg.replica_announce_port : server.cfg.port);
    link_commandl(l, on_handshake_reply, NULL, "REPLCONF", "listening-port", port, NULL);
    if (announce_ip())
        link_commandl(l, on_handshake_reply, NULL, "REPLCONF", "ip-address", announce_ip(), NULL);
    link_commandl(l, on_handshake_reply, NULL, "REPLCONF", "capa", "eof", "capa", "psync2", NULL);
    set_state(pass ? REPL_RECEIVE_AUTH_REPLY : REPL_RECEIVE_PORT_REPLY);
}

static const char *reply_text(const resp_value_t *v) { return v->str ? v->str : ""; }

static void st_ping_reply(const resp_value_t *v) {
    if (!repl_hs_ping_reply_ok(v)) {
        log_warning("Error reply to PING from master: '%s%s'", v->type == RV_ERROR ? "-" : "",
                    reply_text(v));
        handshake_fail();
        return;
    }
    log_notice("Master replied to PING, replication can continue...");
    set_state(REPL_SEND_HANDSHAKE);
    send_handshake();
}

static void st_auth_reply(const resp_value_t *v) {
    if (v->type == RV_ERROR) {
        log_warning("Unable to AUTH to MASTER: -%s", reply_text(v));
        handshake_fail();
        return;
    }
    set_state(REPL_RECEIVE_PORT_REPLY);
}

/* Not every master knows every REPLCONF option: errors are logged only. */
static void st_port_reply(const resp_value_t *v) {
    if (v->type == RV_ERROR)
        log_notice("(Non critical) Master does not understand REPLCONF listening-port: -%s",
                   reply_text(v));
    set_state(announce_ip() ? REPL_RECEIVE_IP_REPLY : REPL_RECEIVE_CAPA_REPLY);
}

static void st_ip_reply(const resp_value_t *v) {
    if (v->type == RV_ERROR)
        log_notice("(Non critical) Master does not understand REPLCONF ip-address: -%s",
                   reply_text(v));
    set_state(REPL_RECEIVE_CAPA_REPLY);
}

static void st_capa_reply(const resp_value_t *v) {
    if (v->type == RV_ERROR)
        log_notice("(Non critical) Master does not understand REPLCONF capa: -%s", reply_text(v));
    set_state(REPL_SEND_PSYNC);
    send_psync();
}

static void on_handshake_reply(link_t *l, const resp_value_t *v, void *ud) {
    if (l != repl.link || !v) return; /* a dropped link fails its callbacks with NULL */
    repl.last_io_ms = server.now_ms;
    switch (repl.state) {
    case REPL_RECEIVE_PING_REPLY:
        st_ping_reply(v);
        break;
    case REPL_RECEIVE_AUTH_REPLY:
        st_auth_reply(v);
        break;
    case REPL_RECEIVE_PORT_REPLY:
        st_port_reply(v);
        break;
    case REPL_RECEIVE_IP_REPLY:
        st_ip_reply(v);
        break;
    case REPL_RECEIVE_CAPA_REPLY:
        st_capa_reply(v);
        break;
    default:
        break;
    }
}

static void on_link_event(link_t *l, int event, int status, void *ud) {
    if (l != repl.link) return; /* a link we dropped ourselves */
    if (event == LINK_CONNECTED) {
        if (repl.state != REPL_CONNECTING) return;
        log_notice("Non blocking connect for SYNC fired the event.");
        repl.last_io_ms = server.now_ms;
        set_state(REPL_RECEIVE_PING_REPLY);
        link_commandl(l, on_handshake_reply, NULL, "PING", NULL);
        return;
    }
    repl.link = NULL; /* LINK_CLOSED: the link frees itself */
    switch (repl.state) {
    case REPL_CONNECTING:
        log_warning("Error condition on socket for SYNC: %s", uv_reason(status));
        handshake_fail();
        break;
    case REPL_RECEIVE_PSYNC_REPLY:
        log_warning("Master did not reply to PSYNC, will try later");
        handshake_fail();
        break;
    case REPL_TRANSFER:
        log_warning("I/O error trying to sync with MASTER: %s", uv_reason(status));
        cancel_handshake(true);
        break;
    case REPL_CONNECTED:
        if (repl.master) master_lost(repl.master, true);
        break;
    default:
        if (repl_hs_is_handshake_state(repl.state)) {
            log_warning("Failed to read response from the server: %s", uv_reason(status));
            log_warning("Master did not respond to command during SYNC handshake");
            handshake_fail();
        }
        break;
    }
}

static void connect_to_master(void) {
    link_drop();
    link_opts_t opts = {
        .connect_timeout_ms = (int64_t)server.cfg.repl_timeout * 1000,
        .on_event = on_link_event,
    };
    link_t *l = link_connect(server.loop, repl.master_host, repl.master_port, &opts);
    if (!l) {
        log_warning("Unable to connect to MASTER: cannot start connecting to %s:%d",
                    repl.master_host, repl.master_port);
        return; /* still CONNECT: the cron retries */
    }
    repl.link = l;
    repl.last_io_ms = server.now_ms;
    set_state(REPL_CONNECTING);
    log_notice("MASTER <-> REPLICA sync started");
}

/* ---- REPLICAOF ---------------------------------------------------------------------- */

/* Redis's replicationUnsetMaster. */
static void become_master(void) {
    xfree(repl.master_host); /* first: master_detach must not reconnect */
    repl.master_host = NULL;
    repl.master_port = 0;
    log_set_role('M');
    if (repl.master) {
        client_t *c = repl.master;
        log_warning("Connection with master lost.");
        master_detach(c);
        client_free(c);
    }
    discard_cached_master();
    cancel_handshake(false);
    link_drop();
    transfer_abort();
    /* Our history goes on under a new id; the old one stays valid as replid2
     * up to our offset, so replicas of our old master (and it) can PSYNC us. */
    repl_shift_replid();
    repl_master_disconnect_replicas(); /* Redis 7.0 does: they reconnect and continue */
    set_state(REPL_NONE);
    repl.stream_db = -1; /* our own stream starts with SELECT */
    repl.link_down_since_ms = 0;
    S.pre_psync = false;
    ks.is_replica = false;
    repl_master_create_backlog();
    restart_aof(); /* a failed sync may have left it off (note 9) */
}

/* Redis's replicationSetMaster. */
static void become_replica_of(const char *host, int port) {
    bool was_master = repl.master_host == NULL;
    xfree(repl.master_host);
    repl.master_host = NULL; /* as Redis: no reconnect from master_detach */
    if (repl.master) {
        client_t *c = repl.master;
        master_detach(c); /* cached: the new master may continue our history */
        client_free(c);
    }
    repl.master_host = xstrdup(host);
    repl.master_port = port;
    log_set_role('S'); /* log lines read "pid:S" on a replica, as Redis's */
    ks.is_replica = true;
    /* Our own replicas stay: they are disconnected only when our history
     * changes (full sync, or a new id on +CONTINUE). */
    cancel_handshake(false);
    if (was_master) {
        discard_cached_master();
        cache_master_using_myself();
    }
    set_state(REPL_CONNECT);
    log_notice("Connecting to MASTER %s:%d", repl.master_host, repl.master_port);
    if (S.started) connect_to_master();
}

void repl_replica_after_load(const char *replid, long long offset, int stream_db) {
    /* Still connecting (the first cron tick has not run): the cached master
     * made from our own random id at start-up takes the snapshot's instead. */
    if (!repl.cached_master || repl.master) return;
    memcpy(server.replid, replid, sizeof(server.replid));
    server.master_repl_offset = offset;
    memcpy(S.cached_replid, replid, sizeof(S.cached_replid));
    S.cached_off = offset;
    client_set_db(repl.cached_master, stream_db);
    log_notice("Restored replication ID %s and offset %lld from the RDB file: trying a partial "
               "resynchronization with the master.", replid, offset);
}

int repl_replica_stream_db(void) {
    client_t *c = repl.master ? repl.master : repl.cached_master;
    return c ? c->db_index : -1;
}

void repl_replica_set_master(const char *host, int port) {
    if (host)
        become_replica_of(host, port);
    else if (repl.master_host)
        become_master();
}

/* ---- cron, INFO, init ------------------------------------------------------------------ */

/* Timeouts (note 6) and (re)connection: called once a second. */
static void replica_step(int64_t now_ms) {
    repl_hs_timeout_t kind =
        repl_hs_timeout_check(repl.state, now_ms, repl.last_io_ms, repl.state_since_ms,
                              repl.transfer_last_io_ms, server.cfg.repl_timeout);
    if (kind != REPL_HS_TIMEOUT_NONE) {
        switch (kind) {
        case REPL_HS_TIMEOUT_HANDSHAKE:
            log_warning("Timeout connecting to the MASTER...");
            cancel_handshake(true);
            break;
        case REPL_HS_TIMEOUT_TRANSFER:
            log_warning(
                "Timeout receiving bulk data from MASTER... If the problem persists try to set the "
                "'repl-timeout' parameter in redis.conf to a larger value.");
            cancel_handshake(true);
            break;
        case REPL_HS_TIMEOUT_STREAM:
            log_warning("MASTER timeout: no data nor PING received...");
            if (repl.master) master_lost(repl.master, true);
            break;
        case REPL_HS_TIMEOUT_NONE:
            break;
        }
    }
    if (repl.state == REPL_CONNECT) {
        log_notice("Connecting to MASTER %s:%d", repl.master_host, repl.master_port);
        connect_to_master();
    }
}

void repl_replica_cron(void) {
    S.started = true;
    if (S.aof_restart_pending) restart_aof();
    if (!repl.master_host) return;
    replica_step(server.now_ms);
    repl_replica_send_ack(); /* every second, so the master knows our offset */
}

void repl_replica_info(buf_t *out) {
    long long off = 1, read_off = 1; /* Redis prints 1 with neither a master nor a cached one */
    if (repl.master) {
        off = server.master_repl_offset;
        read_off = S.read_reploff;
    } else if (repl.cached_master) {
        off = read_off = S.cached_off;
    }
    int64_t now = server.now_ms;
    buf_printf(out,
               "master_host:%s\r\n"
               "master_port:%d\r\n"
               "master_link_status:%s\r\n"
               "master_last_io_seconds_ago:%d\r\n"
               "master_sync_in_progress:%d\r\n"
               "slave_read_repl_offset:%lld\r\n"
               "slave_repl_offset:%lld\r\n",
               repl.master_host, repl.master_port, repl.state == REPL_CONNECTED ? "up" : "down",
               repl.master ? (int)((now - repl.last_io_ms) / 1000) : -1,
               repl.state == REPL_TRANSFER, read_off, off);
    if (repl.state == REPL_TRANSFER) {
        double perc = 0;
        if (repl.transfer_size)
            perc = (double)repl.transfer_read / (double)repl.transfer_size * 100;
        buf_printf(out,
                   "master_sync_total_bytes:%lld\r\n"
                   "master_sync_read_bytes:%lld\r\n"
                   "master_sync_left_bytes:%lld\r\n"
                   "master_sync_perc:%.2f\r\n"
                   "master_sync_last_io_seconds_ago:%d\r\n",
                   repl.transfer_size, repl.transfer_read, repl.transfer_size - repl.transfer_read,
                   perc, (int)((now - repl.transfer_last_io_ms) / 1000));
    }
    if (repl.state != REPL_CONNECTED)
        buf_printf(out, "master_link_down_since_seconds:%lld\r\n",
                   repl.link_down_since_ms ? (long long)((now - repl.link_down_since_ms) / 1000)
                                           : -1LL);
    buf_printf(out,
               "slave_priority:%d\r\n"
               "slave_read_only:%d\r\n"
               "replica_announced:%d\r\n",
               server.cfg.replica_priority, server.cfg.replica_read_only ? 1 : 0,
               server.cfg.replica_announced ? 1 : 0);
}

void repl_replica_init(void) {
    repl.transfer_fd = -1;
    repl.transfer_size = -1;
    command_hooks.master_applied = repl_replica_applied;
    client_on_free(on_client_free);
}
