/* Generic keyspace commands: DEL UNLINK EXISTS TYPE TOUCH RENAME RENAMENX MOVE
 * COPY KEYS SCAN RANDOMKEY, the expire family, DBSIZE FLUSHDB FLUSHALL SWAPDB,
 * OBJECT and MEMORY, plus the "keyspace" INFO section.
 *
 * Behaviour, replies and error texts follow Redis 7.0 (db.c, expire.c,
 * object.c); every change calls db_changed() (WATCH + dirty) and db_notify()
 * with Redis's event names.
 *
 * Design notes:
 *  1. The key lives inside its entry (kv.h), so RENAME builds a new entry
 *     under the new name and hands the value over (kv_rekey below: a raw
 *     string or an aggregate keeps its value pointer, so RENAME stays O(1));
 *     MOVE relinks the very same entry into the other db (same key, same
 *     allocation); COPY duplicates the value deeply.  In all three the expire
 *     time travels with the value.
 *  2. SCAN: ht_scan's callback must not change the table, so the callback
 *     only copies key bytes; filtering by pattern, type and expiry (which may
 *     delete expired keys on a master, as Redis's scan does) happens after
 *     the last ht_scan call of the command.
 *  3. Reads that Redis performs with LOOKUP_NOTOUCH (EXISTS, TYPE, TTL and
 *     friends) go through lookup_notouch(): db_lookup_read() with the
 *     client's NO-TOUCH flag forced on, so hit/miss statistics and lazy
 *     expiry still happen but the LRU/LFU clock is left alone.  OBJECT and
 *     MEMORY USAGE have no side effects at all (db_peek).
 *  4. Lazy free is not implemented yet: UNLINK and FLUSHDB/FLUSHALL ASYNC free
 *     synchronously, on the loop thread.
 *  5. Propagation (replication/AOF) does not exist yet.  When it arrives, an
 *     EXPIRE whose time is already past must propagate as DEL, as Redis
 *     rewrites the command (see expire_generic).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "db.h"
#include "propagate.h"
#include "save.h"
#include "kv.h"

#ifdef KEEL_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#define CDB(c) ((db_t *)(c)->db)

/* Redis shares the integer objects 0..9999 (OBJ_SHARED_INTEGERS) and reports
 * their refcount as INT_MAX (OBJ_SHARED_REFCOUNT). */
#define SHARED_INTEGERS 10000
#define SHARED_REFCOUNT 2147483647LL
/* The longest string Redis stores as "embstr" (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
#define EMBSTR_SIZE_LIMIT 44

static size_t startup_allocated; /* bytes allocated when keys_init() ran */

/* ---- helpers ------------------------------------------------------------ */

static bool policy_is_lfu(void) {
    int p = server.cfg.maxmemory_policy;
    return p == MAXMEMORY_ALLKEYS_LFU || p == MAXMEMORY_VOLATILE_LFU;
}

static bool policy_is_lru_or_lfu(void) {
    int p = server.cfg.maxmemory_policy;
    return policy_is_lfu() || p == MAXMEMORY_ALLKEYS_LRU || p == MAXMEMORY_VOLATILE_LRU;
}

/* A read lookup without touching LRU/LFU (Redis's LOOKUP_NOTOUCH): stats,
 * keymiss events and lazy expiry as db_lookup_read(). */
static kv_t *lookup_notouch(client_t *c, db_t *db, const char *key, size_t klen) {
    uint32_t saved = c->flags & CLIENT_NO_TOUCH;
    c->flags |= CLIENT_NO_TOUCH;
    kv_t *kv = db_lookup_read(c, db, key, klen);
    c->flags = (c->flags & ~(uint32_t)CLIENT_NO_TOUCH) | saved;
    return kv;
}

/* Redis's getIntFromObjectOrReply(): a strict integer that fits an int.
 * On failure replies "ERR <msg>", or without msg Redis's two texts (not an
 * integer / out of the int range). */
static bool parse_int_arg(client_t *c, int i, const char *msg, int *out) {
    long long v;
    bool is_int = str2ll(c->argv[i], c->argvlen[i], &v);
    if (!is_int || v < INT_MIN || v > INT_MAX) {
        if (msg)
            reply_errorf(c, "ERR %s", msg);
        else if (!is_int)
            reply_error_not_int(c);
        else
            reply_errorf(c, "ERR value is out of range, value must between %d and %d", INT_MIN, INT_MAX);
        return false;
    }
    *out = (int)v;
    return true;
}

static bool same_bytes(const char *a, size_t alen, const char *b, size_t blen) {
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* Takes ownership of `old` (already unlinked from its db) and returns an
 * equivalent entry under `key` with the same value, expire and LRU/LFU data.
 * Raw strings and aggregates hand their value pointer over; embedded and
 * integer strings are copied (they are small).  Either way only old's own
 * allocation is left, and it is released with xfree (kv_free would free the
 * value that now belongs to the new entry). */
static kv_t *kv_rekey(kv_t *old, const char *key, size_t klen) {
    bool has_exp = old->has_exp;
    kv_t *nw;
    if (old->type != OBJ_STRING || old->enc == ENC_RAW) {
        nw = kv_new_obj(key, klen, (int)old->type, (int)old->enc, old->v.ptr, has_exp);
        nw->lru = old->lru;
    } else {
        nw = kv_dup_as(old, key, klen, has_exp, false);
    }
    if (has_exp) kv_exp(nw)->at_ms = kv_exp(old)->at_ms;
    xfree(old);
    return nw;
}

/* db_add() starts a new value's LRU/LFU clock; a renamed or moved value keeps
 * its own, as in Redis, where the very same object changes name or db. */
static void add_keeping_lru(db_t *db, kv_t *kv) {
    uint32_t lru = kv->lru;
    db_add(db, kv);
    kv->lru = lru;
}

#ifdef KEEL_JEMALLOC
/* Returns unused dirty pages of every arena to the OS (Redis's jemalloc_purge). */
static int allocator_purge(void) {
    char name[32];
    snprintf(name, sizeof(name), "arena.%u.purge", (unsigned)MALLCTL_ARENAS_ALL);
    return mallctl(name, NULL, NULL, NULL, 0) == 0 ? 0 : -1;
}
#else
static int allocator_purge(void) { return 0; }
#endif

/* ---- DEL / UNLINK / EXISTS / TYPE / TOUCH -------------------------------- */

static void del_generic(client_t *c) {
    db_t *db = CDB(c);
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        const char *key = c->argv[j];
        size_t klen = c->argvlen[j];
        kv_t *kv = db_peek(db, key, klen);
        if (!kv) continue;
        /* An expired key is deleted (and counted) as "expired" on a master,
         * not by this command; a replica keeps it, so the DEL removes it. */
        db_expire_if_needed(db, kv);
        if (db_delete(db, key, klen)) {
            db_changed(db, key, klen, 1);
            db_notify(NOTIFY_GENERIC, "del", key, klen, c->db_index);
            deleted++;
        }
    }
    reply_int(c, deleted);
}

