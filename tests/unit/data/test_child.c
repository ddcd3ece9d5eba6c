/* Unit tests for forked children (node/data/child.c): exit codes, signals,
 * child_kill() without a done callback, progress and copy-on-write reports
 * through the pipe, and the hash-table resize ban while a child runs.
 * Each test runs the real loop until the done callback fires, with a
 * deadline so a lost SIGCHLD fails the test instead of hanging it. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc.h"
#include "child.h"
#include "ht.h"
#include "server.h"

/* ---- loop helpers -------------------------------------------------------- */

typedef struct done_rec {
    int calls;
    child_result_t r;
} done_rec_t;

static void on_done(const child_result_t *r, void *ud) {
    done_rec_t *d = ud;
    d->calls++;
    d->r = *r;
}

typedef struct waiter {
    bool (*cond)(void *arg);
    void *arg;
    int64_t left_ms;
} waiter_t;

static void on_tick(uv_timer_t *t) {
    waiter_t *w = t->data;
    w->left_ms -= 5;
    if (w->cond(w->arg) || w->left_ms <= 0) uv_stop(t->loop);
}

/* Runs the loop until cond(arg) or timeout_ms; returns cond(arg). */
static bool run_until(bool (*cond)(void *), void *arg, int64_t timeout_ms) {
    waiter_t w = {cond, arg, timeout_ms};
    uv_timer_t t;
    uv_timer_init(server.loop, &t);
    t.data = &w;
    uv_timer_start(&t, on_tick, 5, 5);
    if (!cond(arg)) uv_run(server.loop, UV_RUN_DEFAULT);
    uv_timer_stop(&t);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(server.loop, UV_RUN_NOWAIT); /* runs the close callbacks */
    return cond(arg);
}

static bool done_called(void *arg) { return ((done_rec_t *)arg)->calls > 0; }

static bool always_false(void *arg) { return false; }

/* ---- hash-table resize probe -------------------------------------------- */

typedef struct tnode {
    ht_node_t node;
    int key;
} tnode_t;

static uint64_t t_hash(const void *k, size_t len) { return ht_hash_bytes(k, len); }
static void t_key(const ht_node_t *n, const void **k, size_t *len) {
    *k = &((const tnode_t *)n)->key;
    *len = sizeof(int);
}
static const ht_type_t t_type = {t_hash, t_key, NULL};

/* A 4-bucket table grows once it holds 4 nodes, unless resizing is banned
 * (then only at 16): 6 nodes tell the two apart. */
static bool ht_resize_allowed_now(void) {
    ht_t h;
    ht_init(&h, &t_type);
    tnode_t nodes[6];
    for (int i = 0; i < 6; i++) {
        nodes[i].key = i;
        ht_insert(&h, &nodes[i].node);
    }
    bool grew = ht_buckets(&h) > 4 || ht_is_rehashing(&h);
    ht_clear(&h, NULL, NULL);
    return grew;
}

/* ---- child bodies ---------------------------------------------------------- */

static int child_ok(void *ud) { return 0; }
static int child_three(void *ud) { return 3; }
static int child_sleeps(void *ud) {
    for (int i = 0; i < 1000; i++) usleep(10000); /* 10 s at most: killed well before */
    return 0;
}

static char *shared_block; /* allocated and touched by the parent before fork */
#define SHARED_SIZE (8 << 20)

static int child_progress_and_cow(void *ud) {
    child_report_progress(5, 10);
    /* Writing pages shared with the parent makes private copies: copy-on-write. */
    memset(shared_block, 0x5a, SHARED_SIZE);
    usleep(150000); /* past the 100 ms progress throttle */
    child_report_progress(10, 10);
    usleep(300000); /* let the parent read it while we still run */
    return 0;
}

/* ---- fixtures ---------------------------------------------------------------- */

static int group_setup(void **state) {
    server.loop = uv_default_loop();
    unsigned char seed[16] = {7};
    ht_seed(seed);
    return 0;
}

static int group_teardown(void **state) {
    xfree(shared_block);
    return 0;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_exit_zero(void **state) {
    done_rec_t d = {0};
    long long forks = child_total_forks();
    pid_t pid = child_start(CHILD_RDB, child_ok, on_done, &d);
    assert_true(pid > 0);
    assert_true(child_active());
    assert_int_equal(child_type(), CHILD_RDB);
    assert_int_equal(child_pid(), pid);
    assert_int_equal(child_total_forks(), forks + 1);
    assert_true(child_latest_fork_usec() >= 0);
    assert_true(run_until(done_called, &d, 5000));
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.r.type, CHILD_RDB);
    assert_int_equal(d.r.exitcode, 0);
    assert_int_equal(d.r.signal, 0);
    assert_true(d.r.duration_ms >= 0);
    assert_false(child_active());
    assert_int_equal(child_type(), CHILD_NONE);
    assert_int_equal(child_pid(), -1);
}

