/* RDB snapshots in Redis 7.0's format: byte I/O, strings, the dataset
 * writer and the opcode loop of the reader (see rdb.h; rdb_types.c reads
 * the values: codecs, and the parsing of the types Keel does not serve).
 *
 * Design notes:
 *  1. CRC64: Jones polynomial, reflected (0x95ac9329ac4bc9b5 is the
 *     reflected form of 0xad93d23594c935a9), init 0, no final xor, as
 *     Redis's crc64.c.  Slice-by-8: table t[k][b] is the CRC of byte b
 *     followed by k zero bytes, so eight input bytes fold in with eight
 *     lookups.  Loaded little-endian, the lowest byte of the word is the
 *     first of the input and still has 7 bytes to travel: t[7].
 *  2. The writer keeps the CRC of every byte it emits; the trailer is the
 *     CRC right after the EOF opcode.  The reader likewise: the expected
 *     value is in->crc after the EOF opcode, before the 8 trailer bytes.
 *  3. Strings are written as rdbSaveRawString: INT8/16/32 when the text is
 *     the canonical decimal form of an integer that fits in 32 bits ("12"
 *     but not "012" or "+1"), LZF when compression is on, the string is
 *     longer than 20 bytes and compresses to at most len-4 bytes, otherwise
 *     length + bytes.  Lengths: 00xxxxxx (< 64), 01xxxxxx xxxxxxxx (< 16384),
 *     0x80 + 4 bytes big-endian (< 2^32), 0x81 + 8 bytes big-endian.
 *  4. A length read from the input never sizes an allocation on trust:
 *     when the remaining size is known (memory, files) a longer length is
 *     an EOF error at once; otherwise (sockets) buffers grow as bytes
 *     actually arrive.  LZF: the uncompressed size is bounded by 100x the
 *     compressed size (LZF's best case is 264 bytes out of 3).
 *  5. Entries: [EXPIRETIME_MS ms] [IDLE secs | FREQ byte] type key value,
 *     IDLE under the LRU policies and FREQ under the LFU ones, as
 *     rdbSaveKeyValuePair.  On load they restore kv->lru after db_add()
 *     (which initialises it), as objectSetLRUOrLFU: LFU policies take FREQ
 *     (minutes << 8 | counter), every other policy takes IDLE
 *     (lru_clock - idle, wrapped into 24 bits).
 *  6. The EOF-mark framing of diskless transfers is the transport's job: the
 *     reader reads exactly one RDB and stops after its trailer.  An fd source
 *     may have read ahead: those bytes stay in in->buf[bufpos..buflen) (the
 *     AOF loader continues there after an RDB preamble).
 */
#include "rdb.h"

#include <errno.h>
#include <fcntl.h>
#include <liblzf/lzf.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "rdb_int.h"

#define RDB_IO_BUF (64 * 1024)
#define RDB_PROGRESS_BYTES (1u << 20)
#define RDB_REDIS_VER "7.0.15"
#define RDB_LZF_MIN 20    /* compress strings longer than this */
#define RDB_LZF_RATIO 100 /* bound on uncompressed/compressed (note 4) */

enum { ENC_INT8 = 0, ENC_INT16 = 1, ENC_INT32 = 2, ENC_LZF = 3 };

/* ---- CRC64 (note 1) ----------------------------------------------------- */

#define CRC64_POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

