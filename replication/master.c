/* Master side of replication: the stream and its backlog, the replicas,
 * SYNC/PSYNC/REPLCONF, full syncs (disk or diskless) in a forked child, WAIT,
 * min-replicas-to-write and the periodic PINGs (Redis 7.0's replication.c).
 *
 * A replica on the wire is a client that sent SYNC or PSYNC; c->repl points
 * at its replica_ext_t (which starts with the repl_replica_t everybody else
 * sees).  REPLCONF may create it earlier, to remember the capabilities a
 * replica announces before PSYNC.  c->repl of the CLIENT_MASTER client is
 * replica.c's business and never touched here.
 *
 * States of one replica (replica_state_t):
 *
 *     PSYNC ok ─────────────────────────────────────────────────────┐
 *     SYNC/PSYNC ─> WAIT_BGSAVE_START ─> WAIT_BGSAVE_END ─> SEND_BULK ─> ONLINE
 *                        (disk)                       └──(diskless)──────┘
 *
 *   (new)             -> ONLINE             [try_partial: +CONTINUE, backlog bytes]
 *   (new)             -> WAIT_BGSAVE_START  [cmd_sync: full resync needed]
 *   WAIT_BGSAVE_START -> WAIT_BGSAVE_END    [setup_full_resync: +FULLRESYNC, our child forked]
 *   WAIT_BGSAVE_END   -> SEND_BULK          [disk_done: "$<len>\r\n", then the file in chunks]
 *   SEND_BULK         -> ONLINE             [transfers_step: last chunk queued; stream follows]
 *   WAIT_BGSAVE_END   -> ONLINE             [socket_finish: snapshot relayed; the stream waits
 *                                            for the first REPLCONF ACK (wait_first_ack)]
 *
 * Design notes:
 *  1. Offsets.  server.master_repl_offset counts stream bytes; on a master
 *     repl_master_feed_raw() advances it (the sink, PINGs and GETACKs all go
 *     through it).  On a replica replica.c advances it as it applies its
 *     master's bytes and calls repl_master_feed_raw() only to proxy them to
 *     the backlog and to sub-replicas; the offset is then left alone here.
 *     As in Redis, a master with neither backlog nor replicas produces no
 *     stream at all: its offset stays put until the first replica.
 *  2. Ordering of a full sync.  Everything a replica receives goes through its
 *     client output, in this order: "\n" keepalives, "+FULLRESYNC <id> <off>"
 *     (not for SYNC), the snapshot ("$<len>\r\n<file>" or "$EOF:<mark>\r\n
 *     <rdb><mark>"), then the stream.  Stream bytes produced since the fork
 *     wait in the replica's own `pending` buffer and are appended after the
 *     snapshot, so CLIENT_REPL_HOLD is not needed.  A diskless replica keeps
 *     them until its first ACK, as Redis does: the replica finds the end of
 *     the RDB by its last 40 bytes, so nothing may follow them at once.
 *  3. Worked offsets: the child forks at offset 1000; +FULLRESYNC says 1000;
 *     SET written meanwhile is bytes 1001..1031, kept in `pending`; the
 *     replica loads the snapshot (state at 1000) and applies 1001.. next.
 *  4. One sync child at a time (child.h allows one child): a disk job is a
 *     CHILD_RDB writing dbfilename (so FLUSHALL and shutdown treat it as a
 *     BGSAVE); a diskless job is a CHILD_REPL writing into a pipe that the
 *     loop relays to every target's output.  Both are throttled by the
 *     replicas' output size (TRANSFER_HIGH), so a snapshot never sits whole
 *     in memory; an idle handle keeps the loop turning while a transfer can
 *     progress (see transfers_step).
 *  5. WAIT blocks the client: client_block_input() stops its command
 *     processing (bytes are still read, so a disconnect is noticed) until
 *     the before-poll hook replies.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "alloc.h"
#include "buf.h"
#include "child.h"
#include "log.h"
#include "process.h"
#include "propagate.h"
#include "psync.h"
#include "rdb.h"
#include "repl_int.h"

/* client.c */
void client_on_free(void (*fn)(client_t *c));
void client_block_input(client_t *c, bool blocked);

#define BACKLOG_MIN_SIZE (16 * 1024) /* CONFIG_REPL_BACKLOG_MIN_SIZE */
#define BACKLOG_SLACK (16 * 1024)    /* one replication buffer block: see backlog_ring_size() */
#define TRANSFER_CHUNK (64 * 1024)   /* one read of the snapshot file or pipe */
#define TRANSFER_HIGH (1024 * 1024)  /* stop adding snapshot bytes above this output */
#define RDB_VER_TEXT "7.0.15"        /* redis-ver AUX of an empty (filtered) RDB, as rdb.c */

/* REPLCONF rdb-filter-only: what a replica asked us to leave out. */
enum { REQ_EXCLUDE_DATA = 1, REQ_EXCLUDE_FUNCTIONS = 2, REQ_RDB_MASK = 3 };

typedef struct replica_ext {
    repl_replica_t r;              /* first: c->repl is also a repl_replica_t * */
    bool listed;                   /* in repl.replicas (CLIENT_REPLICA set) */
    bool pre_psync;                /* came with SYNC: no +FULLRESYNC line, no ACKs expected */
    int req;                       /* REQ_* */
    buf_t pending;                 /* stream since its snapshot started, sent after it */
    int64_t pending_soft_since_ms; /* soft output limit exceeded since, 0 = not */
    size_t transfer_net_out;       /* bytes written to it when last checked (full sync) */
    int64_t transfer_progress_ms;  /* when those bytes last grew */
} replica_ext_t;

/* The full sync being produced (one at a time). */
typedef struct relay {
    uv_pipe_t pipe;
    char buf[TRANSFER_CHUNK];
} relay_t;

static struct {
    bool running; /* a sync job exists (its child runs, or its pipe drains) */
    bool socket;  /* diskless */
    int req;      /* REQ_* of its targets */
    pid_t pid;    /* our child while it runs, else 0 */
    rdb_save_info_t rsi;
    char replid[41];
    /* diskless only */
    int rfd, wfd;      /* the pipe; wfd lives in the child only */
    char mark[41];     /* RDB_EOF_MARK_SIZE random hex chars */
    relay_t *relay;    /* NULL once closed */
    bool relay_paused; /* reading stopped: a target's output is full */
    bool pipe_eof;
    bool child_exited, child_ok;
} job;

static uv_idle_t wake; /* keeps the loop turning while a transfer progresses */
static bool wake_ready;

typedef struct wait_entry {
    long long off; /* replicas must ACK at least this offset */
    long long numreplicas;
    int64_t timeout_ms; /* unix ms, 0 = forever */
} wait_entry_t;
static wait_entry_t *wait_params; /* parallel to repl.waiting */

