/* Allocation with exact accounting.
 *
 * Every allocation of the server goes through x*alloc/xfree so that
 * `used_memory` (INFO memory, maxmemory) is an exact count of the bytes the
 * allocator handed out (malloc_usable_size, i.e. including jemalloc's size
 * class rounding).  x*alloc abort on OOM: no caller has a NULL path.
 *
 * Thread safety: the counter is a relaxed atomic, so the threadpool may free
 * (lazy free) while the loop allocates. */
#ifndef KEEL_ALLOC_H
#define KEEL_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void xfree(void *p);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
size_t xusable(const void *p);

/* Bytes currently allocated through this module. */
size_t alloc_used_memory(void);

/* Allocator statistics from jemalloc's mallctl (0 where unavailable). */
typedef struct alloc_stats {
    size_t allocated, active, resident, mapped, retained;
} alloc_stats_t;
void alloc_get_stats(alloc_stats_t *out);

/* Resident set size of the process, from /proc/self/statm. */
size_t alloc_rss(void);

#endif
