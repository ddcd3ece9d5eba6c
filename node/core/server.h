/* The server context: listeners, clients, the command table and the loop hooks.
 *
 * Owns: the libuv loop, listening sockets, every client_t, the command table,
 * per-command statistics, the pending-write list and the cron.  The keyspace
 * is owned by node/data (db.h) and reached through server.data; replication,
 * sentinel and cluster hang their own contexts off this struct as they arrive.
 *
 * Design notes:
 *  1. One loop thread owns everything here (DESIGN.md §1).  `server` is the
 *     single instance; modules that can be tested alone take their own
 *     context structs (ht_t, resp_req_t, keel_config_t, db_t) instead.
 *  2. Clients read into their own query buffer (no copy); the arguments of a
 *     command are pointers into that buffer, valid until the command returns
 *     (commands that keep an argument copy it).
 *  3. Replies go to a 16 KiB inline buffer, then to a list of blocks.  Clients
 *     with output are put on server.pending_writes and flushed once per loop
 *     turn from the uv_prepare hook (before the poll), with uv_try_write and,
 *     only for the remainder, uv_write.
 */
#ifndef KEEL_SERVER_H
#define KEEL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "ht.h"
#include "resp.h"

#define REPLY_CHUNK 16384
#define LRU_CLOCK_MAX ((1 << 24) - 1)
#define LRU_CLOCK_RES_MS 1000

typedef struct client client_t;
typedef struct command command_t;

/* ---- commands ----------------------------------------------------------- */

enum {
    CMD_WRITE = 1 << 0,
    CMD_READONLY = 1 << 1,
    CMD_DENYOOM = 1 << 2,
    CMD_ADMIN = 1 << 3,
    CMD_PUBSUB = 1 << 4,
    CMD_NOSCRIPT = 1 << 5,
    CMD_BLOCKING = 1 << 6,
    CMD_LOADING = 1 << 7,
    CMD_STALE = 1 << 8,
    CMD_SKIP_MONITOR = 1 << 9,
    CMD_SKIP_SLOWLOG = 1 << 10,
    CMD_ASKING = 1 << 11,
    CMD_FAST = 1 << 12,
    CMD_NO_AUTH = 1 << 13,
    CMD_MAY_REPLICATE = 1 << 14,
    CMD_SENTINEL = 1 << 15,
    CMD_ONLY_SENTINEL = 1 << 16,
    CMD_NO_MANDATORY_KEYS = 1 << 17,
    CMD_PROTECTED = 1 << 18,
    CMD_NO_ASYNC_LOADING = 1 << 19,
    CMD_NO_MULTI = 1 << 20,
    CMD_MOVABLE_KEYS = 1 << 21,
    CMD_ALLOW_BUSY = 1 << 22,
    CMD_TOUCHES_ARBITRARY_KEYS = 1 << 23,
};

/* ACL categories (bit positions follow Redis's list order). */
enum {
    ACL_KEYSPACE = 1 << 0, ACL_READ = 1 << 1, ACL_WRITE = 1 << 2, ACL_SET = 1 << 3,
    ACL_SORTEDSET = 1 << 4, ACL_LIST = 1 << 5, ACL_HASH = 1 << 6, ACL_STRING = 1 << 7,
    ACL_BITMAP = 1 << 8, ACL_HYPERLOGLOG = 1 << 9, ACL_GEO = 1 << 10, ACL_STREAM = 1 << 11,
    ACL_PUBSUB = 1 << 12, ACL_ADMIN = 1 << 13, ACL_FAST = 1 << 14, ACL_SLOW = 1 << 15,
    ACL_BLOCKING = 1 << 16, ACL_DANGEROUS = 1 << 17, ACL_CONNECTION = 1 << 18,
    ACL_TRANSACTION = 1 << 19, ACL_SCRIPTING = 1 << 20,
};

/* Key specs as COMMAND reports them (a subset of Redis's forms that covers
 * every command here: begin_search index, find_keys range or keynum). */
typedef struct key_spec {
    uint32_t flags;      /* KS_* */
    int bs_index;        /* begin_search: index */
    const char *bs_keyword; /* begin_search: keyword (if non-NULL, index is startfrom) */
    int fk_lastkey;      /* find_keys range: lastkey (-1 = last arg) */
    int fk_step;
    int fk_limit;
    bool fk_keynum;      /* find_keys keynum form: keynumidx = fk_keynum_idx, firstkey = fk_lastkey, keystep = fk_step */
    int fk_keynum_idx;
} key_spec_t;

