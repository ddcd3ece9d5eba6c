/* RESP codec: the request parser of every client connection, a RESP2/RESP3
 * reply parser for outgoing links, and the multibulk command encoder.
 *
 * Request parser design notes:
 *  1. Behaviour follows Redis 7.0 networking.c (processMultibulkBuffer,
 *     processInlineBuffer, sdssplitargs): same accepted inputs, same error
 *     texts, same order of checks.  Deliberate differences are listed in 6.
 *  2. Only offsets are kept between calls (r->pos, argv[].off), never
 *     pointers, so the caller may realloc its buffer after RESP_AGAIN.
 *  3. Linear time: a call resumes at r->pos and never rescans an argument
 *     already parsed.  While a header line ("*<n>", "$<len>" or an inline
 *     line) is incomplete, r->bulk_len holds -1 - <bytes of the line already
 *     scanned>, so the terminator search also resumes.  E.g. "$12" arrived
 *     at pos 30: bulk_len = -4 and the next call searches from 33.
 *     r->bulk_len >= 0 means "reading bulk data of that length at r->pos".
 *  4. Nothing is allocated from a declared length.  argv grows only when a
 *     complete argument is stored (doubling, capped at the arguments still
 *     announced), so "*1000000000\r\n" costs nothing until data arrives, and
 *     memory stays proportional to the bytes received.  After a command of
 *     more than ARGV_KEEP arguments, argv is released at the start of the
 *     next command, so one huge MSET does not pin megabytes per connection.
 *  5. Header lines longer than lim->max_inline_len (PROTO_INLINE_MAX_SIZE)
 *     are refused by their length, whether or not the terminator has
 *     arrived, so the outcome never depends on how the bytes were split
 *     across reads (Redis looks at whatever the last read brought).
 *  6. Differences from Redis, each for inputs Redis cannot process sanely:
 *     the terminators are found with memchr, not strchr, so a NUL byte in a
 *     header line gives "invalid ... length" instead of stalling the
 *     connection, and an inline line may contain NUL bytes (kept as data).
 *     Like Redis, the byte after a header's '\r' and the two bytes after bulk
 *     data are skipped without being checked to be "\n" / "\r\n".
 *
 * Reply parser design notes:
 *  7. Stateless and two-pass: a validating pass (no allocation) finds the end
 *     of one complete value; only then a second pass builds the tree.  So
 *     RESP_AGAIN and RESP_EPROTO never allocate, and a reply arriving in
 *     pieces is built once.
 *  8. Declared sizes are trusted only after validation: an aggregate's elems
 *     array is allocated in the build pass, when all its elements are known
 *     to be in the buffer (each takes at least 3 bytes).
 *  9. Nesting is limited to RESP_MAX_DEPTH aggregate levels (attributes
 *     included), which also bounds the recursion.
 */
#include "resp.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

enum { KIND_NONE = 0, KIND_MULTIBULK = 1, KIND_INLINE = 2 };

#define ARGV_MIN 8         /* first argv allocation, in slots */
#define ARGV_KEEP 1024     /* argv larger than this is dropped between commands */
#define UNAUTH_MAX_ARGS 10 /* Redis 7: authRequired() limits */
#define UNAUTH_MAX_BULK 16384
#define RESP_MAX_DEPTH 64

static const resp_limits_t default_limits = {
    .max_bulk_len = 512LL * 1024 * 1024,
    .max_multibulk_len = INT_MAX,
    .max_inline_len = 64 * 1024,
    .unauthenticated = false,
};

/* "expected '$', got 'x'" is the one error text built at run time; it lives
 * here until the next error of a parser on the same thread. */
static _Thread_local char expected_err[48];

/* ---- request parser ---------------------------------------------------- */

void resp_req_init(resp_req_t *r) {
    memset(r, 0, sizeof(*r));
    r->bulk_len = -1;
}

void resp_req_free(resp_req_t *r) {
    xfree(r->argv);
    resp_req_init(r);
}

void resp_req_reset(resp_req_t *r) {
    r->kind = KIND_NONE;
    r->mb_left = 0;
    r->bulk_len = -1;
    r->pos = 0;
    r->argc = 0;
}

