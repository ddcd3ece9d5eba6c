/* Unit tests for RDB snapshots (node/data/rdb.c, rdb_types.c): CRC64,
 * length and string encodings, whole-dataset round trips, truncation and
 * checksum errors, and hand-crafted blobs of every non-string encoding. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "rdb.h"
#include "rdb_int.h"

#define NOW 1700000000000LL

static int group_setup(void **state) {
    config_init(&server.cfg);
    log_set_level(LL_WARNING);
    server.rng_state[0] = 0x9E3779B97F4A7C15ULL;
    server.rng_state[1] = 0xBF58476D1CE4E5B9ULL;
    unsigned char seed[16] = {1, 2, 3};
    ht_seed(seed);
    server.now_ms = NOW;
    server.lru_clock = (uint32_t)((NOW / 1000) & LRU_CLOCK_MAX);
    db_init_all(16);
    return 0;
}

static int setup(void **state) {
    server.now_ms = NOW;
    server.cfg.maxmemory_policy = MAXMEMORY_NOEVICTION;
    ks.is_replica = false;
    return 0;
}

static int teardown(void **state) {
    db_flush(-1);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static void add(int dbi, const char *key, const char *val, size_t vlen, int64_t expire_at) {
    kv_t *kv = kv_new_str(key, strlen(key), val, vlen, expire_at > 0);
    if (expire_at > 0) kv_exp(kv)->at_ms = expire_at;
    db_add(db_get(dbi), kv);
}

static void rdb_begin(rdb_out_t *o) {
    rdb_out_init_mem(o, true, false);
    rdb_write_raw(o, "REDIS0010", 9);
}

static void rdb_finish(rdb_out_t *o) {
    rdb_write_byte(o, RDB_OPCODE_EOF);
    uint64_t crc = o->crc;
    uint8_t t[8];
    for (int i = 0; i < 8; i++) t[i] = (uint8_t)(crc >> (8 * i));
    rdb_write_raw(o, t, 8);
}

/* A whole file with one key of `type` whose value is the RDB string blob. */
static void rdb_with_blob(rdb_out_t *o, int type, const char *key, const void *blob, size_t n) {
    rdb_begin(o);
    rdb_write_byte(o, (uint8_t)type);
    rdb_write_string(o, key, strlen(key));
    rdb_write_len(o, n); /* never integer-encoded or compressed */
    rdb_write_raw(o, blob, n);
    rdb_finish(o);
}

static int load_mem(const void *p, size_t n, int mode, rdb_load_info_t *info, char **err) {
    rdb_in_t in;
    rdb_in_init_mem(&in, p, n);
    int rc = rdb_load_stream(&in, mode, info, err);
    rdb_in_free(&in);
    return rc;
}

/* Loads o's bytes; expects rc, and (when want != NULL) an error containing want. */
static void expect_load(rdb_out_t *o, int mode, int want_rc, const char *want) {
    rdb_load_info_t info;
    char *err = NULL;
    int rc = load_mem(o->mem.p, o->mem.len, mode, &info, &err);
    if (rc != want_rc || (want && (!err || !strstr(err, want))))
        fail_msg("rc %d (want %d), err \"%s\" (want \"%s\")", rc, want_rc, err ? err : "",
                 want ? want : "");
    xfree(err);
}

static void put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* A listpack of short strings (< 64 bytes) and small integers ("#5"). */
static size_t lp_build(uint8_t *out, const char *const *elems, int n) {
    size_t pos = 6;
    for (int i = 0; i < n; i++) {
        if (elems[i][0] == '#') {
            out[pos++] = (uint8_t)atoi(elems[i] + 1); /* 7-bit uint */
            out[pos++] = 1;
        } else {
            size_t l = strlen(elems[i]);
            out[pos++] = (uint8_t)(0x80 | l);
            memcpy(out + pos, elems[i], l);
            pos += l;
            out[pos++] = (uint8_t)(1 + l);
        }
    }
    out[pos++] = 0xFF;
    put_le(out, pos, 4);
    put_le(out + 4, (uint64_t)n, 2);
    return pos;
}

/* A ziplist of short strings and 0..12 immediates ("#5"). */
static size_t zl_build(uint8_t *out, const char *const *elems, int n) {
    size_t pos = 10, prev = 0, last = 10;
    for (int i = 0; i < n; i++) {
        size_t start = pos;
        out[pos++] = (uint8_t)prev;
        if (elems[i][0] == '#') {
            out[pos++] = (uint8_t)(0xF1 + atoi(elems[i] + 1));
        } else {
            size_t l = strlen(elems[i]);
            out[pos++] = (uint8_t)l;
            memcpy(out + pos, elems[i], l);
            pos += l;
        }
        prev = pos - start;
        last = start;
    }
    out[pos++] = 0xFF;
    put_le(out, pos, 4);
    put_le(out + 4, last, 4);
    put_le(out + 8, (uint64_t)n, 2);
    return pos;
}

/* ---- CRC64 -------------------------------------------------------------- */

