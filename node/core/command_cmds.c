/* COMMAND: the command table as clients see it (COUNT, INFO, LIST, DOCS, GETKEYS...).
 *
 * Everything here is derived from the command_t descriptors (DESIGN.md §3);
 * nothing is hand-written per command.
 *
 * Design notes:
 *  1. Entry shape is Redis 7.0's, element for element: [name, arity, flags,
 *     first key, last key, step, ACL categories, tips, key specs,
 *     subcommands].  Flags, categories, tips and key specs are sets (arrays
 *     in RESP2) of simple strings / maps; subcommands are an array of entries,
 *     or an empty set for a plain command.  Redis hides may_replicate,
 *     sentinel, only_sentinel and protected in the flags, and so do we.
 *  2. ACL categories get Redis's implicit additions (setImplicitACLCategories):
 *     write -> @write, readonly -> @read, admin -> @admin @dangerous, pubsub,
 *     fast, blocking, and @slow for everything not @fast.  COMMAND LIST
 *     FILTERBY ACLCAT uses the same derived set.
 *  3. movablekeys is derived as Redis does: a getkeys function, or a key spec
 *     that is not index+range, is incomplete, or is not a plain run after
 *     the previous spec.
 *  4. COMMAND DOCS carries summary, since, group, complexity and subcommands;
 *     there are no argument docs yet, so "arguments" is absent, as it is in
 *     Redis for commands without arguments.  redis-cli's interactive help
 *     reads these with asserts on the types: every value is a bulk string,
 *     and summary/since/group are always present (empty if a table lacks
 *     them) so its help output never sees a NULL.
 *  5. Listing order is registration order (server.all_commands); a command
 *     renamed away with rename-command "" is skipped, a renamed one appears
 *     under its new name.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "server.h"

#define GETKEYS_MAX 4096

/* ---- derived attributes ----------------------------------------------------- */

static bool spec_is_index_range(const key_spec_t *s) { return !s->bs_keyword && !s->fk_keynum; }

/* Note 3. */
static bool cmd_movable(const command_t *cmd) {
    if (cmd->getkeys) return true;
    int prev_last = 0;
    for (int i = 0; i < cmd->key_specs_count; i++) {
        const key_spec_t *s = &cmd->key_specs[i];
        if (!spec_is_index_range(s)) return true;
        if (s->flags & KS_INCOMPLETE) return true;
        if (cmd->key_specs_count == 1) break;
        if (s->fk_step != 1 || (prev_last && prev_last != s->bs_index - 1)) return true;
        int last = s->fk_lastkey >= 0 ? s->bs_index + s->fk_lastkey : s->fk_lastkey;
        if ((unsigned)last > (unsigned)prev_last) prev_last = last;
    }
    return false;
}

static uint32_t cmd_flags(const command_t *cmd) {
    return cmd->flags | (cmd_movable(cmd) ? CMD_MOVABLE_KEYS : 0);
}

/* Note 2. */
static uint32_t cmd_acl(const command_t *cmd) {
    uint32_t acl = cmd->acl;
    if (cmd->flags & CMD_WRITE) acl |= ACL_WRITE;
    if ((cmd->flags & CMD_READONLY) && !(acl & ACL_SCRIPTING)) acl |= ACL_READ;
    if (cmd->flags & CMD_ADMIN) acl |= ACL_ADMIN | ACL_DANGEROUS;
    if (cmd->flags & CMD_PUBSUB) acl |= ACL_PUBSUB;
    if (cmd->flags & CMD_FAST) acl |= ACL_FAST;
    if (cmd->flags & CMD_BLOCKING) acl |= ACL_BLOCKING;
    if (!(acl & ACL_FAST)) acl |= ACL_SLOW;
    return acl;
}

typedef struct flag_name {
    uint32_t flag;
    const char *name;
} flag_name_t;

