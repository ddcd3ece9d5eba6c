/* CLIENT and MONITOR: connection introspection and control, and the monitor feed.
 *
 * Design notes:
 *  1. Replies and error texts are Redis 7.0's (CLIENT SETINFO and NO-TOUCH
 *     follow 7.2, CLIENT KILL MAXAGE follows 7.4).  CLIENT LIST and INFO are
 *     verbatim strings in RESP3 and list clients oldest first, as Redis does;
 *     server.clients keeps the newest at its head, so the list is walked from
 *     its tail.
 *  2. Killing: other clients are closed with client_close_async() (they may
 *     have callbacks on the stack); a client already closing is not counted
 *     again.  The caller itself is only marked CLOSE_AFTER_REPLY after its
 *     reply is queued, because reply.c drops output of a client so marked.
 *  3. Pause: client.c asks client_is_paused_for() before executing each
 *     command.  WRITE pauses commands that may replicate (flags write or
 *     may_replicate, and EXEC of a transaction holding one), ALL pauses every
 *     command; links to our master and to replicas are never paused.  This
 *     is Redis 7.0's rule, so PUBLISH (may_replicate) waits during WRITE.
 *  4. Tracking (client-side caching) does not exist yet: CLIENT TRACKING ON
 *     answers an error, which every client library tolerates; OFF is the
 *     state we are in, so it answers OK.
 *  5. MONITOR is refused when the command is not read from the connection
 *     (inside EXEC, from a fake client): Redis's DENY_BLOCKING rule.  We
 *     detect it by argv not pointing into the query buffer, since EXEC
 *     replays argument copies.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "monitor.h"
#include "server.h"

void conn_on_reset(void (*fn)(client_t *c));

/* ---- helpers ------------------------------------------------------------ */

enum { CTYPE_NORMAL, CTYPE_REPLICA, CTYPE_PUBSUB, CTYPE_MASTER };

/* Redis's getClientType: monitors count as normal clients. */
static int client_type(const client_t *c) {
    if (c->flags & CLIENT_MASTER) return CTYPE_MASTER;
    if (c->flags & CLIENT_REPLICA) return CTYPE_REPLICA;
    if (c->flags & CLIENT_PUBSUB) return CTYPE_PUBSUB;
    return CTYPE_NORMAL;
}

/* -1 for an unknown name. */
static int client_type_by_name(const char *name) {
    if (!strcasecmp(name, "normal")) return CTYPE_NORMAL;
    if (!strcasecmp(name, "slave") || !strcasecmp(name, "replica")) return CTYPE_REPLICA;
    if (!strcasecmp(name, "pubsub")) return CTYPE_PUBSUB;
    if (!strcasecmp(name, "master")) return CTYPE_MASTER;
    return -1;
}

/* Names and attributes must keep CLIENT LIST splittable on spaces. */
static bool valid_client_attr(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < '!' || s[i] > '~') return false;
    return true;
}

static client_t *client_by_id(uint64_t id) {
    for (client_t *cl = server.clients; cl; cl = cl->next)
        if (cl->id == id) return cl;
    return NULL;
}

static client_t *clients_tail(void) {
    client_t *cl = server.clients;
    while (cl && cl->next) cl = cl->next;
    return cl;
}

static bool dying(const client_t *c) { return (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSING)) != 0; }

static void reply_text(client_t *c, const buf_t *b) {
    reply_verbatim(c, b->p ? b->p : "", b->len, "txt");
}

/* ON/OFF argument: 1, 0, or -1 after replying a syntax error. */
static int on_off(client_t *c, const char *arg) {
    if (!strcasecmp(arg, "on")) return 1;
    if (!strcasecmp(arg, "off")) return 0;
    reply_error_syntax(c);
    return -1;
}

/* ---- CLIENT ID / INFO / LIST / names ------------------------------------ */

static void cmd_client_id(client_t *c) { reply_int(c, (long long)c->id); }

static void cmd_client_info(client_t *c) {
    buf_t b = BUF_INIT;
    client_info_line(c, &b);
    buf_putc(&b, '\n');
    reply_text(c, &b);
    buf_free(&b);
}