static void test_crc64_vector(void **state) {
    assert_true(rdb_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
    assert_true(rdb__crc64_bytewise(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
    assert_true(rdb_crc64(0, "", 0) == 0);
    /* Chained calls equal one call. */
    assert_true(rdb_crc64(rdb_crc64(0, "1234", 4), "56789", 5) == 0xe9c6d914c4b8d9caULL);
}

static void test_crc64_slice_matches_bytewise(void **state) {
    enum { N = 4096 };
    uint8_t *data = xmalloc(N + 8);
    srand(12345);
    for (int i = 0; i < N + 8; i++) data[i] = (uint8_t)rand();
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len < 100; len++)
            assert_true(rdb_crc64(7, data + off, len) == rdb__crc64_bytewise(7, data + off, len));
        assert_true(rdb_crc64(0, data + off, N) == rdb__crc64_bytewise(0, data + off, N));
    }
    uint64_t a = 0;
    for (size_t p = 0; p < N; p += 13) a = rdb_crc64(a, data + p, p + 13 <= N ? 13 : N - p);
    assert_true(a == rdb__crc64_bytewise(0, data, N));
    xfree(data);
}

/* ---- lengths and strings ------------------------------------------------ */

static void test_length_boundaries(void **state) {
    const struct {
        uint64_t v;
        size_t bytes;
    } cases[] = {{0, 1},
                 {63, 1},
                 {64, 2},
                 {16383, 2},
                 {16384, 5},
                 {UINT32_MAX, 5},
                 {(uint64_t)UINT32_MAX + 1, 9},
                 {UINT64_MAX, 9}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rdb_out_t o;
        rdb_out_init_mem(&o, true, false);
        rdb_write_len(&o, cases[i].v);
        assert_int_equal(o.mem.len, cases[i].bytes);
        assert_int_equal(o.written, cases[i].bytes);
        rdb_in_t in;
        rdb_in_init_mem(&in, o.mem.p, o.mem.len);
        uint64_t got;
        bool enc;
        char *err = NULL;
        assert_int_equal(rdb_read_len(&in, &got, &enc, &err), 0);
        assert_true(got == cases[i].v);
        assert_false(enc);
        assert_int_equal(in.pos, cases[i].bytes);
        assert_true(rdb_in_crc(&in) == o.crc);
        /* One byte short is an EOF error, never a wrong value. */
        rdb_in_init_mem(&in, o.mem.p, o.mem.len - 1);
        assert_int_equal(rdb_read_len(&in, &got, &enc, &err), K_EINVAL);
        assert_non_null(strstr(err, "Unexpected EOF"));
        xfree(err);
        rdb_out_free(&o);
    }
}

/* Writes s and checks the encoded size, the first byte, and the round trip. */
static void string_case(const char *s, size_t n, bool compress, size_t want_len, int want_first) {
    rdb_out_t o;
    rdb_out_init_mem(&o, true, compress);
    rdb_write_string(&o, s, n);
    if (want_len) assert_int_equal(o.mem.len, want_len);
    if (want_first >= 0) assert_int_equal((uint8_t)o.mem.p[0], want_first);
    rdb_in_t in;
    rdb_in_init_mem(&in, o.mem.p, o.mem.len);
    buf_t b = BUF_INIT;
    char *err = NULL;
    assert_int_equal(rdb_read_string(&in, &b, &err), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.p, s, n);
    assert_int_equal(in.pos, o.mem.len);
    buf_free(&b);
    rdb_out_free(&o);
}

static void test_string_integer_encodings(void **state) {
    string_case("0", 1, true, 2, 0xC0);
    string_case("127", 3, true, 2, 0xC0);
    string_case("-128", 4, true, 2, 0xC0);
    string_case("128", 3, true, 3, 0xC1);
    string_case("-129", 4, true, 3, 0xC1);
    string_case("32767", 5, true, 3, 0xC1);
    string_case("-32768", 6, true, 3, 0xC1);
    string_case("32768", 5, true, 5, 0xC2);
    string_case("2147483647", 10, true, 5, 0xC2);
    string_case("-2147483648", 11, true, 5, 0xC2);
    string_case("2147483648", 10, true, 11, 10); /* beyond 32 bits: plain */
    string_case("-2147483649", 11, true, 12, 11);
    string_case("012", 3, true, 4, 3); /* not canonical */
    string_case("+1", 2, true, 3, 2);
    string_case("-0", 2, true, 3, 2);
    string_case(" 1", 2, true, 3, 2);
    string_case("", 0, true, 1, 0);
    /* rdb_write_ll_as_string: integer forms, else text. */
    rdb_out_t o;
    rdb_out_init_mem(&o, false, false);
    rdb_write_ll_as_string(&o, -5);
    rdb_write_ll_as_string(&o, 1LL << 40);
    assert_int_equal(o.mem.len, 2 + 1 + 13);
    rdb_in_t in;
    rdb_in_init_mem(&in, o.mem.p, o.mem.len);
    buf_t b = BUF_INIT;
    char *err = NULL;
    assert_int_equal(rdb_read_string(&in, &b, &err), 0);
    assert_string_equal(b.p, "-5");
    assert_int_equal(rdb_read_string(&in, &b, &err), 0);
    assert_string_equal(b.p, "1099511627776");
    buf_free(&b);
    rdb_out_free(&o);
}

static void test_string_lzf(void **state) {
    char text[100], rnd[100];
    for (int i = 0; i < 100; i++) text[i] = "abcdefghij"[i % 10];
    srand(99);
    for (int i = 0; i < 100; i++) rnd[i] = (char)rand();
    string_case(text, 100, true, 0, 0xC3);    /* compressed */
    string_case(text, 100, false, 102, 0x40); /* compression off: 14-bit length + bytes */
    string_case(rnd, 100, true, 102, 0x40);   /* incompressible: plain */
    string_case(text, 20, true, 21, 20);      /* 20 bytes: never compressed */
    char a21[21];
    memset(a21, 'a', sizeof(a21));
    string_case(a21, 21, true, 0, 0xC3); /* 21 bytes: compressed when it saves */
    /* A big compressible string round trips through LZF. */
    size_t n = 1 << 20;
    char *big = xmalloc(n);
    for (size_t i = 0; i < n; i++) big[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    rdb_out_t o;
    rdb_out_init_mem(&o, true, true);
    rdb_write_string(&o, big, n);
    assert_true(o.mem.len < n / 2);
    rdb_out_free(&o);
    string_case(big, n, true, 0, 0xC3);
    xfree(big);
}

static void test_lzf_corrupt(void **state) {
    char text[100];
    for (int i = 0; i < 100; i++) text[i] = "abcdefghij"[i % 10];
    rdb_out_t o;
    rdb_out_init_mem(&o, false, true);
    rdb_write_string(&o, text, 100);
    o.mem.p[2] = 101; /* claims 101 uncompressed bytes */
    rdb_in_t in;
    rdb_in_init_mem(&in, o.mem.p, o.mem.len);
    buf_t b = BUF_INIT;
    char *err = NULL;
    assert_int_equal(rdb_read_string(&in, &b, &err), K_EINVAL);
    assert_non_null(strstr(err, "Invalid LZF compressed string"));
    xfree(err);
    buf_free(&b);
    rdb_out_free(&o);
}

/* ---- whole dataset ------------------------------------------------------ */

static char longval[300];

static void populate(void) {
    for (int i = 0; i < 300; i++) longval[i] = "0123456789abcdef"[(i * 5) % 16];
    add(0, "str", "hello-world-value", 17, 0);
    add(0, "int", "12345", 5, 0);
    add(0, "bigint", "1099511627776", 13, 0);
    add(0, "neg", "-7", 2, 0);
    add(0, "zero-lead", "012", 3, 0);
    add(0, "empty", "", 0, 0);
    add(0, "long", longval, sizeof(longval), 0);
    add(0, "ttl", "soon", 4, NOW + 60000);
    add(0, "gone", "expired", 7, NOW - 1);
    add(3, "three", "3", 1, NOW + 120000);
    add(3, "k3", "v3", 2, 0);
    add(15, "last", "db", 2, 0);
}

static void save_mem(rdb_out_t *o, bool checksum) {
    rdb_out_init_mem(o, checksum, true);
    rdb_save_info_t rsi = {.repl_stream_db = 3,
                           .repl_id = "0123456789012345678901234567890123456789",
                           .repl_offset = 777,
                           .aof_base = false};
    assert_int_equal(rdb_save_stream(o, &rsi), 0);
}

static void expect_str(int dbi, const char *key, const char *val, size_t vlen, int enc,
                       int64_t exp) {
    kv_t *kv = db_peek(db_get(dbi), key, strlen(key));
    if (!kv) fail_msg("key %s missing in db %d", key, dbi);
    char tmp[32];
    size_t n;
    const char *v = kv_str(kv, tmp, &n);
    assert_int_equal(n, vlen);
    assert_memory_equal(v, val, vlen);
    assert_int_equal(kv->enc, enc);
    assert_int_equal(kv_expire_at(kv), exp);
}

static void test_dataset_round_trip(void **state) {
    populate();
    rdb_out_t o;
    save_mem(&o, true);
    assert_memory_equal(o.mem.p, "REDIS0010", 9);
    db_flush(-1);
    rdb_load_info_t info;
    char *err = NULL;
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_INSERT, &info, &err), 0);
    assert_null(err);
    assert_int_equal(info.rdb_version, 10);
    assert_int_equal(info.keys_loaded, 11);
    assert_int_equal(info.keys_expired, 1);
    assert_int_equal(info.repl_stream_db, 3);
    assert_string_equal(info.repl_id, "0123456789012345678901234567890123456789");
    assert_int_equal(info.repl_offset, 777);
    assert_false(info.aof_base);
    assert_true(info.ctime > 0);
    expect_str(0, "str", "hello-world-value", 17, ENC_EMBSTR, -1);
    expect_str(0, "int", "12345", 5, ENC_INT, -1);
    expect_str(0, "bigint", "1099511627776", 13, ENC_INT, -1);
    expect_str(0, "neg", "-7", 2, ENC_INT, -1);
    expect_str(0, "zero-lead", "012", 3, ENC_EMBSTR, -1);
    expect_str(0, "empty", "", 0, ENC_EMBSTR, -1);
    expect_str(0, "long", longval, sizeof(longval), ENC_RAW, -1);
    expect_str(0, "ttl", "soon", 4, ENC_EMBSTR, NOW + 60000);
    assert_null(db_peek(db_get(0), "gone", 4));
    expect_str(3, "three", "3", 1, ENC_INT, NOW + 120000);
    expect_str(3, "k3", "v3", 2, ENC_EMBSTR, -1);
    expect_str(15, "last", "db", 2, ENC_EMBSTR, -1);
    assert_int_equal(db_size(db_get(0)), 8);
    assert_int_equal(db_expires(db_get(0)), 1);
    assert_int_equal(db_expires(db_get(3)), 1);

    /* A replica keeps expired keys (the master will DEL them). */
    db_flush(-1);
    ks.is_replica = true;
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_INSERT, &info, &err), 0);
    assert_int_equal(info.keys_loaded, 12);
    assert_int_equal(info.keys_expired, 0);
    expect_str(0, "gone", "expired", 7, ENC_EMBSTR, NOW - 1);

    /* Loading into a non-empty keyspace: the first key is a duplicate. */
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_INSERT, &info, &err), K_EINVAL);
    assert_non_null(strstr(err, "Duplicate key '"));
    assert_non_null(strstr(err, "' found in RDB file"));
    xfree(err);
    err = NULL;

    /* CHECK mode touches nothing and counts every key. */
    db_flush(-1);
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_CHECK, &info, &err), 0);
    assert_int_equal(info.keys_loaded, 12);
    assert_int_equal(info.keys_expired, 1);
    assert_int_equal(db_size(db_get(0)), 0);
    rdb_out_free(&o);
}

