/* Unit tests for replication/handshake.c: the pure decisions of the replica's
 * handshake (replica.c).
 *
 * The transfer tests feed bytes as the network may cut them: the header line
 * byte by byte after "\n" keepalives, and the $EOF payload in every split into
 * two and three chunks (so the mark straddles every boundary), with stream
 * bytes glued after the mark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "handshake.h"

#define ID1 "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
#define ID2 "0f1e2d3c4b5a69788796a5b4c3d2e1f000112233"
#define MARK "7d0a4e6fb3c21958e0f4d6a2c8b1e3f5a7c9d0e2"

static_assert(sizeof(ID1) - 1 == REPL_HS_ID_LEN, "ID1 is an id");
static_assert(sizeof(MARK) - 1 == RDB_EOF_MARK_SIZE, "MARK is a mark");

/* ---- transitions ------------------------------------------------------------------- */

#define NSTATES (REPL_CONNECTED + 1)

/* The `FROM -> TO` lines at the top of replica.c, besides "any -> NONE" and
 * "any -> CONNECT". */
static const struct {
    repl_state_t from, to;
} edges[] = {
    {REPL_CONNECT, REPL_CONNECTING},
    {REPL_CONNECTING, REPL_RECEIVE_PING_REPLY},
    {REPL_RECEIVE_PING_REPLY, REPL_SEND_HANDSHAKE},
    {REPL_SEND_HANDSHAKE, REPL_RECEIVE_AUTH_REPLY},
    {REPL_SEND_HANDSHAKE, REPL_RECEIVE_PORT_REPLY},
    {REPL_RECEIVE_AUTH_REPLY, REPL_RECEIVE_PORT_REPLY},
    {REPL_RECEIVE_PORT_REPLY, REPL_RECEIVE_IP_REPLY},
    {REPL_RECEIVE_PORT_REPLY, REPL_RECEIVE_CAPA_REPLY},
    {REPL_RECEIVE_IP_REPLY, REPL_RECEIVE_CAPA_REPLY},
    {REPL_RECEIVE_CAPA_REPLY, REPL_SEND_PSYNC},
    {REPL_SEND_PSYNC, REPL_RECEIVE_PSYNC_REPLY},
    {REPL_RECEIVE_PSYNC_REPLY, REPL_TRANSFER},
    {REPL_RECEIVE_PSYNC_REPLY, REPL_CONNECTED},
    {REPL_TRANSFER, REPL_CONNECTED},
};

static bool in_diagram(repl_state_t from, repl_state_t to) {
    if (to == REPL_NONE || to == REPL_CONNECT) return true;
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        if (edges[i].from == from && edges[i].to == to) return true;
    return false;
}

static void test_transitions_match_the_diagram(void **state) {
    for (int from = 0; from < NSTATES; from++)
        for (int to = 0; to < NSTATES; to++) {
            bool want = in_diagram((repl_state_t)from, (repl_state_t)to);
            if (repl_hs_transition_ok((repl_state_t)from, (repl_state_t)to) != want)
                fail_msg("transition %d -> %d: expected %s", from, to, want ? "ok" : "refused");
        }
}