static void cmd_client_list(client_t *c) {
    buf_t b = BUF_INIT;
    if (c->argc == 4 && !strcasecmp(c->argv[2], "type")) {
        int type = client_type_by_name(c->argv[3]);
        if (type < 0) {
            reply_errorf(c, "ERR Unknown client type '%s'", c->argv[3]);
            return;
        }
        for (client_t *cl = clients_tail(); cl; cl = cl->prev) {
            if (client_type(cl) != type) continue;
            client_info_line(cl, &b);
            buf_putc(&b, '\n');
        }
    } else if (c->argc >= 4 && !strcasecmp(c->argv[2], "id")) {
        for (int j = 3; j < c->argc; j++) {
            long long id;
            if (!str2ll(c->argv[j], c->argvlen[j], &id)) {
                buf_free(&b);
                reply_error(c, "ERR Invalid client ID");
                return;
            }
            client_t *cl = id > 0 ? client_by_id((uint64_t)id) : NULL;
            if (cl) {
                client_info_line(cl, &b);
                buf_putc(&b, '\n');
            }
        }
    } else if (c->argc == 2) {
        for (client_t *cl = clients_tail(); cl; cl = cl->prev) {
            client_info_line(cl, &b);
            buf_putc(&b, '\n');
        }
    } else {
        reply_error_syntax(c);
        return;
    }
    reply_text(c, &b);
    buf_free(&b);
}

static void cmd_client_setname(client_t *c) {
    if (!valid_client_attr(c->argv[2], c->argvlen[2])) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    xfree(c->name);
    c->name = c->argvlen[2] ? xstrndup(c->argv[2], c->argvlen[2]) : NULL;
    reply_ok(c);
}

static void cmd_client_getname(client_t *c) {
    if (c->name)
        reply_bulk_cstr(c, c->name);
    else
        reply_null(c);
}

static void cmd_client_setinfo(client_t *c) {
    char **dest;
    if (!strcasecmp(c->argv[2], "lib-name")) {
        dest = &c->lib_name;
    } else if (!strcasecmp(c->argv[2], "lib-ver")) {
        dest = &c->lib_ver;
    } else {
        reply_errorf(c, "ERR Unrecognized option '%s'", c->argv[2]);
        return;
    }
    if (!valid_client_attr(c->argv[3], c->argvlen[3])) {
        reply_errorf(c, "ERR %s cannot contain spaces, newlines or special characters.", c->argv[2]);
        return;
    }
    xfree(*dest);
    *dest = c->argvlen[3] ? xstrndup(c->argv[3], c->argvlen[3]) : NULL;
    reply_ok(c);
}

/* ---- CLIENT KILL ----------------------------------------------------------- */

typedef struct kill_filter {
    const char *addr, *laddr;
    int type;            /* -1 = any */
    uint64_t id;         /* 0 = any */
    long long max_age;   /* seconds; 0 = any */
    bool skipme;
} kill_filter_t;

/* Parses the new-style options; false after replying an error. */
static bool kill_parse(client_t *c, kill_filter_t *f) {
    for (int i = 2; i < c->argc; i += 2) {
        bool more = i + 1 < c->argc;
        const char *opt = c->argv[i], *val = more ? c->argv[i + 1] : NULL;
        if (!strcasecmp(opt, "id") && more) {
            long long id;
            if (!str2ll(val, c->argvlen[i + 1], &id) || id < 1) {
                reply_error(c, "ERR client-id should be greater than 0");
                return false;
            }
            f->id = (uint64_t)id;
        } else if (!strcasecmp(opt, "type") && more) {
            f->type = client_type_by_name(val);
            if (f->type < 0) {
                reply_errorf(c, "ERR Unknown client type '%s'", val);
                return false;
            }
        } else if (!strcasecmp(opt, "addr") && more) {
            f->addr = val;
        } else if (!strcasecmp(opt, "laddr") && more) {
            f->laddr = val;
        } else if (!strcasecmp(opt, "user") && more) {
            /* Only the default user exists until ACLs arrive: it matches everyone. */
            if (strcmp(val, "default") != 0) {
                reply_errorf(c, "ERR No such user '%s'", val);
                return false;
            }
        } else if (!strcasecmp(opt, "skipme") && more) {
            if (!strcasecmp(val, "yes")) {
                f->skipme = true;
            } else if (!strcasecmp(val, "no")) {
                f->skipme = false;
            } else {
                reply_error_syntax(c);
                return false;
            }
        } else if (!strcasecmp(opt, "maxage") && more) {
            long long age;
            if (!str2ll(val, c->argvlen[i + 1], &age) || age < 0) {
                reply_error(c, "ERR maxage is not an integer or out of range");
                return false;
            }
            f->max_age = age;
        } else {
            reply_error_syntax(c);
            return false;
        }
    }
    return true;
}