static void test_idle_and_freq(void **state) {
    server.cfg.maxmemory_policy = MAXMEMORY_ALLKEYS_LRU;
    add(0, "a", "1", 1, 0);
    kv_t *kv = db_peek(db_get(0), "a", 1);
    kv->lru = (server.lru_clock - 500) & LRU_CLOCK_MAX;
    rdb_out_t o;
    save_mem(&o, true);
    assert_non_null(memchr(o.mem.p, RDB_OPCODE_IDLE, o.mem.len));
    db_flush(-1);
    rdb_load_info_t info;
    char *err = NULL;
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_INSERT, &info, &err), 0);
    assert_int_equal(kv_idle_ms(db_peek(db_get(0), "a", 1)), 500 * 1000);
    rdb_out_free(&o);
    db_flush(-1);

    server.cfg.maxmemory_policy = MAXMEMORY_VOLATILE_LFU;
    add(0, "b", "1", 1, 0);
    kv = db_peek(db_get(0), "b", 1);
    kv->lru = (((uint32_t)(NOW / 60000) & 65535) << 8) | 77;
    save_mem(&o, true);
    db_flush(-1);
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_INSERT, &info, &err), 0);
    assert_int_equal(kv_lfu_counter(db_peek(db_get(0), "b", 1)), 77);
    rdb_out_free(&o);
}

