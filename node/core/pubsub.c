/* Pub/Sub: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and their UN- forms, PUBLISH,
 * SPUBLISH, PUBSUB, and pubsub_publish() for keyspace notifications.
 *
 * Design notes:
 *  1. Three server-wide registries map a name to a ps_chan_t holding its
 *     subscribers in subscription order: `channels`, `shard_channels` and
 *     `patterns` (keyed by the pattern text).  A registry entry exists exactly
 *     while it has at least one subscriber, so PUBSUB CHANNELS and NUMPAT are
 *     plain walks/counts of the tables.
 *  2. Each client mirrors its own subscriptions: c->pubsub_channels and
 *     c->pubsub_shard_channels are sets (allocated on first use, freed when
 *     they empty) of ps_ref_t pointing at the registry entry, so unsubscribing
 *     needs no second lookup.  c->pubsub_patterns is an array of
 *     pubsub_pattern_ref in subscription order (PUNSUBSCRIBE without
 *     arguments answers in that order, as Redis's list does); its capacity is
 *     implied by the count (see patterns_reserve()).
 *  3. Counts in replies follow Redis 7.0: the classic count is channels +
 *     patterns, the shard count is shard channels alone; CLIENT_PUBSUB stays
 *     set while the sum of both is above zero.
 *  4. Delivery writes a pre-encoded frame (built once per publish, and once
 *     per matching pattern) with reply_raw(); RESP3 clients get the same bytes
 *     behind a '>' instead of '*'.  Writing a reply never frees a client, so
 *     the subscriber arrays cannot change while a publish walks them.
 *     Subscribers already closing get nothing but are still counted, as Redis
 *     counts every client in the list.
 *  5. A client's subscriptions are dropped by the client_on_free hook before
 *     the client memory goes away, so registries never hold a dangling client.
 */
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "propagate.h"
#include "pubsub.h"
#include "server.h"

void client_on_free(void (*fn)(client_t *c));

/* ---- registries ---------------------------------------------------------- */

typedef struct ps_chan {
    ht_node_t node;  /* in channels / shard_channels / patterns (first member) */
    client_t **subs; /* subscribers, in subscription order */
    size_t nsubs, cap;
    size_t len;
    char name[]; /* NUL-terminated; may contain NULs before len */
} ps_chan_t;

/* One membership of a client in a channel (the client's own set). */
typedef struct ps_ref {
    ht_node_t node; /* in c->pubsub_channels / ->pubsub_shard_channels */
    ps_chan_t *ch;  /* borrowed: lives while this ref is in it */
} ps_ref_t;

struct pubsub_pattern_ref {
    ps_chan_t *pat; /* the entry in `patterns` */
};

static void chan_node_key(const ht_node_t *n, const void **key, size_t *len) {
    const ps_chan_t *ch = (const ps_chan_t *)n;
    *key = ch->name;
    *len = ch->len;
}

static void ref_node_key(const ht_node_t *n, const void **key, size_t *len) {
    const ps_ref_t *r = (const ps_ref_t *)n;
    *key = r->ch->name;
    *len = r->ch->len;
}

static const ht_type_t chan_type = {.hash = ht_hash_bytes, .node_key = chan_node_key};
static const ht_type_t ref_type = {.hash = ht_hash_bytes, .node_key = ref_node_key};

static ht_t channels, shard_channels, patterns;

static ps_chan_t *chan_get_or_create(ht_t *reg, const char *name, size_t len) {
    ht_pos_t pos;
    ps_chan_t *ch = (ps_chan_t *)ht_lookup(reg, name, len, &pos);
    if (ch) return ch;
    ch = xmalloc(sizeof(*ch) + len + 1);
    ch->node.next = NULL;
    ch->subs = NULL;
    ch->nsubs = ch->cap = 0;
    ch->len = len;
    memcpy(ch->name, name, len);
    ch->name[len] = '\0';
    ht_insert_at(reg, &pos, &ch->node);
    return ch;
}

