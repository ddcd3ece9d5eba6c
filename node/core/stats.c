/* Observability: slow log, latency monitor, per-command latency histograms
 * and error statistics, plus the SLOWLOG and LATENCY commands and the INFO
 * commandstats / errorstats / latencystats sections.
 *
 * Design notes:
 *  1. Everything here is fed from command_call() through stats_after_command()
 *     (one call per executed command, duration measured around cmd->proc) and
 *     from reply_error() through stats_count_error().  Nothing here runs on
 *     another thread.
 *  2. Slow log: a list, newest first, trimmed to slowlog-max-len on every push
 *     (as Redis does, so lowering the limit takes effect at the next push).
 *     Entries copy their arguments: argv points into the query buffer, which
 *     is reused as soon as the command returns.  At most 32 arguments are
 *     kept (the 32nd becomes "... (N more arguments)") and each is cut to 128
 *     bytes plus "... (N more bytes)".  IDs keep growing across SLOWLOG RESET.
 *  3. Latency monitor: one series per event name, created on the first sample
 *     at or above latency-monitor-threshold (ms; 0 disables).  A series is a
 *     ring of 160 (unix second, ms) samples; two samples in the same second
 *     merge into one holding the larger latency.  `max` is the all-time high.
 *  4. Latency histograms (latency-tracking): allocated on a command's first
 *     call.  Values are microseconds clamped to [0, 1 s].  Values below 256
 *     are counted exactly; above, each power of two [2^b, 2^(b+1)) is split
 *     into 128 equal buckets, so a bucket is at most 1/128 (0.78%) of its
 *     lower bound wide.  Reporting a bucket's highest value therefore errs by
 *     less than 1%: e.g. 1000 us lands in [1000, 1003] and reports 1003.
 *  5. Error stats live in server.errors (prefix -> count).  The prefix is the
 *     error's first word, looked for in its first 31 bytes as Redis does
 *     ("ERR" when no space is found).  After 128 distinct prefixes new ones
 *     are not tracked (existing ones keep counting).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "server.h"
#include "stats.h"

#define SLOWLOG_MAX_ARGC 32
#define SLOWLOG_MAX_STRING 128
#define LATENCY_TS_LEN 160
#define ERROR_STATS_MAX 128
#define ERROR_PREFIX_SCAN 31 /* Redis scans 32 bytes of "-ERR ...", i.e. 31 of ours */

/* ---- slow log ----------------------------------------------------------- */

typedef struct slowlog_entry {
    struct slowlog_entry *newer, *older;
    long long id;
    long long time;     /* unix seconds */
    long long duration; /* microseconds */
    int argc;
    char **argv;
    size_t *lens;
    char *addr;
    char *name; /* "" when the client had none */
} slowlog_entry_t;

static struct {
    slowlog_entry_t *newest, *oldest;
    unsigned long long len;
    long long next_id;
} slowlog;

static void slowlog_entry_free(slowlog_entry_t *e) {
    for (int i = 0; i < e->argc; i++) xfree(e->argv[i]);
    xfree(e->argv);
    xfree(e->lens);
    xfree(e->addr);
    xfree(e->name);
    xfree(e);
}

static void slowlog_drop_oldest(void) {
    slowlog_entry_t *e = slowlog.oldest;
    slowlog.oldest = e->newer;
    if (slowlog.oldest)
        slowlog.oldest->older = NULL;
    else
        slowlog.newest = NULL;
    slowlog.len--;
    slowlog_entry_free(e);
}

static void slowlog_reset(void) {
    while (slowlog.oldest) slowlog_drop_oldest();
}

/* Copies argv (borrowed until return) into a new entry at the head. */
static void slowlog_push(const client_t *c, int argc, const char **argv, const size_t *lens,
                         long long duration) {
    slowlog_entry_t *e = xcalloc(1, sizeof(*e));
    int n = argc > SLOWLOG_MAX_ARGC ? SLOWLOG_MAX_ARGC : argc;
    e->argc = n;
    e->argv = xmalloc(sizeof(char *) * (size_t)(n ? n : 1));
    e->lens = xmalloc(sizeof(size_t) * (size_t)(n ? n : 1));
    for (int j = 0; j < n; j++) {
        buf_t b = BUF_INIT;
        if (n != argc && j == n - 1) {
            buf_printf(&b, "... (%d more arguments)", argc - n + 1);
        } else if (lens[j] > SLOWLOG_MAX_STRING) {
            buf_append(&b, argv[j], SLOWLOG_MAX_STRING);
            buf_printf(&b, "... (%lu more bytes)", (unsigned long)(lens[j] - SLOWLOG_MAX_STRING));
        } else {
            buf_append(&b, argv[j], lens[j]);
        }
        e->lens[j] = b.len;
        e->argv[j] = b.p ? buf_detach(&b) : xstrdup("");
    }
    e->time = (long long)time(NULL);
    e->duration = duration;
    e->id = slowlog.next_id++;
    e->addr = xstrdup(c->addr);
    e->name = xstrdup(c->name ? c->name : "");
    e->older = slowlog.newest;
    if (slowlog.newest)
        slowlog.newest->newer = e;
    else
        slowlog.oldest = e;
    slowlog.newest = e;
    slowlog.len++;
}

