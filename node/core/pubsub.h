/* Pub/Sub: channels, patterns and shard channels; used by clients, keyspace
 * notifications and (later) sentinel hello messages.
 *
 * Owns: the server-wide channel -> subscribers and pattern -> subscribers
 * registries and each client's own subscription sets
 * (client->pubsub_channels, ->pubsub_shard_channels, ->pubsub_patterns).
 * Messages to RESP2 clients are 3-element arrays ("message", channel, payload)
 * or 4-element ("pmessage", pattern, channel, payload); to RESP3 clients the
 * same as push (>) frames. */
#ifndef KEEL_PUBSUB_H
#define KEEL_PUBSUB_H

#include <stddef.h>

typedef struct client client_t;

void pubsub_init(void);   /* registers the commands and the client free hook */
/* Delivers to channel subscribers and matching patterns; returns receivers. */
long long pubsub_publish(const char *channel, size_t clen, const char *msg, size_t mlen);
long long pubsub_spublish(const char *channel, size_t clen, const char *msg, size_t mlen);
/* Subscriptions of c (channels + patterns + shard channels). */
size_t pubsub_client_count(const client_t *c);
/* Drops every subscription of c without replies (RESET, client free). */
void pubsub_unsubscribe_all(client_t *c, int notify);
size_t pubsub_total_channels(void);
size_t pubsub_total_patterns(void);

#endif
