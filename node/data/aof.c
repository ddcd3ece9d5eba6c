/* The append-only file: feeding, writing and fsyncing, the rewrite in a
 * child, loading at start-up, BGREWRITEAOF, CONFIG SET appendonly, INFO.
 * Redis 7.0's multi-part design (aof.c of Redis 7.0.15): a base file (RDB
 * preamble or commands) plus incremental files, listed by a manifest
 * (aof_manifest.c).
 *
 * States:
 *
 *        aof_open_on_startup            rewrite_done (success)
 *   OFF ---------------------> ON <------------------------ WAIT_REWRITE
 *    ^  \                      |                                 ^
 *    |   `-- CONFIG SET appendonly yes (start_append_only) ------'
 *    `------------------------ CONFIG SET appendonly no (stop_append_only)
 *
 *   OFF -> ON            [aof_open_on_startup]
 *   OFF -> WAIT_REWRITE  [start_append_only]
 *   WAIT_REWRITE -> ON   [rewrite_done]
 *   ON|WAIT_REWRITE -> OFF [stop_append_only]
 *
 * Design notes:
 *  1. Feeding: a prop_sink_t (PROP_AOF) receives each finished operation
 *     with its db; we add "#TS:" (aof-timestamp-enabled) and SELECT when the
 *     db differs from the last one written, then the command, to A.buf.
 *     propagate.c wraps multi-operation units in MULTI/EXEC.  The sink is
 *     registered the first time the AOF is switched on, so a server that
 *     never uses the AOF pays nothing for it.
 *  2. Writing happens in the before-poll hook, which runs before client
 *     replies are flushed.  appendfsync always: write + fdatasync there, so
 *     no reply leaves before its command is on disk; a failed write or fsync
 *     exits the process (the reply cannot be taken back).  everysec: write
 *     there, fsync in the threadpool at most once a second; while an fsync
 *     is still running the write is postponed for up to 2 s, then done anyway
 *     (aof_delayed_fsync).  no: write only.  A failed write (not always)
 *     keeps the data in A.buf, retries every second from the cron, and
 *     refuses writes with MISCONF meanwhile (aof_write_error()).
 *  3. Background jobs (fsync, fsync+close of a replaced incr file, unlink of
 *     history files) run in the libuv threadpool, one at a time per queue so
 *     they stay ordered as Redis's bio threads.  A close waits for the fsync
 *     in flight, so an fd is never fsynced after it was closed and reused.
 *  4. Rewrite: the parent flushes A.buf, opens a new incr file and records it
 *     in the manifest, then forks.  The child writes the whole dataset as a
 *     new base; everything after the fork goes to the new incr file, so no
 *     rewrite buffer is needed.  On success the parent renames the base into
 *     the directory, moves the old base and incr files to history, persists
 *     the manifest and deletes the history.  When the AOF is being switched
 *     on (WAIT_REWRITE) the incr is a temp file, renamed on success.
 *  5. A rewrite may not start inside EXEC: the transaction's operations are
 *     propagated when it ends, after the fork, so commands that ran before
 *     BGREWRITEAOF would be in both the base and the new incr file.  It is
 *     scheduled instead, as Redis does (server.in_exec).
 *  6. Loading replays commands through a fake client with the normal
 *     lookup, arity check and command_call(); MULTI queues with the normal
 *     multi code.  Our own sink ignores what this propagates (A.loading).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "aof.h"
#include "aof_int.h"
#include "child.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "kv.h"
#include "log.h"
#include "propagate.h"
#include "rdb.h"
#include "server.h"

#define AOF_STATES(X) X(OFF) X(ON) X(WAIT_REWRITE)
#define AS_ENUM(s) AOF_##s,
typedef enum { AOF_STATES(AS_ENUM) } aof_state_t;
#define AS_NAME(s) #s,
static const char *const state_names[] = {AOF_STATES(AS_NAME)};

enum { FSYNC_ALWAYS = 0, FSYNC_EVERYSEC = 1, FSYNC_NO = 2 };

#define AOF_WRITE_LOG_ERROR_RATE 30   /* seconds between write error logs */
#define AOF_REWRITE_LIMIT_THRESHOLD 3 /* consecutive failures before backing off */
#define AOF_REWRITE_LIMIT_MAX_MINUTES 60
#define REWRITE_FLUSH_BYTES (64 * 1024)

static struct {
    aof_state_t state;
    aof_manifest_t am;
    bool am_loaded;
    int fd;    /* the incr file being appended, -1 if none */
    buf_t buf; /* fed, not yet written */
    aof_feed_state_t feed;
    bool sink_registered;
    bool loading; /* aof_load() running: ignore propagation */

    /* sizes in bytes */
    long long current_size;      /* base + incr files */
    long long rewrite_base_size; /* current_size after the last rewrite (auto rewrite) */
    long long last_incr_size;    /* the open incr file */
    long long fsync_offset;      /* current_size when the last fsync was started */

    /* times in unix seconds */
    int64_t last_fsync;
    int64_t flush_postponed_start; /* 0 = no write postponed */
    int64_t last_write_error_log;
    int64_t last_error_retry;
    unsigned long delayed_fsync;

    bool last_write_ok;
    int last_write_errno;
    bool bio_fsync_ok;
    int bio_fsync_errno;

    /* rewrite */
    bool rewrite_scheduled;
    pid_t child_pid;            /* of our rewrite child, 0 if none */
    int64_t rewrite_time_start; /* -1 if none */
    int64_t rewrite_time_last;  /* -1 if never */
    bool lastbgrewrite_ok;
    long long rewrites, consecutive_failures;
    size_t last_cow;
    int limit_delay_minutes;
    int64_t limit_next_time;

    /* loading */
    void (*progress)(void *ud);
    void *progress_ud;
    unsigned long long load_total, load_done, load_file_start;
} A = {
    .fd = -1,
    .feed = {.selected_db = -1},
    .last_write_ok = true,
    .bio_fsync_ok = true,
    .rewrite_time_start = -1,
    .rewrite_time_last = -1,
    .lastbgrewrite_ok = true,
};

static aof_rewrite_fn rewriters[16];

static int64_t now_s(void) { return server.now_ms / 1000; }
static const char *fn_name(void) { return server.cfg.appendfilename; }
static const char *dir_name(void) { return server.cfg.appenddirname; }

static void set_state(aof_state_t to) {
    bool ok = (A.state == AOF_OFF && (to == AOF_ON || to == AOF_WAIT_REWRITE)) ||
              (A.state == AOF_WAIT_REWRITE && to == AOF_ON) ||
              (A.state != AOF_OFF && to == AOF_OFF);
    if (!ok) {
        log_warning("aof: invalid state change %s -> %s", state_names[A.state], state_names[to]);
        abort();
    }
    log_verbose("aof: %s -> %s", state_names[A.state], state_names[to]);
    A.state = to;
}

