/* Connection commands: PING ECHO QUIT SELECT AUTH HELLO RESET ACL WHOAMI.
 *
 * Authentication: only the "default" user exists until ACLs arrive; its
 * password is `requirepass` (none = nopass).  Passwords are compared in
 * constant time on their BLAKE2b digests, so neither content nor length
 * leaks through timing. */
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "pubsub.h"
#include "server.h"

#define KEEL_REDIS_COMPAT_VERSION "7.0.15"

static bool password_ok(const char *pass, size_t len) {
    const char *want = server.cfg.requirepass;
    if (!want) return true;
    unsigned char a[32], b[32];
    crypto_generichash(a, sizeof(a), (const unsigned char *)pass, len, NULL, 0);
    crypto_generichash(b, sizeof(b), (const unsigned char *)want, strlen(want), NULL, 0);
    return sodium_memcmp(a, b, sizeof(a)) == 0;
}

/* Returns true on success; otherwise replies with the error. */
static bool authenticate(client_t *c, const char *user, size_t ulen, const char *pass, size_t plen) {
    if (ulen == 7 && memcmp(user, "default", 7) == 0 && password_ok(pass, plen)) {
        c->authenticated = true;
        return true;
    }
    reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
    return false;
}

static void cmd_auth(client_t *c) {
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    if (c->argc == 2 && !server.cfg.requirepass) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the default user. "
                       "Are you sure your configuration is correct?");
        return;
    }
    const char *user = c->argc == 3 ? c->argv[1] : "default";
    size_t ulen = c->argc == 3 ? c->argvlen[1] : 7;
    if (authenticate(c, user, ulen, c->argv[c->argc - 1], c->argvlen[c->argc - 1])) reply_ok(c);
}

static void cmd_ping(client_t *c) {
    if (c->argc > 2) {
        reply_error_arity(c, "ping");
        return;
    }
    if ((c->flags & CLIENT_PUBSUB) && c->resp == 2) {
        reply_array(c, 2);
        reply_bulk(c, "pong", 4);
        if (c->argc == 2)
            reply_bulk(c, c->argv[1], c->argvlen[1]);
        else
            reply_bulk(c, "", 0);
        return;
    }
    if (c->argc == 2)
        reply_bulk(c, c->argv[1], c->argvlen[1]);
    else
        reply_raw(c, "+PONG\r\n", 7);
}

static void cmd_echo(client_t *c) { reply_bulk(c, c->argv[1], c->argvlen[1]); }

static void cmd_quit(client_t *c) {
    reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static void cmd_select(client_t *c) {
    long long id;
    if (!str2ll(c->argv[1], c->argvlen[1], &id)) {
        reply_error(c, "ERR value is not an integer or out of range");
        return;
    }
    if (server.cfg.cluster_enabled && id != 0) {
        reply_error(c, "ERR SELECT is not allowed in cluster mode");
        return;
    }
    if (id < 0 || id >= server.cfg.databases) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    client_set_db(c, (int)id);
    reply_ok(c);
}

static bool valid_client_name(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < '!' || s[i] > '~') return false;
    return true;
}

static void hello_reply(client_t *c) {
    reply_map(c, server.cfg.sentinel_mode ? 6 : 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, KEEL_REDIS_COMPAT_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, server.cfg.sentinel_mode ? "sentinel" : server.cfg.cluster_enabled ? "cluster" : "standalone");
    if (!server.cfg.sentinel_mode) {
        reply_bulk_cstr(c, "role");
        reply_bulk_cstr(c, server.cfg.replicaof_host ? "replica" : "master");
    }
    reply_bulk_cstr(c, "modules");
    reply_empty_array(c);
}

static void cmd_hello(client_t *c) {
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (!str2ll(c->argv[1], c->argvlen[1], &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        next = 2;
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const char *user = NULL, *pass = NULL, *name = NULL;
    size_t ulen = 0, plen = 0, nlen = 0;
    for (int i = next; i < c->argc; i++) {
        bool more = i + 1 < c->argc;
        if (!strcasecmp(c->argv[i], "AUTH") && i + 2 < c->argc) {
            user = c->argv[i + 1];
            ulen = c->argvlen[i + 1];
            pass = c->argv[i + 2];
            plen = c->argvlen[i + 2];
            i += 2;
        } else if (!strcasecmp(c->argv[i], "SETNAME") && more) {
            name = c->argv[i + 1];
            nlen = c->argvlen[i + 1];
            if (!valid_client_name(name, nlen)) {
                reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
            i++;
        } else {
            reply_errorf(c, "ERR Syntax error in HELLO option '%s'", c->argv[i]);
            return;
        }
    }
    if (user && !authenticate(c, user, ulen, pass, plen)) return;
    if (!c->authenticated) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                       "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
                       "select the RESP protocol version at the same time");
        return;
    }
    if (name) {
        xfree(c->name);
        c->name = nlen ? xstrndup(name, nlen) : NULL;
    }
    if (ver) c->resp = (int)ver;
    hello_reply(c);
}

static void (*reset_hooks[8])(client_t *c);
static int nreset_hooks;
void conn_on_reset(void (*fn)(client_t *c)) { reset_hooks[nreset_hooks++] = fn; }

static void cmd_reset(client_t *c) {
    for (int i = 0; i < nreset_hooks; i++) reset_hooks[i](c);
    pubsub_unsubscribe_all(c, 0);
    c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT | CLIENT_NO_EVICT |
                  CLIENT_NO_TOUCH | CLIENT_MONITOR);
    client_set_db(c, 0);
    c->resp = 2;
    xfree(c->name);
    c->name = NULL;
    c->authenticated = server.cfg.requirepass == NULL;
    reply_simple(c, "RESET");
}

