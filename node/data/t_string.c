/* String commands.
 *
 * Values live in the keyspace entry itself (kv.h): ENC_INT for canonical
 * integers, ENC_EMBSTR up to KV_EMBED_MAX bytes, ENC_RAW beyond.  The hot
 * commands (GET, SET, INCR, MSET) take one hash lookup and, when the new
 * value fits the old entry, no allocation at all.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "db.h"
#include "kv.h"
#include "propagate.h"

#define CDB(c) ((db_t *)(c)->db)

/* Looks up a string for reading; replies WRONGTYPE and returns NULL on
 * another type (*wrongtype set), NULL without reply when missing. */
static kv_t *lookup_str_read(client_t *c, const char *key, size_t klen, bool *wrongtype) {
    kv_t *kv = db_lookup_read(c, CDB(c), key, klen);
    *wrongtype = false;
    if (kv && kv->type != OBJ_STRING) {
        reply_error_wrongtype(c);
        *wrongtype = true;
        return NULL;
    }
    return kv;
}

static void reply_kv_string(client_t *c, const kv_t *kv) {
    char tmp[32];
    size_t n;
    const char *p = kv_str(kv, tmp, &n);
    reply_bulk(c, p, n);
}

static bool check_size(client_t *c, long long total) {
    if (total > server.cfg.proto_max_bulk_len) {
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return false;
    }
    return true;
}

static void signal_write(client_t *c, const char *key, size_t klen, int type, const char *event) {
    db_changed(CDB(c), key, klen, 1);
    db_notify(type, event, key, klen, c->db_index);
}

/* ---- GET / SET ---------------------------------------------------------- */

static void cmd_get(client_t *c) {
    bool wt;
    kv_t *kv = lookup_str_read(c, c->argv[1], c->argvlen[1], &wt);
    if (wt) return;
    if (!kv)
        reply_null(c);
    else
        reply_kv_string(c, kv);
}

enum {
    SET_NX = 1 << 0, SET_XX = 1 << 1, SET_EX = 1 << 2, SET_PX = 1 << 3, SET_EXAT = 1 << 4,
    SET_PXAT = 1 << 5, SET_KEEPTTL = 1 << 6, SET_GET = 1 << 7, SET_PERSIST = 1 << 8,
};

/* Parses an expire argument into an absolute unix time in ms. */
static bool parse_expire(client_t *c, const char *arg, size_t len, int unit_flag, const char *cmdname,
                         int64_t *at_ms) {
    long long v;
    if (!str2ll(arg, len, &v)) {
        reply_error_not_int(c);
        return false;
    }
    bool seconds = unit_flag & (SET_EX | SET_EXAT);
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
        reply_errorf(c, "ERR invalid expire time in '%s' command", cmdname);
        return false;
    }
    if (seconds) v *= 1000;
    if (unit_flag & (SET_EX | SET_PX)) {
        if (v > LLONG_MAX - server.now_ms) {
            reply_errorf(c, "ERR invalid expire time in '%s' command", cmdname);
            return false;
        }
        v += server.now_ms;
    }
    *at_ms = v;
    return true;
}

/* Parses SET/GETEX options from argv[first..]; allowed is a mask of SET_*. */
static bool parse_set_options(client_t *c, int first, int allowed, int *flags, const char **exp_arg,
                              size_t *exp_len) {
    *flags = 0;
    *exp_arg = NULL;
    for (int i = first; i < c->argc; i++) {
        const char *a = c->argv[i];
        bool next = i + 1 < c->argc;
        int f = 0;
        bool takes_arg = false;
        if (!strcasecmp(a, "nx")) f = SET_NX;
        else if (!strcasecmp(a, "xx")) f = SET_XX;
        else if (!strcasecmp(a, "get")) f = SET_GET;
        else if (!strcasecmp(a, "keepttl")) f = SET_KEEPTTL;
        else if (!strcasecmp(a, "persist")) f = SET_PERSIST;
        else if (!strcasecmp(a, "ex")) f = SET_EX, takes_arg = true;
        else if (!strcasecmp(a, "px")) f = SET_PX, takes_arg = true;
        else if (!strcasecmp(a, "exat")) f = SET_EXAT, takes_arg = true;
        else if (!strcasecmp(a, "pxat")) f = SET_PXAT, takes_arg = true;
        if (!f || !(f & allowed) || (takes_arg && !next)) {
            reply_error_syntax(c);
            return false;
        }
        int expire_opts = SET_EX | SET_PX | SET_EXAT | SET_PXAT | SET_KEEPTTL | SET_PERSIST;
        if ((f == SET_NX && (*flags & SET_XX)) || (f == SET_XX && (*flags & SET_NX)) ||
            ((f & expire_opts) && (*flags & expire_opts))) {
            reply_error_syntax(c);
            return false;
        }
        *flags |= f;
        if (takes_arg) {
            *exp_arg = c->argv[i + 1];
            *exp_len = c->argvlen[i + 1];
            i++;
        }
    }
    return true;
}

