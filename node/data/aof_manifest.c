/* The AOF's file formats, with no server state: the manifest (which files
 * make up the append-only file), the feed encoding of one operation, and the
 * command reader used by the loader.  All in Redis 7.0's formats, so Redis
 * and redis-check-aof read our directories and we read theirs.
 *
 * Format: one line per file, "file <name> seq <n> type <b|h|i>", base
 * first, then history, then incr files in load order.  Names needing it are
 * quoted as Redis's sdscatrepr does; lines starting with '#' are comments.
 *
 * Design notes:
 *  1. Naming: base "<fn>.<seq>.base.rdb" (RDB preamble) or ".base.aof",
 *     incr "<fn>.<seq>.incr.aof".  Seqs only grow: base_seq/incr_seq remember
 *     the last one handed out, taken from the manifest on load (the base's
 *     seq, the last incr's seq), so a file name is never reused.
 *     Example: base 2, incr 3 and 4 loaded; a rewrite opens incr 5, and on
 *     success writes base 3, while base 2 and incr 3..4 become history.
 *  2. Changes are made on a copy (aof__manifest_dup) and installed only when
 *     aof__manifest_persist() succeeded, so the in-memory manifest always
 *     matches the disk.
 *  3. Persisting is atomic: temp file, fsync, rename over the manifest, fsync
 *     of the directory (new files named by the manifest must survive a crash
 *     together with it).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "aof_int.h"
#include "err.h"
#include "log.h"
#include "resp.h"

/* ---- lists ---------------------------------------------------------------- */

void aof__manifest_init(aof_manifest_t *m) { memset(m, 0, sizeof(*m)); }

static void info_free(aof_info_t *ai) {
    xfree(ai->name);
    ai->name = NULL;
}

void aof__manifest_clear_history(aof_manifest_t *m) {
    for (int i = 0; i < m->nhist; i++) info_free(&m->hist[i]);
    m->nhist = 0;
    m->dirty = true;
}

void aof__manifest_free(aof_manifest_t *m) {
    if (m->has_base) info_free(&m->base);
    for (int i = 0; i < m->nhist; i++) info_free(&m->hist[i]);
    for (int i = 0; i < m->nincr; i++) info_free(&m->incr[i]);
    xfree(m->hist);
    xfree(m->incr);
    aof__manifest_init(m);
}

static void list_insert(aof_info_t **arr, int *n, int *cap, int at, const aof_info_t *ai) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *arr = xrealloc(*arr, sizeof(aof_info_t) * (size_t)*cap);
    }
    memmove(*arr + at + 1, *arr + at, sizeof(aof_info_t) * (size_t)(*n - at));
    (*arr)[at] = *ai;
    (*n)++;
}

static aof_info_t info_dup(const aof_info_t *ai) {
    aof_info_t c = *ai;
    c.name = xstrdup(ai->name);
    return c;
}

void aof__manifest_dup(aof_manifest_t *dst, const aof_manifest_t *src) {
    aof__manifest_init(dst);
    dst->has_base = src->has_base;
    if (src->has_base) dst->base = info_dup(&src->base);
    for (int i = 0; i < src->nhist; i++) {
        aof_info_t c = info_dup(&src->hist[i]);
        list_insert(&dst->hist, &dst->nhist, &dst->histcap, dst->nhist, &c);
    }
    for (int i = 0; i < src->nincr; i++) {
        aof_info_t c = info_dup(&src->incr[i]);
        list_insert(&dst->incr, &dst->nincr, &dst->incrcap, dst->nincr, &c);
    }
    dst->base_seq = src->base_seq;
    dst->incr_seq = src->incr_seq;
    dst->dirty = src->dirty;
}

/* ---- naming and sequence numbers ---------------------------------------- */

static char *fmt_name(const char *fn, long long seq, const char *kind, const char *ext) {
    buf_t b = BUF_INIT;
    buf_printf(&b, "%s.%lld%s%s", fn, seq, kind, ext);
    return buf_detach(&b);
}