size_t resp_req_want(const resp_req_t *r) {
    if (r->kind != KIND_MULTIBULK || r->bulk_len < 0) return 0;
    unsigned long long want = (unsigned long long)r->pos + (unsigned long long)r->bulk_len + 2;
    return want > SIZE_MAX ? SIZE_MAX : (size_t)want;
}

#define MORE_UNKNOWN SIZE_MAX

/* Stores argument (off, len).  `more` is how many further arguments are
 * announced (multibulk) and caps the growth; MORE_UNKNOWN for inline. */
static void req_push_arg(resp_req_t *r, size_t off, size_t len, size_t more) {
    if (r->argc == r->argcap) {
        size_t cap = r->argcap ? r->argcap * 2 : ARGV_MIN;
        if (more != MORE_UNKNOWN && cap - r->argc - 1 > more) cap = r->argc + 1 + more;
        r->argv = xrealloc(r->argv, cap * sizeof(*r->argv));
        r->argcap = cap;
    }
    r->argv[r->argc].off = off;
    r->argv[r->argc].len = len;
    r->argc++;
}

/* Finds the terminator `term` of the header line starting at r->pos,
 * resuming the search where the previous call stopped (note 3).
 * RESP_OK: *at is its offset.  RESP_AGAIN: not there yet.  RESP_EPROTO: the
 * line is longer than `max` bytes (note 5). */
static int req_find_line(resp_req_t *r, const char *buf, size_t len, char term, size_t max,
                         size_t *at) {
    size_t from = r->pos + (size_t)(-1 - r->bulk_len);
    const char *p = from < len ? memchr(buf + from, term, len - from) : NULL;
    if (!p) {
        if (len - r->pos > max) return RESP_EPROTO;
        r->bulk_len = -1 - (long long)(len - r->pos);
        return RESP_AGAIN;
    }
    size_t i = (size_t)(p - buf);
    if (i - r->pos > max) return RESP_EPROTO;
    r->bulk_len = -1 - (long long)(i - r->pos); /* found: the next call finds it at once */
    *at = i;
    return RESP_OK;
}

static int req_fail(resp_req_t *r, const char *err) {
    r->err = err;
    return RESP_EPROTO;
}

/* "*<n>\r\n": sets r->mb_left, or finishes an empty command (n <= 0). */
static int req_mb_count(resp_req_t *r, const char *buf, size_t len, const resp_limits_t *lim,
                        bool *done) {
    size_t cr;
    int rc = req_find_line(r, buf, len, '\r', lim->max_inline_len, &cr);
    if (rc == RESP_EPROTO) return req_fail(r, "Protocol error: too big mbulk count string");
    if (rc == RESP_AGAIN || cr + 1 >= len) return RESP_AGAIN; /* the '\n' must be there too */

    long long n;
    if (!str2ll(buf + 1, cr - 1, &n) || n > lim->max_multibulk_len)
        return req_fail(r, "Protocol error: invalid multibulk length");
    if (n > UNAUTH_MAX_ARGS && lim->unauthenticated)
        return req_fail(r, "Protocol error: unauthenticated multibulk length");
    r->pos = cr + 2;
    r->bulk_len = -1;
    if (n <= 0) {
        *done = true;
        return RESP_OK;
    }
    r->mb_left = n;
    return RESP_OK;
}