static bool kill_matches(const client_t *c, const client_t *cl, const kill_filter_t *f) {
    if (dying(cl)) return false;
    if (f->addr && strcmp(cl->addr, f->addr) != 0) return false;
    if (f->laddr && strcmp(cl->laddr, f->laddr) != 0) return false;
    if (f->type >= 0 && client_type(cl) != f->type) return false;
    if (f->id && cl->id != f->id) return false;
    if (f->max_age && (server.now_ms - cl->ctime_ms) / 1000 <= f->max_age) return false;
    if (cl == c && f->skipme) return false;
    return true;
}

static void cmd_client_kill(client_t *c) {
    kill_filter_t f = {.type = -1, .skipme = true};
    bool old_form = c->argc == 3;
    if (old_form) {
        f.addr = c->argv[2];
        f.skipme = false; /* the old form may kill the caller */
    } else if (!kill_parse(c, &f)) {
        return;
    }
    long long killed = 0;
    bool close_self = false;
    for (client_t *cl = server.clients, *next; cl; cl = next) {
        next = cl->next;
        if (!kill_matches(c, cl, &f)) continue;
        if (cl == c)
            close_self = true;
        else
            client_close_async(cl);
        killed++;
    }
    if (old_form) {
        if (killed)
            reply_ok(c);
        else
            reply_error(c, "ERR No such client");
    } else {
        reply_int(c, killed);
    }
    if (close_self) c->flags |= CLIENT_CLOSE_AFTER_REPLY; /* after the reply: see note 2 */
}

/* ---- CLIENT PAUSE / UNPAUSE ---------------------------------------------- */

static void cmd_client_pause(client_t *c) {
    if (c->argc > 4) {
        reply_error_subcommand_syntax(c);
        return;
    }
    int type = 2;
    if (c->argc == 4) {
        if (!strcasecmp(c->argv[3], "write")) {
            type = 1;
        } else if (!strcasecmp(c->argv[3], "all")) {
            type = 2;
        } else {
            reply_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    long long ms;
    if (!str2ll(c->argv[2], c->argvlen[2], &ms)) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    if (ms > LLONG_MAX - server.now_ms) {
        reply_error(c, "ERR timeout is out of range");
        return;
    }
    /* A zero timeout still pauses until the next cron tick, as in Redis. */
    client_pause(type, server.now_ms + ms);
    reply_ok(c);
}

static void cmd_client_unpause(client_t *c) {
    client_unpause();
    reply_ok(c);
}

bool client_is_paused_for(const client_t *c, const command_t *cmd) {
    if (!cmd || !server.pause_type) return false;
    if (c->flags & (CLIENT_MASTER | CLIENT_REPLICA)) return false;
    if (server.pause_type == 2) return true;
    if (cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE)) return true;
    if ((c->flags & CLIENT_MULTI) && !cmd->parent && !strcmp(cmd->name, "exec")) {
        for (int i = 0; i < c->mcount; i++)
            if (c->mstate[i].cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE)) return true;
    }
    return false;
}

/* ---- CLIENT REPLY / NO-EVICT / NO-TOUCH ---------------------------------- */

static void cmd_client_reply(client_t *c) {
    const char *mode = c->argv[2];
    if (!strcasecmp(mode, "on")) {
        c->flags &= ~(CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT | CLIENT_REPLY_OFF);
        reply_ok(c);
    } else if (!strcasecmp(mode, "off")) {
        c->flags |= CLIENT_REPLY_OFF;
    } else if (!strcasecmp(mode, "skip")) {
        if (!(c->flags & CLIENT_REPLY_OFF)) c->flags |= CLIENT_REPLY_SKIP_NEXT;
    } else {
        reply_error_syntax(c);
    }
}

static void set_flag_on_off(client_t *c, uint32_t flag) {
    int on = on_off(c, c->argv[2]);
    if (on < 0) return;
    if (on)
        c->flags |= flag;
    else
        c->flags &= ~flag;
    reply_ok(c);
}

static void cmd_client_no_evict(client_t *c) { set_flag_on_off(c, CLIENT_NO_EVICT); }
static void cmd_client_no_touch(client_t *c) { set_flag_on_off(c, CLIENT_NO_TOUCH); }

/* ---- tracking (not implemented yet, see note 4) --------------------------- */