static void test_truncated_input_is_an_error(void **state) {
    populate();
    rdb_out_t o;
    save_mem(&o, true);
    db_flush(-1);
    for (size_t n = 0; n < o.mem.len; n++) {
        rdb_load_info_t info;
        char *err = NULL;
        int rc = load_mem(o.mem.p, n, RDB_LOAD_INSERT, &info, &err);
        if (rc != K_EINVAL || !err) fail_msg("prefix %zu: rc %d", n, rc);
        xfree(err);
        err = NULL;
        db_flush(-1);
        rc = load_mem(o.mem.p, n, RDB_LOAD_CHECK, &info, &err);
        if (rc != K_EINVAL || !err) fail_msg("prefix %zu (check): rc %d", n, rc);
        xfree(err);
    }
    rdb_out_free(&o);
}

static void test_checksum(void **state) {
    populate();
    rdb_out_t o;
    save_mem(&o, true);
    db_flush(-1);
    char *p = memmem(o.mem.p, o.mem.len, "hello-world-value", 17);
    assert_non_null(p);
    p[3] ^= 0x20;
    rdb_load_info_t info;
    char *err = NULL;
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_CHECK, &info, &err), K_EINVAL);
    assert_non_null(strstr(err, "Wrong RDB checksum"));
    xfree(err);
    err = NULL;
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_INSERT, &info, &err), K_EINVAL);
    xfree(err);
    err = NULL;
    db_flush(-1);
    /* rdbchecksum no at load time skips the check, as Redis. */
    server.cfg.rdbchecksum = false;
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_INSERT, &info, &err), 0);
    server.cfg.rdbchecksum = true;
    rdb_out_free(&o);

    /* Saved without checksum: 8 zero bytes, loads without a check. */
    db_flush(-1);
    populate();
    save_mem(&o, false);
    db_flush(-1);
    static const char zero[8];
    assert_memory_equal(o.mem.p + o.mem.len - 8, zero, 8);
    assert_int_equal(load_mem(o.mem.p, o.mem.len, RDB_LOAD_INSERT, &info, &err), 0);
    rdb_out_free(&o);
}

