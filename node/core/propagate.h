/* Propagation: every change to the dataset, in order, as commands, for the
 * append-only file and the replication stream.
 *
 * Owns: the pending-operations array of the current execution unit and the
 * list of sinks.  Called by command.c (after each command), by commands that
 * propagate something other than what the client sent, and by expiry and
 * eviction (DEL/UNLINK).
 *
 * Design notes (Redis 7.0's also_propagate model):
 *  1. An execution unit is one top-level command_call() (EXEC included), or
 *     one active-expiry/eviction step outside commands.  Operations are
 *     queued while it runs and handed to the sinks when it ends; more than
 *     one operation is wrapped in MULTI ... EXEC so replicas and the AOF
 *     apply it atomically.  Order inside the unit is kept: a key that lazily
 *     expired during a command is DEL'd before the command itself.
 *  2. A write command that changed the dataset (server.dirty grew) is
 *     propagated as the client sent it, unless it called
 *     propagate_rewrite() to say what should go instead (SET ... EX -> SET ...
 *     PXAT, EXPIRE -> PEXPIREAT, INCRBYFLOAT -> SET ... KEEPTTL, ...), or
 *     propagate_prevent() to send nothing.
 *  3. Sinks see each operation with its db; each sink emits SELECT itself
 *     when the db differs from the last it wrote.  Targets: PROP_AOF and
 *     PROP_REPL (PUBLISH goes to replicas only).
 */
#ifndef KEEL_PROPAGATE_H
#define KEEL_PROPAGATE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct client client_t;

enum { PROP_NONE = 0, PROP_AOF = 1, PROP_REPL = 2, PROP_ALL = 3 };

/* A sink receives finished execution units, one operation at a time
 * (argv borrowed until return).  begin/end bracket one unit. */
typedef struct prop_sink {
    int targets;  /* PROP_AOF or PROP_REPL */
    void (*op)(int dbid, int argc, const char *const *argv, const size_t *lens, void *ud);
    void *ud;
} prop_sink_t;

void propagate_add_sink(const prop_sink_t *sink);
bool propagate_has_sinks(void);

/* Queues an operation for the current unit (argv copied). */
void propagate_op(int dbid, int argc, const char *const *argv, const size_t *lens, int targets);
/* Queues DEL (or UNLINK when lazy) of key: expiry and eviction. */
void propagate_del(int dbid, const char *key, size_t klen, bool lazy);

/* Called by commands on the current client: */
void propagate_rewrite(client_t *c, int argc, const char *const *argv, const size_t *lens);
void propagate_rewritev(client_t *c, int argc, ...); /* NUL-terminated strings */
void propagate_prevent(client_t *c);
/* Propagate even without a dataset change (PUBLISH, to replicas). */
void propagate_force(client_t *c, int targets);

/* Execution units (command.c and the expiry/eviction code). */
void propagate_unit_begin(void);
void propagate_unit_end(void);
/* Inside command_call: decides what the command propagates. */
void propagate_after_command(client_t *c, int dbid, long long dirty_before, bool is_write);

#endif
