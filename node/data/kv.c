/* Keyspace entries and string encodings: see kv.h. */
#include "kv.h"

#include <string.h>

#include "alloc.h"
#include "buf.h"

static const kv_type_ops_t *type_ops[16];

void kv_register_type(int type, const kv_type_ops_t *ops) { type_ops[type] = ops; }

static inline size_t hdr_len(bool has_exp) { return sizeof(kv_t) + (has_exp ? sizeof(kv_exp_t) : 0); }

static kv_t *alloc_entry(const char *key, size_t klen, size_t extra, bool has_exp) {
    kv_t *kv = xmalloc(hdr_len(has_exp) + klen + extra);
    kv->node.next = NULL;
    kv->lru = 0;
    kv->klen = (uint32_t)klen;
    kv->has_exp = has_exp;
    if (has_exp) memset(kv->data, 0, sizeof(kv_exp_t));
    memcpy((char *)kv_key(kv), key, klen);
    return kv;
}

kv_t *kv_new_int(const char *key, size_t klen, long long v, bool has_exp) {
    kv_t *kv = alloc_entry(key, klen, 0, has_exp);
    kv->type = OBJ_STRING;
    kv->enc = ENC_INT;
    kv->v.i = v;
    return kv;
}

kv_t *kv_new_raw(const char *key, size_t klen, const char *val, size_t vlen, size_t cap, bool has_exp) {
    kv_t *kv = alloc_entry(key, klen, 0, has_exp);
    kv->type = OBJ_STRING;
    kv->enc = ENC_RAW;
    if (cap < vlen) cap = vlen;
    kstr_t *s = xmalloc(sizeof(kstr_t) + cap);
    s->len = vlen;
    if (vlen) memcpy(s->data, val, vlen);
    kv->v.ptr = s;
    return kv;
}

kv_t *kv_new_str(const char *key, size_t klen, const char *val, size_t vlen, bool has_exp) {
    long long ll;
    if (vlen <= 20 && str2ll(val, vlen, &ll)) return kv_new_int(key, klen, ll, has_exp);
    if (vlen > KV_EMBED_MAX) return kv_new_raw(key, klen, val, vlen, vlen, has_exp);
    kv_t *kv = alloc_entry(key, klen, vlen, has_exp);
    kv->type = OBJ_STRING;
    kv->enc = ENC_EMBSTR;
    kv->v.len = vlen;
    memcpy((char *)kv_key(kv) + klen, val, vlen);
    return kv;
}

kv_t *kv_new_obj(const char *key, size_t klen, int type, int enc, void *ptr, bool has_exp) {
    kv_t *kv = alloc_entry(key, klen, 0, has_exp);
    kv->type = (uint32_t)type;
    kv->enc = (uint32_t)enc;
    kv->v.ptr = ptr;
    return kv;
}

kv_t *kv_dup_as(const kv_t *src, const char *key, size_t klen, bool has_exp, bool deep) {
    kv_t *kv;
    if (src->type == OBJ_STRING) {
        size_t vlen;
        char tmp[32];
        const char *v = kv_str(src, tmp, &vlen);
        if (src->enc == ENC_RAW)
            kv = kv_new_raw(key, klen, v, vlen, vlen, has_exp);
        else
            kv = kv_new_str(key, klen, v, vlen, has_exp);
    } else {
        const kv_type_ops_t *ops = type_ops[src->type];
        void *p = deep && ops && ops->dup ? ops->dup(src->v.ptr, (int)src->enc) : src->v.ptr;
        kv = kv_new_obj(key, klen, (int)src->type, (int)src->enc, p, has_exp);
    }
    kv->lru = src->lru;
    return kv;
}

void kv_free(kv_t *kv) {
    if (kv->type == OBJ_STRING) {
        if (kv->enc == ENC_RAW) xfree(kv->v.ptr);
    } else {
        const kv_type_ops_t *ops = type_ops[kv->type];
        if (ops && ops->free) ops->free(kv->v.ptr, (int)kv->enc);
    }
    xfree(kv);
}

