/* Reading values: the codec registry, the per-type dispatch (strings,
 * registered codecs, refusals), and the parsing and structural validation
 * of every non-string value of Redis 7.0's RDB format, for the types Keel
 * does not serve yet and for keel-check-rdb.  Validation keeps nothing: the
 * point is to know the bytes are sound (and, in INSERT mode, to refuse the
 * key only after that, naming it and its type).
 *
 * Design notes:
 *  1. The checks are those of Redis's loader with deep sanitization
 *     (sanitize-dump-payload yes): blob headers, every entry of every
 *     ziplist/listpack/zipmap/intset, duplicate members and fields, the
 *     stream entry layout inside its listpacks, and the consumer group PELs.
 *     Empty aggregates return RDB__EMPTY (the loader skips them as Redis).
 *  2. Blobs (ziplist, listpack, intset, zipmap) come inside an RDB string,
 *     usually LZF-compressed; rdb_read_string() undoes that first.
 *  3. Layouts, all integers little-endian unless noted:
 *     ziplist:  zlbytes u32, zltail u32, zllen u16 (65535 = count it), then
 *               entries <prevlen: 1 byte < 254, or 254 + u32> <encoding>
 *               <data>, then 0xFF.  Encoding 00llllll / 01llllll llllllll
 *               (big-endian) / 10000000 + u32 big-endian: string of that
 *               length; C0 int16, D0 int32, E0 int64, F0 int24, FE int8,
 *               F1..FD immediate 0..12.
 *     listpack: total bytes u32, count u16 (65535 = count it), entries
 *               <encoding><data><backlen>, then 0xFF.  Encoding 0xxxxxxx
 *               uint7, 10llllll str6, 110xxxxx xxxxxxxx int13, 1110llll
 *               llllllll str12, F0 + u32 str32, F1 int16, F2 int24, F3
 *               int32, F4 int64.  backlen = the size of encoding+data in
 *               1..5 bytes, 7 bits each, most significant first, high bit
 *               set on all but the first (so it reads right to left):
 *               200 -> 01 C8.
 *     intset:   encoding u32 (2, 4 or 8), length u32, sorted unique values.
 *     zipmap:   count byte (254 = unknown), entries <len><key><len><free>
 *               <value><free bytes>, len 1 byte < 254 or 254 + u32, then 0xFF.
 *  4. Stream listpack (streamValidateListpackIntegrity): master entry
 *     count, deleted, nfields, field names..., 0; then per entry flags,
 *     ms-diff, seq-diff, [nfields, field names... unless SAMEFIELDS],
 *     values..., lp-count = values + 3 (+ nfields + 1 without SAMEFIELDS).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "kv.h"
#include "log.h"
#include "rdb_int.h"

/* ---- names -------------------------------------------------------------- */

typedef struct type_desc {
    int obj;
    const char *name, *enc;
} type_desc_t;

static const type_desc_t types[] = {
    [RDB_TYPE_STRING] = {OBJ_STRING, "string", "string"},
    [RDB_TYPE_LIST] = {OBJ_LIST, "list", "linkedlist"},
    [RDB_TYPE_SET] = {OBJ_SET, "set", "hashtable"},
    [RDB_TYPE_ZSET] = {OBJ_ZSET, "zset", "skiplist"},
    [RDB_TYPE_HASH] = {OBJ_HASH, "hash", "hashtable"},
    [RDB_TYPE_ZSET_2] = {OBJ_ZSET, "zset", "skiplist"},
    [RDB_TYPE_MODULE] = {-1, "module", "module"},
    [RDB_TYPE_MODULE_2] = {-1, "module", "module"},
    [8] = {-1, NULL, NULL},
    [RDB_TYPE_HASH_ZIPMAP] = {OBJ_HASH, "hash", "zipmap"},
    [RDB_TYPE_LIST_ZIPLIST] = {OBJ_LIST, "list", "ziplist"},
    [RDB_TYPE_SET_INTSET] = {OBJ_SET, "set", "intset"},
    [RDB_TYPE_ZSET_ZIPLIST] = {OBJ_ZSET, "zset", "ziplist"},
    [RDB_TYPE_HASH_ZIPLIST] = {OBJ_HASH, "hash", "ziplist"},
    [RDB_TYPE_LIST_QUICKLIST] = {OBJ_LIST, "list", "quicklist"},
    [RDB_TYPE_STREAM_LISTPACKS] = {OBJ_STREAM, "stream", "listpacks"},
    [RDB_TYPE_HASH_LISTPACK] = {OBJ_HASH, "hash", "listpack"},
    [RDB_TYPE_ZSET_LISTPACK] = {OBJ_ZSET, "zset", "listpack"},
    [RDB_TYPE_LIST_QUICKLIST_2] = {OBJ_LIST, "list", "quicklist"},
    [RDB_TYPE_STREAM_LISTPACKS_2] = {OBJ_STREAM, "stream", "listpacks"},
};
#define NTYPES ((int)(sizeof(types) / sizeof(types[0])))

