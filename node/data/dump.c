/* DUMP, RESTORE and RESTORE-ASKING: one value as a self-checking RDB payload.
 *
 * Design notes:
 *  1. Payload layout (Redis 7.0 createDumpPayload, PROTOCOL.md §2.2):
 *       <type byte> <value as rdb_write_value writes it>
 *       <RDB version: 2 bytes LE> <CRC64: 8 bytes LE>
 *     The CRC covers everything before it, the version included.  Worked
 *     example, "hello": 00 | 05 'h' 'e' 'l' 'l' 'o' | 0a 00 | crc x8 = 18 bytes;
 *     the integer 42: 00 | c0 2a | 0a 00 | crc x8 = 13 bytes.  DUMP always
 *     computes the CRC (rdbchecksum does not apply, as in Redis) and
 *     compresses strings per rdbcompression, as rdbSaveRawString does.
 *  2. RESTORE checks in Redis's order, so that a command with several faults
 *     gets the same error as from Redis: options (syntax, IDLETIME, FREQ, in
 *     argument order), then BUSYKEY, then the TTL, then the footer (length >=
 *     10, version <= RDB_VERSION, CRC), then the value.  The CRC is always
 *     checked: Redis's DEBUG SET-SKIP-CHECKSUM-VALIDATION does not exist here.
 *  3. The value is read from the whole argument, footer included, as Redis's
 *     rioInitWithBuffer over the payload does: bytes left over after the value
 *     are not an error.  Any failure of rdb_read_value (corrupt data, a type
 *     byte that is no value type, a module value, a type Keel does not serve
 *     yet) is "ERR Bad data format"; the reason goes to the log at verbose
 *     level, as Redis's rdbReportError does in a RESTORE.
 *  4. TTL: 0 means none; it is relative unless ABSTTL.  relative + now wraps
 *     like Redis's signed addition does in practice, so a TTL near LLONG_MAX
 *     lands in the past and the key counts as already expired there too.
 *     An expired time on a master that is not loading (checkAlreadyExpired)
 *     creates nothing: with REPLACE the old key is deleted and DEL is
 *     propagated, otherwise nothing changed and nothing is propagated.
 *     A relative TTL is propagated as the absolute time: argv[2] replaced,
 *     "ABSTTL" appended after the other arguments (7.0.15 writes exactly
 *     "restore k <ms> <payload> replace ABSTTL" to its AOF).
 *  5. IDLETIME/FREQ follow objectSetLRUOrLFU: under an LFU policy only FREQ
 *     counts (kv->lru = minutes << 8 | freq), otherwise only IDLETIME counts
 *     (kv->lru = LRU clock at parse time - idle seconds, wrapped as 7.0.15
 *     does, see restore_set_lru; older releases used "clock + half its
 *     range" on underflow, 7.0 measurably does not).  The other option is
 *     accepted and ignored, as in Redis.  The values are written after
 *     db_add(), which initialises kv->lru for a new entry.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "db.h"
#include "kv.h"
#include "log.h"
#include "propagate.h"
#include "rdb.h"

#define CDB(c) ((db_t *)(c)->db)

#define DUMP_FOOTER_LEN 10 /* 2 bytes version + 8 bytes CRC64 */

static bool policy_is_lfu(void) {
    int p = server.cfg.maxmemory_policy;
    return p == MAXMEMORY_ALLKEYS_LFU || p == MAXMEMORY_VOLATILE_LFU;
}

/* ---- payload (note 1) --------------------------------------------------- */

/* Serialises kv into o, a fresh memory sink; the caller releases it with
 * rdb_out_free(). */
static void dump_payload_create(const kv_t *kv, rdb_out_t *o) {
    rdb_out_init_mem(o, false, server.cfg.rdbcompression);
    rdb_write_byte(o, (uint8_t)rdb_value_type(kv));
    rdb_write_value(o, kv);
    uint8_t footer[DUMP_FOOTER_LEN] = {RDB_VERSION & 0xff, (RDB_VERSION >> 8) & 0xff};
    rdb_write_raw(o, footer, 2);
    uint64_t crc = rdb_crc64(0, o->mem.p, o->mem.len);
    for (int i = 0; i < 8; i++) footer[2 + i] = (uint8_t)(crc >> (8 * i));
    rdb_write_raw(o, footer + 2, 8);
}

/* verifyDumpPayload: room for the footer, a version we can read, and the CRC
 * of everything before the CRC. */
static bool dump_payload_verify(const unsigned char *p, size_t n) {
    if (n < DUMP_FOOTER_LEN) return false;
    const unsigned char *footer = p + n - DUMP_FOOTER_LEN;
    unsigned version = (unsigned)footer[0] | (unsigned)footer[1] << 8;
    if (version > RDB_VERSION) return false;
    uint64_t want = 0;
    for (int i = 0; i < 8; i++) want |= (uint64_t)footer[2 + i] << (8 * i);
    return rdb_crc64(0, p, n - 8) == want;
}

