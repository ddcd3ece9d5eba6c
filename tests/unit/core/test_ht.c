/* Unit tests for node/core/ht.c: the intrusive hash table.
 *
 * Every test works on a fixture of POOL_SIZE items whose keys are "key:<id>";
 * item.in is the model of membership that the table is checked against, and
 * ht_check() runs after every phase.  Randomness comes from a seeded
 * xorshift so failures reproduce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ht.h"

#define POOL_SIZE 20000

typedef struct item {
    ht_node_t node; /* first: the table hands back ht_node_t pointers */
    size_t len;
    int id;
    int seen;  /* visits by scan/iteration/sampling in the current phase */
    int freed; /* free_node calls from ht_clear */
    bool in;   /* model: should the table hold this item? */
    char key[24];
} item_t;

typedef struct fixture {
    ht_t h;
    item_t *items;
    size_t in_count; /* model count */
} fixture_t;

static void item_key(const ht_node_t *n, const void **key, size_t *len) {
    const item_t *it = (const item_t *)n;
    *key = it->key;
    *len = it->len;
}

static const ht_type_t item_type = {ht_hash_bytes, item_key, NULL};

static uint64_t rng_state;

static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static const unsigned char test_seed[16] = {0x5a, 0x11, 0x07, 0xc3, 0x9e, 0x42, 0x18, 0xb6,
                                            0x73, 0x2d, 0xe0, 0x8f, 0x34, 0xa9, 0x61, 0xfc};

static int group_setup(void **state) {
    ht_seed(test_seed);
    return 0;
}

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof(*f));
    f->items = calloc(POOL_SIZE, sizeof(item_t));
    if (!f || !f->items) return -1;
    for (int i = 0; i < POOL_SIZE; i++) {
        item_t *it = &f->items[i];
        it->id = i;
        it->len = (size_t)snprintf(it->key, sizeof(it->key), "key:%d", i);
    }
    ht_init(&f->h, &item_type);
    rng_state = 0x9E3779B97F4A7C15ull;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    ht_set_resize_allowed(true);
    ht_clear(&f->h, NULL, NULL);
    free(f->items);
    free(f);
    return 0;
}

/* ---- helpers --------------------------------------------------------- */

static item_t *as_item(ht_node_t *n) { return (item_t *)n; }

static void add(fixture_t *f, int id) {
    item_t *it = &f->items[id];
    assert_false(it->in);
    ht_insert(&f->h, &it->node);
    it->in = true;
    f->in_count++;
}

static void add_range(fixture_t *f, int from, int to) {
    for (int id = from; id < to; id++) add(f, id);
}

static void del(fixture_t *f, int id) {
    item_t *it = &f->items[id];
    assert_true(it->in);
    assert_ptr_equal(ht_remove(&f->h, it->key, it->len), &it->node);
    it->in = false;
    f->in_count--;
}

static ht_node_t *find_id(fixture_t *f, int id) {
    return ht_find(&f->h, f->items[id].key, f->items[id].len);
}

/* The table holds exactly the items the model says, for ids below `upto`. */
static void assert_model(fixture_t *f, int upto) {
    assert_int_equal(ht_count(&f->h), f->in_count);
    for (int id = 0; id < upto; id++) {
        ht_node_t *n = find_id(f, id);
        if (f->items[id].in)
            assert_ptr_equal(n, &f->items[id].node);
        else
            assert_null(n);
    }
    assert_true(ht_check(&f->h));
}

static void clear_seen(fixture_t *f) {
    for (int i = 0; i < POOL_SIZE; i++) f->items[i].seen = 0;
}

static void finish_rehash(ht_t *h) {
    while (ht_rehash_step(h, 100)) {
    }
    assert_false(ht_is_rehashing(h));
}

/* Adds ids from *next until the table starts rehashing. */
static void add_until_rehashing(fixture_t *f, int *next) {
    while (!ht_is_rehashing(&f->h)) add(f, (*next)++);
}