const char *aof__manifest_new_base(aof_manifest_t *m, const char *fn, bool rdb) {
    if (m->has_base) {
        m->base.type = AOF_FILE_HIST;
        list_insert(&m->hist, &m->nhist, &m->histcap, 0, &m->base);
    }
    m->base.seq = ++m->base_seq;
    m->base.type = AOF_FILE_BASE;
    m->base.name = fmt_name(fn, m->base.seq, ".base", rdb ? ".rdb" : ".aof");
    m->has_base = true;
    m->dirty = true;
    return m->base.name;
}

const char *aof__manifest_new_incr(aof_manifest_t *m, const char *fn) {
    aof_info_t ai = {.seq = ++m->incr_seq, .type = AOF_FILE_INCR};
    ai.name = fmt_name(fn, ai.seq, ".incr", ".aof");
    list_insert(&m->incr, &m->nincr, &m->incrcap, m->nincr, &ai);
    m->dirty = true;
    return m->incr[m->nincr - 1].name;
}

const char *aof__manifest_last_incr(aof_manifest_t *m, const char *fn) {
    if (m->nincr == 0) return aof__manifest_new_incr(m, fn);
    return m->incr[m->nincr - 1].name;
}

void aof__manifest_mark_incr_history(aof_manifest_t *m, bool keep_last) {
    int n = keep_last ? m->nincr - 1 : m->nincr;
    if (n <= 0) return;
    /* Each moves to the head of the history, newest first, as Redis's
     * listAddNodeHead does: e.g. base 2 (already history) and incr 3, 4
     * give history 3, 4, 2. */
    for (int i = n - 1; i >= 0; i--) {
        aof_info_t ai = m->incr[i];
        ai.type = AOF_FILE_HIST;
        list_insert(&m->hist, &m->nhist, &m->histcap, 0, &ai);
    }
    memmove(m->incr, m->incr + n, sizeof(aof_info_t) * (size_t)(m->nincr - n));
    m->nincr -= n;
    m->dirty = true;
}

char *aof__path(const char *dir, const char *name) {
    buf_t b = BUF_INIT;
    buf_printf(&b, "%s/%s", dir, name);
    return buf_detach(&b);
}

/* ---- format -------------------------------------------------------------- */

bool aof__name_needs_repr(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\' || *p == '"' || *p == '\n' || *p == '\r' || *p == '\t' || *p == '\a' ||
            *p == '\b' || !isprint(*p) || isspace(*p))
            return true;
    }
    return false;
}

/* Redis's sdscatrepr. */
static void cat_repr(buf_t *out, const char *s) {
    buf_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\':
            buf_puts(out, "\\\\");
            break;
        case '"':
            buf_puts(out, "\\\"");
            break;
        case '\n':
            buf_puts(out, "\\n");
            break;
        case '\r':
            buf_puts(out, "\\r");
            break;
        case '\t':
            buf_puts(out, "\\t");
            break;
        case '\a':
            buf_puts(out, "\\a");
            break;
        case '\b':
            buf_puts(out, "\\b");
            break;
        default:
            if (isprint(*p))
                buf_putc(out, (char)*p);
            else
                buf_printf(out, "\\x%02x", *p);
        }
    }
    buf_putc(out, '"');
}

static void format_info(buf_t *out, const aof_info_t *ai) {
    buf_puts(out, "file ");
    if (aof__name_needs_repr(ai->name))
        cat_repr(out, ai->name);
    else
        buf_puts(out, ai->name);
    buf_printf(out, " seq %lld type %c\n", ai->seq, ai->type);
}

void aof__manifest_format(const aof_manifest_t *m, buf_t *out) {
    if (m->has_base) format_info(out, &m->base);
    for (int i = 0; i < m->nhist; i++) format_info(out, &m->hist[i]);
    for (int i = 0; i < m->nincr; i++) format_info(out, &m->incr[i]);
}

/* ---- parse --------------------------------------------------------------- */

#define MANIFEST_MAX_TOKENS 32

