/* The INFO command and the built-in INFO sections, in Redis 7.0's order and
 * with its field names (src/server.c genRedisInfoString).
 *
 * Design notes:
 *  1. Output shape (byte-exact, clients parse it): every section is
 *     "# Title\r\n" then "field:value\r\n" lines; sections are separated by
 *     one "\r\n"; nothing follows the last line.  The reply is a bulk string
 *     (a "txt" verbatim string in RESP3).
 *  2. Selection, as Redis: no argument or "default" = the default sections;
 *     "all" = every section; "everything" = every section (plus module
 *     sections, which Keel does not have); otherwise the named sections,
 *     case-insensitive.  Sections always print in the fixed order below,
 *     whatever the argument order; unknown names print nothing.  Order:
 *     server clients memory persistence stats replication cpu modules
 *     commandstats errorstats latencystats cluster keyspace, then sections
 *     registered by modules under other names, in registration order.
 *     commandstats and latencystats are not default sections (errorstats is,
 *     as in Redis 7.0).
 *  3. A section name may be registered more than once; the last registration
 *     wins (see info.h), so modules replace built-ins without coordination.
 *  4. Persistence and most replication fields are the honest idle values:
 *     there is no RDB/AOF yet and the replication module supplies its own
 *     section when it exists.
 *  5. In sentinel mode only server, clients, cpu, stats and sentinel exist
 *     (Redis's sentinelInfoCommand).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef KEEL_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "info.h"
#include "pubsub.h"
#include "server.h"
#include "stats.h"

#define KEEL_REDIS_COMPAT_VERSION "7.0.15"

#ifdef KEEL_JEMALLOC
#define KEEL_STR2(x) #x
#define KEEL_STR(x) KEEL_STR2(x)
#define MEM_ALLOCATOR                                                                              \
    "jemalloc-" KEEL_STR(JEMALLOC_VERSION_MAJOR) "." KEEL_STR(JEMALLOC_VERSION_MINOR) "." KEEL_STR( \
        JEMALLOC_VERSION_BUGFIX)
#else
#define MEM_ALLOCATOR "libc"
#endif

#if defined(__linux__)
#define MULTIPLEXING_API "epoll"
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#define MULTIPLEXING_API "kqueue"
#else
#define MULTIPLEXING_API "poll"
#endif

/* used_memory when start-up finished, before any client could connect or
 * write (Redis's used_memory_startup); main() records it. */
static size_t used_memory_startup;

void info_note_startup_memory(void) { used_memory_startup = alloc_used_memory(); }

/* ---- helpers -------------------------------------------------------------- */

/* Redis's bytesToHuman(): 1023 -> "1023B", 1536 -> "1.50K", ... */
static void bytes_human(char *s, size_t cap, unsigned long long n) {
    static const char units[] = "KMGTP";
    double d = (double)n;
    for (int i = 0; n >= 1024 && i < 5; i++) {
        d /= 1024;
        if (d < 1024) {
            snprintf(s, cap, "%.2f%c", d, units[i]);
            return;
        }
    }
    snprintf(s, cap, "%lluB", n); /* under 1 KiB, or beyond petabytes */
}

static long long inst_average(const long long *samples) {
    long long sum = 0;
    for (int i = 0; i < 16; i++) sum += samples[i];
    return sum / 16;
}