static bool ptr_in_table(const ht_t *h, int t, ht_node_t **link) {
    return h->t[t] && link >= h->t[t] && link < h->t[t] + h->size[t];
}

/* ---- hashing --------------------------------------------------------- */

static void test_hash_siphash_vectors(void **state) {
    /* Reference vectors from the SipHash paper: key 00..0f. */
    unsigned char key[16], msg[15];
    for (int i = 0; i < 16; i++) key[i] = (unsigned char)i;
    for (int i = 0; i < 15; i++) msg[i] = (unsigned char)i;
    ht_seed(key);
    assert_true(ht_hash_bytes(msg, 0) == 0x726fdb47dd0e0e31ull);
    assert_true(ht_hash_bytes(msg, 15) == 0xa129ca6149be45e5ull);
    uint64_t under_paper_key = ht_hash_bytes("hello", 5);
    ht_seed(test_seed);
    assert_true(ht_hash_bytes("hello", 5) != under_paper_key); /* the seed matters */
    assert_true(ht_hash_bytes("hello", 5) == ht_hash_bytes("hello", 5));
    assert_true(ht_hash_bytes("hello", 5) != ht_hash_bytes("Hello", 5));
}

static void test_hash_nocase(void **state) {
    assert_true(ht_hash_nocase("HeLLo", 5) == ht_hash_nocase("hello", 5));
    assert_true(ht_hash_nocase("HELLO", 5) == ht_hash_bytes("hello", 5));
    assert_true(ht_hash_nocase("hello", 5) != ht_hash_nocase("hellp", 5));
    /* Only ASCII folds: Latin-1 0xC4/0xE4 stay distinct, as do '@' and '`'. */
    assert_true(ht_hash_nocase("\xC4", 1) != ht_hash_nocase("\xE4", 1));
    assert_true(ht_hash_nocase("@[", 2) != ht_hash_nocase("`{", 2));

    /* Every length across the stack/heap boundary folds the same way. */
    char mixed[300], lower[300];
    for (size_t len = 0; len <= sizeof(mixed); len++) {
        for (size_t i = 0; i < len; i++) {
            char c = (char)(' ' + rnd() % 95);
            lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
            mixed[i] = (lower[i] >= 'a' && lower[i] <= 'z' && (rnd() & 1)) ? (char)(lower[i] - 32)
                                                                           : lower[i];
        }
        assert_true(ht_hash_nocase(mixed, len) == ht_hash_bytes(lower, len));
        assert_true(ht_hash_nocase(mixed, len) == ht_hash_nocase(lower, len));
    }
}

/* ---- basic operations ------------------------------------------------ */

static void test_insert_find_remove_many(void **state) {
    fixture_t *f = *state;
    assert_null(find_id(f, 0)); /* empty, unallocated table */
    assert_null(ht_remove(&f->h, "key:0", 5));
    assert_true(ht_check(&f->h));

    add_range(f, 0, 10000);
    assert_int_equal(ht_count(&f->h), 10000);
    assert_model(f, 12000); /* also checks 2000 absent keys */

    for (int id = 0; id < 10000; id += 2) del(f, id);
    assert_null(ht_remove(&f->h, f->items[0].key, f->items[0].len)); /* already gone */
    assert_model(f, 10000);

    add_range(f, 10000, 12000);
    for (int id = 1; id < 10000; id += 2) del(f, id);
    assert_model(f, 12000);

    for (int id = 10000; id < 12000; id++) del(f, id);
    assert_int_equal(ht_count(&f->h), 0);
    assert_model(f, 12000);
}