static buf_t scratch; /* encoding of one command of the stream */

/* ---- replicas: identity ------------------------------------------------- */

repl_replica_t *repl_replica_of(client_t *c) {
    return (c->flags & CLIENT_REPLICA) && !(c->flags & CLIENT_MASTER) ? c->repl : NULL;
}

static replica_ext_t *ext_of(client_t *c) { return (c->flags & CLIENT_MASTER) ? NULL : c->repl; }

/* The client's replica state, created on first use (REPLCONF before PSYNC).
 * NULL for the link to our own master. */
static replica_ext_t *ext_get(client_t *c) {
    if (c->flags & CLIENT_MASTER) return NULL;
    if (!c->repl) {
        replica_ext_t *e = xcalloc(1, sizeof(*e));
        e->r.c = c;
        e->r.rdb_fd = -1;
        c->repl = e;
    }
    return c->repl;
}

/* The peer ip (announce ip first) into out. */
void repl_replica_ip(const repl_replica_t *r, char *out, size_t n) {
    if (r->announce_ip[0]) {
        snprintf(out, n, "%s", r->announce_ip);
        return;
    }
    snprintf(out, n, "%s", r->c->addr);
    char *colon = strrchr(out, ':');
    if (colon) *colon = '\0';
}

/* "ip:port" as Redis's replicationGetSlaveName (static buffer). */
static const char *replica_name(const repl_replica_t *r) {
    static char name[128];
    char ip[80];
    repl_replica_ip(r, ip, sizeof(ip));
    if (r->listening_port)
        snprintf(name, sizeof(name), strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, r->listening_port);
    else
        snprintf(name, sizeof(name), "%s:<unknown-replica-port>", ip);
    return name;
}

static const char *replica_state_info_name(replica_state_t s) {
    switch (s) {
    case REPLICA_WAIT_BGSAVE_START:
    case REPLICA_WAIT_BGSAVE_END:
        return "wait_bgsave";
    case REPLICA_SEND_BULK:
        return "send_bulk";
    case REPLICA_ONLINE:
        return "online";
    }
    return "";
}

static replica_ext_t *replica_at(int i) { return (replica_ext_t *)repl.replicas[i]; }

/* ---- replicas: list ------------------------------------------------------ */

static void replica_list_add(replica_ext_t *e) {
    if (repl.nreplicas == repl.replicas_cap) {
        repl.replicas_cap = repl.replicas_cap ? repl.replicas_cap * 2 : 8;
        repl.replicas = xrealloc(repl.replicas, sizeof(*repl.replicas) * (size_t)repl.replicas_cap);
    }
    repl.replicas[repl.nreplicas++] = &e->r;
    e->listed = true;
    e->r.c->flags |= CLIENT_REPLICA;
    server.nreplicas++;
    repl.no_replicas_since_ms = 0;
}

/* Takes e out of the replica list (the client itself lives on). */
static void replica_list_remove(replica_ext_t *e) {
    if (!e->listed) return;
    for (int i = 0; i < repl.nreplicas; i++) {
        if (repl.replicas[i] == &e->r) {
            memmove(&repl.replicas[i], &repl.replicas[i + 1],
                    sizeof(*repl.replicas) * (size_t)(repl.nreplicas - i - 1));
            repl.nreplicas--;
            break;
        }
    }
    e->listed = false;
    e->r.c->flags &= ~CLIENT_REPLICA;
    if (server.nreplicas) server.nreplicas--;
    if (repl.nreplicas == 0) repl.no_replicas_since_ms = server.now_ms;
    if (repl.fo_target == &e->r) repl.fo_target = NULL;
}

static void ext_release(replica_ext_t *e) {
    if (e->r.rdb_fd >= 0) close(e->r.rdb_fd);
    e->r.rdb_fd = -1;
    buf_free(&e->pending);
}

static int count_state(replica_state_t s) {
    int n = 0;
    for (int i = 0; i < repl.nreplicas; i++)
        if (repl.replicas[i]->state == s) n++;
    return n;
}

/* ---- the stream ------------------------------------------------------------ */

/* The replica's output plus what waits in `pending`, against the replica
 * class of client-output-buffer-limit (Redis counts both: they are one
 * output buffer there).  Closes the replica when over. */
static void pending_check_limit(replica_ext_t *e) {
    const config_obuf_limit_t *l = &server.cfg.obuf_limits[OBUF_REPLICA];
    client_t *c = e->r.c;
    unsigned long long used = e->pending.len + client_output_bytes(c);
    bool over = false;
    if (l->hard_bytes && used >= l->hard_bytes) {
        over = true;
    } else if (l->soft_bytes && used >= l->soft_bytes) {
        if (!e->pending_soft_since_ms)
            e->pending_soft_since_ms = server.now_ms;
        else if (server.now_ms - e->pending_soft_since_ms > l->soft_seconds * 1000)
            over = true;
    } else {
        e->pending_soft_since_ms = 0;
    }
    if (over && !(c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSING))) {
        log_warning("Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of output "
                    "buffer limits.",
                    (unsigned long long)c->id, c->addr);
        server.stat_client_outbuf_limit_disconnections++;
        client_close_async(c);
    }
}

static void start_stream(replica_ext_t *e) {
    e->r.wait_first_ack = false;
    if (e->pending.len) reply_raw(e->r.c, e->pending.p, e->pending.len);
    buf_free(&e->pending);
    e->pending_soft_since_ms = 0;
}

void repl_master_feed_raw(const char *p, size_t n) {
    if (n == 0) return;
    if (!repl.master_host) server.master_repl_offset += (long long)n; /* note 1 */
    if (repl.backlog) repl_backlog_append(repl.backlog, p, n);
    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        switch (e->r.state) {
        case REPLICA_WAIT_BGSAVE_START:
            break; /* its snapshot is not forked yet: it starts later */
        case REPLICA_WAIT_BGSAVE_END:
        case REPLICA_SEND_BULK:
            if (e->r.rdb_only) break;
            buf_append(&e->pending, p, n);
            pending_check_limit(e);
            break;
        case REPLICA_ONLINE:
            if (e->r.wait_first_ack) {
                buf_append(&e->pending, p, n);
                pending_check_limit(e);
            } else {
                reply_raw(e->r.c, p, n);
            }
            break;
        }
    }
}

static void encode_bulk(buf_t *b, const char *p, size_t n) {
    buf_putc(b, '$');
    buf_put_ll(b, (long long)n);
    buf_append(b, "\r\n", 2);
    buf_append(b, p, n);
    buf_append(b, "\r\n", 2);
}