static void test_header_and_opcodes(void **state) {
    rdb_out_t o;
    rdb_out_init_mem(&o, true, false);
    rdb_write_raw(&o, "REDIS0011", 9);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, K_EINVAL, "Can't handle RDB format version 11");
    rdb_out_free(&o);
    rdb_out_init_mem(&o, true, false);
    rdb_write_raw(&o, "RADIS0010", 9);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, K_EINVAL, "Wrong signature");
    rdb_out_free(&o);

    /* Old-format EXPIRETIME (seconds), unknown AUX, RESIZEDB, SELECTDB. */
    rdb_begin(&o);
    rdb_write_byte(&o, RDB_OPCODE_AUX);
    rdb_write_string(&o, "whatever", 8);
    rdb_write_string(&o, "x", 1);
    rdb_write_byte(&o, RDB_OPCODE_SELECTDB);
    rdb_write_len(&o, 2);
    rdb_write_byte(&o, RDB_OPCODE_RESIZEDB);
    rdb_write_len(&o, 1);
    rdb_write_len(&o, 1);
    rdb_write_byte(&o, RDB_OPCODE_EXPIRETIME);
    uint8_t t[4];
    put_le(t, (uint64_t)(NOW / 1000 + 100), 4);
    rdb_write_raw(&o, t, 4);
    rdb_write_byte(&o, RDB_TYPE_STRING);
    rdb_write_string(&o, "old", 3);
    rdb_write_string(&o, "v", 1);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_INSERT, 0, NULL);
    assert_int_equal(kv_expire_at(db_peek(db_get(2), "old", 3)), (NOW / 1000 + 100) * 1000);
    rdb_out_free(&o);

    /* A DB beyond the configured count. */
    rdb_begin(&o);
    rdb_write_byte(&o, RDB_OPCODE_SELECTDB);
    rdb_write_len(&o, 16);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_INSERT, K_EINVAL, "more than 16 databases");
    expect_load(&o, RDB_LOAD_CHECK, 0, NULL);
    rdb_out_free(&o);

    /* Functions: parsed in CHECK mode, refused when loading. */
    rdb_begin(&o);
    rdb_write_byte(&o, RDB_OPCODE_FUNCTION2);
    const char *lib = "#!lua name=lib\nredis.register_function('f', function() return 1 end)";
    rdb_write_string(&o, lib, strlen(lib));
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, 0, NULL);
    expect_load(&o, RDB_LOAD_INSERT, K_EINVAL, "does not support functions");
    rdb_out_free(&o);

    /* An unknown type byte. */
    rdb_begin(&o);
    rdb_write_byte(&o, 42);
    rdb_write_string(&o, "k", 1);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, K_EINVAL, "Unknown RDB encoding type 42");
    rdb_out_free(&o);

    /* A module value: walked in CHECK mode, refused when loading. */
    rdb_begin(&o);
    rdb_write_byte(&o, RDB_TYPE_MODULE_2);
    rdb_write_string(&o, "m", 1);
    rdb_write_len(&o, 0x1234567ULL << 10);
    rdb_write_len(&o, RDB__MOP_UINT);
    rdb_write_len(&o, 5);
    rdb_write_len(&o, RDB__MOP_STRING);
    rdb_write_string(&o, "abc", 3);
    rdb_write_len(&o, RDB__MOP_EOF);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, 0, NULL);
    expect_load(&o, RDB_LOAD_INSERT, K_EINVAL, "does not support modules");
    rdb_out_free(&o);
}

/* ---- non-string encodings ----------------------------------------------- */

static void blob_case(int type, const char *key, const void *blob, size_t n, const char *refusal) {
    rdb_out_t o;
    rdb_with_blob(&o, type, key, blob, n);
    expect_load(&o, RDB_LOAD_CHECK, 0, NULL);
    expect_load(&o, RDB_LOAD_INSERT, K_EINVAL, refusal);
    assert_null(db_peek(db_get(0), key, strlen(key)));
    rdb_out_free(&o);
    /* rdb_read_value (RESTORE) refuses it too. */
    rdb_in_t in;
    rdb_out_t v;
    rdb_out_init_mem(&v, false, false);
    rdb_write_len(&v, n);
    rdb_write_raw(&v, blob, n);
    rdb_in_init_mem(&in, v.mem.p, v.mem.len);
    kv_t *kv = NULL;
    char *err = NULL;
    assert_int_equal(rdb_read_value(&in, type, key, strlen(key), &kv, &err), K_EINVAL);
    assert_null(kv);
    assert_non_null(strstr(err, refusal));
    xfree(err);
    rdb_out_free(&v);
}

static void blob_bad(int type, const void *blob, size_t n, const char *want) {
    rdb_out_t o;
    rdb_with_blob(&o, type, "bad", blob, n);
    expect_load(&o, RDB_LOAD_CHECK, K_EINVAL, want);
    expect_load(&o, RDB_LOAD_INSERT, K_EINVAL, want);
    rdb_out_free(&o);
}