static const type_desc_t *desc(int t) {
    return t >= 0 && t < NTYPES && types[t].name ? &types[t] : NULL;
}

int rdb__obj_type(int t) { return desc(t) ? desc(t)->obj : -1; }
bool rdb__is_value_type(int t) { return desc(t) && desc(t)->obj >= 0; }
const char *rdb__type_name(int t) { return desc(t) ? desc(t)->name : "unknown"; }
const char *rdb__enc_name(int t) { return desc(t) ? desc(t)->enc : "unknown"; }

const char *rdb__type_plural(int t) {
    switch (rdb__obj_type(t)) {
    case OBJ_LIST:
        return "lists";
    case OBJ_SET:
        return "sets";
    case OBJ_ZSET:
        return "sorted sets";
    case OBJ_HASH:
        return "hashes";
    case OBJ_STREAM:
        return "streams";
    default:
        return "values of this type";
    }
}

/* ---- codecs ------------------------------------------------------------- */

static rdb_type_codec_t codecs[16];
static bool codec_set[16];

void rdb_register_type(const rdb_type_codec_t *codec) {
    if (codec->obj_type < 0 || codec->obj_type >= 16) abort();
    codecs[codec->obj_type] = *codec;
    codec_set[codec->obj_type] = true;
}

const rdb_type_codec_t *rdb__codec(int obj_type) {
    return obj_type >= 0 && obj_type < 16 && codec_set[obj_type] ? &codecs[obj_type] : NULL;
}

/* ---- seen sets: duplicate detection ------------------------------------- */

typedef struct seen_node {
    ht_node_t node;
    size_t len;
    char data[];
} seen_node_t;

static void seen_node_key(const ht_node_t *n, const void **key, size_t *len) {
    const seen_node_t *s = (const seen_node_t *)n;
    *key = s->data;
    *len = s->len;
}

static const ht_type_t seen_type = {ht_hash_bytes, seen_node_key, NULL};

static void seen_init(ht_t *h) { ht_init(h, &seen_type); }

/* False if p was there already. */
static bool seen_add(ht_t *h, const void *p, size_t n) {
    ht_pos_t pos;
    if (ht_lookup(h, p, n, &pos)) return false;
    seen_node_t *s = xmalloc(sizeof(*s) + n);
    s->node.next = NULL;
    s->len = n;
    memcpy(s->data, p, n);
    ht_insert_at(h, &pos, &s->node);
    return true;
}

static bool seen_has(ht_t *h, const void *p, size_t n) { return ht_find(h, p, n) != NULL; }

static void seen_node_free(ht_node_t *n, void *ud) { xfree(n); }
static void seen_free(ht_t *h) { ht_clear(h, seen_node_free, NULL); }

/* ---- blob entries ------------------------------------------------------- */

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* One ziplist/listpack entry: a string (s, slen) or an integer (v). */
typedef struct ent {
    bool is_str;
    const uint8_t *s;
    size_t slen;
    int64_t v;
    char tmp[24]; /* the integer as text, for duplicate checks */
} ent_t;

/* The entry as bytes (integers as their decimal text, as Redis compares). */
static const void *ent_bytes(ent_t *e, size_t *n) {
    if (e->is_str) {
        *n = e->slen;
        return e->s;
    }
    *n = ll2str(e->tmp, e->v);
    return e->tmp;
}

/* lpGetIntegerIfValid: an integer entry, or a string that is one. */
static bool ent_int(const ent_t *e, int64_t *v) {
    long long ll;
    if (!e->is_str) {
        *v = e->v;
        return true;
    }
    if (!str2ll((const char *)e->s, e->slen, &ll)) return false;
    *v = ll;
    return true;
}

static int64_t sign_extend(uint64_t v, int bits) {
    uint64_t m = 1ULL << (bits - 1);
    v &= (bits == 64) ? ~0ULL : (1ULL << bits) - 1;
    return (int64_t)((v ^ m) - m);
}

/* A blob iterator for listpacks and ziplists. */
typedef struct blob_it {
    const uint8_t *p;
    size_t size, pos;
    uint64_t count;
    uint32_t hdr_count; /* 65535 = unknown */
    size_t prev_raw;    /* ziplist: size of the previous entry */
    size_t last;        /* ziplist: offset of the last entry, 0 if none */
    uint32_t tail;      /* ziplist: zltail */
} blob_it_t;

#define LP_HDR 6
#define ZL_HDR 10

