/* Unit tests for replication/backlog.c (the backlog ring) and replication/psync.c
 * (the PSYNC decision, which reads the backlog).
 *
 * check_model() is the oracle: given the whole stream ever appended and how many of
 * its newest bytes the backlog should hold, it checks the offsets and every read and
 * copy around the held range.  Randomness comes from a seeded xorshift so failures
 * reproduce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "backlog.h"
#include "buf.h"
#include "err.h"
#include "psync.h"

#define ID1 "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
#define ID2 "0f1e2d3c4b5a69788796a5b4c3d2e1f000112233"
#define ID3 "ffffffffffffffffffffffffffffffffffffffff"
#define NO_ID2 "0000000000000000000000000000000000000000"

static const char *const SENTINEL_P = "untouched";

/* Reads from `offset` and returns the bytes joined, in `out` (cleared first). */
static size_t read_joined(const repl_backlog_t *b, long long offset, buf_t *out) {
    const char *p1 = SENTINEL_P, *p2 = SENTINEL_P;
    size_t n1 = 777, n2 = 777;
    buf_clear(out);
    size_t n = repl_backlog_read(b, offset, &p1, &n1, &p2, &n2);
    if (!repl_backlog_has_offset(b, offset)) {
        assert_int_equal(n, 0); /* refused: nothing set */
        assert_ptr_equal(p1, SENTINEL_P);
        assert_ptr_equal(p2, SENTINEL_P);
        assert_int_equal(n1, 777);
        assert_int_equal(n2, 777);
        return 0;
    }
    assert_int_equal(n, n1 + n2);
    assert_true(n1 > 0 || n == 0);
    if (n2 == 0) assert_null(p2);
    if (n == 0) assert_null(p1);
    if (n1) buf_append(out, p1, n1);
    if (n2) buf_append(out, p2, n2);
    return n;
}

/* The backlog must hold the last `held` bytes of `stream` (all `len` bytes ever
 * appended), with offsets counted from 1. */
static void check_model(const repl_backlog_t *b, const char *stream, size_t len, size_t held) {
    long long first = (long long)(len - held) + 1;
    assert_int_equal(repl_backlog_master_offset(b), (long long)len);
    assert_int_equal(repl_backlog_histlen(b), held);
    assert_int_equal(repl_backlog_first_byte_offset(b), first);
    buf_t got = BUF_INIT, copied = BUF_INIT;
    for (long long off = first - 3; off <= first + (long long)held + 3; off++) {
        bool inside = off >= first && off <= first + (long long)held;
        assert_int_equal(repl_backlog_has_offset(b, off), inside);
        size_t n = read_joined(b, off, &got);
        buf_clear(&copied);
        buf_puts(&copied, "pre");
        int rc = repl_backlog_copy(b, off, &copied);
        if (!inside) {
            assert_int_equal(n, 0);
            assert_int_equal(rc, K_ERANGE);
            assert_int_equal(copied.len, 3);
            continue;
        }
        size_t want = (size_t)(first + (long long)held - off);
        assert_int_equal(n, want);
        assert_int_equal(rc, 0);
        assert_int_equal(copied.len, 3 + want);
        if (want == 0) continue;
        assert_memory_equal(got.p, stream + (off - 1), want);
        assert_memory_equal(copied.p + 3, stream + (off - 1), want);
    }
    buf_free(&got);
    buf_free(&copied);
}

/* Fixture: a 16-byte backlog at master offset 0 holding "abcdef" (bytes 1..6). */
static int setup_abcdef(void **state) {
    repl_backlog_t *b = repl_backlog_new(16);
    repl_backlog_append(b, "abcdef", 6);
    *state = b;
    return 0;
}

static int teardown_backlog(void **state) {
    repl_backlog_free(*state);
    return 0;
}

/* ---- backlog ---------------------------------------------------------------- */

static void test_new_is_empty_at_offset_one(void **state) {
    repl_backlog_t *b = repl_backlog_new(8);
    assert_int_equal(repl_backlog_size(b), 8);
    assert_int_equal(repl_backlog_histlen(b), 0);
    assert_int_equal(repl_backlog_master_offset(b), 0);
    assert_int_equal(repl_backlog_first_byte_offset(b), 1);
    check_model(b, "", 0, 0);
    repl_backlog_free(b);
    repl_backlog_free(NULL);
}