static void test_lookup_and_at_calls(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    item_t *a = &f->items[0];
    ht_pos_t pos;

    /* Empty table: no bucket yet; insert_at allocates. */
    assert_null(ht_lookup(h, a->key, a->len, &pos));
    assert_null(pos.link);
    ht_insert_at(h, &pos, &a->node);
    a->in = true;
    f->in_count++;
    assert_ptr_equal(find_id(f, 0), &a->node);
    assert_int_equal(ht_buckets(h), 4);

    add_range(f, 1, 100);
    finish_rehash(h);

    /* Found: link holds the node. */
    item_t *b = &f->items[50];
    assert_ptr_equal(ht_lookup(h, b->key, b->len, &pos), &b->node);
    assert_ptr_equal(*pos.link, &b->node);
    assert_int_equal(pos.table, 0);

    /* Replace with another node carrying the same key. */
    item_t *twin = &f->items[POOL_SIZE - 1];
    memcpy(twin->key, b->key, sizeof(b->key));
    twin->len = b->len;
    ht_replace_at(h, &pos, &twin->node);
    assert_ptr_equal(ht_find(h, b->key, b->len), &twin->node);
    assert_int_equal(ht_count(h), 100);
    assert_true(ht_check(h));

    /* And put the original back. */
    assert_ptr_equal(ht_lookup(h, b->key, b->len, &pos), &twin->node);
    ht_replace_at(h, &pos, &b->node);
    assert_ptr_equal(find_id(f, 50), &b->node);

    /* Unlink at the found position. */
    assert_ptr_equal(ht_lookup(h, b->key, b->len, &pos), &b->node);
    ht_unlink_at(h, &pos);
    b->in = false;
    f->in_count--;
    assert_model(f, 200);

    /* Absent, not rehashing: link is the t[0] bucket head. */
    item_t *c = &f->items[150];
    assert_null(ht_lookup(h, c->key, c->len, &pos));
    assert_int_equal(pos.table, 0);
    assert_true(ptr_in_table(h, 0, pos.link));
    assert_true(pos.hash == ht_hash_bytes(c->key, c->len));
    ht_insert_at(h, &pos, &c->node);
    c->in = true;
    f->in_count++;
    assert_model(f, 200);
}

static void test_at_calls_while_rehashing(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    int next = 0;
    add_range(f, 0, 1000);
    finish_rehash(h);
    next = 1000;
    add_until_rehashing(f, &next);
    ht_pos_t pos;

    /* Absent while rehashing: inserts go to t[1]. */
    item_t *c = &f->items[next++];
    assert_null(ht_lookup(h, c->key, c->len, &pos));
    assert_true(ht_is_rehashing(h));
    assert_int_equal(pos.table, 1);
    assert_true(ptr_in_table(h, 1, pos.link));
    size_t used1 = h->used[1];
    ht_insert_at(h, &pos, &c->node);
    c->in = true;
    f->in_count++;
    assert_int_equal(h->used[1], used1 + 1);
    assert_true(ht_check(h));

    /* The key whose bucket the lookup's own rehash step moves: the position
     * must point into t[1], where the node is after the step. */
    size_t i = (size_t)h->rehash_idx;
    while (h->t[0][i] == NULL) i++;
    item_t *m = as_item(h->t[0][i]);
    assert_ptr_equal(ht_lookup(h, m->key, m->len, &pos), &m->node);
    assert_int_equal(pos.table, 1);
    assert_ptr_equal(*pos.link, &m->node);
    ht_unlink_at(h, &pos);
    m->in = false;
    f->in_count--;
    assert_true(ht_check(h));

    /* A key still in t[0] (its bucket lies beyond the rehash index). */
    item_t *z = NULL;
    for (size_t j = h->size[0]; j-- > (size_t)h->rehash_idx + 2;) {
        if (h->t[0][j]) {
            z = as_item(h->t[0][j]);
            break;
        }
    }
    assert_non_null(z);
    assert_ptr_equal(ht_lookup(h, z->key, z->len, &pos), &z->node);
    assert_int_equal(pos.table, 0);
    ht_unlink_at(h, &pos);
    z->in = false;
    f->in_count--;

    assert_true(ht_is_rehashing(h));
    assert_model(f, next + 10);
    finish_rehash(h);
    assert_model(f, next + 10);
}

