/* A growable byte buffer: the one string builder of the tree.
 *
 * `p` is always NUL-terminated (when non-NULL) so it can be handed to C string
 * functions; `len` excludes the terminator.  Owned by whoever holds the struct;
 * release with buf_free(). */
#ifndef KEEL_BUF_H
#define KEEL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    char *p;
    size_t len;
    size_t cap;
} buf_t;

#define BUF_INIT {NULL, 0, 0}

void buf_reserve(buf_t *b, size_t extra);        /* room for `extra` more bytes */
void buf_append(buf_t *b, const void *p, size_t n);
void buf_puts(buf_t *b, const char *s);
void buf_putc(buf_t *b, char c);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf_t *b, const char *fmt, va_list ap);
void buf_put_ll(buf_t *b, long long v);
void buf_clear(buf_t *b);                         /* len = 0, keeps memory */
void buf_consume(buf_t *b, size_t n);             /* drop n bytes from the front */
char *buf_detach(buf_t *b);                       /* caller frees with xfree() */
void buf_free(buf_t *b);

/* Writes the decimal form of v into dst (at least 21 bytes); returns length. */
size_t ll2str(char *dst, long long v);
size_t ull2str(char *dst, unsigned long long v);

/* Strict integer parsing, Redis style: no spaces, no '+', no leading zeros
 * (except "0"), fits in the type.  Return true on success. */
#include <stdbool.h>
bool str2ll(const char *s, size_t len, long long *out);
bool str2ull(const char *s, size_t len, unsigned long long *out);
/* Strict long double parsing as INCRBYFLOAT wants (no spaces, not NaN). */
bool str2ld(const char *s, size_t len, long double *out);
bool str2d(const char *s, size_t len, double *out);
/* Formats a double as Redis does for replies (%.17g, inf/-inf). */
size_t d2str(char *dst, size_t cap, double v);
/* Formats a long double as INCRBYFLOAT does (%.17Lf, trailing zeros cut). */
size_t ld2str(char *dst, size_t cap, long double v);

/* Glob matching with Redis's rules (* ? [a-z] [^x] \x), optional nocase. */
bool glob_match(const char *pat, size_t plen, const char *s, size_t slen, bool nocase);

#endif