static void chan_add_sub(ps_chan_t *ch, client_t *c) {
    if (ch->nsubs == ch->cap) {
        ch->cap = ch->cap ? ch->cap * 2 : 4;
        ch->subs = xrealloc(ch->subs, ch->cap * sizeof(client_t *));
    }
    ch->subs[ch->nsubs++] = c;
}

/* Removes c from ch; frees ch (and unlinks it from reg) when it empties. */
static void chan_remove_sub(ht_t *reg, ps_chan_t *ch, client_t *c) {
    for (size_t i = 0; i < ch->nsubs; i++) {
        if (ch->subs[i] == c) {
            memmove(&ch->subs[i], &ch->subs[i + 1], (ch->nsubs - i - 1) * sizeof(client_t *));
            ch->nsubs--;
            break;
        }
    }
    if (ch->nsubs) return;
    ps_chan_t *gone = (ps_chan_t *)ht_remove(reg, ch->name, ch->len);
    (void)gone;
    xfree(ch->subs);
    xfree(ch);
}

/* ---- kinds: classic and shard channels ----------------------------------- */

typedef struct ps_kind {
    ht_t *registry;
    bool shard;
    const char *sub_msg, *unsub_msg; /* reply frame names */
    const char *msg;                 /* message frame name */
} ps_kind_t;

static const ps_kind_t kind_classic = {&channels, false, "subscribe", "unsubscribe", "message"};
static const ps_kind_t kind_shard = {&shard_channels, true, "ssubscribe", "sunsubscribe",
                                     "smessage"};

static ht_t **client_set(client_t *c, const ps_kind_t *k) {
    return k->shard ? &c->pubsub_shard_channels : &c->pubsub_channels;
}

static size_t set_count(const ht_t *set) { return set ? ht_count(set) : 0; }

/* The count a (un)subscribe reply of kind k carries (note 3). */
static long long kind_count(const client_t *c, const ps_kind_t *k) {
    if (k->shard) return (long long)set_count(c->pubsub_shard_channels);
    return (long long)set_count(c->pubsub_channels) + c->pubsub_npatterns;
}

size_t pubsub_client_count(const client_t *c) {
    return set_count(c->pubsub_channels) + set_count(c->pubsub_shard_channels) +
           (size_t)c->pubsub_npatterns;
}

static void update_flag(client_t *c) {
    if (pubsub_client_count(c) == 0) c->flags &= ~CLIENT_PUBSUB;
}

/* [kind, name, count]; name NULL -> nil. */
static void reply_sub_frame(client_t *c, const char *what, const char *name, size_t len,
                            long long count) {
    reply_push(c, 3);
    reply_bulk(c, what, strlen(what));
    if (name)
        reply_bulk(c, name, len);
    else
        reply_null(c);
    reply_int(c, count);
}

static void subscribe_channel(client_t *c, const ps_kind_t *k, const char *name, size_t len) {
    ht_t **setp = client_set(c, k);
    if (!*setp) {
        *setp = xmalloc(sizeof(ht_t));
        ht_init(*setp, &ref_type);
    }
    ht_pos_t pos;
    if (!ht_lookup(*setp, name, len, &pos)) {
        ps_chan_t *ch = chan_get_or_create(k->registry, name, len);
        chan_add_sub(ch, c);
        ps_ref_t *r = xmalloc(sizeof(*r));
        r->node.next = NULL;
        r->ch = ch;
        ht_insert_at(*setp, &pos, &r->node);
    }
    reply_sub_frame(c, k->sub_msg, name, len, kind_count(c, k));
}

static void free_set_if_empty(ht_t **setp) {
    if (*setp && ht_count(*setp) == 0) {
        ht_clear(*setp, NULL, NULL);
        xfree(*setp);
        *setp = NULL;
    }
}

