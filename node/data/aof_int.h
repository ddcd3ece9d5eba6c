/* Internal to the AOF module: aof.c, aof_manifest.c, aof_check.c and the
 * unit tests.  Nothing here touches the server or the loop, so every part
 * can be tested alone.
 *
 * Parts:
 *  - the manifest (Redis 7.0's "<appendfilename>.manifest"): the list of
 *    files of the AOF, parse/format, naming and sequence numbers, atomic
 *    persistence;
 *  - the feed encoder: one propagated operation as AOF bytes, with the
 *    "#TS:" annotation and the SELECT when the db changes;
 *  - the command reader: the RESP command stream of an AOF file, with
 *    annotations skipped, and the offset of the last complete command so a
 *    truncated tail can be cut.
 */
#ifndef KEEL_AOF_INT_H
#define KEEL_AOF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* ---- manifest ------------------------------------------------------------ */

/* File types as written in the manifest's "type" field. */
enum { AOF_FILE_BASE = 'b', AOF_FILE_HIST = 'h', AOF_FILE_INCR = 'i' };

#define AOF_MANIFEST_MAX_LINE 1024 /* as Redis: longer lines are refused */
#define AOF_ANNOTATION_LINE_MAX_LEN 1024

typedef struct aof_info {
    char *name; /* a base name, never a path */
    long long seq;
    char type; /* AOF_FILE_* */
} aof_info_t;

/* Ordering rule (as Redis writes it): base first, then history, then incr.
 * incr[] is in load order and its seqs strictly increase. */
typedef struct aof_manifest {
    bool has_base;
    aof_info_t base;
    aof_info_t *hist;
    int nhist, histcap;
    aof_info_t *incr;
    int nincr, incrcap;
    long long base_seq; /* last base seq handed out (curr_base_file_seq) */
    long long incr_seq; /* last incr seq handed out (curr_incr_file_seq) */
    bool dirty;         /* differs from what is on disk */
} aof_manifest_t;

void aof__manifest_init(aof_manifest_t *m);
void aof__manifest_free(aof_manifest_t *m);
/* dst (uninitialised) becomes a deep copy of src. */
void aof__manifest_dup(aof_manifest_t *dst, const aof_manifest_t *src);
/* Parses manifest text with Redis 7.0's rules.  On error returns K_EINVAL,
 * *err is Redis's static text ("Invalid AOF manifest file format", ...),
 * *errline the 1-based line number (0 if none) and *errtext the trimmed line
 * (xfree it; NULL if none).  m must be initialised; it is left empty on error. */
int aof__manifest_parse(aof_manifest_t *m, const char *text, size_t len, const char **err,
                        int *errline, char **errtext);
/* Appends "file <name> seq <n> type <t>\n" lines: base, history, incr. */
void aof__manifest_format(const aof_manifest_t *m, buf_t *out);

/* A new base "<fn>.<seq>.base.rdb" (or .base.aof without preamble) with the
 * next base seq; the previous base becomes the first history entry.
 * Returns the new name (owned by m). */
const char *aof__manifest_new_base(aof_manifest_t *m, const char *fn, bool rdb);
/* A new incr "<fn>.<seq>.incr.aof" appended with the next incr seq. */
const char *aof__manifest_new_incr(aof_manifest_t *m, const char *fn);
/* The last incr, or a new one when there is none. */
const char *aof__manifest_last_incr(aof_manifest_t *m, const char *fn);
/* After a successful rewrite: every incr but the last (keep_last, the file
 * being written) moves to the front of the history, newest first. */
void aof__manifest_mark_incr_history(aof_manifest_t *m, bool keep_last);
/* Drops the history entries (their files are deleted by the caller). */
void aof__manifest_clear_history(aof_manifest_t *m);

/* Writes the manifest of dir atomically when m->dirty: temp file
 * "temp-<fn>.manifest", fsync, rename, fsync of the directory.  Returns 0 or
 * -errno, logging Redis's warning. */
int aof__manifest_persist(aof_manifest_t *m, const char *dir, const char *fn);
/* Reads dir/<fn>.manifest.  K_ENOENT when the directory or the manifest
 * does not exist; K_EINVAL with the parse error (see aof__manifest_parse)
 * or an I/O error (*err static, *errline 0). */
int aof__manifest_load(aof_manifest_t *m, const char *path, const char **err, int *errline,
                       char **errtext);

/* "dir/name" (xfree it). */
char *aof__path(const char *dir, const char *name);
/* True for a name needing quotes in the manifest (Redis's sdsneedsrepr). */
bool aof__name_needs_repr(const char *s);

/* ---- feed encoder -------------------------------------------------------- */

typedef struct aof_feed_state {
    int selected_db; /* db of the last SELECT written; -1 forces one */
    int64_t cur_ts;  /* unix seconds of the last "#TS:" written */
} aof_feed_state_t;

/* Appends one operation: "#TS:<now_s>\r\n" when timestamps are enabled and
 * the second changed, "SELECT <dbid>" when dbid differs from the last one
 * (dbid -1: never), then the command as a multibulk. */
void aof__feed_encode(buf_t *out, aof_feed_state_t *st, bool ts_enabled, int64_t now_s, int dbid,
                      int argc, const char *const *argv, const size_t *lens);

/* ---- command reader ------------------------------------------------------ */

enum {
    AOF_READ_OK = 0,    /* every byte up to the end was complete commands */
    AOF_READ_TRUNCATED, /* the tail is an unfinished command or MULTI */
    AOF_READ_FMTERR,    /* not an AOF: bad protocol, a line not starting with '*' or '#' */
    AOF_READ_IOERR,     /* read(2) failed (res->err_errno) */
    AOF_READ_ABORTED,   /* the callback refused a command */
};

typedef struct aof_read_result {
    uint64_t valid_up_to; /* file offset after the last complete command (before
                             an unfinished MULTI): where a truncation cuts */
    uint64_t end;         /* file offset where reading stopped */
    long long commands;   /* commands handed to the callback */
    bool multi_reverted;  /* the file ended inside MULTI ... EXEC */
    int err_errno;
} aof_read_result_t;

/* Called for each command; argv[i] is NUL-terminated and valid until the
 * callback returns.  Non-zero stops the read with AOF_READ_ABORTED. */
typedef int (*aof_cmd_fn)(int argc, char **argv, size_t *lens, void *ud);
/* Called every 1024 commands with the file offset reached (may be NULL). */
typedef void (*aof_tick_fn)(uint64_t offset, void *ud);

/* Reads commands from fd at file offset start up to size (the file size),
 * skipping "#..." annotation lines.  Returns AOF_READ_*, filling *res. */
int aof__read_commands(int fd, uint64_t start, uint64_t size, aof_cmd_fn fn, aof_tick_fn tick,
                       void *ud, aof_read_result_t *res);

#endif