static void test_transitions_examples(void **state) {
    /* the happy paths, in order */
    assert_true(repl_hs_transition_ok(REPL_NONE, REPL_CONNECT));
    assert_true(repl_hs_transition_ok(REPL_CONNECT, REPL_CONNECT)); /* a retry */
    assert_true(repl_hs_transition_ok(REPL_TRANSFER, REPL_CONNECTED));
    assert_true(repl_hs_transition_ok(REPL_CONNECTED, REPL_CONNECT)); /* link lost */
    assert_true(repl_hs_transition_ok(REPL_CONNECTED, REPL_NONE));    /* REPLICAOF NO ONE */
    /* skipping steps, going back, or staying in a handshake state is refused */
    assert_false(repl_hs_transition_ok(REPL_NONE, REPL_CONNECTING));
    assert_false(repl_hs_transition_ok(REPL_CONNECT, REPL_RECEIVE_PING_REPLY));
    assert_false(repl_hs_transition_ok(REPL_SEND_HANDSHAKE, REPL_RECEIVE_CAPA_REPLY));
    assert_false(repl_hs_transition_ok(REPL_RECEIVE_AUTH_REPLY, REPL_RECEIVE_IP_REPLY));
    assert_false(repl_hs_transition_ok(REPL_RECEIVE_CAPA_REPLY, REPL_RECEIVE_PSYNC_REPLY));
    assert_false(repl_hs_transition_ok(REPL_SEND_PSYNC, REPL_TRANSFER));
    assert_false(repl_hs_transition_ok(REPL_CONNECTED, REPL_TRANSFER));
    assert_false(repl_hs_transition_ok(REPL_CONNECTED, REPL_CONNECTED));
    assert_false(repl_hs_transition_ok(REPL_TRANSFER, REPL_TRANSFER));
    assert_false(repl_hs_transition_ok(REPL_NONE, REPL_CONNECTED));
}

static void test_handshake_states(void **state) {
    for (int s = 0; s < NSTATES; s++) {
        bool want = s >= REPL_RECEIVE_PING_REPLY && s <= REPL_RECEIVE_PSYNC_REPLY;
        assert_int_equal(repl_hs_is_handshake_state((repl_state_t)s), want);
    }
    assert_false(repl_hs_is_handshake_state(REPL_CONNECTING));
    assert_false(repl_hs_is_handshake_state(REPL_TRANSFER));
}

/* ---- PING ------------------------------------------------------------------------ */

static bool ping_ok(resp_type_t type, const char *text) {
    resp_value_t v;
    memset(&v, 0, sizeof(v));
    v.type = type;
    v.str = (char *)text;
    v.len = text ? strlen(text) : 0;
    return repl_hs_ping_reply_ok(&v);
}

static void test_ping_replies(void **state) {
    assert_true(ping_ok(RV_SIMPLE, "PONG"));
    assert_true(ping_ok(RV_SIMPLE, "OK")); /* any status */
    assert_true(ping_ok(RV_ERROR, "NOAUTH Authentication required."));
    assert_true(ping_ok(RV_ERROR, "NOPERM this user has no permissions to run the 'ping' command"));
    assert_true(ping_ok(RV_ERROR, "ERR operation not permitted"));

    assert_false(ping_ok(RV_ERROR, "ERR unknown command 'PING'"));
    assert_false(ping_ok(RV_ERROR, "ERR operation"));
    assert_false(ping_ok(RV_ERROR, "LOADING Redis is loading the dataset in memory"));
    assert_false(ping_ok(RV_ERROR, "WRONGPASS invalid username-password pair"));
    assert_false(ping_ok(RV_ERROR, "MASTERDOWN Link with MASTER is down"));
    assert_false(ping_ok(RV_ERROR, "noauth lowercase"));
    assert_false(ping_ok(RV_ERROR, ""));
    assert_false(ping_ok(RV_ERROR, NULL));
    assert_false(ping_ok(RV_BULK, "PONG"));
    assert_false(ping_ok(RV_INT, NULL));
    assert_false(ping_ok(RV_NULL, NULL));
}

/* ---- PSYNC ------------------------------------------------------------------------- */

