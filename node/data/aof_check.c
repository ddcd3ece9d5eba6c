/* keel-check-aof: checks (and with --fix, truncates) an append-only file,
 * with redis-check-aof 7.0's arguments, messages and exit codes.
 *
 *   keel-check-aof [--fix|--truncate-to-timestamp <unix-time>] <file.manifest|file.aof>
 *
 * Design notes:
 *  1. The input is an old-style AOF with an RDB preamble (starts with
 *     "REDIS"), a manifest (its first line that is not a "#" comment starts
 *     with "file") or a plain command AOF.  A manifest's files are looked up
 *     next to it.
 *  2. Commands are read strictly, as redis-check-aof does: "*<n>\r\n", then
 *     n times "$<len>\r\n<len bytes>\r\n"; "#" lines are annotations.  The
 *     answer is the offset after the last complete command outside
 *     MULTI ... EXEC (ok_up_to); everything after it is the diff.  The line
 *     counter (ok_up_to_line) counts every CRLF consumed, across files, as
 *     Redis's does, so it names the line where reading stopped.
 *  3. Only the last file of a manifest may be cut, and only after the user
 *     answers "y" to "Continue? [y/N]: ".
 *  4. An RDB part (a base file or a preamble) is validated with the RDB
 *     reader in check mode; the commands after it are checked as above.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "aof_int.h"
#include "err.h"
#include "rdb.h"
#include "server.h"

enum { CHECK_OK = 0, CHECK_EMPTY, CHECK_TRUNCATED, CHECK_TIMESTAMP_TRUNCATED, CHECK_FATAL };
enum { INPUT_RAW, INPUT_PREAMBLE, INPUT_MANIFEST };

static struct {
    char error[1100];  /* first error found, "0x<offset>: <what>" */
    off_t epos;        /* offset the error refers to */
    long long line;    /* CRLFs consumed + 1 (note 2) */
    long to_timestamp; /* --truncate-to-timestamp, 0 if not given */
} chk = {.line = 1};

static void set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_error(const char *fmt, ...) {
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(chk.error, sizeof(chk.error), "0x%16llx: %s", (long long)chk.epos, what);
}

static bool consume_newline(const char *p) {
    if (p[0] != '\r' || p[1] != '\n') {
        set_error("Expected \\r\\n, got: %02x%02x", (unsigned char)p[0], (unsigned char)p[1]);
        return false;
    }
    chk.line++;
    return true;
}

/* "<prefix><number>\r\n" */
static bool read_long(FILE *fp, char prefix, long *out) {
    /* Static, as the stack buffer of Redis's readLong is in effect: a line
     * cut short at EOF ("*2") is followed by what the previous line left
     * there, and "Expected \r\n, got: ..." prints the same bytes. */
    static char buf[128];
    char *end;
    chk.epos = ftello(fp);
    if (!fgets(buf, sizeof(buf), fp)) return false;
    if (buf[0] != prefix) {
        set_error("Expected prefix '%c', got: '%c'", prefix, buf[0]);
        return false;
    }
    *out = strtol(buf + 1, &end, 10);
    return consume_newline(end);
}

static bool read_bytes(FILE *fp, char *dst, long n) {
    chk.epos = ftello(fp);
    long got = (long)fread(dst, 1, (size_t)n, fp);
    if (got != n) {
        set_error("Expected to read %ld bytes, got %ld bytes", n, got);
        return false;
    }
    return true;
}

/* "$<len>\r\n<data>\r\n": the data, NUL-terminated (caller frees), or NULL. */
static char *read_string(FILE *fp) {
    long len;
    if (!read_long(fp, '$', &len)) return NULL;
    if (len < 0 || len > LONG_MAX - 2) {
        set_error("Expected to read string of %ld bytes, which is not in the suitable range", len);
        return NULL;
    }
    char *s = xmalloc((size_t)len + 2);
    if (!read_bytes(fp, s, len + 2) || !consume_newline(s + len)) {
        xfree(s);
        return NULL;
    }
    s[len] = '\0';
    return s;
}

