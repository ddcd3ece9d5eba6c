/* WATCH: optimistic locking for MULTI/EXEC.
 *
 * Each db has a table `watched` of watched keys; a node holds the key and the
 * list of clients watching it.  Each client has a list of its watched keys
 * (client->watched).  A write to a watched key, its expiry, a flush or a
 * swap of its db marks every watching client CLIENT_DIRTY_CAS, so its EXEC
 * fails with a null reply.
 */
#include <string.h>

#include "alloc.h"
#include "db.h"

typedef struct wkey {
    ht_node_t node;       /* in db->watched */
    client_t **clients;
    size_t n, cap;
    size_t klen;
    char key[];
} wkey_t;

/* One client's watch: (db, key) pairs, kept as a list on the client. */
typedef struct watched_key {
    struct watched_key *next;
    int dbid;
    size_t klen;
    int64_t expire_at_watch; /* -1 if the key had no TTL or was missing */
    bool existed_expired;    /* key was logically expired when WATCHed */
    char key[];
} watched_key_t;

static void wkey_node_key(const ht_node_t *n, const void **key, size_t *len) {
    const wkey_t *w = (const wkey_t *)n;
    *key = w->key;
    *len = w->klen;
}

static const ht_type_t wkey_type = {.hash = ht_hash_bytes, .node_key = wkey_node_key};

void watch_db_init(db_t *db) { ht_init(&db->watched, &wkey_type); }

bool watch_is_watching(client_t *c, int dbid, const char *key, size_t klen) {
    for (watched_key_t *w = c->watched; w; w = w->next)
        if (w->dbid == dbid && w->klen == klen && memcmp(w->key, key, klen) == 0) return true;
    return false;
}

void watch_key(client_t *c, db_t *db, const char *key, size_t klen) {
    if (watch_is_watching(c, db->id, key, klen)) return;
    wkey_t *wk = (wkey_t *)ht_find(&db->watched, key, klen);
    if (!wk) {
        wk = xmalloc(sizeof(*wk) + klen);
        wk->clients = NULL;
        wk->n = wk->cap = 0;
        wk->klen = klen;
        memcpy(wk->key, key, klen);
        ht_insert(&db->watched, &wk->node);
    }
    if (wk->n == wk->cap) {
        wk->cap = wk->cap ? wk->cap * 2 : 4;
        wk->clients = xrealloc(wk->clients, wk->cap * sizeof(client_t *));
    }
    wk->clients[wk->n++] = c;
    watched_key_t *w = xmalloc(sizeof(*w) + klen);
    w->dbid = db->id;
    w->klen = klen;
    memcpy(w->key, key, klen);
    kv_t *kv = db_peek(db, key, klen);
    w->existed_expired = kv && db_kv_expired(kv, server.now_ms);
    w->expire_at_watch = kv ? kv_expire_at(kv) : -1;
    w->next = c->watched;
    c->watched = w;
}

void watch_unwatch_all(client_t *c) {
    watched_key_t *w = c->watched;
    while (w) {
        watched_key_t *next = w->next;
        db_t *db = db_get(w->dbid);
        wkey_t *wk = (wkey_t *)ht_find(&db->watched, w->key, w->klen);
        if (wk) {
            for (size_t i = 0; i < wk->n; i++) {
                if (wk->clients[i] == c) {
                    wk->clients[i] = wk->clients[--wk->n];
                    break;
                }
            }
            if (wk->n == 0) {
                ht_remove(&db->watched, w->key, w->klen);
                xfree(wk->clients);
                xfree(wk);
            }
        }
        xfree(w);
        w = next;
    }
    c->watched = NULL;
    c->flags &= ~CLIENT_DIRTY_CAS;
}

/* EXEC-time check for keys that expired after WATCH without being deleted
 * (lazy expiry): Redis treats those as modified too. */
bool watch_expired_since(client_t *c) {
    for (watched_key_t *w = c->watched; w; w = w->next) {
        if (w->existed_expired) continue;
        kv_t *kv = db_peek(db_get(w->dbid), w->key, w->klen);
        if (kv && db_kv_expired(kv, server.now_ms)) return true;
    }
    return false;
}

void db_signal_modified(db_t *db, const char *key, size_t klen) {
    if (ht_count(&db->watched) == 0) return;
    wkey_t *wk = (wkey_t *)ht_find(&db->watched, key, klen);
    if (!wk) return;
    for (size_t i = 0; i < wk->n; i++) wk->clients[i]->flags |= CLIENT_DIRTY_CAS;
}

static void touch_all_in(db_t *db, bool only_existing) {
    if (ht_count(&db->watched) == 0) return;
    ht_iter_t it;
    ht_iter_init(&it, &db->watched);
    for (ht_node_t *n; (n = ht_iter_next(&it));) {
        wkey_t *wk = (wkey_t *)n;
        if (only_existing && !db_peek(db, wk->key, wk->klen)) continue;
        for (size_t i = 0; i < wk->n; i++) wk->clients[i]->flags |= CLIENT_DIRTY_CAS;
    }
    ht_iter_done(&it);
}

void db_signal_flushed(int dbid) {
    /* Called before the flush: watchers of keys that exist are touched. */
    for (int i = 0; i < ks.ndbs; i++)
        if (dbid == -1 || dbid == i) touch_all_in(&ks.dbs[i], true);
}

void db_signal_swapped(int a, int b) {
    /* After the swap: a watched key is touched if it exists in either db now. */
    for (int k = 0; k < 2; k++) {
        db_t *db = &ks.dbs[k ? b : a];
        db_t *other = &ks.dbs[k ? a : b];
        ht_iter_t it;
        ht_iter_init(&it, &db->watched);
        for (ht_node_t *n; (n = ht_iter_next(&it));) {
            wkey_t *wk = (wkey_t *)n;
            if (!db_peek(db, wk->key, wk->klen) && !db_peek(other, wk->key, wk->klen)) continue;
            for (size_t i = 0; i < wk->n; i++) wk->clients[i]->flags |= CLIENT_DIRTY_CAS;
        }
        ht_iter_done(&it);
    }
}
