/* RDB persistence commands and policies: SAVE, BGSAVE, save points,
 * stop-writes-on-bgsave-error, the final save at shutdown, loading at
 * start-up, and INFO persistence.
 *
 * Owns: rdb_* status (last save time/status, changes since save are
 * server.dirty), the loading state shown in INFO (loading_* fields).
 * Called by: main (save_init, save_load_at_startup), the cron (save
 * points), the dispatcher (write_error hook: MISCONF), shutdown hooks.
 */
#ifndef KEEL_SAVE_H
#define KEEL_SAVE_H

#include <stdbool.h>

#include "rdb.h"

void save_init(void);
/* After the listeners are open: loads the AOF (appendonly yes) or the RDB
 * file, serving clients meanwhile with -LOADING.  Returns 0, or -1 after
 * logging why start-up must stop (a corrupt file is never overwritten). */
int save_load_at_startup(void);
/* FLUSHALL, after emptying the databases: kills a running BGSAVE child (its
 * snapshot is stale) and, when save points are configured, saves the now
 * empty dataset at once, as Redis's flushAllDataAndResetRDB.  The caller then
 * counts the FLUSHALL itself in server.dirty. */
void save_after_flushall(void);
/* Replication fills the repl-stream-db / repl-id / repl-offset AUX fields of
 * the snapshots we write (Redis's rdbPopulateSaveInfo); without a provider
 * none are written. */
void save_set_repl_info_provider(void (*fn)(rdb_save_info_t *rsi));
/* What the start-up RDB load found (repl_id "" when none, or when the data
 * came from an AOF). */
const rdb_load_info_t *save_startup_load_info(void);
/* True while a BGSAVE child runs (INFO, BGREWRITEAOF scheduling). */
bool save_bgsave_in_progress(void);
/* Kills a running BGSAVE child (CHILD_RDB: BGSAVE, save points, a disk
 * sync to our replicas) and removes its temp file, without counting it as a
 * failed save.  A replica calls it before loading its master's snapshot, as
 * Redis's readSyncBulkPayload, so the stale snapshot cannot be renamed onto
 * dbfilename after the load.  No-op when no such child runs. */
void save_kill_bgsave(void);

#endif