static uint64_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC64_POLY_REFLECTED : c >> 1;
        crc_tab[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

uint64_t rdb__crc64_bytewise(uint64_t crc, const void *p, size_t n) {
    pthread_once(&crc_once, crc_init);
    const uint8_t *s = p;
    while (n--) crc = crc_tab[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
    return crc;
}

uint64_t rdb_crc64(uint64_t crc, const void *p, size_t n) {
    pthread_once(&crc_once, crc_init);
    const uint8_t *s = p;
    while (n && ((uintptr_t)s & 7)) {
        crc = crc_tab[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
        n--;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        crc ^= w;
        crc = crc_tab[7][crc & 0xff] ^ crc_tab[6][(crc >> 8) & 0xff] ^
              crc_tab[5][(crc >> 16) & 0xff] ^ crc_tab[4][(crc >> 24) & 0xff] ^
              crc_tab[3][(crc >> 32) & 0xff] ^ crc_tab[2][(crc >> 40) & 0xff] ^
              crc_tab[1][(crc >> 48) & 0xff] ^ crc_tab[0][crc >> 56];
        s += 8;
        n -= 8;
    }
    while (n--) crc = crc_tab[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
    return crc;
}

/* ---- errors ------------------------------------------------------------- */

static char *vformat(const char *fmt, va_list ap) {
    buf_t b = BUF_INIT;
    buf_vprintf(&b, fmt, ap);
    return buf_detach(&b);
}

int rdb__corrupt(rdb_in_t *in, char **err, const char *fmt, ...) {
    buf_t b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    buf_printf(&b, " at offset %llu", (unsigned long long)in->pos);
    *err = buf_detach(&b);
    return K_EINVAL;
}

int rdb__fail(char **err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    *err = vformat(fmt, ap);
    va_end(ap);
    return K_EINVAL;
}

const char *rdb__key_for_msg(const char *k, size_t n, char out[132]) {
    size_t m = n > 128 ? 128 : n;
    for (size_t i = 0; i < m; i++) out[i] = (k[i] >= 32 && k[i] < 127) ? k[i] : '?';
    strcpy(out + m, n > m ? "..." : "");
    return out;
}

/* ---- writer ------------------------------------------------------------- */

void rdb_out_init_fd(rdb_out_t *o, int fd, bool checksum, bool compress) {
    memset(o, 0, sizeof(*o));
    o->fd = fd;
    o->bufcap = RDB_IO_BUF;
    o->buf = xmalloc(o->bufcap);
    o->checksum = checksum;
    o->compress = compress;
}

void rdb_out_init_mem(rdb_out_t *o, bool checksum, bool compress) {
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    o->checksum = checksum;
    o->compress = compress;
}

void rdb_out_free(rdb_out_t *o) {
    xfree(o->buf);
    o->buf = NULL;
    o->buflen = o->bufcap = 0;
    buf_free(&o->mem);
}

/* Blocking write of all n bytes (waits on a non-blocking socket); 0 or errno. */
static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                poll(&pfd, 1, 1000);
                continue;
            }
            return errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int rdb_out_flush(rdb_out_t *o) {
    if (o->fd >= 0 && o->buflen && !o->err) {
        int e = write_all(o->fd, o->buf, o->buflen);
        if (e) o->err = e;
    }
    o->buflen = 0;
    return o->err ? -o->err : 0;
}

void rdb_write_raw(rdb_out_t *o, const void *p, size_t n) {
    if (o->err || n == 0) return;
    if (o->checksum) o->crc = rdb_crc64(o->crc, p, n);
    uint64_t before = o->written;
    o->written += n;
    if (o->fd < 0) {
        buf_append(&o->mem, p, n);
    } else if (o->buflen + n <= o->bufcap) {
        memcpy(o->buf + o->buflen, p, n);
        o->buflen += n;
    } else {
        rdb_out_flush(o);
        if (n >= o->bufcap) {
            int e = o->err ? 0 : write_all(o->fd, p, n);
            if (e) o->err = e;
        } else {
            memcpy(o->buf, p, n);
            o->buflen = n;
        }
    }
    if (o->progress && before / RDB_PROGRESS_BYTES != o->written / RDB_PROGRESS_BYTES)
        o->progress(o, o->progress_ud);
}

void rdb_write_byte(rdb_out_t *o, uint8_t b) { rdb_write_raw(o, &b, 1); }

void rdb_write_len(rdb_out_t *o, uint64_t len) {
    uint8_t b[9];
    if (len < (1u << 6)) {
        b[0] = (uint8_t)len;
        rdb_write_raw(o, b, 1);
    } else if (len < (1u << 14)) {
        b[0] = (uint8_t)(0x40 | (len >> 8));
        b[1] = (uint8_t)len;
        rdb_write_raw(o, b, 2);
    } else if (len <= UINT32_MAX) {
        b[0] = 0x80;
        for (int i = 0; i < 4; i++) b[1 + i] = (uint8_t)(len >> (24 - 8 * i));
        rdb_write_raw(o, b, 5);
    } else {
        b[0] = 0x81;
        for (int i = 0; i < 8; i++) b[1 + i] = (uint8_t)(len >> (56 - 8 * i));
        rdb_write_raw(o, b, 9);
    }
}

/* rdbEncodeInteger: the INT8/16/32 form of v into enc; its length, or 0. */
static size_t encode_int(long long v, uint8_t enc[5]) {
    size_t n;
    if (v >= INT8_MIN && v <= INT8_MAX)
        n = 1;
    else if (v >= INT16_MIN && v <= INT16_MAX)
        n = 2;
    else if (v >= INT32_MIN && v <= INT32_MAX)
        n = 4;
    else
        return 0;
    enc[0] = (uint8_t)(0xC0 | (n == 1 ? ENC_INT8 : n == 2 ? ENC_INT16 : ENC_INT32));
    for (size_t i = 0; i < n; i++) enc[1 + i] = (uint8_t)((unsigned long long)v >> (8 * i));
    return n + 1;
}

/* rdbSaveLzfStringObject: true if written compressed. */
static bool write_lzf(rdb_out_t *o, const char *p, size_t n) {
    if (n <= 4 || n > UINT_MAX) return false;
    char stackbuf[512];
    size_t outlen = n - 4;
    char *out = outlen + 1 <= sizeof(stackbuf) ? stackbuf : xmalloc(outlen + 1);
    unsigned clen = lzf_compress(p, (unsigned)n, out, (unsigned)outlen);
    if (clen) {
        rdb_write_byte(o, 0xC0 | ENC_LZF);
        rdb_write_len(o, clen);
        rdb_write_len(o, n);
        rdb_write_raw(o, out, clen);
    }
    if (out != stackbuf) xfree(out);
    return clen != 0;
}

void rdb_write_string(rdb_out_t *o, const char *p, size_t n) {
    if (n <= 11) {
        long long v;
        char tmp[24];
        uint8_t enc[5];
        size_t el;
        if (str2ll(p, n, &v) && ll2str(tmp, v) == n && memcmp(tmp, p, n) == 0 &&
            (el = encode_int(v, enc))) {
            rdb_write_raw(o, enc, el);
            return;
        }
    }
    if (o->compress && n > RDB_LZF_MIN && write_lzf(o, p, n)) return;
    rdb_write_len(o, n);
    rdb_write_raw(o, p, n);
}

void rdb_write_ll_as_string(rdb_out_t *o, long long v) {
    uint8_t enc[5];
    size_t el = encode_int(v, enc);
    if (el) {
        rdb_write_raw(o, enc, el);
        return;
    }
    char tmp[24];
    size_t n = ll2str(tmp, v);
    rdb_write_len(o, n);
    rdb_write_raw(o, tmp, n);
}

void rdb_write_ms_time(rdb_out_t *o, int64_t ms) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)ms >> (8 * i));
    rdb_write_raw(o, b, 8);
}

