/* RDB persistence policies (save.h): SAVE, BGSAVE, save points,
 * stop-writes-on-bgsave-error, the final save at shutdown, loading at
 * start-up and INFO persistence.  The byte format lives in rdb.c, forking in
 * child.c; this file decides when to save and keeps the rdb_* status.
 *
 * Design notes:
 *  1. Dirty accounting, as Redis's dirty_before_bgsave: server.dirty counts
 *     changes since the last save.  A BGSAVE forked at dirty = 100 that
 *     finishes after 30 more writes leaves dirty = 130 - 100 = 30, because
 *     those 30 are not in the file.  A SAVE runs on the loop, so it resets
 *     dirty to 0.
 *  2. Save points (`save <seconds> <changes>`): checked by the cron while no
 *     child runs.  `save 60 1000` fires when more than 60 s passed since
 *     lastsave and dirty >= 1000.  After a failed BGSAVE the next attempt
 *     waits until more than BGSAVE_RETRY_DELAY (5 s) passed since the last
 *     try, as Redis's CONFIG_BGSAVE_RETRY_DELAY, so a full disk is not
 *     hammered with forks at every tick.  A scheduled BGSAVE (BGSAVE
 *     SCHEDULE during an AOF rewrite) starts from the same cron once the
 *     other child is gone, under the same retry rule.
 *  3. stop-writes-on-bgsave-error: the dispatcher asks write_error() before
 *     every write command; the last BGSAVE failed, save points are
 *     configured and the option is on -> MISCONF.  Otherwise the AOF's own
 *     verdict (aof_write_error()) is returned.  Only a failed BGSAVE (or a
 *     failed fork) sets the error; a BGSAVE killed with SIGUSR1 does not; any
 *     successful save (SAVE too) clears it.
 *  4. Loading: server.loading is set around the whole load.  rdb.c calls the
 *     progress callback every ~1 MiB read; it records the position for INFO
 *     and runs one non-blocking loop turn, so clients that connect meanwhile
 *     are accepted and answered (-LOADING from the dispatcher for commands
 *     without the loading flag; INFO, PING and friends work).  The cron is
 *     not running yet, so no save point can fire on a half-loaded dataset,
 *     and the shutdown hook never saves while loading (it would overwrite a
 *     good file with a partial dataset).
 *  5. The final save at shutdown kills a running BGSAVE child first (both
 *     would rename onto the same file) and removes its temp file.
 */
#include "save.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "aof.h"
#include "child.h"
#include "clock.h"
#include "db.h"
#include "err.h"
#include "info.h"
#include "log.h"
#include "process.h"
#include "rdb.h"
#include "server.h"

#define BGSAVE_RETRY_DELAY 5 /* seconds, CONFIG_BGSAVE_RETRY_DELAY */

static const char MISCONF_ERR[] = "MISCONF Redis is configured to save RDB snapshots, but it's "
                                  "currently unable to persist to disk. "
                                  "Commands that may modify the data set are disabled, because "
                                  "this instance is configured to report "
                                  "errors during writes if RDB snapshotting fails "
                                  "(stop-writes-on-bgsave-error option). Please check "
                                  "the Redis logs for details about the RDB error.";

static struct {
    bool last_bgsave_ok;          /* rdb_last_bgsave_status */
    int64_t last_bgsave_try;      /* unix s of the last BGSAVE attempt (retry delay) */
    bool bgsave_scheduled;        /* BGSAVE SCHEDULE waiting for the other child */
    pid_t bgsave_pid;             /* our BGSAVE child, 0 when none */
    int64_t bgsave_start;         /* unix s, -1 when none */
    long long dirty_at_fork;      /* server.dirty when the child forked (note 1) */
    size_t keys_at_fork;          /* current_save_keys_total until the child reports */
    int64_t last_bgsave_time_sec; /* rdb_last_bgsave_time_sec, -1 = never */
    long long rdb_saves;          /* rdb_saves */
    size_t last_cow_size;         /* rdb_last_cow_size, bytes */
    long long load_keys_loaded, load_keys_expired;
    /* loading (INFO loading_* fields) */
    int64_t loading_start_time; /* unix s */
    uint64_t loading_total_bytes, loading_loaded_bytes;
} S = {.last_bgsave_ok = true, .bgsave_start = -1, .last_bgsave_time_sec = -1};

