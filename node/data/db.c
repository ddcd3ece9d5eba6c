/* Databases, lookups, expiry: see db.h. */
#include "db.h"

#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "log.h"
#include "propagate.h"
#include "stats.h"

keyspace_t ks;

static void kv_node_key(const ht_node_t *n, const void **key, size_t *len) {
    const kv_t *kv = (const kv_t *)n;
    *key = kv_key(kv);
    *len = kv->klen;
}

static bool kv_key_eq(const ht_node_t *n, const void *key, size_t len) {
    const kv_t *kv = (const kv_t *)n;
    return kv->klen == len && memcmp(kv_key(kv), key, len) == 0;
}

static const ht_type_t kv_ht_type = {
    .hash = ht_hash_bytes,
    .node_key = kv_node_key,
    .key_eq = kv_key_eq,
};

void watch_db_init(db_t *db);

void db_init_all(int ndbs) {
    ks.ndbs = ndbs;
    ks.dbs = xcalloc((size_t)ndbs, sizeof(db_t));
    ks.active_expire_enabled = true;
    for (int i = 0; i < ndbs; i++) {
        ks.dbs[i].id = i;
        ht_init(&ks.dbs[i].keys, &kv_ht_type);
        watch_db_init(&ks.dbs[i]);
    }
}

db_t *db_get(int id) { return id >= 0 && id < ks.ndbs ? &ks.dbs[id] : NULL; }

size_t db_size(const db_t *db) { return ht_count(&db->keys); }
size_t db_expires(const db_t *db) { return db->nvol; }

/* ---- volatile array ----------------------------------------------------- */

static void vol_add(db_t *db, kv_t *kv) {
    if (db->nvol == db->volcap) {
        db->volcap = db->volcap ? db->volcap * 2 : 16;
        db->vol = xrealloc(db->vol, db->volcap * sizeof(kv_t *));
    }
    kv_exp(kv)->vidx = (uint32_t)db->nvol;
    db->vol[db->nvol++] = kv;
}

static void vol_remove(db_t *db, kv_t *kv) {
    uint32_t i = kv_exp(kv)->vidx;
    kv_t *last = db->vol[--db->nvol];
    db->vol[i] = last;
    kv_exp(last)->vidx = i;
    if (db->volcap > 64 && db->nvol < db->volcap / 4) {
        db->volcap /= 2;
        db->vol = xrealloc(db->vol, db->volcap * sizeof(kv_t *));
    }
}

/* ---- lookups ------------------------------------------------------------ */

static void delete_expired(db_t *db, kv_t *kv) {
    /* Copy the key: the entry is freed by the deletion. */
    char stack[128];
    size_t klen = kv->klen;
    char *key = klen <= sizeof(stack) ? stack : xmalloc(klen);
    memcpy(key, kv_key(kv), klen);
    db_delete(db, key, klen);
    db_signal_modified(db, key, klen);
    propagate_del(db->id, key, klen, server.cfg.lazyfree_lazy_expire);
    server.stat_expiredkeys++;
    db_notify(NOTIFY_EXPIRED, "expired", key, klen, db->id);
    if (key != stack) xfree(key);
}

bool db_expire_if_needed(db_t *db, kv_t *kv) {
    /* While loading (an AOF replays SET ... PXAT <past> then PERSIST), keys
     * never expire: Redis's rule, or data would be lost. */
    if (server.loading) return false;
    if (!db_kv_expired(kv, server.now_ms)) return false;
    if (ks.is_replica) return true;
    delete_expired(db, kv);
    return true;
}

kv_t *db_peek(db_t *db, const char *key, size_t klen) {
    return (kv_t *)ht_find(&db->keys, key, klen);
}

kv_t *db_lookup_write(db_t *db, const char *key, size_t klen) {
    kv_t *kv = (kv_t *)ht_find(&db->keys, key, klen);
    if (kv && kv->has_exp && db_expire_if_needed(db, kv)) {
        /* On a replica the key stays for the master's DEL, but writes from the
         * master must see it as it is; Redis does the same (lookupKeyWrite
         * treats it as missing only on masters). */
        if (!ks.is_replica) return NULL;
    }
    if (kv) kv_touch(kv);
    return kv;
}