/* ---- values ------------------------------------------------------------- */

/* A non-string value with no codec cannot be in the keyspace. */
static const rdb_type_codec_t *codec_or_die(const kv_t *kv) {
    const rdb_type_codec_t *c = rdb__codec((int)kv->type);
    if (!c) {
        log_warning("RDB: no codec registered for values of type %s", kv_type_name((int)kv->type));
        abort();
    }
    return c;
}

int rdb_value_type(const kv_t *kv) {
    if (kv->type == OBJ_STRING) return RDB_TYPE_STRING;
    return codec_or_die(kv)->rdb_type(kv);
}

void rdb_write_value(rdb_out_t *o, const kv_t *kv) {
    if (kv->type != OBJ_STRING) {
        codec_or_die(kv)->write(o, kv);
    } else if (kv->enc == ENC_INT) {
        rdb_write_ll_as_string(o, kv->v.i);
    } else {
        char tmp[32];
        size_t n;
        const char *p = kv_str(kv, tmp, &n);
        rdb_write_string(o, p, n);
    }
}

static bool policy_is_lfu(void) {
    int p = server.cfg.maxmemory_policy;
    return p == MAXMEMORY_ALLKEYS_LFU || p == MAXMEMORY_VOLATILE_LFU;
}

static bool policy_is_lru(void) {
    int p = server.cfg.maxmemory_policy;
    return p == MAXMEMORY_ALLKEYS_LRU || p == MAXMEMORY_VOLATILE_LRU;
}

void rdb_write_entry(rdb_out_t *o, const kv_t *kv) {
    if (kv->has_exp) {
        rdb_write_byte(o, RDB_OPCODE_EXPIRETIME_MS);
        rdb_write_ms_time(o, kv_exp(kv)->at_ms);
    }
    if (policy_is_lru()) {
        rdb_write_byte(o, RDB_OPCODE_IDLE);
        rdb_write_len(o, (uint64_t)kv_idle_ms(kv) / 1000);
    } else if (policy_is_lfu()) {
        rdb_write_byte(o, RDB_OPCODE_FREQ);
        rdb_write_byte(o, kv_lfu_counter(kv));
    }
    rdb_write_byte(o, (uint8_t)rdb_value_type(kv));
    rdb_write_string(o, kv_key(kv), kv->klen);
    rdb_write_value(o, kv);
}

/* ---- whole dataset ------------------------------------------------------ */

static void write_aux(rdb_out_t *o, const char *key, const char *val) {
    rdb_write_byte(o, RDB_OPCODE_AUX);
    rdb_write_string(o, key, strlen(key));
    rdb_write_string(o, val, strlen(val));
}

/* rdbSaveAuxFieldStrInt: the decimal text, which rdbSaveRawString may then
 * integer-encode. */
static void write_aux_ll(rdb_out_t *o, const char *key, long long v) {
    char tmp[24];
    tmp[ll2str(tmp, v)] = '\0';
    write_aux(o, key, tmp);
}

