/* Time sources.  The loop reads the clock once per turn into server.now_ms /
 * now_us (see server.h); these functions read the kernel directly. */
#ifndef KEEL_CLOCK_H
#define KEEL_CLOCK_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

static inline int64_t clock_unix_us(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}
static inline int64_t clock_unix_ms(void) { return clock_unix_us() / 1000; }

static inline int64_t clock_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
static inline int64_t clock_mono_ms(void) { return clock_mono_us() / 1000; }

#endif