static const int EXPIRE_UNITS = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

/* What replicas and the AOF get for a SET-like command (Redis 7.0): a
 * relative or second-based expire becomes "SET key value PXAT <ms>", and
 * GET options are dropped; GETSET/SETEX/PSETEX become SET as well. */
static void propagate_set(client_t *c, const char *key, size_t klen, const char *val, size_t vlen, int flags,
                          int64_t at_ms) {
    if (flags & (SET_EX | SET_PX | SET_EXAT)) {
        char ms[24];
        const char *argv[5] = {"SET", key, val, "PXAT", ms};
        size_t lens[5] = {3, klen, vlen, 4, ll2str(ms, at_ms)};
        propagate_rewrite(c, 5, argv, lens);
        return;
    }
    if (!(flags & SET_GET)) return; /* SET, SETNX, SET ... PXAT: as sent */
    /* Rebuild: SET key value [the SET options other than GET]. */
    const char *argv[8] = {"SET", key, val};
    size_t lens[8] = {3, klen, vlen};
    int n = 3;
    if (strcasecmp(c->argv[0], "set") == 0) {
        for (int i = 3; i < c->argc && n < 8; i++) {
            if (!strcasecmp(c->argv[i], "get")) continue;
            argv[n] = c->argv[i];
            lens[n++] = c->argvlen[i];
        }
    }
    propagate_rewrite(c, n, argv, lens);
}

/* Core of SET, SETNX, SETEX, PSETEX, GETSET. */
static void set_generic(client_t *c, const char *key, size_t klen, const char *val, size_t vlen, int flags,
                        int64_t at_ms, const char *ok_reply) {
    db_t *db = CDB(c);
    if (flags & SET_GET) {
        kv_t *old = db_lookup_read(c, db, key, klen);
        if (old && old->type != OBJ_STRING) {
            reply_error_wrongtype(c);
            return;
        }
        bool exists = old != NULL;
        if ((flags & SET_NX && exists) || (flags & SET_XX && !exists)) {
            if (exists)
                reply_kv_string(c, old);
            else
                reply_null(c);
            return;
        }
        if (exists)
            reply_kv_string(c, old);
        else
            reply_null(c);
    } else if (flags & (SET_NX | SET_XX)) {
        bool exists = db_lookup_write(db, key, klen) != NULL;
        if ((flags & SET_NX && exists) || (flags & SET_XX && !exists)) {
            if (ok_reply)
                reply_null(c);
            else
                reply_int(c, 0);
            return;
        }
    } else if (db_peek(db, key, klen)) {
        /* Plain SET: a logically expired key is simply replaced. */
    }
    bool keep = flags & SET_KEEPTTL;
    kv_t *kv;
    if (flags & EXPIRE_UNITS) {
        kv = kv_new_str(key, klen, val, vlen, true);
        kv_exp(kv)->at_ms = at_ms;
        db_set(db, kv, false);
    } else {
        db_set_string(db, key, klen, val, vlen, keep);
    }
    signal_write(c, key, klen, NOTIFY_STRING, "set");
    if (flags & EXPIRE_UNITS) db_notify(NOTIFY_GENERIC, "expire", key, klen, c->db_index);
    propagate_set(c, key, klen, val, vlen, flags, at_ms);
    if (flags & SET_GET) return;
    if (ok_reply)
        reply_ok(c);
    else
        reply_int(c, 1);
}