static const char *lp_open(blob_it_t *it, const uint8_t *p, size_t size) {
    memset(it, 0, sizeof(*it));
    if (size < LP_HDR + 1) return "shorter than its header";
    if (le32(p) != size) return "total bytes in the header do not match the size";
    if (p[size - 1] != 0xFF) return "does not end with 0xFF";
    it->p = p;
    it->size = size;
    it->pos = LP_HDR;
    it->hdr_count = le16(p + 4);
    return NULL;
}

static size_t lp_backlen_size(uint64_t l) {
    return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

static void lp_backlen_encode(uint64_t l, uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)((l >> (7 * (n - 1 - i))) & 127);
        if (i) b[i] |= 128;
    }
}

/* 1 with *e, 0 at the end (count checked), -1 with *why. */
static int lp_next(blob_it_t *it, ent_t *e, const char **why) {
    const uint8_t *p = it->p + it->pos;
    size_t avail = it->size - 1 - it->pos; /* bytes before the final 0xFF */
    uint8_t b = p[0];
    if (avail == 0) {
        if (it->hdr_count != 65535 && it->hdr_count != it->count) {
            *why = "element count in the header does not match the entries";
            return -1;
        }
        return 0;
    }
    size_t hdr, dlen = 0;
    int ibits = 0; /* integer payload bits after the encoding byte */
    e->is_str = false;
    if ((b & 0x80) == 0) {
        hdr = 1;
        e->v = b & 0x7F;
    } else if ((b & 0xC0) == 0x80) {
        hdr = 1;
        dlen = b & 0x3F;
        e->is_str = true;
    } else if ((b & 0xE0) == 0xC0) {
        hdr = 2;
    } else if ((b & 0xF0) == 0xE0) {
        hdr = 2;
        e->is_str = true;
    } else if (b == 0xF0) {
        hdr = 5;
        e->is_str = true;
    } else if (b >= 0xF1 && b <= 0xF4) {
        hdr = 1;
        ibits = b == 0xF1 ? 16 : b == 0xF2 ? 24 : b == 0xF3 ? 32 : 64;
        dlen = (size_t)ibits / 8;
    } else {
        *why = b == 0xFF ? "0xFF before the end" : "entry with an invalid encoding";
        return -1;
    }
    if (hdr > avail) {
        *why = "entry header reaches beyond the end";
        return -1;
    }
    if ((b & 0xE0) == 0xC0) e->v = sign_extend(((uint64_t)(b & 0x1F) << 8) | p[1], 13);
    if ((b & 0xF0) == 0xE0) dlen = ((size_t)(b & 0x0F) << 8) | p[1];
    if (b == 0xF0) dlen = le32(p + 1);
    uint64_t entry = (uint64_t)hdr + dlen;
    size_t back = lp_backlen_size(entry);
    if (entry + back > avail) {
        *why = "entry reaches beyond the end";
        return -1;
    }
    uint8_t want[5];
    lp_backlen_encode(entry, want, back);
    if (memcmp(p + entry, want, back) != 0) {
        *why = "entry backlen does not match its size";
        return -1;
    }
    if (e->is_str) {
        e->s = p + hdr;
        e->slen = dlen;
    } else if (ibits) {
        uint64_t v = 0;
        for (int i = 0; i < ibits / 8; i++) v |= (uint64_t)p[1 + i] << (8 * i);
        e->v = sign_extend(v, ibits);
    }
    it->pos += (size_t)entry + back;
    it->count++;
    return 1;
}

static const char *zl_open(blob_it_t *it, const uint8_t *p, size_t size) {
    memset(it, 0, sizeof(*it));
    if (size < ZL_HDR + 1) return "shorter than its header";
    if (le32(p) != size) return "zlbytes does not match the size";
    if (p[size - 1] != 0xFF) return "does not end with 0xFF";
    it->p = p;
    it->size = size;
    it->pos = ZL_HDR;
    it->tail = le32(p + 4);
    it->hdr_count = le16(p + 8);
    return NULL;
}