static void test_offsets_are_one_based(void **state) {
    repl_backlog_t *b = *state; /* bytes 1..6 = "abcdef" */
    assert_int_equal(repl_backlog_first_byte_offset(b), 1);
    assert_int_equal(repl_backlog_histlen(b), 6);
    assert_int_equal(repl_backlog_master_offset(b), 6);
    const char *p1, *p2;
    size_t n1, n2;
    assert_int_equal(repl_backlog_read(b, 4, &p1, &n1, &p2, &n2), 3);
    assert_int_equal(n1, 3);
    assert_memory_equal(p1, "def", 3);
    assert_null(p2);
    assert_int_equal(n2, 0);
    check_model(b, "abcdef", 6, 6);
}

static void test_append_within_size(void **state) {
    repl_backlog_t *b = *state;
    repl_backlog_append(b, "ghij", 4);
    repl_backlog_append(b, "", 0);
    repl_backlog_append(b, "klmnop", 6); /* exactly fills the 16 bytes */
    assert_int_equal(repl_backlog_size(b), 16);
    check_model(b, "abcdefghijklmnop", 16, 16);
    const char *p1, *p2;
    size_t n1, n2;
    assert_int_equal(repl_backlog_read(b, 1, &p1, &n1, &p2, &n2), 16);
    assert_int_equal(n1, 16); /* not wrapped yet: one piece */
    assert_null(p2);
}

static void test_read_at_end_is_empty_but_inside(void **state) {
    repl_backlog_t *b = *state; /* bytes 1..6: a replica holding all asks for 7 */
    const char *p1 = SENTINEL_P, *p2 = SENTINEL_P;
    size_t n1 = 5, n2 = 5;
    assert_true(repl_backlog_has_offset(b, 7));
    assert_int_equal(repl_backlog_read(b, 7, &p1, &n1, &p2, &n2), 0);
    assert_null(p1);
    assert_null(p2);
    assert_int_equal(n1, 0);
    assert_int_equal(n2, 0);
    buf_t out = BUF_INIT;
    assert_int_equal(repl_backlog_copy(b, 7, &out), 0);
    assert_int_equal(out.len, 0);
    buf_free(&out);
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, ID1, 7, NULL), PSYNC_CONTINUE);
}

static void test_read_outside_is_refused(void **state) {
    repl_backlog_t *b = *state; /* bytes 1..6 */
    const long long outside[] = {-1, 0, 8, 9, 1000, -1000000};
    buf_t out = BUF_INIT;
    buf_puts(&out, "keep");
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        const char *p1 = SENTINEL_P, *p2 = SENTINEL_P;
        size_t n1 = 5, n2 = 5;
        assert_false(repl_backlog_has_offset(b, outside[i]));
        assert_int_equal(repl_backlog_read(b, outside[i], &p1, &n1, &p2, &n2), 0);
        assert_ptr_equal(p1, SENTINEL_P);
        assert_ptr_equal(p2, SENTINEL_P);
        assert_int_equal(n1, 5);
        assert_int_equal(n2, 5);
        assert_int_equal(repl_backlog_copy(b, outside[i], &out), K_ERANGE);
        assert_string_equal(out.p, "keep");
    }
    buf_free(&out);

    /* Once trimmed, the byte before first_byte_offset is refused too. */
    repl_backlog_append(b, "ghijklmnopqrstuvwxyz", 20); /* 26 bytes into 16 */
    assert_int_equal(repl_backlog_first_byte_offset(b), 11);
    assert_false(repl_backlog_has_offset(b, 10));
    assert_true(repl_backlog_has_offset(b, 11));
    assert_true(repl_backlog_has_offset(b, 27));
    assert_false(repl_backlog_has_offset(b, 28));
    check_model(b, "abcdefghijklmnopqrstuvwxyz", 26, 16);
}

/* After filling an 8-byte ring and appending k more bytes, the oldest byte sits at
 * ring index k, so a read from the start splits after 8 - k bytes: every split point
 * of a read.  Then every combination of three append lengths around the size covers
 * every split point of a write. */
static void test_wrap_at_every_split_point(void **state) {
    const char *stream = "01234567abcdefgh";
    for (size_t k = 1; k < 8; k++) {
        repl_backlog_t *b = repl_backlog_new(8);
        repl_backlog_append(b, stream, 8);
        repl_backlog_append(b, stream + 8, k);
        const char *p1, *p2;
        size_t n1, n2;
        long long first = repl_backlog_first_byte_offset(b);
        assert_int_equal(first, (long long)k + 1);
        assert_int_equal(repl_backlog_read(b, first, &p1, &n1, &p2, &n2), 8);
        assert_int_equal(n1, 8 - k);
        assert_int_equal(n2, k);
        assert_memory_equal(p1, stream + k, 8 - k);
        assert_memory_equal(p2, stream + 8, k);
        /* From the first byte that wrapped: one piece. */
        assert_int_equal(repl_backlog_read(b, 9, &p1, &n1, &p2, &n2), k);
        assert_int_equal(n1, k);
        assert_null(p2);
        check_model(b, stream, 8 + k, 8);
        repl_backlog_free(b);
    }

    char s[40];
    for (size_t i = 0; i < sizeof(s); i++) s[i] = (char)('A' + i);
    for (size_t a = 0; a <= 11; a++) {
        for (size_t c = 0; c <= 11; c++) {
            for (size_t d = 0; d <= 11; d++) {
                repl_backlog_t *b = repl_backlog_new(8);
                repl_backlog_append(b, s, a);
                repl_backlog_append(b, s + a, c);
                repl_backlog_append(b, s + a + c, d);
                size_t len = a + c + d;
                check_model(b, s, len, len < 8 ? len : 8);
                repl_backlog_free(b);
            }
        }
    }
}

