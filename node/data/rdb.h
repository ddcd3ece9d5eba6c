/* RDB snapshots in Redis 7.0's format (RDB version 10): writer and reader.
 *
 * Owns: the byte format (opcodes, type codes, length/string/integer
 * encodings, LZF, CRC64 trailer, $EOF:<mark> framing for diskless
 * transfers) and the mapping between kv_t values and RDB values.
 * Called by: save.c (SAVE, BGSAVE in a forked child, save points, loading at
 * start-up), dump.c (DUMP/RESTORE payloads), aof.c (the RDB preamble of the
 * base file), replication (full sync to disk or to a socket), and main()
 * for the keel-check-rdb personality.
 *
 * Design notes:
 *  1. The writer is a buffered sink over a file descriptor (file, pipe or
 *     socket) that keeps a running CRC64 of every byte; the same code writes
 *     a file, a DUMP payload (memory sink) and a diskless stream.
 *  2. The reader is a buffered source over a file descriptor or a memory
 *     block, also with a running CRC64, so loading never needs the whole
 *     file in memory and verifies the trailer at the end.
 *  3. Every value type and encoding Redis 7.0 writes is understood by the
 *     reader (string, list quicklist/quicklist2/ziplist, set/intset/listpack,
 *     zset/zset2/ziplist/listpack, hash/zipmap/ziplist/listpack, stream
 *     listpacks 1 and 2, module values are refused).  Types whose commands
 *     Keel does not serve yet are parsed in full (so the file's structure is
 *     validated) and then refused: loading stops with a log line naming the
 *     key and the type, and the file is left untouched.  A type module
 *     registers its codec with rdb_register_type() when it arrives.
 *  4. Errors are reported with the byte offset where they were found, e.g.
 *     "Unexpected EOF reading RDB file at offset 1234" or "Wrong RDB checksum
 *     expected: 0x... got: 0x...", so keel-check-rdb can say what and where.
 */
#ifndef KEEL_RDB_H
#define KEEL_RDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "kv.h"

#define RDB_VERSION 10
#define RDB_EOF_MARK_SIZE 40

/* Opcodes and value types (rdb.h of Redis 7.0). */
enum {
    RDB_OPCODE_FUNCTION2 = 245, RDB_OPCODE_FUNCTION = 246, RDB_OPCODE_MODULE_AUX = 247,
    RDB_OPCODE_IDLE = 248, RDB_OPCODE_FREQ = 249, RDB_OPCODE_AUX = 250, RDB_OPCODE_RESIZEDB = 251,
    RDB_OPCODE_EXPIRETIME_MS = 252, RDB_OPCODE_EXPIRETIME = 253, RDB_OPCODE_SELECTDB = 254,
    RDB_OPCODE_EOF = 255,
};
enum {
    RDB_TYPE_STRING = 0, RDB_TYPE_LIST = 1, RDB_TYPE_SET = 2, RDB_TYPE_ZSET = 3, RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5, RDB_TYPE_MODULE = 6, RDB_TYPE_MODULE_2 = 7, RDB_TYPE_HASH_ZIPMAP = 9,
    RDB_TYPE_LIST_ZIPLIST = 10, RDB_TYPE_SET_INTSET = 11, RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13, RDB_TYPE_LIST_QUICKLIST = 14, RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16, RDB_TYPE_ZSET_LISTPACK = 17, RDB_TYPE_LIST_QUICKLIST_2 = 18,
    RDB_TYPE_STREAM_LISTPACKS_2 = 19,
};

/* ---- writer ------------------------------------------------------------- */

typedef struct rdb_out {
    int fd;                 /* -1 for a memory sink */
    buf_t mem;              /* memory sink contents (DUMP) */
    char *buf;              /* write buffer for fd sinks */
    size_t buflen, bufcap;
    uint64_t crc;           /* CRC64 (Jones, reflected) of every byte so far */
    uint64_t written;       /* bytes so far */
    bool checksum;          /* rdbchecksum: compute the CRC (else trailer 0) */
    bool compress;          /* rdbcompression: LZF for strings > 20 bytes */
    int err;                /* first errno seen; writes after it are dropped */
    /* Called every ~1 MiB written (may be NULL): BGSAVE children report
     * progress, diskless writers may yield. */
    void (*progress)(struct rdb_out *o, void *ud);
    void *progress_ud;
} rdb_out_t;