/* One command into the stream, preceded by SELECT when dbid >= 0 differs
 * from the db of the stream (replicationFeedSlaves).  dbid -1 = any db
 * (PING, REPLCONF GETACK). */
static void feed_command(int dbid, int argc, const char *const *argv, const size_t *lens) {
    if (repl.master_host) return; /* a replica proxies its master's stream instead */
    if (!repl.backlog && repl.nreplicas == 0) return;
    buf_clear(&scratch);
    if (dbid >= 0 && dbid != repl.stream_db) {
        char db[24];
        size_t dl = ll2str(db, dbid);
        buf_append(&scratch, "*2\r\n$6\r\nSELECT\r\n", 16);
        encode_bulk(&scratch, db, dl);
        repl.stream_db = dbid;
    }
    buf_putc(&scratch, '*');
    buf_put_ll(&scratch, argc);
    buf_append(&scratch, "\r\n", 2);
    for (int i = 0; i < argc; i++) encode_bulk(&scratch, argv[i], lens ? lens[i] : strlen(argv[i]));
    repl_master_feed_raw(scratch.p, scratch.len);
}

static void sink_op(int dbid, int argc, const char *const *argv, const size_t *lens, void *ud) {
    (void)ud;
    feed_command(dbid, argc, argv, lens);
}

/* The ring holds repl-backlog-size plus one 16 KiB block.  Redis 7.0 keeps
 * its backlog as a list of 16 KiB blocks and frees the oldest block only
 * while what remains is still more than repl-backlog-size, so it always
 * holds between repl-backlog-size and that plus one block; a replica that
 * missed 20 KiB with a 16 KiB backlog continues there.  Holding the upper
 * bound keeps every partial resync Redis accepts.  INFO's
 * repl_backlog_size is the configured size (repl.c), histlen may exceed it
 * as in Redis. */
static size_t backlog_ring_size(void) {
    long long size = server.cfg.repl_backlog_size;
    if (size < BACKLOG_MIN_SIZE) size = BACKLOG_MIN_SIZE;
    return (size_t)size + BACKLOG_SLACK;
}

void repl_master_create_backlog(void) {
    if (repl.backlog) return;
    repl.backlog = repl_backlog_new(backlog_ring_size());
    /* The first byte it will hold is the next one produced. */
    repl_backlog_reset(repl.backlog, server.master_repl_offset);
}

/* changeReplicationId + clearReplicationId2: a history nobody can continue. */
static void new_history(void) {
    server_new_replid(server.replid);
    memset(server.replid2, '0', 40);
    server.replid2[40] = '\0';
    server.second_replid_offset = -1;
}

/* ---- min-replicas ----------------------------------------------------------- */

/* refreshGoodSlavesCount.  With min-replicas-max-lag 0 Redis never refuses
 * writes: the count is then "enough" for the dispatcher's check. */
static void refresh_good_replicas(void) {
    if (server.cfg.min_replicas_max_lag <= 0) {
        repl.good_replicas = INT_MAX;
        return;
    }
    int good = 0;
    int64_t now_s = server.now_ms / 1000;
    for (int i = 0; i < repl.nreplicas; i++) {
        const repl_replica_t *r = repl.replicas[i];
        if (r->state == REPLICA_ONLINE &&
            now_s - r->ack_time_ms / 1000 <= server.cfg.min_replicas_max_lag)
            good++;
    }
    repl.good_replicas = good;
}

/* ---- full sync: the jobs ------------------------------------------------ */

/* One loop turn without waiting in the poll; the handle stops itself. */
static void on_wake(uv_idle_t *h) { uv_idle_stop(h); }

static void wake_start(void) {
    if (wake_ready && !uv_is_active((uv_handle_t *)&wake)) uv_idle_start(&wake, on_wake);
}

/* Drops a replica that cannot be synced: it is told why and closed. */
static void replica_refuse(replica_ext_t *e, const char *err) {
    client_t *c = e->r.c;
    replica_list_remove(e);
    if (err) reply_error(c, err);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    reply_schedule(c);
}

/* replicationSetupSlaveForFullResync: the snapshot starting at `offset` is
 * on its way to e; the stream since then accumulates in e->pending. */
static void setup_full_resync(replica_ext_t *e, long long offset) {
    e->r.psync_initial_offset = offset;
    e->r.state = REPLICA_WAIT_BGSAVE_END;
    repl.stream_db = -1; /* the next command re-emits SELECT */
    if (!e->pre_psync) {
        char line[96];
        int n = snprintf(line, sizeof(line), "+FULLRESYNC %s %lld\r\n", server.replid, offset);
        reply_raw(e->r.c, line, (size_t)n);
    }
}

/* replicationPutSlaveOnline, then the stream (at once, or at the first ACK). */
static void put_online(replica_ext_t *e, bool wait_ack) {
    client_t *c = e->r.c;
    e->r.state = REPLICA_ONLINE;
    e->r.ack_time_ms = server.now_ms; /* no false timeout */
    if (e->r.rdb_only) {
        log_notice("Close the connection with replica %s as RDB transfer is complete",
                   replica_name(&e->r));
        c->flags |= CLIENT_CLOSE_AFTER_REPLY; /* after the snapshot bytes are written */
        reply_schedule(c);
        return;
    }
    refresh_good_replicas();
    log_notice("Synchronization with replica %s succeeded", replica_name(&e->r));
    if (wait_ack)
        e->r.wait_first_ack = true;
    else
        start_stream(e);
}

static void job_reset(void) {
    job.running = false;
    job.pid = 0;
    job.relay = NULL;
    job.relay_paused = false;
    job.pipe_eof = job.child_exited = job.child_ok = false;
}

/* Every replica the current job was producing a snapshot for gets closed. */
static void fail_targets(const char *why) {
    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        if (e->r.state != REPLICA_WAIT_BGSAVE_END) continue;
        if (why) log_warning("%s", why);
        client_close_async(e->r.c);
    }
}