static void test_psync_classify(void **state) {
    assert_int_equal(repl_hs_psync_classify("+FULLRESYNC " ID1 " 0"), REPL_HS_PSYNC_FULL);
    assert_int_equal(repl_hs_psync_classify("+FULLRESYNC"), REPL_HS_PSYNC_FULL);
    assert_int_equal(repl_hs_psync_classify("+CONTINUE"), REPL_HS_PSYNC_CONTINUE);
    assert_int_equal(repl_hs_psync_classify("+CONTINUE " ID1), REPL_HS_PSYNC_CONTINUE);
    assert_int_equal(repl_hs_psync_classify("-NOMASTERLINK Can't SYNC while not connected with "
                                            "my master"),
                     REPL_HS_PSYNC_TRY_LATER);
    assert_int_equal(repl_hs_psync_classify("-LOADING Redis is loading the dataset in memory"),
                     REPL_HS_PSYNC_TRY_LATER);
    assert_int_equal(repl_hs_psync_classify("-ERR unknown command 'PSYNC'"),
                     REPL_HS_PSYNC_NOT_SUPPORTED);
    assert_int_equal(repl_hs_psync_classify("-ERR Can't SYNC while not connected"),
                     REPL_HS_PSYNC_NOT_SUPPORTED);
    /* garbage: not ours to guess, SYNC is tried */
    assert_int_equal(repl_hs_psync_classify("+OK"), REPL_HS_PSYNC_NOT_SUPPORTED);
    assert_int_equal(repl_hs_psync_classify("hello"), REPL_HS_PSYNC_NOT_SUPPORTED);
    assert_int_equal(repl_hs_psync_classify("+FULL"), REPL_HS_PSYNC_NOT_SUPPORTED);
    assert_int_equal(repl_hs_psync_classify("+continue"), REPL_HS_PSYNC_NOT_SUPPORTED);
    assert_int_equal(repl_hs_psync_classify("-NOMASTER"), REPL_HS_PSYNC_NOT_SUPPORTED);
    assert_int_equal(repl_hs_psync_classify("$5"), REPL_HS_PSYNC_NOT_SUPPORTED);
}

static void test_fullresync_valid(void **state) {
    char id[REPL_HS_ID_LEN + 1];
    long long off = -7;
    assert_true(repl_hs_fullresync_parse("+FULLRESYNC " ID1 " 1234", id, &off));
    assert_string_equal(id, ID1);
    assert_int_equal(off, 1234);
    assert_true(repl_hs_fullresync_parse("+FULLRESYNC " ID2 " 0", id, &off));
    assert_string_equal(id, ID2);
    assert_int_equal(off, 0);
    assert_true(repl_hs_fullresync_parse("+FULLRESYNC " ID1 " 9223372036854775807", id, &off));
    assert_int_equal(off, 9223372036854775807LL);
    /* as Redis's strtoll: a sign is read, text after the digits is ignored */
    assert_true(repl_hs_fullresync_parse("+FULLRESYNC " ID1 " -1", id, &off));
    assert_int_equal(off, -1);
    assert_true(repl_hs_fullresync_parse("+FULLRESYNC " ID1 " 77 extra", id, &off));
    assert_int_equal(off, 77);
}

static void test_fullresync_invalid(void **state) {
    static const char *const bad[] = {
        "+FULLRESYNC",                                             /* nothing */
        "+FULLRESYNC " ID1,                                        /* no offset */
        "+FULLRESYNC " ID1 " ",                                    /* empty offset */
        "+FULLRESYNC " ID1 " abc",                                 /* not a number */
        "+FULLRESYNC " ID1 " 99999999999999999999",                /* out of range */
        "+FULLRESYNC a1b2c3d4e5f60718293a4b5c6d7e8f901234567 5",   /* 39-char id */
        "+FULLRESYNC a1b2c3d4e5f60718293a4b5c6d7e8f90123456789 5", /* 41-char id */
        "+FULLRESYNC  " ID1 " 5",                                  /* id after two spaces */
        "+FULLRESYNC 5",                                           /* offset only */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char id[REPL_HS_ID_LEN + 1] = "untouched";
        long long off = -7;
        if (repl_hs_fullresync_parse(bad[i], id, &off)) fail_msg("accepted '%s'", bad[i]);
        assert_string_equal(id, "untouched");
        assert_int_equal(off, -7);
    }
}

