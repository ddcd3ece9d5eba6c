/* keel-server: start-up in Redis's order, then the loop.
 *
 *   keel-server [config-file | -] [--directive value ...]
 *
 * 1. -v/--version, -h/--help, --test-memory MB, --check-system answer and exit.
 * 2. The role: --sentinel or an exec name ending in "-sentinel".
 * 3. Config: the file (or stdin with "-"), then the --directive pairs, which
 *    override it (config_args_to_text turns them into config lines).
 * 4. daemonize (unless supervised), log file, pidfile, fd limits, listeners,
 *    banner, "Server initialized", "Ready to accept connections tcp", systemd
 *    READY=1, then the loop.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "data.h"
#include "info.h"
#include "log.h"
#include "process.h"
#include "rdb.h"
#include "repl.h"
#include "save.h"
#include "aof.h"
#include "pubsub.h"
#include "server.h"
#include "stats.h"

void conn_cmds_init(void);
void server_cmds_core_init(void);
void client_cmds_init(void);
void command_cmds_init(void);

static void usage(void) {
    fprintf(stderr,
            "Usage: ./keel-server [/path/to/redis.conf] [options] [-]\n"
            "       ./keel-server - (read config from stdin)\n"
            "       ./keel-server -v or --version\n"
            "       ./keel-server -h or --help\n"
            "       ./keel-server --test-memory <megabytes>\n"
            "       ./keel-server --check-system\n\n"
            "Examples:\n"
            "       ./keel-server (run the server with default conf)\n"
            "       echo 'maxmemory 128mb' | ./keel-server -\n"
            "       ./keel-server /etc/redis/6379.conf\n"
            "       ./keel-server --port 7777\n"
            "       ./keel-server --port 7777 --replicaof 127.0.0.1 8888\n"
            "       ./keel-server /etc/myredis.conf --loglevel verbose -\n"
            "       ./keel-server /etc/myredis.conf --loglevel verbose\n\n"
            "Sentinel mode:\n"
            "       ./keel-server /etc/sentinel.conf --sentinel\n");
    exit(1);
}

static void version(void) {
    printf("Keel server v=%s (Redis 7.0.15 compatible) malloc=%s bits=%d\n", KEEL_VERSION,
#ifdef KEEL_JEMALLOC
           "jemalloc",
#else
           "libc",
#endif
           (int)(sizeof(long) * 8));
    exit(0);
}

static char *read_stdin(void) {
    buf_t b = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) buf_append(&b, chunk, n);
    return buf_detach(&b);
}

/* Rewrites the visible argv area with the title (ps shows it). */
static char *argv_area;
static size_t argv_area_len;

static void title_init(int argc, char **argv) {
    if (argc == 0) return;
    char *end = argv[0] + strlen(argv[0]);
    for (int i = 1; i < argc; i++) {
        if (argv[i] != end + 1) break;
        end = argv[i] + strlen(argv[i]);
    }
    argv_area = argv[0];
    argv_area_len = (size_t)(end - argv[0]);
}

static void set_title(const char *title) {
    process_set_title("keel-server");
    if (!argv_area || !server.cfg.set_proc_title) return;
    size_t n = strlen(title);
    if (n > argv_area_len) n = argv_area_len;
    memcpy(argv_area, title, n);
    memset(argv_area + n, 0, argv_area_len - n + 1);
}

static void log_banner(void) {
    char line[512];
    snprintf(line, sizeof(line),
             "                                                 \n"
             "  _  __          _      Keel %s (Redis 7.0.15 compatible) %d bit\n"
             " | |/ /___  ___ | |     Running in %s mode\n"
             " | ' </ -_)/ -_)| |__   Port: %d\n"
             " |_|\\_\\___|\\___||____|  PID: %ld\n\n",
             KEEL_VERSION, (int)(sizeof(long) * 8), server.cfg.sentinel_mode ? "sentinel" : "standalone",
             server.cfg.port, (long)getpid());
    log_raw(LL_NOTICE, line);
}

static bool is_sentinel_invocation(int argc, char **argv) {
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    size_t n = strlen(base);
    if (n >= 9 && strcmp(base + n - 9, "-sentinel") == 0) return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--sentinel") == 0) return true;
    return false;
}

/* The exec name picks a tool personality (symlinks made by the build), as
 * redis-check-rdb / redis-check-aof are redis-server under another name. */
static const char *exec_name(const char *argv0) {
    const char *base = strrchr(argv0, '/');
    return base ? base + 1 : argv0;
}