/* Drops one membership; the set itself is left in place (callers free it). */
static void drop_ref(client_t *c, const ps_kind_t *k, ps_ref_t *r) {
    ht_t *set = *client_set(c, k);
    ht_remove(set, r->ch->name, r->ch->len);
    chan_remove_sub(k->registry, r->ch, c);
    xfree(r);
}

static void unsubscribe_channel(client_t *c, const ps_kind_t *k, const char *name, size_t len,
                                bool notify) {
    ht_t **setp = client_set(c, k);
    ps_ref_t *r = *setp ? (ps_ref_t *)ht_find(*setp, name, len) : NULL;
    if (r) {
        drop_ref(c, k, r);
        free_set_if_empty(setp);
    }
    /* Redis answers even for a channel the client was not subscribed to. */
    if (notify) reply_sub_frame(c, k->unsub_msg, name, len, kind_count(c, k));
}

/* Returns how many channels were dropped. */
static size_t unsubscribe_all_channels(client_t *c, const ps_kind_t *k, bool notify) {
    ht_t **setp = client_set(c, k);
    size_t n = 0;
    if (*setp) {
        ht_iter_t it;
        ht_iter_init(&it, *setp);
        ht_node_t *node;
        while ((node = ht_iter_next(&it)) != NULL) {
            ps_ref_t *r = (ps_ref_t *)node;
            ps_chan_t *ch = r->ch;
            /* Reply before the entry may be freed: the name lives in ch. */
            ht_remove(*setp, ch->name, ch->len);
            if (notify) reply_sub_frame(c, k->unsub_msg, ch->name, ch->len, kind_count(c, k));
            chan_remove_sub(k->registry, ch, c);
            xfree(r);
            n++;
        }
        ht_iter_done(&it);
        free_set_if_empty(setp);
    }
    if (notify && n == 0) reply_sub_frame(c, k->unsub_msg, NULL, 0, kind_count(c, k));
    return n;
}

/* ---- patterns ------------------------------------------------------------- */

/* Capacity rule for c->pubsub_patterns: for n > 0 entries the array holds at
 * least the next power of two >= n.  So growth is needed only when n is 0 or
 * a power of two (n = 4 -> room for 8; n = 5..7 fit already). */
static void patterns_reserve(client_t *c) {
    int n = c->pubsub_npatterns;
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? (size_t)n * 2 : 1;
        c->pubsub_patterns = xrealloc(c->pubsub_patterns, cap * sizeof(struct pubsub_pattern_ref));
    }
}

static int pattern_index(const client_t *c, const char *pat, size_t len) {
    for (int i = 0; i < c->pubsub_npatterns; i++) {
        const ps_chan_t *p = c->pubsub_patterns[i].pat;
        if (p->len == len && memcmp(p->name, pat, len) == 0) return i;
    }
    return -1;
}

static void psubscribe_pattern(client_t *c, const char *pat, size_t len) {
    if (pattern_index(c, pat, len) < 0) {
        ps_chan_t *p = chan_get_or_create(&patterns, pat, len);
        chan_add_sub(p, c);
        patterns_reserve(c);
        c->pubsub_patterns[c->pubsub_npatterns++].pat = p;
    }
    reply_sub_frame(c, "psubscribe", pat, len, kind_count(c, &kind_classic));
}

static void patterns_free_if_empty(client_t *c) {
    if (c->pubsub_npatterns == 0) {
        xfree(c->pubsub_patterns);
        c->pubsub_patterns = NULL;
    }
}

static void punsubscribe_pattern(client_t *c, const char *pat, size_t len, bool notify) {
    int i = pattern_index(c, pat, len);
    if (i >= 0) {
        ps_chan_t *p = c->pubsub_patterns[i].pat;
        memmove(&c->pubsub_patterns[i], &c->pubsub_patterns[i + 1],
                (size_t)(c->pubsub_npatterns - i - 1) * sizeof(struct pubsub_pattern_ref));
        c->pubsub_npatterns--;
        chan_remove_sub(&patterns, p, c);
        patterns_free_if_empty(c);
    }
    if (notify) reply_sub_frame(c, "punsubscribe", pat, len, kind_count(c, &kind_classic));
}