/* READONLY / READWRITE only mean something in cluster mode (later issue). */
static void cmd_cluster_only(client_t *c) {
    reply_error(c, "ERR This instance has cluster support disabled");
}

static void cmd_acl_whoami(client_t *c) { reply_bulk_cstr(c, "default"); }

static void cmd_acl_help(client_t *c) {
    static const char *const lines[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Print this help.",
    };
    reply_lines(c, lines, sizeof(lines) / sizeof(lines[0]));
}

static command_t acl_subcommands[] = {
    {.name = "whoami", .proc = cmd_acl_whoami, .arity = 2,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SENTINEL,
     .acl = ACL_SLOW, .since = "6.0.0", .summary = "Returns the authenticated username of the current connection.",
     .complexity = "O(1)"},
    {.name = "help", .proc = cmd_acl_help, .arity = 2,
     .flags = CMD_LOADING | CMD_STALE | CMD_SENTINEL, .acl = ACL_SLOW, .since = "6.0.0",
     .summary = "Returns helpful text about the different subcommands.", .complexity = "O(1)"},
    {.name = NULL},
};

static command_t conn_commands[] = {
    {.name = "ping", .proc = cmd_ping, .arity = -1, .flags = CMD_FAST | CMD_SENTINEL,
     .acl = ACL_FAST | ACL_CONNECTION, .group = "connection", .since = "1.0.0",
     .summary = "Returns the server's liveliness response.", .complexity = "O(1)"},
    {.name = "echo", .proc = cmd_echo, .arity = 2, .flags = CMD_FAST | CMD_LOADING | CMD_STALE,
     .acl = ACL_FAST | ACL_CONNECTION,
     .group = "connection", .since = "1.0.0", .summary = "Returns the given string.", .complexity = "O(1)"},
    {.name = "quit", .proc = cmd_quit, .arity = -1,
     .flags = CMD_ALLOW_BUSY | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH,
     .acl = ACL_FAST | ACL_CONNECTION, .group = "connection", .since = "1.0.0",
     .summary = "Closes the connection.", .complexity = "O(1)"},
    {.name = "select", .proc = cmd_select, .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl = ACL_FAST | ACL_CONNECTION, .group = "connection", .since = "1.0.0",
     .summary = "Changes the selected database.", .complexity = "O(1)"},
    {.name = "auth", .proc = cmd_auth, .arity = -2,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_SENTINEL | CMD_ALLOW_BUSY,
     .acl = ACL_FAST | ACL_CONNECTION, .group = "connection", .since = "1.0.0",
     .summary = "Authenticates the connection.", .complexity = "O(N) where N is the number of passwords defined for the user"},
    {.name = "hello", .proc = cmd_hello, .arity = -1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_SENTINEL | CMD_ALLOW_BUSY,
     .acl = ACL_FAST | ACL_CONNECTION, .group = "connection", .since = "6.0.0",
     .summary = "Handshakes with the Redis server.", .complexity = "O(1)"},
    {.name = "reset", .proc = cmd_reset, .arity = 1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
     .acl = ACL_FAST | ACL_CONNECTION, .group = "connection", .since = "6.2.0",
     .summary = "Resets the connection.", .complexity = "O(1)"},
    {.name = "readonly", .proc = cmd_cluster_only, .arity = 1, .flags = CMD_FAST | CMD_LOADING | CMD_STALE,
     .acl = ACL_FAST | ACL_CONNECTION, .group = "cluster", .since = "3.0.0",
     .summary = "Enables read-only queries for a connection to a Redis Cluster replica node.", .complexity = "O(1)"},
    {.name = "readwrite", .proc = cmd_cluster_only, .arity = 1, .flags = CMD_FAST | CMD_LOADING | CMD_STALE,
     .acl = ACL_FAST | ACL_CONNECTION, .group = "cluster", .since = "3.0.0",
     .summary = "Enables read-write queries for a connection to a Redis Cluster replica node.", .complexity = "O(1)"},
    {.name = "acl", .arity = -2, .flags = CMD_SENTINEL, .acl = ACL_SLOW, .group = "server", .since = "6.0.0",
     .summary = "A container for Access List Control commands.", .complexity = "Depends on subcommand.",
     .subcommands = acl_subcommands},
    {.name = NULL},
};

void conn_cmds_init(void) { command_register(conn_commands); }
