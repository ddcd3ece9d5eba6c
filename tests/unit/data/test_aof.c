/* Unit tests for the AOF's file formats (node/data/aof_manifest.c): the
 * manifest (parse, format, sequence numbering, errors), the feed encoder
 * (SELECT and #TS annotations) and the command reader on crafted files
 * (truncated tails, unfinished MULTI, annotations, format errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc.h"
#include "aof_int.h"
#include "err.h"

/* ---- helpers -------------------------------------------------------------- */

static int parse(aof_manifest_t *m, const char *text, const char **err, int *line) {
    char *errtext = NULL;
    aof__manifest_init(m);
    int rc = aof__manifest_parse(m, text, strlen(text), err, line, &errtext);
    xfree(errtext);
    return rc;
}

static char *format(const aof_manifest_t *m) {
    buf_t b = BUF_INIT;
    aof__manifest_format(m, &b);
    return b.p ? buf_detach(&b) : xstrdup("");
}

static const char *parse_error(const char *text) {
    aof_manifest_t m;
    const char *err = NULL;
    int line;
    int rc = parse(&m, text, &err, &line);
    aof__manifest_free(&m);
    return rc == 0 ? NULL : err;
}

/* Writes bytes to a temp file; returns its fd (offset 0). */
static int temp_file(const char *bytes, size_t n) {
    char path[] = "/tmp/keel-test-aof-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    return fd;
}

typedef struct seen {
    int n;
    char names[16][16];
} seen_t;

static int record(int argc, char **argv, size_t *lens, void *ud) {
    seen_t *s = ud;
    if (s->n < 16) snprintf(s->names[s->n], sizeof(s->names[0]), "%s", argv[0]);
    s->n++;
    /* Arguments arrive NUL-terminated in place. */
    for (int i = 0; i < argc; i++) assert_int_equal(strlen(argv[i]), lens[i]);
    return 0;
}

static int read_all(const char *bytes, aof_read_result_t *res, seen_t *s) {
    size_t n = strlen(bytes);
    int fd = temp_file(bytes, n);
    memset(s, 0, sizeof(*s));
    int rc = aof__read_commands(fd, 0, n, record, NULL, s, res);
    close(fd);
    return rc;
}

#define SET_A "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n" /* 29 bytes */
#define SET_B "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"

/* ---- manifest -------------------------------------------------------------- */

static void test_manifest_round_trip(void **state) {
    const char *text = "file appendonly.aof.2.base.rdb seq 2 type b\n"
                       "file appendonly.aof.1.base.rdb seq 1 type h\n"
                       "file appendonly.aof.1.incr.aof seq 1 type h\n"
                       "file appendonly.aof.2.incr.aof seq 2 type i\n"
                       "file appendonly.aof.3.incr.aof seq 3 type i\n";
    aof_manifest_t m;
    const char *err = NULL;
    int line;
    assert_int_equal(parse(&m, text, &err, &line), 0);
    assert_true(m.has_base);
    assert_string_equal(m.base.name, "appendonly.aof.2.base.rdb");
    assert_int_equal(m.nhist, 2);
    assert_int_equal(m.nincr, 2);
    assert_int_equal(m.base_seq, 2);
    assert_int_equal(m.incr_seq, 3);
    assert_false(m.dirty);
    char *out = format(&m);
    assert_string_equal(out, text);
    xfree(out);

    /* A deep copy formats the same and is independent. */
    aof_manifest_t d;
    aof__manifest_dup(&d, &m);
    aof__manifest_free(&m);
    out = format(&d);
    assert_string_equal(out, text);
    xfree(out);
    aof__manifest_free(&d);
}