/* ---- resize policy --------------------------------------------------- */

static void test_growth_policy(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    add_range(f, 0, 3);
    assert_int_equal(ht_buckets(h), 4);
    assert_false(ht_is_rehashing(h));
    add(f, 3); /* used 4 >= size 4: grow to the next power >= 8 */
    assert_true(ht_is_rehashing(h));
    assert_int_equal(h->size[1], 8);
    finish_rehash(h);
    assert_int_equal(h->size[0], 8);

    /* Load factor stays <= 1 outside rehashing; each grow doubles used. */
    for (int id = 4; id < 5000; id++) {
        add(f, id);
        if (ht_is_rehashing(h) && h->rehash_idx == 0 && h->size[1] > h->size[0]) {
            size_t want = 4;
            while (want < 2 * h->used[0]) want <<= 1;
            assert_int_equal(h->size[1], want);
        }
        if (!ht_is_rehashing(h)) assert_true(h->used[0] < h->size[0]);
    }
    finish_rehash(h);
    assert_int_equal(h->size[0], 8192);
    assert_model(f, 5000);
}

static void test_growth_when_resize_disallowed(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    add_range(f, 0, 3); /* 4 buckets */
    ht_set_resize_allowed(false);
    add_range(f, 3, 15);
    assert_false(ht_is_rehashing(h));
    assert_int_equal(ht_buckets(h), 4);
    add(f, 15); /* used 16 = 4 * size: forced */
    assert_true(ht_is_rehashing(h));
    assert_int_equal(h->size[1], 32);
    finish_rehash(h);
    assert_model(f, 20);

    /* No shrink either while disallowed. */
    for (int id = 0; id < 15; id++) del(f, id);
    ht_maybe_shrink(h);
    assert_false(ht_is_rehashing(h));
    assert_int_equal(ht_buckets(h), 32);
    ht_set_resize_allowed(true);
    ht_maybe_shrink(h);
    assert_true(ht_is_rehashing(h));
    assert_int_equal(h->size[1], 4);
    finish_rehash(h);
    assert_model(f, 20);
}

static void test_shrink(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    add_range(f, 0, 1000);
    finish_rehash(h);
    assert_int_equal(ht_buckets(h), 1024);

    for (int id = 0; id < 872; id++) del(f, id); /* 128 left: not < 1024/8 */
    ht_maybe_shrink(h);
    assert_false(ht_is_rehashing(h));
    for (int id = 872; id < 990; id++) del(f, id); /* 10 left */
    ht_maybe_shrink(h);
    assert_true(ht_is_rehashing(h));
    assert_int_equal(h->size[1], 32); /* next power >= 2*10 */
    ht_maybe_shrink(h);               /* no-op while rehashing */
    assert_int_equal(h->size[1], 32);
    assert_model(f, 1000);
    finish_rehash(h);
    assert_int_equal(ht_buckets(h), 32);
    assert_model(f, 1000);

    for (int id = 990; id < 1000; id++) del(f, id);
    ht_maybe_shrink(h);
    finish_rehash(h);
    assert_int_equal(ht_buckets(h), 4); /* minimum */
    ht_maybe_shrink(h);
    assert_false(ht_is_rehashing(h));
    assert_int_equal(ht_buckets(h), 4);
    assert_model(f, 1000);
    add_range(f, 0, 100); /* still usable */
    assert_model(f, 1000);
}

static void test_rehash_ms(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    assert_int_equal(ht_rehash_ms(h, 1), 0); /* nothing to do */
    add_range(f, 0, 4096);                   /* the last insert starts 4096 -> 8192 */
    assert_true(ht_is_rehashing(h));

    ht_iter_t it;
    ht_iter_init(&it, h);
    assert_int_equal(ht_rehash_ms(h, 100), 0); /* paused */
    ht_iter_done(&it);

    int moved = 0;
    while (ht_is_rehashing(h)) moved += ht_rehash_ms(h, 1000);
    assert_true(moved > 0 && moved <= 4096);
    assert_int_equal(ht_buckets(h), 8192);
    assert_model(f, 4200);
}

