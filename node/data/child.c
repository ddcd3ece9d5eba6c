/* Forked children (child.h): fork, reap, progress and copy-on-write reports.
 *
 * Design notes:
 *  1. One child at a time.  Its parent-side state is a heap child_run_t that
 *     owns a uv_poll_t on the read end of the info pipe; the struct is freed
 *     in the poll's close callback, never while a callback may be on the
 *     stack, so a done callback may start the next child at once.
 *  2. Reaping: a uv_signal_t on SIGCHLD (unref'd, so it never keeps the loop
 *     alive) calls waitpid(pid, WNOHANG) for our pid only; other children of
 *     the process are none of our business.  Before the done callback runs,
 *     the pipe is drained, so the child's last report (its final CoW size) is
 *     never lost to the ordering of SIGCHLD and pipe readiness.
 *  3. The child never touches the loop.  Right after fork it resets every
 *     signal libuv handles to SIG_DFL: libuv's handler writes into the loop's
 *     signal pipe, which the child shares with the parent, so a SIGTERM sent
 *     to the child would otherwise be seen by the parent as its own.  libuv's
 *     handlers are recognised as "the handler SIGCHLD has", since we started
 *     the SIGCHLD watcher before the first fork.  It also closes its copies
 *     of the listening sockets, so a child outliving a crashed parent does not
 *     keep the port bound.  Then it runs fn and _exit()s: no atexit handlers,
 *     no stdio flush of the parent's buffers.
 *  4. SIGUSR1 is the "stop, this is not an error" signal (Redis's
 *     convention): child_kill() sends it and waits, and the done callback is
 *     not called; a SIGUSR1 from elsewhere is reported with signal = SIGUSR1
 *     and the owner decides it is no error.
 *  5. Pipe messages are fixed 40-byte records written with one write() each
 *     (atomic below PIPE_BUF).  The write end is non-blocking: a report that
 *     does not fit is dropped rather than stalling the save.  Progress is
 *     sent at most every 100 ms; the CoW reading (a walk of
 *     /proc/self/smaps_rollup, or smaps) is taken again only after 100 times
 *     the duration of the previous reading, as Redis throttles it, so a 2 ms
 *     reading happens at most every 200 ms.
 *  6. While a child runs, hash tables do not resize (ht_set_resize_allowed):
 *     a rehash would write every bucket page and copy them all.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 */
#endif
#include "child.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "alloc.h"
#include "clock.h"
#include "ht.h"
#include "log.h"
#include "process.h"
#include "server.h"

#define CHILD_MSG_MAGIC 0x4b43484cu /* "KCHL" */
#define PROGRESS_INTERVAL_US 100000 /* at most one progress report per 100 ms */
#define COW_DUTY_CYCLE 100          /* next CoW reading after 100x its cost */

enum { MSG_PROGRESS = 1, MSG_FINAL = 2 };

typedef struct child_msg {
    uint32_t magic;
    uint32_t kind;        /* MSG_* */
    uint64_t done, total; /* keys processed / to process */
    uint64_t cow;         /* Private_Dirty bytes at cow_at_us */
    int64_t cow_at_us;    /* monotonic (CLOCK_MONOTONIC is system-wide) */
} child_msg_t;
static_assert(sizeof(child_msg_t) == 40, "pipe record");
static_assert(sizeof(child_msg_t) <= PIPE_BUF, "one write() per record is atomic");

typedef struct child_run {
    uv_poll_t poll; /* readable on rfd */
    pid_t pid;
    int type; /* CHILD_* */
    int rfd;  /* read end of the info pipe, closed in the close callback */
    bool polling;
    void (*done)(const child_result_t *r, void *ud);
    void *ud;
    int64_t start_us; /* monotonic, just before fork */
    size_t keys_done, keys_total;
    size_t cow, cow_peak; /* bytes */
    int64_t cow_at_us;    /* monotonic, 0 = no reading yet */
    unsigned char rbuf[sizeof(child_msg_t)];
    size_t rlen; /* bytes of a partial record in rbuf */
} child_run_t;

