/* Keyspace notifications: db_notify() publishes keyspace and keyevent messages.
 *
 * Design notes:
 *  1. Same rules as Redis's notifyKeyspaceEvent(): nothing happens unless the
 *     event's class is enabled in notify-keyspace-events; then K publishes
 *     `event` on "__keyspace@<db>__:<key>" and E publishes `key` on
 *     "__keyevent@<db>__:<event>", in that order.
 *  2. The classes 'm' (key miss) and 'n' (new key) are not part of 'A', so
 *     they are delivered only when their letter was given explicitly; this
 *     falls out of the flag test because NOTIFY_ALL excludes them.
 *  3. Channel names are built in a stack buffer; only keys longer than it
 *     (about 200 bytes) cost a heap allocation.
 */
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "db.h"
#include "pubsub.h"

#define NOTIFY_STACK_CHAN 256

/* Publishes `msg` on "<prefix><dbid>__:<suffix>". */
static void publish_on(const char *prefix, size_t plen, int dbid, const char *suffix, size_t slen,
                       const char *msg, size_t mlen) {
    char stackbuf[NOTIFY_STACK_CHAN];
    char num[24];
    size_t nlen = ll2str(num, dbid);
    size_t need = plen + nlen + 3 + slen;
    char *chan = need <= sizeof(stackbuf) ? stackbuf : xmalloc(need);
    char *p = chan;
    memcpy(p, prefix, plen);
    p += plen;
    memcpy(p, num, nlen);
    p += nlen;
    memcpy(p, "__:", 3);
    p += 3;
    if (slen) memcpy(p, suffix, slen);
    pubsub_publish(chan, need, msg, mlen);
    if (chan != stackbuf) xfree(chan);
}

void db_notify(int type, const char *event, const char *key, size_t klen, int dbid) {
    int flags = server.cfg.notify_keyspace_events;
    if (!(flags & type)) return;
    size_t elen = strlen(event);
    if (flags & NOTIFY_KEYSPACE) publish_on("__keyspace@", 11, dbid, key, klen, event, elen);
    if (flags & NOTIFY_KEYEVENT) publish_on("__keyevent@", 11, dbid, event, elen, key, klen);
}
