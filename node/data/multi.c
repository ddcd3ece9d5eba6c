/* Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
 *
 * While CLIENT_MULTI is set, command_process() checks each command (lookup,
 * arity, auth, ...) and hands it to multi_queue(), which copies its arguments
 * (they point into the query buffer otherwise).  A refused command sets
 * CLIENT_DIRTY_EXEC and EXEC then answers EXECABORT.  EXEC replays the queue
 * through command_call(), so stats and propagation are the same as outside
 * a transaction.
 */
#include <string.h>

#include "alloc.h"
#include "db.h"
#include "evict.h"

void watch_key(client_t *c, db_t *db, const char *key, size_t klen);
void watch_unwatch_all(client_t *c);
bool watch_expired_since(client_t *c);

static void multi_queue(client_t *c) {
    if (c->mcount == c->mcap) {
        c->mcap = c->mcap ? c->mcap * 2 : 8;
        c->mstate = xrealloc(c->mstate, (size_t)c->mcap * sizeof(multi_cmd_t));
    }
    multi_cmd_t *m = &c->mstate[c->mcount++];
    m->cmd = c->cmd;
    m->argc = c->argc;
    m->argv = xmalloc(sizeof(char *) * (size_t)c->argc);
    m->lens = xmalloc(sizeof(size_t) * (size_t)c->argc);
    for (int i = 0; i < c->argc; i++) {
        m->argv[i] = xstrndup(c->argv[i], c->argvlen[i]);
        m->lens[i] = c->argvlen[i];
    }
}

static void multi_discard(client_t *c) {
    for (int i = 0; i < c->mcount; i++) {
        for (int j = 0; j < c->mstate[i].argc; j++) xfree(c->mstate[i].argv[j]);
        xfree(c->mstate[i].argv);
        xfree(c->mstate[i].lens);
    }
    xfree(c->mstate);
    c->mstate = NULL;
    c->mcount = c->mcap = 0;
    c->flags &= ~(CLIENT_MULTI | CLIENT_DIRTY_EXEC | CLIENT_DIRTY_CAS);
    watch_unwatch_all(c);
}

void multi_reset_client(client_t *c) { multi_discard(c); }

static void cmd_multi(client_t *c) {
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    c->flags |= CLIENT_MULTI;
    reply_ok(c);
}

static void cmd_discard(client_t *c) {
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    multi_discard(c);
    reply_ok(c);
}

static void cmd_exec(client_t *c) {
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    if (c->flags & CLIENT_DIRTY_EXEC) {
        reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        multi_discard(c);
        return;
    }
    if ((c->flags & CLIENT_DIRTY_CAS) || watch_expired_since(c)) {
        reply_null_array(c);
        multi_discard(c);
        return;
    }
    /* OOM is judged once for the whole transaction, as Redis does. */
    bool denyoom = false;
    for (int i = 0; i < c->mcount; i++)
        if (c->mstate[i].cmd->flags & CMD_DENYOOM) denyoom = true;
    if (denyoom && server.cfg.maxmemory && evict_perform()) {
        reply_error(c, "OOM command not allowed when used memory > 'maxmemory'.");
        multi_discard(c);
        return;
    }
    watch_unwatch_all(c);
    /* Detach the queue: commands run with argv pointing at the copies. */
    multi_cmd_t *q = c->mstate;
    int n = c->mcount;
    c->mstate = NULL;
    c->mcount = c->mcap = 0;
    c->flags &= ~CLIENT_MULTI;
    const char **saved_argv = c->argv;
    size_t *saved_lens = c->argvlen;
    int saved_argc = c->argc;
    command_t *exec_cmd = c->cmd;
    reply_array(c, n);
    server.in_exec = true;
    for (int i = 0; i < n; i++) {
        c->argv = (const char **)q[i].argv;
        c->argvlen = q[i].lens;
        c->argc = q[i].argc;
        command_call(c, q[i].cmd);
    }
    server.in_exec = false;
    c->argv = saved_argv;
    c->argvlen = saved_lens;
    c->argc = saved_argc;
    c->cmd = exec_cmd;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < q[i].argc; j++) xfree(q[i].argv[j]);
        xfree(q[i].argv);
        xfree(q[i].lens);
    }
    xfree(q);
}

static void cmd_watch(client_t *c) {
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    for (int i = 1; i < c->argc; i++) watch_key(c, c->db, c->argv[i], c->argvlen[i]);
    reply_ok(c);
}

static void cmd_unwatch(client_t *c) {
    watch_unwatch_all(c);
    c->flags &= ~CLIENT_DIRTY_CAS;
    reply_ok(c);
}

static command_t multi_commands[] = {
    {.name = "multi", .proc = cmd_multi, .arity = 1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY,
     .acl = ACL_FAST | ACL_TRANSACTION, .group = "transactions", .since = "1.2.0",
     .summary = "Starts a transaction.", .complexity = "O(1)"},
    {.name = "exec", .proc = cmd_exec, .arity = 1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SKIP_SLOWLOG,
     .acl = ACL_SLOW | ACL_TRANSACTION, .group = "transactions", .since = "1.2.0",
     .summary = "Executes all commands in a transaction.",
     .complexity = "Depends on commands in the transaction"},
    {.name = "discard", .proc = cmd_discard, .arity = 1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY,
     .acl = ACL_FAST | ACL_TRANSACTION, .group = "transactions", .since = "2.0.0",
     .summary = "Discards a transaction.", .complexity = "O(N), when N is the number of queued commands"},
    {.name = "watch", .proc = cmd_watch, .arity = -2,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY,
     .acl = ACL_FAST | ACL_TRANSACTION, .first_key = 1, .last_key = -1, .key_step = 1,
     .group = "transactions", .since = "2.2.0",
     .summary = "Monitors changes to keys to determine the execution of a transaction.",
     .complexity = "O(1) for every key."},
    {.name = "unwatch", .proc = cmd_unwatch, .arity = 1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY,
     .acl = ACL_FAST | ACL_TRANSACTION, .group = "transactions", .since = "2.2.0",
     .summary = "Forgets about watched keys of a transaction.", .complexity = "O(1)"},
    {.name = NULL},
};

static void multi_free_client(client_t *c) {
    if (c->mstate || c->watched) multi_discard(c);
}

void client_on_free(void (*fn)(client_t *c));
void conn_on_reset(void (*fn)(client_t *c));

void multi_init(void) {
    command_hooks.multi_queue = multi_queue;
    client_on_free(multi_free_client);
    conn_on_reset(multi_reset_client);
    command_register(multi_commands);
}