/* "$<len>\r\n" at r->pos: sets r->bulk_len. */
static int req_bulk_header(resp_req_t *r, const char *buf, size_t len, const resp_limits_t *lim) {
    size_t cr;
    int rc = req_find_line(r, buf, len, '\r', lim->max_inline_len, &cr);
    if (rc == RESP_EPROTO) return req_fail(r, "Protocol error: too big bulk count string");
    if (rc == RESP_AGAIN || cr + 1 >= len) return RESP_AGAIN;

    char c = buf[r->pos];
    if (c != '$') {
        /* Redis's addReplyErrorFormat turns CR and LF into spaces. */
        static const char pre[] = "Protocol error: expected '$', got '";
        if (c == '\r' || c == '\n') c = ' ';
        memcpy(expected_err, pre, sizeof(pre) - 1);
        expected_err[sizeof(pre) - 1] = c;
        expected_err[sizeof(pre)] = '\'';
        expected_err[sizeof(pre) + 1] = '\0';
        return req_fail(r, expected_err);
    }
    long long n;
    if (!str2ll(buf + r->pos + 1, cr - r->pos - 1, &n) || n < 0 || n > lim->max_bulk_len)
        return req_fail(r, "Protocol error: invalid bulk length");
    if (n > UNAUTH_MAX_BULK && lim->unauthenticated)
        return req_fail(r, "Protocol error: unauthenticated bulk length");
    r->pos = cr + 2;
    r->bulk_len = n;
    return RESP_OK;
}

/* Up to 9 decimal digits then "\r\n" at *pp (< end); advances *pp past it.
 * -1 for anything else (the general path then decides what it is). */
static inline long long fast_num(const char **pp, const char *end) {
    const char *p = *pp;
    long long v = 0;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9' && digits < 9) {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0 || end - p < 2 || p[0] != '\r' || p[1] != '\n') return -1;
    if (digits > 1 && (*pp)[0] == '0') return -1; /* leading zero: let str2ll refuse it */
    *pp = p + 2;
    return v;
}

/* Fast path for the common case: a whole, well-formed multibulk command is
 * already in the buffer.  It accepts only what the general path would
 * accept identically, and returns false (with r unchanged but argc reset) on
 * anything else, so errors and partial input always take the general path. */
static bool req_fast_multibulk(resp_req_t *r, const char *buf, size_t len, const resp_limits_t *lim) {
    const char *p = buf + 1, *end = buf + len;
    long long n = fast_num(&p, end);
    if (n <= 0 || (lim->unauthenticated && n > UNAUTH_MAX_ARGS)) return false;
    long long max_bulk = lim->unauthenticated && lim->max_bulk_len > UNAUTH_MAX_BULK ? UNAUTH_MAX_BULK
                                                                                    : lim->max_bulk_len;
    for (long long i = 0; i < n; i++) {
        if (p >= end || *p != '$') goto fallback;
        p++;
        long long bl = fast_num(&p, end);
        if (bl < 0 || bl > max_bulk || (unsigned long long)(end - p) < (unsigned long long)bl + 2) goto fallback;
        req_push_arg(r, (size_t)(p - buf), (size_t)bl, (size_t)(n - i - 1));
        p += bl + 2;
    }
    r->pos = (size_t)(p - buf);
    r->mb_left = 0;
    r->bulk_len = -1;
    return true;
fallback:
    r->argc = 0;
    return false;
}

static int req_parse_multibulk(resp_req_t *r, const char *buf, size_t len,
                               const resp_limits_t *lim) {
    if (r->mb_left == 0 && r->pos == 0 && r->bulk_len == -1 && req_fast_multibulk(r, buf, len, lim))
        return RESP_OK;
    if (r->mb_left == 0) {
        bool empty = false;
        int rc = req_mb_count(r, buf, len, lim, &empty);
        if (rc != RESP_OK || empty) return rc;
    }
    while (r->mb_left > 0) {
        if (r->bulk_len < 0) {
            int rc = req_bulk_header(r, buf, len, lim);
            if (rc != RESP_OK) return rc;
        }
        /* Bulk data plus its CRLF, e.g. "$3\r\n" at 4..7 then "SET\r\n" at
         * 8..12: needs len >= 8 + 3 + 2. */
        unsigned long long need = (unsigned long long)r->bulk_len + 2;
        if ((unsigned long long)(len - r->pos) < need) return RESP_AGAIN;
        r->mb_left--;
        size_t more =
            (unsigned long long)r->mb_left >= SIZE_MAX ? SIZE_MAX - 1 : (size_t)r->mb_left;
        req_push_arg(r, r->pos, (size_t)r->bulk_len, more);
        r->pos += (size_t)need;
        r->bulk_len = -1;
    }
    return RESP_OK;
}