static int zl_next(blob_it_t *it, ent_t *e, const char **why) {
    const uint8_t *p = it->p + it->pos;
    size_t avail = it->size - 1 - it->pos;
    if (p[0] == 0xFF) {
        if (avail != 0)
            *why = "0xFF before the end";
        else if (it->last && it->last != it->tail)
            *why = "zltail does not point at the last entry";
        else if (it->hdr_count != 65535 && it->hdr_count != it->count)
            *why = "zllen does not match the entries";
        else
            return 0;
        return -1;
    }
    size_t ps = p[0] < 254 ? 1 : 5;
    if (ps + 1 > avail) {
        *why = "entry header reaches beyond the end";
        return -1;
    }
    size_t prevlen = ps == 1 ? p[0] : le32(p + 1);
    if (prevlen != it->prev_raw) {
        *why = "entry prevlen does not match the previous entry";
        return -1;
    }
    uint8_t enc = p[ps];
    size_t lensize = 1;
    uint64_t dlen = 0;
    int ibits = 0;
    e->is_str = false;
    switch (enc >> 6) {
    case 0:
        dlen = enc & 0x3F;
        e->is_str = true;
        break;
    case 1:
        lensize = 2;
        e->is_str = true;
        break;
    case 2:
        lensize = 5;
        e->is_str = true;
        break;
    default:
        if (enc == 0xC0)
            ibits = 16;
        else if (enc == 0xD0)
            ibits = 32;
        else if (enc == 0xE0)
            ibits = 64;
        else if (enc == 0xF0)
            ibits = 24;
        else if (enc == 0xFE)
            ibits = 8;
        else if (enc >= 0xF1 && enc <= 0xFD)
            e->v = (enc & 0x0F) - 1;
        else {
            *why = "entry with an invalid encoding";
            return -1;
        }
        dlen = (uint64_t)ibits / 8;
    }
    if (ps + lensize > avail) {
        *why = "entry header reaches beyond the end";
        return -1;
    }
    if (lensize == 2) dlen = ((uint64_t)(enc & 0x3F) << 8) | p[ps + 1];
    if (lensize == 5)
        dlen = (uint64_t)p[ps + 1] << 24 | (uint64_t)p[ps + 2] << 16 | (uint64_t)p[ps + 3] << 8 |
               p[ps + 4];
    uint64_t total = ps + lensize + dlen;
    if (total > avail) {
        *why = "entry reaches beyond the end";
        return -1;
    }
    const uint8_t *d = p + ps + lensize;
    if (e->is_str) {
        e->s = d;
        e->slen = (size_t)dlen;
    } else if (ibits) {
        uint64_t v = 0;
        for (int i = 0; i < ibits / 8; i++) v |= (uint64_t)d[i] << (8 * i);
        e->v = sign_extend(v, ibits);
    }
    it->prev_raw = (size_t)total;
    it->last = it->pos;
    it->pos += (size_t)total;
    it->count++;
    return 1;
}

typedef int (*blob_next_fn)(blob_it_t *it, ent_t *e, const char **why);

/* Walks a whole ziplist or listpack.  pairs: even count, no duplicate among
 * the even entries (hash fields, zset members).  *count gets the entries. */
static const char *blob_walk(const uint8_t *p, size_t n, bool listpack, bool pairs,
                             uint64_t *count) {
    blob_it_t it;
    const char *why = listpack ? lp_open(&it, p, n) : zl_open(&it, p, n);
    if (why) return why;
    blob_next_fn next = listpack ? lp_next : zl_next;
    ht_t seen;
    if (pairs) seen_init(&seen);
    ent_t e;
    int r;
    while ((r = next(&it, &e, &why)) == 1) {
        if (pairs && (it.count & 1)) {
            size_t len;
            const void *b = ent_bytes(&e, &len);
            if (!seen_add(&seen, b, len)) {
                why = "duplicate field";
                r = -1;
                break;
            }
        }
    }
    if (pairs) seen_free(&seen);
    if (r < 0) return why;
    if (pairs && (it.count & 1)) return "odd number of entries for field/value pairs";
    *count = it.count;
    return NULL;
}

static const char *intset_check(const uint8_t *p, size_t n) {
    if (n < 8) return "shorter than its header";
    uint32_t enc = le32(p), len = le32(p + 4);
    if (enc != 2 && enc != 4 && enc != 8) return "invalid encoding";
    if (8 + (uint64_t)len * enc != n) return "length does not match the size";
    if (len == 0) return "empty";
    int64_t prev = 0;
    for (uint32_t i = 0; i < len; i++) {
        const uint8_t *q = p + 8 + (size_t)i * enc;
        int64_t v = enc == 2 ? (int16_t)le16(q) : enc == 4 ? (int32_t)le32(q) : (int64_t)le64(q);
        if (i && v <= prev) return "values not sorted or not unique";
        prev = v;
    }
    return NULL;
}

/* zipmapValidateIntegrity, plus duplicate keys (as the conversion checks). */
static const char *zipmap_check(const uint8_t *zm, size_t size) {
    if (size < 2) return "shorter than its header";
    if (zm[size - 1] != 0xFF) return "does not end with 0xFF";
    const uint8_t *p = zm + 1, *end = zm + size - 1;
    uint64_t count = 0;
    const char *why = NULL;
    ht_t seen;
    seen_init(&seen);
    while (*p != 0xFF) {
        size_t s = *p < 254 ? 1 : 5;
        if ((size_t)(end - p) < s) {
            why = "entry reaches beyond the end";
            break;
        }
        uint64_t l = s == 1 ? *p : le32(p + 1);
        const uint8_t *key = p + s;
        if ((uint64_t)(end - key) < l + 1) {
            why = "entry reaches beyond the end";
            break;
        }
        if (!seen_add(&seen, key, (size_t)l)) {
            why = "duplicate field";
            break;
        }
        p = key + l;
        s = *p < 254 ? 1 : 5;
        if ((size_t)(end - p) < s + 1) {
            why = "entry reaches beyond the end";
            break;
        }
        l = s == 1 ? *p : le32(p + 1);
        p += s;
        uint64_t skip = 1 + l + *p; /* free byte, value, free space */
        if ((uint64_t)(end - p) < skip) {
            why = "entry reaches beyond the end";
            break;
        }
        p += skip;
        count++;
    }
    seen_free(&seen);
    if (why) return why;
    if (count == 0) return "empty";
    if (zm[0] != 254 && zm[0] != count) return "count in the header does not match the entries";
    return NULL;
}

