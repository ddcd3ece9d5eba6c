/* The pure decisions of the replica's handshake (replica.c): which state may
 * follow which, how PING and PSYNC replies read, when a state timed out, and
 * how the snapshot transfer is framed ("$<len>" or "$EOF:<mark>" header, then
 * the payload up to the mark).
 *
 * Pure functions with explicit inputs (STYLE.md, "State machines"): no
 * sockets, no server globals, no logging.  replica.c calls them and does the
 * I/O, the logging and the state changes; tests/unit/replication/
 * test_handshake.c covers them.  All strings are borrowed until return.
 *
 * The state diagram and its `FROM -> TO [function]` lines sit at the top of
 * replica.c; repl_hs_transition_ok() is that diagram as a predicate.
 */
#ifndef KEEL_REPL_HANDSHAKE_H
#define KEEL_REPL_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rdb.h"      /* RDB_EOF_MARK_SIZE */
#include "repl_int.h" /* repl_state_t */
#include "resp.h"

#define REPL_HS_ID_LEN 40     /* a replication id: 40 hex characters */
#define REPL_HS_LINE_MAX 1024 /* longest PSYNC reply / bulk header line we accept */

/* ---- states -------------------------------------------------------------------- */

/* True for a legal transition of replica.c's diagram.  Any state may go to
 * NONE (REPLICAOF NO ONE) or CONNECT (errors, timeouts, another master); the
 * rest follow the handshake order, e.g. RECEIVE_PORT_REPLY -> RECEIVE_IP_REPLY
 * only when replica-announce-ip is set, else RECEIVE_PORT_REPLY ->
 * RECEIVE_CAPA_REPLY.  Staying in CONNECT or NONE is legal (a retry). */
bool repl_hs_transition_ok(repl_state_t from, repl_state_t to);

/* RECEIVE_PING_REPLY .. RECEIVE_PSYNC_REPLY: the link is up, the handshake runs. */
bool repl_hs_is_handshake_state(repl_state_t s);

/* ---- PING ---------------------------------------------------------------------- */

/* PING's answer lets the handshake go on when it is a +status, or an
 * authentication error (AUTH comes next): -NOAUTH, -NOPERM, and old masters'
 * "-ERR operation not permitted", as Redis's syncWithMaster.  Any other error,
 * and any other type, refuses. */
bool repl_hs_ping_reply_ok(const resp_value_t *v);

/* ---- PSYNC --------------------------------------------------------------------- */

typedef enum {
    REPL_HS_PSYNC_FULL,         /* +FULLRESYNC <id> <offset> */
    REPL_HS_PSYNC_CONTINUE,     /* +CONTINUE [<new id>] */
    REPL_HS_PSYNC_TRY_LATER,    /* -NOMASTERLINK, -LOADING: retry the handshake later */
    REPL_HS_PSYNC_NOT_SUPPORTED /* -ERR or anything else: fall back to SYNC */
} repl_hs_psync_reply_t;

/* What a PSYNC reply line (CRLF stripped, not empty) means.  Only prefixes
 * count, as Redis: "+FULLRESYNCxyz" is FULL, "-LOADING Redis is loading" is
 * TRY_LATER, "+OK" and "-ERR unknown command" are NOT_SUPPORTED. */
repl_hs_psync_reply_t repl_hs_psync_classify(const char *line);

/* "+FULLRESYNC <40-char id> <offset>": sets id (NUL-terminated) and *off and
 * returns true.  False (id and *off untouched) when the id is not exactly 40
 * characters or the offset is missing, not a number or out of range.  Example:
 * "+FULLRESYNC 8de1...c3a2 1234" gives id "8de1...c3a2" and 1234; trailing
 * text after the digits ("1234 x") is ignored, as Redis's strtoll. */
bool repl_hs_fullresync_parse(const char *line, char id[REPL_HS_ID_LEN + 1], long long *off);

/* "+CONTINUE <40-char id>" (psync2: the master's current id, maybe new to us)
 * sets id and returns true.  A bare "+CONTINUE" (an old master: the id did not
 * change), or one followed by anything but a space and exactly 40 characters,
 * returns false. */
bool repl_hs_continue_new_id(const char *line, char id[REPL_HS_ID_LEN + 1]);

/* ---- timeouts ---------------------------------------------------------------------- */

