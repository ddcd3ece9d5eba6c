/* Replication internals shared by the replication/ sources (and their tests).
 *
 * Who owns what:
 *  - repl.c:     repl_t (this state), init, the commands' table, INFO
 *                replication, ROLE, REPLICAOF/SLAVEOF, the dispatcher hooks
 *                (READONLY, MASTERDOWN, NOREPLICAS), replid shifting.
 *  - master.c:   the stream and its backlog, replicas (repl_replica_t),
 *                SYNC/PSYNC/REPLCONF on the master side, full syncs (disk or
 *                diskless) through child.h, WAIT, min-replicas, pings.
 *  - replica.c:  the link to our master: the handshake state machine, the
 *                transfer and load of the RDB, the master client that
 *                applies the stream, ACKs, the cached master for PSYNC.
 *  - failover.c: the FAILOVER command's state machine.
 *
 * Offsets (as Redis counts them, see backlog.h): server.master_repl_offset is
 * the number of stream bytes produced (master) or applied (replica).  A
 * replica that applied bytes 1..N sends PSYNC <replid> N+1.
 */
#ifndef KEEL_REPL_INT_H
#define KEEL_REPL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "backlog.h"
#include "link.h"
#include "server.h"

/* ---- master side: one connected replica (client_t->repl) ----------------- */

#define REPLICA_STATES(X) X(WAIT_BGSAVE_START) X(WAIT_BGSAVE_END) X(SEND_BULK) X(ONLINE)
#define REPLICA_AS_ENUM(s) REPLICA_##s,
typedef enum { REPLICA_STATES(REPLICA_AS_ENUM) } replica_state_t;

typedef struct repl_replica {
    client_t *c;
    replica_state_t state;
    long long ack_off;          /* last REPLCONF ACK offset */
    int64_t ack_time_ms;        /* when it arrived (lag, min-replicas) */
    int listening_port;         /* REPLCONF listening-port */
    char announce_ip[64];       /* REPLCONF ip-address, else "" (use the peer ip) */
    bool capa_eof, capa_psync2;
    bool rdb_only;              /* REPLCONF rdb-only 1 (redis-cli --rdb) */
    long long psync_initial_offset; /* offset the full sync starts at */
    int64_t sync_start_ms;
    /* disk-based transfer of the snapshot file */
    int rdb_fd;
    off_t rdb_off, rdb_size;
    bool wait_first_ack;        /* diskless: online at its first ACK */
} repl_replica_t;

/* ---- replica side: the handshake -------------------------------------- */

#define REPL_STATES(X)                                                                                \
    X(NONE) X(CONNECT) X(CONNECTING) X(RECEIVE_PING_REPLY) X(SEND_HANDSHAKE) X(RECEIVE_AUTH_REPLY)      \
    X(RECEIVE_PORT_REPLY) X(RECEIVE_IP_REPLY) X(RECEIVE_CAPA_REPLY) X(SEND_PSYNC)                      \
    X(RECEIVE_PSYNC_REPLY) X(TRANSFER) X(CONNECTED)
#define REPL_AS_ENUM(s) REPL_##s,
typedef enum { REPL_STATES(REPL_AS_ENUM) } repl_state_t;

/* ---- FAILOVER ------------------------------------------------------------- */

#define FO_STATES(X) X(NONE) X(WAIT_SYNC) X(IN_PROGRESS)
#define FO_AS_ENUM(s) FO_##s,
typedef enum { FO_STATES(FO_AS_ENUM) } fo_state_t;