static void test_manifest_comments_quotes_and_extra_fields(void **state) {
    aof_manifest_t m;
    const char *err = NULL;
    int line;
    /* Comments are skipped; unknown key/value pairs are tolerated (forward
     * compatibility); quoted names are unescaped. */
    const char *text = "# written by a test\n"
                       "file \"my file.1.base.aof\" seq 1 type b future x\n"
                       "FILE plain.1.incr.aof SEQ 1 TYPE i\n";
    assert_int_equal(parse(&m, text, &err, &line), 0);
    assert_string_equal(m.base.name, "my file.1.base.aof");
    assert_string_equal(m.incr[0].name, "plain.1.incr.aof");
    char *out = format(&m);
    assert_string_equal(out, "file \"my file.1.base.aof\" seq 1 type b\n"
                             "file plain.1.incr.aof seq 1 type i\n");
    xfree(out);
    aof__manifest_free(&m);

    /* A name with control characters survives format -> parse. */
    aof__manifest_init(&m);
    aof__manifest_new_base(&m, "we\tird\"\x01", true);
    out = format(&m);
    assert_string_equal(out, "file \"we\\tird\\\"\\x01.1.base.rdb\" seq 1 type b\n");
    aof_manifest_t back;
    assert_int_equal(parse(&back, out, &err, &line), 0);
    assert_string_equal(back.base.name, "we\tird\"\x01.1.base.rdb");
    xfree(out);
    aof__manifest_free(&back);
    aof__manifest_free(&m);
}

static void test_manifest_errors(void **state) {
    assert_string_equal(parse_error(""), "Found an empty AOF manifest");
    assert_string_equal(parse_error("file a seq 1 type b\nfile b seq 2 type b\n"),
                        "Found duplicate base file information");
    assert_string_equal(parse_error("file a seq 2 type i\nfile b seq 2 type i\n"),
                        "Found a non-monotonic sequence number");
    assert_string_equal(parse_error("file a seq 1 type x\n"), "Unknown AOF file type");
    assert_string_equal(parse_error("file d/a seq 1 type b\n"),
                        "File can't be a path, just a filename");
    assert_string_equal(parse_error("file a seq 1\n"), "Invalid AOF manifest file format");
    assert_string_equal(parse_error("file a seq 0 type b\n"), "Invalid AOF manifest file format");
    assert_string_equal(parse_error("\n"), "Invalid AOF manifest file format");
    assert_string_equal(parse_error("file \"a seq 1 type b\n"), "Invalid AOF manifest file format");
    /* fgets semantics: the last line must end with a newline, and a line
     * may not exceed 1024 bytes. */
    assert_string_equal(parse_error("file a seq 1 type b"),
                        "The AOF manifest file contains too long line");
    char big[1200];
    memset(big, 'x', sizeof(big));
    memcpy(big, "file ", 5);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    assert_string_equal(parse_error(big), "The AOF manifest file contains too long line");
    /* Only comments: valid and empty. */
    assert_null(parse_error("# nothing\n"));

    /* The failing line is reported. */
    aof_manifest_t m;
    const char *err;
    int line;
    char *text = NULL;
    const char *bad = "file a.1.base.rdb seq 1 type b\n  file b seq 1 type q  \n";
    aof__manifest_init(&m);
    assert_int_equal(aof__manifest_parse(&m, bad, strlen(bad), &err, &line, &text), K_EINVAL);
    assert_int_equal(line, 2);
    assert_string_equal(text, "file b seq 1 type q");
    assert_false(m.has_base); /* left empty on error */
    xfree(text);
    aof__manifest_free(&m);
}

/* ---- sequence numbering ---------------------------------------------------- */