size_t kv_alloc_size(const kv_t *kv) {
    size_t n = xusable(kv);
    if (kv->type == OBJ_STRING) {
        if (kv->enc == ENC_RAW) n += xusable(kv->v.ptr);
    } else {
        const kv_type_ops_t *ops = type_ops[kv->type];
        if (ops && ops->alloc_size) n += ops->alloc_size(kv->v.ptr, (int)kv->enc);
    }
    return n;
}

const char *kv_str(const kv_t *kv, char *tmp, size_t *len) {
    switch (kv->enc) {
    case ENC_INT:
        *len = ll2str(tmp, kv->v.i);
        return tmp;
    case ENC_EMBSTR:
        *len = kv->v.len;
        return kv_key(kv) + kv->klen;
    default: {
        const kstr_t *s = kv->v.ptr;
        *len = s->len;
        return s->data;
    }
    }
}

size_t kv_strlen(const kv_t *kv) {
    char tmp[32];
    size_t n;
    kv_str(kv, tmp, &n);
    return n;
}

bool kv_get_ll(const kv_t *kv, long long *out) {
    if (kv->enc == ENC_INT) {
        *out = kv->v.i;
        return true;
    }
    char tmp[32];
    size_t n;
    const char *p = kv_str(kv, tmp, &n);
    return n <= 20 && str2ll(p, n, out);
}

bool kv_fits_embedded(const kv_t *kv, size_t vlen) {
    if (kv->type != OBJ_STRING || kv->enc != ENC_EMBSTR || vlen > KV_EMBED_MAX) return false;
    return hdr_len(kv->has_exp) + kv->klen + vlen <= xusable(kv);
}

void kv_set_embedded(kv_t *kv, const char *val, size_t vlen) {
    memcpy((char *)kv_key(kv) + kv->klen, val, vlen);
    kv->v.len = vlen;
}

void kv_set_int_inplace(kv_t *kv, long long v) {
    if (kv->enc == ENC_RAW) xfree(kv->v.ptr);
    kv->enc = ENC_INT;
    kv->v.i = v;
}

kstr_t *kv_make_raw(kv_t *kv, size_t cap) {
    if (kv->enc == ENC_RAW) {
        kstr_t *s = kv->v.ptr;
        if (xusable(s) - sizeof(kstr_t) < cap) {
            s = xrealloc(s, sizeof(kstr_t) + cap);
            kv->v.ptr = s;
        }
        return s;
    }
    char tmp[32];
    size_t n;
    const char *p = kv_str(kv, tmp, &n);
    if (cap < n) cap = n;
    kstr_t *s = xmalloc(sizeof(kstr_t) + cap);
    s->len = n;
    memcpy(s->data, p, n);
    kv->enc = ENC_RAW;
    kv->v.ptr = s;
    return s;
}

const char *kv_type_name(int type) {
    switch (type) {
    case OBJ_STRING: return "string";
    case OBJ_LIST: return "list";
    case OBJ_SET: return "set";
    case OBJ_ZSET: return "zset";
    case OBJ_HASH: return "hash";
    case OBJ_STREAM: return "stream";
    default: return "unknown";
    }
}

const char *kv_encoding_name(int enc) {
    switch (enc) {
    case ENC_RAW: return "raw";
    case ENC_INT: return "int";
    case ENC_HT: return "hashtable";
    case ENC_INTSET: return "intset";
    case ENC_SKIPLIST: return "skiplist";
    case ENC_EMBSTR: return "embstr";
    case ENC_QUICKLIST: return "quicklist";
    case ENC_STREAM: return "stream";
    case ENC_LISTPACK: return "listpack";
    case ENC_ZIPLIST: return "ziplist";
    case ENC_LINKEDLIST: return "linkedlist";
    case ENC_ZIPMAP: return "zipmap";
    default: return "unknown";
    }
}
