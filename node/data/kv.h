/* kv: one keyspace entry = key + value (+ expire) in ONE allocation.
 *
 * Owns: the entry layout and string-value encodings.  db.c links entries into
 * a database's hash table (the ht_node_t is the entry's first field).
 *
 * Layout (24-byte header, then data[]):
 *   node.next   8  hash chain
 *   lru/type/enc 4 LRU clock or LFU (minutes<<8 | counter), OBJ_*, ENC_*
 *   klen/has_exp 4 key length (31 bits), expire flag
 *   v           8  int value (ENC_INT), embedded length (ENC_EMBSTR) or pointer
 *   data[]: [kv_exp_t if has_exp] key bytes [embedded value bytes]
 *
 * Why: Redis spends dictEntry(24) + robj(16) + sds key + bucket on a small
 * string key; one entry with the key and a small value inline is ~64 bytes
 * with jemalloc's size classes, plus the bucket slot.  The price is that a
 * change of size (APPEND, adding a TTL) reallocates the entry, so db.c
 * relinks it (kv pointers are never kept across commands; watchers keep key
 * copies).
 *
 * Encodings of strings: ENC_INT (canonical 64-bit integer text, stored in v.i:
 * this replaces Redis's shared-integer objects at zero cost per key),
 * ENC_EMBSTR (value <= KV_EMBED_MAX bytes, inline), ENC_RAW (kstr_t pointer).
 */
#ifndef KEEL_KV_H
#define KEEL_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ht.h"

enum { OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4, OBJ_STREAM = 6 };
/* Numbering as Redis's OBJ_ENCODING_*, so names and RDB mapping line up. */
enum {
    ENC_RAW = 0, ENC_INT = 1, ENC_HT = 2, ENC_ZIPMAP = 3, ENC_LINKEDLIST = 4, ENC_ZIPLIST = 5,
    ENC_INTSET = 6, ENC_SKIPLIST = 7, ENC_EMBSTR = 8, ENC_QUICKLIST = 9, ENC_STREAM = 10,
    ENC_LISTPACK = 11,
};

/* Same limit as Redis's embstr (44 bytes), so OBJECT ENCODING answers alike. */
#define KV_EMBED_MAX 44

typedef struct kv {
    ht_node_t node;
    uint32_t lru : 24;
    uint32_t type : 4;
    uint32_t enc : 4;
    uint32_t klen : 31;
    uint32_t has_exp : 1;
    union {
        int64_t i;
        uint64_t len;
        void *ptr;
    } v;
    char data[];
} kv_t;

typedef struct kv_exp {
    int64_t at_ms;  /* absolute unix time in ms */
    uint32_t vidx;  /* index in the db's volatile array */
    uint32_t pad;
} kv_exp_t;

/* A raw string value. */
typedef struct kstr {
    uint64_t len;
    char data[];
} kstr_t;

_Static_assert(sizeof(kv_t) == 24, "kv header");
_Static_assert(sizeof(kv_exp_t) == 16, "kv expire block");

static inline kv_exp_t *kv_exp(const kv_t *kv) { return (kv_exp_t *)kv->data; }
static inline const char *kv_key(const kv_t *kv) {
    return kv->data + (kv->has_exp ? sizeof(kv_exp_t) : 0);
}
static inline int64_t kv_expire_at(const kv_t *kv) { return kv->has_exp ? kv_exp(kv)->at_ms : -1; }

/* New string entries.  The value is copied; ENC_INT is chosen when val is a
 * canonical integer, ENC_EMBSTR when short, ENC_RAW otherwise.  If the entry
 * must carry an expire, pass has_exp (the block is left for db.c to fill). */
kv_t *kv_new_str(const char *key, size_t klen, const char *val, size_t vlen, bool has_exp);
kv_t *kv_new_int(const char *key, size_t klen, long long v, bool has_exp);
/* A raw (non-embedded) string with room for `cap` bytes, len bytes set from val. */
kv_t *kv_new_raw(const char *key, size_t klen, const char *val, size_t vlen, size_t cap, bool has_exp);
/* An entry for another type: takes ownership of ptr. */
kv_t *kv_new_obj(const char *key, size_t klen, int type, int enc, void *ptr, bool has_exp);
/* A copy of kv under another key (COPY, RENAME keep the value). */
kv_t *kv_dup_as(const kv_t *kv, const char *key, size_t klen, bool has_exp, bool deep);
void kv_free(kv_t *kv);
size_t kv_alloc_size(const kv_t *kv); /* bytes of the entry and its value (MEMORY USAGE) */

/* String value bytes: for ENC_INT formats into tmp (>= 21 bytes). */
const char *kv_str(const kv_t *kv, char *tmp, size_t *len);
size_t kv_strlen(const kv_t *kv);
/* Integer view of a string value; false if it is not a canonical integer. */
bool kv_get_ll(const kv_t *kv, long long *out);
/* Can the entry take an embedded value of vlen bytes in place (same key, same
 * expire flag) without reallocation? */
bool kv_fits_embedded(const kv_t *kv, size_t vlen);
/* Overwrites the value in place; caller checked kv_fits_embedded or ENC_INT. */
void kv_set_embedded(kv_t *kv, const char *val, size_t vlen);
void kv_set_int_inplace(kv_t *kv, long long v);
/* Makes the value a raw string with room for at least `cap` bytes; may
 * reallocate the raw buffer (never the entry).  Returns the kstr. */
kstr_t *kv_make_raw(kv_t *kv, size_t cap);

const char *kv_type_name(int type);
const char *kv_encoding_name(int enc);

/* Per-type value destructors and sizers, registered by the type modules. */
typedef struct kv_type_ops {
    void (*free)(void *ptr, int enc);
    void *(*dup)(const void *ptr, int enc);
    size_t (*alloc_size)(const void *ptr, int enc);
} kv_type_ops_t;
void kv_register_type(int type, const kv_type_ops_t *ops);

#endif