/* The value of a verified payload as a new entry for key, or NULL (note 3). */
static kv_t *dump_payload_read(const char *key, size_t klen, const unsigned char *p, size_t n) {
    rdb_in_t in;
    rdb_in_init_mem(&in, p + 1, n - 1);
    kv_t *kv = NULL;
    char *err = NULL;
    int rc = rdb_read_value(&in, p[0], key, klen, &kv, &err);
    rdb_in_free(&in);
    if (rc != 0) {
        log_verbose("RESTORE: bad DUMP payload (type byte %u): %s", (unsigned)p[0],
                    err ? err : "unknown error");
        xfree(err);
        return NULL;
    }
    return kv;
}

/* ---- DUMP --------------------------------------------------------------- */

static void cmd_dump(client_t *c) {
    kv_t *kv = db_lookup_read(c, CDB(c), c->argv[1], c->argvlen[1]);
    if (!kv) {
        reply_null(c);
        return;
    }
    rdb_out_t o;
    dump_payload_create(kv, &o);
    reply_bulk(c, o.mem.p, o.mem.len);
    rdb_out_free(&o);
}

/* ---- RESTORE ------------------------------------------------------------ */

typedef struct restore_opts {
    bool replace, absttl;
    long long idle_s;   /* IDLETIME seconds; -1 if not given */
    long long freq;     /* FREQ 0..255; -1 if not given */
    uint32_t lru_clock; /* server.lru_clock when IDLETIME was parsed */
} restore_opts_t;

static bool parse_ll_or_reply(client_t *c, int j, long long *v) {
    if (str2ll(c->argv[j], c->argvlen[j], v)) return true;
    reply_error_not_int(c);
    return false;
}

/* Options from argv[4] on.  IDLETIME and FREQ exclude each other: the second
 * one is a syntax error, as is either without its value. */