/* ---- rehashing interleaved with operations --------------------------- */

static void interleave_ops(fixture_t *f, int *next, int *ops_while_rehashing) {
    ht_t *h = &f->h;
    int k = 0;
    while (ht_is_rehashing(h)) {
        switch (rnd() % 4) {
        case 0:
            add(f, (*next)++);
            break;
        case 1: { /* delete a random present item */
            int id = (int)(rnd() % (uint64_t)*next);
            if (f->items[id].in) del(f, id);
            break;
        }
        case 2: { /* look up a random id, present or not */
            int id = (int)(rnd() % (uint64_t)(*next + 10));
            ht_node_t *n = find_id(f, id);
            if (f->items[id].in)
                assert_ptr_equal(n, &f->items[id].node);
            else
                assert_null(n);
            break;
        }
        default:
            ht_rehash_step(h, 1);
            break;
        }
        (*ops_while_rehashing)++;
        if (++k % 16 == 0) assert_true(ht_check(h));
    }
}

static void test_rehash_interleaved(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    int next = 0, ops = 0;

    /* Growing: 2048 -> 4096 buckets, one bucket per lookup or step. */
    add_range(f, 0, 2047);
    finish_rehash(h);
    next = 2047;
    add_until_rehashing(f, &next);
    interleave_ops(f, &next, &ops);
    assert_true(ops > 500);
    assert_model(f, next + 10);

    /* Shrinking: delete down to a few, then interleave again. */
    for (int id = 0; id < next - 40; id++) {
        if (f->items[id].in) del(f, id);
    }
    ht_maybe_shrink(h);
    assert_true(ht_is_rehashing(h));
    assert_true(h->size[1] < h->size[0]);
    ops = 0;
    interleave_ops(f, &next, &ops);
    assert_true(ops > 10);
    assert_model(f, next + 10);
}

/* ---- SCAN ------------------------------------------------------------ */

static void scan_mark(ht_node_t *n, void *ud) {
    item_t *it = as_item(n);
    assert_true(it->in); /* scan returns only members */
    it->seen++;
}

static void scan_mark_and_find(ht_node_t *n, void *ud) {
    fixture_t *f = ud;
    item_t *it = as_item(n);
    scan_mark(n, ud);
    assert_ptr_equal(ht_find(&f->h, it->key, it->len), n);
}

static void test_scan_static_exactly_once(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    assert_int_equal(ht_scan(h, 0, scan_mark, f), 0); /* empty */

    add_range(f, 0, 3000);
    finish_rehash(h);
    uint64_t cursor = 0;
    int calls = 0;
    do {
        cursor = ht_scan(h, cursor, scan_mark, f);
        calls++;
    } while (cursor != 0);
    assert_int_equal(calls, (int)ht_buckets(h));
    for (int id = 0; id < 3000; id++) assert_int_equal(f->items[id].seen, 1);

    /* Frozen mid-rehash: still exactly once.  The callback's lookups do not
     * step the rehash while the scan walks a chain. */
    add_range(f, 3000, 4096);
    assert_true(ht_is_rehashing(h));
    ht_rehash_step(h, 300);
    assert_true(ht_is_rehashing(h));
    ssize_t ridx = h->rehash_idx;
    clear_seen(f);
    cursor = 0;
    do cursor = ht_scan(h, cursor, scan_mark_and_find, f);
    while (cursor != 0);
    for (int id = 0; id < 4096; id++) assert_int_equal(f->items[id].seen, 1);
    assert_int_equal(h->rehash_idx, ridx);
    assert_true(ht_check(h));
}

