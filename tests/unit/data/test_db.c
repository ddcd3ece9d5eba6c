/* Unit tests for the keyspace (node/data/db.c): the volatile-key array that
 * active expiry samples, relinking on expire changes, replica expiry rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "db.h"

static int group_setup(void **state) {
    config_init(&server.cfg);
    server.rng_state[0] = 0x9E3779B97F4A7C15ULL;
    server.rng_state[1] = 0xBF58476D1CE4E5B9ULL;
    unsigned char seed[16] = {1, 2, 3};
    ht_seed(seed);
    server.now_ms = 1000000;
    db_init_all(2);
    return 0;
}

static int setup(void **state) {
    server.now_ms = 1000000;
    ks.is_replica = false;
    return 0;
}

static int teardown(void **state) {
    db_flush(-1);
    return 0;
}

/* Every volatile entry is in vol[] exactly once, at the index it records. */
static void check_vol(db_t *db) {
    size_t with_exp = 0;
    ht_iter_t it;
    ht_iter_init(&it, &db->keys);
    for (ht_node_t *n; (n = ht_iter_next(&it));) {
        kv_t *kv = (kv_t *)n;
        if (!kv->has_exp) continue;
        with_exp++;
        assert_true(kv_exp(kv)->vidx < db->nvol);
        assert_ptr_equal(db->vol[kv_exp(kv)->vidx], kv);
    }
    ht_iter_done(&it);
    assert_int_equal(with_exp, db->nvol);
}

static void add_key(db_t *db, int i, int64_t expire_at) {
    char key[32];
    int n = snprintf(key, sizeof(key), "key:%d", i);
    kv_t *kv = kv_new_str(key, (size_t)n, "v", 1, expire_at > 0);
    if (expire_at > 0) kv_exp(kv)->at_ms = expire_at;
    db_add(db, kv);
}

static void test_expire_relinks_entry(void **state) {
    db_t *db = db_get(0);
    add_key(db, 1, 0);
    kv_t *kv = db_peek(db, "key:1", 5);
    assert_non_null(kv);
    kv = db_set_expire(db, kv, server.now_ms + 5000);
    assert_ptr_equal(db_peek(db, "key:1", 5), kv);
    assert_int_equal(kv_expire_at(kv), server.now_ms + 5000);
    assert_int_equal(db_expires(db), 1);
    check_vol(db);
    kv = db_remove_expire(db, kv);
    assert_ptr_equal(db_peek(db, "key:1", 5), kv);
    assert_false(kv->has_exp);
    assert_int_equal(db_expires(db), 0);
    char tmp[32];
    size_t n;
    assert_memory_equal(kv_str(kv, tmp, &n), "v", 1);
}

static void test_active_expiry_removes_only_expired(void **state) {
    db_t *db = db_get(0);
    for (int i = 0; i < 2000; i++) add_key(db, i, i % 2 ? server.now_ms - 10 : server.now_ms + 100000);
    for (int i = 2000; i < 2500; i++) add_key(db, i, 0);
    assert_int_equal(db_size(db), 2500);
    check_vol(db);
    /* The adaptive cycle keeps sampling while more than 10% of a sample is
     * expired, then leaves the rest to later cycles and lazy expiry (as
     * Redis's does): the stale share ends small, and nothing else goes. */
    size_t last = db_expires(db) + 1;
    for (int round = 0; round < 200 && db_expires(db) < last; round++) {
        last = db_expires(db);
        db_active_expire_cycle(false);
    }
    size_t stale = db_expires(db) - 1000;
    assert_true(stale * 100 <= db_expires(db) * 25);
    assert_int_equal(db_size(db), 1500 + stale);
    check_vol(db);
    size_t alive = 0;
    for (size_t i = 0; i < db->nvol; i++) alive += kv_exp(db->vol[i])->at_ms > server.now_ms;
    assert_int_equal(alive, 1000);
}

static void test_lazy_expiry_on_lookup(void **state) {
    db_t *db = db_get(1);
    add_key(db, 7, server.now_ms - 1);
    assert_null(db_lookup_read(NULL, db, "key:7", 5));
    assert_null(db_peek(db, "key:7", 5)); /* deleted on a master */
    assert_int_equal(db_expires(db), 0);
}

static void test_replica_never_deletes(void **state) {
    db_t *db = db_get(1);
    ks.is_replica = true;
    add_key(db, 8, server.now_ms - 1);
    assert_null(db_lookup_read(NULL, db, "key:8", 5)); /* reads see it as missing */
    assert_non_null(db_peek(db, "key:8", 5));           /* but it stays for the master's DEL */
    db_active_expire_cycle(false);
    assert_non_null(db_peek(db, "key:8", 5));
    ks.is_replica = false;
}

static void test_set_string_in_place_and_keepttl(void **state) {
    db_t *db = db_get(0);
    kv_t *a = db_set_string(db, "s", 1, "hello", 5, false);
    kv_t *b = db_set_string(db, "s", 1, "world", 5, false);
    assert_ptr_equal(a, b); /* same size class: no reallocation */
    b = db_set_expire(db, b, server.now_ms + 1000);
    kv_t *c = db_set_string(db, "s", 1, "a much longer value that will not fit the entry", 47, true);
    assert_int_equal(kv_expire_at(c), server.now_ms + 1000); /* KEEPTTL */
    check_vol(db);
    kv_t *d = db_set_string(db, "s", 1, "x", 1, false);
    assert_int_equal(kv_expire_at(d), -1); /* plain SET drops the TTL */
    assert_int_equal(db_expires(db), 0);
    check_vol(db);
}

static void test_unlink_and_flush(void **state) {
    db_t *db = db_get(0);
    for (int i = 0; i < 100; i++) add_key(db, i, i % 3 ? 0 : server.now_ms + 1000);
    kv_t *kv = db_unlink(db, "key:3", 5);
    assert_non_null(kv);
    kv_free(kv);
    check_vol(db);
    assert_true(db_delete(db, "key:4", 5));
    assert_false(db_delete(db, "key:4", 5));
    assert_int_equal(db_flush(0), 98);
    assert_int_equal(db_size(db), 0);
    assert_int_equal(db_expires(db), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_expire_relinks_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_active_expiry_removes_only_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lazy_expiry_on_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replica_never_deletes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_string_in_place_and_keepttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlink_and_flush, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