/* A stable 64-bit id of this build (Redis prints a hash of its build too). */
static unsigned long long build_id(void) {
    const char *s = KEEL_VERSION " " __VERSION__;
    unsigned long long h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static const char *supervised_name(void) {
    switch (server.cfg.supervised) {
    case SUPERVISED_SYSTEMD: return getenv("NOTIFY_SOCKET") ? "systemd" : "no";
    case SUPERVISED_UPSTART: return getenv("UPSTART_JOB") ? "upstart" : "no";
    case SUPERVISED_AUTO:
        if (getenv("UPSTART_JOB")) return "upstart";
        if (getenv("NOTIFY_SOCKET")) return "systemd";
        return "no";
    default: return "no";
    }
}

/* ---- built-in sections ------------------------------------------------------ */

static void info_server(buf_t *out) {
    static struct utsname name;
    static bool have_name;
    if (!have_name) {
        uname(&name); /* slow-ish and constant: once */
        have_name = true;
    }
    const char *mode = server.cfg.cluster_enabled ? "cluster" : server.cfg.sentinel_mode ? "sentinel" : "standalone";
    long long uptime = server_uptime_ms() / 1000;
    long long now_us = server.now_us ? server.now_us : clock_unix_us();
    buf_printf(out,
               "redis_version:%s\r\n"
               "keel_version:%s\r\n"
               "redis_git_sha1:00000000\r\n"
               "redis_git_dirty:0\r\n"
               "redis_build_id:%llx\r\n"
               "redis_mode:%s\r\n"
               "os:%s %s %s\r\n"
               "arch_bits:%d\r\n"
               "monotonic_clock:POSIX clock_gettime\r\n"
               "multiplexing_api:%s\r\n"
               "atomicvar_api:c11-builtin\r\n",
               KEEL_REDIS_COMPAT_VERSION, KEEL_VERSION, build_id(), mode, name.sysname, name.release,
               name.machine, (int)(sizeof(long) * 8), MULTIPLEXING_API);
#ifdef __GNUC__
    buf_printf(out, "gcc_version:%d.%d.%d\r\n", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
    buf_puts(out, "gcc_version:0.0.0\r\n");
#endif
    buf_printf(out,
               "process_id:%lld\r\n"
               "process_supervised:%s\r\n"
               "run_id:%s\r\n"
               "tcp_port:%d\r\n"
               "server_time_usec:%lld\r\n"
               "uptime_in_seconds:%lld\r\n"
               "uptime_in_days:%lld\r\n"
               "hz:%d\r\n"
               "configured_hz:%d\r\n"
               "lru_clock:%u\r\n"
               "executable:%s\r\n"
               "config_file:%s\r\n"
               "io_threads_active:0\r\n",
               (long long)getpid(), supervised_name(), server.runid, server.cfg.port, now_us, uptime,
               uptime / 86400, server.cfg.hz, server.cfg.hz, (unsigned)server.lru_clock, server.executable,
               server.cfg.config_file ? server.cfg.config_file : "");
}

static void info_clients(buf_t *out) {
    size_t maxin = 0, maxout = 0;
    for (const client_t *c = server.clients; c; c = c->next) {
        if (c->qcap > maxin) maxin = c->qcap;
        size_t o = c->bufpos + c->reply_bytes;
        if (o > maxout) maxout = o;
    }
    unsigned int normal = server.nclients >= server.nreplicas ? server.nclients - server.nreplicas : 0;
    buf_printf(out,
               "connected_clients:%u\r\n"
               "cluster_connections:0\r\n"
               "maxclients:%u\r\n"
               "client_recent_max_input_buffer:%zu\r\n"
               "client_recent_max_output_buffer:%zu\r\n"
               "blocked_clients:%zu\r\n"
               "tracking_clients:0\r\n"
               "clients_in_timeout_table:0\r\n",
               normal, server.cfg.maxclients, maxin, maxout, server.npaused);
}

static size_t total_system_memory(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : 0;
}

/* Memory held by normal clients: the struct (with its inline reply buffer),
 * the query buffer, the argument vectors and queued reply blocks. */
static size_t clients_memory(void) {
    size_t sum = 0;
    for (const client_t *c = server.clients; c; c = c->next) {
        if (c->flags & CLIENT_REPLICA) continue;
        sum += xusable(c) + c->qcap + c->argv_cap * (sizeof(char *) + sizeof(size_t)) + c->reply_bytes;
    }
    return sum;
}

static void info_memory(buf_t *out) {
    size_t used = alloc_used_memory();
    if ((int64_t)used > server.stat_peak_memory) server.stat_peak_memory = (int64_t)used;
    size_t peak = (size_t)server.stat_peak_memory;
    size_t rss = alloc_rss();
    alloc_stats_t as;
    alloc_get_stats(&as);
    /* Without allocator statistics, fake them as Redis does so the ratios
     * still mean something. */
    if (!as.resident) as.resident = rss;
    if (!as.active) as.active = as.resident;
    if (!as.allocated) as.allocated = used;
    size_t sysmem = total_system_memory();
    size_t clients = clients_memory();
    size_t overhead = used_memory_startup + clients;
    if (overhead > used) overhead = used;
    size_t dataset = used - overhead;
    size_t net = used > used_memory_startup ? used - used_memory_startup : 1;
    char hused[64], hpeak[64], hrss[64], hsys[64], hmax[64];
    bytes_human(hused, sizeof(hused), used);
    bytes_human(hpeak, sizeof(hpeak), peak);
    bytes_human(hrss, sizeof(hrss), rss);
    bytes_human(hsys, sizeof(hsys), sysmem);
    bytes_human(hmax, sizeof(hmax), server.cfg.maxmemory);
    buf_printf(out,
               "used_memory:%zu\r\n"
               "used_memory_human:%s\r\n"
               "used_memory_rss:%zu\r\n"
               "used_memory_rss_human:%s\r\n"
               "used_memory_peak:%zu\r\n"
               "used_memory_peak_human:%s\r\n"
               "used_memory_peak_perc:%.2f%%\r\n"
               "used_memory_overhead:%zu\r\n"
               "used_memory_startup:%zu\r\n"
               "used_memory_dataset:%zu\r\n"
               "used_memory_dataset_perc:%.2f%%\r\n"
               "allocator_allocated:%zu\r\n"
               "allocator_active:%zu\r\n"
               "allocator_resident:%zu\r\n"
               "total_system_memory:%zu\r\n"
               "total_system_memory_human:%s\r\n",
               used, hused, rss, hrss, peak, hpeak, peak ? (double)used * 100 / (double)peak : 0.0, overhead,
               used_memory_startup, dataset, (double)dataset * 100 / (double)net, as.allocated, as.active,
               as.resident, sysmem, hsys);
    /* No scripting engine: the Lua/function fields are zero. */
    buf_puts(out,
             "used_memory_lua:0\r\n"
             "used_memory_vm_eval:0\r\n"
             "used_memory_lua_human:0B\r\n"
             "used_memory_scripts_eval:0\r\n"
             "number_of_cached_scripts:0\r\n"
             "number_of_functions:0\r\n"
             "number_of_libraries:0\r\n"
             "used_memory_vm_functions:0\r\n"
             "used_memory_vm_total:0\r\n"
             "used_memory_vm_total_human:0B\r\n"
             "used_memory_functions:0\r\n"
             "used_memory_scripts:0\r\n"
             "used_memory_scripts_human:0B\r\n");
    double frag = as.allocated ? (double)as.active / (double)as.allocated : 0;
    double rss_ratio = as.active ? (double)as.resident / (double)as.active : 0;
    double rss_extra = as.resident ? (double)rss / (double)as.resident : 0;
    double total_frag = used ? (double)rss / (double)used : 0;
    buf_printf(out,
               "maxmemory:%llu\r\n"
               "maxmemory_human:%s\r\n"
               "maxmemory_policy:%s\r\n"
               "allocator_frag_ratio:%.2f\r\n"
               "allocator_frag_bytes:%lld\r\n"
               "allocator_rss_ratio:%.2f\r\n"
               "allocator_rss_bytes:%lld\r\n"
               "rss_overhead_ratio:%.2f\r\n"
               "rss_overhead_bytes:%lld\r\n"
               "mem_fragmentation_ratio:%.2f\r\n"
               "mem_fragmentation_bytes:%lld\r\n"
               "mem_not_counted_for_evict:0\r\n"
               "mem_replication_backlog:0\r\n"
               "mem_total_replication_buffers:0\r\n"
               "mem_clients_slaves:0\r\n"
               "mem_clients_normal:%zu\r\n"
               "mem_cluster_links:0\r\n"
               "mem_aof_buffer:0\r\n"
               "mem_allocator:%s\r\n"
               "active_defrag_running:0\r\n"
               "lazyfree_pending_objects:0\r\n"
               "lazyfreed_objects:0\r\n",
               server.cfg.maxmemory, hmax, config_maxmemory_policy_name(server.cfg.maxmemory_policy), frag,
               (long long)as.active - (long long)as.allocated, rss_ratio,
               (long long)as.resident - (long long)as.active, rss_extra,
               (long long)rss - (long long)as.resident, total_frag, (long long)rss - (long long)used,
               clients, MEM_ALLOCATOR);
}

static void info_persistence(buf_t *out) {
    buf_printf(out,
               "loading:0\r\n"
               "async_loading:0\r\n"
               "current_cow_peak:0\r\n"
               "current_cow_size:0\r\n"
               "current_cow_size_age:0\r\n"
               "current_fork_perc:0.00\r\n"
               "current_save_keys_processed:0\r\n"
               "current_save_keys_total:0\r\n"
               "rdb_changes_since_last_save:%lld\r\n"
               "rdb_bgsave_in_progress:0\r\n"
               "rdb_last_save_time:%lld\r\n"
               "rdb_last_bgsave_status:ok\r\n"
               "rdb_last_bgsave_time_sec:-1\r\n"
               "rdb_current_bgsave_time_sec:-1\r\n"
               "rdb_saves:0\r\n"
               "rdb_last_cow_size:0\r\n"
               "rdb_last_load_keys_expired:0\r\n"
               "rdb_last_load_keys_loaded:0\r\n"
               "aof_enabled:0\r\n"
               "aof_rewrite_in_progress:0\r\n"
               "aof_rewrite_scheduled:0\r\n"
               "aof_last_rewrite_time_sec:-1\r\n"
               "aof_current_rewrite_time_sec:-1\r\n"
               "aof_last_bgrewrite_status:ok\r\n"
               "aof_rewrites:0\r\n"
               "aof_rewrites_consecutive_failures:0\r\n"
               "aof_last_write_status:ok\r\n"
               "aof_last_cow_size:0\r\n"
               "module_fork_in_progress:0\r\n"
               "module_fork_last_cow_size:0\r\n",
               server.dirty, (long long)server.lastsave);
}

static void info_stats(buf_t *out) {
    buf_printf(out,
               "total_connections_received:%lld\r\n"
               "total_commands_processed:%lld\r\n"
               "instantaneous_ops_per_sec:%lld\r\n"
               "total_net_input_bytes:%lld\r\n"
               "total_net_output_bytes:%lld\r\n"
               "total_net_repl_input_bytes:0\r\n"
               "total_net_repl_output_bytes:0\r\n"
               "instantaneous_input_kbps:%.2f\r\n"
               "instantaneous_output_kbps:%.2f\r\n"
               "instantaneous_input_repl_kbps:0.00\r\n"
               "instantaneous_output_repl_kbps:0.00\r\n"
               "rejected_connections:%lld\r\n"
               "sync_full:%lld\r\n"
               "sync_partial_ok:%lld\r\n"
               "sync_partial_err:%lld\r\n"
               "expired_keys:%lld\r\n"
               "expired_stale_perc:%.2f\r\n"
               "expired_time_cap_reached_count:%lld\r\n"
               "expire_cycle_cpu_milliseconds:0\r\n"
               "evicted_keys:%lld\r\n"
               "evicted_clients:%lld\r\n"
               "total_eviction_exceeded_time:%lld\r\n"
               "current_eviction_exceeded_time:0\r\n"
               "keyspace_hits:%lld\r\n"
               "keyspace_misses:%lld\r\n"
               "pubsub_channels:%zu\r\n"
               "pubsub_patterns:%zu\r\n"
               "pubsubshard_channels:0\r\n"
               "latest_fork_usec:%lld\r\n"
               "total_forks:%lld\r\n"
               "migrate_cached_sockets:0\r\n"
               "slave_expires_tracked_keys:0\r\n"
               "active_defrag_hits:0\r\n"
               "active_defrag_misses:0\r\n"
               "active_defrag_key_hits:0\r\n"
               "active_defrag_key_misses:0\r\n"
               "total_active_defrag_time:0\r\n"
               "current_active_defrag_time:0\r\n"
               "tracking_total_keys:0\r\n"
               "tracking_total_items:0\r\n"
               "tracking_total_prefixes:0\r\n"
               "unexpected_error_replies:%lld\r\n"
               "total_error_replies:%lld\r\n"
               "dump_payload_sanitizations:0\r\n"
               "total_reads_processed:%lld\r\n"
               "total_writes_processed:%lld\r\n"
               "io_threaded_reads_processed:0\r\n"
               "io_threaded_writes_processed:0\r\n"
               "reply_buffer_shrinks:0\r\n"
               "reply_buffer_expands:0\r\n",
               server.stat_numconnections, server.stat_numcommands, inst_average(server.inst_ops_samples),
               server.stat_net_input_bytes, server.stat_net_output_bytes,
               (double)inst_average(server.inst_in_samples) / 1024,
               (double)inst_average(server.inst_out_samples) / 1024, server.stat_rejected_conn,
               server.stat_sync_full, server.stat_sync_partial_ok, server.stat_sync_partial_err,
               server.stat_expiredkeys, (double)server.stat_expired_stale_perc_x100 / 100.0,
               server.stat_expired_time_cap_reached_count, server.stat_evictedkeys, server.stat_evictedclients,
               server.stat_total_eviction_exceeded_time_ms, server.stat_keyspace_hits,
               server.stat_keyspace_misses, pubsub_total_channels(), pubsub_total_patterns(),
               server.stat_fork_latest_usec, server.stat_total_forks, server.stat_unexpected_error_replies, server.stat_total_error_replies, server.stat_io_reads,
               server.stat_io_writes);
}

/* Until replication exists this node is a master with no replicas. */
static void info_replication(buf_t *out) {
    buf_puts(out, "role:master\r\nconnected_slaves:0\r\n");
    if (server.cfg.min_replicas_to_write && server.cfg.min_replicas_max_lag)
        buf_puts(out, "min_slaves_good_slaves:0\r\n");
    buf_printf(out,
               "master_failover_state:no-failover\r\n"
               "master_replid:%s\r\n"
               "master_replid2:%s\r\n"
               "master_repl_offset:%lld\r\n"
               "second_repl_offset:%lld\r\n"
               "repl_backlog_active:0\r\n"
               "repl_backlog_size:%lld\r\n"
               "repl_backlog_first_byte_offset:0\r\n"
               "repl_backlog_histlen:0\r\n",
               server.replid, server.replid2, server.master_repl_offset, server.second_replid_offset,
               server.cfg.repl_backlog_size);
}

static void info_cpu(buf_t *out) {
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    buf_printf(out,
               "used_cpu_sys:%ld.%06ld\r\n"
               "used_cpu_user:%ld.%06ld\r\n"
               "used_cpu_sys_children:%ld.%06ld\r\n"
               "used_cpu_user_children:%ld.%06ld\r\n",
               (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec, (long)self.ru_utime.tv_sec,
               (long)self.ru_utime.tv_usec, (long)children.ru_stime.tv_sec, (long)children.ru_stime.tv_usec,
               (long)children.ru_utime.tv_sec, (long)children.ru_utime.tv_usec);
#ifdef RUSAGE_THREAD
    struct rusage main_thread;
    getrusage(RUSAGE_THREAD, &main_thread);
    buf_printf(out,
               "used_cpu_sys_main_thread:%ld.%06ld\r\n"
               "used_cpu_user_main_thread:%ld.%06ld\r\n",
               (long)main_thread.ru_stime.tv_sec, (long)main_thread.ru_stime.tv_usec,
               (long)main_thread.ru_utime.tv_sec, (long)main_thread.ru_utime.tv_usec);
#endif
}

static void info_modules(buf_t *out) { (void)out; /* no modules */ }

static void info_cluster(buf_t *out) {
    buf_printf(out, "cluster_enabled:%d\r\n", server.cfg.cluster_enabled ? 1 : 0);
}

/* Until node/data registers its own: an empty keyspace. */
static void info_keyspace_empty(buf_t *out) { (void)out; }

/* ---- registry and selection ------------------------------------------------ */

static const struct {
    const char *name, *title;
    void (*fn)(buf_t *out);
    bool in_default;
} builtin[] = {
    {"server", "Server", info_server, true},
    {"clients", "Clients", info_clients, true},
    {"memory", "Memory", info_memory, true},
    {"persistence", "Persistence", info_persistence, true},
    {"stats", "Stats", info_stats, true},
    {"replication", "Replication", info_replication, true},
    {"cpu", "CPU", info_cpu, true},
    {"modules", "Modules", info_modules, true},
    {"commandstats", "Commandstats", stats_info_commandstats, false},
    {"errorstats", "Errorstats", stats_info_errorstats, true},
    {"latencystats", "Latencystats", stats_info_latencystats, false},
    {"cluster", "Cluster", info_cluster, true},
    {"keyspace", "Keyspace", info_keyspace_empty, true},
};
#define NBUILTIN ((int)(sizeof(builtin) / sizeof(builtin[0])))

static const char *const sentinel_sections[] = {"server", "clients", "cpu", "stats", "sentinel", NULL};

/* The entry that answers for `name`: the last one registered (note 3). */
static info_section_t *section_find(const char *name) {
    for (int i = server.ninfo_sections - 1; i >= 0; i--)
        if (strcasecmp(server.info_sections[i].name, name) == 0) return &server.info_sections[i];
    return NULL;
}

void info_replace_section(const char *name, void (*fn)(buf_t *out)) {
    info_section_t *s = section_find(name);
    if (s)
        s->fn = fn;
    else
        server_info_register(name, fn, true);
}

static bool in_list(const char *const *list, const char *name) {
    for (int i = 0; list[i]; i++)
        if (strcasecmp(list[i], name) == 0) return true;
    return false;
}

typedef struct selection {
    bool all, use_default;
    int nnamed;
    const char *const *named;
} selection_t;

static bool selected(const selection_t *sel, const info_section_t *s) {
    if (server.cfg.sentinel_mode) {
        if (!in_list(sentinel_sections, s->name)) return false;
        if (sel->all || sel->use_default) return true;
    } else {
        if (sel->all || (sel->use_default && s->in_default)) return true;
    }
    for (int i = 0; i < sel->nnamed; i++) {
        if (strcasecmp(sel->named[i], s->name) == 0) return true;
        if (!strcasecmp(s->name, "modules") && !strcasecmp(sel->named[i], "module_list")) return true;
    }
    return false;
}

static void emit(buf_t *out, int *count, const char *title, const info_section_t *s) {
    if ((*count)++) buf_puts(out, "\r\n");
    buf_printf(out, "# %s\r\n", title);
    s->fn(out);
}

void info_generate(int argc, const char *const *argv, buf_t *out) {
    selection_t sel = {.use_default = argc == 0};
    const char **named = xcalloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; i < argc; i++) {
        if (!strcasecmp(argv[i], "default")) sel.use_default = true;
        else if (!strcasecmp(argv[i], "all") || !strcasecmp(argv[i], "everything")) sel.all = true;
        else named[sel.nnamed++] = argv[i];
    }
    sel.named = named;
    int count = 0;
    for (int i = 0; i < NBUILTIN; i++) {
        const info_section_t *s = section_find(builtin[i].name);
        if (s && selected(&sel, s)) emit(out, &count, builtin[i].title, s);
    }
    /* Module sections, in registration order, each name once. */
    for (int i = 0; i < server.ninfo_sections; i++) {
        const info_section_t *s = &server.info_sections[i];
        bool known = false;
        for (int j = 0; j < NBUILTIN && !known; j++) known = !strcasecmp(builtin[j].name, s->name);
        if (known || section_find(s->name) != s || !selected(&sel, s)) continue;
        char title[64];
        snprintf(title, sizeof(title), "%s", s->name);
        title[0] = (char)toupper((unsigned char)title[0]);
        emit(out, &count, title, s);
    }
    xfree(named);
}

/* ---- the command ------------------------------------------------------------ */

static void cmd_info(client_t *c) {
    buf_t out = BUF_INIT;
    info_generate(c->argc - 1, (const char *const *)c->argv + 1, &out);
    reply_verbatim(c, out.p ? out.p : "", out.len, "txt");
    buf_free(&out);
}

static const char *const info_tips[] = {"nondeterministic_output", "request_policy:all_shards",
                                        "response_policy:special", NULL};

static command_t info_commands[] = {
    {.name = "info", .proc = cmd_info, .arity = -1, .flags = CMD_LOADING | CMD_STALE | CMD_SENTINEL,
     .acl = ACL_SLOW | ACL_DANGEROUS, .group = "server", .since = "1.0.0",
     .summary = "Returns information and statistics about the server.", .complexity = "O(1)",
     .tips = info_tips},
    {.name = NULL},
};

void info_init(void) {
    used_memory_startup = alloc_used_memory(); /* refined on the first loop turn */
    for (int i = 0; i < NBUILTIN; i++)
        if (!section_find(builtin[i].name))
            server_info_register(builtin[i].name, builtin[i].fn, builtin[i].in_default);
    command_register(info_commands);
}