static const flag_name_t cmd_flag_names[] = {
    {CMD_WRITE, "write"}, {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"}, {CMD_PUBSUB, "pubsub"}, {CMD_NOSCRIPT, "noscript"},
    {CMD_BLOCKING, "blocking"}, {CMD_LOADING, "loading"}, {CMD_STALE, "stale"},
    {CMD_SKIP_MONITOR, "skip_monitor"}, {CMD_SKIP_SLOWLOG, "skip_slowlog"}, {CMD_ASKING, "asking"},
    {CMD_FAST, "fast"}, {CMD_NO_AUTH, "no_auth"}, {CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"},
    {CMD_NO_ASYNC_LOADING, "no_async_loading"}, {CMD_NO_MULTI, "no_multi"},
    {CMD_MOVABLE_KEYS, "movablekeys"}, {CMD_ALLOW_BUSY, "allow_busy"}, {0, NULL},
};

/* Redis's ACL category order (the ACL_* bits follow it). */
static const flag_name_t acl_names[] = {
    {ACL_KEYSPACE, "keyspace"}, {ACL_READ, "read"}, {ACL_WRITE, "write"}, {ACL_SET, "set"},
    {ACL_SORTEDSET, "sortedset"}, {ACL_LIST, "list"}, {ACL_HASH, "hash"}, {ACL_STRING, "string"},
    {ACL_BITMAP, "bitmap"}, {ACL_HYPERLOGLOG, "hyperloglog"}, {ACL_GEO, "geo"}, {ACL_STREAM, "stream"},
    {ACL_PUBSUB, "pubsub"}, {ACL_ADMIN, "admin"}, {ACL_FAST, "fast"}, {ACL_SLOW, "slow"},
    {ACL_BLOCKING, "blocking"}, {ACL_DANGEROUS, "dangerous"}, {ACL_CONNECTION, "connection"},
    {ACL_TRANSACTION, "transaction"}, {ACL_SCRIPTING, "scripting"}, {0, NULL},
};

static const flag_name_t key_flag_names[] = {
    {KS_RO, "RO"}, {KS_RW, "RW"}, {KS_OW, "OW"}, {KS_RM, "RM"},
    {KS_ACCESS, "access"}, {KS_UPDATE, "update"}, {KS_INSERT, "insert"}, {KS_DELETE, "delete"},
    {KS_NOT_KEY, "not_key"}, {KS_INCOMPLETE, "incomplete"}, {KS_VARIABLE_FLAGS, "variable_flags"},
    {0, NULL},
};

/* A set of simple strings, one per flag set; `prefix` goes before each name. */
static void reply_flag_set(client_t *c, uint32_t flags, const flag_name_t *names, const char *prefix) {
    long long n = 0;
    for (const flag_name_t *f = names; f->name; f++)
        if (flags & f->flag) n++;
    reply_set(c, n);
    for (const flag_name_t *f = names; f->name; f++) {
        if (!(flags & f->flag)) continue;
        if (prefix) {
            char tmp[64];
            snprintf(tmp, sizeof(tmp), "%s%s", prefix, f->name);
            reply_simple(c, tmp);
        } else {
            reply_simple(c, f->name);
        }
    }
}

/* ---- lookups ------------------------------------------------------------------ */

/* Redis's lookupCommandBySds: "name" or "container|sub", case-insensitive. */
static command_t *lookup_by_fullname(const char *name, size_t len) {
    const char *bar = memchr(name, '|', len);
    if (!bar) return command_lookup(name, len);
    if (memchr(bar + 1, '|', len - (size_t)(bar + 1 - name))) return NULL;
    command_t *base = command_lookup(name, (size_t)(bar - name));
    if (!base || !base->subcommands) return NULL;
    return (command_t *)ht_find(&base->subtable, bar + 1, len - (size_t)(bar + 1 - name));
}

/* Redis's lookupCommand over an argv: the container's subcommand when there is one. */
static command_t *lookup_argv_strict(int argc, const char **argv, const size_t *lens) {
    command_t *base = command_lookup(argv[0], lens[0]);
    if (!base || !base->subcommands || argc == 1) return base;
    return (command_t *)ht_find(&base->subtable, argv[1], lens[1]);
}

/* Still reachable under its (possibly renamed) name? (note 5) */
static bool is_listed(const command_t *cmd) {
    return command_lookup(cmd->fullname, strlen(cmd->fullname)) == cmd;
}

static long long count_subcommands(const command_t *cmd) {
    long long n = 0;
    for (const command_t *s = cmd->subcommands; s && s->name; s++) n++;
    return n;
}

/* ---- COMMAND INFO entries ---------------------------------------------------- */

static void reply_tips(client_t *c, const command_t *cmd) {
    long long n = 0;
    for (const char *const *t = cmd->tips; t && *t; t++) n++;
    reply_set(c, n);
    for (const char *const *t = cmd->tips; t && *t; t++) reply_simple(c, *t);
}

static void reply_key_spec(client_t *c, const key_spec_t *s) {
    reply_map(c, 3);
    reply_bulk_cstr(c, "flags");
    reply_flag_set(c, s->flags, key_flag_names, NULL);

    reply_bulk_cstr(c, "begin_search");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    if (s->bs_keyword) {
        reply_bulk_cstr(c, "keyword");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 2);
        reply_bulk_cstr(c, "keyword");
        reply_bulk_cstr(c, s->bs_keyword);
        reply_bulk_cstr(c, "startfrom");
        reply_int(c, s->bs_index);
    } else {
        reply_bulk_cstr(c, "index");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 1);
        reply_bulk_cstr(c, "index");
        reply_int(c, s->bs_index);
    }

    reply_bulk_cstr(c, "find_keys");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    if (s->fk_keynum) {
        reply_bulk_cstr(c, "keynum");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 3);
        reply_bulk_cstr(c, "keynumidx");
        reply_int(c, s->fk_keynum_idx);
        reply_bulk_cstr(c, "firstkey");
        reply_int(c, s->fk_lastkey);
        reply_bulk_cstr(c, "keystep");
        reply_int(c, s->fk_step);
    } else {
        reply_bulk_cstr(c, "range");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 3);
        reply_bulk_cstr(c, "lastkey");
        reply_int(c, s->fk_lastkey);
        reply_bulk_cstr(c, "keystep");
        reply_int(c, s->fk_step);
        reply_bulk_cstr(c, "limit");
        reply_int(c, s->fk_limit);
    }
}

