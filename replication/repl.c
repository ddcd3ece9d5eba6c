/* Replication entry point: state, REPLICAOF/SLAVEOF, ROLE, INFO replication,
 * the dispatcher's replica and min-replicas checks, replication ids.
 *
 * See repl_int.h for which file owns what.  Everything here runs on the loop.
 */
#include "repl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "info.h"
#include "log.h"
#include "repl_int.h"
#include "save.h"

repl_t repl = {.stream_db = -1};

bool repl_is_replica(void) { return repl.master_host != NULL; }

const char *repl_state_name(repl_state_t s) {
#define AS_NAME(x) #x,
    static const char *const names[] = {REPL_STATES(AS_NAME)};
#undef AS_NAME
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* Promotion: "the old id becomes replid2, valid up to our offset, and the new
 * one is random", so replicas of the old master (and the old master itself)
 * can PSYNC with the old id and continue.  E.g. we applied bytes 1..1000 under
 * id A: replid2 = A, second_replid_offset = 1001 (the next byte), replid = B. */
void repl_shift_replid(void) {
    memcpy(server.replid2, server.replid, sizeof(server.replid2));
    server.second_replid_offset = server.master_repl_offset + 1;
    server_new_replid(server.replid);
    log_notice("Setting secondary replication ID to %s, valid up to offset: %lld. New replication ID is %s",
               server.replid2, server.second_replid_offset, server.replid);
}

/* ---- REPLICAOF / SLAVEOF ------------------------------------------------- */

static void cmd_replicaof(client_t *c) {
    if (server.cfg.cluster_enabled) {
        reply_error(c, "ERR REPLICAOF not allowed in cluster mode.");
        return;
    }
    if (repl.fo_state != FO_NONE) {
        reply_error(c, "ERR REPLICAOF not allowed while failing over.");
        return;
    }
    buf_t who = BUF_INIT;
    client_info_line(c, &who);
    if (!strcasecmp(c->argv[1], "no") && !strcasecmp(c->argv[2], "one")) {
        if (repl.master_host) {
            repl_replica_set_master(NULL, 0);
            log_notice("MASTER MODE enabled (user request from '%s')", who.p);
        }
        buf_free(&who);
        reply_ok(c);
        return;
    }
    long long port;
    if (!str2ll(c->argv[2], c->argvlen[2], &port) || port < 0 || port > 65535) {
        buf_free(&who);
        reply_error(c, "ERR Invalid master port");
        return;
    }
    if (repl.master_host && !strcasecmp(repl.master_host, c->argv[1]) && repl.master_port == port) {
        log_notice("REPLICAOF would result into synchronization with the master we are already connected "
                   "with. No operation performed.");
        buf_free(&who);
        reply_simple(c, "OK Already connected to specified master");
        return;
    }
    repl_replica_set_master(c->argv[1], (int)port);
    log_notice("REPLICAOF %s:%d enabled (user request from '%s')", repl.master_host, repl.master_port, who.p);
    buf_free(&who);
    reply_ok(c);
}

/* ---- ROLE ------------------------------------------------------------------- */

static const char *role_state_name(void) {
    switch (repl.state) {
    case REPL_NONE: return "none";
    case REPL_CONNECT: return "connect";
    case REPL_CONNECTING: return "connecting";
    case REPL_TRANSFER: return "sync";
    case REPL_CONNECTED: return "connected";
    default: return "handshake";
    }
}

static void cmd_role(client_t *c) {
    if (repl.master_host) {
        reply_array(c, 5);
        reply_bulk_cstr(c, "slave");
        reply_bulk_cstr(c, repl.master_host);
        reply_int(c, repl.master_port);
        reply_bulk_cstr(c, role_state_name());
        reply_int(c, repl.state == REPL_CONNECTED ? server.master_repl_offset : -1);
        return;
    }
    reply_array(c, 3);
    reply_bulk_cstr(c, "master");
    reply_int(c, server.master_repl_offset);
    int online = 0;
    for (int i = 0; i < repl.nreplicas; i++)
        if (repl.replicas[i]->state == REPLICA_ONLINE) online++;
    reply_array(c, online);
    for (int i = 0; i < repl.nreplicas; i++) {
        repl_replica_t *r = repl.replicas[i];
        if (r->state != REPLICA_ONLINE) continue;
        char ip[64];
        repl_replica_ip(r, ip, sizeof(ip));
        reply_array(c, 3);
        reply_bulk_cstr(c, ip);
        reply_bulk_ll(c, r->listening_port);
        reply_bulk_ll(c, r->ack_off);
    }
}

/* ---- INFO replication ------------------------------------------------------- */

static void info_replication(buf_t *out) {
    buf_printf(out, "role:%s\r\n", repl.master_host ? "slave" : "master");
    if (repl.master_host) repl_replica_info(out);
    repl_master_info(out);
    buf_printf(out, "master_failover_state:%s\r\n", repl_failover_state_name());
    buf_printf(out, "master_replid:%s\r\n", server.replid);
    buf_printf(out, "master_replid2:%s\r\n", server.replid2);
    buf_printf(out, "master_repl_offset:%lld\r\n", server.master_repl_offset);
    buf_printf(out, "second_repl_offset:%lld\r\n", server.second_replid_offset);
    if (repl.backlog) {
        buf_printf(out,
                   "repl_backlog_active:1\r\nrepl_backlog_size:%zu\r\nrepl_backlog_first_byte_offset:%lld\r\n"
                   "repl_backlog_histlen:%zu\r\n",
                   /* the configured size (the ring keeps 16 KiB of slack, see master.c) */
                   (size_t)(server.cfg.repl_backlog_size < 16384 ? 16384 : server.cfg.repl_backlog_size),
                   repl_backlog_first_byte_offset(repl.backlog),
                   repl_backlog_histlen(repl.backlog));
    } else {
        buf_printf(out,
                   "repl_backlog_active:0\r\nrepl_backlog_size:%lld\r\nrepl_backlog_first_byte_offset:0\r\n"
                   "repl_backlog_histlen:0\r\n",
                   server.cfg.repl_backlog_size);
    }
}

/* ---- dispatcher checks ------------------------------------------------------ */

/* READONLY, MASTERDOWN and NOREPLICAS, in Redis's order; true = refused. */
static bool deny_command(client_t *c, command_t *cmd) {
    if (c->flags & CLIENT_MASTER) return false;
    bool is_write = (cmd->flags & CMD_WRITE) != 0;
    if (repl.master_host) {
        /* Redis's order: READONLY first, then MASTERDOWN (which PING gets too). */
        if (is_write && server.cfg.replica_read_only) {
            reply_error(c, "READONLY You can't write against a read only replica.");
            return true;
        }
        if (repl.state != REPL_CONNECTED && !server.cfg.replica_serve_stale_data && !(cmd->flags & CMD_STALE)) {
            reply_error(c, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
            return true;
        }
        return false;
    }
    if (is_write && server.cfg.min_replicas_to_write > 0 &&
        repl.good_replicas < server.cfg.min_replicas_to_write) {
        reply_error(c, "NOREPLICAS Not enough good replicas to write.");
        return true;
    }
    return false;
}

/* ---- replication info in snapshots ---------------------------------------- */

/* Redis's rdbPopulateSaveInfo: a master in a replication chain (it has a
 * backlog) or a replica with a live or cached master records its id,
 * offset and stream db, so a restart can continue with PSYNC. */
static void fill_save_info(rdb_save_info_t *rsi) {
    int db = -1;
    if (!repl.master_host && repl.backlog)
        db = repl.stream_db == -1 ? 0 : repl.stream_db;
    else if (repl.master_host)
        db = repl_replica_stream_db();
    if (db < 0) return;
    rsi->repl_stream_db = db;
    rsi->repl_id = server.replid;
    rsi->repl_offset = server.master_repl_offset;
}

void repl_after_load(void) {
    const rdb_load_info_t *li = save_startup_load_info();
    if (repl.master_host && li->repl_id[0] && li->repl_offset != -1 && li->repl_stream_db != -1)
        repl_replica_after_load(li->repl_id, li->repl_offset, li->repl_stream_db);
}

/* ---- init ---------------------------------------------------------------- */

static void repl_cron(void) {
    /* replicationCron runs once a second. */
    static int64_t last_ms;
    if (server.now_ms - last_ms < 1000) return;
    last_ms = server.now_ms;
    repl_replica_cron();
    repl_master_cron();
    repl_failover_cron();
}

static command_t repl_commands[] = {
    {.name = "replicaof", .proc = cmd_replicaof, .arity = 3,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE | CMD_NO_ASYNC_LOADING, .acl = ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS,
     .group = "server", .since = "5.0.0", .summary = "Configures a server as replica of another, or promotes it to a master.",
     .complexity = "O(1)"},
    {.name = "slaveof", .proc = cmd_replicaof, .arity = 3,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE | CMD_NO_ASYNC_LOADING, .acl = ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS,
     .group = "server", .since = "1.0.0", .summary = "Sets a Redis server as a replica of another, or promotes it to being a master.",
     .complexity = "O(1)"},
    {.name = "role", .proc = cmd_role, .arity = 1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_SENTINEL, .acl = ACL_ADMIN | ACL_FAST | ACL_DANGEROUS,
     .group = "server", .since = "2.8.12", .summary = "Returns the replication role.", .complexity = "O(1)"},
    {.name = NULL},
};

void repl_init(void) {
    command_register(repl_commands);
    repl_master_init();
    repl_replica_init();
    repl_failover_init();
    info_replace_section("replication", info_replication);
    command_hooks.deny_stale = deny_command;
    save_set_repl_info_provider(fill_save_info);
    server_on_cron(repl_cron);
    if (server.cfg.replicaof_host) repl_replica_set_master(server.cfg.replicaof_host, server.cfg.replicaof_port);
}