static bool restore_parse_options(client_t *c, restore_opts_t *o) {
    *o = (restore_opts_t){.idle_s = -1, .freq = -1};
    for (int j = 4; j < c->argc; j++) {
        const char *a = c->argv[j];
        bool has_value = j + 1 < c->argc;
        if (!strcasecmp(a, "replace")) {
            o->replace = true;
        } else if (!strcasecmp(a, "absttl")) {
            o->absttl = true;
        } else if (!strcasecmp(a, "idletime") && has_value && o->freq == -1) {
            if (!parse_ll_or_reply(c, j + 1, &o->idle_s)) return false;
            if (o->idle_s < 0) {
                reply_error(c, "ERR Invalid IDLETIME value, must be >= 0");
                return false;
            }
            o->lru_clock = server.lru_clock;
            j++;
        } else if (!strcasecmp(a, "freq") && has_value && o->idle_s == -1) {
            if (!parse_ll_or_reply(c, j + 1, &o->freq)) return false;
            if (o->freq < 0 || o->freq > 255) {
                reply_error(c, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return false;
            }
            j++;
        } else {
            reply_error_syntax(c);
            return false;
        }
    }
    return true;
}

/* objectSetLRUOrLFU (note 5), with 7.0's arithmetic exactly: idle seconds
 * times 1000 / LRU_CLOCK_RES_MS (wrapping like Redis's long long product),
 * at = clock - idle, plus LRU_CLOCK_MAX once if negative, then cut to the
 * 24-bit field.  Worked example, clock 639474:
 *   IDLETIME 300        -> lru 639174,   OBJECT IDLETIME 300
 *   IDLETIME 1000000    -> 639474 - 1000000 + 16777215 = 16416689, reads 1000000
 *   IDLETIME 16777225   -> 639464, reads 10 (one period of the clock less)
 *   IDLETIME 20000000   -> -2583311 mod 2^24 = 14193905, reads 3222784 */
static void restore_set_lru(kv_t *kv, const restore_opts_t *o) {
    if (policy_is_lfu()) {
        if (o->freq >= 0) {
            uint32_t minutes = (uint32_t)((server.now_ms / 60000) & 65535);
            kv->lru = (minutes << 8) | (uint32_t)o->freq;
        }
    } else if (o->idle_s >= 0) {
        long long idle = (long long)((unsigned long long)o->idle_s * 1000u) / LRU_CLOCK_RES_MS;
        long long at = (long long)o->lru_clock - idle;
        if (at < 0) at += LRU_CLOCK_MAX;
        kv->lru = (uint32_t)((unsigned long long)at & 0xffffff);
    }
}

/* Propagates this RESTORE with argv[2] = at_ms and ABSTTL appended (note 4). */
static void restore_propagate_absttl(client_t *c, long long at_ms) {
    int n = c->argc + 1;
    const char **argv = xmalloc(sizeof(*argv) * (size_t)n);
    size_t *lens = xmalloc(sizeof(*lens) * (size_t)n);
    char ms[24];
    for (int i = 0; i < c->argc; i++) argv[i] = c->argv[i], lens[i] = c->argvlen[i];
    argv[2] = ms, lens[2] = ll2str(ms, at_ms);
    argv[n - 1] = "ABSTTL", lens[n - 1] = 6;
    propagate_rewrite(c, n, argv, lens);
    xfree(argv);
    xfree(lens);
}

/* RESTORE and RESTORE-ASKING (the asking flag matters in cluster mode only). */
static void cmd_restore(client_t *c) {
    restore_opts_t o;
    if (!restore_parse_options(c, &o)) return;

    db_t *db = CDB(c);
    const char *key = c->argv[1];
    size_t klen = c->argvlen[1];
    if (!o.replace && db_lookup_write(db, key, klen)) {
        reply_error(c, "BUSYKEY Target key name already exists.");
        return;
    }

    long long ttl;
    if (!parse_ll_or_reply(c, 2, &ttl)) return;
    if (ttl < 0) {
        reply_error(c, "ERR Invalid TTL value, must be >= 0");
        return;
    }

    const unsigned char *p = (const unsigned char *)c->argv[3];
    size_t n = c->argvlen[3];
    if (!dump_payload_verify(p, n)) {
        reply_error(c, "ERR DUMP payload version or checksum are wrong");
        return;
    }
    kv_t *kv = dump_payload_read(key, klen, p, n);
    if (!kv) {
        reply_error(c, "ERR Bad data format");
        return;
    }

    bool deleted = o.replace && db_delete(db, key, klen);
    if (ttl && !o.absttl)
        ttl = (long long)((unsigned long long)ttl + (unsigned long long)server.now_ms);
    if (ttl && ttl <= server.now_ms && !ks.is_replica && !server.loading) {
        kv_free(kv);
        if (deleted) {
            db_changed(db, key, klen, 1);
            db_notify(NOTIFY_GENERIC, "del", key, klen, c->db_index);
            const char *argv[2] = {"DEL", key};
            size_t lens[2] = {3, klen};
            propagate_rewrite(c, 2, argv, lens);
        }
        reply_ok(c);
        return;
    }

    db_add(db, kv);
    if (ttl) {
        kv = db_set_expire(db, kv, ttl);
        if (!o.absttl) restore_propagate_absttl(c, ttl);
    }
    restore_set_lru(kv, &o);
    db_changed(db, key, klen, 1);
    db_notify(NOTIFY_GENERIC, "restore", key, klen, c->db_index);
    reply_ok(c);
}

/* ---- table -------------------------------------------------------------- */

static const key_spec_t ks_dump[] = {
    {.flags = KS_RO | KS_ACCESS, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_restore[] = {
    {.flags = KS_OW | KS_UPDATE, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const char *const tips_nondet[] = {"nondeterministic_output", NULL};

#define KEY1 .first_key = 1, .last_key = 1, .key_step = 1
#define SPECS(s) .key_specs = s, .key_specs_count = (int)(sizeof(s) / sizeof(s[0]))

#define RESTORE_COMPLEXITY                                                                         \
    "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, "       \
    "where N is the number of Redis objects composing the value and M their average size. For "    \
    "small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply "     \
    "O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting "       \
    "values into sorted sets is O(log(N))."

static command_t dump_commands[] = {
    {.name = "dump",
     .proc = cmd_dump,
     .arity = 2,
     .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE | ACL_READ | ACL_SLOW,
     KEY1,
     SPECS(ks_dump),
     .group = "generic",
     .since = "2.6.0",
     .summary = "Return a serialized version of the value stored at the specified key.",
     .complexity = "O(1) to access the key and additional O(N*M) to serialize it, where N is the "
                   "number of Redis objects composing the value and M their average size. For "
                   "small string values the time complexity is thus O(1)+O(1*M) where M is "
                   "small, so simply O(1).",
     .tips = tips_nondet},
    {.name = "restore",
     .proc = cmd_restore,
     .arity = -4,
     .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_SLOW | ACL_DANGEROUS,
     KEY1,
     SPECS(ks_restore),
     .group = "generic",
     .since = "2.6.0",
     .summary = "Create a key using the provided serialized value, previously obtained using DUMP.",
     .complexity = RESTORE_COMPLEXITY},
    {.name = "restore-asking",
     .proc = cmd_restore,
     .arity = -4,
     .flags = CMD_WRITE | CMD_DENYOOM | CMD_ASKING,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_SLOW | ACL_DANGEROUS,
     KEY1,
     SPECS(ks_restore),
     .group = "server",
     .since = "3.0.0",
     .summary = "An internal command for migrating keys in a cluster",
     .complexity = RESTORE_COMPLEXITY},
    {.name = NULL},
};

void dump_init(void) { command_register(dump_commands); }
