/* Allocation with exact accounting: see alloc.h. */
#include "alloc.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef KEEL_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

static _Atomic size_t used_bytes;

static void oom(size_t n) {
    fprintf(stderr, "keel: out of memory allocating %zu bytes\n", n);
    fflush(stderr);
    abort();
}

static inline void count_add(void *p) {
    atomic_fetch_add_explicit(&used_bytes, malloc_usable_size(p), memory_order_relaxed);
}

static inline void count_sub(void *p) {
    atomic_fetch_sub_explicit(&used_bytes, malloc_usable_size(p), memory_order_relaxed);
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    count_add(p);
    return p;
}

void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    count_add(p);
    return p;
}

void *xrealloc(void *p, size_t n) {
    if (!p) return xmalloc(n);
    size_t old = malloc_usable_size(p);
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    size_t now = malloc_usable_size(q);
    if (now >= old)
        atomic_fetch_add_explicit(&used_bytes, now - old, memory_order_relaxed);
    else
        atomic_fetch_sub_explicit(&used_bytes, old - now, memory_order_relaxed);
    return q;
}

void xfree(void *p) {
    if (!p) return;
    count_sub(p);
    free(p);
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n) {
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *xmemdup(const void *p, size_t n) {
    void *q = xmalloc(n);
    memcpy(q, p, n);
    return q;
}

size_t xusable(const void *p) { return p ? malloc_usable_size((void *)p) : 0; }

size_t alloc_used_memory(void) {
    return atomic_load_explicit(&used_bytes, memory_order_relaxed);
}

void alloc_get_stats(alloc_stats_t *out) {
    memset(out, 0, sizeof(*out));
#ifdef KEEL_JEMALLOC
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    sz = sizeof(size_t);
    mallctl("stats.allocated", &out->allocated, &sz, NULL, 0);
    mallctl("stats.active", &out->active, &sz, NULL, 0);
    mallctl("stats.resident", &out->resident, &sz, NULL, 0);
    mallctl("stats.mapped", &out->mapped, &sz, NULL, 0);
    mallctl("stats.retained", &out->retained, &sz, NULL, 0);
#endif
}

size_t alloc_rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, rss = 0;
    int n = fscanf(f, "%lu %lu", &size, &rss);
    fclose(f);
    if (n != 2) return 0;
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}