static size_t punsubscribe_all(client_t *c, bool notify) {
    int n = c->pubsub_npatterns;
    for (int i = 0; i < n; i++) {
        ps_chan_t *p = c->pubsub_patterns[i].pat;
        c->pubsub_npatterns = n - i - 1; /* the count the reply carries */
        if (notify)
            reply_sub_frame(c, "punsubscribe", p->name, p->len, kind_count(c, &kind_classic));
        chan_remove_sub(&patterns, p, c);
    }
    c->pubsub_npatterns = 0;
    patterns_free_if_empty(c);
    if (notify && n == 0) reply_sub_frame(c, "punsubscribe", NULL, 0, kind_count(c, &kind_classic));
    return (size_t)n;
}

void pubsub_unsubscribe_all(client_t *c, int notify) {
    /* With notify, one reply per dropped subscription and none for an empty kind. */
    if (c->pubsub_channels) unsubscribe_all_channels(c, &kind_classic, notify != 0);
    if (c->pubsub_shard_channels) unsubscribe_all_channels(c, &kind_shard, notify != 0);
    if (c->pubsub_npatterns) punsubscribe_all(c, notify != 0);
    c->flags &= ~CLIENT_PUBSUB;
}

static void on_client_free(client_t *c) { pubsub_unsubscribe_all(c, 0); }

size_t pubsub_total_channels(void) { return ht_count(&channels); }
size_t pubsub_total_patterns(void) { return ht_count(&patterns); }

/* ---- delivery ------------------------------------------------------------ */

/* Scratch for encoded frames; publishing never nests, so one suffices. */
static buf_t frame;

static void frame_bulk(const char *p, size_t n) {
    char hdr[32];
    hdr[0] = '$';
    size_t h = 1 + ll2str(hdr + 1, (long long)n);
    hdr[h++] = '\r';
    hdr[h++] = '\n';
    buf_append(&frame, hdr, h);
    buf_append(&frame, p, n);
    buf_append(&frame, "\r\n", 2);
}

/* Encodes [what, (pattern,) channel, msg] as a RESP2 array into `frame`. */
static void frame_build(const char *what, const ps_chan_t *pat, const char *ch, size_t clen,
                        const char *msg, size_t mlen) {
    buf_clear(&frame);
    buf_puts(&frame, pat ? "*4\r\n" : "*3\r\n");
    frame_bulk(what, strlen(what));
    if (pat) frame_bulk(pat->name, pat->len);
    frame_bulk(ch, clen);
    frame_bulk(msg, mlen);
}

static void frame_release(void) {
    if (frame.cap > 65536) buf_free(&frame);
}

static void deliver(client_t *c) {
    if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSING)) return;
    if (c->resp >= 3) {
        reply_raw(c, ">", 1);
        reply_raw(c, frame.p + 1, frame.len - 1);
    } else {
        reply_raw(c, frame.p, frame.len);
    }
}

static long long publish(const ps_kind_t *k, const char *channel, size_t clen, const char *msg,
                         size_t mlen) {
    long long receivers = 0;
    ps_chan_t *ch = (ps_chan_t *)ht_find(k->registry, channel, clen);
    if (ch) {
        frame_build(k->msg, NULL, channel, clen, msg, mlen);
        for (size_t i = 0; i < ch->nsubs; i++) deliver(ch->subs[i]);
        receivers += (long long)ch->nsubs;
    }
    if (!k->shard && ht_count(&patterns)) {
        ht_iter_t it;
        ht_iter_init(&it, &patterns);
        ht_node_t *n;
        while ((n = ht_iter_next(&it)) != NULL) {
            ps_chan_t *p = (ps_chan_t *)n;
            if (!glob_match(p->name, p->len, channel, clen, false)) continue;
            frame_build("pmessage", p, channel, clen, msg, mlen);
            for (size_t i = 0; i < p->nsubs; i++) deliver(p->subs[i]);
            receivers += (long long)p->nsubs;
        }
        ht_iter_done(&it);
    }
    frame_release();
    return receivers;
}