static void test_continue_new_id(void **state) {
    char id[REPL_HS_ID_LEN + 1] = "untouched";
    assert_false(repl_hs_continue_new_id("+CONTINUE", id)); /* an old master: same id */
    assert_string_equal(id, "untouched");
    assert_false(repl_hs_continue_new_id("+CONTINUE ", id));
    assert_false(repl_hs_continue_new_id("+CONTINUE a1b2c3d4e5f60718293a4b5c6d7e8f901234567", id));
    assert_false(
        repl_hs_continue_new_id("+CONTINUE a1b2c3d4e5f60718293a4b5c6d7e8f90123456789", id));
    assert_false(repl_hs_continue_new_id("+CONTINUEx" ID1, id));
    assert_string_equal(id, "untouched");
    assert_true(repl_hs_continue_new_id("+CONTINUE " ID1, id));
    assert_string_equal(id, ID1);
    assert_true(repl_hs_continue_new_id("+CONTINUE " ID2, id));
    assert_string_equal(id, ID2);
}

/* ---- timeouts ----------------------------------------------------------------------- */

static void test_timeout_table(void **state) {
    assert_int_equal(repl_hs_timeout_kind(REPL_NONE), REPL_HS_TIMEOUT_NONE);
    assert_int_equal(repl_hs_timeout_kind(REPL_CONNECT), REPL_HS_TIMEOUT_NONE);
    for (int s = REPL_CONNECTING; s <= REPL_RECEIVE_PSYNC_REPLY; s++)
        assert_int_equal(repl_hs_timeout_kind((repl_state_t)s), REPL_HS_TIMEOUT_HANDSHAKE);
    assert_int_equal(repl_hs_timeout_kind(REPL_TRANSFER), REPL_HS_TIMEOUT_TRANSFER);
    assert_int_equal(repl_hs_timeout_kind(REPL_CONNECTED), REPL_HS_TIMEOUT_STREAM);
}

static void test_timeout_check(void **state) {
    /* repl-timeout 60, last byte at 10,000 ms: 60 whole seconds is not a timeout, 61 is */
    assert_int_equal(repl_hs_timeout_check(REPL_CONNECTED, 70999, 10000, 0, 0, 60),
                     REPL_HS_TIMEOUT_NONE);
    assert_int_equal(repl_hs_timeout_check(REPL_CONNECTED, 71000, 10000, 0, 0, 60),
                     REPL_HS_TIMEOUT_STREAM);
    assert_int_equal(repl_hs_timeout_check(REPL_RECEIVE_PORT_REPLY, 71000, 10000, 0, 0, 60),
                     REPL_HS_TIMEOUT_HANDSHAKE);
    assert_int_equal(repl_hs_timeout_check(REPL_CONNECTING, 71000, 10000, 0, 0, 60),
                     REPL_HS_TIMEOUT_HANDSHAKE);
    /* NONE and CONNECT never time out */
    assert_int_equal(repl_hs_timeout_check(REPL_CONNECT, 999999, 0, 0, 0, 1), REPL_HS_TIMEOUT_NONE);
    assert_int_equal(repl_hs_timeout_check(REPL_NONE, 999999, 0, 0, 0, 1), REPL_HS_TIMEOUT_NONE);
    /* a later state change restarts the clock */
    assert_int_equal(repl_hs_timeout_check(REPL_SEND_PSYNC, 71000, 10000, 20000, 0, 60),
                     REPL_HS_TIMEOUT_NONE);
    assert_int_equal(repl_hs_timeout_check(REPL_SEND_PSYNC, 81000, 10000, 20000, 0, 60),
                     REPL_HS_TIMEOUT_HANDSHAKE);
    /* the last payload byte counts in TRANSFER only */
    assert_int_equal(repl_hs_timeout_check(REPL_TRANSFER, 71000, 10000, 0, 30000, 60),
                     REPL_HS_TIMEOUT_NONE);
    assert_int_equal(repl_hs_timeout_check(REPL_TRANSFER, 91000, 10000, 0, 30000, 60),
                     REPL_HS_TIMEOUT_TRANSFER);
    assert_int_equal(repl_hs_timeout_check(REPL_TRANSFER, 71000, 10000, 0, 0, 60),
                     REPL_HS_TIMEOUT_TRANSFER);
    assert_int_equal(repl_hs_timeout_check(REPL_CONNECTED, 71000, 10000, 0, 30000, 60),
                     REPL_HS_TIMEOUT_STREAM);
}