/* Parses one non-comment line (trimmed) into *ai; NULL or the error text. */
static const char *parse_line(const char *line, aof_info_t *ai) {
    int n;
    char **toks = resp_split_args(line, strlen(line), &n);
    const char *err = NULL;
    if (!toks) n = -1;
    /* "argc < 6" leaves room for fields a later version may add. */
    if (n < 6 || (n % 2) || n > MANIFEST_MAX_TOKENS) {
        err = "Invalid AOF manifest file format";
        goto done;
    }
    memset(ai, 0, sizeof(*ai));
    for (int i = 0; i < n; i += 2) {
        if (!strcasecmp(toks[i], "file")) {
            xfree(ai->name);
            ai->name = xstrdup(toks[i + 1]);
            if (strchr(ai->name, '/') || strchr(ai->name, '\\')) {
                err = "File can't be a path, just a filename";
                goto done;
            }
        } else if (!strcasecmp(toks[i], "seq")) {
            ai->seq = strtoll(toks[i + 1], NULL, 10);
        } else if (!strcasecmp(toks[i], "type")) {
            ai->type = toks[i + 1][0];
        }
    }
    if (!ai->name || !ai->seq || !ai->type) err = "Invalid AOF manifest file format";
done:
    resp_free_args(toks, n < 0 ? 0 : n);
    if (err) info_free(ai);
    return err;
}

static char *trim_dup(const char *p, size_t n) {
    while (n && strchr(" \t\r\n", *p)) p++, n--;
    while (n && strchr(" \t\r\n", p[n - 1])) n--;
    return xstrndup(p, n);
}

int aof__manifest_parse(aof_manifest_t *m, const char *text, size_t len, const char **err,
                        int *errline, char **errtext) {
    const char *e = NULL;
    char *line = NULL;
    int linenum = 0;
    long long maxseq = 0;
    size_t pos = 0;
    aof_info_t ai = {0};
    *errline = 0;
    *errtext = NULL;
    if (len == 0) {
        e = "Found an empty AOF manifest";
        goto fail;
    }
    while (pos < len) {
        linenum++;
        const char *start = text + pos;
        size_t rest = len - pos;
        const char *nl = memchr(start, '\n', rest);
        if (start[0] == '#') { /* comment */
            pos = nl ? (size_t)(nl - text) + 1 : len;
            continue;
        }
        /* Redis reads with fgets into 1024+1 bytes: the newline must come
         * within the first 1024 bytes of the line, the last line included. */
        if (!nl || (size_t)(nl - start) + 1 > AOF_MANIFEST_MAX_LINE) {
            e = "The AOF manifest file contains too long line";
            goto fail;
        }
        pos = (size_t)(nl - text) + 1;
        line = trim_dup(start, (size_t)(nl - start));
        if (!line[0] || memchr(start, '\0', (size_t)(nl - start))) {
            e = "Invalid AOF manifest file format";
            goto fail_line;
        }
        if ((e = parse_line(line, &ai)) != NULL) goto fail_line;
        if (ai.type == AOF_FILE_BASE) {
            if (m->has_base) {
                e = "Found duplicate base file information";
                goto fail_line;
            }
            m->base = ai;
            m->has_base = true;
            m->base_seq = ai.seq;
        } else if (ai.type == AOF_FILE_HIST) {
            list_insert(&m->hist, &m->nhist, &m->histcap, m->nhist, &ai);
        } else if (ai.type == AOF_FILE_INCR) {
            if (ai.seq <= maxseq) {
                e = "Found a non-monotonic sequence number";
                goto fail_line;
            }
            list_insert(&m->incr, &m->nincr, &m->incrcap, m->nincr, &ai);
            m->incr_seq = maxseq = ai.seq;
        } else {
            e = "Unknown AOF file type";
            goto fail_line;
        }
        memset(&ai, 0, sizeof(ai));
        xfree(line);
        line = NULL;
    }
    m->dirty = false;
    return 0;

fail_line:
    info_free(&ai);
    *errline = linenum;
    *errtext = line;
    line = NULL;
fail:
    xfree(line);
    aof__manifest_free(m);
    *err = e;
    return K_EINVAL;
}

int aof__manifest_load(aof_manifest_t *m, const char *path, const char **err, int *errline,
                       char **errtext) {
    *errline = 0;
    *errtext = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        if (errno == ENOENT) return K_ENOENT;
        *err = "Can't open the AOF manifest file for reading";
        return K_EINVAL;
    }
    buf_t b = BUF_INIT;
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            close(fd);
            buf_free(&b);
            *err = "Read AOF manifest failed";
            return K_EINVAL;
        }
        if (n == 0) break;
        buf_append(&b, chunk, (size_t)n);
    }
    close(fd);
    int rc = aof__manifest_parse(m, b.p ? b.p : "", b.len, err, errline, errtext);
    buf_free(&b);
    return rc;
}

