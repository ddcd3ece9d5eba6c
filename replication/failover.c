/* FAILOVER: hand mastership to a replica without losing acknowledged writes.
 *
 *   FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | FAILOVER ABORT
 *
 * State machine (fo_state, named in repl_int.h's FO_STATES):
 *
 *     NONE --FAILOVER--> WAIT_SYNC --target acked our offset--> IN_PROGRESS --PSYNC accepted--> NONE
 *                          |  timeout, no FORCE: abort              | PSYNC refused: abort, master again
 *                          |  timeout with FORCE --------------------^
 *                          +--ABORT--> NONE
 *
 *   NONE -> WAIT_SYNC        [cmd_failover]      writes paused (CLIENT PAUSE WRITE)
 *   WAIT_SYNC -> IN_PROGRESS [failover_step]     we become a replica of the target and
 *                                                 send it PSYNC <replid> <offset> FAILOVER
 *   WAIT_SYNC -> NONE        [fo_abort]          timeout without FORCE, or ABORT
 *   IN_PROGRESS -> NONE      [repl_failover_psync_result] accepted: done (we stay its replica);
 *                                                 refused: back to master
 *
 * Why no write is lost: writes are paused before we wait, so our offset stops
 * moving; the target is chosen only once its ACK equals that offset, i.e. it
 * holds every byte we acknowledged to clients; the PSYNC FAILOVER makes it
 * promote itself with our replid as its replid2, so we continue as its
 * replica with +CONTINUE.  Paused writes are then answered by a replica
 * (READONLY) — clients retry on the new master.
 * No GETACK is sent while paused (it would move the offset): replicas ACK
 * every second by themselves, so the wait is at most about a second.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "log.h"
#include "repl.h"
#include "repl_int.h"

const char *repl_failover_state_name(void) {
    switch (repl.fo_state) {
    case FO_WAIT_SYNC: return "waiting-for-sync";
    case FO_IN_PROGRESS: return "failover-in-progress";
    default: return "no-failover";
    }
}

static void fo_set_state(fo_state_t to) {
#define AS_NAME(x) #x,
    static const char *const names[] = {FO_STATES(AS_NAME)};
#undef AS_NAME
    log_verbose("failover: %s -> %s", names[repl.fo_state], names[to]);
    repl.fo_state = to;
}

static void fo_clear(void) {
    repl.fo_end_ms = 0;
    repl.fo_force = false;
    xfree(repl.fo_host);
    repl.fo_host = NULL;
    repl.fo_port = 0;
    repl.fo_target = NULL;
    fo_set_state(FO_NONE);
    client_unpause();
}

static void fo_abort(const char *why) {
    if (repl.fo_state == FO_NONE) return;
    if (repl.fo_host)
        log_notice("FAILOVER to %s:%d aborted: %s", repl.fo_host, repl.fo_port, why);
    else
        log_notice("FAILOVER to any replica aborted: %s", why);
    bool was_demoting = repl.fo_state == FO_IN_PROGRESS;
    fo_clear();
    if (was_demoting) repl_replica_set_master(NULL, 0); /* master again */
}

static repl_replica_t *find_replica(const char *host, int port) {
    for (int i = 0; i < repl.nreplicas; i++) {
        char ip[64];
        repl_replica_ip(repl.replicas[i], ip, sizeof(ip));
        if (!strcasecmp(ip, host) && repl.replicas[i]->listening_port == port) return repl.replicas[i];
    }
    return NULL;
}

static void fo_demote_to(const char *host, int port) {
    fo_set_state(FO_IN_PROGRESS);
    char *h = xstrdup(host);
    repl_replica_set_master(h, port); /* replica.c adds FAILOVER to its PSYNC */
    xfree(h);
}

/* Decides whether to move on; called on ACKs, before each poll and by cron. */
static void failover_step(void) {
    if (repl.fo_state != FO_WAIT_SYNC) return;
    if (repl.fo_end_ms && repl.fo_end_ms <= server.now_ms) {
        if (repl.fo_force) {
            log_notice("FAILOVER to %s:%d time out exceeded, failing over.", repl.fo_host, repl.fo_port);
            fo_demote_to(repl.fo_host, repl.fo_port);
        } else {
            fo_abort("Replica never caught up before timeout");
        }
        return;
    }
    repl_replica_t *target = NULL;
    if (repl.fo_host) {
        target = find_replica(repl.fo_host, repl.fo_port);
    } else {
        for (int i = 0; i < repl.nreplicas; i++) {
            repl_replica_t *r = repl.replicas[i];
            if (r->state == REPLICA_ONLINE && r->ack_off == server.master_repl_offset) {
                char ip[64];
                repl_replica_ip(r, ip, sizeof(ip));
                repl.fo_host = xstrdup(ip);
                repl.fo_port = r->listening_port;
                target = r;
                break;
            }
        }
    }
    if (target && target->ack_off == server.master_repl_offset) {
        log_notice("Failover target %s:%d is synced, failing over.", repl.fo_host, repl.fo_port);
        fo_demote_to(repl.fo_host, repl.fo_port);
    }
}