static void test_scan_while_growing(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    const int stable = 500;
    add_range(f, 0, stable);
    finish_rehash(h);
    size_t start_buckets = ht_buckets(h);
    int next = stable, calls_rehashing = 0;
    uint64_t cursor = 0;
    do {
        if (ht_is_rehashing(h)) calls_rehashing++;
        cursor = ht_scan(h, cursor, scan_mark, f);
        for (int k = 0; k < 20 && next < POOL_SIZE; k++) add(f, next++);
    } while (cursor != 0);

    for (int id = 0; id < stable; id++) assert_true(f->items[id].seen >= 1);
    assert_true(ht_buckets(h) >= 8 * start_buckets);
    assert_true(calls_rehashing > 10);
    assert_model(f, next);
}

static void test_scan_while_shrinking(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    const int stable = 100, total = 8000;
    add_range(f, 0, total);
    finish_rehash(h);
    size_t start_buckets = ht_buckets(h);
    int victim = stable, calls_rehashing = 0, shrinks = 0;
    uint64_t cursor = 0;
    do {
        if (ht_is_rehashing(h)) calls_rehashing++;
        cursor = ht_scan(h, cursor, scan_mark, f);
        for (int k = 0; k < 40 && victim < total; k++) del(f, victim++);
        if (!ht_is_rehashing(h)) {
            size_t before = ht_buckets(h);
            ht_maybe_shrink(h);
            if (ht_is_rehashing(h) && h->size[1] < before) shrinks++;
        }
        ht_rehash_step(h, 2);
    } while (cursor != 0);

    for (int id = 0; id < stable; id++) assert_true(f->items[id].seen >= 1);
    assert_true(shrinks >= 2);
    assert_true(ht_buckets(h) < start_buckets);
    assert_true(calls_rehashing > 10);
    assert_model(f, total);
}

/* ---- safe iterator --------------------------------------------------- */

static void test_iter_delete_current(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    ht_iter_t it;

    ht_iter_init(&it, h); /* empty */
    assert_null(ht_iter_next(&it));
    assert_null(ht_iter_next(&it));
    ht_iter_done(&it);
    assert_int_equal(h->iterators, 0);

    int next = 0;
    add_range(f, 0, 3000);
    finish_rehash(h);
    next = 3000;
    add_until_rehashing(f, &next);
    ht_rehash_step(h, 50); /* nodes in both tables */
    assert_true(h->used[0] > 0 && h->used[1] > 0);
    ssize_t ridx = h->rehash_idx;

    ht_iter_init(&it, h);
    ht_node_t *n;
    int visited = 0;
    while ((n = ht_iter_next(&it)) != NULL) {
        item_t *x = as_item(n);
        x->seen++;
        visited++;
        assert_ptr_equal(find_id(f, x->id), n); /* lookups do not step now */
        assert_true(ht_rehash_step(h, 10));
        assert_int_equal(h->rehash_idx, ridx);
        if (x->id % 3 == 0) {
            del(f, x->id); /* ht_remove of the current node */
        } else if (x->id % 3 == 1) {
            ht_pos_t pos; /* ht_unlink_at of the current node */
            assert_ptr_equal(ht_lookup(h, x->key, x->len, &pos), n);
            ht_unlink_at(h, &pos);
            x->in = false;
            f->in_count--;
        }
    }
    assert_null(ht_iter_next(&it));
    ht_iter_done(&it);

    assert_int_equal(visited, next);
    for (int id = 0; id < next; id++) assert_int_equal(f->items[id].seen, 1);
    assert_int_equal(h->rehash_idx, ridx);
    assert_model(f, next);
    finish_rehash(h); /* steps run again */
    assert_model(f, next);
}