static void cmd_set(client_t *c) {
    int flags;
    const char *exp;
    size_t explen = 0;
    if (!parse_set_options(c, 3, SET_NX | SET_XX | SET_GET | SET_KEEPTTL | EXPIRE_UNITS, &flags, &exp, &explen))
        return;
    int64_t at = 0;
    if (exp && !parse_expire(c, exp, explen, flags & EXPIRE_UNITS, "set", &at)) return;
    set_generic(c, c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2], flags, at, "OK");
}

static void cmd_setnx(client_t *c) {
    set_generic(c, c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2], SET_NX, 0, NULL);
}

static void setex_generic(client_t *c, int unit, const char *name) {
    int64_t at;
    if (!parse_expire(c, c->argv[2], c->argvlen[2], unit, name, &at)) return;
    set_generic(c, c->argv[1], c->argvlen[1], c->argv[3], c->argvlen[3], unit, at, "OK");
}

static void cmd_setex(client_t *c) { setex_generic(c, SET_EX, "setex"); }
static void cmd_psetex(client_t *c) { setex_generic(c, SET_PX, "psetex"); }

static void cmd_getset(client_t *c) {
    set_generic(c, c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2], SET_GET, 0, "OK");
}

static void cmd_getdel(client_t *c) {
    bool wt;
    kv_t *kv = lookup_str_read(c, c->argv[1], c->argvlen[1], &wt);
    if (wt) return;
    if (!kv) {
        reply_null(c);
        return;
    }
    reply_kv_string(c, kv);
    db_delete(CDB(c), c->argv[1], c->argvlen[1]);
    signal_write(c, c->argv[1], c->argvlen[1], NOTIFY_GENERIC, "del");
    const char *argv[2] = {"DEL", c->argv[1]};
    size_t lens[2] = {3, c->argvlen[1]};
    propagate_rewrite(c, 2, argv, lens);
}

static void cmd_getex(client_t *c) {
    int flags;
    const char *exp;
    size_t explen = 0;
    if (!parse_set_options(c, 2, EXPIRE_UNITS | SET_PERSIST, &flags, &exp, &explen)) return;
    int64_t at = 0;
    if (exp && !parse_expire(c, exp, explen, flags & EXPIRE_UNITS, "getex", &at)) return;
    bool wt;
    kv_t *kv = lookup_str_read(c, c->argv[1], c->argvlen[1], &wt);
    if (wt) return;
    if (!kv) {
        reply_null(c);
        return;
    }
    reply_kv_string(c, kv);
    db_t *db = CDB(c);
    const char *key = c->argv[1];
    size_t klen = c->argvlen[1];
    if (flags & EXPIRE_UNITS) {
        if (at <= server.now_ms && !ks.is_replica && !server.loading) {
            bool lazy = server.cfg.lazyfree_lazy_expire;
            db_delete(db, key, klen);
            signal_write(c, key, klen, NOTIFY_GENERIC, "del");
            const char *argv[2] = {lazy ? "UNLINK" : "DEL", key};
            size_t lens[2] = {lazy ? 6 : 3, klen};
            propagate_rewrite(c, 2, argv, lens);
        } else {
            db_set_expire(db, kv, at);
            signal_write(c, key, klen, NOTIFY_GENERIC, "expire");
            char ms[24];
            const char *argv[3] = {"PEXPIREAT", key, ms};
            size_t lens[3] = {9, klen, ll2str(ms, at)};
            propagate_rewrite(c, 3, argv, lens);
        }
    } else if ((flags & SET_PERSIST) && kv->has_exp) {
        db_remove_expire(db, kv);
        signal_write(c, key, klen, NOTIFY_GENERIC, "persist");
        const char *argv[2] = {"PERSIST", key};
        size_t lens[2] = {7, klen};
        propagate_rewrite(c, 2, argv, lens);
    }
}