void rdb_out_init_fd(rdb_out_t *o, int fd, bool checksum, bool compress);
void rdb_out_init_mem(rdb_out_t *o, bool checksum, bool compress);
/* Writes buffered bytes to the fd; 0 or -errno. */
int rdb_out_flush(rdb_out_t *o);
/* Releases buffers (the memory sink's buf_t too, unless detached). */
void rdb_out_free(rdb_out_t *o);

void rdb_write_raw(rdb_out_t *o, const void *p, size_t n);
void rdb_write_byte(rdb_out_t *o, uint8_t b);
void rdb_write_len(rdb_out_t *o, uint64_t len);
/* A string: integer-encoded when it is a canonical integer that fits 32
 * bits, LZF-compressed when compress is set and it is longer than 20 bytes
 * and compression saves space, plain otherwise. */
void rdb_write_string(rdb_out_t *o, const char *p, size_t n);
void rdb_write_ll_as_string(rdb_out_t *o, long long v);
void rdb_write_ms_time(rdb_out_t *o, int64_t ms); /* 8 bytes little-endian */
/* The type byte of kv's value as Redis 7.0 writes it (RDB_TYPE_*). */
int rdb_value_type(const kv_t *kv);
/* The value of kv (without type byte and key). */
void rdb_write_value(rdb_out_t *o, const kv_t *kv);
/* [EXPIRETIME_MS] [IDLE|FREQ per maxmemory-policy] type key value. */
void rdb_write_entry(rdb_out_t *o, const kv_t *kv);

typedef struct rdb_save_info {
    int repl_stream_db;     /* -1 if none */
    const char *repl_id;    /* NULL: no replication AUX fields */
    long long repl_offset;
    bool aof_base;          /* aof-base AUX: 1 when written as an AOF base */
    bool skip_data;         /* header, AUX fields, EOF and checksum only (REPLCONF rdb-filter-only) */
} rdb_save_info_t;

/* The whole dataset: "REDIS0010", AUX fields (redis-ver, redis-bits, ctime,
 * used-mem, [repl-stream-db, repl-id, repl-offset], aof-base), per db
 * SELECTDB + RESIZEDB + entries, EOF, CRC64 (little-endian).  Flushes.
 * Returns 0 or -errno (o->err). */
int rdb_save_stream(rdb_out_t *o, const rdb_save_info_t *rsi);
/* rdb_save_stream into "<dir>/temp-<pid>.rdb", fsync, rename to path,
 * fsync the directory.  Returns 0 or -errno with *err set (xfree it). */
int rdb_save_file(const char *path, const rdb_save_info_t *rsi, bool checksum, bool compress, char **err);

/* ---- reader ------------------------------------------------------------- */

typedef struct rdb_in {
    int fd;                 /* -1 for a memory source */
    const unsigned char *mem;
    size_t memlen;
    /* Read buffer for fd sources.  After a load, buf[bufpos..buflen) holds
     * bytes read past the RDB trailer (the AOF tail after an RDB preamble). */
    unsigned char *buf;
    size_t buflen, bufpos, bufcap;
    uint64_t pos;           /* bytes consumed (error offsets, progress) */
    uint64_t total;         /* size when known (files), else 0 */
    uint64_t crc;           /* CRC64 of bytes [0, crc_from): folded lazily, see rdb.c */
    uint64_t crc_from;
    /* Diskless: the stream ends with a 40-byte mark.  The transport strips
     * the "$EOF:<mark>" framing and the trailing mark; the reader itself
     * reads exactly one RDB and does not look at these two fields. */
    bool eof_mark;
    char mark[RDB_EOF_MARK_SIZE];
    /* Called every ~1 MiB read (may be NULL): the loader updates INFO
     * loading fields and serves clients with -LOADING meanwhile. */
    void (*progress)(struct rdb_in *in, void *ud);
    void *progress_ud;
} rdb_in_t;