static bool rewrite_in_progress(void) {
    return A.child_pid > 0 && child_active() && child_type() == CHILD_AOF;
}

/* ---- small file helpers ------------------------------------------------- */

static ssize_t write_all(int fd, const char *p, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            return done ? (ssize_t)done : -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static int aof_fsync(int fd) {
#ifdef __linux__
    return fdatasync(fd);
#else
    return fsync(fd);
#endif
}

static long long file_size(const char *name, int *err) {
    char *path = aof__path(dir_name(), name);
    struct stat st;
    long long size = 0;
    *err = 0;
    if (stat(path, &st) == -1) {
        *err = errno;
        log_warning("Unable to obtain the AOF file %s length. stat: %s", name, strerror(errno));
    } else {
        size = (long long)st.st_size;
    }
    xfree(path);
    return size;
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static bool dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int mkdir_if_missing(const char *path) {
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return 0;
    return -errno;
}

static char *temp_incr_name(void) {
    buf_t b = BUF_INIT;
    buf_printf(&b, "temp-%s.incr", fn_name());
    return buf_detach(&b);
}

/* ---- background jobs (note 3) -------------------------------------------- */

enum { JOB_FSYNC, JOB_CLOSE, JOB_UNLINK };

typedef struct bg_job {
    uv_work_t req;
    int kind;
    int fd;
    char *path;
    int err;
    struct bg_job *next;
} bg_job_t;

typedef struct bg_queue {
    bg_job_t *head, *tail;
    bool running;
} bg_queue_t;

static bg_queue_t q_fsync, q_files;
static unsigned long fsync_pending; /* fsync jobs queued or running */

static void bg_work(uv_work_t *req) {
    bg_job_t *j = req->data;
    if (j->kind == JOB_FSYNC) {
        j->err = aof_fsync(j->fd) == -1 ? errno : 0;
    } else if (j->kind == JOB_CLOSE) {
        aof_fsync(j->fd);
        close(j->fd);
    } else {
        j->err = unlink(j->path) == -1 ? errno : 0;
    }
}

static void bg_kick(bg_queue_t *q);

static void bg_done(uv_work_t *req, int status) {
    bg_job_t *j = req->data;
    bg_queue_t *q = j->kind == JOB_FSYNC ? &q_fsync : &q_files;
    if (j->kind == JOB_FSYNC) {
        fsync_pending--;
        if (j->err && j->err != EBADF && j->err != EINVAL) {
            if (A.bio_fsync_ok) log_warning("Fail to fsync the AOF file: %s", strerror(j->err));
            A.bio_fsync_ok = false;
            A.bio_fsync_errno = j->err;
        } else if (!j->err) {
            A.bio_fsync_ok = true;
        }
    }
    q->running = false;
    xfree(j->path);
    xfree(j);
    bg_kick(&q_fsync);
    bg_kick(&q_files);
}

static void bg_kick(bg_queue_t *q) {
    if (q->running || !q->head) return;
    if (q->head->kind == JOB_CLOSE && fsync_pending) return; /* runs after the fsync */
    bg_job_t *j = q->head;
    q->head = j->next;
    if (!q->head) q->tail = NULL;
    q->running = true;
    j->req.data = j;
    int rc = uv_queue_work(server.loop, &j->req, bg_work, bg_done);
    if (rc != 0) { /* cannot happen with a live loop; do it inline */
        bg_work(&j->req);
        bg_done(&j->req, rc);
    }
}

static void bg_submit(int kind, int fd, const char *path) {
    bg_job_t *j = xcalloc(1, sizeof(*j));
    j->kind = kind;
    j->fd = fd;
    j->path = path ? xstrdup(path) : NULL;
    bg_queue_t *q = kind == JOB_FSYNC ? &q_fsync : &q_files;
    if (kind == JOB_FSYNC) fsync_pending++;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    bg_kick(q);
}

static void bg_unlink_name(const char *dir, const char *name) {
    char *path = dir ? aof__path(dir, name) : xstrdup(name);
    bg_submit(JOB_UNLINK, -1, path);
    xfree(path);
}

/* ---- feeding (note 1) ---------------------------------------------------- */

static void on_op(int dbid, int argc, const char *const *argv, const size_t *lens, void *ud) {
    if (A.loading || A.state == AOF_OFF) return;
    bool ts = server.cfg.aof_timestamp_enabled;
    if (A.state == AOF_ON || (A.state == AOF_WAIT_REWRITE && rewrite_in_progress())) {
        aof__feed_encode(&A.buf, &A.feed, ts, now_s(), dbid, argc, argv, lens);
    } else {
        /* Switching on, no rewrite child yet: nothing is kept, but the db
         * and timestamp trackers advance as Redis's do. */
        buf_t scratch = BUF_INIT;
        aof__feed_encode(&scratch, &A.feed, ts, now_s(), dbid, argc, argv, lens);
        buf_free(&scratch);
    }
}

static void register_sink(void) {
    if (A.sink_registered) return;
    prop_sink_t s = {.targets = PROP_AOF, .op = on_op, .ud = NULL};
    propagate_add_sink(&s);
    A.sink_registered = true;
}

/* ---- writing (note 2) ---------------------------------------------------- */

static void write_failed(ssize_t nwritten) {
    int64_t now = now_s();
    bool can_log = now - A.last_write_error_log > AOF_WRITE_LOG_ERROR_RATE;
    if (can_log) A.last_write_error_log = now;
    if (nwritten == -1) {
        if (can_log) log_warning("Error writing to the AOF file: %s", strerror(errno));
        A.last_write_errno = errno;
    } else {
        if (can_log)
            log_warning("Short write while writing to the AOF file: (nwritten=%lld, expected=%lld)",
                        (long long)nwritten, (long long)A.buf.len);
        if (ftruncate(A.fd, A.last_incr_size) == -1) {
            if (can_log)
                log_warning("Could not remove short write from the append-only file.  Keel may "
                            "refuse to load the AOF the next time it starts.  ftruncate: %s",
                            strerror(errno));
        } else {
            nwritten = -1; /* nothing partial is left in the file */
        }
        A.last_write_errno = ENOSPC;
    }
    if (server.cfg.appendfsync == FSYNC_ALWAYS) {
        /* The replies are already in the output buffers and the dataset
         * changed: an acknowledged write must never be lost silently. */
        log_warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. "
                    "Exiting...");
        exit(1);
    }
    A.last_write_ok = false;
    if (nwritten > 0) {
        A.current_size += nwritten;
        A.last_incr_size += nwritten;
        buf_consume(&A.buf, (size_t)nwritten);
    }
}

/* Redis's flushAppendOnlyFile(force). */
static void flush(bool force) {
    int64_t now = now_s();
    bool sync_in_progress = false;
    int policy = server.cfg.appendfsync;
    if (A.fd < 0) return;
    if (A.buf.len == 0) {
        /* everysec: data written earlier may still wait for its fsync. */
        if (policy == FSYNC_EVERYSEC && A.fsync_offset != A.current_size && now > A.last_fsync &&
            !(sync_in_progress = fsync_pending > 0))
            goto try_fsync;
        return;
    }
    if (policy == FSYNC_EVERYSEC) sync_in_progress = fsync_pending > 0;
    if (policy == FSYNC_EVERYSEC && !force && sync_in_progress) {
        /* write(2) would block behind the fsync anyway: postpone up to 2 s. */
        if (A.flush_postponed_start == 0) {
            A.flush_postponed_start = now;
            return;
        }
        if (now - A.flush_postponed_start < 2) return;
        A.delayed_fsync++;
        log_notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF "
                   "buffer without waiting for fsync to complete, this may slow down Keel.");
    }
    ssize_t nwritten = write_all(A.fd, A.buf.p, A.buf.len);
    A.flush_postponed_start = 0;
    if (nwritten != (ssize_t)A.buf.len) {
        write_failed(nwritten);
        return; /* retried from the cron */
    }
    if (!A.last_write_ok) {
        log_warning("AOF write error looks solved, Keel can write again.");
        A.last_write_ok = true;
    }
    A.current_size += nwritten;
    A.last_incr_size += nwritten;
    if (A.buf.cap > 4 * REWRITE_FLUSH_BYTES)
        buf_free(&A.buf);
    else
        buf_clear(&A.buf);

try_fsync:
    if (server.cfg.no_appendfsync_on_rewrite && child_active()) return;
    if (policy == FSYNC_ALWAYS) {
        if (aof_fsync(A.fd) == -1) {
            log_warning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': "
                        "%s. Exiting...",
                        strerror(errno));
            exit(1);
        }
        A.fsync_offset = A.current_size;
        A.last_fsync = now;
    } else if (policy == FSYNC_EVERYSEC && now > A.last_fsync) {
        if (!sync_in_progress) {
            bg_submit(JOB_FSYNC, A.fd, NULL);
            A.fsync_offset = A.current_size;
        }
        A.last_fsync = now;
    }
}