static void test_append_bigger_than_backlog(void **state) {
    repl_backlog_t *b = repl_backlog_new(8);
    repl_backlog_append(b, "xyz", 3);
    repl_backlog_append(b, "ABCDEFGHIJKLMNOPQRST", 20); /* stream is now 23 bytes */
    assert_int_equal(repl_backlog_histlen(b), 8);
    assert_int_equal(repl_backlog_master_offset(b), 23);
    assert_int_equal(repl_backlog_first_byte_offset(b), 16);
    check_model(b, "xyzABCDEFGHIJKLMNOPQRST", 23, 8);
    buf_t out = BUF_INIT;
    assert_int_equal(repl_backlog_copy(b, 16, &out), 0);
    assert_string_equal(out.p, "MNOPQRST");
    buf_free(&out);

    /* Exactly the size, landing on a ring that had wrapped. */
    repl_backlog_append(b, "abc", 3);
    repl_backlog_append(b, "12345678", 8);
    check_model(b, "xyzABCDEFGHIJKLMNOPQRSTabc12345678", 34, 8);
    repl_backlog_free(b);
}

static void test_reset_moves_the_offsets(void **state) {
    repl_backlog_t *b = *state;  /* bytes 1..6 */
    repl_backlog_reset(b, 1000); /* e.g. loaded the master's RDB at offset 1000 */
    assert_int_equal(repl_backlog_histlen(b), 0);
    assert_int_equal(repl_backlog_first_byte_offset(b), 1001);
    assert_true(repl_backlog_has_offset(b, 1001));
    assert_false(repl_backlog_has_offset(b, 4));
    repl_backlog_append(b, "xy", 2);
    assert_int_equal(repl_backlog_master_offset(b), 1002);
    buf_t out = BUF_INIT;
    assert_int_equal(repl_backlog_copy(b, 1001, &out), 0);
    assert_string_equal(out.p, "xy");
    buf_free(&out);
}

static void test_resize_smaller_keeps_newest(void **state) {
    const char *stream = "abcdefghijklmnopqrstuvwxyz";
    repl_backlog_t *b = repl_backlog_new(16);
    repl_backlog_append(b, stream, 10);
    repl_backlog_append(b, stream + 10, 12); /* wrapped: holds bytes 7..22 */
    check_model(b, stream, 22, 16);
    repl_backlog_resize(b, 5);
    assert_int_equal(repl_backlog_size(b), 5);
    assert_int_equal(repl_backlog_first_byte_offset(b), 18);
    check_model(b, stream, 22, 5); /* "rstuv" */
    repl_backlog_append(b, stream + 22, 4);
    check_model(b, stream, 26, 5);

    /* Shrinking above histlen keeps everything. */
    repl_backlog_t *c = repl_backlog_new(16);
    repl_backlog_append(c, stream, 3);
    repl_backlog_resize(c, 4);
    check_model(c, stream, 3, 3);
    repl_backlog_append(c, stream + 3, 2);
    check_model(c, stream, 5, 4);
    repl_backlog_free(c);
    repl_backlog_free(b);
}