static void cmd_del(client_t *c) { del_generic(c); }

/* Lazy free comes later: UNLINK frees on the loop thread for now, so it
 * behaves exactly as DEL. */
static void cmd_unlink(client_t *c) { del_generic(c); }

static void cmd_exists(client_t *c) {
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (lookup_notouch(c, CDB(c), c->argv[j], c->argvlen[j])) n++;
    reply_int(c, n);
}

static void cmd_type(client_t *c) {
    kv_t *kv = lookup_notouch(c, CDB(c), c->argv[1], c->argvlen[1]);
    reply_simple(c, kv ? kv_type_name((int)kv->type) : "none");
}

static void cmd_touch(client_t *c) {
    /* TOUCH touches even for a CLIENT NO-TOUCH client: that is its purpose. */
    uint32_t saved = c->flags & CLIENT_NO_TOUCH;
    c->flags &= ~(uint32_t)CLIENT_NO_TOUCH;
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (db_lookup_read(c, CDB(c), c->argv[j], c->argvlen[j])) n++;
    c->flags |= saved;
    reply_int(c, n);
}

/* ---- RENAME / RENAMENX / MOVE / COPY ------------------------------------- */

static void rename_generic(client_t *c, bool nx) {
    db_t *db = CDB(c);
    const char *src = c->argv[1], *dst = c->argv[2];
    size_t slen = c->argvlen[1], dlen = c->argvlen[2];
    if (!db_lookup_write(db, src, slen)) {
        reply_error(c, "ERR no such key");
        return;
    }
    /* Same name: nothing changes, but a missing key was still an error. */
    if (same_bytes(src, slen, dst, dlen)) {
        if (nx)
            reply_int(c, 0);
        else
            reply_ok(c);
        return;
    }
    if (db_lookup_write(db, dst, dlen)) {
        if (nx) {
            reply_int(c, 0);
            return;
        }
        db_delete(db, dst, dlen); /* overwritten: no "del" event, as Redis */
    }
    kv_t *old = db_unlink(db, src, slen);
    add_keeping_lru(db, kv_rekey(old, dst, dlen));
    db_changed(db, src, slen, 1);
    db_changed(db, dst, dlen, 0); /* one change: dirty was bumped above */
    db_notify(NOTIFY_GENERIC, "rename_from", src, slen, c->db_index);
    db_notify(NOTIFY_GENERIC, "rename_to", dst, dlen, c->db_index);
    if (nx)
        reply_int(c, 1);
    else
        reply_ok(c);
}

static void cmd_rename(client_t *c) { rename_generic(c, false); }
static void cmd_renamenx(client_t *c) { rename_generic(c, true); }

static void cmd_move(client_t *c) {
    if (server.cfg.cluster_enabled) {
        reply_error(c, "ERR MOVE is not allowed in cluster mode");
        return;
    }
    db_t *src = CDB(c);
    int dbid;
    if (!parse_int_arg(c, 2, NULL, &dbid)) return;
    db_t *dst = db_get(dbid);
    if (!dst) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    if (dst == src) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    const char *key = c->argv[1];
    size_t klen = c->argvlen[1];
    if (!db_lookup_write(src, key, klen) || db_lookup_write(dst, key, klen)) {
        reply_int(c, 0);
        return;
    }
    /* Same key: the entry itself (value and expire) changes db. */
    add_keeping_lru(dst, db_unlink(src, key, klen));
    db_changed(src, key, klen, 1);
    db_changed(dst, key, klen, 0);
    db_notify(NOTIFY_GENERIC, "move_from", key, klen, src->id);
    db_notify(NOTIFY_GENERIC, "move_to", key, klen, dst->id);
    reply_int(c, 1);
}