static void test_iter_insert_during(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    add_range(f, 0, 1000); /* 1024 buckets: inserting 24+ more starts a grow */
    finish_rehash(h);
    int next = 1000, visited_new = 0;
    ht_iter_t it;
    ht_iter_init(&it, h);
    ht_node_t *n;
    while ((n = ht_iter_next(&it)) != NULL) {
        item_t *x = as_item(n);
        x->seen++;
        if (x->id >= 1000) visited_new++;
        if (next < 3000) add(f, next++);
    }
    ht_iter_done(&it);
    assert_true(ht_is_rehashing(h)); /* grew during the iteration, nothing moved */
    for (int id = 0; id < 1000; id++) assert_int_equal(f->items[id].seen, 1);
    for (int id = 1000; id < next; id++) assert_true(f->items[id].seen <= 1);
    assert_true(visited_new > 0); /* t[1] holds new nodes only, visited after t[0] */
    assert_model(f, next);
    finish_rehash(h);
    assert_model(f, next);
}

/* ---- random and sample ----------------------------------------------- */

static void check_random_covers(fixture_t *f, int from, int to, int draws) {
    clear_seen(f);
    for (int k = 0; k < draws; k++) {
        ht_node_t *n = ht_random(&f->h, rnd);
        assert_non_null(n);
        assert_true(as_item(n)->in);
        as_item(n)->seen++;
    }
    for (int id = from; id < to; id++) {
        if (f->items[id].in) assert_true(f->items[id].seen > 0);
    }
    assert_true(ht_check(&f->h));
}

static void check_sample(fixture_t *f, size_t count) {
    ht_node_t *out[256];
    assert_true(count <= 256);
    size_t got = ht_sample(&f->h, out, count, rnd);
    assert_true(got > 0);
    assert_true(got <= count && got <= ht_count(&f->h));
    for (size_t i = 0; i < got; i++) {
        assert_true(as_item(out[i])->in);
        for (size_t j = 0; j < i; j++) assert_ptr_not_equal(out[i], out[j]);
    }
}

static void test_random_and_sample(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    ht_node_t *out[256];
    assert_null(ht_random(h, rnd));
    assert_int_equal(ht_sample(h, out, 10, rnd), 0);

    add_range(f, 0, 64);
    finish_rehash(h);
    check_random_covers(f, 0, 64, 20000);

    /* Every item turns up in some sample. */
    clear_seen(f);
    for (int k = 0; k < 2000; k++) {
        size_t got = ht_sample(h, out, 5, rnd);
        assert_true(got >= 1 && got <= 5);
        for (size_t i = 0; i < got; i++) as_item(out[i])->seen++;
    }
    for (int id = 0; id < 64; id++) assert_true(f->items[id].seen > 0);

    /* More than the table holds: at most all of it, no repeats. */
    assert_true(ht_sample(h, out, 200, rnd) <= 64);
    check_sample(f, 200);

    /* Mid-grow. */
    int next = 64;
    add_range(f, 64, 1000);
    finish_rehash(h);
    next = 1000;
    add_until_rehashing(f, &next);
    ht_rehash_step(h, 300); /* nodes in both tables */
    assert_true(h->used[0] > 0 && h->used[1] > 0);
    check_sample(f, 10);
    check_sample(f, 100);
    assert_true(ht_is_rehashing(h));
    ht_iter_t it; /* pause the rehash: draws must reach both tables */
    ht_iter_init(&it, h);
    check_random_covers(f, 0, next, 30000);
    ht_iter_done(&it);

    /* Mid-shrink. */
    finish_rehash(h);
    for (int id = 0; id < next - 30; id++) del(f, id);
    ht_maybe_shrink(h);
    assert_true(ht_is_rehashing(h));
    assert_true(h->size[1] < h->size[0]);
    while (h->used[1] < 10) ht_rehash_step(h, 1);
    assert_true(h->used[0] >= 10);
    ht_iter_init(&it, h);
    check_sample(f, 10);
    check_sample(f, 64);
    check_random_covers(f, next - 30, next, 5000);
    ht_iter_done(&it);
    assert_model(f, next);
}

