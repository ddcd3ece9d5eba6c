/* The master's PSYNC decision: continue from the backlog, or full resync.
 *
 * A pure function with explicit inputs (STYLE.md, "State machines"): no sockets, no
 * server globals, no logging.  Called by the master when a replica sends
 * `PSYNC <replid> <offset>`; the caller logs `why` and writes +CONTINUE or
 * +FULLRESYNC.
 *
 * The rule is Redis 7.0's masterTryPartialResynchronization (PROTOCOL.md §2.3 item 8):
 *  1. The id must be ours: req_replid == my_replid, or req_replid == my_replid2 and
 *     req_offset <= second_replid_offset (replid2 is the history we shared with our
 *     old master, valid only up to the offset where we switched ids).  Ids compare
 *     case-insensitively, as in Redis.  "?" (PSYNC ? -1) always means full resync.
 *  2. The backlog must exist and hold the offset: first_byte_offset <= req_offset <=
 *     first_byte_offset + histlen.  The offset just past the end is accepted (nothing
 *     to send yet).  Worked example: the backlog holds bytes 51..80; a replica that
 *     holds 1..50 asks for 51 and continues, one that holds 1..80 asks for 81 and
 *     continues, one that holds 1..40 asks for 41 and gets a full resync, and so does
 *     one asking for 82 (an offset we never produced). */
#ifndef KEEL_REPL_PSYNC_H
#define KEEL_REPL_PSYNC_H

#include "backlog.h"

typedef enum { PSYNC_CONTINUE, PSYNC_FULLRESYNC } psync_decision_t;

/* Decides how to answer `PSYNC req_replid req_offset`.
 *
 * my_replid is our current replication id; my_replid2 our previous one (Redis keeps
 * 40 '0's there when there is none; NULL is also accepted and never matches) and
 * second_replid_offset the highest offset a replica may ask for under it (-1 when none;
 * Redis sets it to master_repl_offset + 1 when it switches ids: a replica of the old id
 * that holds bytes 1..50 asks for 51, which is accepted).  `b` may be NULL
 * (no backlog).  All strings are borrowed until return.
 *
 * `why` (may be NULL) receives NULL on PSYNC_CONTINUE, otherwise Redis's log reason,
 * e.g. "Partial resynchronization not accepted: Requested offset for second ID was
 * 120, but I can reply up to 100".  Redis puts the replica's name into two of its
 * texts; this function does not know the name, so it leaves it out:
 *   "Full resync requested by replica"                       (Redis: "... replica %s")
 *   "Unable to partial resync with replica for lack of backlog (Replica request was:
 *    N)."                                         (Redis: "... with replica %s for ...")
 * The text lives in a per-thread buffer valid until the next call on the same
 * thread. */
psync_decision_t repl_psync_decide(const char *my_replid, const char *my_replid2,
                                   long long second_replid_offset, const repl_backlog_t *b,
                                   const char *req_replid, long long req_offset, const char **why);

#endif