/* ---- persistence --------------------------------------------------------- */

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY);
    if (fd < 0) return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

int aof__manifest_persist(aof_manifest_t *m, const char *dir, const char *fn) {
    if (!m->dirty) return 0;
    buf_t text = BUF_INIT, name = BUF_INIT, tmpname = BUF_INIT;
    aof__manifest_format(m, &text);
    buf_printf(&name, "%s.manifest", fn);
    buf_printf(&tmpname, "temp-%s.manifest", fn);
    char *path = aof__path(dir, name.p), *tmppath = aof__path(dir, tmpname.p);
    int rc = 0;
    int fd = open(tmppath, O_WRONLY | O_TRUNC | O_CREAT, 0644);
    if (fd < 0) {
        rc = -errno;
        log_warning("Can't open the AOF manifest file %s: %s", tmpname.p, strerror(errno));
        goto out;
    }
    for (size_t off = 0; off < text.len;) {
        ssize_t n = write(fd, text.p + off, text.len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = -errno;
            log_warning("Error trying to write the temporary AOF manifest file %s: %s", tmpname.p,
                        strerror(errno));
            goto out;
        }
        off += (size_t)n;
    }
    if (fsync(fd) == -1) {
        rc = -errno;
        log_warning("Fail to fsync the temp AOF file %s: %s.", tmpname.p, strerror(errno));
        goto out;
    }
    if (rename(tmppath, path) != 0) {
        rc = -errno;
        log_warning("Error trying to rename the temporary AOF manifest file %s into %s: %s",
                    tmpname.p, name.p, strerror(errno));
        goto out;
    }
    if ((rc = fsync_dir(dir)) != 0) {
        log_warning("Fail to fsync AOF directory %s: %s.", path, strerror(-rc));
        goto out;
    }
    m->dirty = false;
out:
    if (fd >= 0) close(fd);
    xfree(path);
    xfree(tmppath);
    buf_free(&text);
    buf_free(&name);
    buf_free(&tmpname);
    return rc;
}

/* ---- feed encoder -------------------------------------------------------- */

void aof__feed_encode(buf_t *out, aof_feed_state_t *st, bool ts_enabled, int64_t now_s, int dbid,
                      int argc, const char *const *argv, const size_t *lens) {
    if (ts_enabled && st->cur_ts < now_s) {
        st->cur_ts = now_s;
        buf_printf(out, "#TS:%lld\r\n", (long long)now_s);
    }
    if (dbid != -1 && dbid != st->selected_db) {
        char num[24];
        size_t n = ll2str(num, dbid);
        buf_printf(out, "*2\r\n$6\r\nSELECT\r\n$%zu\r\n", n);
        buf_append(out, num, n);
        buf_append(out, "\r\n", 2);
        st->selected_db = dbid;
    }
    resp_encode_cmd(out, argc, argv, lens);
}

/* ---- command reader ------------------------------------------------------ */

#define READ_CHUNK (64 * 1024)

typedef struct reader {
    int fd;
    char *buf;
    size_t len, pos, cap;
    uint64_t buf_off; /* file offset of buf[0] */
    bool eof;
} reader_t;

/* Moves the unread bytes to the front and reads more, so that at least
 * `want` bytes (from pos) fit.  0, or -errno. */
static int reader_fill(reader_t *r, size_t want) {
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->buf_off += r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }
    size_t need = want > r->len + READ_CHUNK ? want : r->len + READ_CHUNK;
    if (need > r->cap) {
        r->cap = need;
        r->buf = xrealloc(r->buf, r->cap + 1);
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) r->eof = true;
        r->len += (size_t)n;
        return 0;
    }
}

static bool is_word(const char *s, size_t n, const char *w) {
    return n == strlen(w) && strncasecmp(s, w, n) == 0;
}