/* isspace() in the C locale, which sdssplitargs uses for blanks. */
static inline bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static inline int hex_val(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char unescape(char c) {
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c;
    }
}

/* One token of sdssplitargs starting at s[*i] (not a blank), unescaped into
 * s[*w...]; the output never overtakes the input, so this works in place.
 * Returns false for unbalanced quotes. */
static bool inline_token(char *s, size_t n, size_t *i_io, size_t *w_io) {
    size_t i = *i_io, w = *w_io;
    enum { PLAIN, DQUOTE, SQUOTE } st = PLAIN;
    for (;;) {
        if (st == PLAIN) {
            if (i == n) break;
            char c = s[i++];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') break;
            if (c == '"')
                st = DQUOTE;
            else if (c == '\'')
                st = SQUOTE;
            else
                s[w++] = c;
            continue;
        }
        if (i == n) return false; /* unterminated quotes */
        char c = s[i];
        char close = st == DQUOTE ? '"' : '\'';
        if (c == close) {
            /* A closing quote must be followed by a blank or the end. */
            if (i + 1 < n && !is_space(s[i + 1])) return false;
            i++;
            break;
        }
        if (st == DQUOTE && c == '\\' && i + 3 < n && s[i + 1] == 'x' && hex_val(s[i + 2]) >= 0 &&
            hex_val(s[i + 3]) >= 0) {
            s[w++] = (char)(hex_val(s[i + 2]) * 16 + hex_val(s[i + 3]));
            i += 4;
        } else if (st == DQUOTE && c == '\\' && i + 1 < n) {
            s[w++] = unescape(s[i + 1]);
            i += 2;
        } else if (st == SQUOTE && c == '\\' && i + 1 < n && s[i + 1] == '\'') {
            s[w++] = '\'';
            i += 2;
        } else {
            s[w++] = c;
            i++;
        }
    }
    *i_io = i;
    *w_io = w;
    return true;
}

/* Splits the line s[0..n) in place; r->argv gets the unescaped tokens. */
static int inline_split(resp_req_t *r, char *s, size_t n) {
    size_t i = 0, w = 0;
    for (;;) {
        while (i < n && is_space(s[i])) i++;
        if (i == n) return RESP_OK;
        size_t start = w;
        if (!inline_token(s, n, &i, &w))
            return req_fail(r, "Protocol error: unbalanced quotes in request");
        req_push_arg(r, start, w - start, MORE_UNKNOWN);
        /* Keep one byte between tokens (the output never overtakes the input
         * past a delimiter), so callers may NUL-terminate each argument. */
        s[w++] = '\0';
    }
}

char **resp_split_args(const char *line, size_t len, int *argc) {
    char *s = xmalloc(len + 1);
    memcpy(s, line, len);
    s[len] = '\0';
    char **v = xmalloc(sizeof(char *));
    int n = 0;
    size_t i = 0, w = 0;
    for (;;) {
        while (i < len && is_space(s[i])) i++;
        if (i == len) break;
        size_t start = w;
        if (!inline_token(s, len, &i, &w)) {
            resp_free_args(v, n);
            xfree(s);
            *argc = 0;
            return NULL;
        }
        v = xrealloc(v, sizeof(char *) * (size_t)(n + 2));
        v[n++] = xstrndup(s + start, w - start);
        s[w++] = '\0';
    }
    v[n] = NULL;
    xfree(s);
    *argc = n;
    return v;
}

void resp_free_args(char **argv, int argc) {
    if (!argv) return;
    for (int i = 0; i < argc; i++) xfree(argv[i]);
    xfree(argv);
}

static int req_parse_inline(resp_req_t *r, char *buf, size_t len, const resp_limits_t *lim) {
    size_t lf;
    int rc = req_find_line(r, buf, len, '\n', lim->max_inline_len, &lf);
    if (rc == RESP_EPROTO) return req_fail(r, "Protocol error: too big inline request");
    if (rc == RESP_AGAIN) return rc;
    size_t n = lf > 0 && buf[lf - 1] == '\r' ? lf - 1 : lf;
    r->pos = lf + 1;
    return inline_split(r, buf, n);
}