enum {
    KS_RO = 1 << 0, KS_RW = 1 << 1, KS_OW = 1 << 2, KS_RM = 1 << 3,
    KS_ACCESS = 1 << 4, KS_UPDATE = 1 << 5, KS_INSERT = 1 << 6, KS_DELETE = 1 << 7,
    KS_NOT_KEY = 1 << 8, KS_INCOMPLETE = 1 << 9, KS_VARIABLE_FLAGS = 1 << 10,
};

/* Fills keys[] with argument indexes of the keys; returns how many. */
typedef int (*getkeys_fn)(const command_t *cmd, int argc, const char **argv, const size_t *lens,
                          int *keys, int max);

typedef void (*command_fn)(client_t *c);

struct command {
    ht_node_t node;          /* in server.commands (or the parent's subcommand table) */
    const char *name;        /* lower case; "parent|sub" full name built at registration */
    command_fn proc;
    int arity;               /* >0 exact, <0 at least -arity */
    uint32_t flags;          /* CMD_* */
    uint32_t acl;            /* ACL_* */
    int first_key, last_key, key_step;
    const key_spec_t *key_specs;
    int key_specs_count;
    getkeys_fn getkeys;      /* for movable keys */
    const char *group;       /* "string", "generic", "server", ... */
    const char *since;
    const char *summary;
    const char *complexity;
    const char *const *tips; /* NULL-terminated */
    command_t *subcommands;  /* array terminated by name == NULL */
    /* set at registration */
    command_t *parent;
    char *fullname;          /* "config|get" */
    ht_t subtable;
    /* statistics */
    long long calls, usec, rejected_calls, failed_calls;
    struct latency_hist *latency;
};

/* Registers a NULL-name-terminated array (not copied; must outlive the server). */
void command_register(command_t *table);
command_t *command_lookup(const char *name, size_t len);
/* The command for argv (resolves a subcommand when the container has them). */
command_t *command_lookup_argv(int argc, const char **argv, const size_t *lens);
void command_apply_renames(const keel_config_t *cfg);
/* Key argument indexes of a command (from first/last/step or getkeys). */
int command_get_keys(const command_t *cmd, int argc, const char **argv, const size_t *lens,
                     int *keys, int max);

/* ---- clients ------------------------------------------------------------ */

enum {
    CLIENT_CLOSE_AFTER_REPLY = 1 << 0,
    CLIENT_CLOSE_ASAP = 1 << 1,
    CLIENT_PENDING_WRITE = 1 << 2,
    CLIENT_MULTI = 1 << 3,
    CLIENT_DIRTY_CAS = 1 << 4,   /* a WATCHed key was touched */
    CLIENT_DIRTY_EXEC = 1 << 5,  /* a queued command was refused */
    CLIENT_PUBSUB = 1 << 6,
    CLIENT_MONITOR = 1 << 7,
    CLIENT_UNIX = 1 << 8,
    CLIENT_CLOSING = 1 << 9,     /* uv_close called */
    CLIENT_REPLY_OFF = 1 << 10,
    CLIENT_REPLY_SKIP_NEXT = 1 << 11,
    CLIENT_REPLY_SKIP = 1 << 12,
    CLIENT_NO_EVICT = 1 << 13,
    CLIENT_NO_TOUCH = 1 << 14,
    CLIENT_PAUSED = 1 << 15,     /* input processing suspended by CLIENT PAUSE */
    CLIENT_READ_STOPPED = 1 << 16,
    CLIENT_MASTER = 1 << 17,     /* the link to our master (replication) */
    CLIENT_REPLICA = 1 << 18,
    CLIENT_FAKE = 1 << 19,       /* no connection (AOF loading, tests) */
    CLIENT_EXECUTING = 1 << 20,  /* inside process_input: free later */
    CLIENT_PROTECTED = 1 << 21,
    CLIENT_REPL_HOLD = 1 << 22,  /* replica waiting for its snapshot: output is kept, not written */
};

typedef struct reply_block {
    struct reply_block *next;
    size_t size, used, sent;
    char data[];
} reply_block_t;

typedef struct multi_cmd {
    command_t *cmd;
    int argc;
    char **argv;
    size_t *lens;
} multi_cmd_t;

