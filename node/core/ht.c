/* Intrusive chained hash table with incremental rehashing and a SCAN cursor: see ht.h.
 *
 * Design notes (numbered invariants; ht_check() verifies 1-4):
 *  1. Not rehashing (rehash_idx == -1): t[1] == NULL, size[1] == used[1] == 0.
 *     t[0] == NULL exactly when size[0] == 0; the first insert allocates
 *     HT_INITIAL_SIZE buckets.
 *  2. Rehashing: both tables are allocated and every t[0] bucket below
 *     rehash_idx is empty, so a key lives in t[0][hash & mask0] when that index is
 *     >= rehash_idx, else in t[1][hash & mask1].  Inserts go to t[1].
 *  3. used[i] is the number of nodes chained in t[i]; each node sits in the
 *     bucket its hash selects, and no key is present twice.
 *  4. Sizes are powers of two, so a bucket index is hash & (size - 1).
 *  5. Ordering: ht_lookup() does its rehash step BEFORE it searches, so the
 *     position it returns is current; ht_insert_at() links the node first and
 *     only then may start an expansion, which allocates t[1] but moves nothing.
 *     The _at calls never do a rehash step themselves.
 *  6. Rehash steps (lookup, random, sample, ht_rehash_step, ht_rehash_ms) are
 *     skipped while h->iterators > 0: a safe iterator and a SCAN callback may
 *     then hold pointers into chains without them moving underneath.
 *     Expansion and shrinking may still start (they move nothing).
 *  7. Nodes carry no cached hash: a rehash recomputes it from node_key().
 *     That keeps a node at one pointer of overhead.
 *
 * Resize policy (note 2 of ht.h), worked: with 4 buckets, the insert that
 * makes used == 4 starts a grow to the next power >= 8, i.e. 8 buckets.
 * With resizing disallowed the same table grows only when used reaches 16
 * (4 * size), to 32 buckets.  ht_maybe_shrink() on 64 buckets holding 7 nodes
 * (7 < 64/8) shrinks to the next power >= 2*7, i.e. 16 buckets, so a shrink
 * never leaves the table at its grow threshold. */
#include "ht.h"

#include <assert.h>
#include <limits.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

#define HT_INITIAL_SIZE 4
#define HT_FORCE_RATIO 4   /* grow even when resizing is disallowed */
#define HT_SHRINK_RATIO 8  /* shrink when used < size / 8 */
#define HT_NOCASE_STACK 64 /* keys up to this long fold on the stack */

static_assert(crypto_shorthash_BYTES == 8, "SipHash-2-4 output is 64 bits");
static_assert(crypto_shorthash_KEYBYTES == 16, "ht_seed takes a 16-byte key");

static unsigned char seed_key[crypto_shorthash_KEYBYTES]; /* all zero until ht_seed() */
static bool resize_allowed = true;

/* ------------------------------------------------------------------------ */
/* Hashing */

void ht_seed(const unsigned char key[16]) { memcpy(seed_key, key, sizeof(seed_key)); }

/* SipHash's output is defined as little-endian bytes; read it the same way on
 * every host so hashes (and SCAN orders) do not depend on endianness. */
static inline uint64_t load_le64(const unsigned char b[8]) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

uint64_t ht_hash_bytes(const void *p, size_t len) {
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, p, len, seed_key);
    return load_le64(out);
}

static inline void fold_ascii(unsigned char *dst, const unsigned char *src, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = src[i];
        dst[i] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
    }
}

/* crypto_shorthash is one-shot, so a long key is folded into a heap copy.
 * Case-insensitive keys (command and config names) are short in practice. */
uint64_t ht_hash_nocase(const void *p, size_t len) {
    unsigned char out[crypto_shorthash_BYTES];
    if (len <= HT_NOCASE_STACK) {
        unsigned char tmp[HT_NOCASE_STACK];
        fold_ascii(tmp, p, len);
        crypto_shorthash(out, tmp, len, seed_key);
    } else {
        unsigned char *tmp = xmalloc(len);
        fold_ascii(tmp, p, len);
        crypto_shorthash(out, tmp, len, seed_key);
        xfree(tmp);
    }
    return load_le64(out);
}

/* ------------------------------------------------------------------------ */
/* Table state */

void ht_init(ht_t *h, const ht_type_t *type) {
    memset(h, 0, sizeof(*h));
    h->type = type;
    h->rehash_idx = -1;
}