static void cmd_mget(client_t *c) {
    reply_array(c, c->argc - 1);
    for (int i = 1; i < c->argc; i++) {
        kv_t *kv = db_lookup_read(c, CDB(c), c->argv[i], c->argvlen[i]);
        if (!kv || kv->type != OBJ_STRING)
            reply_null(c);
        else
            reply_kv_string(c, kv);
    }
}

static void mset_generic(client_t *c, bool nx) {
    if (c->argc % 2 == 0) {
        reply_error_arity(c, c->cmd->fullname);
        return;
    }
    if (nx) {
        for (int i = 1; i < c->argc; i += 2) {
            if (db_lookup_write(CDB(c), c->argv[i], c->argvlen[i])) {
                reply_int(c, 0);
                return;
            }
        }
    }
    for (int i = 1; i < c->argc; i += 2) {
        db_set_string(CDB(c), c->argv[i], c->argvlen[i], c->argv[i + 1], c->argvlen[i + 1], false);
        signal_write(c, c->argv[i], c->argvlen[i], NOTIFY_STRING, "set");
    }
    if (nx)
        reply_int(c, 1);
    else
        reply_ok(c);
}

static void cmd_mset(client_t *c) { mset_generic(c, false); }
static void cmd_msetnx(client_t *c) { mset_generic(c, true); }

/* ---- counters ----------------------------------------------------------- */

static void incr_generic(client_t *c, long long by) {
    db_t *db = CDB(c);
    kv_t *kv = db_lookup_write(db, c->argv[1], c->argvlen[1]);
    long long v = 0;
    if (kv) {
        if (kv->type != OBJ_STRING) {
            reply_error_wrongtype(c);
            return;
        }
        if (!kv_get_ll(kv, &v)) {
            reply_error_not_int(c);
            return;
        }
    }
    if ((by < 0 && v < 0 && by < LLONG_MIN - v) || (by > 0 && v > 0 && by > LLONG_MAX - v)) {
        reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    v += by;
    if (kv) {
        kv_set_int_inplace(kv, v);
    } else {
        db_add(db, kv_new_int(c->argv[1], c->argvlen[1], v, false));
    }
    signal_write(c, c->argv[1], c->argvlen[1], NOTIFY_STRING, "incrby");
    reply_int(c, v);
}

static void cmd_incr(client_t *c) { incr_generic(c, 1); }
static void cmd_decr(client_t *c) { incr_generic(c, -1); }

static void cmd_incrby(client_t *c) {
    long long by;
    if (!str2ll(c->argv[2], c->argvlen[2], &by)) {
        reply_error_not_int(c);
        return;
    }
    incr_generic(c, by);
}

static void cmd_decrby(client_t *c) {
    long long by;
    if (!str2ll(c->argv[2], c->argvlen[2], &by)) {
        reply_error_not_int(c);
        return;
    }
    if (by == LLONG_MIN) {
        reply_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -by);
}

static void cmd_incrbyfloat(client_t *c) {
    db_t *db = CDB(c);
    kv_t *kv = db_lookup_write(db, c->argv[1], c->argvlen[1]);
    long double v = 0, by;
    if (kv) {
        if (kv->type != OBJ_STRING) {
            reply_error_wrongtype(c);
            return;
        }
        char tmp[32];
        size_t n;
        const char *p = kv_str(kv, tmp, &n);
        if (!str2ld(p, n, &v)) {
            reply_error(c, "ERR value is not a valid float");
            return;
        }
    }
    if (!str2ld(c->argv[2], c->argvlen[2], &by)) {
        reply_error(c, "ERR value is not a valid float");
        return;
    }
    v += by;
    if (isnan(v) || isinf(v)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char out[5 * 1024];
    size_t n = ld2str(out, sizeof(out), v);
    db_set_string(db, c->argv[1], c->argvlen[1], out, n, true);
    signal_write(c, c->argv[1], c->argvlen[1], NOTIFY_STRING, "incrbyfloat");
    /* Replicas must not redo the float math: they get the result. */
    const char *argv[4] = {"SET", c->argv[1], out, "KEEPTTL"};
    size_t lens[4] = {3, c->argvlen[1], n, 7};
    propagate_rewrite(c, 4, argv, lens);
    reply_bulk(c, out, n);
}

/* ---- ranges ------------------------------------------------------------- */

static void cmd_strlen(client_t *c) {
    bool wt;
    kv_t *kv = lookup_str_read(c, c->argv[1], c->argvlen[1], &wt);
    if (wt) return;
    reply_int(c, kv ? (long long)kv_strlen(kv) : 0);
}

static void cmd_append(client_t *c) {
    db_t *db = CDB(c);
    kv_t *kv = db_lookup_write(db, c->argv[1], c->argvlen[1]);
    size_t total;
    if (!kv) {
        db_add(db, kv_new_str(c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2], false));
        total = c->argvlen[2];
    } else {
        if (kv->type != OBJ_STRING) {
            reply_error_wrongtype(c);
            return;
        }
        size_t cur = kv_strlen(kv);
        if (!check_size(c, (long long)(cur + c->argvlen[2]))) return;
        /* Appending makes the value raw, with room to grow (like sds). */
        size_t want = cur + c->argvlen[2];
        size_t cap = want < 1024 * 1024 ? want * 2 : want + 1024 * 1024;
        kstr_t *s = kv_make_raw(kv, cap);
        memcpy(s->data + s->len, c->argv[2], c->argvlen[2]);
        s->len += c->argvlen[2];
        total = s->len;
    }
    signal_write(c, c->argv[1], c->argvlen[1], NOTIFY_STRING, "append");
    reply_int(c, (long long)total);
}

static void cmd_getrange(client_t *c) {
    long long start, end;
    if (!str2ll(c->argv[2], c->argvlen[2], &start) || !str2ll(c->argv[3], c->argvlen[3], &end)) {
        reply_error_not_int(c);
        return;
    }
    bool wt;
    kv_t *kv = lookup_str_read(c, c->argv[1], c->argvlen[1], &wt);
    if (wt) return;
    if (!kv) {
        reply_bulk(c, "", 0);
        return;
    }
    char tmp[32];
    size_t n;
    const char *p = kv_str(kv, tmp, &n);
    long long len = (long long)n;
    if (start < 0 && end < 0 && start > end) {
        reply_bulk(c, "", 0);
        return;
    }
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end || len == 0) {
        reply_bulk(c, "", 0);
        return;
    }
    reply_bulk(c, p + start, (size_t)(end - start + 1));
}