static void reply_command_info(client_t *c, const command_t *cmd) {
    if (!cmd) {
        reply_null(c);
        return;
    }
    reply_array(c, 10);
    reply_bulk_cstr(c, cmd->fullname);
    reply_int(c, cmd->arity);
    reply_flag_set(c, cmd_flags(cmd), cmd_flag_names, NULL);
    reply_int(c, cmd->first_key);
    reply_int(c, cmd->last_key);
    reply_int(c, cmd->key_step);
    reply_flag_set(c, cmd_acl(cmd), acl_names, "@");
    reply_tips(c, cmd);
    reply_set(c, cmd->key_specs_count);
    for (int i = 0; i < cmd->key_specs_count; i++) reply_key_spec(c, &cmd->key_specs[i]);
    if (cmd->subcommands) {
        reply_array(c, count_subcommands(cmd));
        for (const command_t *s = cmd->subcommands; s->name; s++) reply_command_info(c, s);
    } else {
        reply_set(c, 0);
    }
}

/* COMMAND with no argument; also COMMAND INFO with none. */
static void reply_all_info(client_t *c) {
    void *len = reply_defer_len(c);
    long long n = 0;
    for (size_t i = 0; i < server.ncommands; i++) {
        command_t *cmd = server.all_commands[i];
        if (!is_listed(cmd)) continue;
        reply_command_info(c, cmd);
        n++;
    }
    reply_set_deferred_array(c, len, n);
}

static void cmd_command(client_t *c) { reply_all_info(c); }

static void cmd_command_count(client_t *c) { reply_int(c, (long long)ht_count(&server.commands)); }