int rdb_save_stream(rdb_out_t *o, const rdb_save_info_t *rsi) {
    char magic[16];
    snprintf(magic, sizeof(magic), "REDIS%04d", RDB_VERSION);
    rdb_write_raw(o, magic, 9);
    write_aux(o, "redis-ver", RDB_REDIS_VER);
    write_aux_ll(o, "redis-bits", sizeof(void *) == 8 ? 64 : 32);
    write_aux_ll(o, "ctime", (long long)time(NULL));
    write_aux_ll(o, "used-mem", (long long)alloc_used_memory());
    if (rsi && rsi->repl_id) {
        write_aux_ll(o, "repl-stream-db", rsi->repl_stream_db);
        write_aux(o, "repl-id", rsi->repl_id);
        write_aux_ll(o, "repl-offset", rsi->repl_offset);
    }
    write_aux_ll(o, "aof-base", rsi && rsi->aof_base);
    for (int i = 0; i < ks.ndbs && !o->err && !(rsi && rsi->skip_data); i++) {
        db_t *db = &ks.dbs[i];
        if (db_size(db) == 0) continue;
        rdb_write_byte(o, RDB_OPCODE_SELECTDB);
        rdb_write_len(o, (uint64_t)i);
        rdb_write_byte(o, RDB_OPCODE_RESIZEDB);
        rdb_write_len(o, db_size(db));
        rdb_write_len(o, db_expires(db));
        ht_iter_t it;
        ht_iter_init(&it, &db->keys);
        for (ht_node_t *n; !o->err && (n = ht_iter_next(&it));) rdb_write_entry(o, (kv_t *)n);
        ht_iter_done(&it);
    }
    rdb_write_byte(o, RDB_OPCODE_EOF);
    uint64_t crc = o->checksum ? o->crc : 0;
    uint8_t t[8];
    for (int i = 0; i < 8; i++) t[i] = (uint8_t)(crc >> (8 * i));
    rdb_write_raw(o, t, 8);
    return rdb_out_flush(o);
}

/* The directory part of path ("." for a bare name); caller frees. */
static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

/* The absolute form of dir for messages ("unknown" if it cannot be found). */
static void dir_for_msg(const char *dir, char *out, size_t cap) {
    char *abs = realpath(dir, NULL);
    snprintf(out, cap, "%s", abs ? abs : dir);
    free(abs);
}

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) < 0 && errno != EINVAL && errno != EROFS ? -errno : 0;
    close(fd);
    return rc;
}

int rdb_save_file(const char *path, const rdb_save_info_t *rsi, bool checksum, bool compress,
                  char **err) {
    *err = NULL;
    char *dir = dir_of(path);
    char root[PATH_MAX];
    buf_t tmp = BUF_INIT;
    int pid = (int)getpid(), rc = 0;
    buf_printf(&tmp, "%s/temp-%d.rdb", dir, pid);
    int fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        dir_for_msg(dir, root, sizeof(root));
        rdb__fail(
            err,
            "Failed opening the temp RDB file temp-%d.rdb (in server root dir %s) for saving: %s",
            pid, root, strerror(-rc));
        goto out;
    }
    rdb_out_t o;
    rdb_out_init_fd(&o, fd, checksum, compress);
    rc = rdb_save_stream(&o, rsi);
    rdb_out_free(&o);
    if (rc == 0 && fsync(fd) < 0) rc = -errno;
    if (close(fd) < 0 && rc == 0) rc = -errno;
    if (rc) {
        rdb__fail(err, "Write error saving DB on disk: %s", strerror(-rc));
        unlink(tmp.p);
        goto out;
    }
    if (rename(tmp.p, path) < 0) {
        rc = -errno;
        dir_for_msg(dir, root, sizeof(root));
        rdb__fail(err,
                  "Error moving temp DB file temp-%d.rdb on the final destination %s (in server "
                  "root dir %s): %s",
                  pid, path, root, strerror(-rc));
        unlink(tmp.p);
        goto out;
    }
    if ((rc = fsync_dir(dir)) < 0)
        rdb__fail(err, "Failed to fsync directory while saving DB: %s", strerror(-rc));
out:
    buf_free(&tmp);
    xfree(dir);
    return rc;
}

/* ---- reader: bytes ------------------------------------------------------ */

void rdb_in_init_fd(rdb_in_t *in, int fd, uint64_t total) {
    memset(in, 0, sizeof(*in));
    in->fd = fd;
    in->total = total;
    in->bufcap = RDB_IO_BUF;
    in->buf = xmalloc(in->bufcap);
}

void rdb_in_init_mem(rdb_in_t *in, const void *p, size_t n) {
    memset(in, 0, sizeof(*in));
    in->fd = -1;
    in->mem = p;
    in->memlen = n;
    in->total = n;
}

void rdb_in_free(rdb_in_t *in) {
    xfree(in->buf);
    in->buf = NULL;
}

/* Bytes left when known (note 4), else UINT64_MAX. */
static uint64_t in_remaining(const rdb_in_t *in) {
    if (in->fd < 0) return in->memlen - in->pos;
    if (in->total) return in->total > in->pos ? in->total - in->pos : 0;
    return UINT64_MAX;
}

static int eof_error(rdb_in_t *in, char **err) {
    return rdb__corrupt(in, err, "Unexpected EOF reading RDB file");
}

/* The CRC is folded over what was consumed in bulk, not per read: at every
 * refill (the consumed bytes are the tail of the buffer being replaced) and
 * before the trailer is checked.  Per-read folding cost more than parsing. */
