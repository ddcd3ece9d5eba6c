/* Server administration commands: CONFIG, TIME, LASTSAVE, SHUTDOWN, and the
 * hooks that make CONFIG SET of hz, loglevel and maxmemory take effect.
 *
 * Design notes:
 *  1. CONFIG parsing, validation, atomicity and rewriting live in config.c;
 *     this file only adapts them to replies (CONFIG GET is a map: RESP3 %,
 *     RESP2 a flat array).
 *  2. SHUTDOWN: there is no persistence yet, so SAVE, NOSAVE and no argument
 *     all exit at once through server_shutdown_now(); the client gets no
 *     reply, only the closed connection, as with Redis.  ABORT cancels a
 *     shutdown a signal scheduled but the loop has not run yet.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "server.h"
#include "stats.h"

void server_cron_reschedule(void); /* server.c */

/* ---- CONFIG ----------------------------------------------------------------- */

typedef struct config_get_ctx {
    client_t *c;
    long long pairs;
} config_get_ctx_t;

static void config_get_one_reply(const char *name, const char *value, void *ud) {
    config_get_ctx_t *x = ud;
    reply_bulk_cstr(x->c, name);
    reply_bulk_cstr(x->c, value ? value : "");
    x->pairs++;
}

static void cmd_config_get(client_t *c) {
    config_get_ctx_t x = {.c = c};
    void *len = reply_defer_len(c);
    config_get(&server.cfg, c->argc - 2, (const char *const *)c->argv + 2, config_get_one_reply, &x);
    reply_set_deferred_map(c, len, x.pairs);
}

static void cmd_config_set(client_t *c) {
    if (c->argc % 2) { /* CONFIG SET name value [name value ...] */
        reply_error_arity(c, "config|set");
        return;
    }
    int npairs = (c->argc - 2) / 2;
    const char **names = xmalloc(sizeof(char *) * (size_t)npairs);
    const char **values = xmalloc(sizeof(char *) * (size_t)npairs);
    for (int i = 0; i < npairs; i++) {
        names[i] = c->argv[2 + 2 * i];
        values[i] = c->argv[3 + 2 * i];
    }
    char *err = NULL;
    if (config_set(&server.cfg, npairs, names, values, &err) == 0)
        reply_ok(c);
    else
        reply_error(c, err ? err : "ERR CONFIG SET failed");
    xfree(err);
    xfree(names);
    xfree(values);
}

static void cmd_config_resetstat(client_t *c) {
    stats_reset();
    reply_ok(c);
}

static void cmd_config_rewrite(client_t *c) {
    char *err = NULL;
    if (config_rewrite(&server.cfg, &err) == 0) {
        log_notice("CONFIG REWRITE executed with success.");
        reply_ok(c);
    } else {
        reply_error(c, err ? err : "ERR Rewriting config file failed");
    }
    xfree(err);
}

static void cmd_config_help(client_t *c) {
    static const char *const lines[] = {
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        NULL,
    };
    reply_help(c, lines);
}

/* ---- CONFIG SET hooks --------------------------------------------------------- */

static int apply_hz(keel_config_t *cfg, const char *name, char **err) {
    if (server.loop) server_cron_reschedule();
    return 0;
}

static int apply_loglevel(keel_config_t *cfg, const char *name, char **err) {
    log_set_level(cfg->loglevel);
    return 0;
}

/* Eviction runs before each command; this only warns as Redis does and
 * starts evicting now rather than at the next write. */
static int apply_maxmemory(keel_config_t *cfg, const char *name, char **err) {
    if (!cfg->maxmemory) return 0;
    size_t used = alloc_used_memory();
    if (cfg->maxmemory < used)
        log_warning("WARNING: the new maxmemory value set via CONFIG SET (%llu) is smaller than the "
                    "current memory usage (%zu). This will result in key eviction and/or the inability "
                    "to accept new write commands depending on the maxmemory-policy.",
                    cfg->maxmemory, used);
    if (command_hooks.is_oom) (void)command_hooks.is_oom();
    return 0;
}

/* ---- TIME, LASTSAVE, SHUTDOWN -------------------------------------------------- */

static void cmd_time(client_t *c) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    reply_array(c, 2);
    reply_bulk_ll(c, (long long)tv.tv_sec);
    reply_bulk_ll(c, (long long)tv.tv_usec);
}

static void cmd_lastsave(client_t *c) { reply_int(c, (long long)server.lastsave); }