/* ---- values made of RDB strings ----------------------------------------- */

static int read_elements(rdb_in_t *in, int type, char **err) {
    uint64_t len;
    int rc = rdb_read_len(in, &len, NULL, err);
    if (rc) return rc;
    if (len == 0) return RDB__EMPTY;
    bool zset = type == RDB_TYPE_ZSET || type == RDB_TYPE_ZSET_2;
    bool dedup = type != RDB_TYPE_LIST;
    buf_t s = BUF_INIT;
    ht_t seen;
    seen_init(&seen);
    for (uint64_t i = 0; i < len && rc == 0; i++) {
        if ((rc = rdb_read_string(in, &s, err))) break;
        if (dedup && !seen_add(&seen, s.p, s.len)) {
            rc = rdb__corrupt(in, err, "Duplicate %s detected",
                              type == RDB_TYPE_SET ? "set members"
                              : zset               ? "zset fields"
                                                   : "hash fields");
            break;
        }
        if (type == RDB_TYPE_HASH) {
            rc = rdb_read_string(in, &s, err);
        } else if (type == RDB_TYPE_ZSET_2) {
            uint8_t b[8];
            double d;
            if ((rc = rdb_read_raw(in, b, 8, err))) break;
            uint64_t u = le64(b);
            memcpy(&d, &u, 8);
            if (isnan(d)) rc = rdb__corrupt(in, err, "Zset with NAN score detected");
        } else if (type == RDB_TYPE_ZSET) {
            /* rdbLoadDoubleValue: length byte, 253 nan, 254 +inf, 255 -inf. */
            uint8_t n;
            char txt[256];
            if ((rc = rdb_read_byte(in, &n, err))) break;
            if (n == 253) rc = rdb__corrupt(in, err, "Zset with NAN score detected");
            if (n >= 253) continue;
            if ((rc = rdb_read_raw(in, txt, n, err))) break;
            txt[n] = '\0';
            double d;
            if (sscanf(txt, "%lg", &d) != 1 || isnan(d))
                rc = rdb__corrupt(in, err, "Zset with invalid or NAN score '%s'", txt);
        }
    }
    seen_free(&seen);
    buf_free(&s);
    return rc;
}

/* ---- values stored as blobs --------------------------------------------- */

static int blob_error(rdb_in_t *in, char **err, const char *what, const char *why) {
    return rdb__corrupt(in, err, "%s integrity check failed (%s)", what, why);
}

static int read_blob_value(rdb_in_t *in, int type, char **err) {
    buf_t b = BUF_INIT;
    int rc = rdb_read_string(in, &b, err);
    const uint8_t *p = (const uint8_t *)b.p;
    const char *why;
    uint64_t count = 0;
    if (rc) goto out;
    switch (type) {
    case RDB_TYPE_HASH_ZIPMAP:
        if ((why = zipmap_check(p, b.len))) rc = blob_error(in, err, "Zipmap", why);
        break;
    case RDB_TYPE_SET_INTSET:
        if ((why = intset_check(p, b.len))) rc = blob_error(in, err, "Intset", why);
        break;
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_HASH_ZIPLIST:
        if ((why = blob_walk(p, b.len, false, type != RDB_TYPE_LIST_ZIPLIST, &count)))
            rc = blob_error(in, err, "Ziplist", why);
        else if (count == 0)
            rc = RDB__EMPTY;
        break;
    default: /* RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK */
        if ((why = blob_walk(p, b.len, true, true, &count)))
            rc = blob_error(in, err, "Listpack", why);
        else if (count == 0)
            rc = RDB__EMPTY;
    }
out:
    buf_free(&b);
    return rc;
}

/* Quicklist (ziplist nodes) and quicklist 2 (PLAIN or PACKED listpack
 * nodes); empty nodes are skipped as Redis does. */
