/* Intrusive chained hash table with incremental rehashing and a SCAN cursor.
 *
 * Owns: bucket arrays only.  Nodes belong to the caller, which embeds an
 * ht_node_t as the FIRST member of its own struct (the keyspace entry kv_t,
 * pub/sub channels, the command table, ...).  The table never allocates or
 * frees nodes, so a keyspace entry costs one allocation plus its bucket slot.
 *
 * Design notes:
 *  1. Two bucket arrays t[0], t[1]; while rehashing (rehash_idx >= 0) buckets
 *     move from t[0] to t[1] a few at a time on each lookup/insert/delete, and
 *     by ht_rehash_ms() from the server cron.  New nodes go to t[1].
 *  2. Sizes are powers of two.  Grow to the next power >= 2*used when
 *     used >= size (load factor 1), or when used >= 4*size even while resizing is
 *     disabled (ht_set_resize_allowed(false), used while a fork child shares
 *     pages copy-on-write).  Shrink when used < size/8 and size > 4 (only
 *     when resizing is allowed; triggered by ht_maybe_shrink() from cron).
 *  3. SCAN uses Redis's reverse-binary cursor over the smaller then the larger
 *     table, so a node present for the whole scan is returned at least once
 *     even across resizes (it may be returned more than once).
 *  4. Hashing: ht_hash_bytes()/ht_hash_nocase() are SipHash-2-4 (libsodium
 *     crypto_shorthash) under a per-process random key set by ht_seed(), so
 *     clients cannot flood a chain.
 *  5. Positions: ht_lookup() fills an ht_pos_t that ht_insert_at(),
 *     ht_unlink_at() and ht_replace_at() reuse, so a read-modify-write hashes
 *     the key once.  A position is valid only until the next mutation of the
 *     table (any insert/unlink/replace/rehash step/lookup).
 */
#ifndef KEEL_HT_H
#define KEEL_HT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ht_node {
    struct ht_node *next;
} ht_node_t;

typedef struct ht_type {
    /* Hash of a lookup key. */
    uint64_t (*hash)(const void *key, size_t len);
    /* The key a node carries (borrowed pointers into the node). */
    void (*node_key)(const ht_node_t *n, const void **key, size_t *len);
    /* Key equality; NULL means length + memcmp of node_key(). */
    bool (*key_eq)(const ht_node_t *n, const void *key, size_t len);
} ht_type_t;

typedef struct ht {
    const ht_type_t *type;
    ht_node_t **t[2];
    size_t size[2];     /* buckets; 0 when the table is not allocated */
    size_t used[2];     /* nodes */
    ssize_t rehash_idx; /* -1 when not rehashing */
    int iterators;      /* live safe iterators: rehash steps are paused */
} ht_t;

typedef struct ht_pos {
    uint64_t hash;
    ht_node_t **link; /* the pointer that holds the found node, or the bucket head to insert at */
    int table;        /* which of t[0]/t[1] `link` is in */
} ht_pos_t;

void ht_seed(const unsigned char key[16]);
uint64_t ht_hash_bytes(const void *p, size_t len);
uint64_t ht_hash_nocase(const void *p, size_t len); /* ASCII case folded */

void ht_init(ht_t *h, const ht_type_t *type);
/* Unlinks every node, calling free_node (may be NULL) on each, and frees the buckets. */
void ht_clear(ht_t *h, void (*free_node)(ht_node_t *n, void *ud), void *ud);
static inline size_t ht_count(const ht_t *h) { return h->used[0] + h->used[1]; }
static inline size_t ht_buckets(const ht_t *h) { return h->size[0] + h->size[1]; }
static inline bool ht_is_rehashing(const ht_t *h) { return h->rehash_idx >= 0; }

ht_node_t *ht_find(ht_t *h, const void *key, size_t len);
/* Like ht_find, and fills *pos for a following _at call (see note 5). */
ht_node_t *ht_lookup(ht_t *h, const void *key, size_t len, ht_pos_t *pos);
/* Inserts n, whose key must be absent (pos from an ht_lookup that returned NULL). */
void ht_insert_at(ht_t *h, ht_pos_t *pos, ht_node_t *n);
/* Unlinks the node ht_lookup found at pos. */
void ht_unlink_at(ht_t *h, ht_pos_t *pos);
/* Puts n (same key) in place of the node ht_lookup found at pos. */
void ht_replace_at(ht_t *h, ht_pos_t *pos, ht_node_t *n);

/* Convenience forms.  ht_insert asserts the key is absent. */
void ht_insert(ht_t *h, ht_node_t *n);
ht_node_t *ht_remove(ht_t *h, const void *key, size_t len); /* NULL if absent */

/* Rehash up to n buckets (visiting at most 10*n empty ones); false when done. */
bool ht_rehash_step(ht_t *h, int n);
/* Rehash for about ms milliseconds; returns buckets moved. */
int ht_rehash_ms(ht_t *h, int ms);
void ht_maybe_shrink(ht_t *h);
/* Sizes the table for `count` nodes ahead of a bulk insert (RDB RESIZEDB),
 * so loading does not rehash.  Does nothing while rehashing or when the
 * table is already big enough. */
void ht_expand(ht_t *h, size_t count);
void ht_set_resize_allowed(bool allowed); /* process-wide */

/* A random node (NULL if empty): picks a random non-empty bucket, then a
 * random node of its chain.  rnd supplies the randomness. */
ht_node_t *ht_random(ht_t *h, uint64_t (*rnd)(void));
/* Up to `count` nodes from random places (may repeat none, may return fewer);
 * used by eviction and active expiry.  Returns how many were stored. */
size_t ht_sample(ht_t *h, ht_node_t **out, size_t count, uint64_t (*rnd)(void));

/* One SCAN step: calls fn on every node of the buckets at cursor; returns the
 * next cursor (0 when the scan is complete).  fn must not modify the table. */
uint64_t ht_scan(ht_t *h, uint64_t cursor, void (*fn)(ht_node_t *n, void *ud), void *ud);

/* Safe iteration: rehashing pauses while an iterator lives, and the current
 * node may be unlinked (ht_remove/ht_unlink_at) between ht_iter_next calls.
 * Inserting during iteration is allowed but the new node may or may not be
 * visited. */
typedef struct ht_iter {
    ht_t *h;
    int table;
    ssize_t index;
    ht_node_t *cur, *next;
} ht_iter_t;
void ht_iter_init(ht_iter_t *it, ht_t *h);
ht_node_t *ht_iter_next(ht_iter_t *it);
void ht_iter_done(ht_iter_t *it);

/* Debug/test: verifies counts and that every node hashes to its bucket. */
bool ht_check(ht_t *h);

#endif