static void test_manifest_sequence_numbering(void **state) {
    aof_manifest_t m;
    const char *err;
    int line;
    assert_int_equal(parse(&m,
                           "file appendonly.aof.2.base.rdb seq 2 type b\n"
                           "file appendonly.aof.3.incr.aof seq 3 type i\n"
                           "file appendonly.aof.4.incr.aof seq 4 type i\n",
                           &err, &line),
                     0);
    /* The last incr is reused at start-up. */
    assert_string_equal(aof__manifest_last_incr(&m, "appendonly.aof"), "appendonly.aof.4.incr.aof");
    assert_false(m.dirty);
    /* A rewrite starts: incr 5 is opened. */
    assert_string_equal(aof__manifest_new_incr(&m, "appendonly.aof"), "appendonly.aof.5.incr.aof");
    assert_true(m.dirty);
    /* It succeeds: base 3 (without preamble: .aof), older files to history. */
    assert_string_equal(aof__manifest_new_base(&m, "appendonly.aof", false),
                        "appendonly.aof.3.base.aof");
    aof__manifest_mark_incr_history(&m, true);
    char *out = format(&m);
    /* History order as Redis builds it (each moved to the head): the
     * rewritten incr files, in order, ahead of the old base. */
    assert_string_equal(out, "file appendonly.aof.3.base.aof seq 3 type b\n"
                             "file appendonly.aof.3.incr.aof seq 3 type h\n"
                             "file appendonly.aof.4.incr.aof seq 4 type h\n"
                             "file appendonly.aof.2.base.rdb seq 2 type h\n"
                             "file appendonly.aof.5.incr.aof seq 5 type i\n");
    xfree(out);
    /* History deleted; the next rewrite continues the sequences. */
    aof__manifest_clear_history(&m);
    assert_string_equal(aof__manifest_new_incr(&m, "appendonly.aof"), "appendonly.aof.6.incr.aof");
    assert_string_equal(aof__manifest_new_base(&m, "appendonly.aof", true),
                        "appendonly.aof.4.base.rdb");
    /* AOF off during the rewrite (no open file): every incr becomes history. */
    aof__manifest_mark_incr_history(&m, false);
    assert_int_equal(m.nincr, 0);
    out = format(&m);
    assert_string_equal(out, "file appendonly.aof.4.base.rdb seq 4 type b\n"
                             "file appendonly.aof.5.incr.aof seq 5 type h\n"
                             "file appendonly.aof.6.incr.aof seq 6 type h\n"
                             "file appendonly.aof.3.base.aof seq 3 type h\n");
    xfree(out);
    aof__manifest_free(&m);

    /* An empty manifest starts at 1. */
    aof__manifest_init(&m);
    assert_string_equal(aof__manifest_new_base(&m, "x.aof", true), "x.aof.1.base.rdb");
    assert_string_equal(aof__manifest_last_incr(&m, "x.aof"), "x.aof.1.incr.aof");
    aof__manifest_free(&m);
}

static void test_manifest_persist_and_load(void **state) {
    char dir[] = "/tmp/keel-test-aofdir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    aof_manifest_t m;
    aof__manifest_init(&m);
    aof__manifest_new_base(&m, "appendonly.aof", true);
    aof__manifest_new_incr(&m, "appendonly.aof");
    assert_int_equal(aof__manifest_persist(&m, dir, "appendonly.aof"), 0);
    assert_false(m.dirty);
    char *path = aof__path(dir, "appendonly.aof.manifest");
    aof_manifest_t back;
    const char *err;
    int line;
    char *text;
    aof__manifest_init(&back);
    assert_int_equal(aof__manifest_load(&back, path, &err, &line, &text), 0);
    char *a = format(&m), *b = format(&back);
    assert_string_equal(a, b);
    assert_string_equal(a, "file appendonly.aof.1.base.rdb seq 1 type b\n"
                           "file appendonly.aof.1.incr.aof seq 1 type i\n");
    /* No temp file is left behind. */
    char *tmp = aof__path(dir, "temp-appendonly.aof.manifest");
    assert_int_equal(access(tmp, F_OK), -1);
    unlink(path);
    aof__manifest_free(&back);
    aof__manifest_init(&back);
    assert_int_equal(aof__manifest_load(&back, path, &err, &line, &text), K_ENOENT);
    rmdir(dir);
    xfree(a);
    xfree(b);
    xfree(tmp);
    xfree(path);
    aof__manifest_free(&back);
    aof__manifest_free(&m);
}