static int read_quicklist(rdb_in_t *in, int type, char **err) {
    uint64_t nodes, elements = 0;
    int rc = rdb_read_len(in, &nodes, NULL, err);
    if (rc) return rc;
    buf_t b = BUF_INIT;
    for (uint64_t i = 0; i < nodes && rc == 0; i++) {
        uint64_t container = 2, count = 0;
        const char *why;
        if (type == RDB_TYPE_LIST_QUICKLIST_2) {
            if ((rc = rdb_read_len(in, &container, NULL, err))) break;
            if (container != 1 && container != 2) {
                rc = rdb__corrupt(in, err, "Quicklist integrity check failed (node container %llu)",
                                  (unsigned long long)container);
                break;
            }
        }
        if ((rc = rdb_read_string(in, &b, err))) break;
        if (container == 1) {
            elements++;
        } else if ((why = blob_walk((const uint8_t *)b.p, b.len, type == RDB_TYPE_LIST_QUICKLIST_2,
                                    false, &count))) {
            rc = blob_error(in, err, type == RDB_TYPE_LIST_QUICKLIST_2 ? "Listpack" : "Ziplist",
                            why);
        } else {
            elements += count;
        }
    }
    buf_free(&b);
    if (rc == 0 && elements == 0) rc = RDB__EMPTY;
    return rc;
}

/* ---- streams ------------------------------------------------------------ */

#define STREAM_ITEM_FLAG_SAMEFIELDS 2

/* note 4; NULL if the listpack holds a valid stream node. */
static const char *stream_lp_check(const uint8_t *p, size_t n) {
    blob_it_t it;
    ent_t e;
    const char *why = lp_open(&it, p, n);
    if (why) return why;
    int64_t count, deleted, mfields, v;
#define NEXT()                                                                                     \
    do {                                                                                           \
        int r_ = lp_next(&it, &e, &why);                                                           \
        if (r_ < 0) return why;                                                                    \
        if (r_ == 0) return "stream entries end early";                                            \
    } while (0)
#define NEXT_INT(out)                                                                              \
    do {                                                                                           \
        NEXT();                                                                                    \
        if (!ent_int(&e, &(out))) return "stream entry field that should be an integer is not";    \
    } while (0)
    NEXT_INT(count);
    NEXT_INT(deleted);
    NEXT_INT(mfields);
    if (count < 0 || deleted < 0 || mfields < 0) return "negative count in the master entry";
    for (int64_t j = 0; j < mfields; j++) NEXT();
    NEXT_INT(v);
    if (v != 0) return "master entry not terminated by 0";
    for (int64_t k = 0; k < count + deleted; k++) {
        int64_t flags, fields = mfields, extra = 3, lpcount;
        NEXT_INT(flags);
        NEXT_INT(v); /* ms diff */
        NEXT_INT(v); /* seq diff */
        if (!(flags & STREAM_ITEM_FLAG_SAMEFIELDS)) {
            NEXT_INT(fields);
            if (fields < 0) return "negative field count";
            for (int64_t j = 0; j < fields; j++) NEXT(); /* field names */
            extra += fields + 1;
        }
        for (int64_t j = 0; j < fields; j++) NEXT(); /* values */
        NEXT_INT(lpcount);
        if (lpcount != fields + extra) return "entry lp-count does not match its fields";
    }
#undef NEXT_INT
#undef NEXT
    int r = lp_next(&it, &e, &why);
    if (r < 0) return why;
    if (r > 0) return "entries after the last stream entry";
    return NULL;
}

/* Consumer groups with their PELs and consumers. */
static int read_stream_groups(rdb_in_t *in, int type, buf_t *b, char **err) {
    uint64_t groups, x;
    int rc = rdb_read_len(in, &groups, NULL, err);
    ht_t names;
    seen_init(&names);
    for (uint64_t g = 0; g < groups && rc == 0; g++) {
        uint64_t pel_size, consumers, assigned = 0;
        if ((rc = rdb_read_string(in, b, err))) break;
        if (!seen_add(&names, b->p, b->len)) {
            rc = rdb__corrupt(in, err, "Duplicated consumer group name %s", b->p);
            break;
        }
        if ((rc = rdb_read_len(in, &x, NULL, err)) || (rc = rdb_read_len(in, &x, NULL, err))) break;
        if (type == RDB_TYPE_STREAM_LISTPACKS_2 && (rc = rdb_read_len(in, &x, NULL, err))) break;
        ht_t pel, owned, cnames;
        seen_init(&pel);
        seen_init(&owned);
        seen_init(&cnames);
        if ((rc = rdb_read_len(in, &pel_size, NULL, err))) goto group_done;
        for (uint64_t i = 0; i < pel_size; i++) {
            uint8_t id[16];
            int64_t t;
            if ((rc = rdb_read_raw(in, id, 16, err)) || (rc = rdb_read_ms_time(in, &t, err)) ||
                (rc = rdb_read_len(in, &x, NULL, err)))
                goto group_done;
            if (!seen_add(&pel, id, 16)) {
                rc = rdb__corrupt(in, err,
                                  "Duplicated global PEL entry loading stream consumer group");
                goto group_done;
            }
        }
        if ((rc = rdb_read_len(in, &consumers, NULL, err))) goto group_done;
        for (uint64_t c = 0; c < consumers; c++) {
            uint64_t cpel;
            int64_t seen_time;
            if ((rc = rdb_read_string(in, b, err))) goto group_done;
            if (!seen_add(&cnames, b->p, b->len)) {
                rc = rdb__corrupt(in, err, "Duplicate stream consumer detected");
                goto group_done;
            }
            if ((rc = rdb_read_ms_time(in, &seen_time, err)) ||
                (rc = rdb_read_len(in, &cpel, NULL, err)))
                goto group_done;
            ht_t mine;
            seen_init(&mine);
            for (uint64_t i = 0; i < cpel && rc == 0; i++) {
                uint8_t id[16];
                if ((rc = rdb_read_raw(in, id, 16, err))) break;
                if (!seen_has(&pel, id, 16))
                    rc = rdb__corrupt(in, err, "Consumer entry not found in group global PEL");
                else if (!seen_add(&mine, id, 16))
                    rc = rdb__corrupt(
                        in, err, "Duplicated consumer PEL entry loading a stream consumer group");
                else if (seen_add(&owned, id, 16))
                    assigned++;
            }
            seen_free(&mine);
            if (rc) goto group_done;
        }
        if (assigned != pel_size)
            rc = rdb__corrupt(in, err, "Stream CG PEL entry without consumer");
    group_done:
        seen_free(&pel);
        seen_free(&owned);
        seen_free(&cnames);
    }
    seen_free(&names);
    return rc;
}