static void test_listpack(void **state) {
    uint8_t lp[256];
    const char *pairs[] = {"f1", "v1", "f2", "#7", "field-three", "value"};
    size_t n = lp_build(lp, pairs, 6);
    blob_case(
        RDB_TYPE_HASH_LISTPACK, "h", lp, n,
        "Can't load key 'h' of type hash (listpack): this build of Keel does not serve hashes yet");
    blob_case(RDB_TYPE_ZSET_LISTPACK, "z", lp, n, "of type zset (listpack)");

    uint8_t bad[256];
    memcpy(bad, lp, n);
    put_le(bad, n + 1, 4); /* total bytes wrong */
    blob_bad(RDB_TYPE_HASH_LISTPACK, bad, n, "Listpack integrity check failed (total bytes");
    memcpy(bad, lp, n);
    put_le(bad + 4, 5, 2); /* element count wrong */
    blob_bad(RDB_TYPE_HASH_LISTPACK, bad, n, "Listpack integrity check failed (element count");
    memcpy(bad, lp, n);
    bad[6 + 3] = 9; /* backlen of "f1" */
    blob_bad(RDB_TYPE_HASH_LISTPACK, bad, n, "backlen");
    memcpy(bad, lp, n);
    bad[6] = 0x80 | 60; /* a string running past the end */
    blob_bad(RDB_TYPE_HASH_LISTPACK, bad, n, "Listpack integrity check failed");
    const char *dup[] = {"f", "1", "f", "2"};
    n = lp_build(bad, dup, 4);
    blob_bad(RDB_TYPE_HASH_LISTPACK, bad, n, "duplicate field");
    const char *odd[] = {"f", "1", "g"};
    n = lp_build(bad, odd, 3);
    blob_bad(RDB_TYPE_HASH_LISTPACK, bad, n, "odd number");
    /* An empty hash listpack is an empty key: skipped. */
    n = lp_build(bad, NULL, 0);
    rdb_out_t o;
    rdb_with_blob(&o, RDB_TYPE_HASH_LISTPACK, "e", bad, n);
    expect_load(&o, RDB_LOAD_INSERT, 0, NULL);
    assert_null(db_peek(db_get(0), "e", 1));
    rdb_out_free(&o);
}

static void test_intset(void **state) {
    uint8_t is[8 + 6];
    put_le(is, 2, 4);
    put_le(is + 4, 3, 4);
    put_le(is + 8, 1, 2);
    put_le(is + 10, 300, 2);
    put_le(is + 12, (uint16_t)30000, 2);
    blob_case(RDB_TYPE_SET_INTSET, "s", is, sizeof(is),
              "of type set (intset): this build of Keel does not serve sets yet");
    uint8_t bad[sizeof(is)];
    memcpy(bad, is, sizeof(is));
    put_le(bad, 3, 4);
    blob_bad(RDB_TYPE_SET_INTSET, bad, sizeof(bad),
             "Intset integrity check failed (invalid encoding)");
    memcpy(bad, is, sizeof(is));
    put_le(bad + 4, 4, 4);
    blob_bad(RDB_TYPE_SET_INTSET, bad, sizeof(bad), "Intset integrity check failed (length");
    memcpy(bad, is, sizeof(is));
    put_le(bad + 10, 1, 2);
    blob_bad(RDB_TYPE_SET_INTSET, bad, sizeof(bad), "not sorted");
}

static void test_ziplist(void **state) {
    uint8_t zl[256];
    const char *elems[] = {"a", "#3", "hello", "#12"};
    size_t n = zl_build(zl, elems, 4);
    blob_case(RDB_TYPE_LIST_ZIPLIST, "l", zl, n,
              "of type list (ziplist): this build of Keel does not serve lists yet");
    blob_case(RDB_TYPE_ZSET_ZIPLIST, "z", zl, n, "of type zset (ziplist)");
    blob_case(RDB_TYPE_HASH_ZIPLIST, "h", zl, n, "of type hash (ziplist)");
    uint8_t bad[256];
    memcpy(bad, zl, n);
    put_le(bad + 4, 10, 4); /* zltail not at the last entry */
    blob_bad(RDB_TYPE_LIST_ZIPLIST, bad, n, "zltail");
    memcpy(bad, zl, n);
    bad[10 + 3] = 7; /* prevlen of the second entry */
    blob_bad(RDB_TYPE_LIST_ZIPLIST, bad, n, "prevlen");
    memcpy(bad, zl, n);
    put_le(bad, n - 1, 4);
    blob_bad(RDB_TYPE_LIST_ZIPLIST, bad, n, "Ziplist integrity check failed (zlbytes");
}

static void test_zipmap(void **state) {
    const uint8_t zm[] = {2, 1, 'a', 1, 0, '1', 2, 'b', 'b', 3, 2, 'x', 'y', 'z', 0, 0, 0xFF};
    blob_case(RDB_TYPE_HASH_ZIPMAP, "zm", zm, sizeof(zm), "of type hash (zipmap)");
    uint8_t bad[sizeof(zm)];
    memcpy(bad, zm, sizeof(zm));
    bad[0] = 3;
    blob_bad(RDB_TYPE_HASH_ZIPMAP, bad, sizeof(bad), "Zipmap integrity check failed (count");
    memcpy(bad, zm, sizeof(zm));
    bad[1] = 40;
    blob_bad(RDB_TYPE_HASH_ZIPMAP, bad, sizeof(bad), "Zipmap integrity check failed");
}