void ht_set_resize_allowed(bool allowed) { resize_allowed = allowed; }

static inline size_t mask_of(const ht_t *h, int table) { return h->size[table] - 1; }

static inline bool node_has_key(const ht_type_t *type, const ht_node_t *n, const void *key,
                                size_t len) {
    if (type->key_eq) return type->key_eq(n, key, len);
    const void *k;
    size_t klen;
    type->node_key(n, &k, &klen);
    return klen == len && (len == 0 || memcmp(k, key, len) == 0);
}

static inline uint64_t node_hash(const ht_type_t *type, const ht_node_t *n) {
    const void *k;
    size_t klen;
    type->node_key(n, &k, &klen);
    return type->hash(k, klen);
}

/* Smallest power of two >= want, at least HT_INITIAL_SIZE.  Saturates at the
 * top power of two; xcalloc then aborts on the impossible allocation. */
static size_t next_power(size_t want) {
    size_t s = HT_INITIAL_SIZE;
    while (s < want && s <= SIZE_MAX / 2) s <<= 1;
    return s;
}

/* Allocates the first table, or t[1] and starts rehashing into it.  Moves
 * nothing, so positions and iterators stay valid (note 5). */
static void start_resize(ht_t *h, size_t size) {
    assert(!ht_is_rehashing(h));
    ht_node_t **t = xcalloc(size, sizeof(*t));
    if (h->t[0] == NULL) {
        h->t[0] = t;
        h->size[0] = size;
        return;
    }
    h->t[1] = t;
    h->size[1] = size;
    h->used[1] = 0;
    h->rehash_idx = 0;
}

static void grow_if_needed(ht_t *h) {
    if (ht_is_rehashing(h)) return;
    size_t used = h->used[0], size = h->size[0];
    if (used < size) return;
    if (!resize_allowed && used / size < HT_FORCE_RATIO) return;
    size_t to = next_power(used <= SIZE_MAX / 2 ? 2 * used : used);
    if (to > size) start_resize(h, to);
}

void ht_expand(ht_t *h, size_t count) {
    if (ht_is_rehashing(h)) return;
    size_t to = next_power(count);
    if (h->t[0] == NULL || to > h->size[0]) start_resize(h, to);
}

void ht_maybe_shrink(ht_t *h) {
    if (!resize_allowed || ht_is_rehashing(h)) return;
    size_t used = h->used[0], size = h->size[0];
    if (size <= HT_INITIAL_SIZE || used >= size / HT_SHRINK_RATIO) return;
    size_t to = next_power(2 * used);
    if (to < size) start_resize(h, to);
}

/* Moves up to n non-empty buckets of t[0] to t[1], giving up after 10*n empty
 * ones; counts the buckets moved into *moved.  Finishes the rehash (t[1]
 * becomes t[0]) once t[0] is empty.  Returns whether rehashing continues.
 * Callers check h->iterators (note 6). */
static bool rehash(ht_t *h, int n, size_t *moved) {
    if (!ht_is_rehashing(h)) return false;
    const ht_type_t *type = h->type;
    ht_node_t **t0 = h->t[0], **t1 = h->t[1];
    size_t mask1 = mask_of(h, 1);
    size_t idx = (size_t)h->rehash_idx;
    size_t empty_left = n > 0 ? (size_t)n * 10 : 0;

    while (n-- > 0 && h->used[0] != 0) {
        /* used[0] != 0 means a non-empty bucket remains at or after idx. */
        while (t0[idx] == NULL) {
            idx++;
            if (--empty_left == 0) {
                h->rehash_idx = (ssize_t)idx;
                return true;
            }
        }
        ht_node_t *node = t0[idx];
        while (node) {
            ht_node_t *next = node->next;
            size_t b = node_hash(type, node) & mask1;
            node->next = t1[b];
            t1[b] = node;
            h->used[0]--;
            h->used[1]++;
            node = next;
        }
        t0[idx] = NULL;
        idx++;
        if (moved) (*moved)++;
    }
    h->rehash_idx = (ssize_t)idx;

    if (h->used[0] != 0) return true;
    xfree(h->t[0]);
    h->t[0] = h->t[1];
    h->size[0] = h->size[1];
    h->used[0] = h->used[1];
    h->t[1] = NULL;
    h->size[1] = 0;
    h->used[1] = 0;
    h->rehash_idx = -1;
    return false;
}

