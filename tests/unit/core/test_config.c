/* Unit tests for node/core/config.c: the directive table, the file loader,
 * --args conversion, CONFIG GET/SET/REWRITE and keyspace-event flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "err.h"

#ifndef KEEL_VERSION
#define KEEL_VERSION "0.0.0"
#endif

/* ------------------------------------------------------------------------- */
/* Fixture and helpers                                                       */
/* ------------------------------------------------------------------------- */

typedef struct fixture {
    keel_config_t c;
    char dir[64]; /* a private temp directory */
} fixture_t;

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof(*f));
    config_init(&f->c);
    strcpy(f->dir, "/tmp/keel_config_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    config_free(&f->c);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static char *path_in(fixture_t *f, const char *name) {
    buf_t b = BUF_INIT;
    buf_printf(&b, "%s/%s", f->dir, name);
    return buf_detach(&b);
}

static void write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static char *read_text(const char *path) {
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    buf_t b = BUF_INIT;
    char chunk[512];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) buf_append(&b, chunk, n);
    fclose(fp);
    return buf_detach(&b);
}

/* Loads text; returns the error (caller frees) or NULL. */
static char *load(keel_config_t *c, const char *text) {
    char *err = NULL;
    int rc = config_load_text(c, text, "test", &err);
    if (rc == 0) {
        assert_null(err);
        return NULL;
    }
    assert_int_equal(rc, K_EINVAL);
    assert_non_null(err);
    return err;
}

static void expect_load_ok(keel_config_t *c, const char *text) {
    char *err = load(c, text);
    if (err) fail_msg("unexpected load error: %s", err);
}

/* Asserts that loading `text` fails at `line` (the trimmed line `shown`)
 * with `reason`, in Redis's exact layout. */
static void expect_load_error(keel_config_t *c, const char *text, int line, const char *shown,
                              const char *reason) {
    char *err = load(c, text);
    assert_non_null(err);
    char want[1024];
    snprintf(want, sizeof(want),
             "\n*** FATAL CONFIG FILE ERROR (Keel %s) ***\n"
             "Reading the configuration file, at line %d\n>>> '%s'\n%s\n",
             KEEL_VERSION, line, shown, reason);
    assert_string_equal(err, want);
    xfree(err);
}

static void expect_get(keel_config_t *c, const char *name, const char *want) {
    char *v = config_get_one(c, name);
    assert_non_null(v);
    assert_string_equal(v, want);
    xfree(v);
}

/* CONFIG SET of pairs; returns the error text (caller frees) or NULL. */
static char *set_pairs(keel_config_t *c, int n, const char *const *names,
                       const char *const *values) {
    char *err = NULL;
    int rc = config_set(c, n, names, values, &err);
    if (rc == 0) {
        assert_null(err);
        return NULL;
    }
    assert_int_equal(rc, K_EINVAL);
    assert_non_null(err);
    return err;
}

static char *set1(keel_config_t *c, const char *name, const char *value) {
    return set_pairs(c, 1, &name, &value);
}

static void expect_set_ok(keel_config_t *c, const char *name, const char *value) {
    char *err = set1(c, name, value);
    if (err) fail_msg("unexpected CONFIG SET error: %s", err);
}

static void expect_set_error(keel_config_t *c, const char *name, const char *value,
                             const char *want) {
    char *err = set1(c, name, value);
    assert_non_null(err);
    assert_string_equal(err, want);
    xfree(err);
}

/* CONFIG GET collector: "name=value\n" lines in call order. */
static void collect(const char *name, const char *value, void *ud) {
    buf_printf(ud, "%s=%s\n", name, value);
}

static char *get_all(keel_config_t *c, int n, const char *const *patterns) {
    buf_t b = BUF_INIT;
    config_get(c, n, patterns, collect, &b);
    return buf_detach(&b);
}

/* Apply hooks (registered once for the whole group, see main). */
static int g_port_hook_calls;
static int g_maxmemory_hook_calls;
static bool g_maxmemory_hook_fails;
static unsigned long long g_maxmemory_seen;

static int port_hook(keel_config_t *c, const char *name, char **err) {
    assert_string_equal(name, "port");
    g_port_hook_calls++;
    return 0;
}

static int maxmemory_hook(keel_config_t *c, const char *name, char **err) {
    assert_string_equal(name, "maxmemory");
    g_maxmemory_hook_calls++;
    g_maxmemory_seen = c->maxmemory;
    if (g_maxmemory_hook_fails && c->maxmemory != 0) {
        *err = xstrdup("hook says no");
        return -1;
    }
    return 0;
}