static void slowlog_maybe_push(const client_t *c, const command_t *cmd, long long duration) {
    long long threshold = server.cfg.slowlog_log_slower_than;
    if (threshold < 0 || (cmd->flags & CMD_SKIP_SLOWLOG)) return;
    if (cmd->parent && (cmd->parent->flags & CMD_SKIP_SLOWLOG)) return;
    if (duration >= threshold && c->argc > 0) slowlog_push(c, c->argc, c->argv, c->argvlen, duration);
    while (slowlog.len > server.cfg.slowlog_max_len) slowlog_drop_oldest();
}

/* ---- latency monitor ---------------------------------------------------- */

typedef struct latency_sample {
    long long time;   /* unix seconds; 0 = empty slot */
    uint32_t latency; /* ms */
} latency_sample_t;

typedef struct latency_series {
    char *event;
    latency_sample_t samples[LATENCY_TS_LEN];
    int idx; /* next slot to write */
    uint32_t max;
} latency_series_t;

static struct {
    latency_series_t **v; /* in creation order */
    int n, cap;
} events;

static latency_series_t *series_find(const char *event) {
    for (int i = 0; i < events.n; i++)
        if (strcmp(events.v[i]->event, event) == 0) return events.v[i];
    return NULL;
}

static void latency_add_sample(const char *event, uint32_t ms) {
    latency_series_t *ts = series_find(event);
    long long now = (long long)time(NULL);
    if (!ts) {
        ts = xcalloc(1, sizeof(*ts));
        ts->event = xstrdup(event);
        if (events.n == events.cap) {
            events.cap = events.cap ? events.cap * 2 : 8;
            events.v = xrealloc(events.v, sizeof(*events.v) * (size_t)events.cap);
        }
        events.v[events.n++] = ts;
    }
    if (ms > ts->max) ts->max = ms;
    int prev = (ts->idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if (ts->samples[prev].time == now) {
        if (ms > ts->samples[prev].latency) ts->samples[prev].latency = ms;
        return;
    }
    ts->samples[ts->idx].time = now;
    ts->samples[ts->idx].latency = ms;
    ts->idx = (ts->idx + 1) % LATENCY_TS_LEN;
}

/* Removes the series named event (case-insensitive), or all with NULL. */
static int latency_reset(const char *event) {
    int resets = 0, kept = 0;
    for (int i = 0; i < events.n; i++) {
        latency_series_t *ts = events.v[i];
        if (!event || strcasecmp(ts->event, event) == 0) {
            xfree(ts->event);
            xfree(ts);
            resets++;
        } else {
            events.v[kept++] = ts;
        }
    }
    events.n = kept;
    return resets;
}

void stats_latency_event(const char *event, int64_t duration_ms) {
    long long threshold = server.cfg.latency_monitor_threshold;
    if (threshold <= 0 || duration_ms < threshold) return;
    latency_add_sample(event, duration_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)duration_ms);
}

/* ---- latency histograms (see note 4) ------------------------------------ */

#define LH_SUB_BITS 7                        /* 128 buckets per power of two */
#define LH_SUB (1 << LH_SUB_BITS)
#define LH_EXACT (2 * LH_SUB)                /* 0..255 counted exactly */
#define LH_MAX_US 1000000                    /* clamp: 1 s, as Redis */
#define LH_TOP_BIT 19                        /* 2^19 <= 1e6 < 2^20 */
#define LH_BUCKETS (LH_EXACT + (LH_TOP_BIT - LH_SUB_BITS) * LH_SUB)

struct latency_hist {
    long long total;
    uint64_t counts[LH_BUCKETS];
};

static int lh_index(uint64_t v) {
    if (v < LH_EXACT) return (int)v;
    int b = 63 - __builtin_clzll(v); /* >= 8 */
    int shift = b - LH_SUB_BITS;
    return LH_EXACT + (b - LH_SUB_BITS - 1) * LH_SUB + (int)((v >> shift) - LH_SUB);
}