static void cmd_shutdown(client_t *c) {
    int flags = SHUTDOWN_NOFLAGS;
    bool abort_req = false;
    for (int i = 1; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (!strcasecmp(a, "nosave")) flags |= SHUTDOWN_NOSAVE;
        else if (!strcasecmp(a, "save")) flags |= SHUTDOWN_SAVE;
        else if (!strcasecmp(a, "now")) flags |= SHUTDOWN_NOW;
        else if (!strcasecmp(a, "force")) flags |= SHUTDOWN_FORCE;
        else if (!strcasecmp(a, "abort")) abort_req = true;
        else {
            reply_error_syntax(c);
            return;
        }
    }
    if ((abort_req && flags != SHUTDOWN_NOFLAGS) || ((flags & SHUTDOWN_NOSAVE) && (flags & SHUTDOWN_SAVE))) {
        reply_error_syntax(c);
        return;
    }
    if (abort_req) {
        if (!server.shutdown_asap) {
            reply_error(c, "ERR No shutdown in progress.");
            return;
        }
        server.shutdown_asap = false;
        log_notice("Shutdown manually aborted.");
        reply_ok(c);
        return;
    }
    if (server_shutdown_now(flags) != 0) /* returns only when refused */
        reply_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
}

/* ---- command table ------------------------------------------------------------ */

#define CFG_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
#define ADMIN_ACL (ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS)

static const char *const tips_all_nodes_ok[] = {"request_policy:all_nodes", "response_policy:all_succeeded",
                                                NULL};
static const char *const tips_nondet[] = {"nondeterministic_output", NULL};

static command_t config_subcommands[] = {
    {.name = "get", .proc = cmd_config_get, .arity = -3, .flags = CFG_FLAGS, .acl = ADMIN_ACL,
     .since = "2.0.0", .summary = "Returns the effective values of configuration parameters.",
     .complexity = "O(N) when N is the number of configuration parameters provided"},
    {.name = "set", .proc = cmd_config_set, .arity = -4, .flags = CFG_FLAGS, .acl = ADMIN_ACL,
     .since = "2.0.0", .summary = "Sets configuration parameters in-flight.",
     .complexity = "O(N) when N is the number of configuration parameters provided",
     .tips = tips_all_nodes_ok},
    {.name = "resetstat", .proc = cmd_config_resetstat, .arity = 2, .flags = CFG_FLAGS, .acl = ADMIN_ACL,
     .since = "2.0.0", .summary = "Resets the server's statistics.", .complexity = "O(1)",
     .tips = tips_all_nodes_ok},
    {.name = "rewrite", .proc = cmd_config_rewrite, .arity = 2, .flags = CFG_FLAGS, .acl = ADMIN_ACL,
     .since = "2.8.0", .summary = "Persists the effective configuration to file.", .complexity = "O(1)",
     .tips = tips_all_nodes_ok},
    {.name = "help", .proc = cmd_config_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl = ACL_SLOW,
     .since = "5.0.0", .summary = "Returns helpful text about the different subcommands.",
     .complexity = "O(1)"},
    {.name = NULL},
};

static command_t server_commands[] = {
    {.name = "config", .arity = -2, .acl = ACL_SLOW, .group = "server", .since = "2.0.0",
     .summary = "A container for server configuration commands.", .complexity = "Depends on subcommand.",
     .subcommands = config_subcommands},
    {.name = "time", .proc = cmd_time, .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl = ACL_FAST, .group = "server", .since = "2.6.0", .summary = "Returns the server time.",
     .complexity = "O(1)", .tips = tips_nondet},
    {.name = "lastsave", .proc = cmd_lastsave, .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl = ACL_ADMIN | ACL_FAST | ACL_DANGEROUS, .group = "server", .since = "1.0.0",
     .summary = "Returns the Unix timestamp of the last successful save to disk.", .complexity = "O(1)",
     .tips = tips_nondet},
    {.name = "shutdown", .proc = cmd_shutdown, .arity = -1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_SENTINEL | CMD_ALLOW_BUSY,
     .acl = ADMIN_ACL, .group = "server", .since = "1.0.0",
     .summary = "Synchronously saves the database(s) to disk and shuts down the Redis server.",
     .complexity = "O(N) when saving, where N is the total number of keys in all databases when saving "
                   "data, otherwise O(1)"},
    {.name = NULL},
};

void server_cmds_core_init(void) {
    command_register(server_commands);
    config_on_apply("hz", apply_hz);
    config_on_apply("loglevel", apply_loglevel);
    config_on_apply("maxmemory", apply_maxmemory);
}