static int read_stream(rdb_in_t *in, int type, char **err) {
    uint64_t nodes, x, length;
    int rc = rdb_read_len(in, &nodes, NULL, err);
    if (rc) return rc;
    buf_t b = BUF_INIT;
    ht_t keys;
    seen_init(&keys);
    for (uint64_t i = 0; i < nodes && rc == 0; i++) {
        const char *why;
        if ((rc = rdb_read_string(in, &b, err))) break;
        if (b.len != 16) {
            rc = rdb__corrupt(in, err, "Stream node key entry is not the size of a stream ID");
            break;
        }
        if (!seen_add(&keys, b.p, 16)) {
            rc = rdb__corrupt(in, err, "Listpack re-added with existing key");
            break;
        }
        if ((rc = rdb_read_string(in, &b, err))) break;
        if (b.len == LP_HDR + 1)
            rc = rdb__corrupt(in, err, "Empty listpack inside stream");
        else if ((why = stream_lp_check((const uint8_t *)b.p, b.len)))
            rc = blob_error(in, err, "Stream listpack", why);
    }
    seen_free(&keys);
    /* length, last id; for type 19 also first id, max deleted id, entries added */
    int ids = type == RDB_TYPE_STREAM_LISTPACKS_2 ? 8 : 3;
    for (int i = 0; i < ids && rc == 0; i++)
        rc = rdb_read_len(in, i == 0 ? &length : &x, NULL, err);
    if (rc == 0 && length && !nodes)
        rc = rdb__corrupt(in, err, "Stream length inconsistent with rax entries");
    if (rc == 0) rc = read_stream_groups(in, type, &b, err);
    buf_free(&b);
    return rc;
}

int rdb__read_other(rdb_in_t *in, int type, char **err) {
    switch (type) {
    case RDB_TYPE_LIST:
    case RDB_TYPE_SET:
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
    case RDB_TYPE_HASH:
        return read_elements(in, type, err);
    case RDB_TYPE_HASH_ZIPMAP:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_SET_INTSET:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK:
    case RDB_TYPE_ZSET_LISTPACK:
        return read_blob_value(in, type, err);
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
        return read_quicklist(in, type, err);
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
        return read_stream(in, type, err);
    default:
        return rdb__corrupt(in, err, "Unknown RDB encoding type %d", type);
    }
}

/* ---- values: codecs, or validation and refusal ---------------------------- */

static int refuse_type(int rdb_type, const char *key, size_t klen, char **err) {
    char k[132];
    return rdb__fail(
        err, "Can't load key '%s' of type %s (%s): this build of Keel does not serve %s yet",
        rdb__key_for_msg(key, klen, k), rdb__type_name(rdb_type), rdb__enc_name(rdb_type),
        rdb__type_plural(rdb_type));
}

static int refuse_module(rdb_in_t *in, int rdb_type, const char *key, size_t klen, char **err) {
    uint64_t id;
    char name[10], k[132];
    int rc = rdb_read_len(in, &id, NULL, err);
    if (rc) return rc;
    rdb__module_name(id, name);
    return rdb__fail(err,
                     "Can't load key '%s': it holds a value of module type '%s' (RDB type %d), "
                     "and this build of Keel does not support modules",
                     rdb__key_for_msg(key, klen, k), name, rdb_type);
}