static void crc_fold(rdb_in_t *in) {
    uint64_t n = in->pos - in->crc_from;
    if (!n) return;
    const unsigned char *p = in->fd < 0 ? in->mem + in->crc_from : in->buf + in->bufpos - n;
    in->crc = rdb_crc64(in->crc, p, (size_t)n);
    in->crc_from = in->pos;
}

uint64_t rdb_in_crc(rdb_in_t *in) {
    crc_fold(in);
    return in->crc;
}

static int fill(rdb_in_t *in, char **err) {
    crc_fold(in);
    for (;;) {
        ssize_t r = read(in->fd, in->buf, in->bufcap);
        if (r > 0) {
            in->buflen = (size_t)r;
            in->bufpos = 0;
            return 0;
        }
        if (r == 0) return eof_error(in, err);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            struct pollfd pfd = {.fd = in->fd, .events = POLLIN};
            poll(&pfd, 1, 1000);
            continue;
        }
        int e = errno;
        rdb__fail(err, "Error reading the RDB file at offset %llu: %s", (unsigned long long)in->pos,
                  strerror(e));
        return K_EIO;
    }
}

/* The general case: refills, reads across buffers, memory sources, progress. */
static int read_raw_slow(rdb_in_t *in, void *p, size_t n, char **err) {
    uint8_t *dst = p;
    uint64_t start = in->pos;
    if (in->fd < 0) {
        if (n > in->memlen - in->pos) return eof_error(in, err);
        memcpy(dst, in->mem + in->pos, n);
        in->pos += n;
    } else {
        while (n) {
            if (in->bufpos == in->buflen) {
                int rc = fill(in, err);
                if (rc) return rc;
            }
            size_t k = in->buflen - in->bufpos;
            if (k > n) k = n;
            memcpy(dst, in->buf + in->bufpos, k);
            in->bufpos += k;
            in->pos += k;
            dst += k;
            n -= k;
        }
    }
    if (in->progress && start / RDB_PROGRESS_BYTES != in->pos / RDB_PROGRESS_BYTES)
        in->progress(in, in->progress_ud);
    return 0;
}

int rdb_read_raw(rdb_in_t *in, void *p, size_t n, char **err) {
    /* Fast path: the bytes are in the buffer and no progress boundary is
     * crossed (a refill always goes through the slow path, which reports). */
    if (in->fd >= 0 && n <= in->buflen - in->bufpos &&
        in->pos / RDB_PROGRESS_BYTES == (in->pos + n) / RDB_PROGRESS_BYTES) {
        memcpy(p, in->buf + in->bufpos, n);
        in->bufpos += n;
        in->pos += n;
        return 0;
    }
    return read_raw_slow(in, p, n, err);
}

int rdb_read_byte(rdb_in_t *in, uint8_t *b, char **err) { return rdb_read_raw(in, b, 1, err); }

int rdb_read_len(rdb_in_t *in, uint64_t *len, bool *encoded, char **err) {
    uint8_t b[8];
    int rc = rdb_read_byte(in, b, err);
    if (rc) return rc;
    if (encoded) *encoded = false;
    switch (b[0] >> 6) {
    case 0:
        *len = b[0] & 0x3F;
        return 0;
    case 1: {
        uint8_t lo;
        if ((rc = rdb_read_byte(in, &lo, err))) return rc;
        *len = ((uint64_t)(b[0] & 0x3F) << 8) | lo;
        return 0;
    }
    case 3:
        if (!encoded) return rdb__corrupt(in, err, "Unexpected encoded length 0x%02x", b[0]);
        *encoded = true;
        *len = b[0] & 0x3F;
        return 0;
    }
    size_t n = b[0] == 0x80 ? 4 : b[0] == 0x81 ? 8 : 0;
    if (!n) return rdb__corrupt(in, err, "Unknown length encoding 0x%02x", b[0]);
    if ((rc = rdb_read_raw(in, b, n, err))) return rc;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | b[i];
    *len = v;
    return 0;
}

/* Appends n bytes from the input to out (note 4). */
static int read_into(rdb_in_t *in, buf_t *out, uint64_t n, char **err) {
    uint64_t left = in_remaining(in);
    if (n > left) {
        /* Consume what there is, so the offset says where the input ended. */
        if (left != UINT64_MAX && in->fd < 0) in->pos = in->memlen;
        return eof_error(in, err);
    }
    while (n) {
        size_t chunk = left != UINT64_MAX
                           ? (size_t)n
                           : (size_t)(n < out->len + (1u << 20) ? n : out->len + (1u << 20));
        buf_reserve(out, chunk);
        int rc = rdb_read_raw(in, out->p + out->len, chunk, err);
        if (rc) {
            out->p[out->len] = '\0';
            return rc;
        }
        out->len += chunk;
        out->p[out->len] = '\0';
        n -= chunk;
    }
    return 0;
}

