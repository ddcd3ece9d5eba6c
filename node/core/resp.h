/* RESP: the one codec of the tree.
 *
 * Three parts:
 *  - the server-side request parser (multibulk and inline) used for every
 *    client connection.  It is incremental and zero-copy: arguments are
 *    returned as (offset, length) pairs relative to the start of the command
 *    inside the caller's buffer, so the caller may move (realloc) its buffer
 *    between calls;
 *  - a full RESP2/RESP3 reply parser into a value tree, for outgoing links
 *    (replica -> master, sentinel -> instances, cluster);
 *  - an encoder for outgoing commands (multibulk).
 * The reply *writer* for client replies lives in reply.h (it writes into a
 * client's output buffer with RESP2/RESP3 chosen per client).
 *
 * Return codes: RESP_OK, RESP_AGAIN (feed more bytes), RESP_EPROTO (the peer
 * sent garbage: reply with the error text and close that connection).
 */
#ifndef KEEL_RESP_H
#define KEEL_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum { RESP_OK = 0, RESP_AGAIN = 1, RESP_EPROTO = -1 };

/* ---- request parser ---------------------------------------------------- */

typedef struct resp_arg {
    size_t off; /* from the start of the command (the `buf` passed in) */
    size_t len;
} resp_arg_t;

typedef struct resp_limits {
    long long max_bulk_len;      /* proto-max-bulk-len (default 512 MiB) */
    long long max_multibulk_len; /* 1024*1024*1024 in Redis (INT_MAX check); we use INT_MAX */
    size_t max_inline_len;       /* 64 KiB (PROTO_INLINE_MAX_SIZE) */
    bool unauthenticated;        /* Redis 7: unauthenticated clients may send at most
                                    10 args of at most 16384 bytes each */
} resp_limits_t;

typedef struct resp_req {
    /* parse state: private to resp.c */
    int kind;             /* 0 = not started, 1 = multibulk, 2 = inline */
    long long mb_left;    /* multibulk args still to read */
    long long bulk_len;   /* current bulk length, -1 when reading a "$" header */
    size_t pos;           /* where to resume, from the start of the command */
    /* result */
    size_t argc;
    size_t argcap;
    resp_arg_t *argv;     /* owned by the parser, reused across commands */
    const char *err;      /* static Redis error text after RESP_EPROTO, without "-ERR " */
} resp_req_t;

void resp_req_init(resp_req_t *r);
void resp_req_free(resp_req_t *r);

/* Parses one command from buf[0..len).  buf must start at the first byte of
 * the command; after RESP_AGAIN call again with the same start and more bytes.
 *  - RESP_OK: r->argc/argv describe the command and *consumed is its total
 *    length.  argc may be 0 (an empty inline line, "*0\r\n" or "*-1\r\n"): the
 *    caller just skips *consumed bytes.  The next call starts a new command.
 *  - RESP_AGAIN: incomplete.  resp_req_want(r) tells how many bytes (from the
 *    start of the command) would complete the current bulk, so the caller can
 *    size its buffer once for a large argument.
 *  - RESP_EPROTO: r->err is Redis's text, e.g. "Protocol error: invalid
 *    multibulk length", "Protocol error: invalid bulk length", "Protocol
 *    error: expected '$', got 'x'", "Protocol error: too big inline request",
 *    "Protocol error: too big mbulk count string", "Protocol error: too big
 *    bulk count string", "Protocol error: unbalanced quotes in request".
 * Inline commands are split on spaces with Redis's quoting rules ("..." with
 * \n \r \t \b \a \\ \" \xHH escapes, '...' with \'); unescaping is done in
 * place inside buf, which is why buf is not const.  Huge lengths are refused
 * before anything is allocated. */
int resp_req_parse(resp_req_t *r, char *buf, size_t len, const resp_limits_t *lim,
                   size_t *consumed);
size_t resp_req_want(const resp_req_t *r);
/* Forget a partial command (connection reset). */
void resp_req_reset(resp_req_t *r);

/* Splits a line with Redis's sdssplitargs rules (the same tokenizer as
 * inline commands): config files, the AOF manifest.  Returns a NULL-
 * terminated-strings array (free with resp_free_args), or NULL for
 * unbalanced quotes.  Tokens containing NUL bytes are cut at the first one. */
char **resp_split_args(const char *line, size_t len, int *argc);
void resp_free_args(char **argv, int argc);

/* ---- reply parser (outgoing links) ------------------------------------- */

typedef enum resp_type {
    RV_SIMPLE,   /* +  */
    RV_ERROR,    /* -  */
    RV_INT,      /* :  */
    RV_BULK,     /* $  */
    RV_NULL,     /* _ , and RESP2 $-1 / *-1 */
    RV_ARRAY,    /* *  */
    RV_MAP,      /* %  elems holds 2*n values: k0 v0 k1 v1 ... */
    RV_SET,      /* ~  */
    RV_PUSH,     /* >  */
    RV_DOUBLE,   /* ,  */
    RV_BOOL,     /* #  */
    RV_VERBATIM, /* =  str points after the "txt:" prefix, fmt holds it */
    RV_BIGNUM,   /* (  kept as text */
    RV_BLOBERR,  /* !  */
} resp_type_t;

typedef struct resp_value {
    resp_type_t type;
    long long integer;          /* RV_INT, RV_BOOL */
    double dbl;                 /* RV_DOUBLE */
    char *str;                  /* NUL-terminated copy for string-like types */
    size_t len;
    char fmt[4];                /* RV_VERBATIM */
    size_t n;                   /* element count for aggregates (2*pairs for RV_MAP) */
    struct resp_value *elems;   /* array of n values */
} resp_value_t;

/* Parses one complete reply from buf[0..len).  RESP_OK: *out is a new tree
 * (free with resp_value_free) and *consumed its length.  RESP_AGAIN: nothing
 * allocated.  RESP_EPROTO: *err is a static description.  Attributes (|) are
 * parsed and skipped.  Nesting deeper than 64 levels is a protocol error. */
int resp_value_parse(const char *buf, size_t len, size_t *consumed, resp_value_t **out,
                     const char **err);
void resp_value_free(resp_value_t *v);
/* For maps or flat RESP2 key/value arrays: the value for key k, or NULL. */
const resp_value_t *resp_value_get(const resp_value_t *v, const char *k);

/* ---- command encoder --------------------------------------------------- */

/* Appends "*argc\r\n$len\r\narg\r\n..." to out. */
void resp_encode_cmd(buf_t *out, int argc, const char *const *argv, const size_t *lens);
/* Same with NUL-terminated strings. */
void resp_encode_cmdv(buf_t *out, int argc, const char *const *argv);

#endif