int resp_req_parse(resp_req_t *r, char *buf, size_t len, const resp_limits_t *lim,
                   size_t *consumed) {
    if (!lim) lim = &default_limits;
    assert(len >= r->pos); /* the same command, with at least the bytes of last time */
    if (r->kind == KIND_NONE) {
        if (len == 0) return RESP_AGAIN;
        if (r->argcap > ARGV_KEEP) { /* note 4 */
            xfree(r->argv);
            r->argv = NULL;
            r->argcap = 0;
        }
        resp_req_reset(r);
        r->err = NULL;
        r->kind = buf[0] == '*' ? KIND_MULTIBULK : KIND_INLINE;
    }
    int rc = r->kind == KIND_MULTIBULK ? req_parse_multibulk(r, buf, len, lim)
                                       : req_parse_inline(r, buf, len, lim);
    if (rc == RESP_AGAIN) return rc;
    if (rc == RESP_OK) {
        if (consumed) *consumed = r->pos;
        size_t argc = r->argc;
        resp_req_reset(r);
        r->argc = argc;
    } else {
        resp_req_reset(r);
    }
    return rc;
}

/* ---- reply parser ------------------------------------------------------ */

typedef struct rv_ctx {
    const char *buf;
    size_t len;
    size_t pos;
    const char *err;
} rv_ctx_t;

static int rv_fail(rv_ctx_t *c, const char *err) {
    c->err = err;
    return RESP_EPROTO;
}

/* The line after the type byte: [*start, *start + *n) before "\r\n", and
 * c->pos moves past the CRLF.  A CR not followed by LF is garbage. */
static int rv_line(rv_ctx_t *c, size_t *start, size_t *n) {
    const char *p = memchr(c->buf + c->pos, '\r', c->len - c->pos);
    if (!p) return RESP_AGAIN;
    size_t cr = (size_t)(p - c->buf);
    if (cr + 1 >= c->len) return RESP_AGAIN;
    if (c->buf[cr + 1] != '\n') return rv_fail(c, "Protocol error: CR not followed by LF");
    *start = c->pos;
    *n = cr - c->pos;
    c->pos = cr + 2;
    return RESP_OK;
}

static int rv_line_ll(rv_ctx_t *c, long long *v, const char *err) {
    size_t s, n;
    int rc = rv_line(c, &s, &n);
    if (rc != RESP_OK) return rc;
    if (!str2ll(c->buf + s, n, v)) return rv_fail(c, err);
    return RESP_OK;
}

static void rv_set_str(resp_value_t *v, const char *p, size_t n) {
    v->str = xmalloc(n + 1);
    memcpy(v->str, p, n);
    v->str[n] = '\0';
    v->len = n;
}