static int read_lzf(rdb_in_t *in, buf_t *out, char **err) {
    uint64_t clen, len;
    int rc;
    if ((rc = rdb_read_len(in, &clen, NULL, err)) || (rc = rdb_read_len(in, &len, NULL, err)))
        return rc;
    if (clen == 0 || len == 0 || clen > UINT_MAX || len > UINT_MAX || len > clen * RDB_LZF_RATIO)
        return rdb__corrupt(in, err, "Invalid LZF compressed string (%llu -> %llu bytes)",
                            (unsigned long long)clen, (unsigned long long)len);
    buf_t c = BUF_INIT;
    if ((rc = read_into(in, &c, clen, err))) {
        buf_free(&c);
        return rc;
    }
    buf_reserve(out, (size_t)len);
    unsigned got = lzf_decompress(c.p, (unsigned)clen, out->p, (unsigned)len);
    buf_free(&c);
    if (got != len) return rdb__corrupt(in, err, "Invalid LZF compressed string");
    out->len = (size_t)len;
    out->p[out->len] = '\0';
    return 0;
}

int rdb_read_string(rdb_in_t *in, buf_t *out, char **err) {
    uint64_t len;
    bool enc;
    buf_clear(out);
    buf_reserve(out, 0);
    out->p[0] = '\0';
    int rc = rdb_read_len(in, &len, &enc, err);
    if (rc) return rc;
    if (!enc) return read_into(in, out, len, err);
    if (len == ENC_LZF) return read_lzf(in, out, err);
    if (len > ENC_INT32)
        return rdb__corrupt(in, err, "Unknown RDB string encoding type %llu",
                            (unsigned long long)len);
    uint8_t b[4];
    size_t n = len == ENC_INT8 ? 1 : len == ENC_INT16 ? 2 : 4;
    if ((rc = rdb_read_raw(in, b, n, err))) return rc;
    uint32_t u = 0;
    for (size_t i = 0; i < n; i++) u |= (uint32_t)b[i] << (8 * i);
    long long v = n == 1 ? (int8_t)u : n == 2 ? (int16_t)u : (int32_t)u;
    buf_put_ll(out, v);
    return 0;
}

int rdb_read_ms_time(rdb_in_t *in, int64_t *ms, char **err) {
    uint8_t b[8];
    int rc = rdb_read_raw(in, b, 8, err);
    if (rc) return rc;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)b[i] << (8 * i);
    *ms = (int64_t)v;
    return 0;
}

/* ---- reader: the opcode loop -------------------------------------------- */

typedef struct load {
    rdb_in_t *in;
    int mode;
    rdb_load_info_t *info;
    const rdb__observer_t *obs;
    db_t *db;
    int64_t expire;     /* ms, -1 if none */
    long long lru_idle; /* seconds, -1 if none */
    int lfu_freq;       /* -1 if none */
    buf_t key, val;
    char **err;
} load_t;

#define OBS(l, cb, ...)                                                                            \
    do {                                                                                           \
        if ((l)->obs && (l)->obs->cb) (l)->obs->cb((l)->obs->ud, (l)->in, __VA_ARGS__);            \
    } while (0)

static void aux_field(load_t *l, const char *k, const char *v, size_t vlen) {
    rdb_load_info_t *info = l->info;
    bool insert = l->mode == RDB_LOAD_INSERT;
    if (k[0] == '%') {
        if (insert) log_notice("RDB '%s': %s", k, v);
    } else if (!strcasecmp(k, "repl-stream-db")) {
        info->repl_stream_db = atoi(v);
    } else if (!strcasecmp(k, "repl-id")) {
        if (vlen == 40) memcpy(info->repl_id, v, 41);
    } else if (!strcasecmp(k, "repl-offset")) {
        info->repl_offset = strtoll(v, NULL, 10);
    } else if (!strcasecmp(k, "ctime")) {
        info->ctime = strtoll(v, NULL, 10);
        long long age = (long long)time(NULL) - info->ctime;
        if (insert) log_notice("RDB age %lld seconds", age < 0 ? 0 : age);
    } else if (!strcasecmp(k, "aof-base") || !strcasecmp(k, "aof-preamble")) {
        info->aof_base = atoi(v) != 0;
    } else if (!strcasecmp(k, "redis-ver")) {
        if (insert) log_notice("Loading RDB produced by version %s", v);
    } else if (!strcasecmp(k, "used-mem")) {
        if (insert)
            log_notice("RDB memory usage when created %.2f Mb",
                       (double)strtoll(v, NULL, 10) / (1024 * 1024));
    }
    /* Anything else (redis-bits, lua, unknown fields) is ignored, as Redis does. */
}

/* objectSetLRUOrLFU (note 5). */
static void restore_lru(kv_t *kv, long long idle, int freq) {
    if (policy_is_lfu()) {
        if (freq >= 0)
            kv->lru = (((uint32_t)(server.now_ms / 60000) & 65535) << 8) | (uint32_t)freq;
    } else if (idle >= 0) {
        if (idle > LRU_CLOCK_MAX) idle = LRU_CLOCK_MAX;
        long long abs = (long long)server.lru_clock - idle;
        if (abs < 0) abs += LRU_CLOCK_MAX;
        kv->lru = (uint32_t)abs & LRU_CLOCK_MAX;
    }
}