static inline void rehash_step_if_allowed(ht_t *h) {
    if (ht_is_rehashing(h) && h->iterators == 0) rehash(h, 1, NULL);
}

bool ht_rehash_step(ht_t *h, int n) {
    if (h->iterators > 0) return ht_is_rehashing(h);
    return rehash(h, n, NULL);
}

static uint64_t monotonic_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int ht_rehash_ms(ht_t *h, int ms) {
    if (h->iterators > 0 || !ht_is_rehashing(h)) return 0;
    uint64_t start = monotonic_us();
    uint64_t budget = ms > 0 ? (uint64_t)ms * 1000u : 0;
    size_t moved = 0;
    while (rehash(h, 100, &moved)) {
        if (monotonic_us() - start >= budget) break;
    }
    return moved > (size_t)INT_MAX ? INT_MAX : (int)moved;
}

/* ------------------------------------------------------------------------ */
/* Lookup and the _at calls */

/* The link holding key in the given table's bucket, or NULL. */
static inline ht_node_t **chain_find(const ht_type_t *type, ht_node_t **link, const void *key,
                                     size_t len) {
    for (; *link; link = &(*link)->next) {
        if (node_has_key(type, *link, key, len)) return link;
    }
    return NULL;
}

ht_node_t *ht_lookup(ht_t *h, const void *key, size_t len, ht_pos_t *pos) {
    uint64_t hash = h->type->hash(key, len);
    rehash_step_if_allowed(h); /* before searching: pos must survive it (note 5) */
    pos->hash = hash;
    pos->table = 0;
    pos->link = NULL;
    if (h->t[0] == NULL) return NULL; /* ht_insert_at allocates */

    size_t i0 = (size_t)hash & mask_of(h, 0);
    ht_node_t **head0 = &h->t[0][i0];
    ht_node_t **link;
    if (!ht_is_rehashing(h)) {
        link = chain_find(h->type, head0, key, len);
        pos->link = link ? link : head0;
        return link ? *link : NULL;
    }
    if (i0 >= (size_t)h->rehash_idx && (link = chain_find(h->type, head0, key, len))) {
        pos->link = link;
        return *link;
    }
    ht_node_t **head1 = &h->t[1][(size_t)hash & mask_of(h, 1)];
    link = chain_find(h->type, head1, key, len);
    pos->table = 1;
    pos->link = link ? link : head1;
    return link ? *link : NULL;
}

ht_node_t *ht_find(ht_t *h, const void *key, size_t len) {
    if (ht_count(h) == 0) return NULL;
    ht_pos_t pos;
    return ht_lookup(h, key, len, &pos);
}

void ht_insert_at(ht_t *h, ht_pos_t *pos, ht_node_t *n) {
    if (pos->link == NULL) { /* the lookup saw no table */
        assert(h->t[0] == NULL);
        start_resize(h, HT_INITIAL_SIZE);
        pos->table = 0;
        pos->link = &h->t[0][(size_t)pos->hash & mask_of(h, 0)];
    }
    assert(pos->table == (ht_is_rehashing(h) ? 1 : 0));
    n->next = *pos->link;
    *pos->link = n;
    h->used[pos->table]++;
    grow_if_needed(h); /* only after linking (note 5) */
}

void ht_unlink_at(ht_t *h, ht_pos_t *pos) {
    ht_node_t *n = *pos->link;
    assert(n != NULL);
    *pos->link = n->next;
    n->next = NULL;
    h->used[pos->table]--;
}

void ht_replace_at(ht_t *h, ht_pos_t *pos, ht_node_t *n) {
    ht_node_t *old = *pos->link;
    assert(old != NULL);
    n->next = old->next;
    *pos->link = n;
    if (old != n) old->next = NULL;
}

void ht_insert(ht_t *h, ht_node_t *n) {
    const void *key;
    size_t len;
    h->type->node_key(n, &key, &len);
    ht_pos_t pos;
    ht_node_t *found = ht_lookup(h, key, len, &pos);
    assert(found == NULL && "ht_insert: key already present");
    (void)found;
    ht_insert_at(h, &pos, n);
}

ht_node_t *ht_remove(ht_t *h, const void *key, size_t len) {
    if (ht_count(h) == 0) return NULL;
    ht_pos_t pos;
    ht_node_t *n = ht_lookup(h, key, len, &pos);
    if (n) ht_unlink_at(h, &pos);
    return n;
}

