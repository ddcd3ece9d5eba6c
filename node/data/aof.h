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
/* INFO persistence: appends the aof_* fields. */
void aof_info_fields(buf_t *out);
/* Flush + fsync what is buffered (SHUTDOWN); 0 or -errno. */
int aof_flush_all(void);
/* When the last write or fsync failed: the error text writes get, else NULL. */
const char *aof_write_error(void);

#endif