static int load_entry(load_t *l, int type) {
    rdb_in_t *in = l->in;
    int rc;
    if (!rdb__is_value_type(type) && type != RDB_TYPE_MODULE && type != RDB_TYPE_MODULE_2)
        return rdb__corrupt(in, l->err, "Unknown RDB encoding type %d", type);
    if ((rc = rdb_read_string(in, &l->key, l->err))) return rc;
    OBS(l, key, type, l->key.p, l->key.len);
    char k[132];
    kv_t *kv;
    bool empty;
    rc = rdb__read_value(in, l->mode, type, l->key.p, l->key.len, l->expire != -1, &l->val, &kv,
                         &empty, l->err);
    if (rc) {
        /* Say which key a format error is in (refusals name it already;
         * keel-check-rdb prints the key on its own line). */
        if (!l->obs && *l->err && strncmp(*l->err, "Can't load key", 14) != 0) {
            char *why = *l->err;
            *l->err = NULL;
            rdb__fail(l->err, "%s (reading key '%s' of type %s)", why,
                      rdb__key_for_msg(l->key.p, l->key.len, k), rdb__type_name(type));
            xfree(why);
        }
        return rc;
    }
    bool expired = l->expire != -1 && l->expire < server.now_ms;
    OBS(l, value, l->expire, expired, empty);
    if (l->mode == RDB_LOAD_CHECK) {
        l->info->keys_loaded++;
        if (expired) l->info->keys_expired++;
        return 0;
    }
    if (empty) {
        log_warning("rdbLoadObject skipping empty key: %s",
                    rdb__key_for_msg(l->key.p, l->key.len, k));
    } else if (expired && !ks.is_replica) {
        kv_free(kv);
        l->info->keys_expired++;
    } else {
        if (kv->has_exp) kv_exp(kv)->at_ms = l->expire;
        if (!db_add_new(l->db, kv)) {
            kv_free(kv);
            return rdb__fail(l->err, "Duplicate key '%s' found in RDB file",
                             rdb__key_for_msg(l->key.p, l->key.len, k));
        }
        restore_lru(kv, l->lru_idle, l->lfu_freq);
        l->info->keys_loaded++;
    }
    return 0;
}