static void before_poll(void) {
    if (A.state == AOF_ON || A.state == AOF_WAIT_REWRITE) flush(false);
}

/* ---- writing a base file ------------------------------------------------- */

static void cat_bulk(buf_t *b, const char *p, size_t n) {
    buf_printf(b, "$%zu\r\n", n);
    buf_append(b, p, n);
    buf_append(b, "\r\n", 2);
}

static void cat_bulk_ll(buf_t *b, long long v) {
    char num[24];
    cat_bulk(b, num, ll2str(num, v));
}

/* The dataset as commands (Redis's rewriteAppendOnlyFileRio). */
static int write_commands(int fd) {
    buf_t b = BUF_INIT;
    size_t total = 0, done = 0;
    int rc = 0;
    for (int j = 0; j < ks.ndbs; j++) total += db_size(&ks.dbs[j]);
    if (server.cfg.aof_timestamp_enabled) buf_printf(&b, "#TS:%lld\r\n", (long long)time(NULL));
    for (int j = 0; j < ks.ndbs && rc == 0; j++) {
        db_t *db = &ks.dbs[j];
        if (db_size(db) == 0) continue;
        buf_puts(&b, "*2\r\n$6\r\nSELECT\r\n");
        cat_bulk_ll(&b, j);
        ht_iter_t it;
        ht_iter_init(&it, &db->keys);
        for (ht_node_t *n; rc == 0 && (n = ht_iter_next(&it));) {
            const kv_t *kv = (const kv_t *)n;
            const char *key = kv_key(kv);
            if (kv->type == OBJ_STRING) {
                char tmp[32];
                size_t vlen;
                const char *v = kv_str(kv, tmp, &vlen);
                buf_puts(&b, "*3\r\n$3\r\nSET\r\n");
                cat_bulk(&b, key, kv->klen);
                cat_bulk(&b, v, vlen);
            } else if (rewriters[kv->type]) { /* type is 4 bits: always in range */
                if (rewriters[kv->type](&b, kv) != 0) rc = -EINVAL;
            } else {
                log_warning("AOF rewrite: no command form for a value of type %s",
                            kv_type_name(kv->type));
                rc = -EINVAL;
            }
            if (kv->has_exp) {
                buf_puts(&b, "*3\r\n$9\r\nPEXPIREAT\r\n");
                cat_bulk(&b, key, kv->klen);
                cat_bulk_ll(&b, kv_exp(kv)->at_ms);
            }
            if (b.len >= REWRITE_FLUSH_BYTES) {
                if (write_all(fd, b.p, b.len) != (ssize_t)b.len) rc = -errno;
                buf_clear(&b);
            }
            if ((++done & 1023) == 0) child_report_progress(done, total);
        }
        ht_iter_done(&it);
    }
    if (rc == 0 && b.len && write_all(fd, b.p, b.len) != (ssize_t)b.len) rc = -errno;
    buf_free(&b);
    return rc;
}

/* Writes the whole dataset to `final` (a path): a temp file in the working
 * directory, fsync, rename.  Used by the rewrite child and at start-up.
 * Redis's rewriteAppendOnlyFile(). */