/* ---- the transfer header ------------------------------------------------------------ */

typedef struct {
    repl_hs_bulk_t kind;
    long long size;
    char mark[RDB_EOF_MARK_SIZE];
    int keepalives;  /* empty lines skipped */
    size_t consumed; /* bytes up to the end of the header line */
} header_result_t;

/* Feeds in[0..n) to the line reader in chunks of `step` bytes, as replica.c's
 * raw_step does before the header: empty lines are keepalives, the first
 * other line is the header.  Fails the test if no header line completes. */
static header_result_t read_header(const char *in, size_t n, size_t step) {
    header_result_t r;
    memset(&r, 0, sizeof(r));
    buf_t line = BUF_INIT;
    size_t pos = 0;
    while (pos < n) {
        size_t len = n - pos < step ? n - pos : step;
        bool complete = false;
        long used = repl_hs_take_line(&line, in + pos, len, &complete);
        assert_true(used > 0 && (size_t)used <= len);
        pos += (size_t)used;
        if (!complete) {
            assert_int_equal(used, len); /* an open line takes the whole chunk */
            continue;
        }
        r.kind = repl_hs_bulk_header(line.p, &r.size, r.mark);
        buf_clear(&line);
        if (r.kind == REPL_HS_BULK_KEEPALIVE) {
            r.keepalives++;
            continue;
        }
        r.consumed = pos;
        buf_free(&line);
        return r;
    }
    buf_free(&line);
    fail_msg("no header line in %zu bytes", n);
    return r;
}

static void test_header_size_byte_by_byte(void **state) {
    static const char in[] = "\n\n\n$12345\r\nREDIS0010";
    for (size_t step = 1; step <= sizeof(in) - 1; step++) {
        header_result_t r = read_header(in, sizeof(in) - 1, step);
        assert_int_equal(r.kind, REPL_HS_BULK_SIZE);
        assert_int_equal(r.size, 12345);
        assert_int_equal(r.keepalives, 3);
        assert_int_equal(r.consumed, strlen("\n\n\n$12345\r\n")); /* the payload is left */
    }
}

static void test_header_eof_byte_by_byte(void **state) {
    static const char in[] = "\n\n$EOF:" MARK "\r\nREDIS0010";
    for (size_t step = 1; step <= sizeof(in) - 1; step++) {
        header_result_t r = read_header(in, sizeof(in) - 1, step);
        assert_int_equal(r.kind, REPL_HS_BULK_EOF_MARK);
        assert_memory_equal(r.mark, MARK, RDB_EOF_MARK_SIZE);
        assert_int_equal(r.size, 0);
        assert_int_equal(r.keepalives, 2);
        assert_int_equal(r.consumed, strlen("\n\n$EOF:" MARK "\r\n"));
    }
}

static void test_header_kinds(void **state) {
    char mark[RDB_EOF_MARK_SIZE];
    long long size = -7;
    assert_int_equal(repl_hs_bulk_header("", &size, mark), REPL_HS_BULK_KEEPALIVE);
    assert_int_equal(repl_hs_bulk_header("$0", &size, mark), REPL_HS_BULK_SIZE);
    assert_int_equal(size, 0);
    assert_int_equal(repl_hs_bulk_header("$175", &size, mark), REPL_HS_BULK_SIZE);
    assert_int_equal(size, 175);
    /* only the first 40 bytes after "$EOF:" are the mark */
    assert_int_equal(repl_hs_bulk_header("$EOF:" MARK "zz", &size, mark), REPL_HS_BULK_EOF_MARK);
    assert_memory_equal(mark, MARK, RDB_EOF_MARK_SIZE);
    /* a short mark reads as "$<len>", as Redis: size 0 */
    size = -7;
    assert_int_equal(repl_hs_bulk_header("$EOF:short", &size, mark), REPL_HS_BULK_SIZE);
    assert_int_equal(size, 0);
    assert_int_equal(repl_hs_bulk_header("-ERR no", &size, mark), REPL_HS_BULK_ERROR);
    assert_int_equal(repl_hs_bulk_header("+OK", &size, mark), REPL_HS_BULK_BAD);
    assert_int_equal(repl_hs_bulk_header("HTTP/1.1 400", &size, mark), REPL_HS_BULK_BAD);
}