static void cmd_client_tracking(client_t *c) {
    if (!strcasecmp(c->argv[2], "off")) {
        reply_ok(c);
    } else if (!strcasecmp(c->argv[2], "on")) {
        reply_error(c, "ERR CLIENT TRACKING is not supported by this server yet");
    } else {
        reply_error_syntax(c);
    }
}

static void cmd_client_caching(client_t *c) {
    /* Redis's answer for a client whose tracking is off, which is always true here. */
    reply_error(c, "ERR CLIENT CACHING can be called only when the client is in tracking mode with "
                   "OPTIN or OPTOUT mode enabled");
}

static void cmd_client_getredir(client_t *c) { reply_int(c, -1); }

static void cmd_client_trackinginfo(client_t *c) {
    reply_map(c, 3);
    reply_bulk_cstr(c, "flags");
    reply_set(c, 1);
    reply_bulk_cstr(c, "off");
    reply_bulk_cstr(c, "redirect");
    reply_int(c, -1);
    reply_bulk_cstr(c, "prefixes");
    reply_empty_array(c);
}

/* ---- CLIENT UNBLOCK / HELP ------------------------------------------------- */

static void cmd_client_unblock(client_t *c) {
    if (c->argc > 4) {
        reply_error_subcommand_syntax(c);
        return;
    }
    long long id;
    if (!str2ll(c->argv[2], c->argvlen[2], &id)) {
        reply_error_not_int(c);
        return;
    }
    if (c->argc == 4 && strcasecmp(c->argv[3], "timeout") != 0 && strcasecmp(c->argv[3], "error") != 0) {
        reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        return;
    }
    reply_int(c, 0); /* no command blocks yet */
}

static void cmd_client_help(client_t *c) {
    static const char *const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "    * MAXAGE <maxage>",
        "      Kill connections older than the specified age.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)",
        "    Will not touch LRU/LFU stats when this mode is on.",
        "HELP",
        "    Prints this help.",
    };
    reply_lines(c, lines, sizeof(lines) / sizeof(lines[0]));
}

/* ---- MONITOR ------------------------------------------------------------- */

/* True when c->argv points into c's query buffer, i.e. the command was read
 * from the connection rather than replayed by EXEC (note 5). */
static bool executing_from_input(const client_t *c) {
    if (c->flags & CLIENT_FAKE) return false;
    if (!c->qbuf || c->argc == 0) return false;
    return c->argv[0] >= c->qbuf && c->argv[0] < c->qbuf + c->qcap;
}