static void test_resize_larger_keeps_everything(void **state) {
    const char *stream = "abcdefghijklmnopqrstuvwxyz0123456789";
    repl_backlog_t *b = repl_backlog_new(8);
    repl_backlog_append(b, stream, 13);     /* holds bytes 6..13 */
    repl_backlog_append(b, stream + 13, 3); /* wrapped: 9..16 */
    repl_backlog_resize(b, 20);
    assert_int_equal(repl_backlog_size(b), 20);
    check_model(b, stream, 16, 8);
    repl_backlog_append(b, stream + 16, 12); /* grows to 20, nothing lost until then */
    check_model(b, stream, 28, 20);
    repl_backlog_append(b, stream + 28, 8);
    check_model(b, stream, 36, 20);
    repl_backlog_resize(b, 20); /* same size: no change */
    check_model(b, stream, 36, 20);
    repl_backlog_free(b);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Thousands of random appends (some bigger than the ring), resizes and reads against
 * a plain byte array of the whole stream. */
static void test_random_against_model(void **state) {
    buf_t stream = BUF_INIT, got = BUF_INIT;
    size_t size = 1 + rnd() % 64, held = 0;
    repl_backlog_t *b = repl_backlog_new(size);
    for (int step = 0; step < 20000; step++) {
        uint64_t r = rnd() % 100;
        if (r < 3) {
            size = 1 + rnd() % 64;
            repl_backlog_resize(b, size);
            if (held > size) held = size;
        } else {
            size_t n = rnd() % (size + size / 2 + 2);
            char chunk[128];
            for (size_t i = 0; i < n; i++) chunk[i] = (char)rnd();
            repl_backlog_append(b, chunk, n);
            buf_append(&stream, chunk, n);
            held = held + n < size ? held + n : size;
        }
        long long first = (long long)(stream.len - held) + 1;
        assert_int_equal(repl_backlog_first_byte_offset(b), first);
        assert_int_equal(repl_backlog_histlen(b), held);
        for (int i = 0; i < 4; i++) {
            long long off = first - 2 + (long long)(rnd() % (held + 5));
            size_t n = read_joined(b, off, &got);
            if (off < first || off > first + (long long)held) {
                assert_int_equal(n, 0);
                continue;
            }
            assert_int_equal(n, (size_t)(first + (long long)held - off));
            if (n) assert_memory_equal(got.p, stream.p + (off - 1), n);
        }
        if (step % 997 == 0) check_model(b, stream.p ? stream.p : "", stream.len, held);
    }
    check_model(b, stream.p, stream.len, held);
    repl_backlog_free(b);
    buf_free(&stream);
    buf_free(&got);
}

/* ---- PSYNC decision ----------------------------------------------------------- */

static void test_psync_continues_inside_backlog(void **state) {
    repl_backlog_t *b = *state; /* setup appended bytes 1..6 */
    const char *why = "not set";
    for (long long off = 1; off <= 7; off++) {
        assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, ID1, off, &why), PSYNC_CONTINUE);
        assert_null(why);
    }
    /* Ids compare case-insensitively, as in Redis. */
    char upper[] = ID1;
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, upper, 4, NULL), PSYNC_CONTINUE);
}

static void test_psync_full_on_id_mismatch(void **state) {
    repl_backlog_t *b = *state;
    const char *why = NULL;
    assert_int_equal(repl_psync_decide(ID1, ID2, 5, b, ID3, 4, &why), PSYNC_FULLRESYNC);
    assert_string_equal(why, "Partial resynchronization not accepted: Replication ID mismatch "
                             "(Replica asked for '" ID3 "', my replication IDs are '" ID1
                             "' and '" ID2 "')");
    /* The id reason wins when the offset is also outside (Redis checks the id first). */
    assert_int_equal(repl_psync_decide(ID1, NULL, -1, b, ID3, 100, &why), PSYNC_FULLRESYNC);
    assert_string_equal(why,
                        "Partial resynchronization not accepted: Replication ID mismatch "
                        "(Replica asked for '" ID3 "', my replication IDs are '" ID1 "' and '')");
}

static void test_psync_full_on_question_mark(void **state) {
    repl_backlog_t *b = *state;
    const char *why = NULL;
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, "?", -1, &why), PSYNC_FULLRESYNC);
    assert_string_equal(why, "Full resync requested by replica");
    /* Even with an offset that would be inside, and even against the "no id2" id. */
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, "?", 4, &why), PSYNC_FULLRESYNC);
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, NO_ID2, -1, &why), PSYNC_FULLRESYNC);
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, ID1, -1, &why), PSYNC_FULLRESYNC);
    assert_string_equal(why, "Unable to partial resync with replica for lack of backlog "
                             "(Replica request was: -1).");
}

static void test_psync_full_when_offset_trimmed(void **state) {
    repl_backlog_t *b = repl_backlog_new(8);
    repl_backlog_append(b, "0123456789abcdefghij", 20); /* holds bytes 13..20 */
    const char *why = NULL;
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, ID1, 12, &why), PSYNC_FULLRESYNC);
    assert_string_equal(why, "Unable to partial resync with replica for lack of backlog "
                             "(Replica request was: 12).");
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, ID1, 13, &why), PSYNC_CONTINUE);
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, ID1, 21, &why), PSYNC_CONTINUE);
    repl_backlog_free(b);
}