typedef enum {
    REPL_HS_TIMEOUT_NONE,      /* NONE, CONNECT: nothing to wait for */
    REPL_HS_TIMEOUT_HANDSHAKE, /* CONNECTING .. RECEIVE_PSYNC_REPLY: cancel, reconnect */
    REPL_HS_TIMEOUT_TRANSFER,  /* TRANSFER: cancel, reconnect */
    REPL_HS_TIMEOUT_STREAM     /* CONNECTED: the master is lost (cached for PSYNC) */
} repl_hs_timeout_t;

/* Which timeout watches state s (replica.c note 6). */
repl_hs_timeout_t repl_hs_timeout_kind(repl_state_t s);

/* The timeout that fired in state s at now_ms, or REPL_HS_TIMEOUT_NONE.  The
 * clock starts at the latest of the last byte from the master (last_io_ms),
 * the state change (since_ms) and, in TRANSFER only, the last payload byte
 * (transfer_last_io_ms).  Whole seconds compare, as Redis's
 * (now - lastio) > repl-timeout: with repl-timeout 60 and the last byte at
 * 10,000 ms, 70,999 ms is not a timeout (60 s) and 71,000 ms is (61 s).
 * All times in ms on the same clock; timeout_s in seconds. */
repl_hs_timeout_t repl_hs_timeout_check(repl_state_t s, int64_t now_ms, int64_t last_io_ms,
                                        int64_t since_ms, int64_t transfer_last_io_ms,
                                        int timeout_s);

/* ---- the transfer: header line ------------------------------------------------------ */

/* Takes bytes up to and including the first '\n' of p[0..n) into line.
 * Returns the bytes consumed; *complete is set when the line ended, and line
 * then holds it without "\r\n" (or a bare "\n"), NUL-terminated.  -1 (nothing
 * consumed) when the line would pass REPL_HS_LINE_MAX bytes.  Example: "$12"
 * then "3\r\nPAYLOAD" consume 3 (incomplete), then 3 (complete, line "$123"),
 * leaving "PAYLOAD" to the caller.  The caller clears line between lines. */
long repl_hs_take_line(buf_t *line, const char *p, size_t n, bool *complete);

typedef enum {
    REPL_HS_BULK_KEEPALIVE, /* empty line: a "\n" the master sends while it waits for BGSAVE */
    REPL_HS_BULK_SIZE,      /* "$<len>": *size = len bytes follow */
    REPL_HS_BULK_EOF_MARK,  /* "$EOF:<40 bytes>": payload until the mark, mark set */
    REPL_HS_BULK_ERROR,     /* "-...": the master aborted the sync */
    REPL_HS_BULK_BAD        /* anything else: not a master speaking the protocol */
} repl_hs_bulk_t;

/* Reads the bulk header line (as repl_hs_take_line leaves it).  "$EOF:" needs
 * at least 40 bytes after it (only the first 40 are the mark); otherwise the
 * line reads as "$<len>" with strtoll, as Redis, so "$EOF:short" is size 0.
 * *size is set for SIZE (and 0 for EOF_MARK); mark only for EOF_MARK. */
repl_hs_bulk_t repl_hs_bulk_header(const char *line, long long *size, char mark[RDB_EOF_MARK_SIZE]);

/* ---- the transfer: the $EOF mark ----------------------------------------------------- */

/* Finds the 40-byte mark that ends an "$EOF:" payload, across chunks: the
 * last 39 bytes seen are kept, so a mark split over any number of chunks is
 * found.  Initialize with repl_hs_eof_init(). */
typedef struct repl_hs_eof {
    char mark[RDB_EOF_MARK_SIZE];
    char tail[RDB_EOF_MARK_SIZE - 1]; /* the last taillen bytes scanned */
    size_t taillen;
} repl_hs_eof_t;

void repl_hs_eof_init(repl_hs_eof_t *e, const char mark[RDB_EOF_MARK_SIZE]);

/* Scans the next chunk p[0..n).  Returns 0 when the mark has not ended in it
 * (all n bytes are payload), else the number of bytes of this chunk up to and
 * including the mark's last byte; bytes after that are the stream.  Example:
 * 100 payload bytes then the mark sent as chunks of 110 and 40 bytes: the
 * first scan returns 0, the second returns 30 (the mark's last 30 bytes) and
 * the caller gives the other 10 to the stream.  The payload is the bytes
 * scanned minus the 40 of the mark. */
size_t repl_hs_eof_scan(repl_hs_eof_t *e, const char *p, size_t n);

#endif