int rdb__read_value(rdb_in_t *in, int mode, int rdb_type, const char *key, size_t klen,
                    bool has_exp, buf_t *scratch, kv_t **out, bool *empty, char **err) {
    *out = NULL;
    *empty = false;
    int rc;
    if (rdb_type == RDB_TYPE_STRING) {
        if ((rc = rdb_read_string(in, scratch, err))) return rc;
        if (mode == RDB_LOAD_INSERT)
            *out = kv_new_str(key, klen, scratch->p, scratch->len, has_exp);
        return 0;
    }
    if (rdb_type == RDB_TYPE_MODULE || rdb_type == RDB_TYPE_MODULE_2) {
        if (mode != RDB_LOAD_CHECK) return refuse_module(in, rdb_type, key, klen, err);
        uint64_t id;
        return rdb__read_module_value(in, rdb_type, &id, err);
    }
    if (!rdb__is_value_type(rdb_type))
        return rdb__corrupt(in, err, "Unknown RDB encoding type %d", rdb_type);
    const rdb_type_codec_t *codec = rdb__codec(rdb__obj_type(rdb_type));
    if (codec && codec->read && mode == RDB_LOAD_INSERT) {
        void *ptr = NULL;
        int enc = 0;
        if ((rc = codec->read(in, rdb_type, &ptr, &enc, err))) return rc;
        *out = kv_new_obj(key, klen, rdb__obj_type(rdb_type), enc, ptr, has_exp);
        return 0;
    }
    rc = rdb__read_other(in, rdb_type, err);
    if (rc < 0) return rc;
    *empty = rc == RDB__EMPTY;
    if (mode == RDB_LOAD_INSERT && !*empty) return refuse_type(rdb_type, key, klen, err);
    return 0;
}

int rdb_read_value(rdb_in_t *in, int rdb_type, const char *key, size_t klen, kv_t **out,
                   char **err) {
    buf_t scratch = BUF_INIT;
    bool empty;
    *err = NULL;
    int rc = rdb__read_value(in, RDB_LOAD_INSERT, rdb_type, key, klen, false, &scratch, out, &empty,
                             err);
    buf_free(&scratch);
    if (rc == 0 && empty) rc = rdb__fail(err, "Empty value of type %s", rdb__type_name(rdb_type));
    return rc;
}

/* ---- modules (CHECK mode) ----------------------------------------------- */

void rdb__module_name(uint64_t moduleid, char name[10]) {
    static const char cset[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    name[9] = '\0';
    moduleid >>= 10;
    for (int j = 8; j >= 0; j--) {
        name[j] = cset[moduleid & 63];
        moduleid >>= 6;
    }
}

/* rdbLoadCheckModuleValue: opcodes until EOF. */
static int skip_module_opcodes(rdb_in_t *in, char **err) {
    buf_t b = BUF_INIT;
    uint64_t op = 1, x;
    int rc = 0;
    while (rc == 0) {
        if ((rc = rdb_read_len(in, &op, NULL, err))) break;
        if (op == RDB__MOP_EOF) break;
        if (op == RDB__MOP_SINT || op == RDB__MOP_UINT)
            rc = rdb_read_len(in, &x, NULL, err);
        else if (op == RDB__MOP_STRING)
            rc = rdb_read_string(in, &b, err);
        else if (op == RDB__MOP_FLOAT || op == RDB__MOP_DOUBLE) {
            uint8_t d[8];
            rc = rdb_read_raw(in, d, op == RDB__MOP_FLOAT ? 4 : 8, err);
        } else
            rc = rdb__corrupt(in, err, "Unknown module opcode %llu", (unsigned long long)op);
    }
    buf_free(&b);
    return rc;
}

int rdb__read_module_value(rdb_in_t *in, int type, uint64_t *moduleid, char **err) {
    int rc = rdb_read_len(in, moduleid, NULL, err);
    if (rc) return rc;
    if (type == RDB_TYPE_MODULE) {
        char name[10];
        rdb__module_name(*moduleid, name);
        return rdb__corrupt(
            in, err,
            "Module value of type '%s' in the pre-4.0 format (RDB type 6) cannot be "
            "parsed without its module",
            name);
    }
    return skip_module_opcodes(in, err);
}

int rdb__read_module_aux(rdb_in_t *in, uint64_t *moduleid, char **err) {
    uint64_t when_opcode, when;
    int rc;
    if ((rc = rdb_read_len(in, moduleid, NULL, err)) ||
        (rc = rdb_read_len(in, &when_opcode, NULL, err)) ||
        (rc = rdb_read_len(in, &when, NULL, err)))
        return rc;
    if (when_opcode != RDB__MOP_UINT)
        return rdb__corrupt(in, err, "bad when_opcode in module AUX data");
    return skip_module_opcodes(in, err);
}