static void test_psync_full_when_offset_in_future(void **state) {
    repl_backlog_t *b = *state; /* bytes 1..6: 7 is the next byte, 8 was never produced */
    const char *why = NULL;
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, b, ID1, 8, &why), PSYNC_FULLRESYNC);
    assert_string_equal(why, "Unable to partial resync with replica for lack of backlog "
                             "(Replica request was: 8).");
}

/* We were a replica of ID2 and got promoted after byte 4, so second_replid_offset is
 * 5: a sibling replica that held bytes 1..4 asks for 5 under the old id. */
static void test_psync_replid2_up_to_second_offset_continues(void **state) {
    repl_backlog_t *b = *state;
    const char *why = "not set";
    assert_int_equal(repl_psync_decide(ID1, ID2, 5, b, ID2, 5, &why), PSYNC_CONTINUE);
    assert_null(why);
    assert_int_equal(repl_psync_decide(ID1, ID2, 5, b, ID2, 1, &why), PSYNC_CONTINUE);
    /* The id is fine but the offset must still be in the backlog. */
    repl_backlog_t *small = repl_backlog_new(2);
    repl_backlog_append(small, "abcdef", 6); /* holds 5..6 */
    assert_int_equal(repl_psync_decide(ID1, ID2, 5, small, ID2, 4, &why), PSYNC_FULLRESYNC);
    assert_string_equal(why, "Unable to partial resync with replica for lack of backlog "
                             "(Replica request was: 4).");
    repl_backlog_free(small);
}

static void test_psync_replid2_beyond_second_offset_refused(void **state) {
    repl_backlog_t *b = *state;
    const char *why = NULL;
    assert_int_equal(repl_psync_decide(ID1, ID2, 5, b, ID2, 6, &why), PSYNC_FULLRESYNC);
    assert_string_equal(why, "Partial resynchronization not accepted: Requested offset for "
                             "second ID was 6, but I can reply up to 5");
    /* Our current id has no such limit. */
    assert_int_equal(repl_psync_decide(ID1, ID2, 5, b, ID1, 6, &why), PSYNC_CONTINUE);
}

static void test_psync_full_without_backlog(void **state) {
    const char *why = NULL;
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, NULL, ID1, 4, &why), PSYNC_FULLRESYNC);
    assert_string_equal(why, "Unable to partial resync with replica for lack of backlog "
                             "(Replica request was: 4).");
    assert_int_equal(repl_psync_decide(ID1, ID2, 5, NULL, ID2, 5, &why), PSYNC_FULLRESYNC);
    assert_int_equal(repl_psync_decide(ID1, NO_ID2, -1, NULL, ID1, 1, NULL), PSYNC_FULLRESYNC);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_is_empty_at_offset_one),
        cmocka_unit_test_setup_teardown(test_offsets_are_one_based, setup_abcdef, teardown_backlog),
        cmocka_unit_test_setup_teardown(test_append_within_size, setup_abcdef, teardown_backlog),
        cmocka_unit_test_setup_teardown(test_read_at_end_is_empty_but_inside, setup_abcdef,
                                        teardown_backlog),
        cmocka_unit_test_setup_teardown(test_read_outside_is_refused, setup_abcdef,
                                        teardown_backlog),
        cmocka_unit_test(test_wrap_at_every_split_point),
        cmocka_unit_test(test_append_bigger_than_backlog),
        cmocka_unit_test_setup_teardown(test_reset_moves_the_offsets, setup_abcdef,
                                        teardown_backlog),
        cmocka_unit_test(test_resize_smaller_keeps_newest),
        cmocka_unit_test(test_resize_larger_keeps_everything),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test_setup_teardown(test_psync_continues_inside_backlog, setup_abcdef,
                                        teardown_backlog),
        cmocka_unit_test_setup_teardown(test_psync_full_on_id_mismatch, setup_abcdef,
                                        teardown_backlog),
        cmocka_unit_test_setup_teardown(test_psync_full_on_question_mark, setup_abcdef,
                                        teardown_backlog),
        cmocka_unit_test(test_psync_full_when_offset_trimmed),
        cmocka_unit_test_setup_teardown(test_psync_full_when_offset_in_future, setup_abcdef,
                                        teardown_backlog),
        cmocka_unit_test_setup_teardown(test_psync_replid2_up_to_second_offset_continues,
                                        setup_abcdef, teardown_backlog),
        cmocka_unit_test_setup_teardown(test_psync_replid2_beyond_second_offset_refused,
                                        setup_abcdef, teardown_backlog),
        cmocka_unit_test(test_psync_full_without_backlog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
