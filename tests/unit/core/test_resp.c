/* Unit tests for node/core/resp.c: the request parser (multibulk and inline,
 * incremental, limits), the RESP2/RESP3 reply parser and the encoder.
 *
 * Notes:
 *  1. Inputs are copied into malloc'd buffers of exactly their length, so
 *     ASan reports any read past what the parser was given.
 *  2. "Feeding" simulates a connection: bytes arrive in chunks, each read
 *     moves the query buffer (new allocation, old one freed), and parsed
 *     commands are consumed from the front.  A parser that kept a pointer
 *     into an old buffer trips ASan.
 *  3. Parsed commands are logged as "argc[len:bytes;...]\n" so that whole
 *     streams compare with one memcmp, binary arguments included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "buf.h"
#include "resp.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static const resp_limits_t LIM = {
    .max_bulk_len = 512LL * 1024 * 1024,
    .max_multibulk_len = 2147483647,
    .max_inline_len = 64 * 1024,
    .unauthenticated = false,
};

static const resp_limits_t LIM_UNAUTH = {
    .max_bulk_len = 512LL * 1024 * 1024,
    .max_multibulk_len = 2147483647,
    .max_inline_len = 64 * 1024,
    .unauthenticated = true,
};

/* ---- helpers ------------------------------------------------------------ */

static char *dup_exact(const char *s, size_t n) {
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n) memcpy(p, s, n);
    return p;
}

static void log_cmd(buf_t *log, const resp_req_t *r, const char *base) {
    buf_printf(log, "%zu[", r->argc);
    for (size_t i = 0; i < r->argc; i++) {
        buf_printf(log, "%zu:", r->argv[i].len);
        buf_append(log, base + r->argv[i].off, r->argv[i].len);
        buf_putc(log, ';');
    }
    buf_puts(log, "]\n");
}

static void assert_log(const buf_t *log, const char *want) {
    size_t n = strlen(want);
    if (log->len != n || memcmp(log->p, want, n) != 0)
        fail_msg("log mismatch:\n got: %.*s\nwant: %s", (int)log->len, log->p ? log->p : "", want);
}

