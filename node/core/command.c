/* The command table and dispatch.
 *
 * Commands are declared in static tables by the module that implements them
 * (node/data for keyspace commands, node/core for connection and server
 * commands, later replication/sentinel/cluster) and registered at start-up.
 * COMMAND, key extraction, MULTI queueing and the checks below all read the
 * same descriptors.
 *
 * Dispatch order (command_process), as DESIGN.md §3:
 *   lookup -> arity -> authentication -> [cluster redirection: later issue]
 *   -> loading -> replica stale/read-only (hook) -> maxmemory (hook, evicts
 *   first) -> MULTI queueing -> execute -> after-write hook (propagate,
 *   watchers) -> stats, slowlog, latency.
 * Client pause is decided earlier, in client.c, because a paused command must
 * stay in the query buffer.
 */
#include <ctype.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "log.h"
#include "monitor.h"
#include "propagate.h"
#include "server.h"
#include "stats.h"

command_hooks_t command_hooks;

static void cmd_node_key(const ht_node_t *n, const void **key, size_t *len) {
    const command_t *c = (const command_t *)n;
    const char *name = c->parent ? strchr(c->fullname, '|') + 1 : c->fullname;
    *key = name;
    *len = strlen(name);
}

static bool cmd_key_eq(const ht_node_t *n, const void *key, size_t len) {
    const void *k;
    size_t kl;
    cmd_node_key(n, &k, &kl);
    return kl == len && strncasecmp(k, key, len) == 0;
}

/* The command table holds fixed names that clients cannot add to, so it
 * needs no keyed hash: FNV-1a over ASCII-folded bytes is a few instructions
 * per character, where SipHash costs more than the whole lookup. */
static uint64_t cmd_hash(const void *key, size_t len) {
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = p[i];
        if (ch >= 'A' && ch <= 'Z') ch |= 0x20;
        h = (h ^ ch) * 0x100000001b3ULL;
    }
    return h;
}

static const ht_type_t command_ht_type = {
    .hash = cmd_hash,
    .node_key = cmd_node_key,
    .key_eq = cmd_key_eq,
};

static void add_to_all(command_t *c) {
    if (server.ncommands == server.commands_cap) {
        server.commands_cap = server.commands_cap ? server.commands_cap * 2 : 256;
        server.all_commands = xrealloc(server.all_commands, server.commands_cap * sizeof(command_t *));
    }
    server.all_commands[server.ncommands++] = c;
}

void command_register(command_t *table) {
    if (!server.commands.type) ht_init(&server.commands, &command_ht_type);
    for (command_t *c = table; c->name; c++) {
        c->fullname = xstrdup(c->name);
        c->parent = NULL;
        ht_init(&c->subtable, &command_ht_type);
        if (c->subcommands) {
            for (command_t *s = c->subcommands; s->name; s++) {
                buf_t b = BUF_INIT;
                buf_printf(&b, "%s|%s", c->name, s->name);
                s->fullname = buf_detach(&b);
                s->parent = c;
                if (!s->group) s->group = c->group;
                ht_insert(&c->subtable, &s->node);
            }
        }
        if (ht_find(&server.commands, c->name, strlen(c->name))) {
            log_warning("Command %s registered twice", c->name);
            continue;
        }
        ht_insert(&server.commands, &c->node);
        add_to_all(c);
    }
}

command_t *command_lookup(const char *name, size_t len) {
    return (command_t *)ht_find(&server.commands, name, len);
}

command_t *command_lookup_argv(int argc, const char **argv, const size_t *lens) {
    command_t *c = command_lookup(argv[0], lens[0]);
    if (!c || !c->subcommands || argc < 2) return c;
    return (command_t *)ht_find(&c->subtable, argv[1], lens[1]);
}

void command_apply_renames(const keel_config_t *cfg) {
    for (int i = 0; i < cfg->rename_count; i++) {
        const config_rename_t *r = &cfg->renames[i];
        command_t *c = (command_t *)ht_remove(&server.commands, r->from, strlen(r->from));
        if (!c) {
            log_warning("rename-command: no such command '%s'", r->from);
            continue;
        }
        if (r->to[0]) {
            /* The table keys commands by fullname: give it the new name. */
            xfree(c->fullname);
            c->fullname = xstrdup(r->to);
            for (char *p = c->fullname; *p; p++) *p = (char)tolower((unsigned char)*p);
            ht_insert(&server.commands, &c->node);
        }
    }
}

int command_get_keys(const command_t *cmd, int argc, const char **argv, const size_t *lens, int *keys,
                     int max) {
    if (cmd->getkeys) return cmd->getkeys(cmd, argc, argv, lens, keys, max);
    if (cmd->first_key <= 0) return 0;
    int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    int n = 0;
    for (int i = cmd->first_key; i <= last && i < argc && n < max; i += cmd->key_step ? cmd->key_step : 1)
        keys[n++] = i;
    return n;
}

/* ---- dispatch ----------------------------------------------------------- */

static void reply_unknown_command(client_t *c) {
    buf_t args = BUF_INIT;
    for (int i = 1; i < c->argc && args.len < 128; i++) {
        size_t room = 128 - args.len;
        buf_putc(&args, '\'');
        buf_append(&args, c->argv[i], c->argvlen[i] < room ? c->argvlen[i] : room);
        buf_puts(&args, "' ");
    }
    reply_errorf(c, "ERR unknown command '%.128s', with args beginning with: %s", c->argv[0],
                 args.p ? args.p : "");
    buf_free(&args);
}

