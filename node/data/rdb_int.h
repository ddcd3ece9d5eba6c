/* Internals shared by rdb.c, rdb_types.c, rdb_check.c and the unit tests.
 *
 * rdb.c owns the byte I/O, strings, the writer and the opcode loop;
 * rdb_types.c reads values (codec registry, refusals) and parses and
 * validates every non-string value type of Redis 7.0 (so a file is checked
 * in full even where Keel cannot serve the type yet); rdb_check.c is the
 * keel-check-rdb personality, which watches a CHECK-mode load through an
 * observer.
 */
#ifndef KEEL_RDB_INT_H
#define KEEL_RDB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "rdb.h"

/* rdb__read_other() result for an empty aggregate (a list with no elements,
 * a quicklist whose nodes are all empty, ...): Redis skips such keys when
 * loading (rdbLoadObject's RDB_LOAD_ERR_EMPTY_KEY), so do we. */
#define RDB__EMPTY 1

/* Module opcodes inside a module value (RDB_MODULE_OPCODE_*). */
enum {
    RDB__MOP_EOF = 0,
    RDB__MOP_SINT = 1,
    RDB__MOP_UINT = 2,
    RDB__MOP_FLOAT = 3,
    RDB__MOP_DOUBLE = 4,
    RDB__MOP_STRING = 5
};

/* *err = "<fmt...> at offset <in->pos>" (overwritten, not freed: set it
 * once per failure); returns K_EINVAL.  For anything wrong with the bytes
 * themselves. */
int rdb__corrupt(rdb_in_t *in, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* *err = "<fmt...>"; returns K_EINVAL.  For policy refusals (a version or a
 * type Keel does not handle), where an offset would only distract. */
int rdb__fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A key for a message in out: at most 128 bytes, non-printables as '?'. */
const char *rdb__key_for_msg(const char *key, size_t klen, char out[132]);

/* The codec registered for an OBJ_* type, or NULL. */
const rdb_type_codec_t *rdb__codec(int obj_type);

/* One value of rdb_type for key (rdb_types.c).  INSERT: *out is the new
 * entry (NULL if the value was empty: *empty), made by a registered codec
 * or, for strings, kv_new_str(); a type with no codec is parsed, validated
 * and refused.  CHECK: the value is validated and dropped. */
int rdb__read_value(rdb_in_t *in, int mode, int rdb_type, const char *key, size_t klen,
                    bool has_exp, buf_t *scratch, kv_t **out, bool *empty, char **err);

/* Reads, parses and validates one value of a non-string, non-module RDB
 * type (rdb_types.c); nothing is kept.  Returns 0, RDB__EMPTY, or K_EINVAL
 * (K_EIO on a read error) with *err set. */
int rdb__read_other(rdb_in_t *in, int rdb_type, char **err);
/* A module value (RDB_TYPE_MODULE_2) or MODULE_AUX payload, walked through
 * its opcodes without the module (CHECK mode only, as redis-check-rdb).
 * *moduleid receives the id read first.  RDB_TYPE_MODULE (6) cannot be
 * walked: K_EINVAL. */
int rdb__read_module_value(rdb_in_t *in, int rdb_type, uint64_t *moduleid, char **err);
int rdb__read_module_aux(rdb_in_t *in, uint64_t *moduleid, char **err);
/* The 9-character module type name encoded in a module id. */
void rdb__module_name(uint64_t moduleid, char name[10]);

/* Names for messages: the OBJ_* type of an RDB type (-1 if not a value
 * type), "list"/"set"/..., the encoding ("quicklist", "listpack", ...), and
 * the plural used in "does not serve lists yet". */
int rdb__obj_type(int rdb_type);
bool rdb__is_value_type(int rdb_type);
const char *rdb__type_name(int rdb_type);
const char *rdb__enc_name(int rdb_type);
const char *rdb__type_plural(int rdb_type);

/* The CRC64 one byte at a time (the reference the slice-by-8 code is
 * tested against). */
uint64_t rdb__crc64_bytewise(uint64_t crc, const void *p, size_t n);

/* Watches a load (keel-check-rdb).  Every callback may be NULL; `in` gives
 * the offset (in->pos) right after the item. */
typedef struct rdb__observer {
    void *ud;
    void (*aux)(void *ud, rdb_in_t *in, const char *key, const char *val);
    void (*selectdb)(void *ud, rdb_in_t *in, uint64_t dbid);
    void (*resizedb)(void *ud, rdb_in_t *in, uint64_t size, uint64_t expires);
    /* A key was read; its value comes next. */
    void (*key)(void *ud, rdb_in_t *in, int rdb_type, const char *key, size_t klen);
    /* Its value was read and validated (empty: an empty aggregate). */
    void (*value)(void *ud, rdb_in_t *in, int64_t expire_ms, bool expired, bool empty);
    /* Something else that was parsed: a function library, module AUX data. */
    void (*note)(void *ud, rdb_in_t *in, const char *what);
    /* The EOF opcode was read; the trailer comes next. */
    void (*eof)(void *ud, rdb_in_t *in);
    /* The trailer: stored == 0 means "saved without checksum". */
    void (*checksum)(void *ud, rdb_in_t *in, uint64_t stored, uint64_t computed);
} rdb__observer_t;

/* rdb_load_stream() with an observer (may be NULL). */
int rdb__load(rdb_in_t *in, int mode, rdb_load_info_t *info, const rdb__observer_t *obs,
              char **err);

#endif