/* Lowest and highest value counted in bucket i. */
static void lh_range(int i, uint64_t *lo, uint64_t *hi) {
    if (i < LH_EXACT) {
        *lo = *hi = (uint64_t)i;
        return;
    }
    int k = i - LH_EXACT;
    int b = k / LH_SUB + LH_SUB_BITS + 1;
    int shift = b - LH_SUB_BITS;
    uint64_t sub = (uint64_t)(k % LH_SUB) + LH_SUB;
    *lo = sub << shift;
    *hi = ((sub + 1) << shift) - 1;
}

static void lh_record(struct latency_hist **hp, int64_t us) {
    if (!*hp) *hp = xcalloc(1, sizeof(**hp));
    if (us < 0) us = 0;
    if (us > LH_MAX_US) us = LH_MAX_US;
    (*hp)->counts[lh_index((uint64_t)us)]++;
    (*hp)->total++;
}

/* The value at percentile p, as hdr_value_at_percentile() reports it: the
 * highest value of the bucket holding the (p% of total, rounded) sample. */
static uint64_t lh_percentile(const struct latency_hist *h, double p) {
    if (p > 100.0) p = 100.0;
    long long want = (long long)(p / 100.0 * (double)h->total + 0.5);
    if (want < 1) want = 1;
    long long seen = 0;
    for (int i = 0; i < LH_BUCKETS; i++) {
        seen += (long long)h->counts[i];
        if (seen >= want) {
            uint64_t lo, hi;
            lh_range(i, &lo, &hi);
            return p == 0.0 ? lo : hi;
        }
    }
    return 0;
}

/* LATENCY HISTOGRAM's map for one command: calls, then a cumulative count
 * per power-of-two bucket, as Redis's fillCommandCDF (first bound 1024 ns,
 * doubling; a bucket is printed only when the count grew).  With our
 * microsecond samples, "value <= (1024 << k) ns - 1" means value <= X. */
static void lh_reply_cdf(client_t *c, const struct latency_hist *h) {
    reply_map(c, 2);
    reply_bulk_cstr(c, "calls");
    reply_int(c, h->total);
    reply_bulk_cstr(c, "histogram_usec");
    void *len = reply_defer_len(c);
    long long pairs = 0, prev = 0, cum = 0;
    int i = 0;
    for (int k = 0; k < 21 && prev < h->total; k++) {
        uint64_t x = ((1024ULL << k) - 1) / 1000;
        for (; i < LH_BUCKETS; i++) {
            uint64_t lo, hi;
            lh_range(i, &lo, &hi);
            if (lo > x) break;
            cum += (long long)h->counts[i];
        }
        if (cum > prev) {
            reply_int(c, (long long)x);
            reply_int(c, cum);
            pairs++;
        }
        prev = cum;
    }
    reply_set_deferred_map(c, len, pairs);
}

/* ---- error stats (see note 5) ------------------------------------------- */

typedef struct error_stat {
    ht_node_t node;
    long long count;
    size_t len;
    char name[];
} error_stat_t;

static void error_node_key(const ht_node_t *n, const void **key, size_t *len) {
    const error_stat_t *e = (const error_stat_t *)n;
    *key = e->name;
    *len = e->len;
}

static const ht_type_t error_ht_type = {
    .hash = ht_hash_bytes,
    .node_key = error_node_key,
};

static void errors_ensure(void) {
    if (!server.errors.type) ht_init(&server.errors, &error_ht_type);
}

void stats_count_error(const char *err, size_t len) {
    errors_ensure();
    const char *prefix = "ERR";
    size_t plen = 3;
    const char *sp = memchr(err, ' ', len < ERROR_PREFIX_SCAN ? len : ERROR_PREFIX_SCAN);
    if (sp && sp > err) {
        prefix = err;
        plen = (size_t)(sp - err);
    }
    error_stat_t *e = (error_stat_t *)ht_find(&server.errors, prefix, plen);
    if (!e) {
        if (ht_count(&server.errors) >= ERROR_STATS_MAX) return;
        e = xmalloc(sizeof(*e) + plen + 1);
        e->count = 0;
        e->len = plen;
        memcpy(e->name, prefix, plen);
        e->name[plen] = '\0';
        ht_insert(&server.errors, &e->node);
        server.errors_count = ht_count(&server.errors);
    }
    e->count++;
}

static void error_free_node(ht_node_t *n, void *ud) { xfree(n); }

static void errors_reset(void) {
    errors_ensure();
    ht_clear(&server.errors, error_free_node, NULL);
    server.errors_count = 0;
}

/* ---- INFO helpers --------------------------------------------------------- */

/* Appends s with INFO's unsafe characters ('#', ':', CR, LF) replaced by '_',
 * as Redis's getSafeInfoString does. */