static void test_exit_code(void **state) {
    done_rec_t d = {0};
    assert_true(child_start(CHILD_AOF, child_three, on_done, &d) > 0);
    assert_int_equal(child_type(), CHILD_AOF);
    assert_true(run_until(done_called, &d, 5000));
    assert_int_equal(d.r.exitcode, 3);
    assert_int_equal(d.r.signal, 0);
    assert_int_equal(d.r.type, CHILD_AOF);
}

static void test_only_one_child(void **state) {
    done_rec_t d = {0}, d2 = {0};
    assert_true(child_start(CHILD_RDB, child_sleeps, on_done, &d) > 0);
    assert_int_equal(child_start(CHILD_AOF, child_ok, on_done, &d2), -EBUSY);
    child_kill();
    assert_false(child_active());
}

static void test_killed_by_signal(void **state) {
    done_rec_t d = {0};
    pid_t pid = child_start(CHILD_RDB, child_sleeps, on_done, &d);
    assert_true(pid > 0);
    kill(pid, SIGKILL);
    assert_true(run_until(done_called, &d, 5000));
    assert_int_equal(d.r.exitcode, -1);
    assert_int_equal(d.r.signal, SIGKILL);
    assert_false(child_active());
}

/* A SIGUSR1 from outside is reported (the owner treats it as "no error"). */
static void test_external_sigusr1_is_reported(void **state) {
    done_rec_t d = {0};
    pid_t pid = child_start(CHILD_RDB, child_sleeps, on_done, &d);
    assert_true(pid > 0);
    kill(pid, SIGUSR1);
    assert_true(run_until(done_called, &d, 5000));
    assert_int_equal(d.r.signal, SIGUSR1);
}

static void test_kill_suppresses_done(void **state) {
    done_rec_t d = {0};
    pid_t pid = child_start(CHILD_RDB, child_sleeps, on_done, &d);
    assert_true(pid > 0);
    assert_true(child_active());
    child_kill();
    assert_false(child_active());
    assert_int_equal(kill(pid, 0), -1); /* reaped: the pid is gone */
    run_until(always_false, NULL, 200); /* a late SIGCHLD must not call done */
    assert_int_equal(d.calls, 0);
    /* And the next child starts normally. */
    done_rec_t d2 = {0};
    assert_true(child_start(CHILD_RDB, child_ok, on_done, &d2) > 0);
    assert_true(run_until(done_called, &d2, 5000));
    assert_int_equal(d2.r.exitcode, 0);
}

static void test_resize_banned_while_child_runs(void **state) {
    assert_true(ht_resize_allowed_now());
    done_rec_t d = {0};
    assert_true(child_start(CHILD_RDB, child_three, on_done, &d) > 0);
    assert_false(ht_resize_allowed_now());
    assert_true(run_until(done_called, &d, 5000));
    assert_true(ht_resize_allowed_now());
    /* child_kill() lifts the ban too. */
    assert_true(child_start(CHILD_RDB, child_sleeps, on_done, &d) > 0);
    assert_false(ht_resize_allowed_now());
    child_kill();
    assert_true(ht_resize_allowed_now());
}

static bool progress_full(void *arg) {
    size_t done, total;
    child_progress(&done, &total);
    return done == 10 && total == 10;
}

static void test_progress_and_cow(void **state) {
    shared_block = xmalloc(SHARED_SIZE);
    memset(shared_block, 1, SHARED_SIZE); /* resident and shared before the fork */
    size_t done, total, cow, peak;
    int64_t at;
    child_progress(&done, &total);
    assert_int_equal(done + total, 0); /* no child: zeros */
    done_rec_t d = {0};
    assert_true(child_start(CHILD_RDB, child_progress_and_cow, on_done, &d) > 0);
    assert_true(run_until(progress_full, NULL, 5000));
    child_cow(&cow, &peak, &at);
    assert_true(at > 0);
    assert_true(peak >= cow);
    assert_true(run_until(done_called, &d, 5000));
    assert_int_equal(d.r.exitcode, 0);
    /* The child rewrote 8 MiB of shared pages: at least that much was copied. */
    assert_true(d.r.cow_bytes >= (size_t)SHARED_SIZE);
    child_progress(&done, &total);
    child_cow(&cow, &peak, &at);
    assert_int_equal(done + total + cow + peak, 0);
    assert_int_equal(at, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_zero),
        cmocka_unit_test(test_exit_code),
        cmocka_unit_test(test_only_one_child),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_external_sigusr1_is_reported),
        cmocka_unit_test(test_kill_suppresses_done),
        cmocka_unit_test(test_resize_banned_while_child_runs),
        cmocka_unit_test(test_progress_and_cow),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
