/* keel-check-rdb: checks an RDB file the way redis-check-rdb does.
 *
 *   keel-check-rdb <rdb-file-name>
 *
 * Loads the file in RDB_LOAD_CHECK mode, which parses and validates every
 * value of every type (also those Keel does not serve yet: the file is sound
 * even if Keel cannot load it), and prints what it meets with the offset
 * after it, in redis-check-rdb's line format:
 *
 *   [offset 0] Checking RDB file dump.rdb
 *   [offset 26] AUX FIELD redis-ver = '7.0.15'
 *   [offset 123] Selecting DB ID 0
 *   [offset 4567] Checksum OK
 *   [offset 4567] \o/ RDB looks OK! \o/
 *   [info] db 0: 5 keys, 2 expires, 1 already expired
 *   [info] 5 keys read
 *   ...
 *
 * or "--- RDB ERROR DETECTED ---", the offset and the reason, what was being
 * read, and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "rdb_int.h"
#include "server.h"

typedef struct check_db {
    uint64_t id, keys, expires, expired;
} check_db_t;

typedef struct check {
    check_db_t *dbs;
    size_t ndbs, cap;
    uint64_t keys, expires, expired, empty;
    uint64_t unserved[32]; /* keys per RDB type Keel does not serve yet */
    int cur_type;          /* type of the key being read, -1 if none */
    char *cur_key;
    bool at_trailer; /* the EOF opcode was read */
} check_t;

static void info_line(rdb_in_t *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void info_line(rdb_in_t *in, const char *fmt, ...) {
    va_list ap;
    printf("[offset %llu] ", (unsigned long long)(in ? in->pos : 0));
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static check_db_t *cur_db(check_t *c) {
    if (c->ndbs == 0) { /* keys before any SELECTDB belong to DB 0 */
        c->dbs = xcalloc(1, sizeof(check_db_t));
        c->ndbs = c->cap = 1;
    }
    return &c->dbs[c->ndbs - 1];
}

static void on_aux(void *ud, rdb_in_t *in, const char *key, const char *val) {
    info_line(in, "AUX FIELD %s = '%s'", key, val);
}

static void on_selectdb(void *ud, rdb_in_t *in, uint64_t dbid) {
    check_t *c = ud;
    if (c->ndbs == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4;
        c->dbs = xrealloc(c->dbs, c->cap * sizeof(check_db_t));
    }
    c->dbs[c->ndbs++] = (check_db_t){.id = dbid};
    info_line(in, "Selecting DB ID %llu", (unsigned long long)dbid);
}

static void on_key(void *ud, rdb_in_t *in, int type, const char *key, size_t klen) {
    check_t *c = ud;
    xfree(c->cur_key);
    c->cur_key = xstrndup(key, klen);
    c->cur_type = type;
}

static void on_value(void *ud, rdb_in_t *in, int64_t expire_ms, bool expired, bool empty) {
    check_t *c = ud;
    check_db_t *db = cur_db(c);
    db->keys++;
    c->keys++;
    if (expire_ms != -1) {
        db->expires++;
        c->expires++;
    }
    if (expired) {
        db->expired++;
        c->expired++;
    }
    if (empty) c->empty++;
    if (c->cur_type != RDB_TYPE_STRING && c->cur_type >= 0 && c->cur_type < 32)
        c->unserved[c->cur_type]++;
    xfree(c->cur_key);
    c->cur_key = NULL;
    c->cur_type = -1;
}

static void on_note(void *ud, rdb_in_t *in, const char *what) { info_line(in, "%s", what); }

static void on_eof(void *ud, rdb_in_t *in) { ((check_t *)ud)->at_trailer = true; }

static void on_checksum(void *ud, rdb_in_t *in, uint64_t stored, uint64_t computed) {
    if (stored == 0)
        info_line(in, "RDB file was saved with checksum disabled: no check performed.");
    else
        info_line(in, "Checksum OK");
}

static void show_info(const check_t *c) {
    for (size_t i = 0; i < c->ndbs; i++)
        printf("[info] db %llu: %llu keys, %llu expires, %llu already expired\n",
               (unsigned long long)c->dbs[i].id, (unsigned long long)c->dbs[i].keys,
               (unsigned long long)c->dbs[i].expires, (unsigned long long)c->dbs[i].expired);
    printf("[info] %llu keys read\n", (unsigned long long)c->keys);
    printf("[info] %llu expires\n", (unsigned long long)c->expires);
    printf("[info] %llu already expired\n", (unsigned long long)c->expired);
    if (c->empty)
        printf("[info] %llu empty keys (skipped when loading)\n", (unsigned long long)c->empty);
    for (int t = 1; t < 32; t++)
        if (c->unserved[t])
            printf("[info] %llu keys of type %s (%s): valid, but this build of Keel does not serve "
                   "%s yet\n",
                   (unsigned long long)c->unserved[t], rdb__type_name(t), rdb__enc_name(t),
                   rdb__type_plural(t));
}

/* The reason without the " at offset N" the loader appends (the offset has
 * its own place in the report). */
static void print_reason(const char *msg, uint64_t pos) {
    char suffix[48];
    int n = snprintf(suffix, sizeof(suffix), " at offset %llu", (unsigned long long)pos);
    size_t len = strlen(msg);
    if (len >= (size_t)n && strcmp(msg + len - (size_t)n, suffix) == 0) len -= (size_t)n;
    printf("[offset %llu] %.*s\n", (unsigned long long)pos, (int)len, msg);
}

int rdb_check_main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "Usage: keel-check-rdb <rdb-file-name>\n");
        return 1;
    }
    const char *path = argv[1];
    server.now_ms = clock_unix_ms();
    printf("[offset 0] Checking RDB file %s\n", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        printf("--- RDB ERROR DETECTED ---\n");
        printf("[offset 0] Can't open %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct stat st;
    uint64_t total = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    rdb_in_t in;
    rdb_in_init_fd(&in, fd, total);
    check_t c = {.cur_type = -1};
    rdb__observer_t obs = {.ud = &c,
                           .aux = on_aux,
                           .selectdb = on_selectdb,
                           .key = on_key,
                           .value = on_value,
                           .note = on_note,
                           .eof = on_eof,
                           .checksum = on_checksum};
    rdb_load_info_t info;
    char *err = NULL;
    int rc = rdb__load(&in, RDB_LOAD_CHECK, &info, &obs, &err);
    if (rc == 0) {
        info_line(&in, "\\o/ RDB looks OK! \\o/");
    } else {
        printf("--- RDB ERROR DETECTED ---\n");
        print_reason(err ? err : "unknown error", in.pos);
        const char *doing = c.at_trailer ? "check-sum"
                            : c.cur_key  ? "read-object-value"
                                         : "read-type";
        printf("[additional info] While doing: %s\n", doing);
        if (c.cur_key) printf("[additional info] Reading key '%s'\n", c.cur_key);
        if (c.cur_type != -1)
            printf("[additional info] Reading type %d (%s, %s)\n", c.cur_type,
                   rdb__type_name(c.cur_type), rdb__enc_name(c.cur_type));
    }
    show_info(&c);
    fflush(stdout);
    xfree(err);
    xfree(c.cur_key);
    xfree(c.dbs);
    rdb_in_free(&in);
    close(fd);
    return rc == 0 ? 0 : 1;
}