/* One opcode (or entry): 1 at EOF, 0 to continue, or an error. */
static int load_op(load_t *l, uint8_t type) {
    rdb_in_t *in = l->in;
    char **err = l->err;
    int rc = 0;
    uint64_t a, b;
    uint8_t t[4];
    switch (type) {
    case RDB_OPCODE_EOF:
        return 1;
    case RDB_OPCODE_EXPIRETIME: /* seconds, 4 bytes little-endian (old format) */
        if ((rc = rdb_read_raw(in, t, 4, err))) return rc;
        l->expire = (int64_t)(int32_t)((uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
                                       (uint32_t)t[3] << 24) *
                    1000;
        return 0;
    case RDB_OPCODE_EXPIRETIME_MS:
        return rdb_read_ms_time(in, &l->expire, err);
    case RDB_OPCODE_FREQ:
        if ((rc = rdb_read_byte(in, t, err))) return rc;
        l->lfu_freq = t[0];
        return 0;
    case RDB_OPCODE_IDLE:
        if ((rc = rdb_read_len(in, &a, NULL, err))) return rc;
        l->lru_idle = a > (uint64_t)LLONG_MAX ? LLONG_MAX : (long long)a;
        return 0;
    case RDB_OPCODE_SELECTDB:
        if ((rc = rdb_read_len(in, &a, NULL, err))) return rc;
        if (l->mode == RDB_LOAD_INSERT) {
            if (a >= (uint64_t)ks.ndbs)
                return rdb__fail(
                    err,
                    "FATAL: Data file was created with a Redis server configured to handle "
                    "more than %d databases (it selects DB %llu)",
                    ks.ndbs, (unsigned long long)a);
            l->db = db_get((int)a);
        }
        OBS(l, selectdb, a);
        return 0;
    case RDB_OPCODE_RESIZEDB:
        if ((rc = rdb_read_len(in, &a, NULL, err)) || (rc = rdb_read_len(in, &b, NULL, err)))
            return rc;
        OBS(l, resizedb, a, b);
        /* Size the tables once instead of rehashing while loading.  The
         * hint is capped by what the input can hold (an entry takes at least
         * 3 bytes), so a hostile file cannot make us allocate at will. */
        if (l->mode == RDB_LOAD_INSERT && l->db) {
            uint64_t cap = in->total ? in->total / 3 : (1u << 20);
            db_expand(l->db, (size_t)(a < cap ? a : cap), (size_t)(b < cap ? b : cap));
        }
        return 0;
    case RDB_OPCODE_AUX: {
        buf_t *k = &l->key, *v = &l->val;
        if ((rc = rdb_read_string(in, k, err)) || (rc = rdb_read_string(in, v, err))) return rc;
        aux_field(l, k->p, v->p, v->len);
        OBS(l, aux, k->p, v->p);
        return 0;
    }
    case RDB_OPCODE_MODULE_AUX:
        if (l->mode != RDB_LOAD_CHECK) {
            char name[10];
            if ((rc = rdb_read_len(in, &a, NULL, err))) return rc;
            rdb__module_name(a, name);
            return rdb__fail(
                err,
                "The RDB file contains AUX data of module '%s': this build of Keel does "
                "not support modules",
                name);
        }
        if ((rc = rdb__read_module_aux(in, &a, err))) return rc;
        char what[64], name[10];
        rdb__module_name(a, name);
        snprintf(what, sizeof(what), "MODULE AUX for: %s", name);
        OBS(l, note, what);
        return 0;
    case RDB_OPCODE_FUNCTION:
        return rdb__fail(err, "Pre-release function format not supported");
    case RDB_OPCODE_FUNCTION2:
        if (l->mode != RDB_LOAD_CHECK)
            return rdb__fail(
                err, "The RDB file contains function libraries: this build of Keel does not "
                     "support functions");
        if ((rc = rdb_read_string(in, &l->val, err))) return rc;
        OBS(l, note, "Function library");
        return 0;
    default:
        rc = load_entry(l, type);
        l->expire = -1;
        l->lru_idle = -1;
        l->lfu_freq = -1;
        return rc;
    }
}

static int check_trailer(load_t *l) {
    crc_fold(l->in);
    uint64_t computed = l->in->crc, stored = 0;
    uint8_t t[8];
    int rc = rdb_read_raw(l->in, t, 8, l->err);
    if (rc) return rc;
    for (int i = 0; i < 8; i++) stored |= (uint64_t)t[i] << (8 * i);
    if (l->mode == RDB_LOAD_INSERT && !server.cfg.rdbchecksum) return 0;
    if (stored == 0) {
        if (l->mode == RDB_LOAD_INSERT)
            log_warning("RDB file was saved with checksum disabled: no check performed.");
    } else if (stored != computed) {
        return rdb__fail(l->err, "Wrong RDB checksum expected: 0x%016llx got: 0x%016llx",
                         (unsigned long long)computed, (unsigned long long)stored);
    }
    OBS(l, checksum, stored, computed);
    return 0;
}

int rdb__load(rdb_in_t *in, int mode, rdb_load_info_t *info, const rdb__observer_t *obs,
              char **err) {
    *err = NULL;
    memset(info, 0, sizeof(*info));
    info->repl_stream_db = -1;
    info->repl_offset = -1;
    info->ctime = -1;
    load_t l = {.in = in,
                .mode = mode,
                .info = info,
                .obs = obs,
                .expire = -1,
                .lru_idle = -1,
                .lfu_freq = -1,
                .key = BUF_INIT,
                .val = BUF_INIT,
                .err = err};
    if (mode == RDB_LOAD_INSERT && !(l.db = db_get(0)))
        return rdb__fail(err, "No databases to load into");
    char magic[10];
    int rc = rdb_read_raw(in, magic, 9, err);
    if (rc) return rc;
    magic[9] = '\0';
    bool digits = true;
    for (int i = 5; i < 9; i++) digits &= magic[i] >= '0' && magic[i] <= '9';
    if (memcmp(magic, "REDIS", 5) != 0 || !digits)
        return rdb__fail(err, "Wrong signature trying to load DB from file");
    int ver = atoi(magic + 5);
    if (ver < 1 || ver > RDB_VERSION)
        return rdb__fail(err, "Can't handle RDB format version %d", ver);
    info->rdb_version = ver;
    for (;;) {
        uint8_t type;
        if ((rc = rdb_read_byte(in, &type, err))) break;
        if ((rc = load_op(&l, type))) break;
    }
    if (rc == 1 && obs && obs->eof) obs->eof(obs->ud, in);
    if (rc == 1) rc = ver >= 5 ? check_trailer(&l) : 0;
    buf_free(&l.key);
    buf_free(&l.val);
    return rc;
}

int rdb_load_stream(rdb_in_t *in, int mode, rdb_load_info_t *info, char **err) {
    return rdb__load(in, mode, info, NULL, err);
}

int rdb_load_file(const char *path, int mode, rdb_load_info_t *info,
                  void (*progress)(rdb_in_t *in, void *ud), void *ud, char **err) {
    *err = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return K_ENOENT;
        rdb__fail(err, "Can't open the RDB file %s: %s", path, strerror(errno));
        return K_EIO;
    }
    struct stat st;
    uint64_t total = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    rdb_in_t in;
    rdb_in_init_fd(&in, fd, total);
    in.progress = progress;
    in.progress_ud = ud;
    int rc = rdb__load(&in, mode, info, NULL, err);
    rdb_in_free(&in);
    close(fd);
    return rc;
}