static int write_base_file(const char *final) {
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "temp-rewriteaof-%d.aof", (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        log_warning("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): %s",
                    strerror(errno));
        return -1;
    }
    int rc;
    if (server.cfg.aof_use_rdb_preamble) {
        rdb_out_t o;
        rdb_out_init_fd(&o, fd, server.cfg.rdbchecksum, server.cfg.rdbcompression);
        rdb_save_info_t rsi = {
            .repl_stream_db = -1, .repl_id = NULL, .repl_offset = 0, .aof_base = true};
        rc = rdb_save_stream(&o, &rsi);
        rdb_out_free(&o);
    } else {
        rc = write_commands(fd);
    }
    if (rc == 0 && fsync(fd) == -1) rc = -errno;
    if (close(fd) == -1 && rc == 0) rc = -errno;
    if (rc != 0) {
        log_warning("Write error writing append only file on disk: %s",
                    strerror(rc < 0 ? -rc : rc));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, final) == -1) {
        log_warning("Error moving temp append only file on the final destination: %s",
                    strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- manifest on demand --------------------------------------------------- */

static int manifest_ensure(char **err) {
    if (A.am_loaded) return 0;
    buf_t name = BUF_INIT;
    buf_printf(&name, "%s.manifest", fn_name());
    char *path = aof__path(dir_name(), name.p);
    const char *e = NULL;
    int line = 0;
    char *text = NULL;
    aof__manifest_init(&A.am);
    int rc = aof__manifest_load(&A.am, path, &e, &line, &text);
    if (rc == K_ENOENT) {
        log_debug("The AOF manifest file %s doesn't exist", name.p);
        rc = 0;
    } else if (rc != 0) {
        log_warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
        if (text) {
            log_warning("Reading the manifest file, at line %d\n", line);
            log_warning(">>> '%s'\n", text);
        }
        log_warning("%s\n", e);
        if (err) {
            buf_t b = BUF_INIT;
            buf_printf(&b, "AOF manifest %s: %s", path, e);
            if (text) buf_printf(&b, " (line %d: '%s')", line, text);
            *err = buf_detach(&b);
        }
    }
    if (rc == 0) A.am_loaded = true;
    xfree(text);
    xfree(path);
    buf_free(&name);
    return rc;
}

/* ---- rewrite (note 4) ----------------------------------------------------- */

/* Redis's openNewIncrAofForAppend(). */
static int open_new_incr(void) {
    if (A.state == AOF_OFF) return 0;
    aof_manifest_t tmp;
    bool use_tmp = A.state != AOF_WAIT_REWRITE;
    char *name;
    if (use_tmp) {
        aof__manifest_dup(&tmp, &A.am);
        name = xstrdup(aof__manifest_new_incr(&tmp, fn_name()));
    } else {
        name = temp_incr_name();
    }
    char *path = aof__path(dir_name(), name);
    int rc = -1;
    int newfd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_APPEND, 0644);
    if (newfd == -1) {
        log_warning("Can't open the append-only file %s: %s", name, strerror(errno));
        goto out;
    }
    if (use_tmp && aof__manifest_persist(&tmp, dir_name(), fn_name()) != 0) {
        close(newfd);
        goto out;
    }
    log_notice("Creating AOF incr file %s on background rewrite", name);
    if (A.fd != -1) {
        /* always: already fsynced; everysec: the delay is allowed. */
        bg_submit(JOB_CLOSE, A.fd, NULL);
        A.fsync_offset = A.current_size;
        A.last_fsync = now_s();
    }
    A.fd = newfd;
    A.last_incr_size = 0;
    if (use_tmp) {
        aof__manifest_free(&A.am);
        A.am = tmp;
        use_tmp = false;
    }
    rc = 0;
out:
    if (use_tmp) aof__manifest_free(&tmp);
    xfree(name);
    xfree(path);
    return rc;
}

/* Redis's aofRewriteLimited(): after 3 consecutive failures, automatic
 * rewrites back off 1, 2, 4 ... 60 minutes (BGREWRITEAOF still runs). */
static bool rewrite_limited(void) {
    if (A.consecutive_failures < AOF_REWRITE_LIMIT_THRESHOLD) {
        A.limit_delay_minutes = 0;
        A.limit_next_time = 0;
        return false;
    }
    if (A.limit_next_time != 0) {
        if (now_s() < A.limit_next_time) return true;
        A.limit_next_time = 0;
        return false;
    }
    A.limit_delay_minutes = A.limit_delay_minutes ? A.limit_delay_minutes * 2 : 1;
    if (A.limit_delay_minutes > AOF_REWRITE_LIMIT_MAX_MINUTES)
        A.limit_delay_minutes = AOF_REWRITE_LIMIT_MAX_MINUTES;
    A.limit_next_time = now_s() + A.limit_delay_minutes * 60;
    log_warning("Background AOF rewrite has repeatedly failed and triggered the limit, will retry "
                "in %d minutes",
                A.limit_delay_minutes);
    return true;
}

static int rewrite_child(void *ud) {
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "temp-rewriteaof-bg-%d.aof", (int)getpid());
    if (write_base_file(tmp) != 0) return 1;
    log_notice("Successfully created the temporary AOF base file %s", tmp);
    return 0;
}

static void remove_temp_files(pid_t pid) {
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "temp-rewriteaof-bg-%d.aof", (int)pid);
    bg_unlink_name(NULL, tmp);
    snprintf(tmp, sizeof(tmp), "temp-rewriteaof-%d.aof", (int)pid);
    bg_unlink_name(NULL, tmp);
}

/* Deletes the history files and drops them from the manifest. */
static void delete_history(void) {
    if (A.am.nhist == 0) return;
    for (int i = 0; i < A.am.nhist; i++) {
        log_notice("Removing the history file %s in the background", A.am.hist[i].name);
        bg_unlink_name(dir_name(), A.am.hist[i].name);
    }
    aof__manifest_clear_history(&A.am);
    aof__manifest_persist(&A.am, dir_name(), fn_name());
}

static void rewrite_failed(void) {
    A.lastbgrewrite_ok = false;
    A.consecutive_failures++;
}

/* Success path of the rewrite: install the new base (Redis's
 * backgroundRewriteDoneHandler). */
static void rewrite_install(pid_t pid) {
    char tmpfile[64];
    snprintf(tmpfile, sizeof(tmpfile), "temp-rewriteaof-bg-%d.aof", (int)pid);
    aof_manifest_t tmp;
    aof__manifest_dup(&tmp, &A.am);
    const char *base = aof__manifest_new_base(&tmp, fn_name(), server.cfg.aof_use_rdb_preamble);
    char *base_path = aof__path(dir_name(), base), *incr_path = NULL;
    if (rename(tmpfile, base_path) == -1) {
        log_warning("Error trying to rename the temporary AOF base file %s into %s: %s", tmpfile,
                    base_path, strerror(errno));
        rewrite_failed();
        goto fail;
    }
    log_notice("Successfully renamed the temporary AOF base file %s into %s", tmpfile, base);
    if (A.state == AOF_WAIT_REWRITE) {
        char *tname = temp_incr_name(), *tpath = aof__path(dir_name(), tname);
        const char *incr = aof__manifest_new_incr(&tmp, fn_name());
        incr_path = aof__path(dir_name(), incr);
        int rc = rename(tpath, incr_path);
        if (rc == -1)
            log_warning("Error trying to rename the temporary AOF incr file %s into %s: %s", tpath,
                        incr_path, strerror(errno));
        else
            log_notice("Successfully renamed the temporary AOF incr file %s into %s", tname, incr);
        xfree(tname);
        xfree(tpath);
        if (rc == -1) {
            unlink(base_path);
            xfree(incr_path);
            incr_path = NULL;
            rewrite_failed();
            goto fail;
        }
    }
    aof__manifest_mark_incr_history(&tmp, A.fd != -1);
    if (aof__manifest_persist(&tmp, dir_name(), fn_name()) != 0) {
        unlink(base_path);
        if (incr_path) unlink(incr_path);
        rewrite_failed();
        goto fail;
    }
    aof__manifest_free(&A.am);
    A.am = tmp;
    if (A.fd != -1) {
        int err;
        A.feed.selected_db = -1;
        A.current_size = file_size(A.am.base.name, &err) + A.last_incr_size;
        A.rewrite_base_size = A.current_size;
        A.fsync_offset = A.current_size;
        A.last_fsync = now_s();
    }
    delete_history();
    A.lastbgrewrite_ok = true;
    A.consecutive_failures = 0;
    log_notice("Background AOF rewrite finished successfully");
    if (A.state == AOF_WAIT_REWRITE) set_state(AOF_ON);
    xfree(base_path);
    xfree(incr_path);
    return;
fail:
    aof__manifest_free(&tmp);
    xfree(base_path);
    xfree(incr_path);
}