void ht_clear(ht_t *h, void (*free_node)(ht_node_t *n, void *ud), void *ud) {
    assert(h->iterators == 0);
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < h->size[t]; i++) {
            ht_node_t *n = h->t[t][i];
            while (n) {
                ht_node_t *next = n->next; /* free_node may free n */
                n->next = NULL;
                if (free_node) free_node(n, ud);
                n = next;
            }
        }
        xfree(h->t[t]);
    }
    ht_init(h, h->type);
}

/* ------------------------------------------------------------------------ */
/* Random selection */

static size_t chain_len(const ht_node_t *n) {
    size_t len = 0;
    for (; n; n = n->next) len++;
    return len;
}

/* As Redis's dictGetRandomKey: a random non-empty bucket, then a random node
 * of its chain.  Nodes in long chains are a little less likely; chains are
 * short at load factor <= 1. */
ht_node_t *ht_random(ht_t *h, uint64_t (*rnd)(void)) {
    if (ht_count(h) == 0) return NULL;
    rehash_step_if_allowed(h);
    ht_node_t *head;
    if (ht_is_rehashing(h)) {
        /* t[0] below rehash_idx is empty (note 2): draw from the rest of t[0]
         * followed by all of t[1]. */
        size_t s0 = h->size[0], ridx = (size_t)h->rehash_idx;
        size_t span = s0 - ridx + h->size[1];
        do {
            size_t i = ridx + (size_t)(rnd() % span);
            head = i >= s0 ? h->t[1][i - s0] : h->t[0][i];
        } while (head == NULL);
    } else {
        size_t mask = mask_of(h, 0);
        do {
            head = h->t[0][(size_t)rnd() & mask];
        } while (head == NULL);
    }
    size_t pick = (size_t)(rnd() % chain_len(head));
    while (pick--) head = head->next;
    return head;
}

/* As Redis's dictGetSomeKeys, from a random bucket index onwards, looking at
 * both tables at each index.  It does not jump on long empty runs as Redis does
 * and covers each index at most once, so no node is returned twice. */
size_t ht_sample(ht_t *h, ht_node_t **out, size_t count, uint64_t (*rnd)(void)) {
    if (count > ht_count(h)) count = ht_count(h);
    if (count == 0) return 0;
    for (size_t j = 0; j < count && ht_is_rehashing(h) && h->iterators == 0; j++) {
        rehash(h, 1, NULL);
    }
    bool two = ht_is_rehashing(h);
    size_t ridx = two ? (size_t)h->rehash_idx : 0;
    size_t maxsize = h->size[0];
    if (two && h->size[1] > maxsize) maxsize = h->size[1];
    size_t mask = maxsize - 1;
    size_t steps = count <= SIZE_MAX / 10 ? count * 10 : SIZE_MAX;
    size_t i = (size_t)rnd() & mask, covered = 0, stored = 0;

    while (stored < count && covered < maxsize && steps-- > 0) {
        if (two && i < ridx && i >= h->size[1]) {
            /* Shrinking: neither table has anything in [i, rehash_idx). */
            covered += ridx - i;
            i = ridx & mask;
            if (covered >= maxsize) break;
        }
        for (int t = 0; t < (two ? 2 : 1); t++) {
            if (t == 0 && two && i < ridx) continue; /* already moved */
            if (i >= h->size[t]) continue;
            for (ht_node_t *n = h->t[t][i]; n && stored < count; n = n->next) out[stored++] = n;
        }
        i = (i + 1) & mask;
        covered++;
    }
    return stored;
}

/* ------------------------------------------------------------------------ */
/* SCAN */

static inline uint64_t rev64(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
    v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
    return __builtin_bswap64(v);
}

static inline void scan_bucket(ht_node_t *n, void (*fn)(ht_node_t *n, void *ud), void *ud) {
    while (n) {
        ht_node_t *next = n->next;
        fn(n, ud);
        n = next;
    }
}

/* The cursor counts upwards in reversed bit order over the bucket index.  A
 * bucket i of a table with mask m expands to the buckets i + k*(m+1) of a
 * larger table, which share i's low bits; since the high bits are incremented
 * first, every bucket visited at one size covers exactly the buckets the
 * cursor has already passed at any other size.  Worked: at 8 buckets the
 * cursor runs 0 4 2 6 1 5 3 7; after a grow to 16 at cursor 2, the remaining
 * 16-bucket indices are 2 10 6 14 1 9 ..., all of them not yet visited. */