static void cmd_setrange(client_t *c) {
    long long off;
    if (!str2ll(c->argv[2], c->argvlen[2], &off)) {
        reply_error_not_int(c);
        return;
    }
    if (off < 0) {
        reply_error(c, "ERR offset is out of range");
        return;
    }
    db_t *db = CDB(c);
    const char *val = c->argv[3];
    size_t vlen = c->argvlen[3];
    kv_t *kv = db_lookup_write(db, c->argv[1], c->argvlen[1]);
    if (kv && kv->type != OBJ_STRING) {
        reply_error_wrongtype(c);
        return;
    }
    size_t cur = kv ? kv_strlen(kv) : 0;
    if (vlen == 0) {
        reply_int(c, (long long)cur);
        return;
    }
    if (!check_size(c, off + (long long)vlen)) return;
    if (!kv) {
        kv = kv_new_raw(c->argv[1], c->argvlen[1], "", 0, (size_t)off + vlen, false);
        db_add(db, kv);
    }
    size_t need = (size_t)off + vlen;
    kstr_t *s = kv_make_raw(kv, need > cur ? need : cur);
    if (need > s->len) {
        memset(s->data + s->len, 0, need - s->len);
        s->len = need;
    }
    memcpy(s->data + off, val, vlen);
    signal_write(c, c->argv[1], c->argvlen[1], NOTIFY_STRING, "setrange");
    reply_int(c, (long long)s->len);
}

/* ---- LCS ---------------------------------------------------------------- */