kv_t *db_lookup_read(client_t *c, db_t *db, const char *key, size_t klen) {
    kv_t *kv = (kv_t *)ht_find(&db->keys, key, klen);
    if (kv && kv->has_exp && db_expire_if_needed(db, kv)) {
        if (!(c && (c->flags & CLIENT_MASTER))) kv = NULL;
    }
    if (!kv) {
        server.stat_keyspace_misses++;
        db_notify(NOTIFY_KEY_MISS, "keymiss", key, klen, db->id);
        return NULL;
    }
    server.stat_keyspace_hits++;
    if (!c || !(c->flags & CLIENT_NO_TOUCH)) kv_touch(kv);
    return kv;
}

bool db_exists(db_t *db, const char *key, size_t klen) {
    kv_t *kv = (kv_t *)ht_find(&db->keys, key, klen);
    if (kv && kv->has_exp && db_expire_if_needed(db, kv)) return false;
    return kv != NULL;
}

/* ---- writes ------------------------------------------------------------- */

bool db_add_new(db_t *db, kv_t *kv) {
    ht_pos_t pos;
    if (ht_lookup(&db->keys, kv_key(kv), kv->klen, &pos)) return false;
    kv_init_lru(kv);
    ht_insert_at(&db->keys, &pos, &kv->node);
    if (kv->has_exp) vol_add(db, kv);
    return true;
}

void db_add(db_t *db, kv_t *kv) {
    bool added = db_add_new(db, kv);
    (void)added;
}

void db_expand(db_t *db, size_t keys, size_t expires) {
    ht_expand(&db->keys, keys);
    if (expires > db->volcap) {
        db->volcap = expires;
        db->vol = xrealloc(db->vol, db->volcap * sizeof(kv_t *));
    }
}

/* Moves expire state from `from` to `to` (same key) and drops `from`. */
static kv_t *with_expire_of(kv_t *nw, const kv_t *old) {
    if (!old->has_exp) return nw;
    if (!nw->has_exp) {
        size_t sz = xusable(nw);
        kv_t *grown = xmalloc(sz + sizeof(kv_exp_t));
        memcpy(grown, nw, sizeof(kv_t));
        memcpy(grown->data + sizeof(kv_exp_t), nw->data, sz - sizeof(kv_t));
        grown->has_exp = 1;
        xfree(nw);
        nw = grown;
    }
    kv_exp(nw)->at_ms = kv_exp(old)->at_ms;
    return nw;
}

kv_t *db_set(db_t *db, kv_t *kv, bool keep_ttl) {
    ht_pos_t pos;
    kv_t *old = (kv_t *)ht_lookup(&db->keys, kv_key(kv), kv->klen, &pos);
    if (!old) {
        kv_init_lru(kv);
        ht_insert_at(&db->keys, &pos, &kv->node);
        if (kv->has_exp) vol_add(db, kv);
        return kv;
    }
    /* An expire the caller put on kv wins; otherwise KEEPTTL carries old's. */
    if (keep_ttl && old->has_exp && !kv->has_exp) kv = with_expire_of(kv, old);
    if (old->has_exp) {
        if (kv->has_exp) {
            /* Take over old's slot in vol. */
            uint32_t i = kv_exp(old)->vidx;
            kv_exp(kv)->vidx = i;
            db->vol[i] = kv;
        } else {
            vol_remove(db, old);
        }
    } else if (kv->has_exp) {
        vol_add(db, kv);
    }
    kv_inherit_lru(kv, old);
    ht_replace_at(&db->keys, &pos, &kv->node);
    kv_free(old);
    return kv;
}

