/* node/data start-up: databases, command registration, hooks. */
#include "data.h"

#include "aof.h"
#include "db.h"
#include "evict.h"
#include "save.h"

void t_string_init(void);
void keys_init(void);
void multi_init(void);
void debug_init(void);
void dump_init(void);

static void *db_for_index(int index) { return db_get(index); }

static void expire_slow(void) {
    db_active_expire_cycle(false);
    /* Incremental rehash of the key tables: 1 ms per tick, as activerehashing. */
    if (server.cfg.activerehashing) {
        for (int i = 0; i < ks.ndbs; i++) {
            db_t *db = &ks.dbs[i];
            if (ht_is_rehashing(&db->keys)) {
                ht_rehash_ms(&db->keys, 1);
                break;
            }
            ht_maybe_shrink(&db->keys);
        }
    }
}

static void expire_fast(void) { db_active_expire_cycle(true); }

static bool is_oom(void) { return evict_perform(); }

void data_init(void) {
    db_init_all(server.cfg.databases);
    server.db_for_index = db_for_index;
    command_hooks.is_oom = is_oom;
    t_string_init();
    keys_init();
    multi_init();
    debug_init();
    dump_init();
    server_on_cron(expire_slow);
    server_on_before_poll(expire_fast);
    save_init();
    /* Last: its before-poll hook must run after every hook that can produce
     * replies, so with appendfsync always a write is on disk before its reply. */
    aof_init();
}