static int64_t unix_now(void) { return (int64_t)time(NULL); }

static size_t total_keys(void) {
    size_t n = 0;
    for (int i = 0; i < ks.ndbs; i++) n += db_size(&ks.dbs[i]);
    return n;
}

/* Replication fills repl-stream-db / repl-id / repl-offset once it exists;
 * a lone master writes no replication AUX fields (Redis's
 * rdbPopulateSaveInfo returns NULL without a backlog). */
static void (*repl_info_provider)(rdb_save_info_t *rsi);
static rdb_load_info_t startup_load_info = {.repl_stream_db = -1, .repl_offset = -1};

void save_set_repl_info_provider(void (*fn)(rdb_save_info_t *rsi)) { repl_info_provider = fn; }
const rdb_load_info_t *save_startup_load_info(void) { return &startup_load_info; }

static void save_info_init(rdb_save_info_t *rsi) {
    memset(rsi, 0, sizeof(*rsi));
    rsi->repl_stream_db = -1;
    rsi->repl_id = NULL;
    rsi->repl_offset = 0;
    rsi->aof_base = false;
    if (repl_info_provider) repl_info_provider(rsi);
}

/* The temp file a child with this pid writes (rdb_save_file's naming). */
static void remove_temp_file(pid_t pid) {
    char path[64];
    snprintf(path, sizeof(path), "temp-%ld.rdb", (long)pid);
    unlink(path);
}

static bool rdb_child_running(void) {
    return child_type() == CHILD_RDB || child_type() == CHILD_REPL;
}

bool save_bgsave_in_progress(void) { return rdb_child_running(); }

/* ---- SAVE (on the loop) --------------------------------------------------- */

/* Writes the dataset to dbfilename now.  0, or a negative code after logging. */
static int save_sync(void) {
    rdb_save_info_t rsi;
    save_info_init(&rsi);
    char *err = NULL;
    S.rdb_saves++;
    int rc = rdb_save_file(server.cfg.dbfilename, &rsi, server.cfg.rdbchecksum,
                           server.cfg.rdbcompression, &err);
    if (rc != 0) {
        log_warning("%s", err ? err : strerror(rc < 0 && rc > -4096 ? -rc : EIO));
        xfree(err);
        return rc;
    }
    log_notice("DB saved on disk");
    server.dirty = 0;
    server.lastsave = unix_now();
    S.last_bgsave_ok = true;
    return 0;
}

/* ---- BGSAVE (in a child) -------------------------------------------------- */

/* Runs in the forked child: the dataset is the parent's at fork time. */
static int bgsave_child_main(void *ud) {
    process_set_title("keel-rdb-bgsave");
    rdb_save_info_t rsi;
    save_info_init(&rsi);
    char *err = NULL;
    int rc = rdb_save_file(server.cfg.dbfilename, &rsi, server.cfg.rdbchecksum,
                           server.cfg.rdbcompression, &err);
    if (rc != 0) {
        log_warning("%s", err ? err : "Write error saving DB on disk");
        return 1;
    }
    log_notice("DB saved on disk");
    return 0;
}

static void bgsave_done(const child_result_t *r, void *ud) {
    if (r->signal == 0 && r->exitcode == 0) {
        log_notice("Background saving terminated with success");
        server.dirty -= S.dirty_at_fork;
        server.lastsave = unix_now();
        S.last_bgsave_ok = true;
        S.last_cow_size = r->cow_bytes;
    } else if (r->signal == 0) {
        log_warning("Background saving error");
        S.last_bgsave_ok = false;
    } else {
        log_warning("Background saving terminated by signal %d", r->signal);
        remove_temp_file(S.bgsave_pid);
        /* SIGUSR1 is how we stop a child on purpose: not an error. */
        if (r->signal != SIGUSR1) S.last_bgsave_ok = false;
    }
    S.last_bgsave_time_sec = unix_now() - S.bgsave_start;
    S.bgsave_pid = 0;
    S.bgsave_start = -1;
}