kv_t *db_set_string(db_t *db, const char *key, size_t klen, const char *val, size_t vlen, bool keep_ttl) {
    ht_pos_t pos;
    kv_t *old = (kv_t *)ht_lookup(&db->keys, key, klen, &pos);
    if (old && old->type == OBJ_STRING && (keep_ttl || !old->has_exp)) {
        long long ll;
        if (vlen <= 20 && str2ll(val, vlen, &ll)) {
            if (old->enc == ENC_INT || old->enc == ENC_EMBSTR) {
                old->enc = ENC_INT;
                old->v.i = ll;
                kv_inherit_lru(old, old);
                return old;
            }
        } else if (kv_fits_embedded(old, vlen) ||
                   (old->enc == ENC_INT && vlen <= KV_EMBED_MAX &&
                    sizeof(kv_t) + (old->has_exp ? sizeof(kv_exp_t) : 0) + old->klen + vlen <= xusable(old))) {
            old->enc = ENC_EMBSTR;
            kv_set_embedded(old, val, vlen);
            kv_inherit_lru(old, old);
            return old;
        }
    }
    bool exp = old && keep_ttl && old->has_exp;
    kv_t *kv = kv_new_str(key, klen, val, vlen, exp);
    if (!old) {
        kv_init_lru(kv);
        ht_insert_at(&db->keys, &pos, &kv->node);
        return kv;
    }
    if (old->has_exp) {
        if (exp) {
            kv_exp(kv)->at_ms = kv_exp(old)->at_ms;
            uint32_t i = kv_exp(old)->vidx;
            kv_exp(kv)->vidx = i;
            db->vol[i] = kv;
        } else {
            vol_remove(db, old);
        }
    }
    kv_inherit_lru(kv, old);
    ht_replace_at(&db->keys, &pos, &kv->node);
    kv_free(old);
    return kv;
}

kv_t *db_unlink(db_t *db, const char *key, size_t klen) {
    ht_pos_t pos;
    kv_t *kv = (kv_t *)ht_lookup(&db->keys, key, klen, &pos);
    if (!kv) return NULL;
    ht_unlink_at(&db->keys, &pos);
    if (kv->has_exp) vol_remove(db, kv);
    return kv;
}

bool db_delete(db_t *db, const char *key, size_t klen) {
    kv_t *kv = db_unlink(db, key, klen);
    if (!kv) return false;
    kv_free(kv);
    return true;
}

/* Replaces kv's allocation by nw in the table (same key). */
static void relink(db_t *db, kv_t *old, kv_t *nw) {
    ht_pos_t pos;
    ht_node_t *found = ht_lookup(&db->keys, kv_key(nw), nw->klen, &pos);
    (void)found;
    ht_replace_at(&db->keys, &pos, &nw->node);
    (void)old;
}

kv_t *db_set_expire(db_t *db, kv_t *kv, int64_t at_ms) {
    if (kv->has_exp) {
        kv_exp(kv)->at_ms = at_ms;
        return kv;
    }
    size_t sz = xusable(kv);
    kv_t *nw = xmalloc(sz + sizeof(kv_exp_t));
    memcpy(nw, kv, sizeof(kv_t));
    memcpy(nw->data + sizeof(kv_exp_t), kv->data, sz - sizeof(kv_t));
    nw->has_exp = 1;
    kv_exp(nw)->at_ms = at_ms;
    kv_exp(nw)->pad = 0;
    relink(db, kv, nw);
    xfree(kv); /* the value (if any) now belongs to nw */
    vol_add(db, nw);
    return nw;
}

kv_t *db_remove_expire(db_t *db, kv_t *kv) {
    if (!kv->has_exp) return kv;
    vol_remove(db, kv);
    size_t sz = xusable(kv);
    kv_t *nw = xmalloc(sz - sizeof(kv_exp_t));
    memcpy(nw, kv, sizeof(kv_t));
    memcpy(nw->data, kv->data + sizeof(kv_exp_t), sz - sizeof(kv_t) - sizeof(kv_exp_t));
    nw->has_exp = 0;
    relink(db, kv, nw);
    xfree(kv);
    return nw;
}

/* ---- flush / swap / random ---------------------------------------------- */

static void free_kv_node(ht_node_t *n, void *ud) { kv_free((kv_t *)n); }

long long db_flush(int dbid) {
    long long removed = 0;
    db_signal_flushed(dbid); /* before: only keys that exist invalidate WATCH */
    for (int i = 0; i < ks.ndbs; i++) {
        if (dbid != -1 && dbid != i) continue;
        db_t *db = &ks.dbs[i];
        removed += (long long)ht_count(&db->keys);
        ht_clear(&db->keys, free_kv_node, NULL);
        xfree(db->vol);
        db->vol = NULL;
        db->nvol = db->volcap = 0;
        db->avg_ttl = 0;
    }
    return removed;
}