static void rewrite_done(const child_result_t *r, void *ud) {
    pid_t pid = A.child_pid;
    A.child_pid = 0;
    if (r->signal == 0 && r->exitcode == 0) {
        log_notice("Background AOF rewrite terminated with success");
        A.last_cow = r->cow_bytes;
        rewrite_install(pid);
    } else if (r->signal == 0) {
        rewrite_failed();
        log_warning("Background AOF rewrite terminated with error");
    } else {
        /* SIGUSR1 is how we kill a child on purpose: not an error. */
        if (r->signal != SIGUSR1) rewrite_failed();
        log_warning("Background AOF rewrite terminated by signal %d", r->signal);
    }
    remove_temp_files(pid);
    if (A.state == AOF_WAIT_REWRITE) {
        /* Nothing of the temp incr file is kept: the next attempt starts a
         * new one (deleted now, not in the background, as it reuses the name). */
        buf_clear(&A.buf);
        char *tname = temp_incr_name(), *tpath = aof__path(dir_name(), tname);
        log_notice("Removing the temp incr aof file %s", tname);
        unlink(tpath);
        xfree(tname);
        xfree(tpath);
        A.rewrite_scheduled = true;
    }
    A.rewrite_time_last = now_s() - A.rewrite_time_start;
    A.rewrite_time_start = -1;
}

/* Redis's rewriteAppendOnlyFileBackground(). */
static int rewrite_start(void) {
    if (child_active()) return -1;
    int rc = mkdir_if_missing(dir_name());
    if (rc != 0) {
        log_warning("Can't open or create append-only dir %s: %s", dir_name(), strerror(-rc));
        A.lastbgrewrite_ok = false;
        return -1;
    }
    if (!A.am_loaded && manifest_ensure(NULL) != 0) {
        A.lastbgrewrite_ok = false;
        return -1;
    }
    A.feed.selected_db = -1; /* the new incr file starts with a SELECT */
    flush(true);
    if (open_new_incr() != 0) {
        A.lastbgrewrite_ok = false;
        return -1;
    }
    A.rewrites++;
    pid_t pid = child_start(CHILD_AOF, rewrite_child, rewrite_done, NULL);
    if (pid < 0) {
        A.lastbgrewrite_ok = false;
        log_warning("Can't rewrite append only file in background: fork: %s", strerror(-pid));
        return -1;
    }
    log_notice("Background append only file rewriting started by pid %ld", (long)pid);
    A.child_pid = pid;
    A.rewrite_scheduled = false;
    A.rewrite_time_start = now_s();
    return 0;
}

static void kill_rewrite_child(void) {
    if (!rewrite_in_progress()) return;
    pid_t pid = A.child_pid;
    log_notice("Killing running AOF rewrite child: %ld", (long)pid);
    child_kill();
    A.child_pid = 0;
    remove_temp_files(pid);
    A.rewrite_time_start = -1;
}

/* ---- switching on and off ------------------------------------------------- */

static void stop_append_only(void) {
    flush(true);
    if (A.fd != -1) {
        if (aof_fsync(A.fd) == -1) {
            log_warning("Fail to fsync the AOF file: %s", strerror(errno));
        } else {
            A.fsync_offset = A.current_size;
            A.last_fsync = now_s();
        }
        /* An fsync job may still use the fd: then it is closed after it. */
        if (fsync_pending)
            bg_submit(JOB_CLOSE, A.fd, NULL);
        else
            close(A.fd);
    }
    A.fd = -1;
    A.feed.selected_db = -1;
    set_state(AOF_OFF);
    A.rewrite_scheduled = false;
    A.last_incr_size = 0;
    kill_rewrite_child();
    buf_free(&A.buf);
}

static int start_append_only(void) {
    if (manifest_ensure(NULL) != 0) return -1;
    register_sink();
    set_state(AOF_WAIT_REWRITE);
    if (child_active() && child_type() != CHILD_AOF) {
        A.rewrite_scheduled = true;
        log_warning("AOF was enabled but there is already another background operation. An AOF "
                    "background was scheduled to start when possible.");
    } else if (server.in_exec) {
        A.rewrite_scheduled = true;
        log_warning("AOF was enabled during a transaction. An AOF background was scheduled to "
                    "start when possible.");
    } else if (server.loading) {
        /* A base forked now would miss the rest of the dataset; the cron
         * starts the rewrite once loading is over. */
        A.rewrite_scheduled = true;
        log_warning("AOF was enabled while loading the dataset. An AOF background was scheduled "
                    "to start when possible.");
    } else {
        if (rewrite_in_progress()) {
            log_warning("AOF was enabled but there is already an AOF rewriting in background. "
                        "Stopping background AOF and starting a rewrite now.");
            kill_rewrite_child();
        }
        if (rewrite_start() != 0) {
            set_state(AOF_OFF);
            log_warning("Keel needs to enable the AOF but can't trigger a background AOF rewrite "
                        "operation. Check the above logs for more info about the error.");
            return -1;
        }
    }
    A.last_fsync = now_s();
    if (!A.bio_fsync_ok) {
        log_warning("AOF reopen, just ignore the AOF fsync error in bio job");
        A.bio_fsync_ok = true;
    }
    if (!A.last_write_ok) {
        log_warning("AOF reopen, just ignore the last error.");
        A.last_write_ok = true;
    }
    return 0;
}

static int on_config_appendonly(keel_config_t *c, const char *name, char **err) {
    if (!c->appendonly && A.state != AOF_OFF) {
        stop_append_only();
    } else if (c->appendonly && A.state == AOF_OFF) {
        if (start_append_only() != 0) {
            *err = xstrdup("Unable to turn on AOF. Check server logs.");
            return -1;
        }
    }
    return 0;
}

void aof_stop(void) {
    if (A.state != AOF_OFF) stop_append_only();
}

