/* Unit tests for keyspace entries and string encodings (node/data/kv.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "kv.h"

static void check_value(const kv_t *kv, const char *want) {
    char tmp[32];
    size_t n;
    const char *p = kv_str(kv, tmp, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
    assert_int_equal(kv_strlen(kv), strlen(want));
}

static void test_integer_encoding(void **state) {
    const char *ints[] = {"0", "1", "-1", "12345", "9223372036854775807", "-9223372036854775808"};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        kv_t *kv = kv_new_str("k", 1, ints[i], strlen(ints[i]), false);
        assert_int_equal(kv->enc, ENC_INT);
        check_value(kv, ints[i]);
        long long v;
        assert_true(kv_get_ll(kv, &v));
        kv_free(kv);
    }
    /* Not canonical: stays a string, so GET returns the exact bytes. */
    const char *strs[] = {"012", "-0", " 1", "1 ", "+1", "9223372036854775808", "1.5", ""};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        kv_t *kv = kv_new_str("k", 1, strs[i], strlen(strs[i]), false);
        assert_int_equal(kv->enc, ENC_EMBSTR);
        check_value(kv, strs[i]);
        kv_free(kv);
    }
}

static void test_embedded_and_raw(void **state) {
    char big[200];
    memset(big, 'x', sizeof(big));
    kv_t *e = kv_new_str("key", 3, big, KV_EMBED_MAX, false);
    assert_int_equal(e->enc, ENC_EMBSTR);
    kv_t *r = kv_new_str("key", 3, big, KV_EMBED_MAX + 1, false);
    assert_int_equal(r->enc, ENC_RAW);
    assert_int_equal(kv_strlen(r), KV_EMBED_MAX + 1);
    assert_memory_equal(kv_key(r), "key", 3);
    kv_free(e);
    kv_free(r);
}

static void test_small_entry_fits_one_size_class(void **state) {
    /* The memory target: a 16-byte key with a 16-byte value is one
     * allocation of at most 64 bytes (24-byte header + 32 bytes). */
    kv_t *kv = kv_new_str("key:000000000001", 16, "val:000000000001", 16, false);
    assert_int_equal(kv->enc, ENC_EMBSTR);
    assert_true(xusable(kv) <= 64);
    assert_true(kv_alloc_size(kv) <= 64);
    kv_free(kv);
}

static void test_in_place_update(void **state) {
    kv_t *kv = kv_new_str("k", 1, "hello world", 11, false);
    assert_true(kv_fits_embedded(kv, 5));
    kv_set_embedded(kv, "howdy", 5);
    check_value(kv, "howdy");
    assert_false(kv_fits_embedded(kv, KV_EMBED_MAX + 1));
    kv_set_int_inplace(kv, -42);
    assert_int_equal(kv->enc, ENC_INT);
    check_value(kv, "-42");
    kv_free(kv);
}

static void test_make_raw_appends(void **state) {
    kv_t *kv = kv_new_str("k", 1, "100", 3, false);
    assert_int_equal(kv->enc, ENC_INT);
    kstr_t *s = kv_make_raw(kv, 10);
    assert_int_equal(kv->enc, ENC_RAW);
    memcpy(s->data + s->len, "abc", 3);
    s->len += 3;
    check_value(kv, "100abc");
    long long v;
    assert_false(kv_get_ll(kv, &v));
    kv_free(kv);
}

static void test_expire_block_and_dup(void **state) {
    kv_t *kv = kv_new_str("mykey", 5, "value", 5, true);
    assert_true(kv->has_exp);
    kv_exp(kv)->at_ms = 123456;
    assert_memory_equal(kv_key(kv), "mykey", 5);
    check_value(kv, "value");
    assert_int_equal(kv_expire_at(kv), 123456);
    kv_t *copy = kv_dup_as(kv, "other", 5, false, true);
    assert_false(copy->has_exp);
    assert_int_equal(kv_expire_at(copy), -1);
    assert_memory_equal(kv_key(copy), "other", 5);
    check_value(copy, "value");
    kv_free(kv);
    kv_free(copy);
}

static void test_no_leaks(void **state) {
    size_t before = alloc_used_memory();
    for (int i = 0; i < 1000; i++) {
        char v[100];
        memset(v, 'a' + i % 26, sizeof(v));
        kv_t *kv = kv_new_str("k", 1, v, (size_t)(i % 100), i % 2);
        kv_free(kv);
    }
    assert_int_equal(alloc_used_memory(), before);
}

static void test_names(void **state) {
    assert_string_equal(kv_encoding_name(ENC_EMBSTR), "embstr");
    assert_string_equal(kv_encoding_name(ENC_INT), "int");
    assert_string_equal(kv_encoding_name(ENC_RAW), "raw");
    assert_string_equal(kv_type_name(OBJ_STRING), "string");
    assert_string_equal(kv_type_name(OBJ_ZSET), "zset");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_encoding),
        cmocka_unit_test(test_embedded_and_raw),
        cmocka_unit_test(test_small_entry_fits_one_size_class),
        cmocka_unit_test(test_in_place_update),
        cmocka_unit_test(test_make_raw_appends),
        cmocka_unit_test(test_expire_block_and_dup),
        cmocka_unit_test(test_no_leaks),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