static struct {
    child_run_t *run; /* the running child; NULL when none */
    uv_signal_t sigchld;
    bool sigchld_ready;
    long long latest_fork_usec, total_forks;
    /* in the child only */
    int wfd;                  /* write end of the info pipe; -1 in the parent */
    int type;                 /* CHILD_* of this child */
    int64_t last_progress_us; /* monotonic, last progress report sent */
    int64_t cow_next_us;      /* monotonic, earliest next CoW reading */
    int64_t cow_at_us;        /* monotonic, when `cow` was read */
    size_t cow, cow_peak;     /* bytes: last reading, largest reading */
    unsigned long long cow_sum;
    unsigned long cow_readings;
} C = {.wfd = -1};

static const char *type_name(int type) {
    switch (type) {
    case CHILD_AOF:
        return "AOF rewrite";
    case CHILD_RDB:
    case CHILD_REPL:
        return "RDB";
    default:
        return "child";
    }
}

/* ---- copy-on-write reading (child side) ---------------------------------- */

/* Sum of the Private_Dirty lines of one smaps-format file, in bytes; -1 when
 * the file cannot be read. */
static long long smaps_private_dirty(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    long long total = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "Private_Dirty:", 14) == 0) total += strtoll(line + 14, NULL, 10) * 1024;
    }
    fclose(f);
    return total;
}

static size_t read_cow_bytes(void) {
    long long v = smaps_private_dirty("/proc/self/smaps_rollup"); /* Linux >= 4.14: one summary */
    if (v < 0) v = smaps_private_dirty("/proc/self/smaps");
    return v < 0 ? 0 : (size_t)v;
}

/* Takes a CoW reading when `final` or when the duty cycle allows (note 5). */
static void child_update_cow(bool final) {
    int64_t before = clock_mono_us();
    if (!final && C.cow_readings && before < C.cow_next_us) return;
    C.cow = read_cow_bytes();
    C.cow_at_us = clock_mono_us();
    C.cow_next_us = C.cow_at_us + (C.cow_at_us - before) * COW_DUTY_CYCLE;
    if (C.cow > C.cow_peak) C.cow_peak = C.cow;
    C.cow_sum += C.cow;
    C.cow_readings++;
    if (C.cow || final)
        log_msg(final ? LL_NOTICE : LL_VERBOSE,
                "Fork CoW for %s: current %zu MB, peak %zu MB, average %llu MB", type_name(C.type),
                C.cow >> 20, C.cow_peak >> 20, (C.cow_sum / C.cow_readings) >> 20);
}

static void child_send(uint32_t kind, size_t done, size_t total) {
    child_msg_t m;
    memset(&m, 0, sizeof(m));
    m.magic = CHILD_MSG_MAGIC;
    m.kind = kind;
    m.done = done;
    m.total = total;
    m.cow = C.cow;
    m.cow_at_us = C.cow_at_us;
    ssize_t w;
    do {
        w = write(C.wfd, &m, sizeof(m));
    } while (w < 0 && errno == EINTR);
    /* EAGAIN: the parent is behind; dropping a report is harmless (note 5). */
}

void child_report_progress(size_t done, size_t total) {
    if (C.wfd < 0) return; /* not in a child */
    int64_t now = clock_mono_us();
    if (C.last_progress_us && now - C.last_progress_us < PROGRESS_INTERVAL_US) return;
    C.last_progress_us = now;
    child_update_cow(false);
    child_send(MSG_PROGRESS, done, total);
}

/* ---- the child process ---------------------------------------------------- */