static void cmd_command_info(client_t *c) {
    if (c->argc == 2) {
        reply_all_info(c);
        return;
    }
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) reply_command_info(c, lookup_by_fullname(c->argv[i], c->argvlen[i]));
}

/* ---- COMMAND DOCS ---------------------------------------------------------- */

static void reply_command_docs(client_t *c, const command_t *cmd) {
    long long pairs = 3 + (cmd->complexity ? 1 : 0) + (cmd->subcommands ? 1 : 0);
    reply_map(c, pairs);
    reply_bulk_cstr(c, "summary");
    reply_bulk_cstr(c, cmd->summary ? cmd->summary : "");
    reply_bulk_cstr(c, "since");
    reply_bulk_cstr(c, cmd->since ? cmd->since : "");
    reply_bulk_cstr(c, "group");
    reply_bulk_cstr(c, cmd->group ? cmd->group : "generic");
    if (cmd->complexity) {
        reply_bulk_cstr(c, "complexity");
        reply_bulk_cstr(c, cmd->complexity);
    }
    if (cmd->subcommands) {
        reply_bulk_cstr(c, "subcommands");
        reply_map(c, count_subcommands(cmd));
        for (const command_t *s = cmd->subcommands; s->name; s++) {
            reply_bulk_cstr(c, s->fullname);
            reply_command_docs(c, s);
        }
    }
}

static void cmd_command_docs(client_t *c) {
    void *len = reply_defer_len(c);
    long long n = 0;
    if (c->argc == 2) {
        for (size_t i = 0; i < server.ncommands; i++) {
            command_t *cmd = server.all_commands[i];
            if (!is_listed(cmd)) continue;
            reply_bulk_cstr(c, cmd->fullname);
            reply_command_docs(c, cmd);
            n++;
        }
    } else {
        for (int i = 2; i < c->argc; i++) {
            command_t *cmd = lookup_by_fullname(c->argv[i], c->argvlen[i]);
            if (!cmd) continue;
            reply_bulk_cstr(c, cmd->fullname);
            reply_command_docs(c, cmd);
            n++;
        }
    }
    reply_set_deferred_map(c, len, n);
}

/* ---- COMMAND LIST ------------------------------------------------------------ */

enum { FILTER_NONE, FILTER_MODULE, FILTER_ACLCAT, FILTER_PATTERN };

typedef struct list_filter {
    int type;
    const char *arg;
    size_t len;
    uint32_t acl; /* FILTER_ACLCAT: the category bit, 0 if unknown */
} list_filter_t;

static bool filter_match(const list_filter_t *f, const command_t *cmd) {
    switch (f->type) {
    case FILTER_MODULE: return false; /* no modules */
    case FILTER_ACLCAT: return f->acl && (cmd_acl(cmd) & f->acl);
    case FILTER_PATTERN: return glob_match(f->arg, f->len, cmd->fullname, strlen(cmd->fullname), true);
    default: return true;
    }
}

static long long list_commands(client_t *c, const list_filter_t *f) {
    long long n = 0;
    for (size_t i = 0; i < server.ncommands; i++) {
        command_t *cmd = server.all_commands[i];
        if (!is_listed(cmd)) continue;
        if (filter_match(f, cmd)) {
            reply_bulk_cstr(c, cmd->fullname);
            n++;
        }
        for (command_t *s = cmd->subcommands; s && s->name; s++) {
            if (!filter_match(f, s)) continue;
            reply_bulk_cstr(c, s->fullname);
            n++;
        }
    }
    return n;
}