/* Forks the BGSAVE child.  0, or -EBUSY / -errno (fork failed, logged). */
static int bgsave_start(void) {
    if (child_active()) return -EBUSY;
    S.rdb_saves++;
    S.dirty_at_fork = server.dirty;
    S.last_bgsave_try = unix_now();
    S.keys_at_fork = total_keys();
    pid_t pid = child_start(CHILD_RDB, bgsave_child_main, bgsave_done, NULL);
    if (pid < 0) {
        S.last_bgsave_ok = false;
        log_warning("Can't save in background: fork: %s", strerror(-pid));
        return pid;
    }
    log_notice("Background saving started by pid %ld", (long)pid);
    S.bgsave_pid = pid;
    S.bgsave_start = unix_now();
    return 0;
}

/* Stops our BGSAVE child without reporting an error (SHUTDOWN, ...). */
static void bgsave_kill(void) {
    if (child_type() != CHILD_RDB) return;
    pid_t pid = child_pid();
    child_kill();
    remove_temp_file(pid);
    if (pid == S.bgsave_pid) {
        S.last_bgsave_time_sec = unix_now() - S.bgsave_start;
        S.bgsave_pid = 0;
        S.bgsave_start = -1;
    }
}

void save_kill_bgsave(void) {
    if (child_type() != CHILD_RDB) return;
    log_notice("Killing the running RDB child %ld and removing its temp file", (long)child_pid());
    bgsave_kill();
}

void save_after_flushall(void) {
    if (child_type() == CHILD_RDB) bgsave_kill();
    if (server.cfg.save_count > 0) save_sync();
}

/* ---- commands ------------------------------------------------------------- */

static void cmd_save(client_t *c) {
    if (rdb_child_running()) {
        reply_error(c, "ERR Background save already in progress");
        return;
    }
    if (save_sync() == 0)
        reply_ok(c);
    else
        reply_error(c, "ERR");
}