/* Runs in the child right after fork: see note 3. */
static void child_setup(int type, int rfd, int wfd) {
    C.type = type;
    struct sigaction uv_sa;
    sigaction(SIGCHLD, NULL, &uv_sa);
    for (int s = 1; s < NSIG; s++) {
        struct sigaction sa;
        if (s == SIGKILL || s == SIGSTOP || sigaction(s, NULL, &sa) != 0) continue;
        if ((sa.sa_flags & SA_SIGINFO) == (uv_sa.sa_flags & SA_SIGINFO) &&
            sa.sa_handler == uv_sa.sa_handler && sa.sa_handler != SIG_DFL &&
            sa.sa_handler != SIG_IGN)
            signal(s, SIG_DFL);
    }
    signal(SIGCHLD, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    log_set_role('C');
    for (int i = 0; i < server.nlisteners; i++) {
        uv_os_fd_t fd;
        if (uv_fileno(&server.listeners[i].io.handle, &fd) == 0) close(fd);
    }
    close(rfd);
    int fl = fcntl(wfd, F_GETFL);
    if (fl >= 0) fcntl(wfd, F_SETFL, fl | O_NONBLOCK);
    C.wfd = wfd;
    process_set_oom_score(server.cfg.oom_score_adj, server.cfg.oom_score_adj_values, 2);
}

static void child_main(int (*fn)(void *ud), void *ud) {
    int code = fn(ud);
    if (code == 0) child_update_cow(true); /* what the whole run cost; logged like Redis */
    child_send(MSG_FINAL, 0, 0);
    close(C.wfd);
    _exit(code < 0 ? 1 : code > 255 ? 255 : code);
}

/* ---- parent side ---------------------------------------------------------- */

static void apply_msg(child_run_t *r, const child_msg_t *m) {
    if (m->magic != CHILD_MSG_MAGIC) return;
    if (m->cow > r->cow_peak) r->cow_peak = (size_t)m->cow;
    if (m->kind == MSG_PROGRESS) {
        r->keys_done = (size_t)m->done;
        r->keys_total = (size_t)m->total;
        r->cow = (size_t)m->cow;
        r->cow_at_us = m->cow_at_us;
    } else if (m->kind == MSG_FINAL) {
        r->cow = (size_t)m->cow;
        r->cow_at_us = m->cow_at_us;
    }
}

/* Reads every record available; returns false at EOF or on a hard error. */
static bool drain_pipe(child_run_t *r) {
    for (;;) {
        ssize_t n = read(r->rfd, r->rbuf + r->rlen, sizeof(r->rbuf) - r->rlen);
        if (n > 0) {
            r->rlen += (size_t)n;
            if (r->rlen == sizeof(r->rbuf)) {
                child_msg_t m;
                memcpy(&m, r->rbuf, sizeof(m));
                apply_msg(r, &m);
                r->rlen = 0;
            }
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        return false; /* 0 = EOF: the child closed its end or exited */
    }
}

static void on_poll_close(uv_handle_t *h) {
    child_run_t *r = h->data;
    close(r->rfd);
    xfree(r);
}

static void run_release(child_run_t *r) {
    if (C.run == r) C.run = NULL;
    ht_set_resize_allowed(true);
    uv_close((uv_handle_t *)&r->poll, on_poll_close);
}

static void on_pipe_readable(uv_poll_t *h, int status, int events) {
    child_run_t *r = h->data;
    if (status < 0 || !drain_pipe(r)) {
        /* EOF stays readable forever: stop watching; SIGCHLD does the rest. */
        if (r->polling) uv_poll_stop(&r->poll);
        r->polling = false;
    }
}

static void reap(child_run_t *r, int status) {
    drain_pipe(r);
    child_result_t res;
    memset(&res, 0, sizeof(res));
    res.type = r->type;
    if (WIFEXITED(status)) {
        res.exitcode = WEXITSTATUS(status);
        res.signal = 0;
    } else {
        res.exitcode = -1;
        res.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    res.cow_bytes = r->cow_peak > r->cow ? r->cow_peak : r->cow;
    res.duration_ms = (clock_mono_us() - r->start_us) / 1000;
    void (*done)(const child_result_t *, void *) = r->done;
    void *ud = r->ud;
    run_release(r); /* before done: it may start the next child */
    if (done) done(&res, ud);
}

static void on_sigchld(uv_signal_t *h, int signum) {
    child_run_t *r = C.run;
    if (!r) return;
    int status = 0;
    pid_t p;
    do {
        p = waitpid(r->pid, &status, WNOHANG);
    } while (p < 0 && errno == EINTR);
    if (p == 0) return; /* still running: the SIGCHLD was about someone else */
    if (p < 0) {
        log_warning("waitpid() returned an error: %s. child_pid = %ld", strerror(errno),
                    (long)r->pid);
        status = 0xff00; /* reported as exit code 255 */
    }
    reap(r, status);
}

static uv_loop_t *child_loop(void) { return server.loop ? server.loop : uv_default_loop(); }

static int ensure_sigchld(void) {
    if (C.sigchld_ready) return 0;
    int rc = uv_signal_init(child_loop(), &C.sigchld);
    if (rc == 0) rc = uv_signal_start(&C.sigchld, on_sigchld, SIGCHLD);
    if (rc != 0) return rc;
    uv_unref((uv_handle_t *)&C.sigchld);
    C.sigchld_ready = true;
    return 0;
}

pid_t child_start(int type, int (*fn)(void *ud), void (*done)(const child_result_t *r, void *ud),
                  void *ud) {
    if (C.run) return -EBUSY;
    int rc = ensure_sigchld();
    if (rc != 0) return rc;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
    int64_t start = clock_mono_us();
    pid_t pid = fork();
    if (pid == 0) {
        child_setup(type, fds[0], fds[1]);
        child_main(fn, ud); /* does not return */
    }
    int64_t fork_us = clock_mono_us() - start;
    int saved = errno;
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -saved;
    }
    C.latest_fork_usec = fork_us;
    C.total_forks++;
    server.stat_fork_latest_usec = C.latest_fork_usec;
    server.stat_total_forks = C.total_forks;
    int fl = fcntl(fds[0], F_GETFL);
    if (fl >= 0) fcntl(fds[0], F_SETFL, fl | O_NONBLOCK);

    child_run_t *r = xcalloc(1, sizeof(*r));
    r->pid = pid;
    r->type = type;
    r->rfd = fds[0];
    r->done = done;
    r->ud = ud;
    r->start_us = start;
    if ((rc = uv_poll_init(child_loop(), &r->poll, r->rfd)) != 0) {
        /* Cannot watch the pipe: do not leave a child we could not follow. */
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        close(r->rfd);
        xfree(r);
        return rc;
    }
    r->poll.data = r;
    uv_poll_start(&r->poll, UV_READABLE, on_pipe_readable);
    r->polling = true;
    C.run = r;
    ht_set_resize_allowed(false);
    return pid;
}

bool child_active(void) { return C.run != NULL; }
int child_type(void) { return C.run ? C.run->type : CHILD_NONE; }
pid_t child_pid(void) { return C.run ? C.run->pid : -1; }

void child_kill(void) {
    child_run_t *r = C.run;
    if (!r) return;
    kill(r->pid, SIGUSR1);
    int status;
    while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {
    }
    run_release(r);
}

void child_progress(size_t *done, size_t *total) {
    *done = C.run ? C.run->keys_done : 0;
    *total = C.run ? C.run->keys_total : 0;
}

void child_cow(size_t *current, size_t *peak, int64_t *updated_us) {
    *current = C.run ? C.run->cow : 0;
    *peak = C.run ? C.run->cow_peak : 0;
    *updated_us = C.run ? C.run->cow_at_us : 0;
}

long long child_latest_fork_usec(void) { return C.latest_fork_usec; }
long long child_total_forks(void) { return C.total_forks; }
