/* The append-only file in Redis 7.0's multi-part layout.
 *
 * Owns: the AOF directory (appenddirname) with its manifest, base file and
 * incremental files; the AOF buffer fed by propagation (a prop_sink_t with
 * PROP_AOF); the fsync policy (always: fsync before replies are flushed;
 * everysec: fsync in the threadpool at most once a second; no); the rewrite
 * (BGREWRITEAOF in a forked child via child.h); loading at start-up.
 * Called by: save.c (start-up load, INFO persistence fields), server cron
 * and before-poll hooks (registered by aof_init), CONFIG SET appendonly.
 */
#ifndef KEEL_AOF_H
#define KEEL_AOF_H

#include <stdbool.h>

#include "buf.h"

void aof_init(void);          /* registers BGREWRITEAOF, hooks, config apply for appendonly */
/* Loads the AOF described by the manifest in appenddirname (or a lone
 * legacy appendfilename file).  Returns 0, K_ENOENT when there is no AOF
 * yet (the caller may then load the RDB), or K_EINVAL with *err set. */
int aof_load(char **err);
/* Opens the AOF for writing at start-up (creating base/manifest when absent). */
int aof_open_on_startup(char **err);
/* INFO persistence: appends aof_enabled .. aof_last_cow_size, then
 * module_fork_in_progress/module_fork_last_cow_size (they sit between, in
 * Redis 7.0's order), then, when enabled, aof_current_size ..
 * aof_delayed_fsync.  The caller prints the loading_* fields after it. */
void aof_info_fields(buf_t *out);
/* Flush + fsync what is buffered (SHUTDOWN); 0 or -errno. */
int aof_flush_all(void);
/* When the last write or fsync failed: the error text writes get, else NULL. */
const char *aof_write_error(void);

/* A replica's full sync, as Redis's readSyncBulkPayload: aof_stop() before
 * the old dataset is flushed and the master's snapshot loaded (what CONFIG
 * SET appendonly no does: flush, fsync, close, kill a rewrite child; the
 * config keeps appendonly yes), then aof_start_after_load() once the load
 * succeeded (what CONFIG SET appendonly yes does: a rewrite of the new
 * dataset becomes the base, writes after it go to a new incr file).  Both do
 * nothing when there is nothing to do: aof_stop() when the AOF is off,
 * aof_start_after_load() unless appendonly is yes and the AOF is off.
 * aof_start_after_load() returns 0, or -1 after logging (the AOF stays off). */
void aof_stop(void);
int aof_start_after_load(void);

/* Loading progress: fn(ud) runs every 1024 commands and every ~1 MiB of an
 * RDB base while aof_load() runs (the caller updates INFO loading fields and
 * may serve clients with -LOADING).  aof_load_bytes() tells how far it got. */
void aof_set_load_progress(void (*fn)(void *ud), void *ud);
void aof_load_bytes(unsigned long long *loaded, unsigned long long *total);

/* The rewrite without RDB preamble writes each key as commands.  Strings are
 * built in; each other type registers how to rebuild a value (RPUSH, SADD,
 * ZADD, HMSET, XADD ... as Redis's rewriteAppendOnlyFileRio), appending
 * multibulk commands to out.  Runs in the forked child.  0, or -1 to fail
 * the rewrite. */
struct kv;
typedef int (*aof_rewrite_fn)(buf_t *out, const struct kv *kv);
void aof_register_rewriter(int obj_type, aof_rewrite_fn fn);

/* The keel-check-aof personality (redis-check-aof's arguments and output);
 * returns the exit code. */
int aof_check_main(int argc, char **argv);

#endif