static void test_quicklist(void **state) {
    uint8_t lp[128], zl[128];
    const char *elems[] = {"x", "#1", "yy"};
    size_t lpn = lp_build(lp, elems, 3), zln = zl_build(zl, elems, 3);
    /* quicklist 2: a PACKED node and a PLAIN node */
    rdb_out_t o;
    rdb_begin(&o);
    rdb_write_byte(&o, RDB_TYPE_LIST_QUICKLIST_2);
    rdb_write_string(&o, "q", 1);
    rdb_write_len(&o, 2);
    rdb_write_len(&o, 2);
    rdb_write_len(&o, lpn);
    rdb_write_raw(&o, lp, lpn);
    rdb_write_len(&o, 1);
    rdb_write_string(&o, "a plain node element", 20);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, 0, NULL);
    expect_load(
        &o, RDB_LOAD_INSERT, K_EINVAL,
        "Can't load key 'q' of type list (quicklist): this build of Keel does not serve lists yet");
    rdb_out_free(&o);
    /* A bad container type. */
    rdb_begin(&o);
    rdb_write_byte(&o, RDB_TYPE_LIST_QUICKLIST_2);
    rdb_write_string(&o, "q", 1);
    rdb_write_len(&o, 1);
    rdb_write_len(&o, 3);
    rdb_write_len(&o, lpn);
    rdb_write_raw(&o, lp, lpn);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, K_EINVAL, "Quicklist integrity check failed");
    rdb_out_free(&o);
    /* quicklist 1: ziplist nodes */
    rdb_begin(&o);
    rdb_write_byte(&o, RDB_TYPE_LIST_QUICKLIST);
    rdb_write_string(&o, "q1", 2);
    rdb_write_len(&o, 1);
    rdb_write_len(&o, zln);
    rdb_write_raw(&o, zl, zln);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, 0, NULL);
    expect_load(&o, RDB_LOAD_INSERT, K_EINVAL, "of type list (quicklist)");
    rdb_out_free(&o);
}

static void test_plain_aggregates(void **state) {
    rdb_out_t o;
    /* set with a duplicate member */
    rdb_begin(&o);
    rdb_write_byte(&o, RDB_TYPE_SET);
    rdb_write_string(&o, "s", 1);
    rdb_write_len(&o, 3);
    rdb_write_string(&o, "a", 1);
    rdb_write_string(&o, "b", 1);
    rdb_write_string(&o, "a", 1);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, K_EINVAL, "Duplicate set members detected");
    rdb_out_free(&o);
    /* zset (binary scores) and hash, valid */
    rdb_begin(&o);
    rdb_write_byte(&o, RDB_TYPE_ZSET_2);
    rdb_write_string(&o, "z", 1);
    rdb_write_len(&o, 2);
    double d[2] = {1.5, -2};
    for (int i = 0; i < 2; i++) {
        rdb_write_string(&o, i ? "m2" : "m1", 2);
        uint64_t u;
        memcpy(&u, &d[i], 8);
        uint8_t b[8];
        put_le(b, u, 8);
        rdb_write_raw(&o, b, 8);
    }
    rdb_write_byte(&o, RDB_TYPE_ZSET);
    rdb_write_string(&o, "z1", 2);
    rdb_write_len(&o, 2);
    rdb_write_string(&o, "m", 1);
    rdb_write_byte(&o, 3);
    rdb_write_raw(&o, "2.5", 3);
    rdb_write_string(&o, "n", 1);
    rdb_write_byte(&o, 254); /* +inf */
    rdb_write_byte(&o, RDB_TYPE_HASH);
    rdb_write_string(&o, "h", 1);
    rdb_write_len(&o, 1);
    rdb_write_string(&o, "f", 1);
    rdb_write_string(&o, "v", 1);
    rdb_write_byte(&o, RDB_TYPE_LIST);
    rdb_write_string(&o, "empty-list", 10);
    rdb_write_len(&o, 0);
    rdb_finish(&o);
    expect_load(&o, RDB_LOAD_CHECK, 0, NULL);
    expect_load(&o, RDB_LOAD_INSERT, K_EINVAL,
                "of type zset (skiplist): this build of Keel does not serve sorted sets yet");
    rdb_out_free(&o);
}

