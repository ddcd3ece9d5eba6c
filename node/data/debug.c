/* DEBUG: test and diagnosis helpers (SLEEP, OBJECT, POPULATE, DIGEST, PROTOCOL, ...).
 *
 * DEBUG is one command with arity -2 that dispatches on argv[1], as in Redis
 * (not a container: COMMAND shows it without subcommands).
 *
 * Design notes:
 *  1. Access: enable-debug-command yes allows everyone, local allows unix
 *     socket and loopback clients, no refuses, with Redis 7.0's error text.
 *     Redis refuses before execution; we refuse inside the command, so a
 *     refused DEBUG queued in MULTI fails at EXEC rather than at queue time.
 *     Our master link and fake clients are trusted.
 *  2. DIGEST is Redis's construction with BLAKE2b-160 (libsodium
 *     crypto_generichash, 20-byte output) in place of SHA1, so digests differ
 *     from Redis's but are stable, and equal for equal datasets whatever the
 *     insertion order:
 *       xor(d, data):  d ^= H(data)
 *       mix(d, data):  xor(d, data); d = H(d)
 *       per key:       k = 0; mix(k, key); mix(k, be32(type)); mix(k, value);
 *                      if it has a TTL, xor(k, "!!expire!!")
 *       dataset:       D = 0; per non-empty db: mix(D, be32(db id)), then
 *                      D ^= k for each key.
 *     An empty dataset is forty zeros, as in Redis.  Strings are mixed here;
 *     other types register a value digester with debug_register_digest()
 *     and use debug_digest_mix()/debug_digest_xor() as Redis's
 *     xorObjectDigest does for that type.  Until they do, a value of such a
 *     type contributes only its type.
 *  3. SLEEP blocks the loop thread on purpose (nanosleep), as Redis does: it
 *     exists to simulate a slow command.
 *  4. RELOAD saves dbfilename, empties the dataset and loads the file back
 *     (NOSAVE: load what is on disk; NOFLUSH: keep the dataset, so existing
 *     keys make the load fail as duplicates, as in Redis).  MERGE is refused.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "db.h"
#include "rdb.h"
#include "log.h"

void server_new_replid(char *out); /* server.c */

#define DIGEST_LEN 20

typedef void (*debug_digest_fn)(const kv_t *kv, unsigned char digest[DIGEST_LEN]);
void debug_register_digest(int type, debug_digest_fn fn);
void debug_digest_xor(unsigned char digest[DIGEST_LEN], const void *p, size_t n);
void debug_digest_mix(unsigned char digest[DIGEST_LEN], const void *p, size_t n);

static debug_digest_fn digesters[16];

/* ---- access (note 1) ---------------------------------------------------- */

static bool is_local_client(const client_t *c) {
    if (c->flags & CLIENT_UNIX) return true;
    const char *colon = strrchr(c->addr, ':');
    size_t iplen = colon ? (size_t)(colon - c->addr) : strlen(c->addr);
    char ip[64];
    if (iplen >= sizeof(ip)) return false;
    memcpy(ip, c->addr, iplen);
    ip[iplen] = '\0';
    if (!strcmp(ip, "::1")) return true;
    const char *v4 = !strncasecmp(ip, "::ffff:", 7) ? ip + 7 : ip;
    return !strncmp(v4, "127.", 4);
}

static bool debug_allowed(const client_t *c) {
    if (c->flags & (CLIENT_MASTER | CLIENT_FAKE)) return true;
    switch (server.cfg.enable_debug_command) {
    case PROTECTED_YES: return true;
    case PROTECTED_LOCAL: return is_local_client(c);
    default: return false;
    }
}

/* ---- digests (note 2) ------------------------------------------------------ */

void debug_register_digest(int type, debug_digest_fn fn) {
    if (type >= 0 && type < (int)(sizeof(digesters) / sizeof(digesters[0]))) digesters[type] = fn;
}

void debug_digest_xor(unsigned char digest[DIGEST_LEN], const void *p, size_t n) {
    unsigned char h[DIGEST_LEN];
    crypto_generichash(h, sizeof(h), p, n, NULL, 0);
    for (int i = 0; i < DIGEST_LEN; i++) digest[i] ^= h[i];
}

