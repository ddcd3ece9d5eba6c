/* LRU/LFU clocks and maxmemory eviction.
 *
 * Design notes:
 *  1. kv->lru holds, per maxmemory-policy, either the LRU clock (seconds,
 *     24 bits, wraps every 194 days) or LFU data: 16 bits of minutes since
 *     the epoch (mod 2^16) and an 8-bit logarithmic counter (Redis's scheme:
 *     LFU_INIT_VAL 5, increment with probability 1/((counter-5)*factor+1),
 *     decay one step per lfu-decay-time minutes).
 *  2. Eviction samples maxmemory-samples keys per db into a pool of 16 best
 *     candidates (highest idle time, lowest LFU, soonest TTL), evicts the
 *     best, and repeats until under the limit or the time budget (tenacity)
 *     runs out, as Redis's performEvictions does.
 */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "propagate.h"
#include "stats.h"

#define LFU_INIT_VAL 5
#define EVPOOL_SIZE 16

static inline bool policy_is_lfu(void) {
    return server.cfg.maxmemory_policy == MAXMEMORY_ALLKEYS_LFU ||
           server.cfg.maxmemory_policy == MAXMEMORY_VOLATILE_LFU;
}

static inline uint32_t lfu_minutes(void) { return (uint32_t)((server.now_ms / 60000) & 65535); }

static uint32_t lfu_elapsed(uint32_t ldt) {
    uint32_t now = lfu_minutes();
    return now >= ldt ? now - ldt : 65535 - ldt + now;
}

static uint8_t lfu_decr(const kv_t *kv) {
    uint32_t ldt = kv->lru >> 8;
    uint8_t counter = kv->lru & 255;
    uint32_t periods = server.cfg.lfu_decay_time ? lfu_elapsed(ldt) / (uint32_t)server.cfg.lfu_decay_time : 0;
    if (periods) counter = periods > counter ? 0 : (uint8_t)(counter - periods);
    return counter;
}

static uint8_t lfu_incr(uint8_t counter) {
    if (counter == 255) return 255;
    double r = (double)(server_rand() >> 11) / (double)(1ULL << 53);
    double base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
    double p = 1.0 / (base * server.cfg.lfu_log_factor + 1);
    return r < p ? (uint8_t)(counter + 1) : counter;
}

void kv_touch(kv_t *kv) {
    if (policy_is_lfu()) {
        uint8_t counter = kv->lru == 0 ? LFU_INIT_VAL : lfu_decr(kv);
        counter = lfu_incr(counter);
        kv->lru = (lfu_minutes() << 8) | counter;
    } else {
        kv->lru = server.lru_clock;
    }
}

void kv_init_lru(kv_t *kv) {
    kv->lru = policy_is_lfu() ? (lfu_minutes() << 8) | LFU_INIT_VAL : server.lru_clock;
}

void kv_inherit_lru(kv_t *kv, const kv_t *old) {
    /* Overwriting keeps the access frequency under LFU (Redis's dbOverwrite);
     * under LRU the value is new, so it is "just used". */
    kv->lru = policy_is_lfu() ? old->lru : server.lru_clock;
}

uint8_t kv_lfu_counter(const kv_t *kv) { return lfu_decr(kv); }

long long kv_idle_ms(const kv_t *kv) {
    uint32_t now = server.lru_clock;
    uint32_t l = kv->lru & LRU_CLOCK_MAX;
    uint32_t d = now >= l ? now - l : (LRU_CLOCK_MAX - l) + now;
    return (long long)d * LRU_CLOCK_RES_MS;
}

/* ---- eviction ----------------------------------------------------------- */

typedef struct evcand {
    unsigned long long score; /* higher = better candidate */
    int dbid;
    size_t klen;
    char key[64];             /* short keys copied here; longer via heap */
    char *heap_key;
} evcand_t;

static evcand_t pool[EVPOOL_SIZE];
static int pool_n;

static unsigned long long score_of(const kv_t *kv) {
    switch (server.cfg.maxmemory_policy) {
    case MAXMEMORY_ALLKEYS_LFU:
    case MAXMEMORY_VOLATILE_LFU:
        return 255 - lfu_decr(kv);
    case MAXMEMORY_VOLATILE_TTL:
        return kv->has_exp ? (unsigned long long)(INT64_MAX - kv_exp(kv)->at_ms) : 0;
    default:
        return (unsigned long long)kv_idle_ms(kv);
    }
}

static void pool_clear_slot(evcand_t *e) {
    xfree(e->heap_key);
    e->heap_key = NULL;
}

static void pool_insert(const kv_t *kv, int dbid) {
    unsigned long long s = score_of(kv);
    /* pool is sorted ascending by score; keep the EVPOOL_SIZE best. */
    int i = 0;
    while (i < pool_n && pool[i].score < s) i++;
    if (pool_n == EVPOOL_SIZE) {
        if (i == 0) return;
        pool_clear_slot(&pool[0]);
        memmove(&pool[0], &pool[1], sizeof(evcand_t) * (size_t)(i - 1));
        i--;
    } else {
        memmove(&pool[i + 1], &pool[i], sizeof(evcand_t) * (size_t)(pool_n - i));
        pool_n++;
    }
    evcand_t *e = &pool[i];
    e->score = s;
    e->dbid = dbid;
    e->klen = kv->klen;
    e->heap_key = NULL;
    if (kv->klen <= sizeof(e->key))
        memcpy(e->key, kv_key(kv), kv->klen);
    else
        e->heap_key = xmemdup(kv_key(kv), kv->klen);
}