/* Writes all of p to a blocking fd (the child's pipe end). */
static int write_all(int fd, const void *p, size_t n) {
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -errno;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* In the child: the snapshot to dbfilename. */
static int disk_child_main(void *ud) {
    (void)ud;
    process_set_title("keel-rdb-bgsave");
    char *err = NULL;
    int rc = rdb_save_file(server.cfg.dbfilename, &job.rsi, server.cfg.rdbchecksum,
                           server.cfg.rdbcompression, &err);
    if (rc != 0) {
        log_warning("%s", err ? err : "Write error saving DB on disk");
        return 1;
    }
    log_notice("DB saved on disk");
    return 0;
}

/* In the child: "$EOF:<mark>\r\n", the RDB, the mark, into the pipe. */
static int socket_child_main(void *ud) {
    (void)ud;
    process_set_title("keel-rdb-to-slaves");
    close(job.rfd);
    char pre[5 + RDB_EOF_MARK_SIZE + 2];
    memcpy(pre, "$EOF:", 5);
    memcpy(pre + 5, job.mark, RDB_EOF_MARK_SIZE);
    memcpy(pre + 5 + RDB_EOF_MARK_SIZE, "\r\n", 2);
    if (write_all(job.wfd, pre, sizeof(pre)) != 0) return 1;
    rdb_out_t o;
    rdb_out_init_fd(&o, job.wfd, server.cfg.rdbchecksum, server.cfg.rdbcompression);
    int rc = rdb_save_stream(&o, &job.rsi);
    rdb_out_free(&o);
    if (rc != 0) return 1;
    if (write_all(job.wfd, job.mark, RDB_EOF_MARK_SIZE) != 0) return 1;
    close(job.wfd);
    return 0;
}

static void disk_done(const child_result_t *r, void *ud) {
    (void)ud;
    job_reset();
    bool ok = r->signal == 0 && r->exitcode == 0;
    if (!ok) {
        if (r->signal)
            log_warning("Background saving terminated by signal %d", r->signal);
        else
            log_warning("Background saving error");
        fail_targets("SYNC failed. BGSAVE child returned an error");
        return;
    }
    log_notice("Background saving terminated with success");
    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        if (e->r.state != REPLICA_WAIT_BGSAVE_END) continue;
        struct stat st;
        int fd = open(server.cfg.dbfilename, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) != 0) {
            log_warning("SYNC failed. Can't open/stat DB after BGSAVE: %s", strerror(errno));
            if (fd >= 0) close(fd);
            client_close_async(e->r.c);
            continue;
        }
        e->r.rdb_fd = fd;
        e->r.rdb_off = 0;
        e->r.rdb_size = st.st_size;
        e->r.state = REPLICA_SEND_BULK;
        char pre[32];
        int n = snprintf(pre, sizeof(pre), "$%lld\r\n", (long long)st.st_size);
        reply_raw(e->r.c, pre, (size_t)n);
    }
    wake_start();
}

/* Stops a disk job nobody waits for any more (Redis kills it too when no save
 * point is configured) and removes its temporary file. */
static void disk_abort(void) {
    if (!job.running || job.socket || !job.pid || child_pid() != job.pid) return;
    pid_t pid = job.pid;
    child_kill();
    job_reset();
    const char *name = server.cfg.dbfilename;
    const char *slash = strrchr(name, '/');
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%.*stemp-%d.rdb", slash ? (int)(slash - name + 1) : 0, name,
             (int)pid);
    unlink(path);
    log_notice("Background saving for replication stopped: no replica waits for it");
}

static void relay_on_close(uv_handle_t *h) { xfree(h->data); }

static void relay_close(void) {
    relay_t *rl = job.relay;
    if (!rl) return;
    job.relay = NULL;
    uv_close((uv_handle_t *)&rl->pipe, relay_on_close);
}

/* The diskless snapshot is fully relayed and the child succeeded. */
static void socket_finish(void) {
    log_notice("Diskless rdb transfer, done reading from pipe, %d replicas still up.",
               count_state(REPLICA_WAIT_BGSAVE_END));
    job_reset();
    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        if (e->r.state != REPLICA_WAIT_BGSAVE_END) continue;
        log_notice("Streamed RDB transfer with replica %s succeeded (socket). Waiting for REPLCONF "
                   "ACK from "
                   "replica to enable streaming",
                   replica_name(&e->r));
        put_online(e, true);
    }
}

static void socket_abort(const char *why) {
    if (!job.running || !job.socket) return;
    log_warning("%s", why);
    if (job.pid && child_pid() == job.pid) child_kill();
    relay_close();
    job_reset();
    fail_targets(NULL);
}

static void socket_done(const child_result_t *r, void *ud) {
    (void)ud;
    job.pid = 0;
    job.child_exited = true;
    job.child_ok = r->signal == 0 && r->exitcode == 0;
    if (!job.child_ok) {
        if (r->signal)
            log_warning("Background transfer terminated by signal %d", r->signal);
        else
            log_warning("Background transfer error");
        socket_abort("SYNC failed. BGSAVE child returned an error");
        return;
    }
    log_notice("Background RDB transfer terminated with success");
    if (job.pipe_eof) socket_finish();
}

static void relay_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
    relay_t *rl = h->data;
    *b = uv_buf_init(rl->buf, sizeof(rl->buf));
}

static void relay_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
    if (nread == 0) return;
    if (nread == UV_EOF) {
        job.pipe_eof = true;
        relay_close();
        if (job.child_exited && job.child_ok) socket_finish();
        return;
    }
    if (nread < 0) {
        char why[160];
        snprintf(why, sizeof(why), "Diskless rdb transfer, error reading from pipe: %s",
                 uv_strerror((int)nread));
        socket_abort(why);
        return;
    }
    bool full = false;
    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        if (e->r.state != REPLICA_WAIT_BGSAVE_END) continue;
        reply_raw(e->r.c, b->base, (size_t)nread);
        if (client_output_bytes(e->r.c) >= TRANSFER_HIGH) full = true;
    }
    if (full) { /* transfers_step resumes once the outputs drain */
        uv_read_stop(s);
        job.relay_paused = true;
    }
}

/* Requirements of the replicas waiting for a snapshot: those with the same
 * REPLCONF rdb-filter-only as the first one, and whether all take $EOF. */
static int waiting_group(int *req, bool *all_eof, int64_t *max_idle_ms) {
    int n = 0;
    *all_eof = true;
    *max_idle_ms = 0;
    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        if (e->r.state != REPLICA_WAIT_BGSAVE_START) continue;
        if (n == 0)
            *req = e->req;
        else if (e->req != *req)
            continue;
        if (!e->r.capa_eof) *all_eof = false;
        int64_t idle = server.now_ms - e->r.sync_start_ms;
        if (idle > *max_idle_ms) *max_idle_ms = idle;
        n++;
    }
    return n;
}