static void put_safe(buf_t *out, const char *s, size_t n) {
    buf_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '#' || ch == ':' || ch == '\r' || ch == '\n') ch = '_';
        buf_putc(out, ch);
    }
}

/* Redis prints a command by its original full name ("config|get"); a renamed
 * top-level command keeps its original name in c->name. */
static const char *stat_name(const command_t *c) { return c->parent ? c->fullname : c->name; }

static void commandstats_one(buf_t *out, const command_t *c) {
    if (!c->calls && !c->failed_calls && !c->rejected_calls) return;
    buf_puts(out, "cmdstat_");
    const char *name = stat_name(c);
    put_safe(out, name, strlen(name));
    buf_printf(out, ":calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,failed_calls=%lld\r\n",
               c->calls, c->usec, c->calls ? (double)((float)c->usec / (float)c->calls) : 0.0,
               c->rejected_calls, c->failed_calls);
}

void stats_info_commandstats(buf_t *out) {
    for (size_t i = 0; i < server.ncommands; i++) {
        const command_t *c = server.all_commands[i];
        commandstats_one(out, c);
        if (c->subcommands)
            for (const command_t *s = c->subcommands; s->name; s++) commandstats_one(out, s);
    }
}

static int error_cmp(const void *a, const void *b) {
    const error_stat_t *x = *(error_stat_t *const *)a, *y = *(error_stat_t *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->name, y->name, n);
    if (r) return r;
    return x->len < y->len ? -1 : x->len > y->len;
}

void stats_info_errorstats(buf_t *out) {
    errors_ensure();
    size_t n = ht_count(&server.errors);
    if (!n) return;
    /* Redis keeps errors in a radix tree, so they print in byte order. */
    error_stat_t **v = xmalloc(sizeof(*v) * n);
    size_t k = 0;
    ht_iter_t it;
    ht_iter_init(&it, &server.errors);
    for (ht_node_t *node; (node = ht_iter_next(&it)) && k < n;) v[k++] = (error_stat_t *)node;
    ht_iter_done(&it);
    qsort(v, k, sizeof(*v), error_cmp);
    for (size_t i = 0; i < k; i++) {
        buf_puts(out, "errorstat_");
        put_safe(out, v[i]->name, v[i]->len);
        buf_printf(out, ":count=%lld\r\n", v[i]->count);
    }
    xfree(v);
}

/* Percentile label as Redis prints it: "%f" with trailing zeros (and a
 * trailing '.') removed, so 50 -> "50", 99.9 -> "99.9". */
static void percentile_label(double p, char *out, size_t cap) {
    int n = snprintf(out, cap, "%f", p);
    if (n <= 0 || (size_t)n >= cap) return;
    if (strchr(out, '.')) {
        char *e = out + n - 1;
        while (e > out && *e == '0') *e-- = '\0';
        if (*e == '.') *e = '\0';
    }
}

static void latencystats_one(buf_t *out, const command_t *c) {
    if (!c->latency) return;
    buf_puts(out, "latency_percentiles_usec_");
    const char *name = stat_name(c);
    put_safe(out, name, strlen(name));
    buf_putc(out, ':');
    int n = server.cfg.latency_tracking_info_percentiles_count;
    for (int j = 0; j < n; j++) {
        double p = server.cfg.latency_tracking_info_percentiles[j];
        char label[64];
        percentile_label(p, label, sizeof(label));
        buf_printf(out, "p%s=%.3f", label, (double)lh_percentile(c->latency, p));
        if (j != n - 1) buf_putc(out, ',');
    }
    buf_puts(out, "\r\n");
}

void stats_info_latencystats(buf_t *out) {
    if (!server.cfg.latency_tracking) return;
    for (size_t i = 0; i < server.ncommands; i++) {
        const command_t *c = server.all_commands[i];
        latencystats_one(out, c);
        if (c->subcommands)
            for (const command_t *s = c->subcommands; s->name; s++) latencystats_one(out, s);
    }
}

/* ---- hooks from command.c ------------------------------------------------ */

void stats_init(void) {
    errors_ensure();
    slowlog.next_id = 0;
}

void stats_after_command(client_t *c, command_t *cmd, int64_t duration_us) {
    if (duration_us < 0) duration_us = 0;
    slowlog_maybe_push(c, cmd, duration_us);
    if (server.cfg.latency_tracking) lh_record(&cmd->latency, duration_us);
    stats_latency_event((cmd->flags & CMD_FAST) ? "fast-command" : "command", duration_us / 1000);
}

static void command_stats_reset(command_t *c) {
    c->calls = c->usec = c->rejected_calls = c->failed_calls = 0;
    xfree(c->latency);
    c->latency = NULL;
}