/* Parses a whole stream held in one buffer; logs commands and a final error. */
static void parse_stream(const char *in, size_t n, const resp_limits_t *lim, buf_t *log) {
    char *b = dup_exact(in, n);
    resp_req_t r;
    resp_req_init(&r);
    size_t off = 0;
    while (off < n) {
        size_t used = 0;
        int rc = resp_req_parse(&r, b + off, n - off, lim, &used);
        if (rc == RESP_AGAIN) break;
        if (rc == RESP_EPROTO) {
            buf_printf(log, "ERR %s\n", r.err);
            break;
        }
        assert_int_equal(rc, RESP_OK);
        assert_true(used > 0 && used <= n - off);
        log_cmd(log, &r, b + off);
        off += used;
    }
    resp_req_free(&r);
    free(b);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void) { /* xorshift64: deterministic chunk sizes */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Feeds `in` in chunks of 1..max_chunk bytes (exactly max_chunk when
 * !random), moving the buffer on every read (note 2). */
static void feed_stream(const char *in, size_t n, const resp_limits_t *lim, size_t max_chunk,
                        bool random, buf_t *log) {
    resp_req_t r;
    resp_req_init(&r);
    char *q = NULL;
    size_t qlen = 0, fed = 0;
    while (fed < n) {
        size_t k = random ? 1 + (size_t)(rng() % max_chunk) : max_chunk;
        if (k > n - fed) k = n - fed;
        char *nq = malloc(qlen + k);
        assert_non_null(nq);
        if (qlen) memcpy(nq, q, qlen);
        memcpy(nq + qlen, in + fed, k);
        free(q);
        q = nq;
        qlen += k;
        fed += k;
        while (qlen > 0) {
            size_t used = 0;
            int rc = resp_req_parse(&r, q, qlen, lim, &used);
            if (rc == RESP_AGAIN) break;
            if (rc == RESP_EPROTO) {
                buf_printf(log, "ERR %s\n", r.err);
                goto out;
            }
            log_cmd(log, &r, q);
            memmove(q, q + used, qlen - used);
            qlen -= used;
        }
    }
out:
    free(q);
    resp_req_free(&r);
}

/* One command parsed from an exact-size copy; returns the rc. */
static int parse_one(resp_req_t *r, char **copy, const char *in, size_t n, const resp_limits_t *lim,
                     size_t *used) {
    *copy = dup_exact(in, n);
    return resp_req_parse(r, *copy, n, lim, used);
}

/* Asserts that `in` is refused with `err`, both in one piece and fed byte by
 * byte (AGAIN until the refusal).  Returns the prefix length at which the
 * byte-by-byte parser refused it. */
static size_t expect_req_err(const char *in, size_t n, const resp_limits_t *lim, const char *err) {
    resp_req_t r;
    resp_req_init(&r);
    char *b;
    size_t used = 12345;
    assert_int_equal(parse_one(&r, &b, in, n, lim, &used), RESP_EPROTO);
    assert_non_null(r.err);
    assert_string_equal(r.err, err);
    assert_int_equal(used, 12345); /* untouched on error */
    free(b);
    resp_req_free(&r);

    resp_req_init(&r);
    b = dup_exact(in, n);
    size_t k;
    int rc = RESP_AGAIN;
    for (k = 0; k <= n; k++) {
        rc = resp_req_parse(&r, b, k, lim, &used);
        if (rc != RESP_AGAIN) break;
    }
    assert_int_equal(rc, RESP_EPROTO);
    assert_string_equal(r.err, err);
    free(b);
    resp_req_free(&r);
    return k;
}

#define EXPECT_REQ_ERR(lit, lim, err) expect_req_err(S(lit), (lim), (err))

/* Parses one complete command and asserts its log and consumed length. */
static void expect_cmd(const char *in, size_t n, const resp_limits_t *lim, size_t consumed,
                       const char *want_log) {
    resp_req_t r;
    resp_req_init(&r);
    char *b;
    size_t used = 0;
    assert_int_equal(parse_one(&r, &b, in, n, lim, &used), RESP_OK);
    assert_int_equal(used, consumed);
    buf_t log = BUF_INIT;
    log_cmd(&log, &r, b);
    assert_log(&log, want_log);
    buf_free(&log);
    free(b);
    resp_req_free(&r);
}

#define EXPECT_CMD(lit, consumed, want) expect_cmd(S(lit), &LIM, (consumed), (want))
#define EXPECT_CMD_ALL(lit, want) expect_cmd(S(lit), &LIM, sizeof(lit) - 1, (want))

static int setup_req(void **state) {
    resp_req_t *r = malloc(sizeof(*r));
    resp_req_init(r);
    *state = r;
    return 0;
}

static int teardown_req(void **state) {
    resp_req_free(*state);
    free(*state);
    return 0;
}

/* ---- multibulk ---------------------------------------------------------- */

static void test_mb_basic(void **state) {
    resp_req_t *r = *state;
    char *b;
    size_t used = 0;
    const char in[] = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
    assert_int_equal(parse_one(r, &b, S(in), &LIM, &used), RESP_OK);
    assert_int_equal(used, sizeof(in) - 1);
    assert_int_equal(r->argc, 3);
    assert_int_equal(r->argv[0].off, 8);
    assert_int_equal(r->argv[0].len, 3);
    assert_memory_equal(b + r->argv[0].off, "SET", 3);
    assert_int_equal(r->argv[1].off, 17);
    assert_memory_equal(b + r->argv[1].off, "key", 3);
    assert_int_equal(r->argv[2].off, 26);
    assert_int_equal(r->argv[2].len, 5);
    assert_memory_equal(b + r->argv[2].off, "value", 5);
    assert_null(r->err);
    free(b);
}

static void test_mb_binary_and_empty_args(void **state) {
    EXPECT_CMD_ALL("*3\r\n$0\r\n\r\n$4\r\na\r\nb\r\n$3\r\nxyz\r\n", "3[0:;4:a\r\nb;3:xyz;]\n");
    /* The log string literal stops at the first NUL: compare explicitly. */
    resp_req_t *r = *state;
    char *b;
    size_t used;
    const char in[] = "*1\r\n$3\r\nx\0y\r\n";
    assert_int_equal(parse_one(r, &b, S(in), &LIM, &used), RESP_OK);
    assert_int_equal(r->argv[0].len, 3);
    assert_memory_equal(b + r->argv[0].off, "x\0y", 3);
    free(b);
}

static void test_mb_pipelined_consumed(void **state) {
    resp_req_t *r = *state;
    const char in[] = "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\n$4\r\nPI";
    char *b = dup_exact(S(in));
    size_t used = 0, off = 0;
    assert_int_equal(resp_req_parse(r, b, sizeof(in) - 1, &LIM, &used), RESP_OK);
    assert_int_equal(used, 14);
    assert_int_equal(r->argc, 1);
    off += used;
    assert_int_equal(resp_req_parse(r, b + off, sizeof(in) - 1 - off, &LIM, &used), RESP_OK);
    assert_int_equal(used, 22);
    assert_int_equal(r->argc, 2);
    assert_memory_equal(b + off + r->argv[1].off, "hi", 2);
    off += used;
    assert_int_equal(resp_req_parse(r, b + off, sizeof(in) - 1 - off, &LIM, &used), RESP_AGAIN);
    free(b);
}

static void test_argc_zero(void **state) {
    /* Each is an empty command the caller skips, then the next one parses. */
    EXPECT_CMD("*0\r\n*1\r\n$1\r\na\r\n", 4, "0[]\n");
    EXPECT_CMD("*-1\r\nPING\r\n", 5, "0[]\n");
    EXPECT_CMD("*-10\r\n", 6, "0[]\n");
    EXPECT_CMD("*-9223372036854775808\r\n", 23, "0[]\n");
    EXPECT_CMD("\r\n*1\r\n", 2, "0[]\n");
    EXPECT_CMD("\n", 1, "0[]\n");
    EXPECT_CMD(" \t  \r\nPING\r\n", 6, "0[]\n");
    /* redis-cli --pipe: a bare CRLF between commands. */
    buf_t log = BUF_INIT;
    parse_stream(S("*1\r\n$4\r\nPING\r\n\r\n*1\r\n$4\r\nPING\r\n"), &LIM, &log);
    assert_log(&log, "1[4:PING;]\n0[]\n1[4:PING;]\n");
    buf_free(&log);
    resp_req_t *r = *state;
    assert_int_equal(resp_req_parse(r, NULL, 0, &LIM, NULL), RESP_AGAIN);
    assert_int_equal(resp_req_want(r), 0);
}

static void test_mb_count_errors(void **state) {
    const char *inv = "Protocol error: invalid multibulk length";
    assert_int_equal(EXPECT_REQ_ERR("*abc\r\n", &LIM, inv), 6);
    assert_int_equal(EXPECT_REQ_ERR("*\r\n", &LIM, inv), 3);
    assert_int_equal(EXPECT_REQ_ERR("*2147483648\r\n", &LIM, inv), 13);
    EXPECT_REQ_ERR("*99999999999999999999\r\n", &LIM, inv); /* overflows long long */
    EXPECT_REQ_ERR("*+1\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*01\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1 \r\n", &LIM, inv);
    EXPECT_REQ_ERR("* 1\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*-0\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\0\r\n", &LIM, inv);
    resp_limits_t small = LIM;
    small.max_multibulk_len = 100;
    EXPECT_REQ_ERR("*101\r\n", &small, inv);
    /* The limit itself is allowed. */
    resp_req_t *r = *state;
    char *b;
    size_t used;
    assert_int_equal(parse_one(r, &b, S("*2147483647\r\n"), &LIM, &used), RESP_AGAIN);
    free(b);
}

static void test_mb_count_line_too_big(void **state) {
    /* "*" then digits with no CR: 65536 bytes wait, 65537 are refused. */
    size_t n = 64 * 1024 + 1;
    char *in = malloc(n);
    in[0] = '*';
    memset(in + 1, '1', n - 1);
    resp_req_t *r = *state;
    size_t used;
    /* White box (resp.c note 3): the CR search resumes where it stopped, so
     * a long line fed byte by byte stays linear. */
    for (size_t k = 1; k < 1000; k++) {
        assert_int_equal(resp_req_parse(r, in, k, &LIM, &used), RESP_AGAIN);
        assert_true(r->bulk_len == -1 - (long long)k);
    }
    assert_int_equal(resp_req_parse(r, in, n - 1, &LIM, &used), RESP_AGAIN);
    assert_int_equal(resp_req_parse(r, in, n, &LIM, &used), RESP_EPROTO);
    assert_string_equal(r->err, "Protocol error: too big mbulk count string");
    assert_int_equal(expect_req_err(in, n, &LIM, "Protocol error: too big mbulk count string"), n);
    free(in);
}

static void test_mb_expected_dollar(void **state) {
    assert_int_equal(EXPECT_REQ_ERR("*1\r\nx\r\n", &LIM, "Protocol error: expected '$', got 'x'"),
                     7);
    EXPECT_REQ_ERR("*1\r\n:1\r\n", &LIM, "Protocol error: expected '$', got ':'");
    EXPECT_REQ_ERR("*2\r\n$1\r\na\r\n*1\r\n", &LIM, "Protocol error: expected '$', got '*'");
    /* Redis's error formatting turns CR/LF into spaces. */
    EXPECT_REQ_ERR("*1\r\n\r\n", &LIM, "Protocol error: expected '$', got ' '");
    EXPECT_REQ_ERR("*1\r\n\n\r\n", &LIM, "Protocol error: expected '$', got ' '");
    /* From redis tests/unit/protocol.tcl "Wrong multibulk payload header". */
    EXPECT_REQ_ERR("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", &LIM,
                   "Protocol error: expected '$', got 'f'");
    /* As in Redis, the check waits for the whole header line. */
    resp_req_t *r = *state;
    char *b;
    size_t used;
    assert_int_equal(parse_one(r, &b, S("*1\r\nxyz"), &LIM, &used), RESP_AGAIN);
    free(b);
}

static void test_mb_bulk_len_errors(void **state) {
    const char *inv = "Protocol error: invalid bulk length";
    assert_int_equal(EXPECT_REQ_ERR("*1\r\n$abc\r\n", &LIM, inv), 10);
    EXPECT_REQ_ERR("*1\r\n$\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\r\n$-1\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\r\n$-5\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\r\n$01\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\r\n$1 \r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\r\n$+1\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\r\n$99999999999999999999\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\r\n$9223372036854775807\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\r\n$2147483648\r\n", &LIM, inv);
    EXPECT_REQ_ERR("*1\r\n$536870913\r\n", &LIM, inv); /* 512 MiB + 1 */
    EXPECT_REQ_ERR("*2\r\n$1\r\na\r\n$x\r\n", &LIM, inv);
    resp_limits_t small = LIM;
    small.max_bulk_len = 10;
    EXPECT_REQ_ERR("*1\r\n$11\r\n", &small, inv);
    expect_cmd(S("*1\r\n$10\r\n0123456789\r\n"), &small, 21, "1[10:0123456789;]\n");
    /* Exactly 512 MiB is allowed: it waits for the data. */
    resp_req_t *r = *state;
    char *b;
    size_t used;
    assert_int_equal(parse_one(r, &b, S("*1\r\n$536870912\r\n"), &LIM, &used), RESP_AGAIN);
    assert_int_equal(resp_req_want(r), 16 + 536870912 + 2);
    free(b);
}

static void test_mb_bulk_header_too_big(void **state) {
    const char *err = "Protocol error: too big bulk count string";
    size_t n = 4 + 64 * 1024 + 1; /* "*1\r\n" then a 65537-byte header line */
    char *in = malloc(n);
    memcpy(in, "*1\r\n$", 5);
    memset(in + 5, '1', n - 5);
    resp_req_t *r = *state;
    size_t used;
    assert_int_equal(resp_req_parse(r, in, n - 1, &LIM, &used), RESP_AGAIN);
    assert_int_equal(resp_req_parse(r, in, n, &LIM, &used), RESP_EPROTO);
    assert_string_equal(r->err, err);
    assert_int_equal(expect_req_err(in, n, &LIM, err), n);
    free(in);

    /* The same for the header of a later argument. */
    n = 11 + 64 * 1024 + 1;
    in = malloc(n);
    memcpy(in, "*2\r\n$1\r\na\r\n", 11);
    memset(in + 11, 'z', n - 11);
    assert_int_equal(expect_req_err(in, n, &LIM, err), n);
    free(in);
}

static void test_mb_unauthenticated_limits(void **state) {
    /* Redis 7.0 texts ("unauthenticated ...", networking.c authRequired()). */
    const char *mb = "Protocol error: unauthenticated multibulk length";
    const char *bulk = "Protocol error: unauthenticated bulk length";
    EXPECT_REQ_ERR("*11\r\n", &LIM_UNAUTH, mb);
    EXPECT_REQ_ERR("*100\r\n", &LIM_UNAUTH, mb);
    EXPECT_REQ_ERR("*1\r\n$16385\r\n", &LIM_UNAUTH, bulk);
    EXPECT_REQ_ERR("*1\r\n$100000000\r\n", &LIM_UNAUTH, bulk);
    /* The general checks come first. */
    EXPECT_REQ_ERR("*abc\r\n", &LIM_UNAUTH, "Protocol error: invalid multibulk length");
    EXPECT_REQ_ERR("*1\r\n$600000000\r\n", &LIM_UNAUTH, "Protocol error: invalid bulk length");
    /* At the limits, and the limits apply to multibulk only. */
    expect_cmd(S("*-5\r\n"), &LIM_UNAUTH, 5, "0[]\n");
    buf_t cmd = BUF_INIT;
    buf_puts(&cmd, "*10\r\n");
    for (int i = 0; i < 9; i++) buf_puts(&cmd, "$1\r\na\r\n");
    buf_puts(&cmd, "$16384\r\n");
    for (int i = 0; i < 16384; i++) buf_putc(&cmd, 'v');
    buf_puts(&cmd, "\r\n");
    resp_req_t *r = *state;
    char *b;
    size_t used;
    assert_int_equal(parse_one(r, &b, cmd.p, cmd.len, &LIM_UNAUTH, &used), RESP_OK);
    assert_int_equal(r->argc, 10);
    assert_int_equal(r->argv[9].len, 16384);
    assert_int_equal(used, cmd.len);
    free(b);
    buf_free(&cmd);
    expect_cmd(S("a b c d e f g h i j k l\r\n"), &LIM_UNAUTH, 25,
               "12[1:a;1:b;1:c;1:d;1:e;1:f;1:g;1:h;1:i;1:j;1:k;1:l;]\n");
}

static void test_mb_redis_quirks(void **state) {
    /* Like Redis, the byte after a header's CR and the two bytes after bulk
     * data are skipped unchecked. */
    EXPECT_CMD_ALL("*1\rX$1\r\na\r\n", "1[1:a;]\n");
    EXPECT_CMD_ALL("*1\r\n$1\r\naXY", "1[1:a;]\n");
    EXPECT_CMD_ALL("*1\r\n$1\rYaXY", "1[1:a;]\n");
    /* A CR at the very end waits for the byte after it. */
    resp_req_t *r = *state;
    char *b;
    size_t used;
    assert_int_equal(parse_one(r, &b, S("*1\r"), &LIM, &used), RESP_AGAIN);
    free(b);
    resp_req_reset(r);
    assert_int_equal(parse_one(r, &b, S("*1\r\n$1\r"), &LIM, &used), RESP_AGAIN);
    free(b);
}

static void test_lim_null_uses_defaults(void **state) {
    resp_req_t *r = *state;
    char *b;
    size_t used;
    assert_int_equal(parse_one(r, &b, S("*1\r\n$536870913\r\n"), NULL, &used), RESP_EPROTO);
    assert_string_equal(r->err, "Protocol error: invalid bulk length");
    free(b);
    assert_int_equal(parse_one(r, &b, S("*1\r\n$3\r\nfoo\r\n"), NULL, &used), RESP_OK);
    assert_int_equal(r->argc, 1);
    free(b);
}

static void test_reset_and_reuse_after_error(void **state) {
    resp_req_t *r = *state;
    char *b;
    size_t used;
    /* A partial command, forgotten by reset, then a new one. */
    assert_int_equal(parse_one(r, &b, S("*3\r\n$3\r\nSET\r\n$1"), &LIM, &used), RESP_AGAIN);
    free(b);
    resp_req_reset(r);
    assert_int_equal(parse_one(r, &b, S("PING\r\n"), &LIM, &used), RESP_OK);
    assert_int_equal(r->argc, 1);
    assert_int_equal(used, 6);
    free(b);
    /* After an error the parser starts clean. */
    assert_int_equal(parse_one(r, &b, S("*1\r\n$x\r\n"), &LIM, &used), RESP_EPROTO);
    free(b);
    assert_int_equal(parse_one(r, &b, S("*1\r\n$2\r\nok\r\n"), &LIM, &used), RESP_OK);
    assert_int_equal(r->argc, 1);
    assert_null(r->err);
    free(b);
}

/* ---- inline ------------------------------------------------------------- */

static void test_inline_basic(void **state) {
    EXPECT_CMD_ALL("PING\r\n", "1[4:PING;]\n");
    EXPECT_CMD_ALL("PING\n", "1[4:PING;]\n");
    EXPECT_CMD_ALL("set  key\tvalue \r\n", "3[3:set;3:key;5:value;]\n");
    EXPECT_CMD_ALL("   get k\n", "2[3:get;1:k;]\n");
    EXPECT_CMD_ALL(" *1\r\n", "1[2:*1;]\n"); /* only a leading '*' means multibulk */
    EXPECT_CMD_ALL("$3\r\n", "1[2:$3;]\n");
    /* \v and \f are skipped as blanks but do not end a token. */
    EXPECT_CMD_ALL("\va\vb c\r\n", "2[3:a\vb;1:c;]\n");
    /* A CR inside the line separates, only the last one is the terminator. */
    EXPECT_CMD_ALL("a\rb\r\r\n", "2[1:a;1:b;]\n");
    /* NUL bytes are data (Redis would stall on them, see resp.c note 6). */
    resp_req_t *r = *state;
    char *b;
    size_t used;
    assert_int_equal(parse_one(r, &b, S("a\0b c\r\n"), &LIM, &used), RESP_OK);
    assert_int_equal(r->argc, 2);
    assert_int_equal(r->argv[0].len, 3);
    assert_memory_equal(b + r->argv[0].off, "a\0b", 3);
    free(b);
    /* Incomplete without '\n'. */
    assert_int_equal(parse_one(r, &b, S("PING\r"), &LIM, &used), RESP_AGAIN);
    assert_int_equal(resp_req_want(r), 0);
    free(b);
}

static void test_inline_quotes(void **state) {
    EXPECT_CMD_ALL("set \"a b\" 'c d'\r\n", "3[3:set;3:a b;3:c d;]\n");
    EXPECT_CMD_ALL("set k \"\"\r\n", "3[3:set;1:k;0:;]\n");
    EXPECT_CMD_ALL("''\n", "1[0:;]\n");
    EXPECT_CMD_ALL("\"a\"\t\"b\"\n", "2[1:a;1:b;]\n");
    /* A quote inside a token opens a quoted part of the same token. */
    EXPECT_CMD_ALL("foo\"bar baz\" x\n", "2[10:foobar baz;1:x;]\n");
    EXPECT_CMD_ALL("a'b c'\n", "1[4:ab c;]\n");
    /* Double-quote escapes. */
    EXPECT_CMD_ALL("\"\\n\\r\\t\\b\\a\\\\\\\"\\q\"\n", "1[8:\n\r\t\b\a\\\"q;]\n");
    EXPECT_CMD_ALL("\"\\x41\\x7a\\xFf\"\n", "1[3:Az\xff;]\n");
    EXPECT_CMD_ALL("\"\\xZZ\" \"\\x4\" \"\\x\"\n", "3[3:xZZ;2:x4;1:x;]\n");
    EXPECT_CMD_ALL("\"'\"\n", "1[1:';]\n");
    /* Single quotes: only \' is an escape. */
    EXPECT_CMD_ALL("'it\\'s' '\\n' '\"'\n", "3[4:it's;2:\\n;1:\";]\n");
    /* Outside quotes a backslash is an ordinary byte. */
    EXPECT_CMD_ALL("a\\nb\n", "1[4:a\\nb;]\n");
    /* Unescaping is done in place: args point into the caller's buffer. */
    resp_req_t *r = *state;
    char *b;
    size_t used;
    assert_int_equal(parse_one(r, &b, S("x \"a\\x41b\" \"c\\nd\"\r\n"), &LIM, &used), RESP_OK);
    assert_int_equal(r->argc, 3);
    assert_true(r->argv[1].off + r->argv[1].len <= used);
    assert_memory_equal(b + r->argv[1].off, "aAb", 3);
    assert_memory_equal(b + r->argv[2].off, "c\nd", 3);
    free(b);
    /* The full \x00 check, since the log literal stops at NUL. */
    assert_int_equal(parse_one(r, &b, S("\"\\x00z\"\n"), &LIM, &used), RESP_OK);
    assert_int_equal(r->argv[0].len, 2);
    assert_memory_equal(b + r->argv[0].off, "\0z", 2);
    free(b);
}

static void test_inline_unbalanced(void **state) {
    const char *err = "Protocol error: unbalanced quotes in request";
    EXPECT_REQ_ERR("set \"abc\r\n", &LIM, err);
    EXPECT_REQ_ERR("set 'abc\r\n", &LIM, err);
    EXPECT_REQ_ERR("\"a\"b\r\n", &LIM, err);
    EXPECT_REQ_ERR("'a'b\n", &LIM, err);
    EXPECT_REQ_ERR("\"abc\\\"\n", &LIM, err); /* the escaped quote does not close */
    EXPECT_REQ_ERR("\"abc\\\n", &LIM, err);   /* backslash at the end */
    EXPECT_REQ_ERR("'abc\\'\n", &LIM, err);
    EXPECT_REQ_ERR("a b c \"\n", &LIM, err);
    /* The error needs the whole line. */
    assert_int_equal(EXPECT_REQ_ERR("\"x\n", &LIM, err), 3);
    /* A closing quote followed by a blank or the end is fine. */
    EXPECT_CMD_ALL("\"a\"\n", "1[1:a;]\n");
    EXPECT_CMD_ALL("\"a\"\r\n", "1[1:a;]\n");
    EXPECT_CMD_ALL("\"a\"\vb\n", "2[1:a;1:b;]\n");
    resp_req_t *r = *state;
    assert_int_equal(r->argc, 0);
}

static void test_inline_too_big(void **state) {
    const char *err = "Protocol error: too big inline request";
    size_t max = 64 * 1024;
    char *in = malloc(max + 2);
    memset(in, 'a', max + 2);
    resp_req_t *r = *state;
    size_t used;
    for (size_t k = 1; k < 1000; k++) { /* the '\n' search resumes too */
        assert_int_equal(resp_req_parse(r, in, k, &LIM, &used), RESP_AGAIN);
        assert_true(r->bulk_len == -1 - (long long)k);
    }
    /* No newline: 65536 bytes wait, 65537 are refused. */
    assert_int_equal(resp_req_parse(r, in, max, &LIM, &used), RESP_AGAIN);
    assert_int_equal(resp_req_parse(r, in, max + 1, &LIM, &used), RESP_EPROTO);
    assert_string_equal(r->err, err);
    assert_int_equal(expect_req_err(in, max + 1, &LIM, err), max + 1);
    /* A line of exactly 65536 bytes before '\n' is accepted... */
    in[max] = '\n';
    assert_int_equal(resp_req_parse(r, in, max + 1, &LIM, &used), RESP_OK);
    assert_int_equal(used, max + 1);
    assert_int_equal(r->argc, 1);
    assert_int_equal(r->argv[0].len, max);
    /* ...65537 are refused even when the newline came in the same read. */
    memset(in, 'a', max + 1);
    in[max + 1] = '\n';
    assert_int_equal(expect_req_err(in, max + 2, &LIM, err), max + 1);
    free(in);
    /* The limit comes from lim. */
    resp_limits_t small = LIM;
    small.max_inline_len = 8;
    EXPECT_REQ_ERR("123456789\n", &small, err);
    expect_cmd(S("12345678\n"), &small, 9, "1[8:12345678;]\n");
}

static void test_inline_many_args(void **state) {
    buf_t in = BUF_INIT, want = BUF_INIT;
    buf_puts(&want, "300[");
    for (int i = 0; i < 300; i++) {
        buf_printf(&in, "%sa%d", i ? " " : "", i);
        char tmp[16];
        int n = snprintf(tmp, sizeof(tmp), "a%d", i);
        buf_printf(&want, "%d:%s;", n, tmp);
    }
    buf_puts(&in, "\r\n");
    buf_puts(&want, "]\n");
    expect_cmd(in.p, in.len, &LIM, in.len, want.p);
    buf_free(&in);
    buf_free(&want);
    resp_req_t *r = *state;
    assert_int_equal(r->argc, 0);
}

/* ---- incremental -------------------------------------------------------- */

static const char PIPELINE[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
                               "PING\r\n"
                               "\r\n"
                               "*0\r\n"
                               "set \"a b\" 'c\\'d' \"\\x41\\n\"\n"
                               "*-1\r\n"
                               "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"
                               "  \n"
                               "*1\r\n$12\r\nhello\r\nworld\r\n"
                               "GET k\r\n";

static const char PIPELINE_LOG[] = "3[3:SET;1:k;5:hello;]\n"
                                   "1[4:PING;]\n"
                                   "0[]\n"
                                   "0[]\n"
                                   "4[3:set;3:a b;3:c'd;2:A\n;]\n"
                                   "0[]\n"
                                   "2[4:ECHO;0:;]\n"
                                   "0[]\n"
                                   "1[12:hello\r\nworld;]\n"
                                   "2[3:GET;1:k;]\n";

static void test_pipeline_whole(void **state) {
    buf_t log = BUF_INIT;
    parse_stream(S(PIPELINE), &LIM, &log);
    assert_log(&log, PIPELINE_LOG);
    buf_free(&log);
    resp_req_t *r = *state;
    assert_int_equal(r->argc, 0);
}

static void test_pipeline_byte_at_a_time(void **state) {
    buf_t log = BUF_INIT;
    feed_stream(S(PIPELINE), &LIM, 1, false, &log);
    assert_log(&log, PIPELINE_LOG);
    buf_free(&log);
    /* Every chunk size, and random chunking. */
    for (size_t k = 2; k <= sizeof(PIPELINE); k++) {
        buf_t l = BUF_INIT;
        feed_stream(S(PIPELINE), &LIM, k, false, &l);
        assert_log(&l, PIPELINE_LOG);
        buf_free(&l);
    }
    for (int round = 0; round < 200; round++) {
        buf_t l = BUF_INIT;
        feed_stream(S(PIPELINE), &LIM, 9, true, &l);
        assert_log(&l, PIPELINE_LOG);
        buf_free(&l);
    }
    resp_req_t *r = *state;
    assert_int_equal(r->argc, 0);
}

static void test_pipeline_every_split(void **state) {
    /* Two reads split at every position, on the same (growing) buffer. */
    size_t n = sizeof(PIPELINE) - 1;
    for (size_t split = 0; split <= n; split++) {
        resp_req_t r;
        resp_req_init(&r);
        char *b = dup_exact(S(PIPELINE));
        buf_t log = BUF_INIT;
        size_t off = 0, avail = split;
        for (;;) {
            size_t used;
            int rc =
                off < avail ? resp_req_parse(&r, b + off, avail - off, &LIM, &used) : RESP_AGAIN;
            if (rc == RESP_OK) {
                log_cmd(&log, &r, b + off);
                off += used;
                continue;
            }
            assert_int_equal(rc, RESP_AGAIN);
            if (avail == n) break;
            avail = n;
        }
        assert_int_equal(off, n);
        assert_log(&log, PIPELINE_LOG);
        buf_free(&log);
        free(b);
        resp_req_free(&r);
    }
    resp_req_t *r = *state;
    assert_int_equal(r->argc, 0);
}

static void test_errors_in_pipeline(void **state) {
    buf_t log = BUF_INIT;
    feed_stream(S("PING\r\n*1\r\n$1\r\na\r\n*1\r\n$-3\r\nPING\r\n"), &LIM, 1, false, &log);
    assert_log(&log, "1[4:PING;]\n1[1:a;]\nERR Protocol error: invalid bulk length\n");
    buf_free(&log);
    buf_t log2 = BUF_INIT;
    parse_stream(S("GET a\r\nGET \"b\r\nPING\r\n"), &LIM, &log2);
    assert_log(&log2, "2[3:GET;1:a;]\nERR Protocol error: unbalanced quotes in request\n");
    buf_free(&log2);
    resp_req_t *r = *state;
    assert_int_equal(r->argc, 0);
}

/* A command with a large argument split across many reads, the buffer moved
 * between calls; resp_req_want tells the size of the whole bulk. */
static void test_split_big_arg_moving_buffer(void **state) {
    resp_req_t *r = *state;
    const size_t big = 300000;
    buf_t in = BUF_INIT;
    buf_puts(&in, "*4\r\n$3\r\nSET\r\n$3\r\nkey\r\n");
    buf_printf(&in, "$%zu\r\n", big);
    size_t big_off = in.len;
    for (size_t i = 0; i < big; i++) buf_putc(&in, (char)('a' + i % 26));
    buf_puts(&in, "\r\n$2\r\nPX\r\n");

    char *q = NULL;
    size_t qlen = 0;
    int rc = RESP_AGAIN;
    size_t used = 0, calls = 0;
    bool saw_want = false;
    while (rc == RESP_AGAIN) {
        size_t k = 1 + (size_t)(rng() % 7000);
        if (k > in.len - qlen) k = in.len - qlen;
        assert_true(k > 0);
        char *nq = malloc(qlen + k);
        if (qlen) memcpy(nq, q, qlen);
        memcpy(nq + qlen, in.p + qlen, k);
        free(q);
        q = nq;
        qlen += k;
        rc = resp_req_parse(r, q, qlen, &LIM, &used);
        calls++;
        if (rc == RESP_AGAIN && qlen >= big_off && qlen < big_off + big + 2) {
            assert_int_equal(resp_req_want(r), big_off + big + 2);
            saw_want = true;
        }
        if (rc == RESP_AGAIN && qlen < big_off) assert_true(resp_req_want(r) < big_off);
    }
    assert_int_equal(rc, RESP_OK);
    assert_true(saw_want);
    assert_true(calls > 20);
    assert_int_equal(used, in.len);
    assert_int_equal(r->argc, 4);
    assert_int_equal(r->argv[2].off, big_off);
    assert_int_equal(r->argv[2].len, big);
    assert_memory_equal(q + r->argv[2].off, in.p + big_off, big);
    assert_memory_equal(q + r->argv[3].off, "PX", 2);
    free(q);
    buf_free(&in);
}

static void test_want(void **state) {
    resp_req_t *r = *state;
    const char in[] = "*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n";
    char *b = dup_exact(S(in));
    size_t used;
    size_t want_at[sizeof(in)];
    for (size_t k = 0; k < sizeof(in) - 1; k++) {
        assert_int_equal(resp_req_parse(r, b, k, &LIM, &used), RESP_AGAIN);
        want_at[k] = resp_req_want(r);
    }
    assert_int_equal(want_at[0], 0);
    assert_int_equal(want_at[3], 0);         /* in the count line */
    assert_int_equal(want_at[8], 8 + 3 + 2); /* GET's data starts at 8 */
    assert_int_equal(want_at[12], 13);
    assert_int_equal(want_at[15], 0);           /* in "$10" */
    assert_int_equal(want_at[18], 18 + 10 + 2); /* "0123456789" starts at 18 */
    assert_int_equal(want_at[29], 30);
    assert_int_equal(resp_req_parse(r, b, sizeof(in) - 1, &LIM, &used), RESP_OK);
    assert_int_equal(resp_req_want(r), 0);
    free(b);
}

/* 1,000,000 arguments arriving 16 KiB at a time: each call resumes inside the
 * last incomplete argument, so the whole parse is linear. */
static void test_million_args_linear(void **state) {
    resp_req_t *r = *state;
    const size_t nargs = 1000000;
    buf_t in = BUF_INIT;
    buf_printf(&in, "*%zu\r\n$4\r\nMSET\r\n", nargs + 1);
    for (size_t i = 0; i < nargs; i++) buf_printf(&in, "$8\r\nk%07zu\r\n", i);
    size_t frame = 14; /* "$8\r\nk0000000\r\n" */
    size_t len = 0, calls = 0, used = 0;
    int rc = RESP_AGAIN;
    while (rc == RESP_AGAIN) {
        len = len + 16384 > in.len ? in.len : len + 16384;
        rc = resp_req_parse(r, in.p, len, &LIM, &used);
        calls++;
        if (rc == RESP_AGAIN) assert_true(len - r->pos < frame); /* nothing left to rescan */
    }
    assert_int_equal(rc, RESP_OK);
    assert_int_equal(used, in.len);
    assert_int_equal(calls, (in.len + 16383) / 16384);
    assert_int_equal(r->argc, nargs + 1);
    assert_true(r->argcap >= nargs + 1 && r->argcap <= 2 * (nargs + 1));
    char tmp[16];
    for (size_t i = 0; i < nargs; i += 9973) {
        snprintf(tmp, sizeof(tmp), "k%07zu", i);
        assert_int_equal(r->argv[i + 1].len, 8);
        assert_memory_equal(in.p + r->argv[i + 1].off, tmp, 8);
    }
    snprintf(tmp, sizeof(tmp), "k%07zu", nargs - 1);
    assert_memory_equal(in.p + r->argv[nargs].off, tmp, 8);
    /* The next command releases the huge argv. */
    char *b;
    assert_int_equal(parse_one(r, &b, S("PING\r\n"), &LIM, &used), RESP_OK);
    assert_true(r->argcap <= 1024);
    free(b);
    buf_free(&in);
}

/* ---- memory: declared lengths allocate nothing -------------------------- */

static void test_huge_bulk_len_no_alloc(void **state) {
    resp_req_t *r = *state;
    char *b;
    size_t used;
    size_t before = alloc_used_memory();
    assert_int_equal(parse_one(r, &b, S("*1\r\n$2147483648\r\n"), &LIM, &used), RESP_EPROTO);
    assert_string_equal(r->err, "Protocol error: invalid bulk length");
    free(b);
    assert_int_equal(alloc_used_memory(), before);
    /* Within the limit: it waits for the data without reserving it. */
    assert_int_equal(parse_one(r, &b, S("*1\r\n$536870912\r\nabc"), &LIM, &used), RESP_AGAIN);
    assert_int_equal(resp_req_want(r), 16 + 536870912 + 2);
    assert_int_equal(alloc_used_memory(), before);
    free(b);
}

static void test_huge_arg_count_no_alloc(void **state) {
    resp_req_t *r = *state;
    resp_limits_t nolimit = LIM;
    nolimit.max_multibulk_len = 9223372036854775807LL;
    char *b;
    size_t used;
    size_t before = alloc_used_memory();
    assert_int_equal(parse_one(r, &b, S("*1000000000\r\n"), &nolimit, &used), RESP_AGAIN);
    assert_int_equal(alloc_used_memory(), before);
    free(b);
    resp_req_reset(r);
    assert_int_equal(
        parse_one(r, &b, S("*9223372036854775807\r\n$1\r\na\r\n$1\r\nb\r\n"), &nolimit, &used),
        RESP_AGAIN);
    assert_int_equal(r->argc, 2);
    assert_true(alloc_used_memory() - before < 1024);
    free(b);
    resp_req_reset(r);
    /* INT_MAX announced, 100 sent: argv stays proportional to what arrived. */
    buf_t in = BUF_INIT;
    buf_puts(&in, "*2147483647\r\n");
    for (int i = 0; i < 100; i++) buf_puts(&in, "$1\r\nx\r\n");
    before = alloc_used_memory();
    assert_int_equal(resp_req_parse(r, in.p, in.len, &LIM, &used), RESP_AGAIN);
    assert_int_equal(r->argc, 100);
    assert_true(r->argcap <= 128);
    assert_true(alloc_used_memory() - before <= 128 * sizeof(resp_arg_t) + 64);
    buf_free(&in);
}

static void test_argv_growth_capped_by_count(void **state) {
    resp_req_t *r = *state;
    buf_t in = BUF_INIT;
    buf_puts(&in, "*9\r\n");
    for (int i = 0; i < 9; i++) buf_puts(&in, "$1\r\nx\r\n");
    size_t used;
    assert_int_equal(resp_req_parse(r, in.p, in.len, &LIM, &used), RESP_OK);
    assert_int_equal(r->argc, 9);
    assert_int_equal(r->argcap, 9); /* 8, then capped at the 9 announced */
    /* Reused without allocating for the next commands. */
    size_t before = alloc_used_memory();
    for (int i = 0; i < 100; i++) {
        assert_int_equal(resp_req_parse(r, in.p, in.len, &LIM, &used), RESP_OK);
        assert_int_equal(r->argc, 9);
    }
    assert_int_equal(alloc_used_memory(), before);
    buf_free(&in);
}

/* ---- reply parser ------------------------------------------------------- */

static resp_value_t *rv_ok(const char *s, size_t n) {
    char *b = dup_exact(s, n);
    resp_value_t *v = NULL;
    size_t used = 0;
    const char *err = NULL;
    assert_int_equal(resp_value_parse(b, n, &used, &v, &err), RESP_OK);
    assert_int_equal(used, n);
    assert_non_null(v);
    free(b);
    return v;
}

#define RV_OK(lit) rv_ok(S(lit))

/* Every strict prefix is RESP_AGAIN and allocates nothing. */
static void rv_check_prefixes(const char *s, size_t n) {
    size_t before = alloc_used_memory();
    for (size_t k = 0; k < n; k++) {
        char *b = dup_exact(s, k);
        resp_value_t *v = NULL;
        size_t used = 777;
        const char *err = NULL;
        int rc = resp_value_parse(b, k, &used, &v, &err);
        if (rc != RESP_AGAIN) fail_msg("prefix %zu of %zu: rc %d (%s)", k, n, rc, err);
        assert_null(v);
        free(b);
    }
    assert_int_equal(alloc_used_memory(), before);
}

static void rv_expect_err(const char *s, size_t n, const char *want) {
    size_t before = alloc_used_memory();
    char *b = dup_exact(s, n);
    resp_value_t *v = NULL;
    const char *err = NULL;
    size_t used = 777;
    assert_int_equal(resp_value_parse(b, n, &used, &v, &err), RESP_EPROTO);
    assert_null(v);
    assert_non_null(err);
    assert_string_equal(err, want);
    assert_int_equal(alloc_used_memory(), before);
    free(b);
}

#define RV_ERR(lit, want) rv_expect_err(S(lit), (want))

static void assert_str(const resp_value_t *v, resp_type_t t, const char *s) {
    assert_int_equal(v->type, t);
    assert_non_null(v->str);
    assert_int_equal(v->len, strlen(s));
    assert_string_equal(v->str, s);
}

static void test_rv_simple_types(void **state) {
    resp_value_t *v = RV_OK("+OK\r\n");
    assert_str(v, RV_SIMPLE, "OK");
    resp_value_free(v);
    v = RV_OK("+\r\n");
    assert_str(v, RV_SIMPLE, "");
    resp_value_free(v);
    v = RV_OK("-ERR unknown command 'x'\r\n");
    assert_str(v, RV_ERROR, "ERR unknown command 'x'");
    resp_value_free(v);
    v = RV_OK(":1234\r\n");
    assert_int_equal(v->type, RV_INT);
    assert_int_equal(v->integer, 1234);
    resp_value_free(v);
    v = RV_OK(":-9223372036854775808\r\n");
    assert_true(v->integer == (-9223372036854775807LL - 1));
    resp_value_free(v);
    v = RV_OK("_\r\n");
    assert_int_equal(v->type, RV_NULL);
    resp_value_free(v);
    v = RV_OK("#t\r\n");
    assert_int_equal(v->type, RV_BOOL);
    assert_int_equal(v->integer, 1);
    resp_value_free(v);
    v = RV_OK("#f\r\n");
    assert_int_equal(v->type, RV_BOOL);
    assert_int_equal(v->integer, 0);
    resp_value_free(v);
    v = RV_OK("(3492890328409238509324850943850943825024385\r\n");
    assert_str(v, RV_BIGNUM, "3492890328409238509324850943850943825024385");
    resp_value_free(v);
    v = RV_OK("(-12\r\n");
    assert_str(v, RV_BIGNUM, "-12");
    resp_value_free(v);
}

static void test_rv_doubles(void **state) {
    resp_value_t *v = RV_OK(",3.14\r\n");
    assert_int_equal(v->type, RV_DOUBLE);
    assert_true(v->dbl == 3.14);
    assert_string_equal(v->str, "3.14");
    resp_value_free(v);
    v = RV_OK(",-1.5e10\r\n");
    assert_true(v->dbl == -1.5e10);
    resp_value_free(v);
    v = RV_OK(",10\r\n");
    assert_true(v->dbl == 10.0);
    resp_value_free(v);
    v = RV_OK(",inf\r\n");
    assert_true(v->dbl > 1e308 && v->dbl * 0 != 0);
    resp_value_free(v);
    v = RV_OK(",-inf\r\n");
    assert_true(v->dbl < -1e308);
    resp_value_free(v);
    v = RV_OK(",nan\r\n");
    assert_true(v->dbl != v->dbl);
    resp_value_free(v);
}

static void test_rv_blobs(void **state) {
    resp_value_t *v = RV_OK("$5\r\nhello\r\n");
    assert_str(v, RV_BULK, "hello");
    resp_value_free(v);
    v = RV_OK("$0\r\n\r\n");
    assert_str(v, RV_BULK, "");
    resp_value_free(v);
    v = RV_OK("$4\r\na\r\nb\r\n"); /* binary-safe, NUL-terminated copy */
    assert_int_equal(v->len, 4);
    assert_memory_equal(v->str, "a\r\nb", 5);
    resp_value_free(v);
    v = RV_OK("$3\r\n\0\0\0\r\n");
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->str, "\0\0\0", 4);
    resp_value_free(v);
    v = RV_OK("$-1\r\n");
    assert_int_equal(v->type, RV_NULL);
    assert_null(v->str);
    resp_value_free(v);
    v = RV_OK("*-1\r\n");
    assert_int_equal(v->type, RV_NULL);
    resp_value_free(v);
    v = RV_OK("!21\r\nSYNTAX invalid syntax\r\n");
    assert_str(v, RV_BLOBERR, "SYNTAX invalid syntax");
    resp_value_free(v);
    v = RV_OK("=15\r\ntxt:Some string\r\n");
    assert_str(v, RV_VERBATIM, "Some string");
    assert_string_equal(v->fmt, "txt");
    resp_value_free(v);
    v = RV_OK("=4\r\nmkd:\r\n");
    assert_str(v, RV_VERBATIM, "");
    assert_string_equal(v->fmt, "mkd");
    resp_value_free(v);
}

static void test_rv_aggregates(void **state) {
    resp_value_t *v = RV_OK("*3\r\n:1\r\n$3\r\nfoo\r\n_\r\n");
    assert_int_equal(v->type, RV_ARRAY);
    assert_int_equal(v->n, 3);
    assert_int_equal(v->elems[0].integer, 1);
    assert_str(&v->elems[1], RV_BULK, "foo");
    assert_int_equal(v->elems[2].type, RV_NULL);
    resp_value_free(v);

    v = RV_OK("*0\r\n");
    assert_int_equal(v->type, RV_ARRAY);
    assert_int_equal(v->n, 0);
    resp_value_free(v);

    v = RV_OK("%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#t\r\n");
    assert_int_equal(v->type, RV_MAP);
    assert_int_equal(v->n, 4);
    assert_str(&v->elems[0], RV_SIMPLE, "first");
    assert_int_equal(v->elems[1].integer, 1);
    assert_str(&v->elems[2], RV_BULK, "second");
    assert_int_equal(v->elems[3].type, RV_BOOL);
    resp_value_free(v);

    v = RV_OK("%0\r\n");
    assert_int_equal(v->type, RV_MAP);
    assert_int_equal(v->n, 0);
    resp_value_free(v);

    v = RV_OK("~3\r\n+a\r\n+b\r\n,1.5\r\n");
    assert_int_equal(v->type, RV_SET);
    assert_int_equal(v->n, 3);
    assert_true(v->elems[2].dbl == 1.5);
    resp_value_free(v);

    v = RV_OK(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    assert_int_equal(v->type, RV_PUSH);
    assert_int_equal(v->n, 3);
    assert_str(&v->elems[0], RV_BULK, "message");
    assert_str(&v->elems[2], RV_BULK, "hi");
    resp_value_free(v);
}

static void test_rv_attributes_skipped(void **state) {
    resp_value_t *v = RV_OK("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.19\r\n$1\r\nb\r\n,0.5\r\n"
                            "*2\r\n:2039123\r\n:9543892\r\n");
    assert_int_equal(v->type, RV_ARRAY);
    assert_int_equal(v->n, 2);
    assert_int_equal(v->elems[0].integer, 2039123);
    resp_value_free(v);
    /* Inside an aggregate, and two in a row. */
    v = RV_OK("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n|0\r\n+two\r\n");
    assert_int_equal(v->n, 2);
    assert_str(&v->elems[1], RV_SIMPLE, "two");
    resp_value_free(v);
    rv_check_prefixes(S("|1\r\n+a\r\n:1\r\n:5\r\n"));
}

static void test_rv_nested(void **state) {
    const char in[] = "*3\r\n*2\r\n:1\r\n*1\r\n$1\r\nx\r\n%1\r\n+k\r\n~1\r\n>1\r\n#f\r\n$-1\r\n";
    resp_value_t *v = rv_ok(S(in));
    assert_int_equal(v->type, RV_ARRAY);
    assert_int_equal(v->n, 3);
    const resp_value_t *a = &v->elems[0];
    assert_int_equal(a->type, RV_ARRAY);
    assert_int_equal(a->n, 2);
    assert_int_equal(a->elems[1].type, RV_ARRAY);
    assert_str(&a->elems[1].elems[0], RV_BULK, "x");
    const resp_value_t *m = &v->elems[1];
    assert_int_equal(m->type, RV_MAP);
    assert_int_equal(m->n, 2);
    assert_int_equal(m->elems[1].type, RV_SET);
    assert_int_equal(m->elems[1].elems[0].type, RV_PUSH);
    assert_int_equal(m->elems[1].elems[0].elems[0].type, RV_BOOL);
    assert_int_equal(v->elems[2].type, RV_NULL);
    resp_value_free(v);
}

/* One value of every type, nested, checked at every prefix length. */
static const char EVERY_TYPE[] =
    "*16\r\n+OK\r\n-ERR x\r\n:42\r\n$3\r\nbar\r\n$-1\r\n*-1\r\n_\r\n,2.5\r\n#t\r\n"
    "!3\r\nERR\r\n=7\r\ntxt:abc\r\n(123\r\n%1\r\n+k\r\n:1\r\n~1\r\n:2\r\n>1\r\n:3\r\n"
    "|1\r\n+a\r\n+b\r\n*0\r\n";

static void test_rv_every_prefix_again(void **state) {
    rv_check_prefixes(S(EVERY_TYPE));
    resp_value_t *v = RV_OK(EVERY_TYPE);
    assert_int_equal(v->n, 16);
    assert_int_equal(v->elems[5].type, RV_NULL);
    assert_int_equal(v->elems[10].type, RV_VERBATIM);
    assert_int_equal(v->elems[15].type, RV_ARRAY);
    resp_value_free(v);
    rv_check_prefixes(S("$10\r\n0123456789\r\n"));
    rv_check_prefixes(S("=15\r\ntxt:Some string\r\n"));
}

static void test_rv_pipelined_and_trailing(void **state) {
    const char in[] = "+OK\r\n:5\r\n*1\r\n$1\r\n";
    resp_value_t *v = NULL;
    size_t used = 0;
    const char *err = NULL;
    assert_int_equal(resp_value_parse(in, sizeof(in) - 1, &used, &v, &err), RESP_OK);
    assert_int_equal(used, 5);
    assert_str(v, RV_SIMPLE, "OK");
    resp_value_free(v);
    assert_int_equal(resp_value_parse(in + 5, sizeof(in) - 6, &used, &v, &err), RESP_OK);
    assert_int_equal(used, 4);
    assert_int_equal(v->integer, 5);
    resp_value_free(v);
    v = NULL;
    assert_int_equal(resp_value_parse(in + 9, sizeof(in) - 10, &used, &v, &err), RESP_AGAIN);
    assert_null(v);
}

static void test_rv_garbage(void **state) {
    const char *type = "Protocol error: invalid reply type byte";
    RV_ERR("?\r\n", type);
    RV_ERR("hello\r\n", type);
    RV_ERR("\r\n", type);
    RV_ERR("*2\r\n:1\r\nx\r\n", type);
    RV_ERR(":abc\r\n", "Protocol error: invalid integer");
    RV_ERR(":\r\n", "Protocol error: invalid integer");
    RV_ERR(":1.5\r\n", "Protocol error: invalid integer");
    RV_ERR(":99999999999999999999\r\n", "Protocol error: invalid integer");
    RV_ERR("$abc\r\n", "Protocol error: invalid bulk length");
    RV_ERR("$-2\r\n", "Protocol error: invalid bulk length");
    RV_ERR("!-1\r\n", "Protocol error: invalid bulk length");
    RV_ERR("=-1\r\n", "Protocol error: invalid bulk length");
    RV_ERR("$?\r\n", "Protocol error: invalid bulk length");
    RV_ERR("$3\r\nabcXY", "Protocol error: bulk not followed by CRLF");
    RV_ERR("=3\r\nabc\r\n", "Protocol error: invalid verbatim string");
    RV_ERR("=5\r\nabcde\r\n", "Protocol error: invalid verbatim string");
    RV_ERR("*-2\r\n", "Protocol error: invalid aggregate length");
    RV_ERR("%-1\r\n", "Protocol error: invalid aggregate length");
    RV_ERR("~x\r\n", "Protocol error: invalid aggregate length");
    RV_ERR("#x\r\n", "Protocol error: invalid boolean");
    RV_ERR("#tt\r\n", "Protocol error: invalid boolean");
    RV_ERR("#\r\n", "Protocol error: invalid boolean");
    RV_ERR("_x\r\n", "Protocol error: invalid null");
    RV_ERR(",abc\r\n", "Protocol error: invalid double");
    RV_ERR(",\r\n", "Protocol error: invalid double");
    RV_ERR(",1.5x\r\n", "Protocol error: invalid double");
    RV_ERR("(12a\r\n", "Protocol error: invalid big number");
    RV_ERR("(\r\n", "Protocol error: invalid big number");
    RV_ERR("(-\r\n", "Protocol error: invalid big number");
    RV_ERR("+OK\rX\r\n", "Protocol error: CR not followed by LF");
    /* Garbage after complete elements frees what a build would have made. */
    RV_ERR("*3\r\n$3\r\nabc\r\n%1\r\n+k\r\n+v\r\n:x\r\n", "Protocol error: invalid integer");
    resp_value_t *v = NULL;
    assert_int_equal(resp_value_parse(S("+fine\r\n"), NULL, &v, NULL), RESP_OK);
    assert_str(v, RV_SIMPLE, "fine");
    resp_value_free(v);
}

static void test_rv_depth_limit(void **state) {
    buf_t in = BUF_INIT;
    for (int i = 0; i < 64; i++) buf_puts(&in, "*1\r\n");
    buf_puts(&in, ":7\r\n");
    resp_value_t *v = rv_ok(in.p, in.len);
    const resp_value_t *p = v;
    for (int i = 0; i < 64; i++) {
        assert_int_equal(p->type, RV_ARRAY);
        assert_int_equal(p->n, 1);
        p = &p->elems[0];
    }
    assert_int_equal(p->integer, 7);
    resp_value_free(v);
    buf_clear(&in);
    for (int i = 0; i < 65; i++) buf_puts(&in, i % 2 ? "%1\r\n+k\r\n" : "*1\r\n");
    buf_puts(&in, ":7\r\n");
    rv_expect_err(in.p, in.len, "Protocol error: nesting too deep");
    /* Attributes count too, and a deep nest of garbage is refused early. */
    buf_clear(&in);
    for (int i = 0; i < 64; i++) buf_puts(&in, "*1\r\n");
    buf_puts(&in, "|1\r\n+a\r\n+b\r\n:1\r\n");
    rv_expect_err(in.p, in.len, "Protocol error: nesting too deep");
    buf_clear(&in);
    for (int i = 0; i < 100000; i++) buf_puts(&in, "*1\r\n");
    rv_expect_err(in.p, in.len, "Protocol error: nesting too deep");
    buf_free(&in);
}

static void test_rv_huge_counts_no_alloc(void **state) {
    size_t before = alloc_used_memory();
    const char *cases[] = {"*1000000000\r\n:1\r\n",       "%1000000000000\r\n+a\r\n",
                           "$9223372036854775807\r\nabc", "~2147483647\r\n",
                           ">100000000000\r\n_\r\n",      "!1000000000\r\nx"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        resp_value_t *v = NULL;
        size_t used;
        const char *err = NULL;
        assert_int_equal(resp_value_parse(cases[i], strlen(cases[i]), &used, &v, &err), RESP_AGAIN);
        assert_null(v);
    }
    assert_int_equal(alloc_used_memory(), before);
    /* Counts that could never be allocated are refused outright. */
    RV_ERR("%9223372036854775807\r\n", "Protocol error: invalid aggregate length");
    RV_ERR("*9223372036854775807\r\n", "Protocol error: invalid aggregate length");
}

static void test_rv_get(void **state) {
    resp_value_t *m = RV_OK("%3\r\n+role\r\n$6\r\nmaster\r\n:5\r\n:6\r\n$6\r\noffset\r\n:100\r\n");
    const resp_value_t *x = resp_value_get(m, "role");
    assert_non_null(x);
    assert_str(x, RV_BULK, "master");
    x = resp_value_get(m, "offset");
    assert_non_null(x);
    assert_int_equal(x->integer, 100);
    assert_null(resp_value_get(m, "5"));   /* integer keys are not string-like */
    assert_null(resp_value_get(m, "rol")); /* exact length */
    assert_null(resp_value_get(m, "missing"));
    resp_value_free(m);

    /* A flat RESP2 array of alternating keys and values (HELLO, CONFIG GET). */
    resp_value_t *a =
        RV_OK("*5\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n$4\r\nlone\r\n");
    x = resp_value_get(a, "proto");
    assert_non_null(x);
    assert_int_equal(x->integer, 3);
    assert_str(resp_value_get(a, "server"), RV_BULK, "redis");
    assert_null(resp_value_get(a, "redis")); /* values are not keys */
    assert_null(resp_value_get(a, "lone"));  /* odd trailing element has no value */
    resp_value_free(a);

    resp_value_t *s = RV_OK("+role\r\n");
    assert_null(resp_value_get(s, "role"));
    resp_value_free(s);
    resp_value_t *set = RV_OK("~2\r\n+a\r\n+b\r\n");
    assert_null(resp_value_get(set, "a"));
    resp_value_free(set);
    assert_null(resp_value_get(NULL, "x"));
    /* Only simple, bulk and verbatim strings are keys. */
    resp_value_t *nk = RV_OK("%3\r\n-name\r\n:1\r\n(12\r\n:2\r\n,1.5\r\n:3\r\n");
    assert_null(resp_value_get(nk, "name"));
    assert_null(resp_value_get(nk, "12"));
    assert_null(resp_value_get(nk, "1.5"));
    resp_value_free(nk);
    resp_value_t *vk = RV_OK("%1\r\n=8\r\ntxt:name\r\n:1\r\n");
    assert_non_null(resp_value_get(vk, "name"));
    resp_value_free(vk);
}

/* ---- encoder ------------------------------------------------------------ */

static void test_encode_cmdv(void **state) {
    buf_t out = BUF_INIT;
    const char *argv[] = {"SET", "key", "value"};
    resp_encode_cmdv(&out, 3, argv);
    assert_string_equal(out.p, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
    /* Appends. */
    const char *ping[] = {"PING"};
    resp_encode_cmdv(&out, 1, ping);
    assert_string_equal(out.p,
                        "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n");
    buf_clear(&out);
    resp_encode_cmdv(&out, 0, NULL);
    assert_string_equal(out.p, "*0\r\n");
    buf_free(&out);
}

static void test_encode_roundtrip(void **state) {
    resp_req_t *r = *state;
    buf_t out = BUF_INIT;
    const char *argv[] = {"", "a\r\nb", "\0\0", "x"};
    const size_t lens[] = {0, 4, 2, 1};
    resp_encode_cmd(&out, 4, argv, lens);
    assert_int_equal(out.len, strlen("*4\r\n") + 6 + 10 + 8 + 7);
    assert_int_equal(out.p[out.len], '\0');
    size_t used;
    assert_int_equal(resp_req_parse(r, out.p, out.len, &LIM, &used), RESP_OK);
    assert_int_equal(used, out.len);
    assert_int_equal(r->argc, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r->argv[i].len, lens[i]);
        assert_memory_equal(out.p + r->argv[i].off, argv[i], lens[i]);
    }
    /* Also a valid RESP array for the reply parser. */
    resp_value_t *v = rv_ok(out.p, out.len);
    assert_int_equal(v->n, 4);
    assert_int_equal(v->elems[2].len, 2);
    assert_memory_equal(v->elems[2].str, "\0\0", 2);
    resp_value_free(v);
    buf_free(&out);

    /* Many random commands through cmdv (over 16 args) and cmd, parsed back. */
    for (int round = 0; round < 200; round++) {
        bool big = round % 10 == 0;
        int argc = 1 + (int)(rng() % (big ? 3 : 40));
        char *store[40];
        size_t l[40];
        for (int i = 0; i < argc; i++) {
            l[i] = (size_t)(rng() % (big ? 70000 : 20));
            store[i] = malloc(l[i] + 1);
            for (size_t j = 0; j < l[i]; j++) store[i][j] = (char)(1 + rng() % 255);
            store[i][l[i]] = '\0';
        }
        buf_t o = BUF_INIT;
        if (round % 2)
            resp_encode_cmdv(&o, argc, (const char *const *)store);
        else
            resp_encode_cmd(&o, argc, (const char *const *)store, l);
        buf_t log = BUF_INIT;
        feed_stream(o.p, o.len, &LIM, 4096, true, &log);
        buf_t want = BUF_INIT;
        buf_printf(&want, "%d[", argc);
        for (int i = 0; i < argc; i++) {
            buf_printf(&want, "%zu:", l[i]);
            buf_append(&want, store[i], l[i]);
            buf_putc(&want, ';');
        }
        buf_puts(&want, "]\n");
        assert_int_equal(log.len, want.len);
        assert_memory_equal(log.p, want.p, want.len);
        buf_free(&want);
        buf_free(&log);
        buf_free(&o);
        for (int i = 0; i < argc; i++) free(store[i]);
    }
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_req, teardown_req)
    const struct CMUnitTest tests[] = {
        T(test_mb_basic),
        T(test_mb_binary_and_empty_args),
        T(test_mb_pipelined_consumed),
        T(test_argc_zero),
        T(test_mb_count_errors),
        T(test_mb_count_line_too_big),
        T(test_mb_expected_dollar),
        T(test_mb_bulk_len_errors),
        T(test_mb_bulk_header_too_big),
        T(test_mb_unauthenticated_limits),
        T(test_mb_redis_quirks),
        T(test_lim_null_uses_defaults),
        T(test_reset_and_reuse_after_error),
        T(test_inline_basic),
        T(test_inline_quotes),
        T(test_inline_unbalanced),
        T(test_inline_too_big),
        T(test_inline_many_args),
        T(test_pipeline_whole),
        T(test_pipeline_byte_at_a_time),
        T(test_pipeline_every_split),
        T(test_errors_in_pipeline),
        T(test_split_big_arg_moving_buffer),
        T(test_want),
        T(test_million_args_linear),
        T(test_huge_bulk_len_no_alloc),
        T(test_huge_arg_count_no_alloc),
        T(test_argv_growth_capped_by_count),
        T(test_rv_simple_types),
        T(test_rv_doubles),
        T(test_rv_blobs),
        T(test_rv_aggregates),
        T(test_rv_attributes_skipped),
        T(test_rv_nested),
        T(test_rv_every_prefix_again),
        T(test_rv_pipelined_and_trailing),
        T(test_rv_garbage),
        T(test_rv_depth_limit),
        T(test_rv_huge_counts_no_alloc),
        T(test_rv_get),
        T(test_encode_cmdv),
        T(test_encode_roundtrip),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