int main(int argc, char **argv) {
    tzset();
    if (strstr(exec_name(argv[0]), "keel-check-rdb")) return rdb_check_main(argc, argv);
    if (strstr(exec_name(argv[0]), "keel-check-aof")) return aof_check_main(argc, argv);
    if (argc >= 2) {
        if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version")) version();
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) usage();
        if (!strcmp(argv[1], "--test-memory")) {
            if (argc != 3) {
                fprintf(stderr, "Please specify the amount of memory to test in megabytes.\n"
                                "Example: ./keel-server --test-memory 4096\n\n");
                return 1;
            }
            return process_memtest((size_t)atol(argv[2]), 2);
        }
        if (!strcmp(argv[1], "--check-system")) return process_check_system();
    }

    config_init(&server.cfg);
    server.cfg.sentinel_mode = is_sentinel_invocation(argc, argv);
    if (server.cfg.sentinel_mode) {
        fprintf(stderr, "Keel sentinel mode is not available in this build yet: the sentinel capability is "
                        "a separate issue. Run keel-server as a data node, or use redis-sentinel.\n");
        return 1;
    }

    /* First argument: a config file or "-" (stdin); the rest are options. */
    int j = 1;
    const char *configfile = NULL;
    bool from_stdin = false;
    if (argc >= 2 && argv[1][0] != '-') {
        configfile = argv[1];
        j = 2;
    } else if (argc >= 2 && strcmp(argv[1], "-") == 0) {
        from_stdin = true;
        j = 2;
    }
    /* A trailing "-" also means stdin (redis-server conf --opt x -). */
    int optc = argc - j;
    if (optc > 0 && strcmp(argv[argc - 1], "-") == 0) {
        from_stdin = true;
        optc--;
    }
    char *err = NULL;
    if (configfile && config_load_file(&server.cfg, configfile, &err) != 0) {
        fprintf(stderr, "%s", err);
        return 1;
    }
    if (from_stdin) {
        char *text = read_stdin();
        int rc = config_load_text(&server.cfg, text, "stdin", &err);
        xfree(text);
        if (rc != 0) {
            fprintf(stderr, "%s", err);
            return 1;
        }
    }
    if (optc > 0) {
        char *text = config_args_to_text(optc, argv + j);
        int rc = config_load_text(&server.cfg, text, "command line", &err);
        xfree(text);
        if (rc != 0) {
            fprintf(stderr, "%s", err);
            return 1;
        }
    }
    if (server.cfg.cluster_enabled) {
        fprintf(stderr, "cluster-enabled yes: Keel's cluster mode is not available in this build yet (it is a "
                        "separate issue). Start the node with cluster-enabled no.\n");
        return 1;
    }
    if (configfile) {
        char *abs = realpath(configfile, NULL);
        if (abs) {
            xfree(server.cfg.config_file);
            server.cfg.config_file = xstrdup(abs);
            free(abs);
        }
    }
    if (!realpath(argv[0], server.executable)) snprintf(server.executable, sizeof(server.executable), "%s", argv[0]);
    server.exec_argc = argc;
    server.exec_argv = argv;
    title_init(argc, argv);

    bool background = server.cfg.daemonize && server.cfg.supervised == SUPERVISED_NO;
    if (background) process_daemonize();
    log_set_level(server.cfg.loglevel);
    if (server.cfg.logfile && *server.cfg.logfile) {
        int rc = log_set_file(server.cfg.logfile);
        if (rc < 0) {
            fprintf(stderr, "Can't open the log file: %s\n", strerror(-rc));
            return 1;
        }
    }
    log_notice("oO0OoO0OoO0Oo Keel is starting oO0OoO0OoO0Oo");
    log_notice("Keel version=%s, bits=%d, commit=00000000, modified=0, pid=%d, just started", KEEL_VERSION,
               (int)(sizeof(long) * 8), (int)getpid());
    if (configfile || from_stdin)
        log_notice("Configuration loaded");
    else
        log_warning("Warning: no config file specified, using the default config. In order to specify a config "
                    "file use %s /path/to/redis.conf", argv[0]);
    if (server.cfg.dir && *server.cfg.dir && chdir(server.cfg.dir) != 0) {
        log_warning("Can't chdir to '%s': %s", server.cfg.dir, strerror(errno));
        return 1;
    }
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd))) {
        xfree(server.cfg.dir);
        server.cfg.dir = xstrdup(cwd);
    }
    process_install_crash_handler();
    if (process_adjust_open_files(&server.cfg.maxclients) != 0) return 1;

    server_init();
    conn_cmds_init();
    pubsub_init();
    stats_register_commands();
    info_init();
    server_cmds_core_init();
    client_cmds_init();
    command_cmds_init();
    data_init();
    repl_init();
    command_apply_renames(&server.cfg);

    if (server.cfg.port) process_check_tcp_backlog(server.cfg.tcp_backlog);
    if (server_listen() != 0) return 1;
    if (background || (server.cfg.pidfile && *server.cfg.pidfile)) {
        if (!server.cfg.pidfile || !*server.cfg.pidfile) {
            xfree(server.cfg.pidfile);
            server.cfg.pidfile = xstrdup("/var/run/redis.pid");
        }
        process_write_pidfile(server.cfg.pidfile);
    }
    char title[256];
    snprintf(title, sizeof(title), "keel-server *:%d", server.cfg.port);
    set_title(title);
    log_banner();
    process_set_oom_score(server.cfg.oom_score_adj, server.cfg.oom_score_adj_values, 0);
    log_notice("Server initialized");
    /* Listeners are open: clients connecting meanwhile get -LOADING. */
    if (save_load_at_startup() != 0) return 1;
    repl_after_load();
    char *aerr = NULL;
    if (aof_open_on_startup(&aerr) != 0) {
        log_warning("Can't open the append only file: %s", aerr ? aerr : "see above");
        xfree(aerr);
        return 1;
    }
    if (server.cfg.port) log_notice("Ready to accept connections tcp");
    if (server.cfg.unixsocket && *server.cfg.unixsocket) log_notice("Ready to accept connections unix");
    if (server.cfg.supervised == SUPERVISED_SYSTEMD || server.cfg.supervised == SUPERVISED_AUTO)
        process_systemd_notify("STATUS=Ready to accept connections\nREADY=1\n");
    info_note_startup_memory();
    server_run();
    return server.exit_code;
}
