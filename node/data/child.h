/* Forked children: one background child at a time (BGSAVE, AOF rewrite, a
 * diskless full sync), as Redis runs them.
 *
 * Owns: the child's pid and type, the SIGCHLD watcher (a uv_signal_t), the
 * child -> parent info pipe (progress and copy-on-write size), and the
 * process-wide resize ban on hash tables while a child shares pages.
 * Called by: save.c (BGSAVE), aof.c (BGREWRITEAOF), replication (full sync).
 *
 * In the child: the loop is never touched; fn runs and the child _exit()s
 * with fn's return value (0 = success).  Before exiting it reports its
 * copy-on-write size (Private_Dirty from /proc/self/smaps) on the pipe.
 */
#ifndef KEEL_CHILD_H
#define KEEL_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { CHILD_NONE = 0, CHILD_RDB = 1, CHILD_AOF = 2, CHILD_REPL = 3 };

typedef struct child_result {
    int type;
    int exitcode;       /* fn's return value, or -1 if killed */
    int signal;         /* terminating signal, 0 if exited */
    size_t cow_bytes;   /* copy-on-write reported by the child */
    int64_t duration_ms;
} child_result_t;

/* Forks a child that runs fn(ud).  done(result, ud) runs in the parent, on
 * the loop, after the child is reaped.  Returns the pid, or -errno (e.g.
 * another child is running: -EBUSY). */
pid_t child_start(int type, int (*fn)(void *ud), void (*done)(const child_result_t *r, void *ud),
                  void *ud);
bool child_active(void);
int child_type(void);
pid_t child_pid(void);
/* Kills the running child (SIGUSR1, so it is not reported as an error),
 * waits for it and does not call its done callback. */
void child_kill(void);
/* In the child: progress for INFO (keys processed so far, total). */
void child_report_progress(size_t done, size_t total);
/* In the parent: the last progress the child reported. */
void child_progress(size_t *done, size_t *total);
/* In the parent: the running child's copy-on-write figures (INFO
 * current_cow_size / current_cow_peak / current_cow_size_age): the last
 * reading, the largest, and when it was taken (monotonic us, 0 = none yet).
 * All 0 when no child runs. */
void child_cow(size_t *current, size_t *peak, int64_t *updated_us);
/* Last fork duration (INFO latest_fork_usec) and total forks. */
long long child_latest_fork_usec(void);
long long child_total_forks(void);

#endif