/* startBgsaveForReplication: forks the child for the waiting replicas. */
static void start_sync_job(int req, bool all_eof) {
    bool socket = (server.cfg.repl_diskless_sync || (req & REQ_RDB_MASK)) && all_eof;
    log_notice("Starting BGSAVE for SYNC with target: %s", socket ? "replicas sockets" : "disk");
    memset(&job, 0, sizeof(job));
    job.socket = socket;
    job.req = req;
    memcpy(job.replid, server.replid, sizeof(job.replid));
    job.rsi.repl_stream_db = repl.stream_db < 0 ? 0 : repl.stream_db;
    job.rsi.repl_id = job.replid;
    job.rsi.repl_offset = server.master_repl_offset;
    job.rsi.skip_data = (req & REQ_EXCLUDE_DATA) != 0; /* rdb-filter-only: no functions, so nothing */
    job.rfd = job.wfd = -1;
    pid_t pid;
    if (socket) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) {
            pid = -errno;
        } else {
            job.rfd = fds[0];
            job.wfd = fds[1];
            server_new_replid(job.mark);
            pid = child_start(CHILD_REPL, socket_child_main, socket_done, NULL);
            close(fds[1]);
            job.wfd = -1;
            if (pid < 0) close(fds[0]);
        }
    } else {
        pid = child_start(CHILD_RDB, disk_child_main, disk_done, NULL);
    }
    if (pid < 0) {
        log_warning("Can't save in background: fork: %s", strerror((int)-pid));
        log_warning("BGSAVE for replication failed");
        memset(&job, 0, sizeof(job));
        for (int i = repl.nreplicas - 1; i >= 0; i--) {
            replica_ext_t *e = replica_at(i);
            if (e->r.state == REPLICA_WAIT_BGSAVE_START)
                replica_refuse(e, "ERR BGSAVE failed, replication can't continue");
        }
        return;
    }
    job.running = true;
    job.pid = pid;
    if (socket) {
        log_notice("Background RDB transfer started by pid %ld", (long)pid);
        relay_t *rl = xcalloc(1, sizeof(*rl));
        uv_pipe_init(server.loop, &rl->pipe, 0);
        rl->pipe.data = rl;
        uv_pipe_open(&rl->pipe, job.rfd); /* owns the fd from now on */
        job.relay = rl;
        uv_read_start((uv_stream_t *)&rl->pipe, relay_on_alloc, relay_on_read);
    } else {
        log_notice("Background saving started by pid %ld", (long)pid);
    }
    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        if (e->r.state == REPLICA_WAIT_BGSAVE_START && e->req == req)
            setup_full_resync(e, server.master_repl_offset);
    }
}

/* shouldStartChildForReplication + the fork: waiting replicas start a job
 * when no child runs, after repl-diskless-sync-delay for diskless ones (or
 * once repl-diskless-sync-max-replicas of them are waiting). */
static void maybe_start_sync_job(void) {
    if (job.running || child_active()) return;
    int req = 0;
    bool all_eof;
    int64_t max_idle_ms;
    int n = waiting_group(&req, &all_eof, &max_idle_ms);
    if (n == 0) return;
    int max = server.cfg.repl_diskless_sync_max_replicas;
    if (!server.cfg.repl_diskless_sync || (max > 0 && n >= max) ||
        max_idle_ms >= (int64_t)server.cfg.repl_diskless_sync_delay * 1000)
        start_sync_job(req, all_eof);
}

/* A job whose child disappeared without its done callback (child_kill from
 * FLUSHALL or shutdown on a CHILD_RDB): its replicas cannot be served. */
static void check_job_vanished(void) {
    if (!job.running || !job.pid || child_pid() == job.pid) return;
    if (job.socket) {
        socket_abort("Diskless rdb transfer: the child was killed");
    } else {
        job_reset();
        fail_targets("SYNC failed. BGSAVE child returned an error");
    }
}

/* Moves snapshot bytes into the outputs of replicas receiving one: file
 * chunks for SEND_BULK replicas, resumed reading of the diskless pipe.
 * Called before every poll, right before the outputs are flushed.  When the
 * flush may drain an output whole (no write in flight), nothing would wake
 * the loop to continue, so the idle handle makes the next poll return at
 * once; once every output waits on a write in flight, that write's
 * completion wakes us instead. */
static void transfers_step(void) {
    static char chunk[TRANSFER_CHUNK];
    bool need_wake = false;
    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        client_t *c = e->r.c;
        if (e->r.state != REPLICA_SEND_BULK || (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSING)))
            continue;
        while (client_output_bytes(c) < TRANSFER_HIGH && e->r.rdb_off < e->r.rdb_size) {
            size_t want = (size_t)(e->r.rdb_size - e->r.rdb_off);
            if (want > sizeof(chunk)) want = sizeof(chunk);
            ssize_t n = pread(e->r.rdb_fd, chunk, want, e->r.rdb_off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                log_warning("Read error sending DB to replica: %s",
                            n < 0 ? strerror(errno) : "unexpected EOF");
                client_close_async(c);
                break;
            }
            reply_raw(c, chunk, (size_t)n);
            e->r.rdb_off += n;
        }
        if (c->flags & CLIENT_CLOSE_ASAP) continue;
        if (e->r.rdb_off == e->r.rdb_size) {
            close(e->r.rdb_fd);
            e->r.rdb_fd = -1;
            put_online(e, false);
        } else if (!c->write_in_flight) {
            need_wake = true;
        }
    }
    if (job.relay && job.relay_paused) {
        bool drained = true, flushable = false;
        for (int i = 0; i < repl.nreplicas; i++) {
            replica_ext_t *e = replica_at(i);
            if (e->r.state != REPLICA_WAIT_BGSAVE_END) continue;
            if (client_output_bytes(e->r.c) >= TRANSFER_HIGH / 2) drained = false;
            if (!e->r.c->write_in_flight) flushable = true;
        }
        if (drained) {
            job.relay_paused = false;
            uv_read_start((uv_stream_t *)&job.relay->pipe, relay_on_alloc, relay_on_read);
        } else if (flushable) {
            need_wake = true;
        }
    }
    if (need_wake) wake_start();
}

/* ---- SYNC / PSYNC ------------------------------------------------------------ */

/* masterTryPartialResynchronization: true when e continues from the backlog
 * (it is then an ONLINE replica). */
static bool try_partial(replica_ext_t *e) {
    client_t *c = e->r.c;
    long long off;
    if (!str2ll(c->argv[2], c->argvlen[2], &off)) return false;
    const char *why = NULL;
    psync_decision_t d =
        repl_psync_decide(server.replid, server.replid2, server.second_replid_offset, repl.backlog,
                          c->argv[1], off, &why);
    if (d != PSYNC_CONTINUE) {
        static const char lack[] = "Unable to partial resync with replica ";
        if (c->argv[1][0] == '?')
            log_notice("Full resync requested by replica %s", replica_name(&e->r));
        else if (why && !strncmp(why, lack, sizeof(lack) - 1))
            log_notice("%s%s %s", lack, replica_name(&e->r), why + sizeof(lack) - 1);
        else
            log_notice("%s", why ? why : "Partial resynchronization not accepted");
        return false;
    }
    e->r.state = REPLICA_ONLINE;
    e->r.ack_time_ms = server.now_ms;
    e->r.wait_first_ack = false;
    replica_list_add(e);
    char line[96];
    int n = e->r.capa_psync2 ? snprintf(line, sizeof(line), "+CONTINUE %s\r\n", server.replid)
                             : snprintf(line, sizeof(line), "+CONTINUE\r\n");
    reply_raw(c, line, (size_t)n);
    const char *p1, *p2;
    size_t n1, n2;
    size_t len = repl_backlog_read(repl.backlog, off, &p1, &n1, &p2, &n2);
    if (len) {
        reply_raw(c, p1, n1);
        if (n2) reply_raw(c, p2, n2);
    }
    log_notice("Partial resynchronization request from %s accepted. Sending %zu bytes of backlog "
               "starting from "
               "offset %lld.",
               replica_name(&e->r), len, off);
    refresh_good_replicas();
    return true;
}

