/* Unit tests for propagation units (node/core/propagate.c): what the AOF and
 * replication sinks receive, in which order, and when it is wrapped in
 * MULTI/EXEC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "propagate.h"
#include "server.h"

/* Each sink records "db:ARG ARG|" per operation. */
static buf_t aof_log, repl_log;

static void record(int dbid, int argc, const char *const *argv, const size_t *lens, void *ud) {
    buf_t *b = ud;
    buf_printf(b, "%d:", dbid);
    for (int i = 0; i < argc; i++) {
        if (i) buf_putc(b, ' ');
        buf_append(b, argv[i], lens[i]);
    }
    buf_putc(b, '|');
}

static int group_setup(void **state) {
    prop_sink_t aof = {.targets = PROP_AOF, .op = record, .ud = &aof_log};
    prop_sink_t repl = {.targets = PROP_REPL, .op = record, .ud = &repl_log};
    propagate_add_sink(&aof);
    propagate_add_sink(&repl);
    return 0;
}

static int setup(void **state) {
    buf_clear(&aof_log);
    buf_clear(&repl_log);
    buf_puts(&aof_log, "");
    buf_puts(&repl_log, "");
    return 0;
}

static const char *logs(buf_t *b) { return b->p ? b->p : ""; }

/* Simulates command_call() for a client whose argv is the given words. */
static void run_command(client_t *c, int argc, const char **argv, bool write, long long dirty_delta,
                        void (*inside)(client_t *c)) {
    static size_t lens[16];
    for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    c->argc = argc;
    c->argv = argv;
    c->argvlen = lens;
    long long before = server.dirty;
    propagate_unit_begin();
    if (inside) inside(c);
    server.dirty += dirty_delta;
    propagate_after_command(c, c->db_index, before, write);
    propagate_unit_end();
}

static client_t client;

static void test_write_propagated_as_sent(void **state) {
    const char *argv[] = {"SET", "k", "v"};
    run_command(&client, 3, argv, true, 1, NULL);
    assert_string_equal(logs(&aof_log), "0:SET k v|");
    assert_string_equal(logs(&repl_log), "0:SET k v|");
}

static void test_no_change_no_propagation(void **state) {
    const char *argv[] = {"SET", "k", "v", "NX"};
    run_command(&client, 4, argv, true, 0, NULL); /* NX failed: dirty unchanged */
    const char *get[] = {"GET", "k"};
    run_command(&client, 2, get, false, 0, NULL);
    assert_string_equal(logs(&aof_log), "");
    assert_string_equal(logs(&repl_log), "");
}

static void rewrite_to_pexpireat(client_t *c) { propagate_rewritev(c, 3, "PEXPIREAT", "k", "1700000000000"); }

static void test_rewrite(void **state) {
    const char *argv[] = {"EXPIRE", "k", "100"};
    run_command(&client, 3, argv, true, 1, rewrite_to_pexpireat);
    assert_string_equal(logs(&aof_log), "0:PEXPIREAT k 1700000000000|");
}

static void lazy_expire_inside(client_t *c) { propagate_del(c->db_index, "old", 3, false); }

static void test_lazy_expiry_comes_first_in_a_transaction(void **state) {
    client.db_index = 3;
    const char *argv[] = {"SET", "k", "v"};
    run_command(&client, 3, argv, true, 1, lazy_expire_inside);
    client.db_index = 0;
    assert_string_equal(logs(&aof_log), "3:MULTI|3:DEL old|3:SET k v|3:EXEC|");
    assert_string_equal(logs(&repl_log), "3:MULTI|3:DEL old|3:SET k v|3:EXEC|");
}

static void test_delete_outside_a_command_is_its_own_unit(void **state) {
    propagate_del(1, "gone", 4, true); /* active expiry */
    assert_string_equal(logs(&aof_log), "1:UNLINK gone|");
}

static void force_repl(client_t *c) { propagate_force(c, PROP_REPL); }

static void test_forced_to_replicas_only(void **state) {
    const char *argv[] = {"PUBLISH", "ch", "msg"};
    run_command(&client, 3, argv, false, 0, force_repl);
    assert_string_equal(logs(&aof_log), "");
    assert_string_equal(logs(&repl_log), "0:PUBLISH ch msg|");
}

static void prevent(client_t *c) { propagate_prevent(c); }

static void test_prevented(void **state) {
    const char *argv[] = {"SET", "k", "v"};
    run_command(&client, 3, argv, true, 1, prevent);
    assert_string_equal(logs(&aof_log), "");
}

static void nested_exec(client_t *c) {
    /* EXEC replays two writes as nested command calls. */
    const char *a[] = {"INCR", "x"}, *b[] = {"INCR", "y"};
    client_t inner = {0};
    run_command(&inner, 2, a, true, 1, NULL);
    run_command(&inner, 2, b, true, 1, NULL);
}

static void test_exec_is_one_transaction(void **state) {
    const char *argv[] = {"EXEC"};
    run_command(&client, 1, argv, false, 0, nested_exec);
    assert_string_equal(logs(&aof_log), "0:MULTI|0:INCR x|0:INCR y|0:EXEC|");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_write_propagated_as_sent, setup),
        cmocka_unit_test_setup(test_no_change_no_propagation, setup),
        cmocka_unit_test_setup(test_rewrite, setup),
        cmocka_unit_test_setup(test_lazy_expiry_comes_first_in_a_transaction, setup),
        cmocka_unit_test_setup(test_delete_outside_a_command_is_its_own_unit, setup),
        cmocka_unit_test_setup(test_forced_to_replicas_only, setup),
        cmocka_unit_test_setup(test_prevented, setup),
        cmocka_unit_test_setup(test_exec_is_one_transaction, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