/* One command; false when it is incomplete or malformed. */
static bool process_resp(FILE *fp, const char *filename, int *multi) {
    long argc;
    if (!read_long(fp, '*', &argc)) return false;
    for (long i = 0; i < argc; i++) {
        char *s = read_string(fp);
        if (!s) return false;
        if (i == 0) {
            if (strcasecmp(s, "multi") == 0) {
                if ((*multi)++) {
                    set_error("Unexpected MULTI in AOF %s", filename);
                    xfree(s);
                    return false;
                }
            } else if (strcasecmp(s, "exec") == 0) {
                if (--(*multi)) {
                    set_error("Unexpected EXEC in AOF %s", filename);
                    xfree(s);
                    return false;
                }
            }
        }
        xfree(s);
    }
    return true;
}

/* An annotation line.  With --truncate-to-timestamp, the first "#TS:" after
 * the requested time cuts the file there.  1 = go on, 0 = truncated here,
 * -1 = fatal (printed). */
static int process_annotation(FILE *fp, const char *filename, bool last_file) {
    char buf[AOF_ANNOTATION_LINE_MAX_LEN];
    chk.epos = ftello(fp);
    if (!fgets(buf, sizeof(buf), fp)) {
        printf("Failed to read annotations from AOF %s, aborting...\n", filename);
        return -1;
    }
    if (!chk.to_timestamp || strncmp(buf, "#TS:", 4) != 0) return 1;
    char *end;
    errno = 0;
    long ts = strtol(buf + 4, &end, 10);
    if (errno != 0) {
        printf("Invalid timestamp annotation\n");
        return -1;
    }
    if (ts <= chk.to_timestamp) return 1;
    if (chk.epos == 0) {
        printf("AOF %s has nothing before timestamp %ld, aborting...\n", filename,
               chk.to_timestamp);
        return -1;
    }
    if (!last_file) {
        printf(
            "Failed to truncate AOF %s to timestamp %ld to offset %ld because it is not the last "
            "file.\n",
            filename, chk.to_timestamp, (long)chk.epos);
        printf("If you insist, please delete all files after this file according to the manifest "
               "file and delete the corresponding records in manifest file manually. Then re-run "
               "keel-check-aof.\n");
        return -1;
    }
    if (ftruncate(fileno(fp), chk.epos) == -1) {
        printf("Failed to truncate AOF %s to timestamp %ld\n", filename, chk.to_timestamp);
        return -1;
    }
    return 0;
}

/* Validates the RDB at the start of the file with keel-check-rdb (its
 * report is printed), then finds where the RDB ends with a silent pass, and
 * leaves fp there.  false on error. */
static bool check_rdb_part(FILE *fp, const char *path, off_t size) {
    char *args[2] = {"keel-check-aof", (char *)path};
    fflush(stdout);
    if (rdb_check_main(2, args) != 0) return false;
    rdb_in_t in;
    rdb_load_info_t info;
    char *err = NULL;
    if (fseeko(fp, 0, SEEK_SET) == -1 || lseek(fileno(fp), 0, SEEK_SET) == -1) return false;
    rdb_in_init_fd(&in, fileno(fp), (uint64_t)size);
    int rc = rdb_load_stream(&in, RDB_LOAD_CHECK, &info, &err);
    uint64_t end = in.pos;
    rdb_in_free(&in);
    xfree(err);
    /* The reader used the fd directly: put the stream where it stopped. */
    return rc == 0 && fseeko(fp, (off_t)end, SEEK_SET) == 0;
}

static bool confirm(void) {
    char buf[2];
    printf("Continue? [y/N]: ");
    fflush(stdout);
    return fgets(buf, sizeof(buf), stdin) && strncasecmp(buf, "y", 1) == 0;
}