void debug_digest_mix(unsigned char digest[DIGEST_LEN], const void *p, size_t n) {
    debug_digest_xor(digest, p, n);
    unsigned char h[DIGEST_LEN];
    crypto_generichash(h, sizeof(h), digest, DIGEST_LEN, NULL, 0);
    memcpy(digest, h, DIGEST_LEN);
}

/* Redis's xorObjectDigest for one entry; `digest` starts as the key's mix. */
static void digest_value(const kv_t *kv, unsigned char digest[DIGEST_LEN]) {
    uint32_t type = htonl(kv->type);
    debug_digest_mix(digest, &type, sizeof(type));
    if (kv->type == OBJ_STRING) {
        char tmp[24];
        size_t n;
        const char *p = kv_str(kv, tmp, &n);
        debug_digest_mix(digest, p, n);
    } else if (digesters[kv->type]) { /* type is 4 bits: always in range */
        digesters[kv->type](kv, digest);
    }
    if (kv->has_exp) debug_digest_xor(digest, "!!expire!!", 10);
}

static void dataset_digest(unsigned char final[DIGEST_LEN]) {
    memset(final, 0, DIGEST_LEN);
    for (int j = 0; j < ks.ndbs; j++) {
        db_t *db = &ks.dbs[j];
        if (db_size(db) == 0) continue;
        uint32_t id = htonl((uint32_t)j);
        debug_digest_mix(final, &id, sizeof(id));
        ht_iter_t it;
        ht_iter_init(&it, &db->keys);
        for (ht_node_t *n; (n = ht_iter_next(&it));) {
            const kv_t *kv = (const kv_t *)n;
            unsigned char d[DIGEST_LEN] = {0};
            debug_digest_mix(d, kv_key(kv), kv->klen);
            digest_value(kv, d);
            for (int i = 0; i < DIGEST_LEN; i++) final[i] ^= d[i];
        }
        ht_iter_done(&it);
    }
}