int aof_start_after_load(void) {
    if (!server.cfg.appendonly || A.state != AOF_OFF) return 0;
    return start_append_only();
}

/* ---- cron and shutdown ---------------------------------------------------- */

static void aof_cron(void) {
    int64_t now = now_s();
    if (server.loading) return;
    if (A.state == AOF_ON && A.flush_postponed_start) flush(false);
    if (now != A.last_error_retry) {
        A.last_error_retry = now;
        if (A.state == AOF_ON && !A.last_write_ok) flush(false);
    }
    if (!child_active() && A.rewrite_scheduled && !rewrite_limited()) rewrite_start();
    if (A.state == AOF_ON && !child_active() && server.cfg.auto_aof_rewrite_percentage &&
        A.current_size > (long long)server.cfg.auto_aof_rewrite_min_size) {
        long long base = A.rewrite_base_size ? A.rewrite_base_size : 1;
        long long growth = (A.current_size * 100 / base) - 100;
        if (growth >= server.cfg.auto_aof_rewrite_percentage && !rewrite_limited()) {
            log_notice("Starting automatic rewriting of AOF on %lld%% growth", growth);
            rewrite_start();
        }
    }
}

static int on_shutdown(int flags) {
    if (rewrite_in_progress()) {
        if (A.state == AOF_WAIT_REWRITE) {
            if (!(flags & SHUTDOWN_FORCE)) {
                log_warning("Writing initial AOF, can't exit.");
                return 1;
            }
            log_warning("Writing initial AOF. Exit anyway.");
        }
        log_warning("There is a child rewriting the AOF. Killing it!");
        kill_rewrite_child();
    }
    if (A.state != AOF_OFF && A.fd != -1) {
        log_notice("Calling fsync() on the AOF file.");
        flush(true);
        if (aof_fsync(A.fd) == -1) log_warning("Fail to fsync the AOF file: %s.", strerror(errno));
    }
    return 0;
}

int aof_flush_all(void) {
    if (A.state == AOF_OFF || A.fd == -1) return 0;
    flush(true);
    if (A.buf.len) return -(A.last_write_errno ? A.last_write_errno : EIO);
    if (aof_fsync(A.fd) == -1) return -errno;
    A.fsync_offset = A.current_size;
    A.last_fsync = now_s();
    return 0;
}

const char *aof_write_error(void) {
    static char msg[160];
    int e;
    if (A.state == AOF_OFF) return NULL;
    if (!A.last_write_ok)
        e = A.last_write_errno;
    else if (!A.bio_fsync_ok)
        e = A.bio_fsync_errno;
    else
        return NULL;
    snprintf(msg, sizeof(msg), "MISCONF Errors writing to the AOF file: %s", strerror(e));
    return msg;
}

/* ---- loading -------------------------------------------------------------- */

enum { LOAD_OK, LOAD_NOT_EXIST, LOAD_EMPTY, LOAD_OPEN_ERR, LOAD_FAILED, LOAD_TRUNCATED };

typedef struct load_ctx {
    client_t *c;
    const char *name;
    size_t argcap;
} load_ctx_t;

static void load_tick(uint64_t offset, void *ud) {
    A.load_done = A.load_file_start + offset;
    if (A.progress) A.progress(A.progress_ud);
}

static void rdb_tick(rdb_in_t *in, void *ud) { load_tick(in->pos, ud); }

static bool arity_ok(const command_t *cmd, int argc) {
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* Runs one command of the AOF on the fake client (note 6). */
static int load_exec(int argc, char **argv, size_t *lens, void *ud) {
    load_ctx_t *L = ud;
    client_t *c = L->c;
    if ((size_t)argc > L->argcap) {
        L->argcap = (size_t)argc;
        c->argv = xrealloc(c->argv, L->argcap * sizeof(*c->argv));
        c->argvlen = xrealloc(c->argvlen, L->argcap * sizeof(*c->argvlen));
        c->argv_cap = L->argcap;
    }
    for (int i = 0; i < argc; i++) {
        c->argv[i] = argv[i];
        c->argvlen[i] = lens[i];
    }
    c->argc = argc;
    command_t *cmd = command_lookup_argv(argc, c->argv, c->argvlen);
    if (!cmd || !cmd->proc) {
        log_warning("Unknown command '%s' reading the append only file %s", argv[0], L->name);
        return -1;
    }
    if (!arity_ok(cmd, argc)) {
        log_warning("Wrong number of arguments for '%s' reading the append only file %s",
                    cmd->fullname, L->name);
        return -1;
    }
    c->cmd = c->lastcmd = cmd;
    if ((c->flags & CLIENT_MULTI) && strcmp(cmd->fullname, "exec") != 0 &&
        strcmp(cmd->fullname, "discard") != 0)
        command_hooks.multi_queue(c);
    else
        command_call(c, cmd);
    c->argc = 0;
    return 0;
}

/* Loads the RDB part of a base (or old-style preamble) file; returns the
 * offset where the RDB ended, or -1. */
static long long load_rdb_part(int fd, const char *name, long long size, bool old_style) {
    if (old_style)
        log_notice("Reading RDB preamble from AOF file...");
    else
        log_notice("Reading RDB base file on AOF loading...");
    if (lseek(fd, 0, SEEK_SET) == (off_t)-1) return -1;
    rdb_in_t in;
    rdb_in_init_fd(&in, fd, (uint64_t)size);
    in.progress = rdb_tick;
    in.progress_ud = NULL;
    rdb_load_info_t info;
    char *err = NULL;
    int rc = rdb_load_stream(&in, RDB_LOAD_INSERT, &info, &err);
    long long end = (long long)in.pos;
    rdb_in_free(&in);
    if (rc != 0) {
        if (old_style)
            log_warning(
                "Error reading the RDB preamble of the AOF file %s, AOF loading aborted: %s", name,
                err ? err : "?");
        else
            log_warning("Error reading the RDB base file %s, AOF loading aborted: %s", name,
                        err ? err : "?");
        xfree(err);
        return -1;
    }
    if (old_style) log_notice("Reading the remaining AOF tail...");
    return end;
}

static int truncated_tail(const char *name, const char *path, const aof_read_result_t *res,
                          bool last_file) {
    if (res->multi_reverted)
        log_warning("Revert incomplete MULTI/EXEC transaction in AOF file %s", name);
    if (server.cfg.aof_load_truncated) {
        log_warning("!!! Warning: short read while loading the AOF file %s!!!", name);
        if (!last_file) {
            log_warning("Fatal error: the truncated file is not the last file");
            return LOAD_FAILED;
        }
        log_warning("!!! Truncating the AOF %s at offset %llu !!!", name,
                    (unsigned long long)res->valid_up_to);
        if (truncate(path, (off_t)res->valid_up_to) == -1) {
            log_warning("Error truncating the AOF file %s: %s", name, strerror(errno));
        } else {
            log_warning("AOF %s loaded anyway because aof-load-truncated is enabled", name);
            return LOAD_TRUNCATED;
        }
    }
    log_warning("Unexpected end of file reading the append only file %s. You can: 1) Make a backup "
                "of your AOF file, then use ./keel-check-aof --fix <filename.manifest>. 2) "
                "Alternatively you can set the 'aof-load-truncated' configuration option to yes "
                "and restart the server.",
                name);
    return LOAD_FAILED;
}

/* Redis's loadSingleAppendOnlyFile(). */
static int load_single(const char *name, bool last_file) {
    char *path = aof__path(dir_name(), name);
    int rc = LOAD_OK;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        if (errno == ENOENT) {
            log_warning("The append log file %s doesn't exist: %s", name, strerror(errno));
            rc = LOAD_NOT_EXIST;
        } else {
            log_warning("Fatal error: can't open the append log file %s for reading: %s", name,
                        strerror(errno));
            rc = LOAD_OPEN_ERR;
        }
        xfree(path);
        return rc;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size == 0) {
        close(fd);
        xfree(path);
        return LOAD_EMPTY;
    }
    long long size = (long long)st.st_size;
    long long start = 0;
    char sig[5];
    if (read(fd, sig, 5) == 5 && memcmp(sig, "REDIS", 5) == 0) {
        start = load_rdb_part(fd, name, size, strcmp(name, fn_name()) == 0);
        if (start < 0) rc = LOAD_FAILED;
    }
    if (rc == LOAD_OK) {
        load_ctx_t L = {.c = client_new_fake(), .name = name};
        client_t *saved = server.current_client;
        server.current_client = L.c;
        aof_read_result_t res;
        int r =
            aof__read_commands(fd, (uint64_t)start, (uint64_t)size, load_exec, load_tick, &L, &res);
        server.current_client = saved;
        client_free(L.c);
        if (r == AOF_READ_ABORTED) {
            rc = LOAD_FAILED;
        } else if (r == AOF_READ_IOERR) {
            log_warning("Unrecoverable error reading the append only file %s: %s", name,
                        strerror(res.err_errno));
            rc = LOAD_FAILED;
        } else if (r == AOF_READ_FMTERR) {
            log_warning("Bad file format reading the append only file %s: make a backup of your "
                        "AOF file, then use ./keel-check-aof --fix <filename.manifest>",
                        name);
            rc = LOAD_FAILED;
        } else if (r == AOF_READ_TRUNCATED) {
            rc = truncated_tail(name, path, &res, last_file);
        }
    }
    close(fd);
    xfree(path);
    return rc;
}