int aof__read_commands(int fd, uint64_t start, uint64_t size, aof_cmd_fn fn, aof_tick_fn tick,
                       void *ud, aof_read_result_t *res) {
    reader_t r = {.fd = fd, .buf_off = start};
    resp_req_t req;
    resp_limits_t lim = {
        .max_bulk_len = LLONG_MAX / 4, .max_multibulk_len = INT_MAX, .max_inline_len = 64 * 1024};
    char **argv = NULL;
    size_t *lens = NULL, argcap = 0;
    bool in_multi = false;
    uint64_t before_multi = start;
    int rc = AOF_READ_OK;

    memset(res, 0, sizeof(*res));
    res->valid_up_to = start;
    resp_req_init(&req);
    if (lseek(fd, (off_t)start, SEEK_SET) == (off_t)-1) {
        res->err_errno = errno;
        rc = AOF_READ_IOERR;
        goto out;
    }
    for (;;) {
        if (r.pos == r.len) {
            if (r.eof) break;
            int e = reader_fill(&r, 0);
            if (e < 0) {
                res->err_errno = -e;
                rc = AOF_READ_IOERR;
                break;
            }
            continue;
        }
        char first = r.buf[r.pos];
        if (first == '#') { /* annotation, e.g. "#TS:1700000000" */
            char *nl = memchr(r.buf + r.pos, '\n', r.len - r.pos);
            if (nl) {
                r.pos = (size_t)(nl - r.buf) + 1;
            } else if (r.eof) {
                r.pos = r.len;
            } else if (r.len - r.pos > AOF_ANNOTATION_LINE_MAX_LEN) {
                rc = AOF_READ_FMTERR;
                break;
            } else {
                int e = reader_fill(&r, 0);
                if (e < 0) {
                    res->err_errno = -e;
                    rc = AOF_READ_IOERR;
                    break;
                }
            }
            continue;
        }
        if (first != '*') {
            rc = AOF_READ_FMTERR;
            break;
        }
        size_t consumed = 0;
        int prc = resp_req_parse(&req, r.buf + r.pos, r.len - r.pos, &lim, &consumed);
        if (prc == RESP_AGAIN) {
            size_t want = resp_req_want(&req);
            /* A bulk longer than what is left of the file cannot complete:
             * it is a truncated tail, and nothing is allocated for it. */
            if (r.eof || (want && r.buf_off + r.pos + want > size)) {
                rc = AOF_READ_TRUNCATED;
                break;
            }
            int e = reader_fill(&r, want);
            if (e < 0) {
                res->err_errno = -e;
                rc = AOF_READ_IOERR;
                break;
            }
            continue;
        }
        if (prc == RESP_EPROTO || req.argc == 0) {
            rc = AOF_READ_FMTERR;
            break;
        }
        char *base = r.buf + r.pos;
        if (req.argc > argcap) {
            argcap = req.argc;
            argv = xrealloc(argv, argcap * sizeof(*argv));
            lens = xrealloc(lens, argcap * sizeof(*lens));
        }
        for (size_t i = 0; i < req.argc; i++) {
            argv[i] = base + req.argv[i].off;
            lens[i] = req.argv[i].len;
        }
        /* Terminate each argument in place: the CRLF after it is ours. */
        for (size_t i = 0; i < req.argc; i++) argv[i][lens[i]] = '\0';
        if (is_word(argv[0], lens[0], "multi")) {
            before_multi = res->valid_up_to;
            in_multi = true;
        } else if (is_word(argv[0], lens[0], "exec") || is_word(argv[0], lens[0], "discard")) {
            in_multi = false;
        }
        if (fn && fn((int)req.argc, argv, lens, ud) != 0) {
            rc = AOF_READ_ABORTED;
            break;
        }
        r.pos += consumed;
        res->commands++;
        res->valid_up_to = r.buf_off + r.pos;
        if (tick && (res->commands & 1023) == 0) tick(res->valid_up_to, ud);
    }
    if (rc == AOF_READ_OK && in_multi) {
        res->multi_reverted = true;
        rc = AOF_READ_TRUNCATED;
    }
    /* A cut inside MULTI ... EXEC goes before the MULTI: the transaction
     * either applies whole or not at all. */
    if (rc == AOF_READ_TRUNCATED && in_multi) res->valid_up_to = before_multi;
out:
    res->end = r.buf_off + r.pos;
    resp_req_free(&req);
    xfree(r.buf);
    xfree(argv);
    xfree(lens);
    return rc;
}