struct client {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } io;
    uint64_t id;
    uint32_t flags;
    int resp;                 /* 2 or 3 */
    int db_index;
    void *db;                 /* node/data's db_t for db_index */
    bool authenticated;

    /* input */
    char *qbuf;
    size_t qlen, qcap, qpos;
    size_t qpeak;             /* recent peak of qlen, for shrinking */
    resp_req_t req;
    int argc;
    const char **argv;        /* argv[i] points into qbuf (or a multi copy) */
    size_t *argvlen;
    size_t argv_cap;
    command_t *cmd, *lastcmd;

    /* output */
    size_t bufpos, bufsent;
    reply_block_t *reply_head, *reply_tail;
    size_t reply_bytes;       /* bytes in blocks, not yet sent */
    uv_write_t wreq;
    bool write_in_flight;
    size_t inflight_bytes;
    int64_t obuf_soft_since_ms; /* when the soft limit was first exceeded, 0 if not */
    client_t *pending_next, *pending_prev; /* server.pending_writes */
    client_t *next, *prev;    /* server.clients */

    /* identity and stats */
    char *name;
    char *lib_name, *lib_ver;
    char addr[64], laddr[64];
    int64_t ctime_ms, last_interaction_ms;
    long long commands_processed;
    size_t net_in, net_out;
    long long woff;           /* replication offset right after its last propagated write (WAIT) */

    /* transactions */
    multi_cmd_t *mstate;
    int mcount, mcap;
    struct watched_key *watched; /* list owned by node/data's watch code */

    /* pub/sub (owned by pubsub.c) */
    ht_t *pubsub_channels;    /* set of channel names */
    ht_t *pubsub_shard_channels;
    struct pubsub_pattern_ref *pubsub_patterns;
    int pubsub_npatterns;

    /* extension points for later modules */
    void *repl;               /* replication per-client state */

    char buf[REPLY_CHUNK];
};

/* ---- server ------------------------------------------------------------- */

typedef struct listener {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } io;
    char addr[64];
    bool unix_socket;
} listener_t;

typedef struct info_section {
    const char *name;
    void (*fn)(buf_t *out);
    bool in_default;  /* part of plain INFO */
} info_section_t;

typedef struct server {
    keel_config_t cfg;
    uv_loop_t *loop;
    uv_timer_t cron;
    uv_prepare_t before_poll;
    uv_signal_t sigterm, sigint;
    listener_t listeners[CONFIG_MAX_BIND + 1];
    int nlisteners;

    /* clock, read once per loop turn */
    int64_t now_ms, now_us;        /* unix time */
    int64_t mono_start_us;
    uint32_t lru_clock;            /* 24-bit, seconds resolution */
    int64_t start_time_ms;
    char runid[41];
    char executable[4096];
    char **exec_argv;
    int exec_argc;

    /* clients */
    client_t *clients;
    client_t *pending_writes;
    client_t *current_client;
    uint64_t next_client_id;
    unsigned int nclients;
    unsigned int nreplicas;        /* counted out of maxclients */
    client_t **close_asap;
    size_t nclose_asap, close_asap_cap;
    client_t **monitors;
    size_t nmonitors, monitors_cap;

    /* command table */
    ht_t commands;
    command_t **all_commands;      /* registration order, for COMMAND */
    size_t ncommands, commands_cap;

    /* client pause (CLIENT PAUSE, FAILOVER) */
    int pause_type;                /* 0 none, 1 write, 2 all */
    int64_t pause_end_ms;
    client_t **paused;
    size_t npaused, paused_cap;

    /* stats */
    long long stat_numcommands, stat_numconnections, stat_rejected_conn;
    long long stat_expiredkeys, stat_evictedkeys, stat_keyspace_hits, stat_keyspace_misses;
    long long stat_expired_stale_perc_x100, stat_expired_time_cap_reached_count;
    long long stat_total_error_replies, stat_unexpected_error_replies;
    long long stat_net_input_bytes, stat_net_output_bytes;
    long long stat_evictedclients, stat_io_reads, stat_io_writes;
    long long stat_total_eviction_exceeded_time_ms;
    long long stat_client_qbuf_limit_disconnections, stat_client_outbuf_limit_disconnections;
    long long stat_pubsub_msgs;
    long long stat_sync_full, stat_sync_partial_ok, stat_sync_partial_err; /* replication */
    long long stat_fork_latest_usec, stat_total_forks;                      /* child.c */
    int64_t stat_peak_memory;
    ht_t errors;                   /* errorstats: error prefix -> count */
    size_t errors_count;
    /* instantaneous metrics, sampled by cron */
    long long inst_ops_samples[16], inst_in_samples[16], inst_out_samples[16];
    int inst_idx;
    long long inst_last_ops, inst_last_in, inst_last_out;
    int64_t inst_last_ms;

    /* persistence state shared with the dispatcher (save.c owns the rest) */
    long long dirty;               /* changes since last save */
    int64_t lastsave;              /* unix seconds */
    bool loading;                  /* loading a snapshot/AOF: most commands get -LOADING */
    bool in_exec;                  /* EXEC is replaying a transaction (BGSAVE/BGREWRITEAOF schedule, WAIT answers at once) */

    /* replication stream identity (owned by replication/ once it exists) */
    char replid[41], replid2[41];
    long long master_repl_offset, second_replid_offset;

    /* INFO sections registered by modules */
    info_section_t info_sections[32];
    int ninfo_sections;

    void *data;                    /* node/data's keyspace context */
    void *(*db_for_index)(int index); /* installed by node/data; NULL before */
    bool shutdown_asap;
    int shutdown_flags;
    int exit_code;
    int cron_loops;
    uint64_t rng_state[2];
} server_t;

