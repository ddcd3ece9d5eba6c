/* maxmemory eviction (evict.c): see db.h for the LRU/LFU helpers. */
#ifndef KEEL_EVICT_H
#define KEEL_EVICT_H

#include <stdbool.h>
#include <stddef.h>

/* Evicts per maxmemory-policy; true if memory is still above maxmemory. */
bool evict_perform(void);
size_t evict_memory_used(void);

#endif