/* A replica asking for a full resync joins a running disk job when one
 * already accumulates the stream for a replica with the same needs
 * (syncCommand's "CASE 1"), or waits for the next job. */
static void full_resync_start(replica_ext_t *e) {
    if (job.running && !job.socket) {
        replica_ext_t *peer = NULL;
        for (int i = 0; i < repl.nreplicas && !peer; i++) {
            replica_ext_t *o = replica_at(i);
            if (o != e && o->r.state == REPLICA_WAIT_BGSAVE_END &&
                (!o->r.rdb_only || e->r.rdb_only))
                peer = o;
        }
        if (peer && (e->r.capa_eof || !peer->r.capa_eof) &&
            (e->r.capa_psync2 || !peer->r.capa_psync2) && e->req == peer->req) {
            if (!e->r.rdb_only) buf_append(&e->pending, peer->pending.p, peer->pending.len);
            setup_full_resync(e, peer->r.psync_initial_offset);
            log_notice("Waiting for end of BGSAVE for SYNC");
        } else {
            log_notice(
                "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
        }
    } else if (job.running) {
        log_notice("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
    } else if (child_active()) {
        if (child_type() == CHILD_RDB)
            log_notice(
                "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
        else
            log_notice("No BGSAVE in progress, but another BG operation is active. BGSAVE for "
                       "replication delayed");
    } else if (server.cfg.repl_diskless_sync && e->r.capa_eof &&
               server.cfg.repl_diskless_sync_delay) {
        log_notice("Delay next BGSAVE for diskless SYNC");
    } else {
        int req = 0;
        bool all_eof;
        int64_t idle;
        waiting_group(&req, &all_eof, &idle);
        start_sync_job(req, all_eof);
    }
}

static void cmd_sync(client_t *c) {
    bool psync = !strcasecmp(c->cmd->name, "psync");
    if (c->flags & (CLIENT_REPLICA | CLIENT_MASTER)) return; /* already one: ignored, as Redis */
    if (psync && c->argc > 3 && !strcasecmp(c->argv[3], "failover")) {
        /* The demoting master hands over to us (FAILOVER TO ...). */
        if (strcasecmp(c->argv[1], server.replid) != 0) {
            reply_error(c, "ERR PSYNC FAILOVER replid must match my replid.");
            return;
        }
        repl_replica_set_master(NULL, 0);
        buf_t who = BUF_INIT;
        client_info_line(c, &who);
        log_notice("MASTER MODE enabled (failover request from '%s')", who.p);
        buf_free(&who);
    }
    if (repl.fo_state != FO_NONE) {
        reply_error(c, "NOMASTERLINK Can't SYNC while failing over");
        return;
    }
    if (repl.master_host && repl.state != REPL_CONNECTED) {
        reply_error(c, "NOMASTERLINK Can't SYNC while not connected with my master");
        return;
    }
    if (client_output_bytes(c)) {
        reply_error(c, "ERR SYNC and PSYNC are invalid with pending output");
        return;
    }
    replica_ext_t *e = ext_get(c);
    if ((e->req & REQ_RDB_MASK) && !e->r.capa_eof) {
        reply_error(c, "ERR Filtered replica requires EOF capability");
        return;
    }
    log_notice("Replica %s asks for synchronization", replica_name(&e->r));
    if (psync) {
        if (try_partial(e)) {
            server.stat_sync_partial_ok++;
            return;
        }
        if (c->argv[1][0] != '?') server.stat_sync_partial_err++;
    } else {
        e->pre_psync = true;
    }
    server.stat_sync_full++;
    e->r.state = REPLICA_WAIT_BGSAVE_START;
    e->r.sync_start_ms = server.now_ms;
    e->r.ack_time_ms = server.now_ms;
    replica_list_add(e);
    if (!repl.backlog) {
        /* A backlog from scratch has no past: nobody may continue an old id.
         * (A connected replica always has one already, made by replica.c.) */
        bool master = !repl.master_host;
        if (master) new_history();
        repl_master_create_backlog();
        if (master)
            log_notice("Replication backlog created, my new replication IDs are '%s' and '%s'",
                       server.replid, server.replid2);
    }
    full_resync_start(e);
}

/* ---- REPLCONF -------------------------------------------------------------- */

static void replconf_ack(client_t *c, const char *arg, size_t len) {
    replica_ext_t *e = ext_of(c);
    long long off;
    if (!e || !e->listed || !str2ll(arg, len, &off)) return;
    if (off > e->r.ack_off) e->r.ack_off = off;
    e->r.ack_time_ms = server.now_ms;
    if (e->r.wait_first_ack && e->r.state == REPLICA_ONLINE) start_stream(e);
    repl_failover_on_ack(&e->r);
}

/* REPLCONF rdb-filter-only "<filters>": "" leaves everything out,
 * "functions" keeps functions only.  0, or -1 after replying an error. */
static int replconf_filter(client_t *c, replica_ext_t *e, const char *val) {
    int req = REQ_EXCLUDE_DATA | REQ_EXCLUDE_FUNCTIONS;
    const char *p = val;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        size_t n = (size_t)(p - start);
        if (n == 9 && !strncasecmp(start, "functions", 9)) {
            req &= ~REQ_EXCLUDE_FUNCTIONS;
        } else {
            reply_errorf(c, "ERR Unsupported rdb-filter-only option: %.*s", (int)n, start);
            return -1;
        }
    }
    if (e) e->req = req;
    return 0;
}

static void cmd_replconf(client_t *c) {
    if (c->argc % 2 == 0) {
        reply_error_syntax(c);
        return;
    }
    for (int j = 1; j < c->argc; j += 2) {
        const char *opt = c->argv[j], *val = c->argv[j + 1];
        size_t vlen = c->argvlen[j + 1];
        replica_ext_t *e = ext_get(c); /* NULL for our own master's link */
        if (!strcasecmp(opt, "listening-port")) {
            long long port;
            if (!str2ll(val, vlen, &port)) {
                reply_error_not_int(c);
                return;
            }
            if (e) e->r.listening_port = (int)port;
        } else if (!strcasecmp(opt, "ip-address")) {
            if (vlen >= sizeof(e->r.announce_ip)) {
                reply_errorf(
                    c,
                    "ERR REPLCONF ip-address provided by replica instance is too long: %zu bytes",
                    vlen);
                return;
            }
            if (e) memcpy(e->r.announce_ip, val, vlen + 1);
        } else if (!strcasecmp(opt, "capa")) {
            /* Capabilities we do not know are ignored. */
            if (e && !strcasecmp(val, "eof")) e->r.capa_eof = true;
            if (e && !strcasecmp(val, "psync2")) e->r.capa_psync2 = true;
        } else if (!strcasecmp(opt, "ack")) {
            replconf_ack(c, val, vlen); /* never answered */
            return;
        } else if (!strcasecmp(opt, "getack")) {
            if (repl.master_host && repl.master) repl_replica_send_ack();
            return;
        } else if (!strcasecmp(opt, "rdb-only")) {
            long long v;
            if (!str2ll(val, vlen, &v)) {
                reply_error_not_int(c);
                return;
            }
            if (v < 0 || v > 1) {
                reply_error(c, "ERR value is out of range, value must between 0 and 1");
                return;
            }
            if (e) e->r.rdb_only = v == 1;
        } else if (!strcasecmp(opt, "rdb-filter-only")) {
            if (replconf_filter(c, e, val) != 0) return;
        } else {
            reply_errorf(c, "ERR Unrecognized REPLCONF option: %s", opt);
            return;
        }
    }
    reply_ok(c);
}

/* ---- WAIT -------------------------------------------------------------------- */

static int count_acks(long long off) {
    int n = 0;
    for (int i = 0; i < repl.nreplicas; i++) {
        const repl_replica_t *r = repl.replicas[i];
        if (r->state == REPLICA_ONLINE && r->ack_off >= off) n++;
    }
    return n;
}

static void waiting_remove_at(int i) {
    repl.waiting[i] = repl.waiting[repl.nwaiting - 1];
    wait_params[i] = wait_params[repl.nwaiting - 1];
    repl.nwaiting--;
}

static void cmd_wait(client_t *c) {
    if (repl.master_host) {
        reply_error(c, "ERR WAIT cannot be used with replica instances. Please also note that "
                       "since Redis 4.0 if a "
                       "replica is configured to be writable (which is not the default) writes to "
                       "replicas are just "
                       "local and are not propagated.");
        return;
    }
    long long num, timeout;
    if (!str2ll(c->argv[1], c->argvlen[1], &num)) {
        reply_error_not_int(c);
        return;
    }
    if (!str2ll(c->argv[2], c->argvlen[2], &timeout)) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (timeout < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    /* Redis's rule: the offset right after this client's last propagated
     * write (a client that never wrote waits for nothing). */
    long long off = c->woff;
    int acks = count_acks(off);
    if (acks >= num || (c->flags & CLIENT_MULTI) || server.in_exec || (c->flags & CLIENT_FAKE)) {
        reply_int(c, acks);
        return;
    }
    if (repl.nwaiting == repl.waiting_cap) {
        repl.waiting_cap = repl.waiting_cap ? repl.waiting_cap * 2 : 8;
        repl.waiting = xrealloc(repl.waiting, sizeof(*repl.waiting) * (size_t)repl.waiting_cap);
        wait_params = xrealloc(wait_params, sizeof(*wait_params) * (size_t)repl.waiting_cap);
    }
    repl.waiting[repl.nwaiting] = c;
    wait_params[repl.nwaiting] = (wait_entry_t){
        .off = off, .numreplicas = num, .timeout_ms = timeout ? server.now_ms + timeout : 0};
    repl.nwaiting++;
    client_block_input(c, true);
    repl.get_ack_pending = true; /* REPLCONF GETACK * before the next poll */
}

/* processClientsWaitingReplicas and the WAIT timeouts. */
static void wait_step(void) {
    if (repl.nwaiting == 0) return;
    client_t *done[64];
    int acks[64], ndone = 0;
    for (int i = 0; i < repl.nwaiting && ndone < 64;) {
        const wait_entry_t *w = &wait_params[i];
        int n = count_acks(w->off);
        if (n >= w->numreplicas || (w->timeout_ms && server.now_ms >= w->timeout_ms)) {
            done[ndone] = repl.waiting[i];
            acks[ndone++] = n;
            waiting_remove_at(i);
        } else {
            i++;
        }
    }
    /* Replies after the list is settled: unblocking runs the client's next
     * commands, which may WAIT again. */
    for (int i = 0; i < ndone; i++) {
        client_t *c = done[i];
        if (c->flags & CLIENT_CLOSING) continue;
        reply_int(c, acks[i]);
        client_block_input(c, false);
    }
}

/* ---- hooks -------------------------------------------------------------------- */

static void on_client_free(client_t *c) {
    for (int i = 0; i < repl.nwaiting; i++) {
        if (repl.waiting[i] == c) {
            waiting_remove_at(i);
            break;
        }
    }
    replica_ext_t *e = ext_of(c);
    if (!e) return;
    bool target = e->listed && e->r.state == REPLICA_WAIT_BGSAVE_END && job.running;
    if (e->listed) {
        log_notice("Connection with replica %s lost.", replica_name(&e->r));
        replica_list_remove(e);
        refresh_good_replicas();
    }
    ext_release(e);
    xfree(e);
    c->repl = NULL;
    if (!target || count_state(REPLICA_WAIT_BGSAVE_END) > 0) return;
    if (job.socket)
        socket_abort("Diskless rdb transfer, last replica dropped, killing fork child.");
    else if (server.cfg.save_count == 0)
        disk_abort(); /* nobody waits for that file, and no save point wants it */
}

static void before_poll(void) {
    check_job_vanished();
    wait_step();
    if (repl.get_ack_pending && !server.pause_type) {
        repl.get_ack_pending = false;
        static const char *const getack[] = {"REPLCONF", "GETACK", "*"};
        feed_command(-1, 3, getack, NULL);
    }
    maybe_start_sync_job();
    transfers_step();
    refresh_good_replicas();
}

static int on_shutdown(int flags) {
    (void)flags;
    /* A disk job is a CHILD_RDB: save.c's hook already stopped it. */
    if (job.running && job.socket) socket_abort("Killing the diskless sync child before exiting");
    return 0;
}

/* ---- cron (once a second, from repl.c) ---------------------------------------- */

void repl_master_cron(void) {
    static long long loops;
    if (repl.backlog && backlog_ring_size() != repl_backlog_size(repl.backlog))
        repl_backlog_resize(repl.backlog, backlog_ring_size()); /* CONFIG SET repl-backlog-size */

    /* PING in the stream, so replicas can time out a silent master; not
     * while FAILOVER holds writes (it would move the offset it waits on). */
    int period = server.cfg.repl_ping_replica_period > 0 ? server.cfg.repl_ping_replica_period : 1;
    bool fo_paused = repl.fo_state != FO_NONE && server.pause_type;
    if (loops % period == 0 && repl.nreplicas && !repl.master_host && !fo_paused) {
        static const char *const ping[] = {"ping"}; /* shared.ping: lower case, as Redis */
        feed_command(-1, 1, ping, NULL);
    }
    loops++;

    /* Keepalive newlines to replicas waiting for their snapshot to start
     * (diskless targets get the snapshot bytes themselves). */
    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        if (e->r.state == REPLICA_WAIT_BGSAVE_START ||
            (e->r.state == REPLICA_WAIT_BGSAVE_END && !(job.running && job.socket)))
            reply_raw(e->r.c, "\n", 1);
    }

    for (int i = 0; i < repl.nreplicas; i++) {
        replica_ext_t *e = replica_at(i);
        if (e->r.c->flags & CLIENT_CLOSE_ASAP) continue;
        /* A replica receiving its snapshot must keep taking bytes: one that
         * stalls for repl-timeout would hold the transfer (and, diskless,
         * every other target) forever. */
        bool receiving = e->r.state == REPLICA_SEND_BULK ||
                         (e->r.state == REPLICA_WAIT_BGSAVE_END && job.running && job.socket);
        if (receiving) {
            if (e->r.c->net_out != e->transfer_net_out || !e->transfer_progress_ms) {
                e->transfer_net_out = e->r.c->net_out;
                e->transfer_progress_ms = server.now_ms;
            } else if (client_output_bytes(e->r.c) &&
                       (server.now_ms - e->transfer_progress_ms) / 1000 > server.cfg.repl_timeout) {
                log_warning("Disconnecting timedout replica (full sync): %s", replica_name(&e->r));
                client_close_async(e->r.c);
            }
            continue;
        }
        if (e->r.state != REPLICA_ONLINE || e->pre_psync) continue;
        if (server.now_ms / 1000 - e->r.ack_time_ms / 1000 > server.cfg.repl_timeout) {
            log_warning("Disconnecting timedout replica (streaming sync): %s", replica_name(&e->r));
            client_close_async(e->r.c);
        }
    }

    /* A master without replicas frees its backlog after repl-backlog-ttl
     * (a replica keeps it: it may be promoted). */
    if (repl.nreplicas == 0 && repl.no_replicas_since_ms == 0)
        repl.no_replicas_since_ms = server.now_ms;
    if (repl.nreplicas == 0 && server.cfg.repl_backlog_ttl && repl.backlog && !repl.master_host &&
        (server.now_ms - repl.no_replicas_since_ms) / 1000 > server.cfg.repl_backlog_ttl) {
        new_history();
        repl_backlog_free(repl.backlog);
        repl.backlog = NULL;
        log_notice("Replication backlog freed after %lld seconds without connected replicas.",
                   (long long)server.cfg.repl_backlog_ttl);
    }
    refresh_good_replicas();
}

/* ---- INFO and the rest of the contract --------------------------------------- */

void repl_master_info(buf_t *out) {
    buf_printf(out, "connected_slaves:%d\r\n", repl.nreplicas);
    if (server.cfg.min_replicas_to_write > 0 && server.cfg.min_replicas_max_lag > 0)
        buf_printf(out, "min_slaves_good_slaves:%d\r\n", repl.good_replicas);
    int id = 0;
    int64_t now_s = server.now_ms / 1000;
    for (int i = 0; i < repl.nreplicas; i++) {
        const repl_replica_t *r = repl.replicas[i];
        const char *state = replica_state_info_name(r->state);
        if (!state[0]) continue;
        char ip[80];
        repl_replica_ip(r, ip, sizeof(ip));
        long long lag = r->state == REPLICA_ONLINE ? now_s - r->ack_time_ms / 1000 : 0;
        buf_printf(out, "slave%d:ip=%s,port=%d,state=%s,offset=%lld,lag=%lld\r\n", id++, ip,
                   r->listening_port, state, r->ack_off, lag);
    }
}

void repl_master_disconnect_replicas(void) {
    while (repl.nreplicas) {
        replica_ext_t *e = replica_at(repl.nreplicas - 1);
        client_t *c = e->r.c;
        client_free(c); /* the free hook takes it off the list */
        if (repl.nreplicas && replica_at(repl.nreplicas - 1) == e) {
            /* Freed later (it is executing): off the list now anyway. */
            replica_list_remove(e);
            client_close_async(c);
        }
    }
    refresh_good_replicas();
}

static command_t master_commands[] = {
    {.name = "sync",
     .proc = cmd_sync,
     .arity = 1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_NO_MULTI,
     .acl = ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS,
     .group = "server",
     .since = "1.0.0",
     .summary = "Internal command used for replication"},
    {.name = "psync",
     .proc = cmd_sync,
     .arity = -3,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_NO_MULTI,
     .acl = ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS,
     .group = "server",
     .since = "2.8.0",
     .summary = "Internal command used for replication"},
    {.name = "replconf",
     .proc = cmd_replconf,
     .arity = -1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_ALLOW_BUSY,
     .acl = ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS,
     .group = "server",
     .since = "3.0.0",
     .summary = "An internal command for configuring the replication stream",
     .complexity = "O(1)"},
    {.name = "wait",
     .proc = cmd_wait,
     .arity = 3,
     .flags = CMD_NOSCRIPT,
     .acl = ACL_SLOW | ACL_CONNECTION,
     .group = "generic",
     .since = "3.0.0",
     .summary = "Wait for the synchronous replication of all the write commands sent in the "
                "context of the current "
                "connection",
     .complexity = "O(1)",
     .tips = (const char *const[]){"request_policy:all_shards", "response_policy:agg_min", NULL}},
    {.name = NULL},
};

void repl_master_init(void) {
    command_register(master_commands);
    static const prop_sink_t sink = {.targets = PROP_REPL, .op = sink_op, .ud = NULL};
    propagate_add_sink(&sink);
    client_on_free(on_client_free);
    server_on_before_poll(before_poll);
    server_on_shutdown(on_shutdown);
    if (server.loop && uv_idle_init(server.loop, &wake) == 0) {
        uv_unref((uv_handle_t *)&wake);
        wake_ready = true;
    }
    repl.good_replicas = server.cfg.min_replicas_max_lag > 0 ? 0 : INT_MAX;
    job.rfd = job.wfd = -1;
}