static void reply_digest(client_t *c, const unsigned char d[DIGEST_LEN]) {
    char hex[DIGEST_LEN * 2 + 1];
    for (int i = 0; i < DIGEST_LEN; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    reply_simple(c, hex);
}

/* ---- subcommands ---------------------------------------------------------- */

static void debug_help(client_t *c) {
    static const char *const lines[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Options: NOSAVE",
        "    (load the file already on disk), NOFLUSH (do not empty the dataset first).",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Prints this help.",
    };
    reply_lines(c, lines, sizeof(lines) / sizeof(lines[0]));
}

static void debug_sleep(client_t *c) {
    double secs = strtod(c->argv[2], NULL);
    long long us = (long long)(secs * 1000000);
    if (us > 0) {
        struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    reply_ok(c);
}

/* Bytes of a string in an RDB file (without LZF, which we cannot predict). */
static size_t rdb_string_len(const char *p, size_t n) {
    long long v;
    if (n <= 11 && str2ll(p, n, &v)) {
        if (v >= -(1 << 7) && v <= (1 << 7) - 1) return 2;
        if (v >= -(1 << 15) && v <= (1 << 15) - 1) return 3;
        if (v >= -2147483647LL - 1 && v <= 2147483647LL) return 5;
    }
    size_t hdr = n < (1 << 6) ? 1 : n < (1 << 14) ? 2 : n <= 0xffffffffULL ? 5 : 9;
    return hdr + n;
}

static void debug_object(client_t *c) {
    kv_t *kv = db_peek(c->db, c->argv[2], c->argvlen[2]);
    if (!kv) {
        reply_error(c, "ERR no such key");
        return;
    }
    size_t serialized;
    if (kv->type == OBJ_STRING) {
        char tmp[24];
        size_t n;
        const char *p = kv_str(kv, tmp, &n);
        serialized = rdb_string_len(p, n);
    } else {
        serialized = kv_alloc_size(kv); /* an estimate until RDB exists */
    }
    char line[256];
    snprintf(line, sizeof(line),
             "Value at:%p refcount:1 encoding:%s serializedlength:%zu lru:%u lru_seconds_idle:%lld",
             (void *)kv, kv_encoding_name(kv->enc), serialized, (unsigned)kv->lru,
             kv_idle_ms(kv) / 1000);
    reply_simple(c, line);
}

/* DEBUG POPULATE's counts and sizes: any failure gets the same text. */
static bool positive_long(client_t *c, int idx, long long *out) {
    if (!str2ll(c->argv[idx], c->argvlen[idx], out) || *out < 0) {
        reply_error(c, "ERR value is out of range, must be positive");
        return false;
    }
    return true;
}

static void debug_populate(client_t *c) {
    long long count, valsize = 0;
    if (!positive_long(c, 2, &count)) return;
    if (c->argc == 5 && !positive_long(c, 4, &valsize)) return;
    const char *prefix = c->argc >= 4 ? c->argv[3] : "key";
    db_t *db = c->db;
    /* Values are "value:N", zero-padded or cut to valsize when one is given. */
    char *val = valsize ? xcalloc(1, (size_t)valsize) : NULL;
    for (long long j = 0; j < count; j++) {
        char key[128], text[64];
        int klen = snprintf(key, sizeof(key), "%s:%lld", prefix, j);
        if (klen >= (int)sizeof(key)) klen = (int)sizeof(key) - 1; /* truncated as Redis's buffer does */
        if (db_lookup_write(db, key, (size_t)klen)) continue;
        int tlen = snprintf(text, sizeof(text), "value:%lld", j);
        kv_t *kv;
        if (!valsize) {
            kv = kv_new_str(key, (size_t)klen, text, (size_t)tlen, false);
        } else {
            size_t k = (size_t)tlen < (size_t)valsize ? (size_t)tlen : (size_t)valsize;
            memcpy(val, text, k);
            kv = kv_new_str(key, (size_t)klen, val, (size_t)valsize, false);
            memset(val, 0, k);
        }
        db_add(db, kv);
        db_signal_modified(db, key, (size_t)klen);
    }
    xfree(val);
    reply_ok(c);
}

static void debug_digest(client_t *c) {
    unsigned char d[DIGEST_LEN];
    dataset_digest(d);
    reply_digest(c, d);
}

static void debug_digest_value(client_t *c) {
    reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        unsigned char d[DIGEST_LEN] = {0};
        kv_t *kv = db_peek(c->db, c->argv[j], c->argvlen[j]); /* expired keys count, as in Redis */
        if (kv) digest_value(kv, d);
        reply_digest(c, d);
    }
}

static void debug_change_repl_id(client_t *c) {
    log_warning("Changing replication IDs after receiving DEBUG change-repl-id");
    server_new_replid(server.replid);
    memset(server.replid2, '0', 40);
    server.replid2[40] = '\0';
    server.second_replid_offset = -1;
    reply_ok(c);
}

static void reply_bignum(client_t *c, const char *digits) {
    if (c->resp >= 3) {
        reply_raw(c, "(", 1);
        reply_raw(c, digits, strlen(digits));
        reply_raw(c, "\r\n", 2);
    } else {
        reply_bulk_cstr(c, digits);
    }
}

static void debug_protocol(client_t *c) {
    const char *t = c->argv[2];
    if (!strcasecmp(t, "string")) {
        reply_bulk_cstr(c, "Hello World");
    } else if (!strcasecmp(t, "integer")) {
        reply_int(c, 12345);
    } else if (!strcasecmp(t, "double")) {
        reply_double(c, 3.141);
    } else if (!strcasecmp(t, "bignum")) {
        reply_bignum(c, "1234567999999999999999999999999999999");
    } else if (!strcasecmp(t, "null")) {
        reply_null(c);
    } else if (!strcasecmp(t, "array")) {
        reply_array(c, 3);
        for (int j = 0; j < 3; j++) reply_int(c, j);
    } else if (!strcasecmp(t, "set")) {
        reply_set(c, 3);
        for (int j = 0; j < 3; j++) reply_int(c, j);
    } else if (!strcasecmp(t, "map")) {
        reply_map(c, 3);
        for (int j = 0; j < 3; j++) {
            reply_int(c, j);
            reply_bool(c, j == 1);
        }
    } else if (!strcasecmp(t, "attrib")) {
        if (c->resp >= 3) {
            reply_attribute(c, 1);
            reply_bulk_cstr(c, "key-popularity");
            reply_array(c, 2);
            reply_bulk_cstr(c, "key:123");
            reply_int(c, 90);
        }
        /* Attributes are not replies: a real one follows. */
        reply_bulk_cstr(c, "Some real reply following the attribute");
    } else if (!strcasecmp(t, "push")) {
        if (c->resp < 3) {
            reply_error(c, "ERR RESP2 is not supported by this command");
            return;
        }
        reply_push(c, 2);
        reply_bulk_cstr(c, "server-cpu-usage");
        reply_int(c, 42);
        reply_bulk_cstr(c, "Some real reply following the push reply");
    } else if (!strcasecmp(t, "true")) {
        reply_bool(c, 1);
    } else if (!strcasecmp(t, "false")) {
        reply_bool(c, 0);
    } else if (!strcasecmp(t, "verbatim")) {
        reply_verbatim(c, "This is a verbatim\nstring", 25, "txt");
    } else {
        reply_error(c, "ERR Wrong protocol type name. Please use one of the following: "
                       "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
    }
}

static void debug_set_active_expire(client_t *c) {
    ks.active_expire_enabled = atoi(c->argv[2]) != 0;
    reply_ok(c);
}

static void debug_error(client_t *c) { reply_error_len(c, c->argv[2], c->argvlen[2]); }

static void debug_log(client_t *c) {
    log_warning("DEBUG LOG: %s", c->argv[2]);
    reply_ok(c);
}

static void debug_reload(client_t *c) {
    bool save = true, flush = true;
    for (int i = 2; i < c->argc; i++) {
        if (!strcasecmp(c->argv[i], "nosave")) save = false;
        else if (!strcasecmp(c->argv[i], "noflush")) flush = false;
        else if (!strcasecmp(c->argv[i], "merge")) {
            reply_error(c, "ERR DEBUG RELOAD MERGE is not supported by this server");
            return;
        } else {
            reply_error(c, "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    char *err = NULL;
    if (save) {
        rdb_save_info_t rsi = {.repl_stream_db = -1};
        if (rdb_save_file(server.cfg.dbfilename, &rsi, server.cfg.rdbchecksum, server.cfg.rdbcompression, &err)) {
            log_warning("DEBUG RELOAD: %s", err ? err : "save failed");
            xfree(err);
            reply_error(c, "ERR Error trying to save the DB");
            return;
        }
    }
    if (flush) db_flush(-1);
    rdb_load_info_t info;
    bool was_loading = server.loading;
    server.loading = true;
    int rc = rdb_load_file(server.cfg.dbfilename, RDB_LOAD_INSERT, &info, NULL, NULL, &err);
    server.loading = was_loading;
    if (rc) {
        log_warning("DEBUG RELOAD: %s", err ? err : "load failed");
        xfree(err);
        reply_error(c, "ERR Error trying to load the RDB dump, check server logs.");
        return;
    }
    log_notice("DB reloaded by DEBUG RELOAD");
    reply_ok(c);
}

typedef struct debug_sub {
    const char *name;
    int min_argc, max_argc; /* whole command, DEBUG included; max -1 = unbounded */
    void (*fn)(client_t *c);
} debug_sub_t;

static const debug_sub_t debug_subs[] = {
    {"help", 2, 2, debug_help},
    {"sleep", 3, 3, debug_sleep},
    {"object", 3, 3, debug_object},
    {"populate", 3, 5, debug_populate},
    {"digest", 2, 2, debug_digest},
    {"digest-value", 2, -1, debug_digest_value},
    {"change-repl-id", 2, 2, debug_change_repl_id},
    {"protocol", 3, 3, debug_protocol},
    {"set-active-expire", 3, 3, debug_set_active_expire},
    {"error", 3, 3, debug_error},
    {"log", 3, 3, debug_log},
    {"reload", 2, -1, debug_reload},
    {NULL, 0, 0, NULL},
};

static void cmd_debug(client_t *c) {
    if (!debug_allowed(c)) {
        reply_error(c, "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
                       "\"local\", you can run it from a local connection, otherwise you need to set "
                       "this option in the configuration file, and then restart the server.");
        return;
    }
    for (const debug_sub_t *s = debug_subs; s->name; s++) {
        if (strcasecmp(c->argv[1], s->name) != 0) continue;
        if (c->argc < s->min_argc || (s->max_argc >= 0 && c->argc > s->max_argc)) break;
        s->fn(c);
        return;
    }
    reply_error_subcommand_syntax(c);
}

static command_t debug_commands[] = {
    {.name = "debug", .proc = cmd_debug, .arity = -2,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_PROTECTED, .acl = ACL_SLOW,
     .group = "server", .since = "1.0.0", .summary = "A container for debugging commands",
     .complexity = "Depends on subcommand."},
    {.name = NULL},
};

void debug_init(void) { command_register(debug_commands); }