long long pubsub_publish(const char *channel, size_t clen, const char *msg, size_t mlen) {
    return publish(&kind_classic, channel, clen, msg, mlen);
}

long long pubsub_spublish(const char *channel, size_t clen, const char *msg, size_t mlen) {
    return publish(&kind_shard, channel, clen, msg, mlen);
}

/* ---- commands ------------------------------------------------------------- */

static void cmd_subscribe(client_t *c) {
    for (int j = 1; j < c->argc; j++)
        subscribe_channel(c, &kind_classic, c->argv[j], c->argvlen[j]);
    c->flags |= CLIENT_PUBSUB;
}

static void cmd_ssubscribe(client_t *c) {
    for (int j = 1; j < c->argc; j++) subscribe_channel(c, &kind_shard, c->argv[j], c->argvlen[j]);
    c->flags |= CLIENT_PUBSUB;
}

static void cmd_psubscribe(client_t *c) {
    for (int j = 1; j < c->argc; j++) psubscribe_pattern(c, c->argv[j], c->argvlen[j]);
    c->flags |= CLIENT_PUBSUB;
}

static void unsubscribe_cmd(client_t *c, const ps_kind_t *k) {
    if (c->argc == 1)
        unsubscribe_all_channels(c, k, true);
    else
        for (int j = 1; j < c->argc; j++)
            unsubscribe_channel(c, k, c->argv[j], c->argvlen[j], true);
    update_flag(c);
}

static void cmd_unsubscribe(client_t *c) { unsubscribe_cmd(c, &kind_classic); }
static void cmd_sunsubscribe(client_t *c) { unsubscribe_cmd(c, &kind_shard); }

static void cmd_punsubscribe(client_t *c) {
    if (c->argc == 1)
        punsubscribe_all(c, true);
    else
        for (int j = 1; j < c->argc; j++) punsubscribe_pattern(c, c->argv[j], c->argvlen[j], true);
    update_flag(c);
}

static void cmd_publish(client_t *c) {
    reply_int(c, pubsub_publish(c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2]));
    /* Replicas deliver it to their own subscribers too (never the AOF). */
    propagate_force(c, PROP_REPL);
}

static void cmd_spublish(client_t *c) {
    reply_int(c, pubsub_spublish(c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2]));
}

static void channel_list(client_t *c, ht_t *reg) {
    if (c->argc > 3) {
        reply_error_subcommand_syntax(c);
        return;
    }
    const char *pat = c->argc == 3 ? c->argv[2] : NULL;
    size_t plen = c->argc == 3 ? c->argvlen[2] : 0;
    void *len = reply_defer_len(c);
    long long n = 0;
    ht_iter_t it;
    ht_iter_init(&it, reg);
    ht_node_t *node;
    while ((node = ht_iter_next(&it)) != NULL) {
        ps_chan_t *ch = (ps_chan_t *)node;
        if (pat && !glob_match(pat, plen, ch->name, ch->len, false)) continue;
        reply_bulk(c, ch->name, ch->len);
        n++;
    }
    ht_iter_done(&it);
    reply_set_deferred_array(c, len, n);
}

static void numsub(client_t *c, ht_t *reg) {
    reply_array(c, (long long)(c->argc - 2) * 2);
    for (int j = 2; j < c->argc; j++) {
        ps_chan_t *ch = (ps_chan_t *)ht_find(reg, c->argv[j], c->argvlen[j]);
        reply_bulk(c, c->argv[j], c->argvlen[j]);
        reply_int(c, ch ? (long long)ch->nsubs : 0);
    }
}