static bool policy_volatile(void) {
    int p = server.cfg.maxmemory_policy;
    return p == MAXMEMORY_VOLATILE_LRU || p == MAXMEMORY_VOLATILE_LFU || p == MAXMEMORY_VOLATILE_RANDOM ||
           p == MAXMEMORY_VOLATILE_TTL;
}

static void populate(db_t *db) {
    int n = server.cfg.maxmemory_samples;
    if (n > 64) n = 64;
    if (policy_volatile()) {
        for (int i = 0; i < n && db->nvol; i++) pool_insert(db->vol[server_rand() % db->nvol], db->id);
    } else {
        ht_node_t *sample[64];
        size_t got = ht_sample(&db->keys, sample, (size_t)n, server_rand);
        for (size_t i = 0; i < got; i++) pool_insert((kv_t *)sample[i], db->id);
    }
}

/* Picks one key to evict; copies its key into out (caller frees if heap). */
static bool pick(int *dbid, char **key, size_t *klen, char *stack) {
    int p = server.cfg.maxmemory_policy;
    if (p == MAXMEMORY_ALLKEYS_RANDOM || p == MAXMEMORY_VOLATILE_RANDOM) {
        for (int tries = 0; tries < ks.ndbs; tries++) {
            static int next_db;
            db_t *db = &ks.dbs[next_db++ % ks.ndbs];
            kv_t *kv = NULL;
            if (p == MAXMEMORY_VOLATILE_RANDOM) {
                if (db->nvol) kv = db->vol[server_rand() % db->nvol];
            } else {
                kv = (kv_t *)ht_random(&db->keys, server_rand);
            }
            if (kv) {
                *dbid = db->id;
                *klen = kv->klen;
                *key = kv->klen <= 64 ? stack : xmalloc(kv->klen);
                memcpy(*key, kv_key(kv), kv->klen);
                return true;
            }
        }
        return false;
    }
    for (int round = 0; round < 4; round++) {
        bool any = false;
        for (int i = 0; i < ks.ndbs; i++) {
            db_t *db = &ks.dbs[i];
            if (policy_volatile() ? db->nvol == 0 : db_size(db) == 0) continue;
            any = true;
            populate(db);
        }
        if (!any) return false;
        /* Best candidates are at the end; skip ones that vanished. */
        while (pool_n) {
            evcand_t *e = &pool[--pool_n];
            const char *k = e->heap_key ? e->heap_key : e->key;
            kv_t *kv = db_peek(&ks.dbs[e->dbid], k, e->klen);
            if (kv && (!policy_volatile() || kv->has_exp)) {
                *dbid = e->dbid;
                *klen = e->klen;
                if (e->heap_key) {
                    *key = e->heap_key;
                    e->heap_key = NULL;
                } else {
                    *key = stack;
                    memcpy(stack, e->key, e->klen);
                }
                return true;
            }
            pool_clear_slot(e);
        }
    }
    return false;
}

size_t evict_memory_used(void) {
    /* Replica output buffers and the backlog are excluded (DESIGN.md §5);
     * those arrive with replication, which subtracts them here. */
    return alloc_used_memory();
}

/* Returns true if memory is still above maxmemory after trying to evict. */
bool evict_perform(void) {
    if (!server.cfg.maxmemory) return false;
    size_t used = evict_memory_used();
    if (used <= server.cfg.maxmemory) return false;
    if (server.cfg.maxmemory_policy == MAXMEMORY_NOEVICTION) return true;
    int64_t start = clock_mono_us();
    int tenacity = server.cfg.maxmemory_eviction_tenacity;
    int64_t budget_us = tenacity <= 10 ? 500LL * tenacity : 500LL * 10 * (1LL << (tenacity - 10));
    if (budget_us < 50) budget_us = 50;
    while (evict_memory_used() > server.cfg.maxmemory) {
        char stack[64];
        char *key;
        size_t klen;
        int dbid;
        if (!pick(&dbid, &key, &klen, stack)) break;
        db_t *db = &ks.dbs[dbid];
        db_delete(db, key, klen);
        propagate_del(dbid, key, klen, server.cfg.lazyfree_lazy_eviction);
        server.stat_evictedkeys++;
        db_signal_modified(db, key, klen);
        db_notify(NOTIFY_EVICTED, "evicted", key, klen, dbid);
        if (key != stack) xfree(key);
        if (clock_mono_us() - start > budget_us) break;
    }
    int64_t dur = clock_mono_us() - start;
    server.stat_total_eviction_exceeded_time_ms += dur / 1000;
    if (dur > 1000) stats_latency_event("eviction-cycle", dur / 1000);
    return evict_memory_used() > server.cfg.maxmemory;
}