/* Redis's checkSingleAof(). */
static int check_single(const char *name, const char *path, bool last_file, bool fix,
                        bool preamble) {
    FILE *fp = fopen(path, "r+");
    if (!fp) {
        printf("Cannot open file %s: %s, aborting...\n", path, strerror(errno));
        return CHECK_FATAL;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) == -1) {
        printf("Cannot stat file: %s, aborting...\n", name);
        fclose(fp);
        return CHECK_FATAL;
    }
    off_t size = st.st_size, pos = 0;
    if (size == 0) {
        fclose(fp);
        return CHECK_EMPTY;
    }
    if (preamble) {
        if (!check_rdb_part(fp, path, size)) {
            printf("RDB preamble of AOF file is not sane, aborting.\n");
            fclose(fp);
            return CHECK_FATAL;
        }
        printf("RDB preamble is OK, proceeding with AOF tail...\n");
    }
    int multi = 0;
    for (;;) {
        if (!multi) pos = ftello(fp);
        int c = fgetc(fp);
        if (c == EOF) {
            if (feof(fp)) break;
            printf("Failed to read from AOF %s, aborting...\n", name);
            fclose(fp);
            return CHECK_FATAL;
        }
        ungetc(c, fp);
        if (c == '#') {
            int a = process_annotation(fp, path, last_file);
            if (a < 0) {
                fclose(fp);
                return CHECK_FATAL;
            }
            if (a == 0) {
                fclose(fp);
                return CHECK_TIMESTAMP_TRUNCATED;
            }
        } else if (c == '*') {
            if (!process_resp(fp, path, &multi)) break;
        } else {
            printf("AOF %s format error\n", name);
            break;
        }
    }
    if (feof(fp) && multi && !chk.error[0]) set_error("Reached EOF before reading EXEC for MULTI");
    if (chk.error[0]) printf("%s\n", chk.error);
    off_t diff = size - pos;
    if (diff == 0 && chk.to_timestamp) {
        printf("Truncate nothing in AOF %s to timestamp %ld\n", name, chk.to_timestamp);
        fclose(fp);
        return CHECK_OK;
    }
    printf("AOF analyzed: filename=%s, size=%lld, ok_up_to=%lld, ok_up_to_line=%lld, diff=%lld\n",
           name, (long long)size, (long long)pos, chk.line, (long long)diff);
    int rc = CHECK_OK;
    if (diff > 0) {
        if (!fix) {
            printf("AOF %s is not valid. Use the --fix option to try fixing it.\n", name);
            rc = CHECK_FATAL;
        } else if (!last_file) {
            printf("Failed to truncate AOF %s because it is not the last file\n", name);
            rc = CHECK_FATAL;
        } else {
            printf("This will shrink the AOF %s from %lld bytes, with %lld bytes, to %lld bytes\n",
                   name, (long long)size, (long long)diff, (long long)pos);
            if (!confirm()) {
                printf("Aborting...\n");
                rc = CHECK_FATAL;
            } else if (ftruncate(fileno(fp), pos) == -1) {
                printf("Failed to truncate AOF %s\n", name);
                rc = CHECK_FATAL;
            } else {
                rc = CHECK_TRUNCATED;
            }
        }
    }
    fclose(fp);
    return rc;
}

/* Prints the outcome of one file as Redis does; false on a fatal result. */
static bool report(const char *kind, const char *name, int rc) {
    const char *sep = kind[0] ? " " : "";
    switch (rc) {
    case CHECK_OK:
        printf("%s%sAOF %s is valid\n", kind, sep, name);
        break;
    case CHECK_EMPTY:
        printf("%s%sAOF %s is empty\n", kind, sep, name);
        break;
    case CHECK_TIMESTAMP_TRUNCATED:
        printf("Successfully truncated AOF %s to timestamp %ld\n", name, chk.to_timestamp);
        break;
    case CHECK_TRUNCATED:
        printf("Successfully truncated AOF %s\n", name);
        break;
    default:
        return false;
    }
    return true;
}