static void cmd_pubsub_channels(client_t *c) { channel_list(c, &channels); }
static void cmd_pubsub_shardchannels(client_t *c) { channel_list(c, &shard_channels); }
static void cmd_pubsub_numsub(client_t *c) { numsub(c, &channels); }
static void cmd_pubsub_shardnumsub(client_t *c) { numsub(c, &shard_channels); }
static void cmd_pubsub_numpat(client_t *c) { reply_int(c, (long long)ht_count(&patterns)); }

static void cmd_pubsub_help(client_t *c) {
    static const char *const lines[] = {
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    };
    reply_lines(c, lines, sizeof(lines) / sizeof(lines[0]));
}

/* SSUBSCRIBE/SUNSUBSCRIBE: every argument is a shard channel (not a key). */
static const key_spec_t ks_shard_channels[] = {
    {.flags = KS_NOT_KEY, .bs_index = 1, .fk_lastkey = -1, .fk_step = 1, .fk_limit = 0},
};
/* SPUBLISH: argument 1 only. */
static const key_spec_t ks_spublish[] = {
    {.flags = KS_NOT_KEY, .bs_index = 1, .fk_lastkey = 0, .fk_step = 1, .fk_limit = 0},
};

#define PS_FLAGS (CMD_PUBSUB | CMD_LOADING | CMD_STALE)

static command_t pubsub_subcommands[] = {
    {.name = "channels",
     .proc = cmd_pubsub_channels,
     .arity = -2,
     .flags = PS_FLAGS,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .group = "pubsub",
     .since = "2.8.0",
     .summary = "List active channels",
     .complexity =
         "O(N) where N is the number of active channels, and assuming constant time pattern "
         "matching (relatively short channels and patterns)"},
    {.name = "numpat",
     .proc = cmd_pubsub_numpat,
     .arity = 2,
     .flags = PS_FLAGS,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .group = "pubsub",
     .since = "2.8.0",
     .summary = "Get the count of unique patterns pattern subscriptions",
     .complexity = "O(1)"},
    {.name = "numsub",
     .proc = cmd_pubsub_numsub,
     .arity = -2,
     .flags = PS_FLAGS,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .group = "pubsub",
     .since = "2.8.0",
     .summary = "Get the count of subscribers for channels",
     .complexity = "O(N) for the NUMSUB subcommand, where N is the number of requested channels"},
    {.name = "shardchannels",
     .proc = cmd_pubsub_shardchannels,
     .arity = -2,
     .flags = PS_FLAGS,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .group = "pubsub",
     .since = "7.0.0",
     .summary = "List active shard channels",
     .complexity =
         "O(N) where N is the number of active shard channels, and assuming constant time "
         "pattern matching (relatively short shard channels)."},
    {.name = "shardnumsub",
     .proc = cmd_pubsub_shardnumsub,
     .arity = -2,
     .flags = PS_FLAGS,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .group = "pubsub",
     .since = "7.0.0",
     .summary = "Get the count of subscribers for shard channels",
     .complexity =
         "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"},
    {.name = "help",
     .proc = cmd_pubsub_help,
     .arity = 2,
     .flags = CMD_LOADING | CMD_STALE,
     .acl = ACL_SLOW,
     .group = "pubsub",
     .since = "6.2.0",
     .summary = "Show helpful text about the different subcommands",
     .complexity = "O(1)"},
    {.name = NULL},
};