static bool rv_parse_double(const char *s, size_t n, double *out) {
    if (n == 3 && (!memcmp(s, "inf", 3) || !memcmp(s, "nan", 3))) {
        *out = s[0] == 'i' ? INFINITY : NAN;
        return true;
    }
    if (n == 4 && (s[0] == '-' || s[0] == '+') && !memcmp(s + 1, "inf", 3)) {
        *out = s[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    if (n == 4 && s[0] == '-' && !memcmp(s + 1, "nan", 3)) {
        *out = -NAN;
        return true;
    }
    return str2d(s, n, out);
}

static bool rv_is_bignum(const char *s, size_t n) {
    size_t i = n && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (i == n) return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* Line types: + - : _ , # (.  v is NULL in the validating pass. */
static int rv_parse_line_type(rv_ctx_t *c, char t, resp_value_t *v) {
    size_t s, n;
    int rc = rv_line(c, &s, &n);
    if (rc != RESP_OK) return rc;
    const char *p = c->buf + s;
    resp_value_t tmp;
    if (!v) v = &tmp;
    switch (t) {
    case '+':
        v->type = RV_SIMPLE;
        break;
    case '-':
        v->type = RV_ERROR;
        break;
    case '(':
        if (!rv_is_bignum(p, n)) return rv_fail(c, "Protocol error: invalid big number");
        v->type = RV_BIGNUM;
        break;
    case ':':
        if (!str2ll(p, n, &v->integer)) return rv_fail(c, "Protocol error: invalid integer");
        v->type = RV_INT;
        return RESP_OK;
    case '_':
        if (n != 0) return rv_fail(c, "Protocol error: invalid null");
        v->type = RV_NULL;
        return RESP_OK;
    case '#':
        if (n != 1 || (p[0] != 't' && p[0] != 'f'))
            return rv_fail(c, "Protocol error: invalid boolean");
        v->type = RV_BOOL;
        v->integer = p[0] == 't';
        return RESP_OK;
    case ',':
        if (!rv_parse_double(p, n, &v->dbl)) return rv_fail(c, "Protocol error: invalid double");
        v->type = RV_DOUBLE; /* the text is kept too, as str */
        break;
    }
    if (v != &tmp) rv_set_str(v, p, n);
    return RESP_OK;
}

/* Blob types: $ ! =.  "$-1" is RESP2's null bulk. */
static int rv_parse_blob(rv_ctx_t *c, char t, resp_value_t *v) {
    long long n;
    int rc = rv_line_ll(c, &n, "Protocol error: invalid bulk length");
    if (rc != RESP_OK) return rc;
    if (n == -1 && t == '$') {
        if (v) v->type = RV_NULL;
        return RESP_OK;
    }
    if (n < 0) return rv_fail(c, "Protocol error: invalid bulk length");
    size_t avail = c->len - c->pos;
    if ((unsigned long long)n > avail || avail - (size_t)n < 2) return RESP_AGAIN;
    const char *p = c->buf + c->pos;
    if (p[n] != '\r' || p[n + 1] != '\n')
        return rv_fail(c, "Protocol error: bulk not followed by CRLF");
    if (t == '=' && (n < 4 || p[3] != ':'))
        return rv_fail(c, "Protocol error: invalid verbatim string");
    c->pos += (size_t)n + 2;
    if (!v) return RESP_OK;
    if (t == '=') {
        v->type = RV_VERBATIM;
        memcpy(v->fmt, p, 3);
        v->fmt[3] = '\0';
        rv_set_str(v, p + 4, (size_t)n - 4);
    } else {
        v->type = t == '$' ? RV_BULK : RV_BLOBERR;
        rv_set_str(v, p, (size_t)n);
    }
    return RESP_OK;
}

static int rv_parse_value(rv_ctx_t *c, int depth, resp_value_t *v);

/* Aggregates: * % ~ > and the attribute |.  "*-1" is RESP2's null array.
 * Elements are validated before this runs with v != NULL (note 8). */
static int rv_parse_aggregate(rv_ctx_t *c, char t, int depth, resp_value_t *v) {
    long long n;
    int rc = rv_line_ll(c, &n, "Protocol error: invalid aggregate length");
    if (rc != RESP_OK) return rc;
    if (n == -1 && t == '*') {
        if (v) v->type = RV_NULL;
        return RESP_OK;
    }
    /* A count that could never be allocated is garbage, not "wait". */
    bool pairs = t == '%' || t == '|';
    unsigned long long max = SIZE_MAX / sizeof(resp_value_t) / (pairs ? 2 : 1);
    if (n < 0 || (unsigned long long)n > max)
        return rv_fail(c, "Protocol error: invalid aggregate length");
    if (depth >= RESP_MAX_DEPTH) return rv_fail(c, "Protocol error: nesting too deep");
    size_t count = (size_t)n * (pairs ? 2 : 1);
    if (v) {
        v->type = t == '*' ? RV_ARRAY : t == '%' ? RV_MAP : t == '~' ? RV_SET : RV_PUSH;
        v->n = count;
        v->elems = count ? xcalloc(count, sizeof(*v->elems)) : NULL;
    }
    for (size_t i = 0; i < count; i++) {
        rc = rv_parse_value(c, depth + 1, v ? &v->elems[i] : NULL);
        if (rc != RESP_OK) return rc;
    }
    return RESP_OK;
}

static int rv_parse_value(rv_ctx_t *c, int depth, resp_value_t *v) {
    for (;;) {
        if (c->pos >= c->len) return RESP_AGAIN;
        char t = c->buf[c->pos++];
        switch (t) {
        case '+':
        case '-':
        case ':':
        case '_':
        case ',':
        case '#':
        case '(':
            return rv_parse_line_type(c, t, v);
        case '$':
        case '!':
        case '=':
            return rv_parse_blob(c, t, v);
        case '*':
        case '%':
        case '~':
        case '>':
            return rv_parse_aggregate(c, t, depth, v);
        case '|': {
            /* An attribute: parse and drop it, then the value it annotates. */
            int rc = rv_parse_aggregate(c, t, depth, NULL);
            if (rc != RESP_OK) return rc;
            continue;
        }
        default:
            return rv_fail(c, "Protocol error: invalid reply type byte");
        }
    }
}

static void rv_free_contents(resp_value_t *v) {
    for (size_t i = 0; i < v->n; i++) rv_free_contents(&v->elems[i]);
    xfree(v->elems);
    xfree(v->str);
}

int resp_value_parse(const char *buf, size_t len, size_t *consumed, resp_value_t **out,
                     const char **err) {
    rv_ctx_t c = {buf, len, 0, NULL};
    int rc = rv_parse_value(&c, 0, NULL);
    if (rc != RESP_OK) {
        if (rc == RESP_EPROTO && err) *err = c.err;
        return rc;
    }
    size_t total = c.pos;
    resp_value_t *v = xcalloc(1, sizeof(*v));
    c.pos = 0;
    rc = rv_parse_value(&c, 0, v);
    assert(rc == RESP_OK && c.pos == total);
    (void)rc;
    *out = v;
    if (consumed) *consumed = total;
    return RESP_OK;
}

void resp_value_free(resp_value_t *v) {
    if (!v) return;
    rv_free_contents(v);
    xfree(v);
}

static bool rv_is_stringlike(const resp_value_t *v) {
    return v->type == RV_SIMPLE || v->type == RV_BULK || v->type == RV_VERBATIM;
}

const resp_value_t *resp_value_get(const resp_value_t *v, const char *k) {
    if (!v || (v->type != RV_MAP && v->type != RV_ARRAY)) return NULL;
    size_t klen = strlen(k);
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const resp_value_t *key = &v->elems[i];
        if (rv_is_stringlike(key) && key->len == klen && !memcmp(key->str, k, klen))
            return &v->elems[i + 1];
    }
    return NULL;
}

/* ---- command encoder --------------------------------------------------- */

void resp_encode_cmd(buf_t *out, int argc, const char *const *argv, const size_t *lens) {
    if (!lens) {
        resp_encode_cmdv(out, argc, argv);
        return;
    }
    char num[24];
    /* Size it once: "*<argc>\r\n" + per arg "$<len>\r\n<arg>\r\n" (21 digits max). */
    size_t need = 1 + 21 + 2;
    for (int i = 0; i < argc; i++) need += 1 + 21 + 2 + lens[i] + 2;
    buf_reserve(out, need);
    char *p = out->p + out->len;
    *p++ = '*';
    p += ll2str(p, argc);
    *p++ = '\r';
    *p++ = '\n';
    for (int i = 0; i < argc; i++) {
        *p++ = '$';
        size_t n = ull2str(num, lens[i]);
        memcpy(p, num, n);
        p += n;
        *p++ = '\r';
        *p++ = '\n';
        if (lens[i]) memcpy(p, argv[i], lens[i]);
        p += lens[i];
        *p++ = '\r';
        *p++ = '\n';
    }
    out->len = (size_t)(p - out->p);
    out->p[out->len] = '\0';
}

void resp_encode_cmdv(buf_t *out, int argc, const char *const *argv) {
    size_t small[16] = {0};
    size_t *lens = argc <= 16 ? small : xmalloc((size_t)argc * sizeof(*lens));
    for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    resp_encode_cmd(out, argc, argv, lens);
    if (lens != small) xfree(lens);
}
