/* Replication: master and replica sides, the backlog, WAIT, FAILOVER.
 *
 * Owns: the replication stream (fed by the propagation sink PROP_REPL), the
 * backlog, every replica's state on a master, the link to our master on a
 * replica, the replication ids and offsets (server.replid, replid2,
 * master_repl_offset, second_replid_offset), INFO replication and ROLE.
 * Called by: main (repl_init after the data layer), the dispatcher (hooks
 * for READONLY / MASTERDOWN / NOREPLICAS), persistence (the ids saved in
 * and loaded from RDB AUX fields).
 */
#ifndef KEEL_REPL_H
#define KEEL_REPL_H

#include <stdbool.h>

/* Registers REPLICAOF/SLAVEOF, REPLCONF, PSYNC, SYNC, WAIT, ROLE, FAILOVER,
 * the INFO replication section, the propagation sink, cron and hooks, and
 * starts replicating when the config has `replicaof`. */
void repl_init(void);

/* After the start-up load (main): restores replication ids from the RDB. */
void repl_after_load(void);

/* True when this server is a replica (REPLICAOF host port). */
bool repl_is_replica(void);

#endif