static void cmd_command_list(client_t *c) {
    list_filter_t f = {.type = FILTER_NONE};
    for (int i = 2; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        if (!strcasecmp(c->argv[i], "filterby") && more == 2) {
            const char *type = c->argv[i + 1];
            if (!strcasecmp(type, "module")) {
                f.type = FILTER_MODULE;
            } else if (!strcasecmp(type, "aclcat")) {
                f.type = FILTER_ACLCAT;
            } else if (!strcasecmp(type, "pattern")) {
                f.type = FILTER_PATTERN;
            } else {
                reply_error_syntax(c);
                return;
            }
            f.arg = c->argv[i + 2];
            f.len = c->argvlen[i + 2];
            i += 2;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (f.type == FILTER_ACLCAT) {
        for (const flag_name_t *a = acl_names; a->name; a++)
            if (!strcasecmp(a->name, f.arg)) f.acl = a->flag;
    }
    void *len = reply_defer_len(c);
    reply_set_deferred_array(c, len, list_commands(c, &f));
}

/* ---- COMMAND GETKEYS / GETKEYSANDFLAGS ---------------------------------------- */

/* Redis's doesCommandHaveKeys: a getkeys function or a spec that finds real
 * keys; tables without specs fall back on their first-key position. */
static bool cmd_has_keys(const command_t *cmd) {
    if (cmd->getkeys) return true;
    if (cmd->key_specs_count == 0) return cmd->first_key > 0;
    for (int i = 0; i < cmd->key_specs_count; i++)
        if (!(cmd->key_specs[i].flags & KS_NOT_KEY)) return true;
    return false;
}

/* Evaluates one key spec over argv as Redis's getKeysUsingKeySpecs does; true
 * if position `pos` is one of its keys.  Used only to give each key the flags
 * of the spec that found it. */
static bool spec_covers(const key_spec_t *s, int argc, const char **argv, const size_t *lens, int pos) {
    int first = 0;
    if (!s->bs_keyword) {
        first = s->bs_index;
    } else {
        int start = s->bs_index > 0 ? s->bs_index : argc + s->bs_index;
        int end = s->bs_index > 0 ? argc - 1 : 0;
        for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
            if (i >= argc || i < 1) break;
            if (!strcasecmp(argv[i], s->bs_keyword)) {
                first = i + 1;
                break;
            }
        }
        if (!first) return false;
    }
    if (first >= argc) return false;
    int last, step = s->fk_step > 0 ? s->fk_step : 1;
    if (s->fk_keynum) {
        long long nkeys;
        int idx = first + s->fk_keynum_idx;
        if (idx >= argc || !str2ll(argv[idx], lens[idx], &nkeys) || nkeys < 0) return false;
        first += s->fk_lastkey; /* firstkey, relative to the begin index */
        last = first + (int)nkeys - 1;
    } else if (s->fk_lastkey >= 0) {
        last = first + s->fk_lastkey;
    } else if (s->fk_limit == 0) {
        last = argc + s->fk_lastkey;
    } else {
        last = first + ((argc - first) / s->fk_limit + s->fk_lastkey);
    }
    if (pos < first || pos > last) return false;
    return (pos - first) % step == 0;
}

static uint32_t key_flags_at(const command_t *cmd, int argc, const char **argv, const size_t *lens, int pos) {
    uint32_t fallback = 0;
    bool have_fallback = false;
    for (int i = 0; i < cmd->key_specs_count; i++) {
        const key_spec_t *s = &cmd->key_specs[i];
        if (s->flags & KS_NOT_KEY) continue;
        if (spec_covers(s, argc, argv, lens, pos)) return s->flags;
        if (!have_fallback) {
            fallback = s->flags;
            have_fallback = true;
        }
    }
    return fallback;
}

static void getkeys(client_t *c, bool with_flags) {
    int argc = c->argc - 2;
    const char **argv = c->argv + 2;
    const size_t *lens = c->argvlen + 2;
    command_t *cmd = lookup_argv_strict(argc, argv, lens);
    if (!cmd) {
        reply_error(c, "ERR Invalid command specified");
        return;
    }
    if (!cmd_has_keys(cmd)) {
        reply_error(c, "ERR The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    int small[64];
    int max = argc < GETKEYS_MAX ? argc : GETKEYS_MAX;
    int *keys = max <= 64 ? small : xmalloc(sizeof(int) * (size_t)max);
    int n = command_get_keys(cmd, argc, argv, lens, keys, max);
    if (n == 0 && !(cmd->flags & CMD_NO_MANDATORY_KEYS)) {
        reply_error(c, "ERR Invalid arguments specified for command");
    } else {
        reply_array(c, n);
        for (int i = 0; i < n; i++) {
            int k = keys[i];
            if (with_flags) reply_array(c, 2);
            reply_bulk(c, argv[k], lens[k]);
            if (with_flags) reply_flag_set(c, key_flags_at(cmd, argc, argv, lens, k), key_flag_names, NULL);
        }
    }
    if (keys != small) xfree(keys);
}

static void cmd_command_getkeys(client_t *c) { getkeys(c, false); }
static void cmd_command_getkeysandflags(client_t *c) { getkeys(c, true); }

static void cmd_command_help(client_t *c) {
    static const char *const lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    };
    reply_lines(c, lines, sizeof(lines) / sizeof(lines[0]));
}

/* ---- table ---------------------------------------------------------------- */

#define CMD_CMD_FLAGS (CMD_LOADING | CMD_STALE | CMD_SENTINEL)
#define CMD_CMD_ACL (ACL_SLOW | ACL_CONNECTION)

static const char *const tips_nondet_order[] = {"nondeterministic_output_order", NULL};

static command_t command_subcommands[] = {
    {.name = "count", .proc = cmd_command_count, .arity = 2, .flags = CMD_CMD_FLAGS, .acl = CMD_CMD_ACL,
     .since = "2.8.13", .summary = "Get total number of Redis commands", .complexity = "O(1)"},
    {.name = "info", .proc = cmd_command_info, .arity = -2, .flags = CMD_CMD_FLAGS, .acl = CMD_CMD_ACL,
     .since = "2.8.13",
     .summary = "Get array of specific Redis command details, or all when no argument is given.",
     .complexity = "O(N) where N is the number of commands to look up", .tips = tips_nondet_order},
    {.name = "list", .proc = cmd_command_list, .arity = -2, .flags = CMD_CMD_FLAGS, .acl = CMD_CMD_ACL,
     .since = "7.0.0", .summary = "Get an array of Redis command names",
     .complexity = "O(N) where N is the total number of Redis commands", .tips = tips_nondet_order},
    {.name = "docs", .proc = cmd_command_docs, .arity = -2, .flags = CMD_CMD_FLAGS, .acl = CMD_CMD_ACL,
     .since = "7.0.0", .summary = "Get array of specific Redis command documentation",
     .complexity = "O(N) where N is the number of commands to look up", .tips = tips_nondet_order},
    {.name = "getkeys", .proc = cmd_command_getkeys, .arity = -4, .flags = CMD_CMD_FLAGS, .acl = CMD_CMD_ACL,
     .since = "2.8.13", .summary = "Extract keys given a full Redis command",
     .complexity = "O(N) where N is the number of arguments to the command"},
    {.name = "getkeysandflags", .proc = cmd_command_getkeysandflags, .arity = -4, .flags = CMD_CMD_FLAGS,
     .acl = CMD_CMD_ACL, .since = "7.0.0", .summary = "Extract keys and access flags given a full Redis command",
     .complexity = "O(N) where N is the number of arguments to the command"},
    {.name = "help", .proc = cmd_command_help, .arity = 2, .flags = CMD_CMD_FLAGS, .acl = CMD_CMD_ACL,
     .since = "5.0.0", .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = NULL},
};

/* COMMAND is a container that also runs alone (arity -1): command.c must
 * call its proc when no subcommand is given. */
static command_t command_commands[] = {
    {.name = "command", .proc = cmd_command, .arity = -1, .flags = CMD_CMD_FLAGS, .acl = CMD_CMD_ACL,
     .group = "server", .since = "2.8.13", .summary = "Get array of Redis command details",
     .complexity = "O(N) where N is the total number of Redis commands", .tips = tips_nondet_order,
     .subcommands = command_subcommands},
    {.name = NULL},
};

void command_cmds_init(void) { command_register(command_commands); }
