/* Growable byte buffer and number/glob helpers: see buf.h. */
#include "buf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void buf_reserve(buf_t *b, size_t extra) {
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap < (1u << 20) ? cap * 2 : cap + (1u << 20);
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void buf_append(buf_t *b, const void *p, size_t n) {
    buf_reserve(b, n);
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_puts(buf_t *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_putc(buf_t *b, char c) {
    buf_reserve(b, 1);
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

void buf_vprintf(buf_t *b, const char *fmt, va_list ap) {
    va_list cp;
    va_copy(cp, ap);
    buf_reserve(b, 64);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, cp);
    va_end(cp);
    if (n < 0) return;
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    }
    b->len += (size_t)n;
}

void buf_printf(buf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_put_ll(buf_t *b, long long v) {
    char tmp[24];
    buf_append(b, tmp, ll2str(tmp, v));
}

void buf_clear(buf_t *b) {
    b->len = 0;
    if (b->p) b->p[0] = '\0';
}

void buf_consume(buf_t *b, size_t n) {
    if (n >= b->len) {
        buf_clear(b);
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    b->p[b->len] = '\0';
}

char *buf_detach(buf_t *b) {
    if (!b->p) buf_reserve(b, 0), b->p[0] = '\0';
    char *p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void buf_free(buf_t *b) {
    xfree(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

size_t ull2str(char *dst, unsigned long long v) {
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return n;
}

size_t ll2str(char *dst, long long v) {
    if (v < 0) {
        dst[0] = '-';
        return 1 + ull2str(dst + 1, (unsigned long long)(-(v + 1)) + 1);
    }
    return ull2str(dst, (unsigned long long)v);
}

bool str2ull(const char *s, size_t len, unsigned long long *out) {
    if (len == 0 || len > 20) return false;
    if (len > 1 && s[0] == '0') return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool str2ll(const char *s, size_t len, long long *out) {
    if (len == 0) return false;
    if (s[0] == '-') {
        unsigned long long v;
        if (len == 1 || !str2ull(s + 1, len - 1, &v)) return false;
        if (v == 0) return false; /* "-0" is not canonical */
        if (v > (unsigned long long)LLONG_MAX + 1) return false;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
        return true;
    }
    unsigned long long v;
    if (!str2ull(s, len, &v) || v > (unsigned long long)LLONG_MAX) return false;
    *out = (long long)v;
    return true;
}

bool str2ld(const char *s, size_t len, long double *out) {
    char tmp[256];
    if (len == 0 || len >= sizeof(tmp)) return false;
    if (isspace((unsigned char)s[0])) return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    long double v = strtold(tmp, &end);
    if (*end != '\0' || isspace((unsigned char)tmp[len - 1]) || errno == ERANGE || isnan(v))
        return false;
    *out = v;
    return true;
}

bool str2d(const char *s, size_t len, double *out) {
    char tmp[256];
    if (len == 0 || len >= sizeof(tmp)) return false;
    if (isspace((unsigned char)s[0])) return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (*end != '\0' || isspace((unsigned char)tmp[len - 1]) || (errno == ERANGE && v != 0 && !isinf(v)) || isnan(v))
        return false;
    *out = v;
    return true;
}

size_t d2str(char *dst, size_t cap, double v) {
    if (isinf(v)) return (size_t)snprintf(dst, cap, v > 0 ? "inf" : "-inf");
    return (size_t)snprintf(dst, cap, "%.17g", v);
}

size_t ld2str(char *dst, size_t cap, long double v) {
    if (isinf(v)) return (size_t)snprintf(dst, cap, v > 0 ? "inf" : "-inf");
    int n = snprintf(dst, cap, "%.17Lf", v);
    if (n < 0 || (size_t)n >= cap) return 0;
    if (strchr(dst, '.')) {
        while (n > 0 && dst[n - 1] == '0') n--;
        if (n > 0 && dst[n - 1] == '.') n--;
        dst[n] = '\0';
    }
    if (n == 2 && dst[0] == '-' && dst[1] == '0') { dst[0] = '0'; dst[1] = '\0'; n = 1; }
    return (size_t)n;
}

static inline int fold(int c, bool nocase) { return nocase ? tolower(c) : c; }

bool glob_match(const char *p, size_t plen, const char *s, size_t slen, bool nocase) {
    while (plen && slen) {
        switch (p[0]) {
        case '*':
            while (plen > 1 && p[1] == '*') p++, plen--;
            if (plen == 1) return true;
            for (;;) {
                if (glob_match(p + 1, plen - 1, s, slen, nocase)) return true;
                if (slen == 0) return false;
                s++, slen--;
            }
        case '?':
            break;
        case '[': {
            p++, plen--;
            bool neg = plen && p[0] == '^';
            if (neg) p++, plen--;
            bool hit = false;
            while (plen && p[0] != ']') {
                if (p[0] == '\\' && plen >= 2) {
                    p++, plen--;
                    if (fold(p[0], nocase) == fold(s[0], nocase)) hit = true;
                } else if (plen >= 3 && p[1] == '-') {
                    int a = fold(p[0], nocase), z = fold(p[2], nocase), c = fold(s[0], nocase);
                    if (a > z) { int t = a; a = z; z = t; }
                    if (c >= a && c <= z) hit = true;
                    p += 2, plen -= 2;
                } else if (fold(p[0], nocase) == fold(s[0], nocase)) {
                    hit = true;
                }
                p++, plen--;
            }
            if (plen == 0) { p--; plen++; } /* unterminated: treat end as ']' */
            if (neg) hit = !hit;
            if (!hit) return false;
            break;
        }
        case '\\':
            if (plen >= 2) p++, plen--;
            /* fallthrough */
        default:
            if (fold(p[0], nocase) != fold(s[0], nocase)) return false;
            break;
        }
        p++, plen--;
        s++, slen--;
    }
    while (plen && p[0] == '*') p++, plen--;
    return plen == 0 && slen == 0;
}