/* CONFIG RESETSTAT: Redis's resetServerStats() + resetCommandTableStats() +
 * resetErrorTableStats().  The slow log and the latency monitor are kept. */
void stats_reset(void) {
    for (size_t i = 0; i < server.ncommands; i++) {
        command_t *c = server.all_commands[i];
        command_stats_reset(c);
        if (c->subcommands)
            for (command_t *s = c->subcommands; s->name; s++) command_stats_reset(s);
    }
    errors_reset();
    server.stat_numcommands = 0;
    server.stat_numconnections = 0;
    server.stat_expiredkeys = 0;
    server.stat_expired_stale_perc_x100 = 0;
    server.stat_expired_time_cap_reached_count = 0;
    server.stat_evictedkeys = 0;
    server.stat_evictedclients = 0;
    server.stat_total_eviction_exceeded_time_ms = 0;
    server.stat_keyspace_hits = 0;
    server.stat_keyspace_misses = 0;
    server.stat_rejected_conn = 0;
    server.stat_io_reads = 0;
    server.stat_io_writes = 0;
    server.stat_net_input_bytes = 0;
    server.stat_net_output_bytes = 0;
    server.stat_unexpected_error_replies = 0;
    server.stat_total_error_replies = 0;
    server.stat_client_qbuf_limit_disconnections = 0;
    server.stat_client_outbuf_limit_disconnections = 0;
    /* Instantaneous metrics restart from zero, relative to the reset counters. */
    memset(server.inst_ops_samples, 0, sizeof(server.inst_ops_samples));
    memset(server.inst_in_samples, 0, sizeof(server.inst_in_samples));
    memset(server.inst_out_samples, 0, sizeof(server.inst_out_samples));
    server.inst_idx = 0;
    server.inst_last_ops = server.inst_last_in = server.inst_last_out = 0;
    server.inst_last_ms = server.now_ms;
}

/* ---- SLOWLOG ---------------------------------------------------------------- */

static void cmd_slowlog_get(client_t *c) {
    long long count = 10;
    if (c->argc > 3) {
        reply_error_subcommand_syntax(c);
        return;
    }
    if (c->argc == 3) {
        if (!str2ll(c->argv[2], c->argvlen[2], &count) || count < -1) {
            reply_error(c, "ERR count should be greater than or equal to -1");
            return;
        }
        if (count == -1) count = (long long)slowlog.len;
    }
    long long n = (long long)slowlog.len < count ? (long long)slowlog.len : count;
    reply_array(c, n);
    slowlog_entry_t *e = slowlog.newest;
    for (long long i = 0; i < n && e; i++, e = e->older) {
        reply_array(c, 6);
        reply_int(c, e->id);
        reply_int(c, e->time);
        reply_int(c, e->duration);
        reply_array(c, e->argc);
        for (int j = 0; j < e->argc; j++) reply_bulk(c, e->argv[j], e->lens[j]);
        reply_bulk_cstr(c, e->addr);
        reply_bulk_cstr(c, e->name);
    }
}

static void cmd_slowlog_len(client_t *c) { reply_int(c, (long long)slowlog.len); }

static void cmd_slowlog_reset(client_t *c) {
    slowlog_reset();
    reply_ok(c);
}

static void cmd_slowlog_help(client_t *c) {
    static const char *const lines[] = {
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        NULL,
    };
    reply_help(c, lines);
}

/* ---- LATENCY ---------------------------------------------------------------- */