/* Redis's aofUpgradePrepare(): a lone pre-7.0 appendfilename becomes the
 * base of a new directory. */
static int upgrade_prepare(void) {
    int rc = mkdir_if_missing(dir_name());
    if (rc != 0) {
        log_warning("Can't open or create append-only dir %s: %s", dir_name(), strerror(-rc));
        return -1;
    }
    aof_manifest_t tmp;
    aof__manifest_dup(&tmp, &A.am);
    if (tmp.has_base) xfree(tmp.base.name);
    tmp.base = (aof_info_t){.name = xstrdup(fn_name()), .seq = 1, .type = AOF_FILE_BASE};
    tmp.has_base = true;
    tmp.base_seq = 1;
    tmp.dirty = true;
    if (aof__manifest_persist(&tmp, dir_name(), fn_name()) != 0) {
        aof__manifest_free(&tmp);
        return -1;
    }
    aof__manifest_free(&A.am);
    A.am = tmp;
    char *path = aof__path(dir_name(), fn_name());
    rc = rename(fn_name(), path);
    if (rc == -1)
        log_warning("Error trying to move the old AOF file %s into dir %s: %s", fn_name(),
                    dir_name(), strerror(errno));
    else
        log_notice("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).",
                   fn_name(), dir_name());
    xfree(path);
    return rc == -1 ? -1 : 0;
}

static int load_failed(char **err, const char *what, const char *name) {
    if (err) {
        buf_t b = BUF_INIT;
        buf_printf(&b, "%s %s (see the log above)", what, name);
        *err = buf_detach(&b);
    }
    return K_EINVAL;
}

/* Redis's loadAppendOnlyFiles(). */
int aof_load(char **err) {
    if (manifest_ensure(err) != 0) return K_EINVAL;
    aof_manifest_t *am = &A.am;
    if (exists(fn_name())) {
        char *inner = aof__path(dir_name(), fn_name());
        bool upgrade =
            !dir_exists(dir_name()) || (!am->has_base && am->nincr == 0) ||
            (am->has_base && am->nincr == 0 && !strcmp(am->base.name, fn_name()) && !exists(inner));
        xfree(inner);
        if (upgrade && upgrade_prepare() != 0)
            return load_failed(err, "Can't move the old-style AOF file", fn_name());
    }
    if (!am->has_base && am->nincr == 0) return K_ENOENT;

    int total_num = (am->has_base ? 1 : 0) + am->nincr, num = 0, ferr;
    long long total = 0, base_size = 0;
    if (am->has_base) total += base_size = file_size(am->base.name, &ferr);
    if (am->has_base && ferr) return load_failed(err, "Can't stat the AOF file", am->base.name);
    for (int i = 0; i < am->nincr; i++) {
        total += file_size(am->incr[i].name, &ferr);
        if (ferr) return load_failed(err, "Can't stat the AOF file", am->incr[i].name);
    }
    A.load_total = (unsigned long long)total;
    A.load_done = 0;
    if (total == 0) return 0; /* AOF_EMPTY: nothing to load */

    A.loading = true;
    int rc = 0;
    const char *failed = NULL;
    for (int i = -1; i < am->nincr && !failed; i++) {
        if (i == -1 && !am->has_base) continue;
        const char *name = i == -1 ? am->base.name : am->incr[i].name;
        bool last = ++num == total_num;
        int64_t start = clock_mono_us();
        int r = load_single(name, last);
        if (r == LOAD_OK || r == LOAD_TRUNCATED)
            log_notice("DB loaded from %s file %s: %.3f seconds", i == -1 ? "base" : "incr", name,
                       (double)(clock_mono_us() - start) / 1e6);
        if (r == LOAD_NOT_EXIST || r == LOAD_OPEN_ERR || r == LOAD_FAILED) failed = name;
        int err2;
        A.load_file_start += (unsigned long long)file_size(name, &err2);
        A.load_done = A.load_file_start;
    }
    A.loading = false;
    A.load_file_start = 0;
    if (failed) {
        rc = load_failed(err, "Error loading the AOF file", failed);
    } else {
        int e;
        /* Sizes again: a truncated tail was cut. */
        total = am->has_base ? file_size(am->base.name, &e) : 0;
        for (int i = 0; i < am->nincr; i++) total += file_size(am->incr[i].name, &e);
        A.current_size = total;
        A.rewrite_base_size = base_size;
        A.fsync_offset = total;
    }
    return rc;
}

