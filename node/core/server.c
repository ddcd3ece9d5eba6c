/* Server lifecycle: listeners, the loop hooks, the cron, signals, shutdown.
 *
 * Loop turn (DESIGN.md §1):
 *   poll -> read callbacks (clock update, parse + execute)
 *   -> uv_prepare (before the next poll): free closing clients, flush pending
 *      replies, run registered before-poll hooks (replication feed, AOF).
 * The cron is a uv_timer at `hz` running the registered cron hooks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "alloc.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "server.h"
#include "stats.h"

server_t server;

void client_on_connection(uv_stream_t *listener, int status);
void clients_flush_pending(void);
void clients_free_pending_closes(void);

static void (*cron_hooks[16])(void);
static int ncron_hooks;
static void (*before_poll_hooks[16])(void);
static int nbefore_poll_hooks;
static int (*shutdown_hooks[16])(int flags);
static int nshutdown_hooks;

void server_on_cron(void (*fn)(void)) { cron_hooks[ncron_hooks++] = fn; }
void server_on_before_poll(void (*fn)(void)) { before_poll_hooks[nbefore_poll_hooks++] = fn; }
void server_on_shutdown(int (*fn)(int flags)) { shutdown_hooks[nshutdown_hooks++] = fn; }

/* ---- clock and randomness ----------------------------------------------- */

void server_update_clock(void) {
    server.now_us = clock_unix_us();
    server.now_ms = server.now_us / 1000;
    server.lru_clock = (uint32_t)((server.now_ms / LRU_CLOCK_RES_MS) & LRU_CLOCK_MAX);
}

int64_t server_uptime_ms(void) { return (clock_mono_us() - server.mono_start_us) / 1000; }

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t server_rand(void) {
    /* xoroshiro128+: fast, good enough for sampling; seeded from libsodium. */
    uint64_t s0 = server.rng_state[0], s1 = server.rng_state[1];
    uint64_t r = s0 + s1;
    s1 ^= s0;
    server.rng_state[0] = rotl(s0, 24) ^ s1 ^ (s1 << 16);
    server.rng_state[1] = rotl(s1, 37);
    return r;
}

/* ---- errors and INFO registry ------------------------------------------- */

void server_log_error_reply(const char *err, size_t len) {
    server.stat_total_error_replies++;
    stats_count_error(err, len);
}

void server_info_register(const char *name, void (*fn)(buf_t *out), bool in_default) {
    info_section_t *s = &server.info_sections[server.ninfo_sections++];
    s->name = name;
    s->fn = fn;
    s->in_default = in_default;
}

/* ---- loop hooks --------------------------------------------------------- */

static void on_prepare(uv_prepare_t *h) {
    server_update_clock();
    clients_free_pending_closes();
    for (int i = 0; i < nbefore_poll_hooks; i++) before_poll_hooks[i]();
    clients_flush_pending();
    clients_free_pending_closes();
    if (server.shutdown_asap) server_shutdown_now(server.shutdown_flags); /* returns only if refused */
}

static void sample_instantaneous(void) {
    int64_t now = server.now_ms;
    int64_t dt = now - server.inst_last_ms;
    if (dt <= 0) return;
    int i = server.inst_idx;
    server.inst_ops_samples[i] = (server.stat_numcommands - server.inst_last_ops) * 1000 / dt;
    server.inst_in_samples[i] = (server.stat_net_input_bytes - server.inst_last_in) * 1000 / dt;
    server.inst_out_samples[i] = (server.stat_net_output_bytes - server.inst_last_out) * 1000 / dt;
    server.inst_idx = (i + 1) % 16;
    server.inst_last_ops = server.stat_numcommands;
    server.inst_last_in = server.stat_net_input_bytes;
    server.inst_last_out = server.stat_net_output_bytes;
    server.inst_last_ms = now;
}