uint64_t ht_scan(ht_t *h, uint64_t cursor, void (*fn)(ht_node_t *n, void *ud), void *ud) {
    if (ht_count(h) == 0) return 0;
    uint64_t v = cursor;
    h->iterators++; /* fn may call ht_find: keep chains where they are */
    if (!ht_is_rehashing(h)) {
        uint64_t m0 = mask_of(h, 0);
        scan_bucket(h->t[0][v & m0], fn, ud);
        v |= ~m0;
        v = rev64(rev64(v) + 1);
    } else {
        int small = h->size[0] <= h->size[1] ? 0 : 1, large = 1 - small;
        uint64_t m0 = mask_of(h, small), m1 = mask_of(h, large);
        scan_bucket(h->t[small][v & m0], fn, ud);
        /* Every bucket of the larger table that expands the one just visited. */
        do {
            scan_bucket(h->t[large][v & m1], fn, ud);
            v |= ~m1;
            v = rev64(rev64(v) + 1);
        } while (v & (m0 ^ m1));
    }
    h->iterators--;
    return v;
}

/* ------------------------------------------------------------------------ */
/* Safe iteration */

#define ITER_DONE 2 /* it->table once exhausted */

void ht_iter_init(ht_iter_t *it, ht_t *h) {
    it->h = h;
    it->table = 0;
    it->index = -1;
    it->cur = NULL;
    it->next = NULL;
    h->iterators++;
}

ht_node_t *ht_iter_next(ht_iter_t *it) {
    ht_t *h = it->h;
    while (it->next == NULL) {
        if (it->table == ITER_DONE) return NULL;
        it->index++;
        if ((size_t)it->index >= h->size[it->table]) {
            /* Rehashing may have started during the iteration (an insert
             * grew the table); its t[1] then holds only new nodes. */
            if (it->table == 0 && ht_is_rehashing(h)) {
                it->table = 1;
                it->index = -1;
            } else {
                it->table = ITER_DONE;
                it->cur = NULL;
            }
            continue;
        }
        it->next = h->t[it->table][it->index];
    }
    /* Save the successor now: the caller may unlink cur before the next call. */
    it->cur = it->next;
    it->next = it->cur->next;
    return it->cur;
}

void ht_iter_done(ht_iter_t *it) {
    assert(it->h->iterators > 0);
    it->h->iterators--;
    it->h = NULL;
}

/* ------------------------------------------------------------------------ */
/* Checking */

static bool check_table(ht_t *h, int t) {
    const ht_type_t *type = h->type;
    if (h->size[t] == 0) return h->t[t] == NULL && h->used[t] == 0;
    if (h->t[t] == NULL || (h->size[t] & (h->size[t] - 1)) != 0) return false;
    size_t mask = mask_of(h, t), seen = 0;
    for (size_t i = 0; i < h->size[t]; i++) {
        ht_node_t *head = h->t[t][i];
        if (head && t == 0 && ht_is_rehashing(h) && i < (size_t)h->rehash_idx) return false;
        for (ht_node_t *n = head; n; n = n->next) {
            if (++seen > h->used[t]) return false; /* also stops on a cycle */
            if ((node_hash(type, n) & mask) != i) return false;
            const void *key;
            size_t len;
            type->node_key(n, &key, &len);
            ht_node_t **dup = chain_find(type, &n->next, key, len);
            if (dup) return false;
            if (t == 0 && ht_is_rehashing(h)) {
                size_t b = (size_t)node_hash(type, n) & mask_of(h, 1);
                if (chain_find(type, &h->t[1][b], key, len)) return false;
            }
        }
    }
    return seen == h->used[t];
}

bool ht_check(ht_t *h) {
    if (h->iterators < 0) return false;
    if (ht_is_rehashing(h)) {
        if (h->t[0] == NULL || h->t[1] == NULL) return false;
        if ((size_t)h->rehash_idx > h->size[0]) return false;
    } else {
        if (h->rehash_idx != -1 || h->t[1] || h->size[1] || h->used[1]) return false;
    }
    return check_table(h, 0) && check_table(h, 1);
}