static int file_kind(const char *path) {
    FILE *fp = fopen(path, "r");
    if (!fp) {
        printf("Cannot open file: %s\n", path);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) == -1) {
        printf("Cannot stat file: %s\n", path);
        fclose(fp);
        return -1;
    }
    char sig[5] = {0};
    size_t n = fread(sig, 1, sizeof(sig), fp);
    if (st.st_size >= 8 && n == 5 && memcmp(sig, "REDIS", 5) == 0) {
        fclose(fp);
        return INPUT_PREAMBLE;
    }
    /* A manifest: the first line that is not a comment starts with "file". */
    char line[AOF_MANIFEST_MAX_LINE + 1];
    int kind = INPUT_RAW;
    rewind(fp);
    while (fgets(line, sizeof(line), fp)) {
        if (line[0] == '#') continue;
        if (strncmp(line, "file", 4) == 0) kind = INPUT_MANIFEST;
        break;
    }
    fclose(fp);
    return kind;
}

static int check_manifest(const char *dir, const char *manifest_path, bool fix) {
    aof_manifest_t am;
    const char *err = NULL;
    int errline = 0;
    char *errtext = NULL;
    printf("Start checking Multi Part AOF\n");
    aof__manifest_init(&am);
    int rc = aof__manifest_load(&am, manifest_path, &err, &errline, &errtext);
    if (rc == K_ENOENT) {
        printf("The AOF manifest file %s doesn't exist\n", manifest_path);
        return 1;
    }
    if (rc != 0) {
        printf("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
        if (errtext) {
            printf("Reading the manifest file, at line %d\n", errline);
            printf(">>> '%s'\n", errtext);
        }
        printf("%s\n", err);
        xfree(errtext);
        return 1;
    }
    int total = (am.has_base ? 1 : 0) + am.nincr, num = 0;
    bool ok = true;
    if (am.has_base) {
        char *path = aof__path(dir, am.base.name);
        int kind = file_kind(path);
        if (kind < 0) {
            ok = false;
        } else {
            bool rdb = kind == INPUT_PREAMBLE;
            printf("Start to check BASE AOF (%s format).\n", rdb ? "RDB" : "RESP");
            ok = report("BASE", am.base.name,
                        check_single(am.base.name, path, ++num == total, fix, rdb));
        }
        xfree(path);
    }
    if (ok && am.nincr) {
        printf("Start to check INCR files.\n");
        for (int i = 0; i < am.nincr && ok; i++) {
            char *path = aof__path(dir, am.incr[i].name);
            ok = report("INCR", am.incr[i].name,
                        check_single(am.incr[i].name, path, ++num == total, fix, false));
            xfree(path);
        }
    }
    aof__manifest_free(&am);
    if (!ok) return 1;
    printf("All AOF files and manifest are valid\n");
    return 0;
}

static int usage(const char *prog) {
    printf("Usage: %s [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n", prog);
    return 1;
}

int aof_check_main(int argc, char **argv) {
    const char *path;
    bool fix = false;
    if (argc == 2) {
        path = argv[1];
    } else if (argc == 3 && !strcmp(argv[1], "--fix")) {
        path = argv[2];
        fix = true;
    } else if (argc == 4 && !strcmp(argv[1], "--truncate-to-timestamp")) {
        char *end;
        errno = 0;
        chk.to_timestamp = strtol(argv[2], &end, 10);
        if (errno != 0 || *end != '\0') {
            printf("Invalid timestamp, aborting...\n");
            return 1;
        }
        path = argv[3];
    } else {
        return usage(argv[0]);
    }
    /* The RDB reader consults a few settings (databases, checksums). */
    if (server.cfg.databases == 0) config_init(&server.cfg);
    char *copy = xstrdup(path);
    char *dir = dirname(copy);
    int rc, kind = file_kind(path);
    if (kind == INPUT_MANIFEST) {
        rc = check_manifest(dir, path, fix);
    } else if (kind >= 0) {
        printf("Start checking Old-Style AOF\n");
        rc = report("", path, check_single(path, path, true, fix, kind == INPUT_PREAMBLE)) ? 0 : 1;
    } else {
        rc = 1;
    }
    xfree(copy);
    fflush(stdout);
    return rc;
}