static void on_cron(uv_timer_t *t) {
    server_update_clock();
    server.cron_loops++;
    size_t used = alloc_used_memory();
    if ((int64_t)used > server.stat_peak_memory) server.stat_peak_memory = (int64_t)used;
    if (server.cron_loops % (server.cfg.hz >= 10 ? server.cfg.hz / 10 : 1) == 0) sample_instantaneous();
    if (server.pause_type && server.pause_end_ms && server.now_ms >= server.pause_end_ms) client_unpause();
    clients_cron();
    for (int i = 0; i < ncron_hooks; i++) cron_hooks[i]();
}

void server_cron_reschedule(void) {
    int hz = server.cfg.hz < 1 ? 1 : server.cfg.hz > 500 ? 500 : server.cfg.hz;
    uv_timer_start(&server.cron, on_cron, 1000 / hz, 1000 / hz);
}

static void on_signal(uv_signal_t *h, int signum) {
    if (server.shutdown_asap && signum == SIGINT) {
        log_warning("You insist... exiting now.");
        exit(1);
    }
    log_warning("Received %s scheduling shutdown...", signum == SIGINT ? "SIGINT" : "SIGTERM");
    server.shutdown_asap = true;
    server.shutdown_flags = SHUTDOWN_NOFLAGS;
}

/* ---- listeners ---------------------------------------------------------- */

static int listen_tcp(const char *addr, int port) {
    listener_t *l = &server.listeners[server.nlisteners];
    bool optional = addr[0] == '-';
    if (optional) addr++;
    struct sockaddr_storage ss;
    const char *host = addr;
    if (strcmp(addr, "*") == 0) host = "0.0.0.0";
    else if (strcmp(addr, "::*") == 0) host = "::";
    int rc;
    if (strchr(host, ':'))
        rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
    else
        rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (rc < 0) {
        log_warning("Invalid bind address '%s'", addr);
        return optional ? 0 : rc;
    }
    uv_tcp_init(server.loop, &l->io.tcp);
    l->io.handle.data = l;
    l->unix_socket = false;
    snprintf(l->addr, sizeof(l->addr), "%s:%d", addr, port);
    unsigned flags = strchr(host, ':') ? UV_TCP_IPV6ONLY : 0;
    rc = uv_tcp_bind(&l->io.tcp, (struct sockaddr *)&ss, flags);
    if (rc == 0) rc = uv_listen(&l->io.stream, server.cfg.tcp_backlog, client_on_connection);
    if (rc < 0) {
        uv_close(&l->io.handle, NULL);
        if (optional || (rc == UV_EADDRNOTAVAIL && strchr(host, ':'))) {
            log_notice("Skipping optional bind address %s: %s", addr, uv_strerror(rc));
            return 0;
        }
        log_warning("Warning: Could not create server TCP listening socket %s:%d: %s", addr, port,
                    uv_strerror(rc));
        return rc;
    }
    server.nlisteners++;
    return 0;
}

static int listen_unix(const char *path) {
    listener_t *l = &server.listeners[server.nlisteners];
    unlink(path);
    uv_pipe_init(server.loop, &l->io.pipe, 0);
    l->io.handle.data = l;
    l->unix_socket = true;
    snprintf(l->addr, sizeof(l->addr), "%s", path);
    int rc = uv_pipe_bind(&l->io.pipe, path);
    if (rc == 0 && server.cfg.unixsocketperm) chmod(path, server.cfg.unixsocketperm);
    if (rc == 0) rc = uv_listen(&l->io.stream, server.cfg.tcp_backlog, client_on_connection);
    if (rc < 0) {
        uv_close(&l->io.handle, NULL);
        log_warning("Failed opening Unix socket: %s", uv_strerror(rc));
        return rc;
    }
    server.nlisteners++;
    return 0;
}