static void cmd_lcs(client_t *c) {
    bool getlen = false, getidx = false, withmatchlen = false;
    long long minmatchlen = 0;
    for (int i = 3; i < c->argc; i++) {
        const char *o = c->argv[i];
        if (!strcasecmp(o, "idx")) getidx = true;
        else if (!strcasecmp(o, "len")) getlen = true;
        else if (!strcasecmp(o, "withmatchlen")) withmatchlen = true;
        else if (!strcasecmp(o, "minmatchlen") && i + 1 < c->argc) {
            if (!str2ll(c->argv[i + 1], c->argvlen[i + 1], &minmatchlen)) {
                reply_error_not_int(c);
                return;
            }
            if (minmatchlen < 0) minmatchlen = 0;
            i++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (getidx && getlen) {
        reply_error(c, "ERR If you want both the length and indexes, please just use IDX.");
        return;
    }
    char ta[32], tb[32];
    size_t alen = 0, blen = 0;
    const char *a = "", *b = "";
    for (int k = 0; k < 2; k++) {
        kv_t *kv = db_lookup_read(c, CDB(c), c->argv[1 + k], c->argvlen[1 + k]);
        if (kv && kv->type != OBJ_STRING) {
            reply_error(c, "ERR The specified keys must contain string values");
            return;
        }
        if (kv) {
            if (k == 0) a = kv_str(kv, ta, &alen);
            else b = kv_str(kv, tb, &blen);
        }
    }
    unsigned long long cells = (unsigned long long)(alen + 1) * (blen + 1);
    if (cells > (unsigned long long)server.cfg.proto_max_bulk_len / sizeof(uint32_t) || cells > SIZE_MAX / sizeof(uint32_t)) {
        reply_error(c, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    uint32_t *dp = xmalloc((size_t)cells * sizeof(uint32_t));
#define LCS(i, j) dp[(size_t)(j) * (alen + 1) + (i)]
    for (size_t j = 0; j <= blen; j++) {
        for (size_t i = 0; i <= alen; i++) {
            if (i == 0 || j == 0)
                LCS(i, j) = 0;
            else if (a[i - 1] == b[j - 1])
                LCS(i, j) = LCS(i - 1, j - 1) + 1;
            else
                LCS(i, j) = LCS(i - 1, j) > LCS(i, j - 1) ? LCS(i - 1, j) : LCS(i, j - 1);
        }
    }
    uint32_t idx = LCS(alen, blen);
    char *result = NULL;
    if (!getlen && !getidx) result = xmalloc(idx + 1);
    void *arraylen = NULL;
    long long arrayn = 0;
    if (getidx) {
        reply_map(c, 2);
        reply_bulk_cstr(c, "matches");
        arraylen = reply_defer_len(c);
    }
    /* Walk back from the end, emitting maximal contiguous ranges in the
     * order Redis does (last match first). */
    size_t i = alen, j = blen;
    uint32_t pos = idx;
    long long arange_start = (long long)alen, arange_end = 0, brange_start = 0, brange_end = 0;
    bool compute = getidx || !getlen;
    while (compute && i > 0 && j > 0) {
        bool emit = false;
        if (a[i - 1] == b[j - 1]) {
            if (result) result[pos - 1] = a[i - 1];
            if (arange_start == (long long)alen) {
                arange_start = arange_end = (long long)i - 1;
                brange_start = brange_end = (long long)j - 1;
            } else if (arange_start == (long long)i && brange_start == (long long)j) {
                arange_start--;
                brange_start--;
            } else {
                emit = true;
            }
            if (arange_start == 0 || brange_start == 0) emit = true;
            pos--;
            i--;
            j--;
        } else {
            if (LCS(i - 1, j) > LCS(i, j - 1))
                i--;
            else
                j--;
            if (arange_start != (long long)alen) emit = true;
        }
        if (emit) {
            long long matchlen = arange_end - arange_start + 1;
            if (getidx && (minmatchlen == 0 || matchlen >= minmatchlen)) {
                reply_array(c, withmatchlen ? 3 : 2);
                reply_array(c, 2);
                reply_int(c, arange_start);
                reply_int(c, arange_end);
                reply_array(c, 2);
                reply_int(c, brange_start);
                reply_int(c, brange_end);
                if (withmatchlen) reply_int(c, matchlen);
                arrayn++;
            }
            arange_start = (long long)alen;
        }
    }
    xfree(dp);
#undef LCS
    if (getidx) {
        reply_set_deferred_array(c, arraylen, arrayn);
        reply_bulk_cstr(c, "len");
        reply_int(c, idx);
    } else if (getlen) {
        reply_int(c, idx);
    } else {
        reply_bulk(c, result, idx);
        xfree(result);
    }
}

/* ---- table -------------------------------------------------------------- */

static const key_spec_t ks_ro1[] = {{.flags = KS_RO | KS_ACCESS, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_ow1[] = {{.flags = KS_OW | KS_UPDATE, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_rw1[] = {{.flags = KS_RW | KS_ACCESS | KS_UPDATE, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_rw_insert1[] = {{.flags = KS_RW | KS_INSERT, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_set[] = {{.flags = KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_getdel[] = {{.flags = KS_RW | KS_ACCESS | KS_DELETE, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_getset[] = {{.flags = KS_RW | KS_ACCESS | KS_UPDATE, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_ow_insert1[] = {{.flags = KS_OW | KS_INSERT, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1}};
static const key_spec_t ks_mget[] = {{.flags = KS_RO | KS_ACCESS, .bs_index = 1, .fk_lastkey = -1, .fk_step = 1}};
static const key_spec_t ks_mset[] = {{.flags = KS_OW | KS_UPDATE, .bs_index = 1, .fk_lastkey = -1, .fk_step = 2}};
static const key_spec_t ks_msetnx[] = {{.flags = KS_OW | KS_INSERT, .bs_index = 1, .fk_lastkey = -1, .fk_step = 2}};
static const key_spec_t ks_lcs[] = {{.flags = KS_RO | KS_ACCESS, .bs_index = 1, .fk_lastkey = 1, .fk_step = 1}};

#define KEY1 .first_key = 1, .last_key = 1, .key_step = 1
#define SPECS(s) .key_specs = s, .key_specs_count = (int)(sizeof(s) / sizeof(s[0]))

static command_t string_commands[] = {
    {.name = "get", .proc = cmd_get, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_READ | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_ro1), .group = "string", .since = "1.0.0",
     .summary = "Returns the string value of a key.", .complexity = "O(1)"},
    {.name = "set", .proc = cmd_set, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_WRITE | ACL_STRING | ACL_SLOW, KEY1, SPECS(ks_set), .group = "string", .since = "1.0.0",
     .summary = "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
     .complexity = "O(1)"},
    {.name = "setnx", .proc = cmd_setnx, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_ow_insert1), .group = "string", .since = "1.0.0",
     .summary = "Set the string value of a key only when the key doesn't exist.", .complexity = "O(1)"},
    {.name = "setex", .proc = cmd_setex, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_WRITE | ACL_STRING | ACL_SLOW, KEY1, SPECS(ks_ow1), .group = "string", .since = "2.0.0",
     .summary = "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
     .complexity = "O(1)"},
    {.name = "psetex", .proc = cmd_psetex, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_WRITE | ACL_STRING | ACL_SLOW, KEY1, SPECS(ks_ow1), .group = "string", .since = "2.6.0",
     .summary = "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
     .complexity = "O(1)"},
    {.name = "getset", .proc = cmd_getset, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_getset), .group = "string", .since = "1.0.0",
     .summary = "Returns the previous string value of a key after setting it to a new value.", .complexity = "O(1)"},
    {.name = "getdel", .proc = cmd_getdel, .arity = 2, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_getdel), .group = "string", .since = "6.2.0",
     .summary = "Returns the string value of a key after deleting the key.", .complexity = "O(1)"},
    {.name = "getex", .proc = cmd_getex, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_rw1), .group = "string", .since = "6.2.0",
     .summary = "Returns the string value of a key after setting its expiration time.", .complexity = "O(1)"},
    {.name = "mget", .proc = cmd_mget, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_READ | ACL_STRING | ACL_FAST, .first_key = 1, .last_key = -1, .key_step = 1, SPECS(ks_mget),
     .group = "string", .since = "1.0.0", .summary = "Atomically returns the string values of one or more keys.",
     .complexity = "O(N) where N is the number of keys to retrieve."},
    {.name = "mset", .proc = cmd_mset, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_WRITE | ACL_STRING | ACL_SLOW, .first_key = 1, .last_key = -1, .key_step = 2, SPECS(ks_mset),
     .group = "string", .since = "1.0.1", .summary = "Atomically creates or modifies the string values of one or more keys.",
     .complexity = "O(N) where N is the number of keys to set."},
    {.name = "msetnx", .proc = cmd_msetnx, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_WRITE | ACL_STRING | ACL_SLOW, .first_key = 1, .last_key = -1, .key_step = 2, SPECS(ks_msetnx),
     .group = "string", .since = "1.0.1",
     .summary = "Atomically modifies the string values of one or more keys only when all keys don't exist.",
     .complexity = "O(N) where N is the number of keys to set."},
    {.name = "incr", .proc = cmd_incr, .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_rw1), .group = "string", .since = "1.0.0",
     .summary = "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
     .complexity = "O(1)"},
    {.name = "decr", .proc = cmd_decr, .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_rw1), .group = "string", .since = "1.0.0",
     .summary = "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
     .complexity = "O(1)"},
    {.name = "incrby", .proc = cmd_incrby, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_rw1), .group = "string", .since = "1.0.0",
     .summary = "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
     .complexity = "O(1)"},
    {.name = "decrby", .proc = cmd_decrby, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_rw1), .group = "string", .since = "1.0.0",
     .summary = "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
     .complexity = "O(1)"},
    {.name = "incrbyfloat", .proc = cmd_incrbyfloat, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_rw1), .group = "string", .since = "2.6.0",
     .summary = "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
     .complexity = "O(1)"},
    {.name = "strlen", .proc = cmd_strlen, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_READ | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_ro1), .group = "string", .since = "2.2.0",
     .summary = "Returns the length of a string value.", .complexity = "O(1)"},
    {.name = "append", .proc = cmd_append, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl = ACL_WRITE | ACL_STRING | ACL_FAST, KEY1, SPECS(ks_rw_insert1), .group = "string", .since = "2.0.0",
     .summary = "Appends a string to the value of a key. Creates the key if it doesn't exist.",
     .complexity = "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation."},
    {.name = "getrange", .proc = cmd_getrange, .arity = 4, .flags = CMD_READONLY,
     .acl = ACL_READ | ACL_STRING | ACL_SLOW, KEY1, SPECS(ks_ro1), .group = "string", .since = "2.4.0",
     .summary = "Returns a substring of the string stored at a key.",
     .complexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."},
    {.name = "substr", .proc = cmd_getrange, .arity = 4, .flags = CMD_READONLY,
     .acl = ACL_READ | ACL_STRING | ACL_SLOW, KEY1, SPECS(ks_ro1), .group = "string", .since = "1.0.0",
     .summary = "Returns a substring from a string value.",
     .complexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."},
    {.name = "setrange", .proc = cmd_setrange, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_WRITE | ACL_STRING | ACL_SLOW, KEY1, SPECS(ks_rw1), .group = "string", .since = "2.2.0",
     .summary = "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
     .complexity = "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument."},
    {.name = "lcs", .proc = cmd_lcs, .arity = -3, .flags = CMD_READONLY,
     .acl = ACL_READ | ACL_STRING | ACL_SLOW, .first_key = 1, .last_key = 2, .key_step = 1, SPECS(ks_lcs),
     .group = "string", .since = "7.0.0", .summary = "Finds the longest common substring.",
     .complexity = "O(N*M) where N and M are the lengths of s1 and s2, respectively"},
    {.name = NULL},
};

void t_string_init(void) { command_register(string_commands); }