static void cmd_bgsave(client_t *c) {
    bool schedule = false;
    if (c->argc > 1) {
        if (c->argc == 2 && c->argvlen[1] == 8 && strncasecmp(c->argv[1], "schedule", 8) == 0) {
            schedule = true;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (rdb_child_running()) {
        reply_error(c, "ERR Background save already in progress");
    } else if (child_active() || server.in_exec) {
        if (schedule || server.in_exec) {
            S.bgsave_scheduled = true;
            reply_simple(c, "Background saving scheduled");
        } else {
            reply_error(c, "ERR Another child process is active (AOF?): can't BGSAVE right now. "
                           "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else if (bgsave_start() == 0) {
        reply_simple(c, "Background saving started");
    } else {
        reply_error(c, "ERR");
    }
}

static const char *const tips_all_nodes[] = {"request_policy:all_nodes",
                                             "response_policy:all_succeeded", NULL};

static command_t save_commands[] = {
    {.name = "save",
     .proc = cmd_save,
     .arity = 1,
     .flags = CMD_NO_ASYNC_LOADING | CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI,
     .acl = ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS,
     .group = "server",
     .since = "1.0.0",
     .summary = "Synchronously saves the database(s) to disk.",
     .complexity = "O(N) where N is the total number of keys in all databases",
     .tips = tips_all_nodes},
    {.name = "bgsave",
     .proc = cmd_bgsave,
     .arity = -1,
     .flags = CMD_NO_ASYNC_LOADING | CMD_ADMIN | CMD_NOSCRIPT,
     .acl = ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS,
     .group = "server",
     .since = "1.0.0",
     .summary = "Asynchronously saves the database(s) to disk.",
     .complexity = "O(1)",
     .tips = tips_all_nodes},
    {.name = NULL},
};

/* ---- cron, dispatcher and shutdown hooks ---------------------------------- */

static void save_cron(void) {
    if (child_active() || server.loading) return;
    int64_t now = unix_now();
    bool may_try = S.last_bgsave_ok || now - S.last_bgsave_try > BGSAVE_RETRY_DELAY;
    if (!may_try) return;
    for (int i = 0; i < server.cfg.save_count; i++) {
        const config_save_point_t *sp = &server.cfg.save[i];
        if (server.dirty >= sp->changes && now - server.lastsave > sp->seconds) {
            log_notice("%lld changes in %lld seconds. Saving...", sp->changes, sp->seconds);
            bgsave_start();
            return;
        }
    }
    if (S.bgsave_scheduled && bgsave_start() == 0) S.bgsave_scheduled = false;
}

static const char *save_write_error(client_t *c, command_t *cmd) {
    if (server.cfg.stop_writes_on_bgsave_error && server.cfg.save_count > 0 && !S.last_bgsave_ok)
        return MISCONF_ERR;
    return aof_write_error();
}

static int save_on_shutdown(int flags) {
    bool save = flags & SHUTDOWN_SAVE, nosave = flags & SHUTDOWN_NOSAVE;
    /* Never save a half-loaded dataset over the file being loaded. */
    if (server.loading || server.cfg.sentinel_mode) {
        save = false;
        nosave = true;
    }
    if (child_type() == CHILD_RDB) {
        log_warning("There is a child saving an .rdb. Killing it!");
        bgsave_kill();
    }
    /* aof.c's own shutdown hook logs AOF flush trouble; flushing twice is harmless. */
    if (server.cfg.appendonly) (void)aof_flush_all();
    if ((server.cfg.save_count > 0 && !nosave) || save) {
        log_notice("Saving the final RDB snapshot before exiting.");
        if (save_sync() != 0) {
            if (flags & SHUTDOWN_FORCE) {
                log_warning("Error trying to save the DB. Exit anyway.");
            } else {
                log_warning("Error trying to save the DB, can't exit.");
                return -1;
            }
        }
    }
    return 0;
}

/* ---- INFO persistence ----------------------------------------------------- */

static void info_persistence(buf_t *out) {
    int64_t now = unix_now();
    size_t keys_done, keys_total, cow, cow_peak;
    int64_t cow_at_us;
    child_progress(&keys_done, &keys_total);
    child_cow(&cow, &cow_peak, &cow_at_us);
    if (!keys_total && child_active()) keys_total = S.keys_at_fork;
    double fork_perc = keys_total ? (double)keys_done / (double)keys_total * 100 : 0;
    long cow_age = cow_at_us ? (long)((clock_mono_us() - cow_at_us) / 1000000) : 0;
    bool bgsave = rdb_child_running();
    buf_printf(out,
               "loading:%d\r\n"
               "async_loading:0\r\n"
               "current_cow_peak:%zu\r\n"
               "current_cow_size:%zu\r\n"
               "current_cow_size_age:%ld\r\n"
               "current_fork_perc:%.2f\r\n"
               "current_save_keys_processed:%zu\r\n"
               "current_save_keys_total:%zu\r\n"
               "rdb_changes_since_last_save:%lld\r\n"
               "rdb_bgsave_in_progress:%d\r\n"
               "rdb_last_save_time:%lld\r\n"
               "rdb_last_bgsave_status:%s\r\n"
               "rdb_last_bgsave_time_sec:%lld\r\n"
               "rdb_current_bgsave_time_sec:%lld\r\n"
               "rdb_saves:%lld\r\n"
               "rdb_last_cow_size:%zu\r\n"
               "rdb_last_load_keys_expired:%lld\r\n"
               "rdb_last_load_keys_loaded:%lld\r\n",
               server.loading ? 1 : 0, cow_peak, cow, cow_age, fork_perc, keys_done, keys_total,
               server.dirty, bgsave ? 1 : 0, (long long)server.lastsave,
               S.last_bgsave_ok ? "ok" : "err", (long long)S.last_bgsave_time_sec,
               (long long)(bgsave && S.bgsave_start >= 0 ? now - S.bgsave_start : -1), S.rdb_saves,
               S.last_cow_size, S.load_keys_expired, S.load_keys_loaded);
    aof_info_fields(out); /* aof_* .. module_fork_* .. [aof_current_size ..], Redis's order */
    if (server.loading) {
        /* Same arithmetic as Redis: percentage of the file, ETA from the rate so far. */
        double perc = 0;
        int64_t remaining = 1;
        if (S.loading_total_bytes) {
            perc = (double)S.loading_loaded_bytes / (double)S.loading_total_bytes * 100;
            remaining = (int64_t)(S.loading_total_bytes - S.loading_loaded_bytes);
        }
        int64_t elapsed = now - S.loading_start_time;
        int64_t eta =
            elapsed == 0 ? 1 : elapsed * remaining / (int64_t)(S.loading_loaded_bytes + 1);
        buf_printf(out,
                   "loading_start_time:%lld\r\n"
                   "loading_total_bytes:%llu\r\n"
                   "loading_rdb_used_mem:0\r\n"
                   "loading_loaded_bytes:%llu\r\n"
                   "loading_loaded_perc:%.2f\r\n"
                   "loading_eta_seconds:%lld\r\n",
                   (long long)S.loading_start_time, (unsigned long long)S.loading_total_bytes,
                   (unsigned long long)S.loading_loaded_bytes, perc, (long long)eta);
    }
}

/* ---- loading at start-up -------------------------------------------------- */

static void loading_start(uint64_t total_bytes) {
    server.loading = true;
    S.loading_start_time = unix_now();
    S.loading_total_bytes = total_bytes;
    S.loading_loaded_bytes = 0;
    S.load_keys_loaded = S.load_keys_expired = 0;
}

static void loading_stop(void) {
    server.loading = false;
    S.loading_total_bytes = S.loading_loaded_bytes = 0;
}

/* Serves clients while loading (note 4).  Two non-blocking turns: the first
 * polls and runs what arrived, the second's before-poll hook flushes the
 * replies, so a client is answered now rather than a MiB later (Redis's
 * processEventsWhileBlocked also writes replies before returning). */
static void serve_clients_while_loading(void) {
    uv_run(server.loop, UV_RUN_NOWAIT);
    uv_run(server.loop, UV_RUN_NOWAIT);
}

/* rdb.c calls this every ~1 MiB read. */
static void on_load_progress(rdb_in_t *in, void *ud) {
    S.loading_loaded_bytes = in->pos;
    if (in->total) S.loading_total_bytes = in->total;
    serve_clients_while_loading();
}

static void on_aof_load_progress(void *ud) {
    unsigned long long loaded = 0, total = 0;
    aof_load_bytes(&loaded, &total);
    S.loading_loaded_bytes = loaded;
    S.loading_total_bytes = total;
    serve_clients_while_loading();
}

static int load_aof(bool *absent) {
    int64_t start = clock_mono_us();
    char *err = NULL;
    loading_start(0);
    aof_set_load_progress(on_aof_load_progress, NULL);
    int rc = aof_load(&err);
    aof_set_load_progress(NULL, NULL);
    loading_stop();
    *absent = rc == K_ENOENT;
    if (rc == 0) {
        log_notice("DB loaded from append only file: %.3f seconds",
                   (double)(clock_mono_us() - start) / 1e6);
    } else if (rc != K_ENOENT) {
        log_warning("Fatal error loading the DB: %s. Exiting.",
                    err ? err : "can't load the append only file");
    }
    xfree(err);
    return rc == 0 || rc == K_ENOENT ? 0 : -1;
}

static int load_rdb(void) {
    int64_t start = clock_mono_us();
    struct stat st;
    if (stat(server.cfg.dbfilename, &st) != 0 && errno == ENOENT) return 0; /* start empty */
    rdb_load_info_t info;
    memset(&info, 0, sizeof(info));
    char *err = NULL;
    loading_start(st.st_size > 0 ? (uint64_t)st.st_size : 0);
    int rc =
        rdb_load_file(server.cfg.dbfilename, RDB_LOAD_INSERT, &info, on_load_progress, NULL, &err);
    loading_stop();
    if (rc == K_ENOENT) {
        xfree(err);
        return 0;
    }
    S.load_keys_loaded = info.keys_loaded;
    S.load_keys_expired = info.keys_expired;
    if (rc != 0) {
        log_warning("Fatal error loading the DB: %s. Exiting.", err ? err : "unknown error");
        xfree(err);
        return -1;
    }
    xfree(err);
    startup_load_info = info;
    log_notice("Done loading RDB, keys loaded: %lld, keys expired: %lld.", info.keys_loaded,
               info.keys_expired);
    log_notice("DB loaded from disk: %.3f seconds", (double)(clock_mono_us() - start) / 1e6);
    return 0;
}

int save_load_at_startup(void) {
    if (server.cfg.appendonly) {
        bool absent = false;
        if (load_aof(&absent) != 0) return -1;
        if (!absent) return 0;
    }
    return load_rdb();
}

/* ---- init ----------------------------------------------------------------- */

void save_init(void) {
    command_register(save_commands);
    server_on_cron(save_cron);
    server_on_shutdown(save_on_shutdown);
    command_hooks.write_error = save_write_error;
    info_replace_section("persistence", info_persistence);
}