void aof_set_load_progress(void (*fn)(void *ud), void *ud) {
    A.progress = fn;
    A.progress_ud = ud;
}

void aof_load_bytes(unsigned long long *loaded, unsigned long long *total) {
    *loaded = A.load_done;
    *total = A.load_total;
}

/* Redis's aofOpenIfNeededOnServerStart(). */
int aof_open_on_startup(char **err) {
    if (!server.cfg.appendonly) return 0;
    if (manifest_ensure(err) != 0) return K_EINVAL;
    int rc = mkdir_if_missing(dir_name());
    if (rc != 0) {
        log_warning("Can't open or create append-only dir %s: %s", dir_name(), strerror(-rc));
        return load_failed(err, "Can't open or create append-only dir", dir_name());
    }
    bool had_incr = A.am.nincr > 0;
    if (!A.am.has_base && !had_incr) {
        /* No AOF yet: the dataset in memory becomes the base. */
        aof_manifest_t tmp;
        aof__manifest_dup(&tmp, &A.am);
        const char *base = aof__manifest_new_base(&tmp, fn_name(), server.cfg.aof_use_rdb_preamble);
        char *path = aof__path(dir_name(), base);
        rc = write_base_file(path);
        xfree(path);
        if (rc != 0) {
            aof__manifest_free(&tmp);
            return load_failed(err, "Can't create the AOF base file in", dir_name());
        }
        aof__manifest_free(&A.am);
        A.am = tmp;
        log_notice("Creating AOF base file %s on server start", A.am.base.name);
    }
    const char *name = aof__manifest_last_incr(&A.am, fn_name());
    char *path = aof__path(dir_name(), name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    xfree(path);
    if (fd == -1) {
        log_warning("Can't open the append-only file %s: %s", name, strerror(errno));
        return load_failed(err, "Can't open the append-only file", name);
    }
    if (aof__manifest_persist(&A.am, dir_name(), fn_name()) != 0) {
        close(fd);
        return load_failed(err, "Can't write the AOF manifest in", dir_name());
    }
    int e;
    A.last_incr_size = file_size(name, &e);
    A.current_size = A.last_incr_size;
    for (int i = 0; i < A.am.nincr - 1; i++) A.current_size += file_size(A.am.incr[i].name, &e);
    long long base_size = A.am.has_base ? file_size(A.am.base.name, &e) : 0;
    A.current_size += base_size;
    if (!A.rewrite_base_size) A.rewrite_base_size = base_size;
    A.fsync_offset = A.current_size;
    A.last_fsync = now_s();
    A.fd = fd;
    A.feed.selected_db = -1;
    if (had_incr)
        log_notice("Opening AOF incr file %s on server start", name);
    else
        log_notice("Creating AOF incr file %s on server start", name);
    register_sink();
    if (A.state == AOF_OFF) set_state(AOF_ON);
    delete_history();
    return 0;
}

/* ---- INFO and the command ------------------------------------------------- */

void aof_info_fields(buf_t *out) {
    bool on = A.state != AOF_OFF;
    bool in_progress = rewrite_in_progress();
    buf_printf(out,
               "aof_enabled:%d\r\n"
               "aof_rewrite_in_progress:%d\r\n"
               "aof_rewrite_scheduled:%d\r\n"
               "aof_last_rewrite_time_sec:%lld\r\n"
               "aof_current_rewrite_time_sec:%lld\r\n"
               "aof_last_bgrewrite_status:%s\r\n"
               "aof_rewrites:%lld\r\n"
               "aof_rewrites_consecutive_failures:%lld\r\n"
               "aof_last_write_status:%s\r\n"
               "aof_last_cow_size:%zu\r\n"
               "module_fork_in_progress:0\r\n"
               "module_fork_last_cow_size:0\r\n",
               on, in_progress, A.rewrite_scheduled, (long long)A.rewrite_time_last,
               in_progress && A.rewrite_time_start >= 0
                   ? (long long)(now_s() - A.rewrite_time_start)
                   : -1LL,
               A.lastbgrewrite_ok ? "ok" : "err", A.rewrites, A.consecutive_failures,
               A.last_write_ok && A.bio_fsync_ok ? "ok" : "err", A.last_cow);
    if (!on) return;
    buf_printf(out,
               "aof_current_size:%lld\r\n"
               "aof_base_size:%lld\r\n"
               "aof_pending_rewrite:%d\r\n"
               "aof_buffer_length:%zu\r\n"
               "aof_pending_bio_fsync:%lu\r\n"
               "aof_delayed_fsync:%lu\r\n",
               A.current_size, A.rewrite_base_size, A.rewrite_scheduled, A.buf.len, fsync_pending,
               A.delayed_fsync);
}

void aof_register_rewriter(int obj_type, aof_rewrite_fn fn) {
    if (obj_type >= 0 && obj_type < 16) rewriters[obj_type] = fn;
}

static void cmd_bgrewriteaof(client_t *c) {
    if (rewrite_in_progress()) {
        reply_error(c, "ERR Background append only file rewriting already in progress");
    } else if (child_active() || server.in_exec) {
        A.rewrite_scheduled = true;
        A.consecutive_failures = 0; /* asked by hand: may run at once */
        reply_simple(c, "Background append only file rewriting scheduled");
    } else if (rewrite_start() == 0) {
        reply_simple(c, "Background append only file rewriting started");
    } else {
        reply_error(c, "ERR Can't execute an AOF background rewriting. Please check the server "
                       "logs for more information.");
    }
}

static command_t aof_commands[] = {
    {.name = "bgrewriteaof",
     .proc = cmd_bgrewriteaof,
     .arity = 1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING,
     .acl = ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS,
     .group = "server",
     .since = "1.0.0",
     .summary = "Asynchronously rewrite the append-only file",
     .complexity = "O(1)"},
    {.name = NULL},
};

void aof_init(void) {
    command_register(aof_commands);
    config_on_apply("appendonly", on_config_appendonly);
    server_on_before_poll(before_poll);
    server_on_cron(aof_cron);
    server_on_shutdown(on_shutdown);
    /* The state follows the config at once (as Redis's aof_state); the file
     * is opened by aof_open_on_startup() after loading. */
    if (server.cfg.appendonly) {
        A.state = AOF_ON;
        register_sink();
    }
}