static void reply_unknown_subcommand(client_t *c) {
    char name[129];
    size_t n = c->argvlen[0] < 128 ? c->argvlen[0] : 128;
    for (size_t i = 0; i < n; i++) name[i] = (char)toupper((unsigned char)c->argv[0][i]);
    name[n] = '\0';
    reply_errorf(c, "ERR unknown subcommand '%.128s'. Try %s HELP.", c->argv[1], name);
}

static inline bool arity_ok(const command_t *cmd, int argc) {
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* Refuses the command inside MULTI and flags the transaction. */
static void reject(client_t *c, command_t *cmd) {
    if (cmd) cmd->rejected_calls++;
    if (c->flags & CLIENT_MULTI) c->flags |= CLIENT_DIRTY_EXEC;
}

static const char *const multi_passthrough[] = {"exec", "discard", "multi", "watch", "quit", "reset", NULL};

static bool is_multi_passthrough(const command_t *cmd) {
    for (int i = 0; multi_passthrough[i]; i++)
        if (strcmp(cmd->fullname, multi_passthrough[i]) == 0) return true;
    return false;
}

void command_process(client_t *c) {
    command_t *cmd = command_lookup(c->argv[0], c->argvlen[0]);
    if (!cmd) {
        reject(c, NULL);
        reply_unknown_command(c);
        return;
    }
    if (cmd->subcommands && !(c->argc < 2 && cmd->proc)) {
        /* A container runs its own proc only without a subcommand (COMMAND). */
        if (c->argc < 2) {
            reject(c, cmd);
            reply_error_arity(c, cmd->fullname);
            return;
        }
        command_t *sub = (command_t *)ht_find(&cmd->subtable, c->argv[1], c->argvlen[1]);
        if (!sub) {
            reject(c, cmd);
            reply_unknown_subcommand(c);
            return;
        }
        cmd = sub;
    }
    c->cmd = cmd;
    if (!arity_ok(cmd, c->argc)) {
        reject(c, cmd);
        reply_error_arity(c, cmd->fullname);
        return;
    }
    if (!c->authenticated && !(cmd->flags & CMD_NO_AUTH)) {
        reject(c, cmd);
        reply_error(c, "NOAUTH Authentication required.");
        return;
    }
    if (server.loading && !(cmd->flags & CMD_LOADING)) {
        reject(c, cmd);
        reply_error(c, "LOADING Redis is loading the dataset in memory");
        return;
    }
    if ((c->flags & CLIENT_PUBSUB) && c->resp == 2 && !(c->flags & CLIENT_MULTI)) {
        static const char *const ok[] = {"ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
                                         "psubscribe", "punsubscribe", "quit", "reset", NULL};
        bool allowed = false;
        for (int i = 0; ok[i]; i++)
            if (strcmp(cmd->fullname, ok[i]) == 0) allowed = true;
        if (!allowed) {
            reject(c, cmd);
            reply_errorf(c, "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                         cmd->fullname);
            return;
        }
    }
    if (command_hooks.deny_stale && command_hooks.deny_stale(c, cmd)) {
        reject(c, cmd);
        return;
    }
    bool in_multi = (c->flags & CLIENT_MULTI) && !is_multi_passthrough(cmd);
    if (server.cfg.maxmemory && command_hooks.is_oom && !(c->flags & CLIENT_MASTER)) {
        /* Evict first; refuse commands that may grow memory if still over.
         * (EXEC checks its queued commands itself.) */
        if (command_hooks.is_oom() && (cmd->flags & CMD_DENYOOM)) {
            reject(c, cmd);
            reply_error(c, "OOM command not allowed when used memory > 'maxmemory'.");
            return;
        }
    }
    /* Disk trouble refuses writes, and PING too (as Redis does, so a health
     * check notices); reads never pay for the hook call. */
    if (command_hooks.write_error && !(c->flags & CLIENT_MASTER) &&
        ((cmd->flags & CMD_WRITE) || strcmp(cmd->fullname, "ping") == 0)) {
        const char *err = command_hooks.write_error(c, cmd);
        if (err) {
            reject(c, cmd);
            reply_error(c, err);
            return;
        }
    }
    if (in_multi) {
        if (cmd->flags & CMD_NO_MULTI) {
            reject(c, cmd);
            reply_errorf(c, "ERR Command not allowed inside a transaction");
            return;
        }
        command_hooks.multi_queue(c);
        reply_simple(c, "QUEUED");
        return;
    }
    command_call(c, cmd);
}

void command_call(client_t *c, command_t *cmd) {
    long long errors_before = server.stat_total_error_replies;
    long long dirty_before = server.dirty;
    long long repl_off_before = server.master_repl_offset;
    propagate_unit_begin();
    int64_t start = clock_mono_us();
    c->cmd = cmd;
    c->lastcmd = cmd;
    cmd->proc(c);
    int64_t dur = clock_mono_us() - start;
    propagate_after_command(c, c->db_index, dirty_before, (cmd->flags & CMD_WRITE) != 0);
    propagate_unit_end();
    /* WAIT waits for replicas to acknowledge this client's own last write. */
    if (server.master_repl_offset != repl_off_before) c->woff = server.master_repl_offset;
    monitor_feed(c, cmd, c->argc, c->argv, c->argvlen);
    c->commands_processed++;
    cmd->calls++;
    cmd->usec += dur;
    if (server.stat_total_error_replies > errors_before) cmd->failed_calls++;
    server.stat_numcommands++;
    stats_after_command(c, cmd, dur);
}