/* ---- clear, check, nocase -------------------------------------------- */

static void free_item(ht_node_t *n, void *ud) {
    int *calls = ud;
    (*calls)++;
    as_item(n)->freed++;
}

static void test_clear_frees_and_reuses(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    int next = 0;
    add_range(f, 0, 500);
    finish_rehash(h);
    next = 500;
    add_until_rehashing(f, &next);
    int calls = 0;
    ht_clear(h, free_item, &calls);
    assert_int_equal(calls, next);
    for (int id = 0; id < next; id++) {
        assert_int_equal(f->items[id].freed, 1);
        f->items[id].in = false;
    }
    f->in_count = 0;
    assert_int_equal(ht_count(h), 0);
    assert_int_equal(ht_buckets(h), 0);
    assert_false(ht_is_rehashing(h));
    assert_true(ht_check(h));
    ht_clear(h, NULL, NULL); /* clearing an empty table is fine */

    add_range(f, 0, 100);
    assert_model(f, 600);
}

static void test_check_detects_corruption(void **state) {
    fixture_t *f = *state;
    ht_t *h = &f->h;
    add_range(f, 0, 100);
    finish_rehash(h);
    assert_true(ht_check(h));

    /* Move one node to the next bucket. */
    size_t i = 0;
    while (h->t[0][i] == NULL) i++;
    ht_node_t *n = h->t[0][i];
    size_t j = (i + 1) & (h->size[0] - 1);
    h->t[0][i] = n->next;
    n->next = h->t[0][j];
    h->t[0][j] = n;
    assert_false(ht_check(h));
    h->t[0][j] = n->next;
    n->next = h->t[0][i];
    h->t[0][i] = n;
    assert_true(ht_check(h));

    /* A wrong count. */
    h->used[0]++;
    assert_false(ht_check(h));
    h->used[0]--;
    assert_true(ht_check(h));
}

static bool ascii_eq_nocase(const char *a, const char *b, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y) return false;
    }
    return true;
}

static bool item_eq_nocase(const ht_node_t *n, const void *key, size_t len) {
    const item_t *it = (const item_t *)n;
    return it->len == len && ascii_eq_nocase(it->key, key, len);
}

static const ht_type_t nocase_type = {ht_hash_nocase, item_key, item_eq_nocase};

static void test_nocase_table(void **state) {
    fixture_t *f = *state;
    ht_t h;
    ht_init(&h, &nocase_type);
    const char *names[] = {"GET", "Set", "hGetAll", "client", "CONFIG", "zrangebyscore"};
    for (int i = 0; i < 6; i++) {
        item_t *it = &f->items[i];
        it->len = strlen(names[i]);
        memcpy(it->key, names[i], it->len + 1);
        ht_insert(&h, &it->node);
    }
    assert_ptr_equal(ht_find(&h, "get", 3), &f->items[0].node);
    assert_ptr_equal(ht_find(&h, "SET", 3), &f->items[1].node);
    assert_ptr_equal(ht_find(&h, "HGETALL", 7), &f->items[2].node);
    assert_ptr_equal(ht_find(&h, "ZRangeByScore", 13), &f->items[5].node);
    assert_null(ht_find(&h, "gets", 4));
    assert_ptr_equal(ht_remove(&h, "Client", 6), &f->items[3].node);
    assert_int_equal(ht_count(&h), 5);
    assert_true(ht_check(&h));
    ht_clear(&h, NULL, NULL);
    assert_int_equal(ht_count(&h), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hash_siphash_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hash_nocase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_find_remove_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup_and_at_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_calls_while_rehashing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_growth_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_growth_when_resize_disallowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shrink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rehash_ms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rehash_interleaved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_static_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_while_growing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_while_shrinking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iter_delete_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iter_insert_during, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_and_sample, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear_frees_and_reuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_detects_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nocase_table, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