void rdb_in_init_fd(rdb_in_t *in, int fd, uint64_t total);
void rdb_in_init_mem(rdb_in_t *in, const void *p, size_t n);
void rdb_in_free(rdb_in_t *in);
/* CRC64 of every byte consumed so far (folds the pending bytes first). */
uint64_t rdb_in_crc(rdb_in_t *in);

typedef struct rdb_load_info {
    int rdb_version;
    long long keys_loaded, keys_expired;
    /* AUX fields seen (replication uses them on a replica's restart). */
    int repl_stream_db;     /* -1 if absent */
    char repl_id[41];       /* "" if absent */
    long long repl_offset;  /* -1 if absent */
    bool aof_base;
    int64_t ctime;          /* -1 if absent */
} rdb_load_info_t;

/* What a load does with the entries it reads. */
enum {
    RDB_LOAD_INSERT = 0,    /* insert into the keyspace (replacing nothing: keys must be new) */
    RDB_LOAD_CHECK = 1,     /* validate only (keel-check-rdb): nothing is kept */
};

/* Reads a whole RDB stream.  Expired keys are skipped on a master (counted
 * in keys_expired) as Redis does.  Returns 0, or K_EINVAL (K_EIO for a read
 * error) with *err set to a message naming what is wrong and the offset
 * (xfree it). */
int rdb_load_stream(rdb_in_t *in, int mode, rdb_load_info_t *info, char **err);
/* Opens path and loads it; K_ENOENT (and *err NULL) when the file does not
 * exist. */
int rdb_load_file(const char *path, int mode, rdb_load_info_t *info,
                  void (*progress)(rdb_in_t *in, void *ud), void *ud, char **err);

/* One value of the given RDB type into a new entry for key (DUMP/RESTORE,
 * MIGRATE).  Returns 0 with *out set, or K_EINVAL with *err set (including
 * "a type Keel does not serve yet"). */
int rdb_read_value(rdb_in_t *in, int rdb_type, const char *key, size_t klen, kv_t **out, char **err);

/* Reader primitives (for type codecs): 0, or K_EINVAL (K_EIO on a read
 * error) with *err set. */
int rdb_read_raw(rdb_in_t *in, void *p, size_t n, char **err);
int rdb_read_byte(rdb_in_t *in, uint8_t *b, char **err);
/* A length.  The special string forms (INT8/16/32, LZF) set *encoded and
 * put their code in *len; with encoded NULL they are an error. */
int rdb_read_len(rdb_in_t *in, uint64_t *len, bool *encoded, char **err);
/* A string in any encoding into out (cleared first, NUL-terminated). */
int rdb_read_string(rdb_in_t *in, buf_t *out, char **err);
int rdb_read_ms_time(rdb_in_t *in, int64_t *ms, char **err); /* 8 bytes little-endian */

/* Per-type codecs for the types that arrive later (lists, sets, ...). */
typedef struct rdb_type_codec {
    int obj_type;                                       /* OBJ_* */
    int (*rdb_type)(const kv_t *kv);                    /* type byte to write */
    void (*write)(rdb_out_t *o, const kv_t *kv);
    /* Reads a value of rdb_type; returns 0 and the value pointer/encoding
     * for kv_new_obj, or K_EINVAL with *err. */
    int (*read)(rdb_in_t *in, int rdb_type, void **ptr, int *enc, char **err);
} rdb_type_codec_t;
void rdb_register_type(const rdb_type_codec_t *codec); /* copied */

/* The keel-check-rdb personality (rdb_check.c); returns the exit code. */
int rdb_check_main(int argc, char **argv);

/* CRC64 as Redis computes it (crc64(0, "123456789") = 0xe9c6d914c4b8d9ca). */
uint64_t rdb_crc64(uint64_t crc, const void *p, size_t n);

#endif