static void cmd_monitor(client_t *c) {
    if (!executing_from_input(c)) {
        reply_error(c, "ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    /* Already a monitor (or a replication link): ignored without a reply, as Redis. */
    if (c->flags & (CLIENT_MONITOR | CLIENT_REPLICA | CLIENT_MASTER)) return;
    c->flags |= CLIENT_MONITOR;
    if (server.nmonitors == server.monitors_cap) {
        server.monitors_cap = server.monitors_cap ? server.monitors_cap * 2 : 8;
        server.monitors = xrealloc(server.monitors, server.monitors_cap * sizeof(client_t *));
    }
    server.monitors[server.nmonitors++] = c;
    reply_ok(c);
}

/* RESET ends monitoring (conn_cmds.c clears the flag after the hooks). */
static void monitor_on_reset(client_t *c) {
    if (!(c->flags & CLIENT_MONITOR)) return;
    for (size_t i = 0; i < server.nmonitors; i++) {
        if (server.monitors[i] == c) {
            server.monitors[i] = server.monitors[--server.nmonitors];
            break;
        }
    }
    c->flags &= ~CLIENT_MONITOR;
}

/* sdscatrepr: quoted, with C escapes and \xHH for the rest. */
static void append_repr(buf_t *b, const char *p, size_t n) {
    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        switch (ch) {
        case '\\': buf_puts(b, "\\\\"); break;
        case '"': buf_puts(b, "\\\""); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '\t': buf_puts(b, "\\t"); break;
        case '\a': buf_puts(b, "\\a"); break;
        case '\b': buf_puts(b, "\\b"); break;
        default:
            if (ch >= 0x20 && ch < 0x7f)
                buf_putc(b, (char)ch);
            else
                buf_printf(b, "\\x%02x", ch);
        }
    }
    buf_putc(b, '"');
}

static bool arg_is(const char *arg, const char *word) { return !strcasecmp(arg, word); }

/* Marks the arguments Redis replaces with "(redacted)" (note 2). */
static void mark_redacted(const command_t *cmd, int argc, const char **argv, bool *redact) {
    const char *name = cmd->parent ? cmd->parent->name : cmd->name;
    if (!strcmp(name, "auth")) {
        for (int j = 1; j < argc; j++) redact[j] = true;
    } else if (!strcmp(name, "hello")) {
        for (int j = 2; j < argc; j++) {
            int more = argc - 1 - j;
            if (arg_is(argv[j], "auth") && more >= 2) {
                redact[j + 1] = redact[j + 2] = true;
                j += 2;
            } else if (arg_is(argv[j], "setname") && more >= 1) {
                j++;
            } else {
                break;
            }
        }
    } else if (!strcmp(name, "migrate")) {
        for (int j = 6; j < argc; j++) {
            int more = argc - 1 - j;
            if (arg_is(argv[j], "auth") && more >= 1) {
                redact[++j] = true;
            } else if (arg_is(argv[j], "auth2") && more >= 2) {
                redact[j + 1] = redact[j + 2] = true;
                j += 2;
            } else if (arg_is(argv[j], "keys")) {
                break;
            }
        }
    }
}

void monitor__feed(client_t *c, const command_t *cmd, int argc, const char **argv, const size_t *lens) {
    if (cmd->flags & (CMD_SKIP_MONITOR | CMD_ADMIN)) return;
    /* AOF loading and internal replays are not shown; what our master sends
     * is (Redis feeds monitors from the master client too). */
    if ((c->flags & CLIENT_FAKE) && !(c->flags & CLIENT_MASTER)) return;
    bool small[16] = {false};
    bool *redact = argc <= 16 ? small : xcalloc((size_t)argc, sizeof(bool));
    mark_redacted(cmd, argc, argv, redact);

    buf_t b = BUF_INIT;
    int64_t us = clock_unix_us();
    buf_printf(&b, "+%lld.%06lld ", (long long)(us / 1000000), (long long)(us % 1000000));
    if (c->flags & CLIENT_UNIX)
        buf_printf(&b, "[%d unix:%s] ", c->db_index, server.cfg.unixsocket ? server.cfg.unixsocket : "");
    else
        buf_printf(&b, "[%d %s] ", c->db_index, c->addr);
    for (int j = 0; j < argc; j++) {
        if (j) buf_putc(&b, ' ');
        if (redact[j])
            buf_puts(&b, "\"(redacted)\"");
        else
            append_repr(&b, argv[j], lens[j]);
    }
    buf_puts(&b, "\r\n");
    for (size_t i = 0; i < server.nmonitors; i++) reply_raw(server.monitors[i], b.p, b.len);
    buf_free(&b);
    if (redact != small) xfree(redact);
}

/* ---- tables ----------------------------------------------------------------- */

#define CL_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
#define CL_ADMIN (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
#define CL_ACL (ACL_SLOW | ACL_CONNECTION)

static const char *const tips_nondeterministic[] = {"nondeterministic_output", NULL};

static command_t client_subcommands[] = {
    {.name = "id", .proc = cmd_client_id, .arity = 2, .flags = CL_FLAGS | CMD_SENTINEL, .acl = CL_ACL,
     .since = "5.0.0", .summary = "Returns the client ID for the current connection", .complexity = "O(1)"},
    {.name = "info", .proc = cmd_client_info, .arity = 2, .flags = CL_FLAGS | CMD_SENTINEL, .acl = CL_ACL,
     .since = "6.2.0", .summary = "Returns information about the current client connection.",
     .complexity = "O(1)", .tips = tips_nondeterministic},
    {.name = "list", .proc = cmd_client_list, .arity = -2, .flags = CL_ADMIN | CMD_SENTINEL, .acl = CL_ACL,
     .since = "2.4.0", .summary = "Get the list of client connections",
     .complexity = "O(N) where N is the number of client connections", .tips = tips_nondeterministic},
    {.name = "kill", .proc = cmd_client_kill, .arity = -3, .flags = CL_ADMIN | CMD_SENTINEL, .acl = CL_ACL,
     .since = "2.4.0", .summary = "Kill the connection of a client",
     .complexity = "O(N) where N is the number of client connections"},
    {.name = "setname", .proc = cmd_client_setname, .arity = 3, .flags = CL_FLAGS | CMD_SENTINEL,
     .acl = CL_ACL, .since = "2.6.9", .summary = "Set the current connection name", .complexity = "O(1)"},
    {.name = "getname", .proc = cmd_client_getname, .arity = 2, .flags = CL_FLAGS | CMD_SENTINEL,
     .acl = CL_ACL, .since = "2.6.9", .summary = "Get the current connection name", .complexity = "O(1)"},
    {.name = "setinfo", .proc = cmd_client_setinfo, .arity = 4, .flags = CL_FLAGS | CMD_SENTINEL,
     .acl = CL_ACL, .since = "7.2.0", .summary = "Set client or connection specific info", .complexity = "O(1)"},
    {.name = "pause", .proc = cmd_client_pause, .arity = -3, .flags = CL_ADMIN | CMD_SENTINEL, .acl = CL_ACL,
     .since = "2.9.50", .summary = "Stop processing commands from clients for some time",
     .complexity = "O(1)"},
    {.name = "unpause", .proc = cmd_client_unpause, .arity = 2, .flags = CL_ADMIN | CMD_SENTINEL,
     .acl = CL_ACL, .since = "6.2.0", .summary = "Resume processing of clients that were paused",
     .complexity = "O(N) Where N is the number of paused clients"},
    {.name = "reply", .proc = cmd_client_reply, .arity = 3, .flags = CL_FLAGS | CMD_SENTINEL, .acl = CL_ACL,
     .since = "3.2.0", .summary = "Instruct the server whether to reply to commands", .complexity = "O(1)"},
    {.name = "no-evict", .proc = cmd_client_no_evict, .arity = 3, .flags = CL_ADMIN | CMD_SENTINEL,
     .acl = CL_ACL, .since = "7.0.0", .summary = "Set client eviction mode for the current connection",
     .complexity = "O(1)"},
    {.name = "no-touch", .proc = cmd_client_no_touch, .arity = 3, .flags = CL_FLAGS | CMD_SENTINEL,
     .acl = CL_ACL, .since = "7.2.0",
     .summary = "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.",
     .complexity = "O(1)"},
    {.name = "tracking", .proc = cmd_client_tracking, .arity = -3, .flags = CL_FLAGS | CMD_SENTINEL,
     .acl = CL_ACL, .since = "6.0.0", .summary = "Enable or disable server assisted client side caching support",
     .complexity = "O(1). Some options may introduce additional complexity."},
    {.name = "trackinginfo", .proc = cmd_client_trackinginfo, .arity = 2, .flags = CL_FLAGS | CMD_SENTINEL,
     .acl = CL_ACL, .since = "6.2.0",
     .summary = "Return information about server assisted client side caching for the current connection",
     .complexity = "O(1)"},
    {.name = "getredir", .proc = cmd_client_getredir, .arity = 2, .flags = CL_FLAGS | CMD_SENTINEL,
     .acl = CL_ACL, .since = "6.0.0", .summary = "Get tracking notifications redirection client ID if any",
     .complexity = "O(1)"},
    {.name = "caching", .proc = cmd_client_caching, .arity = 3, .flags = CL_FLAGS | CMD_SENTINEL,
     .acl = CL_ACL, .since = "6.0.0", .summary = "Instruct the server about tracking or not keys in the next request",
     .complexity = "O(1)"},
    {.name = "unblock", .proc = cmd_client_unblock, .arity = -3, .flags = CL_ADMIN | CMD_SENTINEL,
     .acl = CL_ACL, .since = "5.0.0",
     .summary = "Unblock a client blocked in a blocking command from a different connection",
     .complexity = "O(log N) where N is the number of client connections"},
    {.name = "help", .proc = cmd_client_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_SENTINEL,
     .acl = CL_ACL, .since = "5.0.0", .summary = "Show helpful text about the different subcommands",
     .complexity = "O(1)"},
    {.name = NULL},
};

static command_t client_commands[] = {
    {.name = "client", .arity = -2, .flags = CMD_SENTINEL, .acl = ACL_SLOW, .group = "connection",
     .since = "2.4.0", .summary = "A container for client connection commands",
     .complexity = "Depends on subcommand.", .subcommands = client_subcommands},
    {.name = "monitor", .proc = cmd_monitor, .arity = 1, .flags = CL_ADMIN, .acl = ACL_SLOW,
     .group = "server", .since = "1.0.0",
     .summary = "Listen for all requests received by the server in real time"},
    {.name = NULL},
};

void client_cmds_init(void) {
    command_register(client_commands);
    conn_on_reset(monitor_on_reset);
}