static int group_setup(void **state) {
    config_on_apply("port", port_hook);
    config_on_apply("maxmemory", maxmemory_hook);
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Defaults                                                                  */
/* ------------------------------------------------------------------------- */

static void test_defaults(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    assert_null(c->config_file);
    assert_int_equal(c->port, 6379);
    assert_int_equal(c->bind_count, 2);
    assert_string_equal(c->bind[0], "*");
    assert_string_equal(c->bind[1], "-::*");
    assert_int_equal(c->protected_mode, 1);
    assert_null(c->unixsocket);
    assert_int_equal(c->unixsocketperm, 0);
    assert_int_equal(c->tcp_backlog, 511);
    assert_int_equal(c->timeout, 0);
    assert_int_equal(c->tcp_keepalive, 300);
    assert_int_equal(c->maxclients, 10000);
    assert_int_equal(c->databases, 16);
    assert_int_equal(c->loglevel, LL_NOTICE);
    assert_string_equal(c->logfile, "");
    assert_string_equal(c->syslog_ident, "redis");
    assert_false(c->daemonize);
    assert_null(c->pidfile);
    assert_int_equal(c->supervised, SUPERVISED_NO);
    assert_true(c->set_proc_title);
    assert_string_equal(c->proc_title_template, "{title} {listen-addr} {server-mode}");
    assert_string_equal(c->dir, ".");
    assert_int_equal(c->hz, 10);
    assert_true(c->dynamic_hz);
    assert_null(c->requirepass);
    assert_int_equal(c->rename_count, 0);
    assert_int_equal(c->maxmemory, 0);
    assert_int_equal(c->maxmemory_policy, MAXMEMORY_NOEVICTION);
    assert_int_equal(c->maxmemory_samples, 5);
    assert_int_equal(c->maxmemory_eviction_tenacity, 10);
    assert_int_equal(c->obuf_limits[OBUF_NORMAL].hard_bytes, 0);
    assert_int_equal(c->obuf_limits[OBUF_REPLICA].hard_bytes, 256ULL << 20);
    assert_int_equal(c->obuf_limits[OBUF_REPLICA].soft_bytes, 64ULL << 20);
    assert_int_equal(c->obuf_limits[OBUF_REPLICA].soft_seconds, 60);
    assert_int_equal(c->obuf_limits[OBUF_PUBSUB].hard_bytes, 32ULL << 20);
    assert_int_equal(c->obuf_limits[OBUF_PUBSUB].soft_bytes, 8ULL << 20);
    assert_int_equal(c->client_query_buffer_limit, 1ULL << 30);
    assert_int_equal(c->proto_max_bulk_len, 512LL << 20);
    assert_int_equal(c->save_count, 3);
    assert_int_equal(c->save[0].seconds, 3600);
    assert_int_equal(c->save[0].changes, 1);
    assert_int_equal(c->save[2].seconds, 60);
    assert_int_equal(c->save[2].changes, 10000);
    assert_string_equal(c->dbfilename, "dump.rdb");
    assert_string_equal(c->appendfilename, "appendonly.aof");
    assert_string_equal(c->appenddirname, "appendonlydir");
    assert_int_equal(c->appendfsync, 1);
    assert_int_equal(c->auto_aof_rewrite_percentage, 100);
    assert_int_equal(c->auto_aof_rewrite_min_size, 64ULL << 20);
    assert_true(c->aof_use_rdb_preamble);
    assert_null(c->replicaof_host);
    assert_true(c->replica_read_only);
    assert_int_equal(c->replica_priority, 100);
    assert_int_equal(c->repl_backlog_size, 1LL << 20);
    assert_int_equal(c->repl_backlog_ttl, 3600);
    assert_int_equal(c->repl_timeout, 60);
    assert_true(c->repl_diskless_sync);
    assert_int_equal(c->repl_diskless_sync_delay, 5);
    assert_int_equal(c->min_replicas_max_lag, 10);
    assert_false(c->lazyfree_lazy_user_flush);
    assert_int_equal(c->slowlog_log_slower_than, 10000);
    assert_int_equal(c->slowlog_max_len, 128);
    assert_true(c->latency_tracking);
    assert_int_equal(c->latency_tracking_info_percentiles_count, 3);
    assert_true(c->latency_tracking_info_percentiles[2] == 99.9);
    assert_int_equal(c->notify_keyspace_events, 0);
    assert_int_equal(c->hash_max_listpack_entries, 512);
    assert_int_equal(c->hash_max_listpack_value, 64);
    assert_int_equal(c->zset_max_listpack_entries, 128);
    assert_int_equal(c->list_max_listpack_size, -2);
    assert_int_equal(c->stream_node_max_bytes, 4096);
    assert_int_equal(c->stream_node_max_entries, 100);
    assert_int_equal(c->active_expire_effort, 1);
    assert_int_equal(c->oom_score_adj, 0);
    assert_int_equal(c->oom_score_adj_values[1], 200);
    assert_int_equal(c->oom_score_adj_values[2], 800);
    assert_int_equal(c->shutdown_timeout, 10);
    assert_int_equal(c->io_threads, 1);
    assert_int_equal(c->enable_debug_command, PROTECTED_NO);
    assert_false(c->cluster_enabled);

    /* The same defaults as CONFIG GET prints them (Redis 7.0 text). */
    expect_get(c, "bind", "* -::*");
    expect_get(c, "save", "3600 1 300 100 60 10000");
    expect_get(c, "client-output-buffer-limit",
               "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    expect_get(c, "latency-tracking-info-percentiles", "50 99 99.9");
    expect_get(c, "oom-score-adj-values", "0 200 800");
    expect_get(c, "client-query-buffer-limit", "1073741824");
    expect_get(c, "requirepass", "");
    expect_get(c, "replicaof", "");
    expect_get(c, "unixsocketperm", "0");
    expect_get(c, "appendfsync", "everysec");
    expect_get(c, "notify-keyspace-events", "");
    expect_get(c, "protected-mode", "yes");
    assert_null(config_get_one(c, "rename-command"));
    assert_null(config_get_one(c, "no-such-thing"));
}

/* ------------------------------------------------------------------------- */
/* File parsing                                                              */
/* ------------------------------------------------------------------------- */

static void test_parse_types(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_load_ok(c, "# comment\n"
                      "\n"
                      "   daemonize YES\n"
                      "port 7000\r\n"
                      "maxmemory 1kb\n"
                      "repl-backlog-size 1k\n"
                      "client-query-buffer-limit 2GB\n"
                      "auto-aof-rewrite-min-size 3m\n"
                      "proto-max-bulk-len 1048576\n"
                      "unixsocketperm 700\n"
                      "loglevel WARNING\n"
                      "maxmemory-policy allkeys-lru\n"
                      "appendfsync always\n"
                      "oom-score-adj relative\n"
                      "unixsocket /tmp/keel.sock\n"
                      "pidfile \"\"\n"
                      "slowlog-log-slower-than -1\n"
                      "list-max-listpack-size -5\n"
                      "hash-max-listpack-value 1kb\n"
                      "enable-debug-command local\n"
                      "protected-mode no\n");
    assert_true(c->daemonize);
    assert_int_equal(c->port, 7000);
    assert_int_equal(c->maxmemory, 1024);
    assert_int_equal(c->repl_backlog_size, 1000);
    assert_int_equal(c->client_query_buffer_limit, 2ULL << 30);
    assert_int_equal(c->auto_aof_rewrite_min_size, 3000000);
    assert_int_equal(c->proto_max_bulk_len, 1048576);
    assert_int_equal(c->unixsocketperm, 0700);
    assert_int_equal(c->loglevel, LL_WARNING);
    assert_int_equal(c->maxmemory_policy, MAXMEMORY_ALLKEYS_LRU);
    assert_int_equal(c->appendfsync, 0);
    assert_int_equal(c->oom_score_adj, 2);
    assert_string_equal(c->unixsocket, "/tmp/keel.sock");
    assert_null(c->pidfile);
    assert_int_equal(c->slowlog_log_slower_than, -1);
    assert_int_equal(c->list_max_listpack_size, -5);
    assert_int_equal(c->hash_max_listpack_value, 1024);
    assert_int_equal(c->enable_debug_command, PROTECTED_LOCAL);
    assert_int_equal(c->protected_mode, 0);
    expect_get(c, "unixsocketperm", "700");
    expect_get(c, "maxmemory", "1024");
    expect_get(c, "loglevel", "warning");
}

static void test_parse_errors(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_load_error(c, "port abc", 1, "port abc", "argument couldn't be parsed into an integer");
    expect_load_error(c, "# x\nport 70000\n", 2, "port 70000",
                      "argument must be between 0 and 65535 inclusive");
    expect_load_error(c, "port 007", 1, "port 007", "argument couldn't be parsed into an integer");
    expect_load_error(c, "port 1 2", 1, "port 1 2", "wrong number of arguments");
    expect_load_error(c, "daemonize maybe", 1, "daemonize maybe", "argument must be 'yes' or 'no'");
    expect_load_error(c, "maxmemory 1xb", 1, "maxmemory 1xb", "argument must be a memory value");
    expect_load_error(c, "maxmemory -1", 1, "maxmemory -1", "argument must be a memory value");
    expect_load_error(c, "proto-max-bulk-len 1000", 1, "proto-max-bulk-len 1000",
                      "argument must be between 1048576 and 9223372036854775807 inclusive");
    expect_load_error(c, "maxclients 0", 1, "maxclients 0",
                      "argument must be between 1 and 4294967295 inclusive");
    expect_load_error(c, "unixsocketperm 999", 1, "unixsocketperm 999",
                      "argument couldn't be parsed as an octal number");
    expect_load_error(c, "unixsocketperm 1777", 1, "unixsocketperm 1777",
                      "argument must be between 0 and 777 inclusive");
    expect_load_error(c, "loglevel loud", 1, "loglevel loud",
                      "argument(s) must be one of the following: debug, verbose, notice, warning");
    expect_load_error(c, "save 10", 1, "save 10", "Invalid save parameters");
    expect_load_error(c, "save 0 1", 1, "save 0 1", "Invalid save parameters");
    expect_load_error(c, "dbfilename a/b.rdb", 1, "dbfilename a/b.rdb",
                      "dbfilename can't be a path, just a filename");
    expect_load_error(c, "appendfilename \"\"", 1, "appendfilename \"\"",
                      "appendfilename can't be empty");
    expect_load_error(c, "requirepass \"abc", 1, "requirepass \"abc",
                      "Unbalanced quotes in configuration line");
    expect_load_error(c, "requirepass \"abc\"def", 1, "requirepass \"abc\"def",
                      "Unbalanced quotes in configuration line");
    expect_load_error(c, "replicaof host 99999", 1, "replicaof host 99999", "Invalid master port");
    expect_load_error(c, "replicaof host", 1, "replicaof host", "wrong number of arguments");
    expect_load_error(
        c, "latency-tracking-info-percentiles 50 101", 1,
        "latency-tracking-info-percentiles 50 101",
        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
    expect_load_error(c, "latency-tracking-info-percentiles x", 1,
                      "latency-tracking-info-percentiles x",
                      "Invalid latency-tracking-info-percentiles parameters");
    expect_load_error(c, "oom-score-adj-values 0 100 3000", 1, "oom-score-adj-values 0 100 3000",
                      "Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
    expect_load_error(c, "notify-keyspace-events KQ", 1, "notify-keyspace-events KQ",
                      "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    expect_load_error(c, "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", 1,
                      "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
                      "Too many bind addresses specified.");
    expect_load_error(c, "rename-command get", 1, "rename-command get",
                      "Bad directive or wrong number of arguments");
    expect_load_error(c, "sentinel monitor m 127.0.0.1 6379 2", 1,
                      "sentinel monitor m 127.0.0.1 6379 2",
                      "sentinel directive while not in sentinel mode");
    expect_load_error(c, "proc-title-template \"{nope}\"", 1, "proc-title-template \"{nope}\"",
                      "template format is invalid or contains unknown variables");
    /* Nothing above changed the port. */
    assert_int_equal(c->port, 6379);
}

static void test_unknown_directive_reports_line(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_load_error(c, "port 7001\n\n# comment\n   foo-bar baz  \nport 7002\n", 4, "foo-bar baz",
                      "Bad directive or wrong number of arguments");
    assert_int_equal(c->port, 7001); /* loading stopped at line 4 */
}

static void test_post_load_checks(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    char *err = load(c, "cluster-enabled yes\nreplicaof 10.0.0.1 6379\n");
    assert_non_null(err);
    char want[256];
    snprintf(want, sizeof(want),
             "\n*** FATAL CONFIG FILE ERROR (Keel %s) ***\n"
             "replicaof directive not allowed in cluster mode\n",
             KEEL_VERSION);
    assert_string_equal(err, want);
    xfree(err);
}

static void test_quoting(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_load_ok(c, "requirepass \"p a\\\"s\\x41\\n\\t\\\\\"\n"
                      "masterauth 'it\\'s here'\n"
                      "masteruser \"\"\n"
                      "replica-announce-ip \"10.0.0.9\"\n"
                      "syslog-ident ab\"cd\"\n");
    assert_string_equal(c->requirepass, "p a\"sA\n\t\\");
    assert_string_equal(c->masterauth, "it's here");
    assert_null(c->masteruser);
    assert_string_equal(c->replica_announce_ip, "10.0.0.9");
    assert_string_equal(c->syslog_ident, "abcd");
    /* Sensitive values are still shown by CONFIG GET, as Redis does. */
    expect_get(c, "requirepass", "p a\"sA\n\t\\");
}

static void test_case_insensitive_names(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_load_ok(c, "PORT 7100\nAppendonly yes\nMaxMemory-Policy ALLKEYS-LFU\nSAVE 5 5\n");
    assert_int_equal(c->port, 7100);
    assert_true(c->appendonly);
    assert_int_equal(c->maxmemory_policy, MAXMEMORY_ALLKEYS_LFU);
    assert_int_equal(c->save_count, 1);
    expect_get(c, "MAXMEMORY-policy", "allkeys-lfu");
}

static void test_aliases(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_load_ok(c, "slaveof 10.0.0.1 6380\n"
                      "slave-priority 5\n"
                      "slave-read-only no\n"
                      "hash-max-ziplist-entries 64\n"
                      "list-max-ziplist-size 8\n"
                      "min-slaves-to-write 2\n"
                      "repl-ping-slave-period 3\n");
    assert_string_equal(c->replicaof_host, "10.0.0.1");
    assert_int_equal(c->replicaof_port, 6380);
    assert_int_equal(c->replica_priority, 5);
    assert_false(c->replica_read_only);
    assert_int_equal(c->hash_max_listpack_entries, 64);
    assert_int_equal(c->list_max_listpack_size, 8);
    assert_int_equal(c->min_replicas_to_write, 2);
    assert_int_equal(c->repl_ping_replica_period, 3);
    expect_get(c, "replicaof", "10.0.0.1 6380");
    expect_get(c, "slaveof", "10.0.0.1 6380");
    expect_load_ok(c, "replicaof no one\n");
    assert_null(c->replicaof_host);
    expect_get(c, "slaveof", "");
}

static void test_save_forms(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    /* The first save line of a load drops the defaults; later lines append. */
    expect_load_ok(c, "save 900 1\nsave 300 10\n");
    assert_int_equal(c->save_count, 2);
    assert_int_equal(c->save[1].seconds, 300);
    assert_int_equal(c->save[1].changes, 10);
    /* ... and keep appending across loads (file, then command line). */
    expect_load_ok(c, "save 60 10000 30 5\n");
    expect_get(c, "save", "900 1 300 10 60 10000 30 5");
    /* CONFIG SET replaces the list. */
    expect_set_ok(c, "save", "100 2");
    expect_get(c, "save", "100 2");
    expect_set_ok(c, "save", "");
    assert_int_equal(c->save_count, 0);
    expect_set_error(c, "save", "100",
                     "ERR CONFIG SET failed (possibly related to argument 'save') - "
                     "Invalid save parameters");

    keel_config_t d;
    config_init(&d);
    expect_load_ok(&d, "save \"\"\n");
    assert_int_equal(d.save_count, 0);
    expect_get(&d, "save", "");
    config_free(&d);
}

static void test_client_output_buffer_limit(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_load_ok(c, "client-output-buffer-limit replica 1mb 512kb 30 pubsub 0 0 0\n"
                      "client-output-buffer-limit NORMAL 1k 2 3\n");
    assert_int_equal(c->obuf_limits[OBUF_REPLICA].hard_bytes, 1 << 20);
    assert_int_equal(c->obuf_limits[OBUF_REPLICA].soft_bytes, 512 << 10);
    assert_int_equal(c->obuf_limits[OBUF_REPLICA].soft_seconds, 30);
    assert_int_equal(c->obuf_limits[OBUF_PUBSUB].hard_bytes, 0);
    assert_int_equal(c->obuf_limits[OBUF_NORMAL].hard_bytes, 1000);
    expect_get(c, "client-output-buffer-limit",
               "normal 1000 2 3 slave 1048576 524288 30 pubsub 0 0 0");
    expect_load_error(c, "client-output-buffer-limit slave 1 2", 1,
                      "client-output-buffer-limit slave 1 2",
                      "Wrong number of arguments in buffer limit configuration.");
    expect_load_error(c, "client-output-buffer-limit master 1 1 1", 1,
                      "client-output-buffer-limit master 1 1 1",
                      "Invalid client class specified in buffer limit configuration.");
    expect_load_error(c, "client-output-buffer-limit pubsub 1 1 -1", 1,
                      "client-output-buffer-limit pubsub 1 1 -1",
                      "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    /* An invalid class anywhere rejects the whole line. */
    expect_set_error(c, "client-output-buffer-limit", "normal 5 5 5 bogus 1 1 1",
                     "ERR CONFIG SET failed (possibly related to argument "
                     "'client-output-buffer-limit') - Invalid client class specified in buffer "
                     "limit configuration.");
    assert_int_equal(c->obuf_limits[OBUF_NORMAL].hard_bytes, 1000);
    expect_set_ok(c, "client-output-buffer-limit", "slave 2mb 1mb 10");
    assert_int_equal(c->obuf_limits[OBUF_REPLICA].hard_bytes, 2 << 20);
    assert_int_equal(c->obuf_limits[OBUF_NORMAL].hard_bytes, 1000); /* untouched class */
}

static void test_special_values(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_load_ok(c, "bind 127.0.0.1 ::1\n"
                      "latency-tracking-info-percentiles 50 99.99 100\n"
                      "oom-score-adj-values 0 100 900\n"
                      "notify-keyspace-events Ex\n"
                      "rename-command FLUSHALL \"\"\n"
                      "rename-command config cfg-secret\n"
                      "hz 1000\n");
    assert_int_equal(c->bind_count, 2);
    assert_string_equal(c->bind[1], "::1");
    expect_get(c, "bind", "127.0.0.1 ::1");
    expect_get(c, "latency-tracking-info-percentiles", "50 99.99 100");
    expect_get(c, "oom-score-adj-values", "0 100 900");
    assert_int_equal(c->notify_keyspace_events, NOTIFY_KEYEVENT | NOTIFY_EXPIRED);
    expect_get(c, "notify-keyspace-events", "xE");
    assert_int_equal(c->rename_count, 2);
    assert_string_equal(c->renames[0].from, "FLUSHALL");
    assert_string_equal(c->renames[0].to, "");
    assert_string_equal(c->renames[1].to, "cfg-secret");
    assert_int_equal(c->hz, 500); /* clamped, as Redis does */
    expect_set_ok(c, "hz", "0");
    assert_int_equal(c->hz, 1);
    expect_load_ok(c, "bind \"\"\nlatency-tracking-info-percentiles \"\"\n");
    assert_int_equal(c->bind_count, 0);
    assert_int_equal(c->latency_tracking_info_percentiles_count, 0);
    expect_set_ok(c, "bind", "10.0.0.1 10.0.0.2 10.0.0.3");
    assert_int_equal(c->bind_count, 3);
    assert_string_equal(c->bind[2], "10.0.0.3");
}

static void test_accepted_redis_directives(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_load_ok(c, "tls-port 6380\n"
                      "io-threads-do-reads yes\n"
                      "user default on nopass ~* +@all\n"
                      "aclfile /etc/redis/users.acl\n"
                      "lua-time-limit 5000\n"
                      "jemalloc-bg-thread yes\n"
                      "activedefrag no\n"
                      "cluster-node-timeout 15000\n"
                      "list-max-ziplist-entries 512\n"
                      "loadmodule /x/mod.so arg\n"
                      "port 7200\n");
    assert_int_equal(c->port, 7200);
    /* Known to Redis, but CONFIG SET refuses them like any unknown name. */
    expect_set_error(c, "tls-port", "6380",
                     "ERR Unknown option or number of arguments for CONFIG SET - 'tls-port'");
    assert_null(config_get_one(c, "tls-port"));
    expect_load_error(c, "tls-port", 1, "tls-port", "wrong number of arguments");
}

static void test_include(void **state) {
    fixture_t *f = *state;
    keel_config_t *c = &f->c;
    char *inc = path_in(f, "inc.conf");
    char *main_conf = path_in(f, "main.conf");
    char *text = NULL;
    write_text(inc, "maxmemory 10mb\nport 7000\n");
    buf_t b = BUF_INIT;
    buf_printf(&b, "include %s\nport 7001\n", inc);
    text = buf_detach(&b);
    write_text(main_conf, text);
    char *err = NULL;
    assert_int_equal(config_load_file(c, main_conf, &err), 0);
    assert_null(err);
    assert_int_equal(c->port, 7001); /* the later line wins */
    assert_int_equal(c->maxmemory, 10ULL << 20);
    assert_non_null(c->config_file);
    assert_int_equal(c->config_file[0], '/');

    /* An error inside an included file is reported with that file's line. */
    write_text(inc, "port 1\nport bad\n");
    keel_config_t d;
    config_init(&d);
    assert_int_equal(config_load_file(&d, main_conf, &err), K_EINVAL);
    char want[512];
    snprintf(want, sizeof(want),
             "\n*** FATAL CONFIG FILE ERROR (Keel %s) ***\n"
             "Reading the configuration file, at line 2\n>>> 'port bad'\n"
             "argument couldn't be parsed into an integer\n",
             KEEL_VERSION);
    assert_string_equal(err, want);
    xfree(err);
    config_free(&d);

    /* A file including itself hits the depth limit instead of looping. */
    config_init(&d);
    buf_printf(&b, "include %s\n", inc);
    char *self = buf_detach(&b);
    write_text(inc, self);
    assert_int_equal(config_load_file(&d, inc, &err), K_EINVAL);
    assert_non_null(strstr(err, "Too many nested includes"));
    xfree(err);
    config_free(&d);

    /* A missing file; a wildcard matching nothing is fine. */
    config_init(&d);
    assert_int_equal(config_load_text(&d, "include /nonexistent/keel.conf\n", "args", &err),
                     K_EINVAL);
    assert_string_equal(err, "Fatal error, can't open config file '/nonexistent/keel.conf': No "
                             "such file or directory");
    xfree(err);
    assert_int_equal(config_load_text(&d, "include /nonexistent/conf.d/*.conf\n", "args", &err), 0);
    assert_int_equal(config_load_file(&d, "/nonexistent/keel.conf", &err), K_EINVAL);
    assert_non_null(strstr(err, "can't open config file"));
    xfree(err);
    config_free(&d);

    xfree(self);
    xfree(text);
    xfree(inc);
    xfree(main_conf);
}

/* ------------------------------------------------------------------------- */
/* --name value arguments                                                    */
/* ------------------------------------------------------------------------- */

static void expect_args(int argc, char **argv, const char *want) {
    char *got = config_args_to_text(argc, argv);
    assert_string_equal(got, want);
    xfree(got);
}

static void test_args_to_text(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_args(2, (char *[]){"--port", "7000"}, "port 7000\n");
    expect_args(1, (char *[]){"--save"}, "save \"\"\n");
    expect_args(3, (char *[]){"--save", "--port", "7000"}, "save \"\"\nport 7000\n");
    expect_args(3, (char *[]){"--bind", "127.0.0.1", "::1"}, "bind 127.0.0.1 ::1\n");
    expect_args(2, (char *[]){"--requirepass", "a b"}, "requirepass \"a b\"\n");
    expect_args(2, (char *[]){"--requirepass", ""}, "requirepass \"\"\n");
    expect_args(1, (char *[]){"--port 6380"}, "port 6380\n");
    /* After a bare option name the next word is its value even with "--". */
    expect_args(2, (char *[]){"--requirepass", "--secret"}, "requirepass --secret\n");
    expect_args(4, (char *[]){"--save", "60", "1", "--appendonly"}, "save 60 1\nappendonly\n");
    expect_args(3, (char *[]){"--sentinel", "--port", "26379"}, "sentinel\nport 26379\n");
    expect_args(3, (char *[]){"-", "--port", "1"}, "port 1\n");
    expect_args(0, (char *[]){NULL}, "");

    char *text = config_args_to_text(
        7, (char *[]){"--port", "7000", "--save", "--bind", "127.0.0.1", "::1", "--maxmemory"});
    char *err = NULL;
    /* "--maxmemory" with no value is a load error, as in Redis. */
    assert_int_equal(config_load_text(c, text, "command line", &err), K_EINVAL);
    assert_non_null(strstr(err, "wrong number of arguments"));
    xfree(err);
    xfree(text);
    text = config_args_to_text(
        6, (char *[]){"--port", "7000", "--save", "--bind", "127.0.0.1", "::1"});
    expect_load_ok(c, text);
    xfree(text);
    assert_int_equal(c->port, 7000);
    assert_int_equal(c->save_count, 0);
    assert_int_equal(c->bind_count, 2);
}

/* ------------------------------------------------------------------------- */
/* CONFIG GET                                                                */
/* ------------------------------------------------------------------------- */

static void test_config_get(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    char *got = get_all(c, 1, (const char *const[]){"maxmemory*"});
    assert_string_equal(got, "maxmemory=0\n"
                             "maxmemory-policy=noeviction\n"
                             "maxmemory-samples=5\n"
                             "maxmemory-eviction-tenacity=10\n");
    xfree(got);

    /* Names and aliases are separate keys (Redis 7.0 returns both). */
    got = get_all(c, 1, (const char *const[]){"*of"});
    assert_string_equal(got, "replicaof=\nslaveof=\n");
    xfree(got);

    /* Each key once, whatever the number of matching patterns; an exact
     * name is echoed as typed. */
    got = get_all(c, 4, (const char *const[]){"PORT", "po*", "port", "no-such-*"});
    assert_string_equal(got, "PORT=6379\n");
    xfree(got);

    got = get_all(c, 2, (const char *const[]){"slave-prio?ity", "*-priority"});
    assert_string_equal(got, "slave-priority=100\nreplica-priority=100\n");
    xfree(got);

    /* File-only directives are not configs. */
    got = get_all(c, 2, (const char *const[]){"include", "rename-*"});
    assert_string_equal(got, "");
    xfree(got);

    got = get_all(c, 1, (const char *const[]){"*"});
    assert_int_equal(strncmp(got, "bind=* -::*\n", 12), 0); /* table order */
    assert_non_null(strstr(got, "\nhash-max-ziplist-entries=512\n"));
    assert_null(strstr(got, "tls-port"));
    xfree(got);
}

/* ------------------------------------------------------------------------- */
/* CONFIG SET                                                                */
/* ------------------------------------------------------------------------- */

static void test_config_set_basic(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    const char *names[] = {"maxmemory", "MAXMEMORY-POLICY", "slave-priority", "requirepass"};
    const char *values[] = {"100mb", "allkeys-lru", "7", "s3cret"};
    char *err = set_pairs(c, 4, names, values);
    assert_null(err);
    assert_int_equal(c->maxmemory, 100ULL << 20);
    assert_int_equal(c->maxmemory_policy, MAXMEMORY_ALLKEYS_LRU);
    assert_int_equal(c->replica_priority, 7);
    assert_string_equal(c->requirepass, "s3cret");
    expect_set_ok(c, "requirepass", "");
    assert_null(c->requirepass);
    expect_set_ok(c, "notify-keyspace-events", "KEA");
    expect_get(c, "notify-keyspace-events", "AKE");
    expect_set_ok(c, "latency-tracking-info-percentiles", "99.5");
    expect_get(c, "latency-tracking-info-percentiles", "99.5");
    expect_set_ok(c, "oom-score-adj-values", "-100 100 200");
    assert_int_equal(c->oom_score_adj_values[0], -100);

    /* dir: must exist; stored absolute. */
    expect_set_error(c, "dir", "/tmp",
                     "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set "
                     "protected config");
}

static void test_config_set_errors(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    expect_set_error(c, "foo", "bar",
                     "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
    expect_set_error(c, "include", "/x",
                     "ERR Unknown option or number of arguments for CONFIG SET - 'include'");
    expect_set_error(c, "daemonize", "yes",
                     "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't "
                     "set immutable config");
    expect_set_error(c, "SLAVEOF", "10.0.0.1 6379",
                     "ERR CONFIG SET failed (possibly related to argument 'SLAVEOF') - can't set "
                     "immutable config");
    expect_set_error(c, "port", "x",
                     "ERR CONFIG SET failed (possibly related to argument 'port') - argument "
                     "couldn't be parsed into an integer");
    /* An alias is reported by the alias name. */
    expect_set_error(c, "Slave-Priority", "-1",
                     "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - "
                     "argument must be between 0 and 2147483647 inclusive");
    expect_set_error(c, "appendfsync", "sometimes",
                     "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - "
                     "argument(s) must be one of the following: everysec, always, no");
    expect_set_error(c, "notify-keyspace-events", "KZ",
                     "ERR CONFIG SET failed (possibly related to argument "
                     "'notify-keyspace-events') - Invalid event class character. Use "
                     "'Ag$lshzxeKEtmdn'.");

    const char *names[] = {"port", "hz", "Port"};
    const char *values[] = {"7000", "20", "7001"};
    char *err = set_pairs(c, 3, names, values);
    assert_string_equal(err, "ERR CONFIG SET failed (possibly related to argument 'Port') - "
                             "duplicate parameter");
    xfree(err);
    /* The first problem wins. */
    const char *names2[] = {"nope", "daemonize"};
    const char *values2[] = {"1", "yes"};
    err = set_pairs(c, 2, names2, values2);
    assert_string_equal(err, "ERR Unknown option or number of arguments for CONFIG SET - 'nope'");
    xfree(err);
    assert_int_equal(c->port, 6379);
    assert_int_equal(c->hz, 10);
}

static void test_config_set_atomic(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    const char *names[] = {"port", "bind", "maxmemory"};
    const char *values[] = {"7000", "10.1.1.1", "bogus"};
    char *err = set_pairs(c, 3, names, values);
    assert_string_equal(err, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - "
                             "argument must be a memory value");
    xfree(err);
    assert_int_equal(c->port, 6379);
    assert_int_equal(c->bind_count, 2);
    assert_string_equal(c->bind[0], "*");
    assert_int_equal(c->maxmemory, 0);
}

static void test_apply_hook_rollback(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    char *bind0 = c->bind[0]; /* untouched fields keep their address */
    g_port_hook_calls = g_maxmemory_hook_calls = 0;
    g_maxmemory_hook_fails = true;
    const char *names[] = {"port", "maxmemory", "dbfilename"};
    const char *values[] = {"7000", "1mb", "x.rdb"};
    c->enable_protected_configs = PROTECTED_YES;
    char *err = set_pairs(c, 3, names, values);
    assert_string_equal(err, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - "
                             "hook says no");
    xfree(err);
    assert_int_equal(c->port, 6379);
    assert_int_equal(c->maxmemory, 0);
    assert_string_equal(c->dbfilename, "dump.rdb");
    assert_ptr_equal(c->bind[0], bind0);
    /* port applied, maxmemory failed, then both re-applied with old values */
    assert_int_equal(g_port_hook_calls, 2);
    assert_int_equal(g_maxmemory_hook_calls, 2);
    assert_int_equal(g_maxmemory_seen, 0);

    g_maxmemory_hook_fails = false;
    err = set_pairs(c, 3, names, values);
    assert_null(err);
    assert_int_equal(c->port, 7000);
    assert_int_equal(c->maxmemory, 1 << 20);
    assert_string_equal(c->dbfilename, "x.rdb");
    assert_int_equal(g_port_hook_calls, 3);
    assert_int_equal(g_maxmemory_seen, 1 << 20);

    /* An unchanged value does not run its hook. */
    expect_set_ok(c, "port", "7000");
    assert_int_equal(g_port_hook_calls, 3);
}

static void test_set_dir(void **state) {
    fixture_t *f = *state;
    keel_config_t *c = &f->c;
    c->enable_protected_configs = PROTECTED_YES;
    expect_set_ok(c, "dir", f->dir);
    char *abs = realpath(f->dir, NULL);
    assert_string_equal(c->dir, abs);
    free(abs);
    expect_set_error(c, "dir", "/nonexistent/dir",
                     "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file "
                     "or directory");
}

/* ------------------------------------------------------------------------- */
/* CONFIG REWRITE                                                            */
/* ------------------------------------------------------------------------- */

static char **split_lines(char *text, int *n) {
    char **v = NULL;
    *n = 0;
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        v = realloc(v, sizeof(char *) * (size_t)(*n + 1));
        v[(*n)++] = p;
        if (!nl) break;
        p = nl + 1;
    }
    return v;
}

static int line_index(char **lines, int n, const char *want) {
    for (int i = 0; i < n; i++)
        if (!strcmp(lines[i], want)) return i;
    return -1;
}

static void test_rewrite_round_trip(void **state) {
    fixture_t *f = *state;
    keel_config_t *c = &f->c;
    char *conf = path_in(f, "redis.conf");
    char *inc = path_in(f, "inc.conf");
    write_text(inc, "timeout 5\n");
    buf_t b = BUF_INIT;
    buf_printf(&b,
               "# Keel test config\n"
               "port 6390\n"
               "\n"
               "# memory\n"
               "maxmemory 1mb\n"
               "slaveof 10.0.0.1 6380\n"
               "save 900 1\n"
               "save 300 10\n"
               "include %s\n"
               "tls-port 0\n"
               "rename-command DEBUG \"\"\n"
               "requirepass old\n",
               inc);
    char *text = buf_detach(&b);
    write_text(conf, text);
    char *err = NULL;
    assert_int_equal(config_load_file(c, conf, &err), 0);
    assert_int_equal(c->timeout, 5);

    const char *names[] = {"maxmemory", "hz",          "masterauth",
                           "save",      "requirepass", "client-output-buffer-limit"};
    const char *values[] = {"2mb", "20", "p w\"d", "100 1", "", "pubsub 64mb 16mb 90"};
    assert_null(set_pairs(c, 6, names, values));
    assert_int_equal(config_rewrite(c, &err), 0);
    assert_null(err);

    char *out = read_text(conf);
    int n;
    char **lines = split_lines(out, &n);
    assert_string_equal(lines[0], "# Keel test config");
    assert_string_equal(lines[1], "port 6390");
    assert_string_equal(lines[3], "# memory");
    assert_string_equal(lines[4], "maxmemory 2mb");           /* in place */
    assert_string_equal(lines[5], "replicaof 10.0.0.1 6380"); /* alias line reused */
    assert_string_equal(lines[6], "save 100 1");
    assert_string_equal(lines[7], ""); /* the second save line */
    char want_inc[256];
    snprintf(want_inc, sizeof(want_inc), "include %s", inc);
    assert_string_equal(lines[8], want_inc);     /* kept as-is */
    assert_string_equal(lines[9], "tls-port 0"); /* ignored directive kept */
    assert_string_equal(lines[10], "rename-command DEBUG \"\"");
    assert_int_equal(line_index(lines, n, "requirepass old"), -1); /* now NULL: removed */
    int sig = line_index(lines, n, "# Generated by CONFIG REWRITE");
    assert_true(sig > 10);
    assert_true(line_index(lines, n, "hz 20") > sig);
    assert_true(line_index(lines, n, "masterauth \"p w\\\"d\"") > sig);
    assert_true(line_index(lines, n, "client-output-buffer-limit pubsub 64mb 16mb 90") > sig);
    assert_true(line_index(lines, n, "timeout 5") > sig);       /* value from the include */
    assert_int_equal(line_index(lines, n, "databases 16"), -1); /* defaults stay absent */
    assert_int_equal(line_index(lines, n, "client-output-buffer-limit normal 0 0 0"), -1);
    free(lines);
    xfree(out);

    /* Reloading gives the same values for every directive. */
    keel_config_t d;
    config_init(&d);
    assert_int_equal(config_load_file(&d, conf, &err), 0);
    char *before = get_all(c, 1, (const char *const[]){"*"});
    char *after = get_all(&d, 1, (const char *const[]){"*"});
    assert_string_equal(before, after);
    assert_int_equal(d.rename_count, 1);

    /* A second rewrite with nothing changed is stable. */
    char *first = read_text(conf);
    assert_int_equal(config_rewrite(&d, &err), 0);
    char *second = read_text(conf);
    assert_string_equal(first, second);

    struct stat st;
    assert_int_equal(stat(conf, &st), 0);
    assert_true(S_ISREG(st.st_mode));

    xfree(first);
    xfree(second);
    xfree(before);
    xfree(after);
    config_free(&d);
    xfree(text);
    xfree(conf);
    xfree(inc);
}

static void test_rewrite_comments_unknown_and_empty(void **state) {
    fixture_t *f = *state;
    keel_config_t *c = &f->c;
    char *conf = path_in(f, "x.conf");
    write_text(conf, "port 6400\n");
    char *err = NULL;
    assert_int_equal(config_load_file(c, conf, &err), 0);
    /* Someone edits the file behind our back. */
    write_text(conf, "port 6400\nfrobnicate yes\nsave 60 1\n\n\n\n# end\n");
    expect_set_ok(c, "save", "");
    assert_int_equal(config_rewrite(c, &err), 0);
    char *out = read_text(conf);
    assert_string_equal(out, "port 6400\n# ??? frobnicate yes\nsave \"\"\n\n# end\n");
    xfree(out);
    xfree(conf);
}

static void test_rewrite_without_file(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    char *err = NULL;
    assert_int_equal(config_rewrite(c, &err), K_ESTATE);
    assert_string_equal(err, "ERR The server is running without a config file");
    xfree(err);
}

static void test_rewrite_io_error(void **state) {
    keel_config_t *c = &((fixture_t *)*state)->c;
    c->config_file = xstrdup("/nonexistent/dir/keel.conf");
    char *err = NULL;
    assert_int_equal(config_rewrite(c, &err), K_EIO);
    assert_string_equal(err, "ERR Rewriting config file: No such file or directory");
    xfree(err);
}

/* The active lines of Redis 7.0's stock redis.conf, in order (comments
 * dropped): it must load, and survive a rewrite and a reload unchanged. */
static const char stock_redis_conf[] =
    "# Redis configuration file example.\n"
    "bind 127.0.0.1 -::1\n"
    "protected-mode yes\n"
    "port 6379\n"
    "tcp-backlog 511\n"
    "timeout 0\n"
    "tcp-keepalive 300\n"
    "daemonize no\n"
    "pidfile /var/run/redis_6379.pid\n"
    "loglevel notice\n"
    "logfile \"\"\n"
    "databases 16\n"
    "always-show-logo no\n"
    "set-proc-title yes\n"
    "proc-title-template \"{title} {listen-addr} {server-mode}\"\n"
    "stop-writes-on-bgsave-error yes\n"
    "rdbcompression yes\n"
    "rdbchecksum yes\n"
    "dbfilename dump.rdb\n"
    "rdb-del-sync-files no\n"
    "dir ./\n"
    "replica-serve-stale-data yes\n"
    "replica-read-only yes\n"
    "repl-diskless-sync yes\n"
    "repl-diskless-sync-delay 5\n"
    "repl-diskless-sync-max-replicas 0\n"
    "repl-diskless-load disabled\n"
    "repl-disable-tcp-nodelay no\n"
    "replica-priority 100\n"
    "acllog-max-len 128\n"
    "lazyfree-lazy-eviction no\n"
    "lazyfree-lazy-expire no\n"
    "lazyfree-lazy-server-del no\n"
    "replica-lazy-flush no\n"
    "lazyfree-lazy-user-del no\n"
    "lazyfree-lazy-user-flush no\n"
    "oom-score-adj no\n"
    "oom-score-adj-values 0 200 800\n"
    "disable-thp yes\n"
    "appendonly no\n"
    "appendfilename \"appendonly.aof\"\n"
    "appenddirname \"appendonlydir\"\n"
    "appendfsync everysec\n"
    "no-appendfsync-on-rewrite no\n"
    "auto-aof-rewrite-percentage 100\n"
    "auto-aof-rewrite-min-size 64mb\n"
    "aof-load-truncated yes\n"
    "aof-use-rdb-preamble yes\n"
    "aof-timestamp-enabled no\n"
    "slowlog-log-slower-than 10000\n"
    "slowlog-max-len 128\n"
    "latency-monitor-threshold 0\n"
    "notify-keyspace-events \"\"\n"
    "hash-max-listpack-entries 512\n"
    "hash-max-listpack-value 64\n"
    "list-max-listpack-size -2\n"
    "list-compress-depth 0\n"
    "set-max-intset-entries 512\n"
    "zset-max-listpack-entries 128\n"
    "zset-max-listpack-value 64\n"
    "hll-sparse-max-bytes 3000\n"
    "stream-node-max-bytes 4096\n"
    "stream-node-max-entries 100\n"
    "activerehashing yes\n"
    "client-output-buffer-limit normal 0 0 0\n"
    "client-output-buffer-limit replica 256mb 64mb 60\n"
    "client-output-buffer-limit pubsub 32mb 8mb 60\n"
    "hz 10\n"
    "dynamic-hz yes\n"
    "aof-rewrite-incremental-fsync yes\n"
    "rdb-save-incremental-fsync yes\n"
    "jemalloc-bg-thread yes\n";

static void test_stock_redis_conf(void **state) {
    fixture_t *f = *state;
    keel_config_t *c = &f->c;
    char *conf = path_in(f, "redis.conf");
    write_text(conf, stock_redis_conf);
    char *err = NULL;
    assert_int_equal(config_load_file(c, conf, &err), 0);
    assert_null(err);
    expect_get(c, "bind", "127.0.0.1 -::1");
    assert_string_equal(c->pidfile, "/var/run/redis_6379.pid");
    assert_string_equal(c->dir, "./");
    char *before = get_all(c, 1, (const char *const[]){"*"});

    assert_int_equal(config_rewrite(c, &err), 0);
    char *out = read_text(conf);
    /* Nothing changed, so nothing is appended and every line is kept. */
    assert_null(strstr(out, "# Generated by CONFIG REWRITE"));
    assert_non_null(strstr(out, "\nclient-output-buffer-limit replica 256mb 64mb 60\n"));
    assert_non_null(strstr(out, "\nappendfilename \"appendonly.aof\"\n"));
    assert_non_null(strstr(out, "\njemalloc-bg-thread yes\n"));

    keel_config_t d;
    config_init(&d);
    assert_int_equal(config_load_file(&d, conf, &err), 0);
    char *after = get_all(&d, 1, (const char *const[]){"*"});
    assert_string_equal(before, after);
    config_free(&d);
    xfree(before);
    xfree(after);
    xfree(out);
    xfree(conf);
}

/* ------------------------------------------------------------------------- */
/* Keyspace events and names                                                 */
/* ------------------------------------------------------------------------- */

static void expect_flags_string(int flags, const char *want) {
    char out[32];
    config_notify_string(flags, out);
    assert_string_equal(out, want);
}

static void test_notify_flags(void **state) {
    assert_int_equal(config_notify_parse(""), 0);
    assert_int_equal(config_notify_parse("KEA"), NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_ALL);
    assert_int_equal(config_notify_parse("A"), NOTIFY_ALL);
    assert_false(config_notify_parse("A") & NOTIFY_KEY_MISS);
    assert_false(config_notify_parse("A") & NOTIFY_NEW);
    assert_int_equal(config_notify_parse("Kx"), NOTIFY_KEYSPACE | NOTIFY_EXPIRED);
    assert_int_equal(config_notify_parse("Q"), -1);
    assert_int_equal(config_notify_parse("Kk"), -1);

    expect_flags_string(0, "");
    expect_flags_string(config_notify_parse("KEA"), "AKE");
    expect_flags_string(config_notify_parse("Kx"), "xK");
    expect_flags_string(config_notify_parse("zg$"), "g$z");
    expect_flags_string(config_notify_parse("mE"), "Em");
    expect_flags_string(config_notify_parse("g$lshzxetd"), "A");
    expect_flags_string(config_notify_parse("nKd"), "dnK");
    /* Redis 7.0 prints no 'n' next to 'A'. */
    expect_flags_string(config_notify_parse("AKEn"), "AKE");
}

static void test_policy_names(void **state) {
    assert_string_equal(config_maxmemory_policy_name(MAXMEMORY_NOEVICTION), "noeviction");
    assert_string_equal(config_maxmemory_policy_name(MAXMEMORY_VOLATILE_TTL), "volatile-ttl");
    assert_string_equal(config_maxmemory_policy_name(MAXMEMORY_ALLKEYS_LFU), "allkeys-lfu");
    assert_string_equal(config_maxmemory_policy_name(99), "unknown");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_directive_reports_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_load_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_insensitive_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_output_buffer_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepted_redis_directives, setup, teardown),
        cmocka_unit_test_setup_teardown(test_include, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_to_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_set_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_set_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_set_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_hook_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_comments_unknown_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_without_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_io_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stock_redis_conf, setup, teardown),
        cmocka_unit_test(test_notify_flags),
        cmocka_unit_test(test_policy_names),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
