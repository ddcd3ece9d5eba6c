/* The master's PSYNC decision (see psync.h for the rule and a worked example).
 *
 * Design notes:
 *  1. The checks run in Redis's order (id first, then backlog), so the reason given
 *     for a request that fails both is the id reason, as in Redis's log.
 *  2. The reason texts are Redis 7.0's (src/replication.c,
 *     masterTryPartialResynchronization) word for word, minus the replica's name. */
#include "psync.h"

#include <assert.h>
#include <stdio.h>
#include <strings.h>

static _Thread_local char why_buf[512];

static bool id_equal(const char *a, const char *b) { return b && strcasecmp(a, b) == 0; }

static psync_decision_t full(const char **why, const char *text) {
    if (why) *why = text;
    return PSYNC_FULLRESYNC;
}

psync_decision_t repl_psync_decide(const char *my_replid, const char *my_replid2,
                                   long long second_replid_offset, const repl_backlog_t *b,
                                   const char *req_replid, long long req_offset, const char **why) {
    assert(my_replid && req_replid);
    bool is_id1 = id_equal(req_replid, my_replid);
    bool is_id2 = id_equal(req_replid, my_replid2);

    if (!is_id1 && (!is_id2 || req_offset > second_replid_offset)) {
        if (req_replid[0] == '?') return full(why, "Full resync requested by replica");
        if (!is_id2) {
            snprintf(why_buf, sizeof(why_buf),
                     "Partial resynchronization not accepted: Replication ID mismatch "
                     "(Replica asked for '%s', my replication IDs are '%s' and '%s')",
                     req_replid, my_replid, my_replid2 ? my_replid2 : "");
        } else {
            snprintf(why_buf, sizeof(why_buf),
                     "Partial resynchronization not accepted: Requested offset for second "
                     "ID was %lld, but I can reply up to %lld",
                     req_offset, second_replid_offset);
        }
        return full(why, why_buf);
    }

    if (!b || !repl_backlog_has_offset(b, req_offset)) {
        snprintf(why_buf, sizeof(why_buf),
                 "Unable to partial resync with replica for lack of backlog "
                 "(Replica request was: %lld).",
                 req_offset);
        return full(why, why_buf);
    }

    if (why) *why = NULL;
    return PSYNC_CONTINUE;
}