typedef struct repl {
    /* master side (a replica is also a master for its own replicas) */
    repl_backlog_t *backlog;        /* NULL until the first replica, or after repl-backlog-ttl */
    int64_t no_replicas_since_ms;   /* for repl-backlog-ttl; 0 while replicas exist */
    repl_replica_t **replicas;
    int nreplicas, replicas_cap;
    int stream_db;                  /* db of the last SELECT written to the stream; -1 = none */
    int good_replicas;              /* online replicas with lag <= min-replicas-max-lag */
    bool get_ack_pending;           /* send REPLCONF GETACK * before the next poll (WAIT) */
    client_t **waiting;             /* clients blocked in WAIT */
    int nwaiting, waiting_cap;

    /* replica side */
    char *master_host;              /* NULL on a master */
    int master_port;
    repl_state_t state;
    int64_t state_since_ms;
    link_t *link;
    client_t *master;               /* applies the stream (CLIENT_MASTER) */
    client_t *cached_master;        /* kept after a link loss, for PSYNC */
    char master_replid[41];         /* the id the master announced */
    long long master_initial_offset;
    int64_t last_io_ms;             /* last byte from the master */
    int64_t link_down_since_ms;     /* 0 while the link is up; -1 = never up? see INFO */
    long long transfer_size;        /* -1 for an $EOF: stream */
    long long transfer_read;
    int transfer_fd;
    char transfer_tmpfile[64];
    int64_t transfer_last_io_ms;

    /* FAILOVER */
    fo_state_t fo_state;
    int64_t fo_end_ms;              /* timeout, 0 = none */
    char *fo_host;                  /* TO host port, or NULL = any replica */
    int fo_port;
    bool fo_force;
    repl_replica_t *fo_target;

    /* stats */
    long long stat_sync_full, stat_sync_partial_ok, stat_sync_partial_err;
} repl_t;

extern repl_t repl;

/* ---- repl.c ----------------------------------------------------------------- */
/* New random replid; the old one becomes replid2 valid up to our offset
 * (promotion keeps siblings on partial resync). */
void repl_shift_replid(void);
const char *repl_state_name(repl_state_t s);

/* ---- master.c --------------------------------------------------------------- */
void repl_master_init(void);    /* commands SYNC, PSYNC, REPLCONF, WAIT; sink; cron */
/* Appends raw stream bytes to the backlog and every replica: used by the
 * sink and by a replica proxying its master's stream to sub-replicas. */
void repl_master_feed_raw(const char *p, size_t n);
/* The address a replica is known by: its announced ip, else the peer ip. */
void repl_replica_ip(const repl_replica_t *r, char *out, size_t n);
/* The replica for a client, or NULL. */
repl_replica_t *repl_replica_of(client_t *c);
void repl_master_disconnect_replicas(void);  /* after REPLICAOF / FAILOVER */
void repl_master_info(buf_t *out);          /* connected_slaves + slaveN lines */
void repl_master_cron(void);
/* Creates the backlog if needed (a replica keeps one for its sub-replicas). */
void repl_master_create_backlog(void);

/* ---- replica.c -------------------------------------------------------------- */
void repl_replica_init(void);
/* Start replicating from host:port (REPLICAOF); NULL host = become a master. */
void repl_replica_set_master(const char *host, int port);
void repl_replica_send_ack(void);           /* REPLCONF ACK <offset> to our master */
void repl_replica_info(buf_t *out);         /* master_host ... fields */
void repl_replica_cron(void);
/* Called for every command the master client applied (consumed stream bytes). */
void repl_replica_applied(client_t *c, size_t bytes);
/* After the start-up load: a replica whose RDB carried repl-id/offset uses
 * them for its cached master, so a restart can continue with PSYNC. */
void repl_replica_after_load(const char *replid, long long offset, int stream_db);
/* The db the master client (live or cached) has selected, -1 if none. */
int repl_replica_stream_db(void);

/* ---- failover.c -------------------------------------------------------------- */
void repl_failover_init(void);               /* FAILOVER command */
void repl_failover_cron(void);
const char *repl_failover_state_name(void);
/* A replica acknowledged an offset: FAILOVER may be waiting for it. */
void repl_failover_on_ack(repl_replica_t *r);
/* replica.c: while fo_state is FO_IN_PROGRESS the handshake sends
 * "PSYNC <replid> <offset+1> FAILOVER" and reports the answer here
 * (+CONTINUE/+FULLRESYNC = accepted; an error = refused). */
void repl_failover_psync_result(bool accepted);

#endif