static void cmd_copy(client_t *c) {
    db_t *src = CDB(c), *dst = CDB(c);
    int dbid = c->db_index;
    bool replace = false;
    for (int j = 3; j < c->argc; j++) {
        int additional = c->argc - j - 1;
        if (!strcasecmp(c->argv[j], "replace")) {
            replace = true;
        } else if (!strcasecmp(c->argv[j], "db") && additional >= 1) {
            if (!parse_int_arg(c, j + 1, NULL, &dbid)) return;
            dst = db_get(dbid);
            if (!dst) {
                reply_error(c, "ERR DB index is out of range");
                return;
            }
            j++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (server.cfg.cluster_enabled && (c->db_index != 0 || dbid != 0)) {
        reply_error(c, "ERR Copying to another database is not allowed in cluster mode");
        return;
    }
    const char *key = c->argv[1], *newkey = c->argv[2];
    size_t klen = c->argvlen[1], nlen = c->argvlen[2];
    if (src == dst && same_bytes(key, klen, newkey, nlen)) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    kv_t *kv = db_lookup_read(c, src, key, klen);
    if (!kv) {
        reply_int(c, 0);
        return;
    }
    bool overwrite = false;
    if (db_lookup_write(dst, newkey, nlen)) {
        if (!replace) {
            reply_int(c, 0);
            return;
        }
        overwrite = true;
    }
    kv_t *copy = kv_dup_as(kv, newkey, nlen, kv->has_exp, true);
    if (kv->has_exp) kv_exp(copy)->at_ms = kv_exp(kv)->at_ms;
    if (overwrite) db_delete(dst, newkey, nlen);
    db_add(dst, copy);
    db_changed(dst, newkey, nlen, 1);
    db_notify(NOTIFY_GENERIC, "copy_to", newkey, nlen, dst->id);
    reply_int(c, 1);
}

/* ---- KEYS / SCAN / RANDOMKEY --------------------------------------------- */

static void cmd_keys(client_t *c) {
    db_t *db = CDB(c);
    const char *pat = c->argv[1];
    size_t plen = c->argvlen[1];
    bool allkeys = plen == 1 && pat[0] == '*';
    void *len = reply_defer_len(c);
    long long n = 0;
    ht_iter_t it;
    ht_iter_init(&it, &db->keys);
    ht_node_t *node;
    while ((node = ht_iter_next(&it)) != NULL) {
        const kv_t *kv = (const kv_t *)node;
        if (!allkeys && !glob_match(pat, plen, kv_key(kv), kv->klen, false)) continue;
        if (db_kv_expired(kv, server.now_ms)) continue; /* hidden, not deleted */
        reply_bulk(c, kv_key(kv), kv->klen);
        n++;
    }
    ht_iter_done(&it);
    reply_set_deferred_array(c, len, n);
}

/* Keys collected by one SCAN call: bytes in `arena`, spans in `items`. */
typedef struct scan_acc {
    buf_t arena;
    struct scan_item {
        size_t off, len;
    } *items;
    size_t n, cap;
} scan_acc_t;

static void scan_collect(ht_node_t *node, void *ud) {
    scan_acc_t *acc = ud;
    const kv_t *kv = (const kv_t *)node;
    if (acc->n == acc->cap) {
        acc->cap = acc->cap ? acc->cap * 2 : 16;
        acc->items = xrealloc(acc->items, acc->cap * sizeof(*acc->items));
    }
    acc->items[acc->n].off = acc->arena.len;
    acc->items[acc->n].len = kv->klen;
    acc->n++;
    buf_append(&acc->arena, kv_key(kv), kv->klen);
}

/* Redis's parseScanCursorOrReply(): strtoul semantics over the whole argument. */
static bool parse_scan_cursor(client_t *c, const char *s, size_t len, uint64_t *cursor) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (isspace((unsigned char)s[0]) || end != s + len || errno == ERANGE) {
        reply_error(c, "ERR invalid cursor");
        return false;
    }
    *cursor = v;
    return true;
}

static void cmd_scan(client_t *c) {
    db_t *db = CDB(c);
    uint64_t cursor;
    if (!parse_scan_cursor(c, c->argv[1], c->argvlen[1], &cursor)) return;

    long long count = 10;
    const char *pat = NULL, *type = NULL;
    size_t plen = 0;
    for (int i = 2; i < c->argc; i += 2) {
        bool has_arg = c->argc - i >= 2;
        if (!strcasecmp(c->argv[i], "count") && has_arg) {
            if (!str2ll(c->argv[i + 1], c->argvlen[i + 1], &count)) {
                reply_error_not_int(c);
                return;
            }
            if (count < 1) {
                reply_error_syntax(c);
                return;
            }
        } else if (!strcasecmp(c->argv[i], "match") && has_arg) {
            pat = c->argv[i + 1];
            plen = c->argvlen[i + 1];
        } else if (!strcasecmp(c->argv[i], "type") && has_arg) {
            type = c->argv[i + 1];
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    bool use_pattern = pat && !(plen == 1 && pat[0] == '*');

    /* Visit buckets until COUNT keys are gathered; at most 10*COUNT calls so
     * a sparse table cannot stall the server (Redis's maxiterations). */
    scan_acc_t acc = {BUF_INIT, NULL, 0, 0};
    long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = ht_scan(&db->keys, cursor, scan_collect, &acc);
    } while (cursor && maxiter-- && acc.n < (unsigned long long)count);

    /* Filter in place: keep items[0..kept). */
    size_t kept = 0;
    for (size_t i = 0; i < acc.n; i++) {
        const char *key = acc.arena.p + acc.items[i].off;
        size_t klen = acc.items[i].len;
        if (use_pattern && !glob_match(pat, plen, key, klen, false)) continue;
        if (type) {
            kv_t *kv = lookup_notouch(c, db, key, klen);
            if (strcasecmp(type, kv ? kv_type_name((int)kv->type) : "none") != 0) continue;
        }
        kv_t *kv = db_peek(db, key, klen);
        if (!kv || db_expire_if_needed(db, kv)) continue; /* deletes on a master */
        acc.items[kept++] = acc.items[i];
    }

    char num[24];
    reply_array(c, 2);
    reply_bulk(c, num, ull2str(num, cursor));
    reply_array(c, (long long)kept);
    for (size_t i = 0; i < kept; i++) reply_bulk(c, acc.arena.p + acc.items[i].off, acc.items[i].len);
    buf_free(&acc.arena);
    xfree(acc.items);
}

static void cmd_randomkey(client_t *c) {
    kv_t *kv = db_random_key(CDB(c));
    if (kv)
        reply_bulk(c, kv_key(kv), kv->klen);
    else
        reply_null(c);
}

/* ---- expire family ------------------------------------------------------- */

enum { EXP_NX = 1 << 0, EXP_XX = 1 << 1, EXP_GT = 1 << 2, EXP_LT = 1 << 3 };

static bool parse_expire_flags(client_t *c, int *flags) {
    *flags = 0;
    for (int j = 3; j < c->argc; j++) {
        const char *o = c->argv[j];
        if (!strcasecmp(o, "nx")) *flags |= EXP_NX;
        else if (!strcasecmp(o, "xx")) *flags |= EXP_XX;
        else if (!strcasecmp(o, "gt")) *flags |= EXP_GT;
        else if (!strcasecmp(o, "lt")) *flags |= EXP_LT;
        else {
            reply_errorf(c, "ERR Unsupported option %s", o);
            return false;
        }
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return false;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return false;
    }
    return true;
}

/* Does the NX/XX/GT/LT condition allow replacing cur (-1 = none) by when?
 * No TTL counts as infinite: GT never passes it, LT always does. */
static bool expire_flags_allow(int flags, int64_t cur, int64_t when) {
    if ((flags & EXP_NX) && cur != -1) return false;
    if ((flags & EXP_XX) && cur == -1) return false;
    if ((flags & EXP_GT) && (cur == -1 || when <= cur)) return false;
    if ((flags & EXP_LT) && cur != -1 && when >= cur) return false;
    return true;
}

/* EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: argv[2] is a time in seconds or ms,
 * relative to basetime_ms (now, or 0 for the *AT forms).  Negative values
 * are allowed; only overflow is refused, e.g. EXPIRE k 9223372036854775807
 * overflows the conversion to ms. */
static void expire_generic(client_t *c, int64_t basetime_ms, bool seconds, const char *name) {
    int flags;
    if (!parse_expire_flags(c, &flags)) return;
    long long when;
    if (!str2ll(c->argv[2], c->argvlen[2], &when)) {
        reply_error_not_int(c);
        return;
    }
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            reply_errorf(c, "ERR invalid expire time in '%s' command", name);
            return;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime_ms) {
        reply_errorf(c, "ERR invalid expire time in '%s' command", name);
        return;
    }
    when += basetime_ms;

    db_t *db = CDB(c);
    const char *key = c->argv[1];
    size_t klen = c->argvlen[1];
    kv_t *kv = db_lookup_write(db, key, klen);
    if (!kv || !expire_flags_allow(flags, kv_expire_at(kv), when)) {
        reply_int(c, 0);
        return;
    }
    if (when <= server.now_ms && !ks.is_replica && !server.loading) {
        /* Already in the past: the key goes now and is propagated as DEL (or
         * UNLINK); a replica instead stores the time and waits for that DEL,
         * and an AOF being loaded keeps it for the DEL that follows. */
        bool lazy = server.cfg.lazyfree_lazy_expire;
        db_delete(db, key, klen);
        db_changed(db, key, klen, 1);
        db_notify(NOTIFY_GENERIC, "del", key, klen, c->db_index);
        const char *argv[2] = {lazy ? "UNLINK" : "DEL", key};
        size_t lens[2] = {lazy ? 6 : 3, klen};
        propagate_rewrite(c, 2, argv, lens);
    } else {
        db_set_expire(db, kv, when); /* kv may move: not used afterwards */
        db_changed(db, key, klen, 1);
        db_notify(NOTIFY_GENERIC, "expire", key, klen, c->db_index);
        /* Replicas and the AOF get the absolute time: PEXPIREAT key ms [flags]. */
        char ms[24];
        const char *argv[8];
        size_t lens[8];
        int n = c->argc < 8 ? c->argc : 8;
        for (int i = 0; i < n; i++) argv[i] = c->argv[i], lens[i] = c->argvlen[i];
        argv[0] = "PEXPIREAT", lens[0] = 9;
        argv[2] = ms, lens[2] = ll2str(ms, when);
        propagate_rewrite(c, n, argv, lens);
    }
    reply_int(c, 1);
}

static void cmd_expire(client_t *c) { expire_generic(c, server.now_ms, true, "expire"); }
static void cmd_pexpire(client_t *c) { expire_generic(c, server.now_ms, false, "pexpire"); }
static void cmd_expireat(client_t *c) { expire_generic(c, 0, true, "expireat"); }
static void cmd_pexpireat(client_t *c) { expire_generic(c, 0, false, "pexpireat"); }

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 missing, -1 no expire; seconds are
 * rounded to nearest ((ms + 500) / 1000), as Redis does. */
static void ttl_generic(client_t *c, bool ms, bool absolute) {
    kv_t *kv = lookup_notouch(c, CDB(c), c->argv[1], c->argvlen[1]);
    if (!kv) {
        reply_int(c, -2);
        return;
    }
    if (!kv->has_exp) {
        reply_int(c, -1);
        return;
    }
    long long t = kv_exp(kv)->at_ms;
    if (!absolute) t -= server.now_ms;
    if (t < 0) t = 0;
    reply_int(c, ms ? t : (t + 500) / 1000);
}

static void cmd_ttl(client_t *c) { ttl_generic(c, false, false); }
static void cmd_pttl(client_t *c) { ttl_generic(c, true, false); }
static void cmd_expiretime(client_t *c) { ttl_generic(c, false, true); }
static void cmd_pexpiretime(client_t *c) { ttl_generic(c, true, true); }

static void cmd_persist(client_t *c) {
    db_t *db = CDB(c);
    const char *key = c->argv[1];
    size_t klen = c->argvlen[1];
    kv_t *kv = db_lookup_write(db, key, klen);
    if (!kv || !kv->has_exp) {
        reply_int(c, 0);
        return;
    }
    db_remove_expire(db, kv);
    db_changed(db, key, klen, 1);
    db_notify(NOTIFY_GENERIC, "persist", key, klen, c->db_index);
    reply_int(c, 1);
}

/* ---- DBSIZE / FLUSHDB / FLUSHALL / SWAPDB -------------------------------- */

static void cmd_dbsize(client_t *c) { reply_int(c, (long long)db_size(CDB(c))); }

/* [ASYNC|SYNC]; no argument follows lazyfree-lazy-user-flush. */
static bool parse_flush_async(client_t *c, bool *async) {
    if (c->argc == 1) {
        *async = server.cfg.lazyfree_lazy_user_flush;
    } else if (c->argc == 2 && !strcasecmp(c->argv[1], "sync")) {
        *async = false;
    } else if (c->argc == 2 && !strcasecmp(c->argv[1], "async")) {
        *async = true;
    } else {
        reply_error_syntax(c);
        return false;
    }
    return true;
}

/* Lazy free comes later: ASYNC is accepted but the keys are freed right here
 * on the loop thread, exactly as SYNC.  After a SYNC flush the allocator's
 * dirty pages are returned to the OS, as Redis does with jemalloc. */
static void flush_generic(client_t *c, int dbid) {
    bool async;
    if (!parse_flush_async(c, &async)) return;
    server.dirty += db_flush(dbid);
    if (dbid == -1) {
        /* Redis's flushAllDataAndResetRDB: a running BGSAVE is stale, and
         * with save points the empty dataset is saved at once. */
        save_after_flushall();
        server.dirty++;
    }
    /* Replicas and the AOF get it even when the dbs were already empty. */
    propagate_force(c, PROP_ALL);
    reply_ok(c);
    if (!async) allocator_purge();
}

static void cmd_flushdb(client_t *c) { flush_generic(c, c->db_index); }
static void cmd_flushall(client_t *c) { flush_generic(c, -1); }

static void cmd_swapdb(client_t *c) {
    if (server.cfg.cluster_enabled) {
        reply_error(c, "ERR SWAPDB is not allowed in cluster mode");
        return;
    }
    int a, b;
    if (!parse_int_arg(c, 1, "invalid first DB index", &a)) return;
    if (!parse_int_arg(c, 2, "invalid second DB index", &b)) return;
    if (!db_get(a) || !db_get(b)) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    /* Clients keep their db_t pointer: the contents move, not the structs. */
    if (a != b) db_swap(a, b);
    server.dirty++;
    reply_ok(c);
}

/* ---- OBJECT -------------------------------------------------------------- */

/* The key without any side effect; a logically expired key counts as missing
 * (and is left for the expiry machinery).  Replies null when missing. */
static kv_t *object_lookup(client_t *c) {
    kv_t *kv = db_peek(CDB(c), c->argv[2], c->argvlen[2]);
    if (kv && db_kv_expired(kv, server.now_ms)) kv = NULL;
    if (!kv) reply_null(c);
    return kv;
}

static void cmd_object_encoding(client_t *c) {
    kv_t *kv = object_lookup(c);
    if (!kv) return;
    /* We embed values up to KV_EMBED_MAX bytes; Redis embeds at most 44
     * (OBJ_ENCODING_EMBSTR_SIZE_LIMIT) and clients rely on that boundary,
     * so longer embedded values are reported by the name Redis would use. */
    int enc = (int)kv->enc;
    if (enc == ENC_EMBSTR && kv->v.len > EMBSTR_SIZE_LIMIT) enc = ENC_RAW;
    reply_bulk_cstr(c, kv_encoding_name(enc));
}

static void cmd_object_refcount(client_t *c) {
    kv_t *kv = object_lookup(c);
    if (!kv) return;
    /* ENC_INT replaces Redis's shared integers (kv.h); report what Redis
     * would: small non-negative integers are shared unless an LRU/LFU policy
     * with a maxmemory limit forbids sharing. */
    bool shared = kv->type == OBJ_STRING && kv->enc == ENC_INT && kv->v.i >= 0 &&
                  kv->v.i < SHARED_INTEGERS && (server.cfg.maxmemory == 0 || !policy_is_lru_or_lfu());
    reply_int(c, shared ? SHARED_REFCOUNT : 1);
}

static void cmd_object_idletime(client_t *c) {
    kv_t *kv = object_lookup(c);
    if (!kv) return;
    if (policy_is_lfu()) {
        reply_error(c, "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
                       "switching between policies at runtime LRU and LFU data will take some time to adjust.");
        return;
    }
    reply_int(c, kv_idle_ms(kv) / 1000);
}

static void cmd_object_freq(client_t *c) {
    kv_t *kv = object_lookup(c);
    if (!kv) return;
    if (!policy_is_lfu()) {
        reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
                       "that when switching between policies at runtime LRU and LFU data will take some time to "
                       "adjust.");
        return;
    }
    reply_int(c, kv_lfu_counter(kv)); /* decayed to now, not stored back */
}