void db_swap(int a, int b) {
    db_t tmp = ks.dbs[a];
    ks.dbs[a].keys = ks.dbs[b].keys;
    ks.dbs[a].vol = ks.dbs[b].vol;
    ks.dbs[a].nvol = ks.dbs[b].nvol;
    ks.dbs[a].volcap = ks.dbs[b].volcap;
    ks.dbs[a].avg_ttl = ks.dbs[b].avg_ttl;
    ks.dbs[b].keys = tmp.keys;
    ks.dbs[b].vol = tmp.vol;
    ks.dbs[b].nvol = tmp.nvol;
    ks.dbs[b].volcap = tmp.volcap;
    ks.dbs[b].avg_ttl = tmp.avg_ttl;
    db_signal_swapped(a, b);
}

kv_t *db_random_key(db_t *db) {
    for (int tries = 0; tries < 100; tries++) {
        kv_t *kv = (kv_t *)ht_random(&db->keys, server_rand);
        if (!kv) return NULL;
        if (!db_kv_expired(kv, server.now_ms)) return kv;
        if (ks.is_replica) {
            /* All keys may be logically expired on a replica: give up after
             * a few tries and return one anyway, as Redis does. */
            if (tries > 10) return kv;
            continue;
        }
        delete_expired(db, kv);
    }
    return NULL;
}

/* ---- active expiry ------------------------------------------------------ */

/* Adaptive cycle as in Redis (expire.c), on our volatile arrays:
 *  - slow cycle each cron tick, at most 25% CPU of the tick (+ effort);
 *  - per db, sample 20 (+5 per effort level) random volatile keys, delete the
 *    expired; repeat while more than 10% (- effort) of a sample was expired;
 *  - fast cycle before poll, at most 1 ms, only when the last slow cycle
 *    hit its time limit. */
static bool fast_needed;

void db_active_expire_cycle(bool fast) {
    if (!ks.active_expire_enabled || ks.is_replica || server.loading) return;
    int effort = server.cfg.active_expire_effort - 1;
    int per_loop = 20 + 20 / 4 * effort;
    int acceptable_stale = 10 - effort;
    int64_t limit_us;
    if (fast) {
        if (!fast_needed) return;
        limit_us = 1000 + 250 * effort;
    } else {
        int hz = server.cfg.hz ? server.cfg.hz : 10;
        limit_us = (int64_t)(25 + 2 * effort) * 1000000 / hz / 100;
    }
    int64_t start = clock_mono_us();
    bool timed_out = false;
    for (int n = 0; n < ks.ndbs && !timed_out; n++) {
        db_t *db = &ks.dbs[ks.expire_db_cursor % ks.ndbs];
        ks.expire_db_cursor++;
        for (;;) {
            if (db->nvol == 0) break;
            int sampled = 0, expired = 0;
            long long ttl_sum = 0;
            int ttl_samples = 0;
            int now_batch = per_loop < (int)db->nvol ? per_loop : (int)db->nvol;
            for (int i = 0; i < now_batch && db->nvol; i++) {
                kv_t *kv = db->vol[server_rand() % db->nvol];
                sampled++;
                int64_t ttl = kv_exp(kv)->at_ms - server.now_ms;
                if (ttl < 0) {
                    delete_expired(db, kv);
                    expired++;
                } else {
                    ttl_sum += ttl;
                    ttl_samples++;
                }
            }
            if (ttl_samples) {
                long long avg = ttl_sum / ttl_samples;
                db->avg_ttl = db->avg_ttl ? (db->avg_ttl / 50) * 49 + avg / 50 : avg;
            }
            if (clock_mono_us() - start > limit_us) {
                timed_out = true;
                break;
            }
            if (sampled == 0 || expired * 100 / sampled <= acceptable_stale) break;
        }
    }
    int64_t elapsed = clock_mono_us() - start;
    if (elapsed > 1000) stats_latency_event(fast ? "expire-cycle" : "expire-cycle", elapsed / 1000);
    if (!fast) {
        fast_needed = timed_out;
        if (timed_out) server.stat_expired_time_cap_reached_count++;
    }
}
