/* link: the one outgoing asynchronous connection of the tree.
 *
 * Owns: one TCP connection to another server (a master, a monitored
 * instance, another sentinel, a cluster peer), its output buffer, the queue
 * of reply callbacks and the reply parser state.  Used by replication
 * (replica -> master), sentinel (-> instances, -> sentinels) and cluster
 * (MIGRATE); the reconnect policy belongs to the owner.
 *
 * Design notes:
 *  1. Connect: host may be a name (uv_getaddrinfo), then uv_tcp_connect,
 *     both under one connect timeout.  When AUTH credentials are given, AUTH
 *     is queued first, so the owner's first command follows it.
 *  2. Commands are encoded with resp_encode_cmd into the output buffer and
 *     written with one uv_write per loop turn; each expects one reply,
 *     matched in order (a FIFO of callbacks).  Replies are parsed with
 *     resp_value_parse; push frames and, in pub/sub mode, "message" arrays
 *     go to on_push instead of the FIFO.
 *  3. Raw mode: after switching (replication's full-sync payload), received
 *     bytes go to on_raw unparsed until the owner switches back.  Bytes
 *     already buffered are delivered first, in order.
 *  4. Closing: link_close() fails every pending callback with reply NULL,
 *     calls on_event(LINK_CLOSED) once, and frees the link after uv_close;
 *     the owner must not touch it after link_close returns.  A link is never
 *     freed from inside its own callbacks: closing there is deferred.
 *  5. Memory: the input buffer is capped (max_reply_bytes, default 64 MiB):
 *     a peer sending a bigger reply is disconnected, never buffered without
 *     bound.
 */
#ifndef KEEL_LINK_H
#define KEEL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "resp.h"

typedef struct link link_t;

enum { LINK_CONNECTED = 1, LINK_CLOSED = 2 };

/* reply is NULL when the link closed before the reply arrived. */
typedef void (*link_reply_fn)(link_t *l, const resp_value_t *reply, void *ud);

typedef struct link_opts {
    int64_t connect_timeout_ms;  /* 0 = 10000 */
    const char *user;            /* AUTH user (NULL = "default"/legacy AUTH) */
    const char *password;        /* NULL = no AUTH */
    size_t max_reply_bytes;      /* 0 = 64 MiB */
    /* LINK_CONNECTED (status 0) or LINK_CLOSED (status: 0 = closed by us,
     * else a libuv error code or UV_ETIMEDOUT). */
    void (*on_event)(link_t *l, int event, int status, void *ud);
    /* Push frames and pub/sub messages. */
    void (*on_push)(link_t *l, const resp_value_t *msg, void *ud);
    void *ud;
} link_opts_t;

/* Creates the link and starts connecting.  host and the credentials are
 * copied.  Returns NULL only if the connection cannot even be attempted. */
link_t *link_connect(uv_loop_t *loop, const char *host, int port, const link_opts_t *opts);
void link_close(link_t *l);

bool link_is_connected(const link_t *l);
const char *link_host(const link_t *l);
int link_port(const link_t *l);
/* Local address of the connection as "ip:port" ("" before connecting). */
const char *link_local_addr(const link_t *l);

/* Queues a command; cb (may be NULL: reply discarded) gets its reply. */
void link_command(link_t *l, link_reply_fn cb, void *ud, int argc, const char *const *argv, const size_t *lens);
/* Same with NUL-terminated strings, ending with NULL. */
void link_commandl(link_t *l, link_reply_fn cb, void *ud, ...) __attribute__((sentinel));
/* Raw bytes, no reply expected (replication's "\n" keepalives, REPLCONF ACK). */
void link_send_raw(link_t *l, const void *p, size_t n);

/* Raw mode (note 3): on_raw NULL switches back to replies. */
void link_set_raw(link_t *l, void (*on_raw)(link_t *l, const char *p, size_t n, void *ud));
/* Pub/sub mode: arrays whose first element is "message"/"pmessage"/
 * "subscribe"... are delivered to on_push. */
void link_set_pubsub(link_t *l, bool on);

/* Output not yet written (bytes) and replies still awaited. */
size_t link_pending_output(const link_t *l);
size_t link_pending_replies(const link_t *l);

#endif
