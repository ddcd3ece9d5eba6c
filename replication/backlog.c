/* The replication backlog ring buffer (see backlog.h for offsets and invariants).
 *
 * Layout: `ring` has `size` bytes; the oldest byte held is ring[start] and the held
 * bytes run forward `histlen` bytes, wrapping at `size`.  The next append writes at
 * (start + histlen) % size.  Worked example with size 8: after appending "abcdefghij"
 * in one call, only "cdefghij" is kept (start 0, histlen 8, master offset 10,
 * first_byte_offset 3); appending "kl" then overwrites "cd" (start 2, first 5). */
#include "backlog.h"

#include <assert.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

struct repl_backlog {
    char *ring;
    size_t size;             /* capacity of ring, bytes */
    size_t start;            /* ring index of the byte at first_byte_offset */
    size_t histlen;          /* bytes held */
    long long master_offset; /* offset of the last byte appended */
};

repl_backlog_t *repl_backlog_new(size_t size) {
    assert(size > 0);
    repl_backlog_t *b = xcalloc(1, sizeof(*b));
    b->ring = xmalloc(size);
    b->size = size;
    return b;
}

void repl_backlog_free(repl_backlog_t *b) {
    if (!b) return;
    xfree(b->ring);
    xfree(b);
}

void repl_backlog_reset(repl_backlog_t *b, long long master_offset) {
    assert(master_offset >= 0);
    b->start = 0;
    b->histlen = 0;
    b->master_offset = master_offset;
}

/* Copies `n` bytes that start `skip` bytes after the oldest byte into dst
 * (n + skip <= histlen). */
static void ring_copy_out(const repl_backlog_t *b, size_t skip, size_t n, char *dst) {
    size_t at = (b->start + skip) % b->size;
    size_t first = b->size - at < n ? b->size - at : n;
    memcpy(dst, b->ring + at, first);
    memcpy(dst + first, b->ring, n - first);
}

void repl_backlog_resize(repl_backlog_t *b, size_t new_size) {
    assert(new_size > 0);
    if (new_size == b->size) return;
    size_t keep = b->histlen < new_size ? b->histlen : new_size;
    char *ring = xmalloc(new_size);
    ring_copy_out(b, b->histlen - keep, keep, ring); /* the newest `keep` bytes */
    xfree(b->ring);
    b->ring = ring;
    b->size = new_size;
    b->start = 0;
    b->histlen = keep;
}

void repl_backlog_append(repl_backlog_t *b, const void *p, size_t n) {
    const char *src = p;
    b->master_offset += (long long)n;
    if (n >= b->size) { /* only the last `size` bytes survive */
        memcpy(b->ring, src + (n - b->size), b->size);
        b->start = 0;
        b->histlen = b->size;
        return;
    }
    size_t at = (b->start + b->histlen) % b->size;
    size_t first = b->size - at < n ? b->size - at : n;
    memcpy(b->ring + at, src, first);
    memcpy(b->ring, src + first, n - first);
    b->histlen += n;
    if (b->histlen > b->size) { /* overwrote the oldest bytes */
        b->start = (b->start + (b->histlen - b->size)) % b->size;
        b->histlen = b->size;
    }
}

size_t repl_backlog_size(const repl_backlog_t *b) { return b->size; }

size_t repl_backlog_histlen(const repl_backlog_t *b) { return b->histlen; }

long long repl_backlog_first_byte_offset(const repl_backlog_t *b) {
    return b->master_offset - (long long)b->histlen + 1;
}

long long repl_backlog_master_offset(const repl_backlog_t *b) { return b->master_offset; }

bool repl_backlog_has_offset(const repl_backlog_t *b, long long offset) {
    long long first = repl_backlog_first_byte_offset(b);
    return offset >= first && offset <= first + (long long)b->histlen;
}

size_t repl_backlog_read(const repl_backlog_t *b, long long offset, const char **p1, size_t *n1,
                         const char **p2, size_t *n2) {
    if (!repl_backlog_has_offset(b, offset)) return 0;
    size_t skip = (size_t)(offset - repl_backlog_first_byte_offset(b));
    size_t n = b->histlen - skip;
    *p1 = *p2 = NULL;
    *n1 = *n2 = 0;
    if (n == 0) return 0;
    size_t at = (b->start + skip) % b->size;
    size_t first = b->size - at < n ? b->size - at : n;
    *p1 = b->ring + at;
    *n1 = first;
    if (n > first) {
        *p2 = b->ring;
        *n2 = n - first;
    }
    return n;
}

int repl_backlog_copy(const repl_backlog_t *b, long long offset, buf_t *out) {
    if (!repl_backlog_has_offset(b, offset)) return K_ERANGE;
    const char *p1, *p2;
    size_t n1, n2;
    if (repl_backlog_read(b, offset, &p1, &n1, &p2, &n2) == 0) return 0;
    buf_append(out, p1, n1);
    if (n2) buf_append(out, p2, n2);
    return 0;
}