/* ---- feed encoder ----------------------------------------------------------- */

static void test_feed_encoder(void **state) {
    aof_feed_state_t st = {.selected_db = -1, .cur_ts = 0};
    buf_t b = BUF_INIT;
    const char *set[] = {"SET", "k", "v"};
    size_t setl[] = {3, 1, 1};
    aof__feed_encode(&b, &st, false, 1700000000, 0, 3, set, setl);
    assert_string_equal(b.p, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
                             "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    buf_clear(&b);
    /* Same db: no SELECT.  Binary-safe arguments keep their length. */
    const char *bin[] = {"SET", "k\r\n", "\0x"};
    size_t binl[] = {3, 3, 2};
    aof__feed_encode(&b, &st, false, 1700000000, 0, 3, bin, binl);
    assert_int_equal(b.len, 30);
    assert_memory_equal(b.p, "*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$2\r\n\0x\r\n", 30);
    buf_clear(&b);
    /* Another db: SELECT 12 first. */
    const char *del[] = {"DEL", "k"};
    size_t dell[] = {3, 1};
    aof__feed_encode(&b, &st, false, 1700000000, 12, 2, del, dell);
    assert_string_equal(b.p, "*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
    assert_int_equal(st.selected_db, 12);
    buf_clear(&b);
    /* Timestamps: once per second, before the SELECT. */
    aof__feed_encode(&b, &st, true, 1700000001, 3, 2, del, dell);
    aof__feed_encode(&b, &st, true, 1700000001, 3, 2, del, dell);
    assert_string_equal(b.p, "#TS:1700000001\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
                             "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"
                             "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
    buf_clear(&b);
    /* dbid -1 never selects. */
    st.selected_db = -1;
    aof__feed_encode(&b, &st, false, 0, -1, 2, del, dell);
    assert_string_equal(b.p, "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
    assert_int_equal(st.selected_db, -1);
    buf_free(&b);
}

/* ---- reader ------------------------------------------------------------------ */

static void test_reader_complete_file(void **state) {
    aof_read_result_t res;
    seen_t s;
    const char *f = "#TS:1700000000\r\n" SET_A "*1\r\n$5\r\nMULTI\r\n" SET_B "*1\r\n$4\r\nEXEC\r\n";
    assert_int_equal(read_all(f, &res, &s), AOF_READ_OK);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.names[0], "SET");
    assert_string_equal(s.names[1], "MULTI");
    assert_string_equal(s.names[3], "EXEC");
    assert_int_equal(res.valid_up_to, strlen(f));
    assert_int_equal(res.commands, 4);
    assert_false(res.multi_reverted);
}

static void test_reader_truncated_tail(void **state) {
    aof_read_result_t res;
    seen_t s;
    /* Cut in the middle of the last bulk. */
    const char *f = SET_A SET_B "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nhel";
    assert_int_equal(read_all(f, &res, &s), AOF_READ_TRUNCATED);
    assert_int_equal(s.n, 2);
    assert_int_equal(res.valid_up_to, strlen(SET_A SET_B));
    /* Cut in a header line. */
    f = SET_A "*3\r\n$";
    assert_int_equal(read_all(f, &res, &s), AOF_READ_TRUNCATED);
    assert_int_equal(res.valid_up_to, strlen(SET_A));
    /* A bulk announced longer than the whole file: truncated, nothing
     * allocated for it. */
    f = SET_A "*2\r\n$3\r\nGET\r\n$999999999999\r\nab";
    assert_int_equal(read_all(f, &res, &s), AOF_READ_TRUNCATED);
    assert_int_equal(res.valid_up_to, strlen(SET_A));
    /* Just the '*'. */
    f = SET_A "*";
    assert_int_equal(read_all(f, &res, &s), AOF_READ_TRUNCATED);
    assert_int_equal(res.valid_up_to, strlen(SET_A));
}

static void test_reader_unfinished_multi(void **state) {
    aof_read_result_t res;
    seen_t s;
    /* EOF inside MULTI: cut before the MULTI, even though every command is
     * complete. */
    const char *f = SET_A "*1\r\n$5\r\nMULTI\r\n" SET_B;
    assert_int_equal(read_all(f, &res, &s), AOF_READ_TRUNCATED);
    assert_true(res.multi_reverted);
    assert_int_equal(res.valid_up_to, strlen(SET_A));
    /* A partial command inside MULTI: also before the MULTI. */
    f = SET_A "*1\r\n$5\r\nMULTI\r\n" SET_B "*1\r\n$4\r\nEX";
    assert_int_equal(read_all(f, &res, &s), AOF_READ_TRUNCATED);
    assert_int_equal(res.valid_up_to, strlen(SET_A));
}

static void test_reader_format_errors(void **state) {
    aof_read_result_t res;
    seen_t s;
    assert_int_equal(read_all(SET_A "SET a 1\r\n", &res, &s), AOF_READ_FMTERR);
    assert_int_equal(s.n, 1);
    assert_int_equal(read_all(SET_A "*1\r\nX3\r\nFOO\r\n", &res, &s), AOF_READ_FMTERR);
    assert_int_equal(read_all("*0\r\n", &res, &s), AOF_READ_FMTERR);
    assert_int_equal(read_all("*x\r\n", &res, &s), AOF_READ_FMTERR);
}

static int refuse_second(int argc, char **argv, size_t *lens, void *ud) {
    return ++*(int *)ud == 2 ? -1 : 0;
}

static void test_reader_callback_abort_and_offset(void **state) {
    const char *f = SET_A SET_B SET_A;
    int fd = temp_file(f, strlen(f));
    aof_read_result_t res;
    int calls = 0;
    assert_int_equal(aof__read_commands(fd, 0, strlen(f), refuse_second, NULL, &calls, &res),
                     AOF_READ_ABORTED);
    assert_int_equal(res.commands, 1);
    /* Reading can start after an RDB preamble: at any offset. */
    seen_t s = {0};
    assert_int_equal(aof__read_commands(fd, strlen(SET_A), strlen(f), record, NULL, &s, &res),
                     AOF_READ_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(res.valid_up_to, strlen(f));
    close(fd);
}

static void test_reader_large_argument(void **state) {
    /* An argument larger than the read chunk arrives whole. */
    size_t vlen = 300 * 1024;
    buf_t f = BUF_INIT;
    buf_printf(&f, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%zu\r\n", vlen);
    size_t at = f.len;
    buf_reserve(&f, vlen + 2);
    memset(f.p + at, 'v', vlen);
    f.len += vlen;
    buf_append(&f, "\r\n", 2);
    buf_append(&f, SET_A, strlen(SET_A));
    int fd = temp_file(f.p, f.len);
    aof_read_result_t res;
    seen_t s = {0};
    assert_int_equal(aof__read_commands(fd, 0, f.len, record, NULL, &s, &res), AOF_READ_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(res.valid_up_to, f.len);
    close(fd);
    buf_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_round_trip),
        cmocka_unit_test(test_manifest_comments_quotes_and_extra_fields),
        cmocka_unit_test(test_manifest_errors),
        cmocka_unit_test(test_manifest_sequence_numbering),
        cmocka_unit_test(test_manifest_persist_and_load),
        cmocka_unit_test(test_feed_encoder),
        cmocka_unit_test(test_reader_complete_file),
        cmocka_unit_test(test_reader_truncated_tail),
        cmocka_unit_test(test_reader_unfinished_multi),
        cmocka_unit_test(test_reader_format_errors),
        cmocka_unit_test(test_reader_callback_abort_and_offset),
        cmocka_unit_test(test_reader_large_argument),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