static void test_take_line(void **state) {
    buf_t line = BUF_INIT;
    bool complete = true;
    /* the example of handshake.h */
    assert_int_equal(repl_hs_take_line(&line, "$12", 3, &complete), 3);
    assert_false(complete);
    assert_int_equal(repl_hs_take_line(&line, "3\r\nPAYLOAD", 10, &complete), 3);
    assert_true(complete);
    assert_string_equal(line.p, "$123");
    buf_clear(&line);
    /* a bare "\n" ends a line too; "\r" alone is kept */
    assert_int_equal(repl_hs_take_line(&line, "$5\nxx", 5, &complete), 3);
    assert_true(complete);
    assert_string_equal(line.p, "$5");
    buf_clear(&line);
    assert_int_equal(repl_hs_take_line(&line, "\r\n", 2, &complete), 2);
    assert_true(complete);
    assert_int_equal(line.len, 0);
    buf_clear(&line);
    /* too long: refused before it is taken */
    char big[REPL_HS_LINE_MAX + 1];
    memset(big, 'a', sizeof(big));
    assert_int_equal(repl_hs_take_line(&line, big, REPL_HS_LINE_MAX, &complete), REPL_HS_LINE_MAX);
    assert_false(complete);
    assert_int_equal(repl_hs_take_line(&line, "\n", 1, &complete), -1);
    buf_clear(&line);
    assert_int_equal(repl_hs_take_line(&line, big, sizeof(big), &complete), -1);
    buf_free(&line);
}

/* ---- the $EOF mark ------------------------------------------------------------------ */

#define PAYLOAD_LEN 120
static const char STREAM[] = "*1\r\n$4\r\nPING\r\n";

/* payload + mark + stream in out; returns the total length.  The payload
 * holds two false starts: the mark's first 39 bytes followed by another
 * byte, and the first 20. */
static size_t eof_input(char *out) {
    for (size_t i = 0; i < PAYLOAD_LEN; i++) out[i] = (char)('A' + (i * 7) % 26);
    memcpy(out + 10, MARK, RDB_EOF_MARK_SIZE - 1);
    out[10 + RDB_EOF_MARK_SIZE - 1] = '!';
    memcpy(out + PAYLOAD_LEN - 20, MARK, 20);
    out[PAYLOAD_LEN - 1] = '?'; /* the 20-byte prefix is cut before the real mark */
    memcpy(out + PAYLOAD_LEN, MARK, RDB_EOF_MARK_SIZE);
    memcpy(out + PAYLOAD_LEN + RDB_EOF_MARK_SIZE, STREAM, sizeof(STREAM) - 1);
    return PAYLOAD_LEN + RDB_EOF_MARK_SIZE + sizeof(STREAM) - 1;
}

/* Feeds in[0..n) cut at cuts[0..ncuts) (ascending) and checks that the mark
 * ends exactly after the payload and the rest is the stream. */
