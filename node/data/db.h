/* The keyspace: numbered databases of kv entries, expiry, WATCH, notifications.
 *
 * Owns: every db_t (its key table and volatile-key array), the watched-keys
 * registry, and the rules for lazy and active expiry.  Called by the data
 * commands; server commands reach it through db_get().
 *
 * Design notes:
 *  1. A db has one hash table of kv_t (key and value in one allocation) and
 *     an array `vol` of the entries that carry an expire; each such entry
 *     stores its index in `vol`, so adding, removing and sampling a TTL key
 *     are O(1) (active expiry samples random slots of `vol`).
 *  2. Any change of an entry's allocation goes through db.c, which relinks
 *     the table and the vol slot: nobody else keeps kv_t pointers across a
 *     command.
 *  3. Expiry: a key is logically gone once now_ms > at_ms.  On a master the
 *     lookup deletes it (and would propagate DEL); a replica never deletes on
 *     its own (DESIGN.md §4): it answers reads as if the key were missing and
 *     waits for the master's DEL.  `db_is_replica` is set by replication.
 *  4. Every write calls db_signal_modified() (WATCH) and db_notify() (keyspace
 *     events), and bumps server.dirty.
 */
#ifndef KEEL_DB_H
#define KEEL_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv.h"
#include "server.h"

typedef struct db {
    ht_t keys;
    kv_t **vol;
    size_t nvol, volcap;
    int id;
    long long avg_ttl;     /* ms, estimated by the active expiry cycle */
    ht_t watched;          /* key -> list of watching clients */
} db_t;

typedef struct keyspace {
    db_t *dbs;
    int ndbs;
    bool is_replica;       /* set by replication: no deletion on expiry */
    bool active_expire_enabled; /* DEBUG SET-ACTIVE-EXPIRE */
    int expire_db_cursor;
} keyspace_t;

extern keyspace_t ks;

void db_init_all(int ndbs);
db_t *db_get(int id);

/* Lookups.  _read updates LRU/LFU (unless the client has NO-TOUCH) and
 * keyspace hit/miss stats; both expire the key lazily first. */
kv_t *db_lookup_read(client_t *c, db_t *db, const char *key, size_t klen);
kv_t *db_lookup_write(db_t *db, const char *key, size_t klen);
/* No side effects at all (TYPE-less introspection, OBJECT, DEBUG). */
kv_t *db_peek(db_t *db, const char *key, size_t klen);
bool db_exists(db_t *db, const char *key, size_t klen);

/* Adds kv (key must be absent); takes ownership. */
void db_add(db_t *db, kv_t *kv);
/* Adds kv unless its key exists (then returns false and keeps nothing):
 * one hash lookup for "check then insert" (RDB loading). */
bool db_add_new(db_t *db, kv_t *kv);
/* Room for `keys` keys and `expires` TTLs ahead of a bulk load. */
void db_expand(db_t *db, size_t keys, size_t expires);
/* Sets key to kv, replacing any existing entry (whose expire is dropped
 * unless keep_ttl); takes ownership.  Returns the entry now in the table. */
kv_t *db_set(db_t *db, kv_t *kv, bool keep_ttl);
/* SET fast path: string value, replacing; reuses the entry when the value fits. */
kv_t *db_set_string(db_t *db, const char *key, size_t klen, const char *val, size_t vlen, bool keep_ttl);
/* Deletes the key; true if it existed. */
bool db_delete(db_t *db, const char *key, size_t klen);
/* Removes the entry from the db without freeing it (RENAME, MOVE); caller owns it. */
kv_t *db_unlink(db_t *db, const char *key, size_t klen);

/* Expire management.  Both may reallocate the entry: use the returned one. */
kv_t *db_set_expire(db_t *db, kv_t *kv, int64_t at_ms);
kv_t *db_remove_expire(db_t *db, kv_t *kv);
/* True if kv is logically expired now. */
static inline bool db_kv_expired(const kv_t *kv, int64_t now_ms) {
    return kv->has_exp && kv_exp(kv)->at_ms < now_ms;
}
/* Deletes kv if expired (not on replicas); true if it is expired. */
bool db_expire_if_needed(db_t *db, kv_t *kv);

size_t db_size(const db_t *db);
size_t db_expires(const db_t *db);
long long db_flush(int dbid); /* -1 = all; returns keys removed */
void db_swap(int a, int b);
kv_t *db_random_key(db_t *db);

/* Active expiry: called from cron (slow cycle) and before poll (fast cycle). */
void db_active_expire_cycle(bool fast);

/* WATCH support (implemented in watch.c). */
void db_signal_modified(db_t *db, const char *key, size_t klen);
void db_signal_flushed(int dbid); /* -1 = all */
void db_signal_swapped(int a, int b);

/* Keyspace notifications (notify.c): type is a NOTIFY_* class. */
void db_notify(int type, const char *event, const char *key, size_t klen, int dbid);

/* Called on every dataset change: dirty counter, watchers. */
static inline void db_changed(db_t *db, const char *key, size_t klen, long long n) {
    db_signal_modified(db, key, klen);
    server.dirty += n;
}

/* LRU/LFU helpers (evict.c). */
void kv_touch(kv_t *kv);                         /* an access (lookup) */
void kv_init_lru(kv_t *kv);                      /* a new value */
void kv_inherit_lru(kv_t *kv, const kv_t *old);  /* a value replacing old */
uint8_t kv_lfu_counter(const kv_t *kv);
long long kv_idle_ms(const kv_t *kv);

#endif