extern server_t server;

/* ---- server lifecycle (server.c) ---------------------------------------- */
int server_init(void);              /* after config is loaded */
int server_listen(void);            /* 0 or the uv error */
void server_run(void);
/* Runs the shutdown hooks and exits; returns (K_ESTATE) only when a hook
 * refused, e.g. the final save failed, and FORCE was not given. */
int server_shutdown_now(int flags); /* flags: SHUTDOWN_* */
enum { SHUTDOWN_NOFLAGS = 0, SHUTDOWN_SAVE = 1, SHUTDOWN_NOSAVE = 2, SHUTDOWN_NOW = 4, SHUTDOWN_FORCE = 8 };
void server_update_clock(void);
uint64_t server_rand(void);         /* xoshiro-style fast RNG, seeded from libsodium */
void server_info_register(const char *name, void (*fn)(buf_t *out), bool in_default);
/* Hooks called every cron tick (hz), before every poll, and at shutdown. */
void server_on_cron(void (*fn)(void));
void server_on_before_poll(void (*fn)(void));
/* A shutdown hook returns 0, or non-zero to refuse the shutdown. */
void server_on_shutdown(int (*fn)(int flags));
void server_cron_reschedule(void);
void server_new_replid(char *out); /* 40 random hex chars + NUL */
/* Hook called after every command that changed the keyspace (replication/AOF feed). */
void server_log_error_reply(const char *err, size_t len);
int64_t server_uptime_ms(void);

/* ---- clients (client.c) ------------------------------------------------- */
client_t *client_new_fake(void);
void client_free(client_t *c);
void client_close_async(client_t *c);
void client_set_db(client_t *c, int index);
size_t client_output_bytes(const client_t *c);
void client_pause(int type, int64_t end_ms); /* type 1 write, 2 all; 0 = unpause */
void client_unpause(void);
bool client_is_paused_for(const client_t *c, const command_t *cmd);
const char *client_type_name(const client_t *c);
void client_info_line(const client_t *c, buf_t *out);
int client_obuf_class(const client_t *c);
void clients_cron(void);
/* Processes buffered input of c (used after unpausing). */
void client_process_input(client_t *c);

/* ---- dispatch (command.c) ----------------------------------------------- */
/* Executes c->argv as a command from a client, with all the checks. */
void command_process(client_t *c);
/* Calls cmd->proc with stats, slowlog, latency accounting. */
void command_call(client_t *c, command_t *cmd);
/* Hooks the data layer installs (NULL = not available). */
typedef struct command_hooks {
    bool (*is_oom)(void);            /* performs eviction; true if still over maxmemory */
    void (*multi_queue)(client_t *c);
    bool (*deny_stale)(client_t *c, command_t *cmd); /* replica checks */
    /* Persistence trouble (stop-writes-on-bgsave-error, AOF write errors):
     * the error text a write command gets, or NULL to let it run. */
    const char *(*write_error)(client_t *c, command_t *cmd);
    /* The master client applied one command of `bytes` stream bytes
     * (replication counts its offset and proxies them to sub-replicas). */
    void (*master_applied)(client_t *c, size_t bytes);
} command_hooks_t;
extern command_hooks_t command_hooks;

/* ---- replies (reply.c) -------------------------------------------------- */
#include "reply.h"

#endif