static command_t pubsub_commands[] = {
    {.name = "subscribe",
     .proc = cmd_subscribe,
     .arity = -2,
     .flags = PS_FLAGS | CMD_NOSCRIPT | CMD_SENTINEL,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .group = "pubsub",
     .since = "2.0.0",
     .summary = "Listen for messages published to the given channels",
     .complexity = "O(N) where N is the number of channels to subscribe to."},
    {.name = "unsubscribe",
     .proc = cmd_unsubscribe,
     .arity = -1,
     .flags = PS_FLAGS | CMD_NOSCRIPT | CMD_SENTINEL,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .group = "pubsub",
     .since = "2.0.0",
     .summary = "Stop listening for messages posted to the given channels",
     .complexity = "O(N) where N is the number of clients already subscribed to a channel."},
    {.name = "psubscribe",
     .proc = cmd_psubscribe,
     .arity = -2,
     .flags = PS_FLAGS | CMD_NOSCRIPT | CMD_SENTINEL,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .group = "pubsub",
     .since = "2.0.0",
     .summary = "Listen for messages published to channels matching the given patterns",
     .complexity = "O(N) where N is the number of patterns the client is already subscribed to."},
    {.name = "punsubscribe",
     .proc = cmd_punsubscribe,
     .arity = -1,
     .flags = PS_FLAGS | CMD_NOSCRIPT | CMD_SENTINEL,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .group = "pubsub",
     .since = "2.0.0",
     .summary = "Stop listening for messages posted to channels matching the given patterns",
     .complexity =
         "O(N+M) where N is the number of patterns the client is already subscribed and M is "
         "the number of total patterns subscribed in the system (by any client)."},
    {.name = "publish",
     .proc = cmd_publish,
     .arity = 3,
     .flags = PS_FLAGS | CMD_FAST | CMD_MAY_REPLICATE | CMD_SENTINEL,
     .acl = ACL_PUBSUB | ACL_FAST,
     .group = "pubsub",
     .since = "2.0.0",
     .summary = "Post a message to a channel",
     .complexity =
         "O(N+M) where N is the number of clients subscribed to the receiving channel and M "
         "is the total number of subscribed patterns (by any client)."},
    {.name = "ssubscribe",
     .proc = cmd_ssubscribe,
     .arity = -2,
     .flags = PS_FLAGS | CMD_NOSCRIPT,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .first_key = 1,
     .last_key = -1,
     .key_step = 1,
     .key_specs = ks_shard_channels,
     .key_specs_count = 1,
     .group = "pubsub",
     .since = "7.0.0",
     .summary = "Listen for messages published to the given shard channels",
     .complexity = "O(N) where N is the number of shard channels to subscribe to."},
    {.name = "sunsubscribe",
     .proc = cmd_sunsubscribe,
     .arity = -1,
     .flags = PS_FLAGS | CMD_NOSCRIPT,
     .acl = ACL_PUBSUB | ACL_SLOW,
     .first_key = 1,
     .last_key = -1,
     .key_step = 1,
     .key_specs = ks_shard_channels,
     .key_specs_count = 1,
     .group = "pubsub",
     .since = "7.0.0",
     .summary = "Stop listening for messages posted to the given shard channels",
     .complexity = "O(N) where N is the number of clients already subscribed to a shard channel."},
    {.name = "spublish",
     .proc = cmd_spublish,
     .arity = 3,
     .flags = PS_FLAGS | CMD_FAST | CMD_MAY_REPLICATE,
     .acl = ACL_PUBSUB | ACL_FAST,
     .first_key = 1,
     .last_key = 1,
     .key_step = 1,
     .key_specs = ks_spublish,
     .key_specs_count = 1,
     .group = "pubsub",
     .since = "7.0.0",
     .summary = "Post a message to a shard channel",
     .complexity =
         "O(N) where N is the number of clients subscribed to the receiving shard channel."},
    {.name = "pubsub",
     .proc = NULL,
     .arity = -2,
     .acl = ACL_SLOW,
     .group = "pubsub",
     .since = "2.8.0",
     .summary = "A container for Pub/Sub commands",
     .complexity = "Depends on subcommand.",
     .subcommands = pubsub_subcommands},
    {.name = NULL},
};

void pubsub_init(void) {
    if (!channels.type) {
        ht_init(&channels, &chan_type);
        ht_init(&shard_channels, &chan_type);
        ht_init(&patterns, &chan_type);
    }
    client_on_free(on_client_free);
    command_register(pubsub_commands);
}