static void eof_feed(const char *in, size_t n, const size_t *cuts, int ncuts) {
    repl_hs_eof_t e;
    repl_hs_eof_init(&e, MARK);
    size_t pos = 0, scanned = 0;
    for (int k = 0; k <= ncuts; k++) {
        size_t end = k < ncuts ? cuts[k] : n;
        size_t len = end - pos;
        size_t got = repl_hs_eof_scan(&e, in + pos, len);
        if (got == 0) {
            if (pos + len >= PAYLOAD_LEN + RDB_EOF_MARK_SIZE)
                fail_msg("mark missed, chunk %d of %d", k, ncuts + 1);
            scanned += len;
            pos = end;
            continue;
        }
        assert_true(got <= len);
        scanned += got;
        if (scanned != PAYLOAD_LEN + RDB_EOF_MARK_SIZE)
            fail_msg("mark found at %zu, chunk %d of %d", scanned, k, ncuts + 1);
        /* what follows in the chunk and later chunks is the stream */
        size_t rest = n - (pos + got);
        assert_int_equal(rest, sizeof(STREAM) - 1);
        assert_memory_equal(in + pos + got, STREAM, rest);
        return;
    }
    fail_msg("mark never found");
}

static void test_eof_mark_two_chunks(void **state) {
    char in[256];
    size_t n = eof_input(in);
    for (size_t i = 0; i <= n; i++) eof_feed(in, n, &i, 1);
}

static void test_eof_mark_three_chunks(void **state) {
    char in[256];
    size_t n = eof_input(in);
    for (size_t i = 0; i <= n; i++)
        for (size_t j = i; j <= n; j++) {
            size_t cuts[2] = {i, j};
            eof_feed(in, n, cuts, 2);
        }
}

static void test_eof_mark_byte_by_byte(void **state) {
    char in[256];
    size_t n = eof_input(in);
    size_t cuts[256];
    for (size_t i = 0; i < n - 1; i++) cuts[i] = i + 1;
    eof_feed(in, n, cuts, (int)(n - 1));
}

static void test_eof_mark_alone_and_absent(void **state) {
    repl_hs_eof_t e;
    repl_hs_eof_init(&e, MARK);
    /* an empty payload: the mark is the whole chunk */
    assert_int_equal(repl_hs_eof_scan(&e, MARK, RDB_EOF_MARK_SIZE), RDB_EOF_MARK_SIZE);
    repl_hs_eof_init(&e, MARK);
    /* the mark minus its last byte, then that byte */
    assert_int_equal(repl_hs_eof_scan(&e, MARK, RDB_EOF_MARK_SIZE - 1), 0);
    assert_int_equal(repl_hs_eof_scan(&e, "", 0), 0);
    assert_int_equal(e.taillen, RDB_EOF_MARK_SIZE - 1);
    assert_int_equal(repl_hs_eof_scan(&e, MARK + RDB_EOF_MARK_SIZE - 1, 1), 1);
    /* bytes that never hold the mark */
    repl_hs_eof_init(&e, MARK);
    char junk[500];
    memset(junk, 'x', sizeof(junk));
    for (int i = 0; i < 10; i++) assert_int_equal(repl_hs_eof_scan(&e, junk, sizeof(junk)), 0);
    assert_int_equal(e.taillen, RDB_EOF_MARK_SIZE - 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transitions_match_the_diagram),
        cmocka_unit_test(test_transitions_examples),
        cmocka_unit_test(test_handshake_states),
        cmocka_unit_test(test_ping_replies),
        cmocka_unit_test(test_psync_classify),
        cmocka_unit_test(test_fullresync_valid),
        cmocka_unit_test(test_fullresync_invalid),
        cmocka_unit_test(test_continue_new_id),
        cmocka_unit_test(test_timeout_table),
        cmocka_unit_test(test_timeout_check),
        cmocka_unit_test(test_header_size_byte_by_byte),
        cmocka_unit_test(test_header_eof_byte_by_byte),
        cmocka_unit_test(test_header_kinds),
        cmocka_unit_test(test_take_line),
        cmocka_unit_test(test_eof_mark_two_chunks),
        cmocka_unit_test(test_eof_mark_three_chunks),
        cmocka_unit_test(test_eof_mark_byte_by_byte),
        cmocka_unit_test(test_eof_mark_alone_and_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