void repl_failover_on_ack(repl_replica_t *r) {
    (void)r;
    failover_step();
}

void repl_failover_cron(void) { failover_step(); }

/* replica.c tells us how the target answered PSYNC ... FAILOVER. */
void repl_failover_psync_result(bool accepted) {
    if (repl.fo_state != FO_IN_PROGRESS) return;
    if (accepted) {
        log_notice("FAILOVER completed: %s:%d is the new master.", repl.fo_host ? repl.fo_host : "?",
                   repl.fo_port);
        fo_clear();
    } else {
        fo_abort("Failover target rejected psync request");
    }
}

static void cmd_failover(client_t *c) {
    if (server.cfg.cluster_enabled) {
        reply_error(c, "ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.");
        return;
    }
    if (c->argc == 2 && !strcasecmp(c->argv[1], "abort")) {
        if (repl.fo_state == FO_NONE) {
            reply_error(c, "ERR No failover in progress.");
            return;
        }
        fo_abort("Failover manually aborted");
        reply_ok(c);
        return;
    }
    long long timeout = 0, port = 0;
    const char *host = NULL;
    bool force = false;
    for (int j = 1; j < c->argc; j++) {
        if (!strcasecmp(c->argv[j], "timeout") && j + 1 < c->argc && timeout == 0) {
            if (!str2ll(c->argv[j + 1], c->argvlen[j + 1], &timeout)) {
                reply_error_not_int(c);
                return;
            }
            if (timeout <= 0) {
                reply_error(c, "ERR FAILOVER timeout must be greater than 0");
                return;
            }
            j++;
        } else if (!strcasecmp(c->argv[j], "to") && j + 2 < c->argc && !host) {
            if (!str2ll(c->argv[j + 2], c->argvlen[j + 2], &port)) {
                reply_error_not_int(c);
                return;
            }
            host = c->argv[j + 1];
            j += 2;
        } else if (!strcasecmp(c->argv[j], "force") && !force) {
            force = true;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (repl.fo_state != FO_NONE) {
        reply_error(c, "ERR FAILOVER already in progress.");
        return;
    }
    if (repl.master_host) {
        reply_error(c, "ERR FAILOVER is not valid when server is a replica.");
        return;
    }
    if (repl.nreplicas == 0) {
        reply_error(c, "ERR FAILOVER requires connected replicas.");
        return;
    }
    if (force && (!timeout || !host)) {
        reply_error(c, "ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
        return;
    }
    if (host) {
        repl_replica_t *r = find_replica(host, (int)port);
        if (!r) {
            reply_error(c, "ERR FAILOVER target HOST and PORT is not a replica.");
            return;
        }
        if (r->state != REPLICA_ONLINE) {
            reply_error(c, "ERR FAILOVER target replica is not online.");
            return;
        }
        repl.fo_host = xstrdup(host);
        repl.fo_port = (int)port;
        log_notice("FAILOVER requested to %s:%lld.", host, port);
    } else {
        log_notice("FAILOVER requested to any replica.");
    }
    repl.fo_end_ms = timeout ? server.now_ms + timeout : 0;
    repl.fo_force = force;
    fo_set_state(FO_WAIT_SYNC);
    client_pause(1 /* writes */, INT64_MAX);
    reply_ok(c);
}

static void failover_before_poll(void) {
    if (repl.fo_state == FO_WAIT_SYNC) failover_step();
}

static command_t failover_commands[] = {
    {.name = "failover", .proc = cmd_failover, .arity = -1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE, .acl = ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS,
     .group = "server", .since = "6.2.0", .summary = "Starts a coordinated failover from a server to one of its replicas.",
     .complexity = "O(1)"},
    {.name = NULL},
};

void repl_failover_init(void) {
    command_register(failover_commands);
    server_on_before_poll(failover_before_poll);
}
