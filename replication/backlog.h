/* The replication backlog: a fixed-size ring buffer holding the newest bytes of the
 * replication stream, so a replica that reconnects can continue with PSYNC instead of
 * a full resync.
 *
 * Owns: its ring memory only.  A pure data structure: no sockets, no clock, no
 * logging.  Called by the master side of replication (which appends every byte it
 * propagates, and answers PSYNC from it) and by repl_psync_decide() (psync.h).  The
 * idle TTL (repl-backlog-ttl) belongs to the master, not to this file.
 *
 * Offsets, counted as Redis counts them:
 *  - The master offset (master_repl_offset) is the number of stream bytes ever
 *    produced; it is also the offset of the last byte produced.  Stream bytes are
 *    numbered from 1, so byte k of the stream has offset k.
 *  - The backlog holds the bytes [first_byte_offset, first_byte_offset + histlen),
 *    like Redis's repl_backlog_off / repl_backlog_histlen.  An empty backlog has
 *    first_byte_offset = master offset + 1: the next byte to come.
 *  - A replica asks for the first byte it does not hold.  Worked example: the master
 *    has produced 80 bytes and the backlog holds 30 of them, bytes 51..80
 *    (first_byte_offset 51, histlen 30).  A replica that holds bytes 1..50 asks for
 *    51 and receives 30 bytes; one that holds 1..80 asks for 81, which is still
 *    inside (nothing to send, but it can continue); one that holds 1..40 asks for 41,
 *    which was trimmed, so it needs a full resync.
 *
 * Design notes:
 *  1. Invariants: 0 < size; histlen <= size; start < size is the ring index of the
 *     byte at first_byte_offset; master_offset >= histlen.
 *  2. The ring is allocated at full size up front (as Redis before 7.0 did), so an
 *     append never allocates.
 *  3. Appending more than `size` bytes at once keeps only the last `size` of them;
 *     the master offset still advances by the whole length.
 *  4. Resizing keeps the newest bytes that fit in the new size, with their offsets
 *     (Redis 7.0's resizeReplicationBacklog trims the same way). */
#ifndef KEEL_REPL_BACKLOG_H
#define KEEL_REPL_BACKLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef struct repl_backlog repl_backlog_t; /* opaque */

/* A new empty backlog of `size` bytes (> 0) at master offset 0: the first byte
 * appended will have offset 1.  Caller frees with repl_backlog_free(). */
repl_backlog_t *repl_backlog_new(size_t size);
void repl_backlog_free(repl_backlog_t *b); /* NULL is fine */

/* Drops the history and sets the master offset, so the next byte appended has offset
 * master_offset + 1.  Used when the backlog is created for a stream that already has
 * a history, e.g. after a replica loads its master's RDB at offset N. */
void repl_backlog_reset(repl_backlog_t *b, long long master_offset);

/* Changes the capacity to `new_size` (> 0), keeping the newest
 * min(histlen, new_size) bytes and their offsets. */
void repl_backlog_resize(repl_backlog_t *b, size_t new_size);

/* Appends n stream bytes (borrows `p` until return).  n may exceed the size: only the
 * last `size` bytes are kept, and the master offset advances by n. */
void repl_backlog_append(repl_backlog_t *b, const void *p, size_t n);

size_t repl_backlog_size(const repl_backlog_t *b);    /* capacity in bytes */
size_t repl_backlog_histlen(const repl_backlog_t *b); /* bytes held, <= size */
/* Offset of the oldest byte held (master offset + 1 when empty). */
long long repl_backlog_first_byte_offset(const repl_backlog_t *b);
/* Offset of the last byte ever appended (0 before the first append). */
long long repl_backlog_master_offset(const repl_backlog_t *b);

/* True when a replica asking for `offset` can continue from this backlog:
 * first_byte_offset <= offset <= first_byte_offset + histlen.  The offset just past
 * the end is inside (nothing to send). */
bool repl_backlog_has_offset(const repl_backlog_t *b, long long offset);

/* The bytes from `offset` to the end, in at most two contiguous pieces (the ring may
 * wrap): first `*p1`, `*n1`, then `*p2`, `*n2` (NULL and 0 when there is no second
 * piece).  The pointers borrow the ring until the next append, resize, reset or free.
 * Returns n1 + n2.  For an offset outside the backlog (see repl_backlog_has_offset)
 * returns 0 and sets nothing; at exactly the end returns 0 and sets both pieces to
 * NULL and 0. */
size_t repl_backlog_read(const repl_backlog_t *b, long long offset, const char **p1, size_t *n1,
                         const char **p2, size_t *n2);

/* Appends the bytes from `offset` to the end to `out`.  Returns 0 (possibly having
 * appended nothing, at exactly the end), or K_ERANGE when the offset is outside the
 * backlog, leaving `out` untouched. */
int repl_backlog_copy(const repl_backlog_t *b, long long offset, buf_t *out);

#endif