static void cmd_object_help(client_t *c) {
    static const char *const lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    reply_lines(c, lines, sizeof(lines) / sizeof(lines[0]));
}

/* ---- MEMORY -------------------------------------------------------------- */

static void cmd_memory_usage(client_t *c) {
    for (int j = 3; j < c->argc; j++) {
        if (!strcasecmp(c->argv[j], "samples") && j + 1 < c->argc) {
            /* Sizes are exact here (kv_alloc_size), so SAMPLES is only validated. */
            long long samples;
            if (!str2ll(c->argv[j + 1], c->argvlen[j + 1], &samples)) {
                reply_error_not_int(c);
                return;
            }
            if (samples < 0) {
                reply_error_syntax(c);
                return;
            }
            j++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    kv_t *kv = db_peek(CDB(c), c->argv[2], c->argvlen[2]);
    if (!kv) {
        reply_null(c);
        return;
    }
    /* The entry (key, value, expire) plus its slot in the bucket array. */
    reply_int(c, (long long)(kv_alloc_size(kv) + sizeof(ht_node_t *)));
}

/* What MEMORY STATS and MEMORY DOCTOR report.  Hash-table overhead is what a
 * db spends beyond its entries: the bucket array (main), and for expires the
 * volatile array plus the kv_exp_t block each volatile entry carries. */
typedef struct mem_report {
    size_t peak, used, startup, clients_replicas, clients_normal;
    unsigned long nclients_normal, nreplicas;
    size_t overhead, dataset, net, keys;
    alloc_stats_t alloc;
    size_t rss;
} mem_report_t;

static size_t db_overhead_main(const db_t *db) { return ht_buckets(&db->keys) * sizeof(ht_node_t *); }
static size_t db_overhead_expires(const db_t *db) {
    return db->volcap * sizeof(kv_t *) + db->nvol * sizeof(kv_exp_t);
}

static void mem_report_fill(mem_report_t *m) {
    memset(m, 0, sizeof(*m));
    m->used = alloc_used_memory();
    m->peak = server.stat_peak_memory > 0 && (size_t)server.stat_peak_memory > m->used
                  ? (size_t)server.stat_peak_memory
                  : m->used;
    m->startup = startup_allocated;
    for (client_t *cl = server.clients; cl; cl = cl->next) {
        size_t mem = sizeof(client_t) + cl->qcap + client_output_bytes(cl);
        if (cl->flags & CLIENT_REPLICA) {
            m->clients_replicas += mem;
            m->nreplicas++;
        } else {
            m->clients_normal += mem;
            m->nclients_normal++;
        }
    }
    m->overhead = m->startup + m->clients_replicas + m->clients_normal;
    for (int i = 0; i < ks.ndbs; i++) {
        const db_t *db = &ks.dbs[i];
        m->overhead += db_overhead_main(db) + db_overhead_expires(db);
        m->keys += db_size(db);
    }
    m->dataset = m->used > m->overhead ? m->used - m->overhead : 0;
    m->net = m->used > m->startup ? m->used - m->startup : 1;
    alloc_get_stats(&m->alloc);
    m->rss = alloc_rss();
}

static double ratio(size_t a, size_t b) { return b ? (double)a / (double)b : 0; }
static long long diff(size_t a, size_t b) { return (long long)a - (long long)b; }

static void map_int(client_t *c, const char *k, long long v) {
    reply_bulk_cstr(c, k);
    reply_int(c, v);
}

static void map_double(client_t *c, const char *k, double v) {
    reply_bulk_cstr(c, k);
    reply_double(c, v);
}

static void cmd_memory_stats(client_t *c) {
    mem_report_t m;
    mem_report_fill(&m);
    void *len = reply_defer_len(c);
    long long pairs = 0;
#define INT_FIELD(k, v) (map_int(c, k, (long long)(v)), pairs++)
#define DBL_FIELD(k, v) (map_double(c, k, v), pairs++)
    INT_FIELD("peak.allocated", m.peak);
    INT_FIELD("total.allocated", m.used);
    INT_FIELD("startup.allocated", m.startup);
    INT_FIELD("replication.backlog", 0); /* no replication yet */
    INT_FIELD("clients.slaves", m.clients_replicas);
    INT_FIELD("clients.normal", m.clients_normal);
    INT_FIELD("aof.buffer", 0);          /* no AOF yet */
    INT_FIELD("lua.caches", 0);          /* no scripting yet */
    INT_FIELD("functions.caches", 0);
    for (int i = 0; i < ks.ndbs; i++) {
        const db_t *db = &ks.dbs[i];
        if (db_size(db) == 0) continue;
        char name[32];
        snprintf(name, sizeof(name), "db.%d", i);
        reply_bulk_cstr(c, name);
        reply_map(c, 2);
        map_int(c, "overhead.hashtable.main", (long long)db_overhead_main(db));
        map_int(c, "overhead.hashtable.expires", (long long)db_overhead_expires(db));
        pairs++;
    }
    INT_FIELD("overhead.total", m.overhead);
    INT_FIELD("keys.count", m.keys);
    INT_FIELD("keys.bytes-per-key", m.keys ? m.net / m.keys : 0);
    INT_FIELD("dataset.bytes", m.dataset);
    DBL_FIELD("dataset.percentage", (double)m.dataset * 100 / (double)m.net);
    DBL_FIELD("peak.percentage", ratio(m.used, m.peak) * 100);
    INT_FIELD("allocator.allocated", m.alloc.allocated);
    INT_FIELD("allocator.active", m.alloc.active);
    INT_FIELD("allocator.resident", m.alloc.resident);
    DBL_FIELD("allocator-fragmentation.ratio", ratio(m.alloc.active, m.alloc.allocated));
    INT_FIELD("allocator-fragmentation.bytes", diff(m.alloc.active, m.alloc.allocated));
    DBL_FIELD("allocator-rss.ratio", ratio(m.alloc.resident, m.alloc.active));
    INT_FIELD("allocator-rss.bytes", diff(m.alloc.resident, m.alloc.active));
    DBL_FIELD("rss-overhead.ratio", ratio(m.rss, m.alloc.resident));
    INT_FIELD("rss-overhead.bytes", diff(m.rss, m.alloc.resident));
    DBL_FIELD("fragmentation", ratio(m.rss, m.used));
    INT_FIELD("fragmentation.bytes", diff(m.rss, m.used));
#undef INT_FIELD
#undef DBL_FIELD
    reply_set_deferred_map(c, len, pairs);
}

/* MEMORY DOCTOR: the checks of Redis's getMemoryDoctorReport() that apply
 * here, with thresholds as Redis's (5 MB floor, 1.5x peak, 1.4/1.1 ratios
 * with at least 10 MB at stake, 200 KB per normal client, 10 MB per replica). */
static void cmd_memory_doctor(client_t *c) {
    mem_report_t m;
    mem_report_fill(&m);
    const size_t mb = 1024 * 1024;
    buf_t found = BUF_INIT;
    if (ratio(m.peak, m.used) > 1.5)
        buf_puts(&found, " * Peak memory: at some point the memory usage was more than 150% of what it is "
                         "now. The fragmentation figures may be inflated by memory freed since then; MEMORY "
                         "PURGE can hand unused pages back to the OS.\n\n");
    if (ratio(m.alloc.active, m.alloc.allocated) > 1.1 &&
        diff(m.alloc.active, m.alloc.allocated) > (long long)(10 * mb))
        buf_printf(&found, " * High allocator fragmentation: the allocator keeps %.2f bytes of active pages "
                           "for every byte in use. MEMORY PURGE may help.\n\n",
                   ratio(m.alloc.active, m.alloc.allocated));
    if (ratio(m.rss, m.used) > 1.4 && diff(m.rss, m.used) > (long long)(10 * mb))
        buf_printf(&found, " * High total RSS: the process holds %.2f bytes of RAM for every byte the server "
                           "allocated (%lld bytes more).\n\n",
                   ratio(m.rss, m.used), diff(m.rss, m.used));
    if (m.nclients_normal && m.clients_normal / m.nclients_normal > 200 * 1024)
        buf_puts(&found, " * Big client buffers: on average each client uses more than 200 KB of query and "
                         "output buffers. CLIENT LIST shows which ones (qbuf, omem).\n\n");
    if (m.nreplicas && m.clients_replicas / m.nreplicas > 10 * mb)
        buf_puts(&found, " * Big replica buffers: the replicas' output buffers average more than 10 MB each; "
                         "they may be too slow to keep up.\n\n");

    buf_t out = BUF_INIT;
    if (m.used < 5 * mb)
        buf_puts(&out, "Hi Sam, this instance holds so little data that my issue detector has nothing to "
                       "look at yet. Give it some data to carry and ask me again.\n");
    else if (found.len == 0)
        buf_puts(&out, "Hi Sam, I can't find any memory issue in this instance. Mind that I can only judge "
                       "the memory this server accounts for.\n");
    else {
        buf_puts(&out, "Sam, I looked at the memory of this instance and found the following:\n\n");
        buf_append(&out, found.p, found.len);
        buf_puts(&out, "The figures behind these findings are in MEMORY STATS.\n");
    }
    reply_verbatim(c, out.p, out.len, "txt");
    buf_free(&found);
    buf_free(&out);
}

#ifdef KEEL_JEMALLOC
static void malloc_stats_cb(void *ud, const char *s) { buf_puts(ud, s); }
#endif

static void cmd_memory_malloc_stats(client_t *c) {
#ifdef KEEL_JEMALLOC
    buf_t out = BUF_INIT;
    malloc_stats_print(malloc_stats_cb, &out, NULL);
    reply_verbatim(c, out.p ? out.p : "", out.len, "txt");
    buf_free(&out);
#else
    reply_bulk_cstr(c, "Stats not supported for the current allocator");
#endif
}

static void cmd_memory_purge(client_t *c) {
    if (allocator_purge() == 0)
        reply_ok(c);
    else
        reply_error(c, "ERR Error purging dirty pages");
}

static void cmd_memory_help(client_t *c) {
    static const char *const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    };
    reply_lines(c, lines, sizeof(lines) / sizeof(lines[0]));
}

/* ---- INFO keyspace ------------------------------------------------------- */

/* Field lines only; INFO writes the "# Keyspace" header. */
static void info_keyspace(buf_t *out) {
    for (int i = 0; i < ks.ndbs; i++) {
        const db_t *db = &ks.dbs[i];
        size_t keys = db_size(db), vkeys = db_expires(db);
        if (keys || vkeys)
            buf_printf(out, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", i, keys, vkeys, db->avg_ttl);
    }
}

/* ---- table --------------------------------------------------------------- */

#define KEY1 .first_key = 1, .last_key = 1, .key_step = 1
#define KEY2 .first_key = 2, .last_key = 2, .key_step = 1
#define KEYS_ALL .first_key = 1, .last_key = -1, .key_step = 1
#define KEY12 .first_key = 1, .last_key = 2, .key_step = 1
#define SPECS(s) .key_specs = s, .key_specs_count = (int)(sizeof(s) / sizeof(s[0]))

static const key_spec_t ks_rm_all[] = {{.flags = KS_RM | KS_DELETE, .bs_index = 1, .fk_lastkey = -1, .fk_step = 1}};
static const key_spec_t ks_ro_all[] = {{.flags = KS_RO, .bs_index = 1, .fk_lastkey = -1, .fk_step = 1}};
static const key_spec_t ks_ro1[] = {{.flags = KS_RO, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_ro_access1[] = {{.flags = KS_RO | KS_ACCESS, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_rw_update1[] = {{.flags = KS_RW | KS_UPDATE, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_move[] = {{.flags = KS_RW | KS_ACCESS | KS_UPDATE, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_rename[] = {
    {.flags = KS_RW | KS_ACCESS | KS_DELETE, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1},
    {.flags = KS_OW | KS_UPDATE, .bs_index = 2, .fk_lastkey = 0, .fk_step = 1},
};
static const key_spec_t ks_renamenx[] = {
    {.flags = KS_RW | KS_ACCESS | KS_DELETE, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1},
    {.flags = KS_OW | KS_INSERT, .bs_index = 2, .fk_lastkey = 0, .fk_step = 1},
};
static const key_spec_t ks_copy[] = {
    {.flags = KS_RO | KS_ACCESS, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1},
    {.flags = KS_OW | KS_UPDATE, .bs_index = 2, .fk_lastkey = 0, .fk_step = 1},
};
static const key_spec_t ks_ro2[] = {{.flags = KS_RO, .bs_index = 2, .fk_lastkey = 0, .fk_step = 1}};

static const char *const tips_multi_sum[] = {"request_policy:multi_shard", "response_policy:agg_sum", NULL};
static const char *const tips_all_sum[] = {"request_policy:all_shards", "response_policy:agg_sum", NULL};
static const char *const tips_all_ok[] = {"request_policy:all_shards", "response_policy:all_succeeded", NULL};
static const char *const tips_keys[] = {"request_policy:all_shards", "nondeterministic_output_order", NULL};
static const char *const tips_scan[] = {"nondeterministic_output", "request_policy:special", NULL};
static const char *const tips_randomkey[] = {"request_policy:all_shards", "nondeterministic_output", NULL};
static const char *const tips_nondet[] = {"nondeterministic_output", NULL};
static const char *const tips_mem_special[] = {"nondeterministic_output", "request_policy:all_shards",
                                               "response_policy:special", NULL};

#define OBJECT_SUB(n, fn, s, sum)                                                                       \
    {.name = n, .proc = fn, .arity = 3, .flags = CMD_READONLY, .acl = ACL_KEYSPACE | ACL_READ | ACL_SLOW, \
     KEY2, SPECS(ks_ro2), .group = "generic", .since = s, .summary = sum, .complexity = "O(1)",           \
     .tips = tips_nondet}

static command_t object_subcommands[] = {
    OBJECT_SUB("encoding", cmd_object_encoding, "2.2.3", "Inspect the internal encoding of a Redis object"),
    OBJECT_SUB("freq", cmd_object_freq, "4.0.0", "Get the logarithmic access frequency counter of a Redis object"),
    OBJECT_SUB("idletime", cmd_object_idletime, "2.2.3", "Get the time since a Redis object was last accessed"),
    OBJECT_SUB("refcount", cmd_object_refcount, "2.2.3", "Get the number of references to the value of the key"),
    {.name = "help", .proc = cmd_object_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl = ACL_KEYSPACE | ACL_SLOW, .group = "generic", .since = "6.2.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = NULL},
};

static command_t memory_subcommands[] = {
    {.name = "doctor", .proc = cmd_memory_doctor, .arity = 2, .acl = ACL_SLOW, .group = "server",
     .since = "4.0.0", .summary = "Outputs memory problems report", .complexity = "O(1)",
     .tips = tips_mem_special},
    {.name = "malloc-stats", .proc = cmd_memory_malloc_stats, .arity = 2, .acl = ACL_SLOW, .group = "server",
     .since = "4.0.0", .summary = "Show allocator internal stats",
     .complexity = "Depends on how much memory is allocated, could be slow", .tips = tips_mem_special},
    {.name = "purge", .proc = cmd_memory_purge, .arity = 2, .acl = ACL_SLOW, .group = "server", .since = "4.0.0",
     .summary = "Ask the allocator to release memory",
     .complexity = "Depends on how much memory is allocated, could be slow", .tips = tips_all_ok},
    {.name = "stats", .proc = cmd_memory_stats, .arity = 2, .acl = ACL_SLOW, .group = "server", .since = "4.0.0",
     .summary = "Show memory usage details", .complexity = "O(1)", .tips = tips_mem_special},
    {.name = "usage", .proc = cmd_memory_usage, .arity = -3, .flags = CMD_READONLY, .acl = ACL_READ | ACL_SLOW,
     KEY2, SPECS(ks_ro2), .group = "server", .since = "4.0.0", .summary = "Estimate the memory usage of a key",
     .complexity = "O(N) where N is the number of samples."},
    {.name = "help", .proc = cmd_memory_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl = ACL_SLOW,
     .group = "server", .since = "4.0.0", .summary = "Show helpful text about the different subcommands",
     .complexity = "O(1)"},
    {.name = NULL},
};

#define TTL_CMD(n, fn, s, sum, t)                                                                        \
    {.name = n, .proc = fn, .arity = 2, .flags = CMD_READONLY | CMD_FAST,                                \
     .acl = ACL_KEYSPACE | ACL_READ | ACL_FAST, KEY1, SPECS(ks_ro_access1), .group = "generic", .since = s, \
     .summary = sum, .complexity = "O(1)", .tips = t}

#define EXPIRE_CMD(n, fn, s, sum)                                                                         \
    {.name = n, .proc = fn, .arity = -3, .flags = CMD_WRITE | CMD_FAST,                                   \
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_FAST, KEY1, SPECS(ks_rw_update1), .group = "generic", .since = s, \
     .summary = sum, .complexity = "O(1)"}

static command_t keys_commands[] = {
    {.name = "del", .proc = cmd_del, .arity = -2, .flags = CMD_WRITE, .acl = ACL_KEYSPACE | ACL_WRITE | ACL_SLOW,
     KEYS_ALL, SPECS(ks_rm_all), .group = "generic", .since = "1.0.0", .summary = "Delete a key",
     .complexity = "O(N) where N is the number of keys that will be removed. When a key to remove holds a value "
                   "other than a string, the individual complexity for this key is O(M) where M is the number of "
                   "elements in the list, set, sorted set or hash. Removing a single key that holds a string value "
                   "is O(1).",
     .tips = tips_multi_sum},
    {.name = "unlink", .proc = cmd_unlink, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_FAST, KEYS_ALL, SPECS(ks_rm_all), .group = "generic", .since = "4.0.0",
     .summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
     .complexity = "O(1) for each key removed regardless of its size. Then the command does O(N) work in a "
                   "different thread in order to reclaim memory, where N is the number of allocations the deleted "
                   "objects where composed of.",
     .tips = tips_multi_sum},
    {.name = "exists", .proc = cmd_exists, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_READ | ACL_FAST, KEYS_ALL, SPECS(ks_ro_all), .group = "generic", .since = "1.0.0",
     .summary = "Determine if a key exists", .complexity = "O(N) where N is the number of keys to check.",
     .tips = tips_multi_sum},
    {.name = "type", .proc = cmd_type, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_READ | ACL_FAST, KEY1, SPECS(ks_ro1), .group = "generic", .since = "1.0.0",
     .summary = "Determine the type stored at key", .complexity = "O(1)"},
    {.name = "touch", .proc = cmd_touch, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_READ | ACL_FAST, KEYS_ALL, SPECS(ks_ro_all), .group = "generic", .since = "3.2.1",
     .summary = "Alters the last access time of a key(s). Returns the number of existing keys specified.",
     .complexity = "O(N) where N is the number of keys that will be touched.", .tips = tips_multi_sum},
    {.name = "rename", .proc = cmd_rename, .arity = 3, .flags = CMD_WRITE,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_SLOW, KEY12, SPECS(ks_rename), .group = "generic", .since = "1.0.0",
     .summary = "Rename a key", .complexity = "O(1)"},
    {.name = "renamenx", .proc = cmd_renamenx, .arity = 3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_FAST, KEY12, SPECS(ks_renamenx), .group = "generic", .since = "1.0.0",
     .summary = "Rename a key, only if the new key does not exist", .complexity = "O(1)"},
    {.name = "move", .proc = cmd_move, .arity = 3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_FAST, KEY1, SPECS(ks_move), .group = "generic", .since = "1.0.0",
     .summary = "Move a key to another database", .complexity = "O(1)"},
    {.name = "copy", .proc = cmd_copy, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_SLOW, KEY12, SPECS(ks_copy), .group = "generic", .since = "6.2.0",
     .summary = "Copy a key",
     .complexity = "O(N) worst case for collections, where N is the number of nested items. O(1) for string "
                   "values."},
    {.name = "keys", .proc = cmd_keys, .arity = 2, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE | ACL_READ | ACL_SLOW | ACL_DANGEROUS, .group = "generic", .since = "1.0.0",
     .summary = "Find all keys matching the given pattern",
     .complexity = "O(N) with N being the number of keys in the database, under the assumption that the key "
                   "names in the database and the given pattern have limited length.",
     .tips = tips_keys},
    {.name = "scan", .proc = cmd_scan, .arity = -2, .flags = CMD_READONLY, .acl = ACL_KEYSPACE | ACL_READ | ACL_SLOW,
     .group = "generic", .since = "2.8.0", .summary = "Incrementally iterate the keys space",
     .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                   "cursor to return back to 0. N is the number of elements inside the collection.",
     .tips = tips_scan},
    {.name = "randomkey", .proc = cmd_randomkey, .arity = 1, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE | ACL_READ | ACL_SLOW, .group = "generic", .since = "1.0.0",
     .summary = "Return a random key from the keyspace", .complexity = "O(1)", .tips = tips_randomkey},
    EXPIRE_CMD("expire", cmd_expire, "1.0.0", "Set a key's time to live in seconds"),
    EXPIRE_CMD("pexpire", cmd_pexpire, "2.6.0", "Set a key's time to live in milliseconds"),
    EXPIRE_CMD("expireat", cmd_expireat, "1.2.0", "Set the expiration for a key as a UNIX timestamp"),
    EXPIRE_CMD("pexpireat", cmd_pexpireat, "2.6.0",
               "Set the expiration for a key as a UNIX timestamp specified in milliseconds"),
    TTL_CMD("ttl", cmd_ttl, "1.0.0", "Get the time to live for a key in seconds", tips_nondet),
    TTL_CMD("pttl", cmd_pttl, "2.6.0", "Get the time to live for a key in milliseconds", tips_nondet),
    TTL_CMD("expiretime", cmd_expiretime, "7.0.0", "Get the expiration Unix timestamp for a key", NULL),
    TTL_CMD("pexpiretime", cmd_pexpiretime, "7.0.0",
            "Get the expiration Unix timestamp for a key in milliseconds", NULL),
    {.name = "persist", .proc = cmd_persist, .arity = 2, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_FAST, KEY1, SPECS(ks_rw_update1), .group = "generic", .since = "2.2.0",
     .summary = "Remove the expiration from a key", .complexity = "O(1)"},
    {.name = "dbsize", .proc = cmd_dbsize, .arity = 1, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_READ | ACL_FAST, .group = "server", .since = "1.0.0",
     .summary = "Return the number of keys in the selected database", .complexity = "O(1)",
     .tips = tips_all_sum},
    {.name = "flushdb", .proc = cmd_flushdb, .arity = -1, .flags = CMD_WRITE,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_SLOW | ACL_DANGEROUS, .group = "server", .since = "1.0.0",
     .summary = "Remove all keys from the current database",
     .complexity = "O(N) where N is the number of keys in the selected database", .tips = tips_all_ok},
    {.name = "flushall", .proc = cmd_flushall, .arity = -1, .flags = CMD_WRITE,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_SLOW | ACL_DANGEROUS, .group = "server", .since = "1.0.0",
     .summary = "Remove all keys from all databases",
     .complexity = "O(N) where N is the total number of keys in all databases", .tips = tips_all_ok},
    {.name = "swapdb", .proc = cmd_swapdb, .arity = 3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_WRITE | ACL_FAST | ACL_DANGEROUS, .group = "server", .since = "4.0.0",
     .summary = "Swaps two Redis databases",
     .complexity = "O(N) where N is the count of clients watching or blocking on keys from both databases."},
    {.name = "object", .proc = NULL, .arity = -2, .acl = ACL_SLOW, .group = "generic", .since = "2.2.3",
     .summary = "A container for object introspection commands", .complexity = "Depends on subcommand.",
     .subcommands = object_subcommands},
    {.name = "memory", .proc = NULL, .arity = -2, .acl = ACL_SLOW, .group = "server", .since = "4.0.0",
     .summary = "A container for memory diagnostics commands", .complexity = "Depends on subcommand.",
     .subcommands = memory_subcommands},
    {.name = NULL},
};

void keys_init(void) {
    startup_allocated = alloc_used_memory();
    command_register(keys_commands);
    server_info_register("keyspace", info_keyspace, true);
}