static void cmd_latency_latest(client_t *c) {
    reply_array(c, events.n);
    for (int i = 0; i < events.n; i++) {
        const latency_series_t *ts = events.v[i];
        int last = (ts->idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
        reply_array(c, 4);
        reply_bulk_cstr(c, ts->event);
        reply_int(c, ts->samples[last].time);
        reply_int(c, ts->samples[last].latency);
        reply_int(c, ts->max);
    }
}

static void cmd_latency_history(client_t *c) {
    const latency_series_t *ts = series_find(c->argv[2]);
    if (!ts) {
        reply_empty_array(c);
        return;
    }
    int n = 0;
    for (int j = 0; j < LATENCY_TS_LEN; j++)
        if (ts->samples[j].time) n++;
    reply_array(c, n);
    for (int j = 0; j < LATENCY_TS_LEN; j++) {
        const latency_sample_t *s = &ts->samples[(ts->idx + j) % LATENCY_TS_LEN];
        if (!s->time) continue;
        reply_array(c, 2);
        reply_int(c, s->time);
        reply_int(c, s->latency);
    }
}

static void cmd_latency_reset(client_t *c) {
    if (c->argc == 2) {
        reply_int(c, latency_reset(NULL));
        return;
    }
    int resets = 0;
    for (int j = 2; j < c->argc; j++) resets += latency_reset(c->argv[j]);
    reply_int(c, resets);
}

/* LATENCY GRAPH: Redis's sparkline.  Each sample is a column; the height
 * (4 rows x 3 levels "_o#", '|' below the top) is its latency relative to
 * the min..max of the series; below the chart each column's age label
 * ("12s", "3m", ...) is written vertically after one blank row. */
#define GRAPH_COLS 80
#define GRAPH_ROWS 4

static void graph_render_range(buf_t *out, const uint32_t *vals, char (*labels)[24], int off, int len,
                               uint32_t min, uint32_t max) {
    static const char fill[] = "_o#";
    const int levels = 3, steps = levels * GRAPH_ROWS;
    double relmax = max - min ? (double)(max - min) : 1.0;
    char *line = xmalloc((size_t)len);
    for (int row = 0;; row++) {
        bool any = false;
        memset(line, ' ', (size_t)len);
        for (int j = 0; j < len; j++) {
            int step = (int)((double)(vals[off + j] - min) * steps / relmax);
            if (step < 0) step = 0;
            if (step >= steps) step = steps - 1;
            if (row < GRAPH_ROWS) {
                int idx = step - (GRAPH_ROWS - row - 1) * levels;
                any = true;
                if (idx >= 0 && idx < levels) line[j] = fill[idx];
                else if (idx >= levels) line[j] = '|';
            } else if (row == GRAPH_ROWS) {
                any = true; /* the blank margin above the labels */
            } else {
                size_t ch = (size_t)(row - GRAPH_ROWS - 1);
                if (strlen(labels[off + j]) > ch) {
                    any = true;
                    line[j] = labels[off + j][ch];
                }
            }
        }
        if (!any) break;
        buf_append(out, line, (size_t)len);
        buf_putc(out, '\n');
    }
    xfree(line);
}

static void cmd_latency_graph(client_t *c) {
    const latency_series_t *ts = series_find(c->argv[2]);
    if (!ts) {
        reply_errorf(c, "ERR No samples available for event '%s'", c->argv[2]);
        return;
    }
    uint32_t vals[LATENCY_TS_LEN], min = 0, max = 0;
    char labels[LATENCY_TS_LEN][24];
    int n = 0;
    long long now = (long long)time(NULL);
    for (int j = 0; j < LATENCY_TS_LEN; j++) {
        const latency_sample_t *s = &ts->samples[(ts->idx + j) % LATENCY_TS_LEN];
        if (!s->time) continue;
        if (n == 0 || s->latency < min) min = s->latency;
        if (n == 0 || s->latency > max) max = s->latency;
        long long age = now - s->time;
        if (age < 60) snprintf(labels[n], sizeof(labels[n]), "%llds", age);
        else if (age < 3600) snprintf(labels[n], sizeof(labels[n]), "%lldm", age / 60);
        else if (age < 86400) snprintf(labels[n], sizeof(labels[n]), "%lldh", age / 3600);
        else snprintf(labels[n], sizeof(labels[n]), "%lldd", age / 86400);
        vals[n++] = s->latency;
    }
    buf_t out = BUF_INIT;
    buf_printf(&out, "%s - high %lu ms, low %lu ms (all time high %lu ms)\n", ts->event,
               (unsigned long)max, (unsigned long)min, (unsigned long)ts->max);
    for (int j = 0; j < GRAPH_COLS; j++) buf_putc(&out, '-');
    buf_putc(&out, '\n');
    for (int j = 0; j < n; j += GRAPH_COLS) {
        if (j) buf_putc(&out, '\n');
        graph_render_range(&out, vals, labels, j, n - j < GRAPH_COLS ? n - j : GRAPH_COLS, min, max);
    }
    reply_verbatim(c, out.p, out.len, "txt");
    buf_free(&out);
}

/* Average, mean deviation and period of a series, as Redis's doctor reports. */
static void series_analyze(const latency_series_t *ts, int *samples, unsigned long *avg, unsigned long *mad,
                           double *period) {
    long long oldest = 0, sum = 0;
    int n = 0;
    for (int j = 0; j < LATENCY_TS_LEN; j++) {
        const latency_sample_t *s = &ts->samples[j];
        if (!s->time) continue;
        n++;
        sum += s->latency;
        if (!oldest || s->time < oldest) oldest = s->time;
    }
    *samples = n;
    *avg = n ? (unsigned long)(sum / n) : 0;
    long long dev = 0;
    for (int j = 0; j < LATENCY_TS_LEN; j++) {
        const latency_sample_t *s = &ts->samples[j];
        if (s->time) dev += llabs((long long)*avg - (long long)s->latency);
    }
    *mad = n ? (unsigned long)(dev / n) : 0;
    long long span = n ? (long long)time(NULL) - oldest : 0;
    if (n && span == 0) span = 1;
    *period = n ? (double)span / n : 0;
}

static void cmd_latency_doctor(client_t *c) {
    buf_t r = BUF_INIT;
    if (events.n == 0) {
        if (server.cfg.latency_monitor_threshold == 0)
            buf_puts(&r, "Latency monitoring is disabled in this instance. Enable it with "
                         "\"CONFIG SET latency-monitor-threshold <milliseconds>\".\n");
        else
            buf_printf(&r, "No latency spike at or above %lld ms was observed since the monitor was "
                           "enabled or last reset.\n",
                       server.cfg.latency_monitor_threshold);
    } else {
        bool slow_cmds = false, fast_cmds = false, expire = false, evict = false;
        buf_puts(&r, "Latency spikes observed in this instance:\n\n");
        for (int i = 0; i < events.n; i++) {
            const latency_series_t *ts = events.v[i];
            int samples;
            unsigned long avg, mad;
            double period;
            series_analyze(ts, &samples, &avg, &mad, &period);
            buf_printf(&r, "%d. %s: %d latency spikes (average %lums, mean deviation %lums, period %.2f sec). "
                           "Worst all time event %lums.\n",
                       i + 1, ts->event, samples, avg, mad, period, (unsigned long)ts->max);
            if (!strcmp(ts->event, "command")) slow_cmds = true;
            if (!strcmp(ts->event, "fast-command")) fast_cmds = true;
            if (!strncmp(ts->event, "expire-cycle", 12)) expire = true;
            if (!strncmp(ts->event, "eviction", 8)) evict = true;
        }
        buf_puts(&r, "\nSuggestions:\n\n");
        if (slow_cmds)
            buf_puts(&r, "- Slow commands: check SLOWLOG GET to see which commands and arguments were slow; "
                         "commands over large values (big sets, KEYS, long ranges) run in the event loop "
                         "and delay every other client.\n");
        if (fast_cmds)
            buf_puts(&r, "- O(1) commands were slow: the process was probably not scheduled (system load, "
                         "a noisy neighbour or swapping).\n");
        if (expire)
            buf_puts(&r, "- The active expire cycle was slow: many keys expiring at once, or large values "
                         "being freed.\n");
        if (evict)
            buf_puts(&r, "- Eviction was slow: memory is at maxmemory and large values are being evicted; "
                         "raise maxmemory or reduce the write load.\n");
        if (!slow_cmds && !fast_cmds && !expire && !evict)
            buf_puts(&r, "- No specific advice for these events.\n");
    }
    reply_verbatim(c, r.p, r.len, "txt");
    buf_free(&r);
}

/* Finds "name" or "parent|sub" (case-insensitive). */
static command_t *lookup_fullname(const char *name, size_t len) {
    const char *bar = memchr(name, '|', len);
    if (!bar) return command_lookup(name, len);
    command_t *parent = command_lookup(name, (size_t)(bar - name));
    if (!parent || !parent->subcommands) return NULL;
    return (command_t *)ht_find(&parent->subtable, bar + 1, len - (size_t)(bar - name) - 1);
}

static void histogram_one(client_t *c, const command_t *cmd, long long *n) {
    if (!cmd->latency) return;
    reply_bulk_cstr(c, stat_name(cmd));
    lh_reply_cdf(c, cmd->latency);
    (*n)++;
}

static void cmd_latency_histogram(client_t *c) {
    void *len = reply_defer_len(c);
    long long n = 0;
    if (c->argc == 2) {
        for (size_t i = 0; i < server.ncommands; i++) {
            const command_t *cmd = server.all_commands[i];
            histogram_one(c, cmd, &n);
            if (cmd->subcommands)
                for (const command_t *s = cmd->subcommands; s->name; s++) histogram_one(c, s, &n);
        }
    } else {
        for (int j = 2; j < c->argc; j++) {
            const command_t *cmd = lookup_fullname(c->argv[j], c->argvlen[j]);
            if (!cmd) continue;
            histogram_one(c, cmd, &n);
            if (cmd->subcommands)
                for (const command_t *s = cmd->subcommands; s->name; s++) histogram_one(c, s, &n);
        }
    }
    reply_set_deferred_map(c, len, n);
}

static void cmd_latency_help(client_t *c) {
    static const char *const lines[] = {
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified "
        "command names.",
        "    If no commands are specified then all histograms are replied.",
        NULL,
    };
    reply_help(c, lines);
}

/* ---- command table ---------------------------------------------------------- */

static const char *const tips_slowlog_get[] = {"request_policy:all_nodes", "nondeterministic_output", NULL};
static const char *const tips_all_nodes_sum[] = {"request_policy:all_nodes", "response_policy:agg_sum",
                                                 "nondeterministic_output", NULL};
static const char *const tips_all_nodes_ok[] = {"request_policy:all_nodes", "response_policy:all_succeeded",
                                                NULL};
static const char *const tips_all_nodes_special[] = {"nondeterministic_output", "request_policy:all_nodes",
                                                     "response_policy:special", NULL};

#define ADMIN_FLAGS (CMD_ADMIN | CMD_LOADING | CMD_STALE)
#define ADMIN_ACL (ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS)

static command_t slowlog_subcommands[] = {
    {.name = "get", .proc = cmd_slowlog_get, .arity = -2, .flags = ADMIN_FLAGS, .acl = ADMIN_ACL,
     .since = "2.2.12", .summary = "Returns the slow log's entries.",
     .complexity = "O(N) where N is the number of entries returned", .tips = tips_slowlog_get},
    {.name = "len", .proc = cmd_slowlog_len, .arity = 2, .flags = ADMIN_FLAGS, .acl = ADMIN_ACL,
     .since = "2.2.12", .summary = "Returns the number of entries in the slow log.", .complexity = "O(1)",
     .tips = tips_all_nodes_sum},
    {.name = "reset", .proc = cmd_slowlog_reset, .arity = 2, .flags = ADMIN_FLAGS, .acl = ADMIN_ACL,
     .since = "2.2.12", .summary = "Clears all entries from the slow log.",
     .complexity = "O(N) where N is the number of entries in the slowlog", .tips = tips_all_nodes_ok},
    {.name = "help", .proc = cmd_slowlog_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl = ACL_SLOW,
     .since = "6.2.0", .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = NULL},
};

#define LAT_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command_t latency_subcommands[] = {
    {.name = "doctor", .proc = cmd_latency_doctor, .arity = 2, .flags = LAT_FLAGS, .acl = ADMIN_ACL,
     .since = "2.8.13", .summary = "Returns a human-readable latency analysis report.", .complexity = "O(1)",
     .tips = tips_all_nodes_special},
    {.name = "graph", .proc = cmd_latency_graph, .arity = 3, .flags = LAT_FLAGS, .acl = ADMIN_ACL,
     .since = "2.8.13", .summary = "Returns a latency graph for an event.", .complexity = "O(1)",
     .tips = tips_all_nodes_special},
    {.name = "help", .proc = cmd_latency_help, .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl = ACL_SLOW,
     .since = "2.8.13", .summary = "Returns helpful text about the different subcommands.",
     .complexity = "O(1)"},
    {.name = "histogram", .proc = cmd_latency_histogram, .arity = -2, .flags = LAT_FLAGS, .acl = ADMIN_ACL,
     .since = "7.0.0", .summary = "Returns the cumulative distribution of latencies of a subset or all commands.",
     .complexity = "O(N) where N is the number of commands with latency information being retrieved.",
     .tips = tips_all_nodes_special},
    {.name = "history", .proc = cmd_latency_history, .arity = 3, .flags = LAT_FLAGS, .acl = ADMIN_ACL,
     .since = "2.8.13", .summary = "Returns timestamp-latency samples for an event.", .complexity = "O(1)",
     .tips = tips_all_nodes_special},
    {.name = "latest", .proc = cmd_latency_latest, .arity = 2, .flags = LAT_FLAGS, .acl = ADMIN_ACL,
     .since = "2.8.13", .summary = "Returns the latest latency samples for all events.", .complexity = "O(1)",
     .tips = tips_all_nodes_special},
    {.name = "reset", .proc = cmd_latency_reset, .arity = -2, .flags = LAT_FLAGS, .acl = ADMIN_ACL,
     .since = "2.8.13", .summary = "Resets the latency data for one or more events.", .complexity = "O(1)",
     .tips = tips_all_nodes_sum},
    {.name = NULL},
};

static command_t stats_commands[] = {
    {.name = "slowlog", .arity = -2, .acl = ACL_SLOW, .group = "server", .since = "2.2.12",
     .summary = "A container for slow log commands.", .complexity = "Depends on subcommand.",
     .subcommands = slowlog_subcommands},
    {.name = "latency", .arity = -2, .acl = ACL_SLOW, .group = "server", .since = "2.8.13",
     .summary = "A container for latency diagnostics commands.", .complexity = "Depends on subcommand.",
     .subcommands = latency_subcommands},
    {.name = NULL},
};

void stats_register_commands(void) { command_register(stats_commands); }