int server_listen(void) {
    if (server.cfg.port) {
        for (int i = 0; i < server.cfg.bind_count; i++) {
            /* A bind entry may hold several space-separated addresses. */
            char tmp[512];
            snprintf(tmp, sizeof(tmp), "%s", server.cfg.bind[i]);
            for (char *save = NULL, *a = strtok_r(tmp, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
                int rc = listen_tcp(a, server.cfg.port);
                if (rc < 0) return rc;
            }
        }
        if (server.nlisteners == 0) {
            log_warning("Failed listening on port %d (tcp), aborting.", server.cfg.port);
            return UV_EADDRNOTAVAIL;
        }
    }
    if (server.cfg.unixsocket && *server.cfg.unixsocket) {
        int rc = listen_unix(server.cfg.unixsocket);
        if (rc < 0) return rc;
    }
    if (server.nlisteners == 0) {
        log_warning("Configured to not listen anywhere, exiting.");
        return UV_EINVAL;
    }
    return 0;
}

/* ---- init / run / shutdown ---------------------------------------------- */

static void random_hex(char *out, size_t n) {
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    randombytes_buf(raw, n / 2 + 1);
    for (size_t i = 0; i < n; i++) out[i] = hex[(raw[i / 2] >> ((i & 1) * 4)) & 15];
    out[n] = '\0';
}

void server_new_replid(char *out) { random_hex(out, 40); }

/* CONFIG SET dir: the server works relative to its current directory. */
static int apply_dir(keel_config_t *c, const char *name, char **err) {
    if (chdir(c->dir) != 0) {
        buf_t b = BUF_INIT;
        buf_printf(&b, "changing directory: %s", strerror(errno));
        *err = buf_detach(&b);
        return K_EINVAL;
    }
    return 0;
}

int server_init(void) {
    server.loop = uv_default_loop();
    server.mono_start_us = clock_mono_us();
    server_update_clock();
    server.start_time_ms = server.now_ms;
    server.inst_last_ms = server.now_ms;
    server.lastsave = server.now_ms / 1000;
    randombytes_buf(server.rng_state, sizeof(server.rng_state));
    unsigned char seed[16];
    randombytes_buf(seed, sizeof(seed));
    ht_seed(seed);
    random_hex(server.runid, 40);
    random_hex(server.replid, 40);
    memset(server.replid2, '0', 40);
    server.replid2[40] = '\0';
    server.second_replid_offset = -1;
    stats_init();
    config_on_apply("dir", apply_dir);
    uv_timer_init(server.loop, &server.cron);
    uv_prepare_init(server.loop, &server.before_poll);
    uv_prepare_start(&server.before_poll, on_prepare);
    uv_signal_init(server.loop, &server.sigterm);
    uv_signal_start(&server.sigterm, on_signal, SIGTERM);
    uv_signal_init(server.loop, &server.sigint);
    uv_signal_start(&server.sigint, on_signal, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

void server_run(void) {
    server_cron_reschedule();
    uv_run(server.loop, UV_RUN_DEFAULT);
}

static void close_walk(uv_handle_t *h, void *arg) {
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

int server_shutdown_now(int flags) {
    log_warning("User requested shutdown...");
    /* Hooks (final save, AOF flush) may refuse: then the server keeps
     * running, unless FORCE says to exit anyway. */
    for (int i = 0; i < nshutdown_hooks; i++) {
        if (shutdown_hooks[i](flags) != 0 && !(flags & SHUTDOWN_FORCE)) {
            log_warning("Errors trying to shut down the server. Check the logs for more information.");
            server.shutdown_asap = false;
            return K_ESTATE;
        }
    }
    if (server.cfg.unixsocket && *server.cfg.unixsocket) unlink(server.cfg.unixsocket);
    if (server.cfg.pidfile && *server.cfg.pidfile) unlink(server.cfg.pidfile);
    /* Flush what we can to clients, then close everything. */
    clients_flush_pending();
    log_warning("%s is now ready to exit, bye bye...", server.cfg.sentinel_mode ? "Sentinel" : "Redis");
    uv_stop(server.loop);
    server.exit_code = 0;
    exit(0);
}

void server_close_all_handles(void) { uv_walk(server.loop, close_walk, NULL); }