/* A stream of one node holding one entry, with a consumer group. */
static void test_stream(void **state) {
    uint8_t lp[128];
    const char *elems[] = {
        "#1", "#0", "#1", "f", "#0",  /* master: count, deleted, 1 field "f", 0 */
        "#2", "#0", "#0", "v", "#4"}; /* SAMEFIELDS, ms+0, seq+0, value, lp-count */
    size_t n = lp_build(lp, elems, 10);
    uint8_t id[16] = {0};
    id[15] = 1; /* 0-1, big-endian */
    for (int bad = 0; bad < 3; bad++) {
        rdb_out_t o;
        rdb_begin(&o);
        rdb_write_byte(&o, RDB_TYPE_STREAM_LISTPACKS_2);
        rdb_write_string(&o, "st", 2);
        rdb_write_len(&o, 1);
        rdb_write_len(&o, 16);
        rdb_write_raw(&o, id, 16);
        if (bad == 1) lp[26] = 5; /* lp-count of the entry: 5 */
        rdb_write_len(&o, n);
        rdb_write_raw(&o, lp, n);
        lp[26] = 4;
        const uint64_t meta[8] = {1, 0, 1, 0,
                                  1, 0, 0, 1}; /* length, last, first, max deleted, added */
        for (int i = 0; i < 8; i++) rdb_write_len(&o, meta[i]);
        rdb_write_len(&o, 1); /* groups */
        rdb_write_string(&o, "g", 1);
        rdb_write_len(&o, 0); /* last id */
        rdb_write_len(&o, 1);
        rdb_write_len(&o, 1); /* entries read */
        rdb_write_len(&o, 1); /* global PEL */
        rdb_write_raw(&o, id, 16);
        rdb_write_ms_time(&o, NOW);
        rdb_write_len(&o, 1);
        rdb_write_len(&o, 1); /* consumers */
        rdb_write_string(&o, "alice", 5);
        rdb_write_ms_time(&o, NOW);
        rdb_write_len(&o, 1);
        uint8_t cid[16];
        memcpy(cid, id, 16);
        if (bad == 2) cid[15] = 2; /* not in the global PEL */
        rdb_write_raw(&o, cid, 16);
        rdb_finish(&o);
        if (bad == 0) {
            expect_load(&o, RDB_LOAD_CHECK, 0, NULL);
            expect_load(
                &o, RDB_LOAD_INSERT, K_EINVAL,
                "of type stream (listpacks): this build of Keel does not serve streams yet");
        } else {
            expect_load(&o, RDB_LOAD_CHECK, K_EINVAL,
                        bad == 1 ? "Stream listpack integrity check failed"
                                 : "Consumer entry not found in group global PEL");
        }
        rdb_out_free(&o);
    }
}

/* ---- files, codecs ------------------------------------------------------ */

static void test_save_and_load_file(void **state) {
    char dir[] = "/tmp/keel-test-rdb-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/dump.rdb", dir);
    populate();
    char *err = NULL;
    rdb_save_info_t rsi = {.repl_stream_db = -1};
    assert_int_equal(rdb_save_file(path, &rsi, true, true, &err), 0);
    assert_null(err);
    db_flush(-1);
    rdb_load_info_t info;
    assert_int_equal(rdb_load_file(path, RDB_LOAD_INSERT, &info, NULL, NULL, &err), 0);
    assert_int_equal(info.keys_loaded, 11);
    assert_int_equal(info.repl_stream_db, -1);
    assert_string_equal(info.repl_id, "");
    expect_str(0, "long", longval, sizeof(longval), ENC_RAW, -1);
    unlink(path);
    assert_int_equal(rdb_load_file(path, RDB_LOAD_INSERT, &info, NULL, NULL, &err), K_ENOENT);
    rmdir(dir);
    /* The directory is gone: the temp file cannot be created. */
    assert_true(rdb_save_file(path, &rsi, true, true, &err) < 0);
    assert_non_null(strstr(err, "Failed opening the temp RDB file temp-"));
    assert_non_null(strstr(err, "for saving: No such file or directory"));
    xfree(err);
}

static int fake_rdb_type(const kv_t *kv) { return RDB_TYPE_LIST; }
static void fake_write(rdb_out_t *o, const kv_t *kv) {
    rdb_write_len(o, 1);
    rdb_write_string(o, kv->v.ptr, strlen(kv->v.ptr));
}
static int fake_read(rdb_in_t *in, int rdb_type, void **ptr, int *enc, char **err) {
    uint64_t n;
    buf_t b = BUF_INIT;
    int rc = rdb_read_len(in, &n, NULL, err);
    for (uint64_t i = 0; rc == 0 && i < n; i++) rc = rdb_read_string(in, &b, err);
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *ptr = buf_detach(&b);
    *enc = ENC_LINKEDLIST;
    return 0;
}
static void fake_free(void *ptr, int enc) { xfree(ptr); }

static void test_registered_codec(void **state) {
    static const kv_type_ops_t ops = {.free = fake_free};
    kv_register_type(OBJ_LIST, &ops);
    rdb_type_codec_t codec = {
        .obj_type = OBJ_LIST, .rdb_type = fake_rdb_type, .write = fake_write, .read = fake_read};
    rdb_register_type(&codec);
    db_add(db_get(0), kv_new_obj("mylist", 6, OBJ_LIST, ENC_LINKEDLIST, xstrdup("element"), false));
    rdb_out_t o;
    save_mem(&o, true);
    db_flush(-1);
    expect_load(&o, RDB_LOAD_INSERT, 0, NULL);
    kv_t *kv = db_peek(db_get(0), "mylist", 6);
    assert_non_null(kv);
    assert_int_equal(kv->type, OBJ_LIST);
    assert_string_equal(kv->v.ptr, "element");
    expect_load(&o, RDB_LOAD_CHECK, 0, NULL);
    rdb_out_free(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc64_vector),
        cmocka_unit_test(test_crc64_slice_matches_bytewise),
        cmocka_unit_test(test_length_boundaries),
        cmocka_unit_test(test_string_integer_encodings),
        cmocka_unit_test(test_string_lzf),
        cmocka_unit_test(test_lzf_corrupt),
        cmocka_unit_test_setup_teardown(test_dataset_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_and_freq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_input_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checksum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_and_opcodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listpack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ziplist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zipmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quicklist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_aggregates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_and_load_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registered_codec, setup,
                                        teardown), /* last: registers a codec */
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
