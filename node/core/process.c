/* Process-level duties: daemonize, pidfile, systemd notification, file
 * descriptor limits, OOM score, process title, crash reports, memory test.
 *
 * None of this touches the loop; main() calls these in Redis's order. */
#include "process.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

#define CONFIG_MIN_RESERVED_FDS 32

void process_daemonize(void) {
    if (fork() != 0) exit(0); /* parent exits */
    setsid();
    int fd = open("/dev/null", O_RDWR, 0);
    if (fd != -1) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO) close(fd);
    }
}

void process_write_pidfile(const char *path) {
    FILE *fp = fopen(path, "w");
    if (!fp) {
        log_warning("Failed to write PID file: %s", strerror(errno));
        return;
    }
    fprintf(fp, "%d\n", (int)getpid());
    fclose(fp);
}

/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
int process_systemd_notify(const char *msg) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path) return 0;
    if ((path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        log_warning("systemd supervision requested, but NOTIFY_SOCKET is invalid");
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0'; /* abstract namespace */
    ssize_t n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
    close(fd);
    return n < 0 ? -1 : 1;
}

/* Raises RLIMIT_NOFILE for maxclients + reserved fds, lowering maxclients
 * (with a warning) when the limit cannot be raised, as Redis does. */
int process_adjust_open_files(unsigned int *maxclients) {
    rlim_t want = (rlim_t)*maxclients + CONFIG_MIN_RESERVED_FDS;
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == -1) {
        log_warning("Unable to obtain the current NOFILE limit (%s), assuming 1024 and setting the max clients "
                    "configuration accordingly.", strerror(errno));
        *maxclients = 1024 - CONFIG_MIN_RESERVED_FDS;
        return 0;
    }
    rlim_t old = lim.rlim_cur;
    if (old >= want) return 0;
    rlim_t best = want;
    int setrlimit_error = 0;
    while (best > old) {
        rlim_t decr = 16;
        lim.rlim_cur = best;
        lim.rlim_max = best > lim.rlim_max ? best : lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &lim) != -1) break;
        setrlimit_error = errno;
        if (best < decr) break;
        best -= decr;
    }
    if (best < old) best = old;
    if (best < want) {
        unsigned int old_maxclients = *maxclients;
        if (best <= CONFIG_MIN_RESERVED_FDS) {
            log_warning("Your current 'ulimit -n' of %llu is not enough for the server to start. Please increase "
                        "your open file limit to at least %llu. Exiting.",
                        (unsigned long long)old, (unsigned long long)want);
            return -1;
        }
        *maxclients = (unsigned int)(best - CONFIG_MIN_RESERVED_FDS);
        log_warning("You requested maxclients of %u requiring at least %llu max file descriptors.", old_maxclients,
                    (unsigned long long)want);
        log_warning("Server can't set maximum open files to %llu because of OS error: %s.",
                    (unsigned long long)want, strerror(setrlimit_error));
        log_warning("Current maximum open files is %llu. maxclients has been reduced to %u to compensate for "
                    "low ulimit. If you need higher maxclients increase 'ulimit -n'.",
                    (unsigned long long)best, *maxclients);
    } else {
        log_notice("Increased maximum number of open files to %llu (it was originally set to %llu).",
                   (unsigned long long)want, (unsigned long long)old);
    }
    return 0;
}

void process_check_tcp_backlog(int backlog) {
    FILE *fp = fopen("/proc/sys/net/core/somaxconn", "r");
    if (!fp) return;
    char buf[64];
    if (fgets(buf, sizeof(buf), fp)) {
        int somaxconn = atoi(buf);
        if (somaxconn > 0 && somaxconn < backlog)
            log_warning("WARNING: The TCP backlog setting of %d cannot be enforced because "
                        "/proc/sys/net/core/somaxconn is set to the lower value of %d.", backlog, somaxconn);
    }
    fclose(fp);
}

static int oom_base = -1001;

int process_set_oom_score(int mode, const int values[3], int role_class) {
    if (mode == 0 && oom_base == -1001) return 0; /* never touched */
    FILE *fp = fopen("/proc/self/oom_score_adj", "r+");
    if (!fp) return -1;
    if (oom_base == -1001) {
        if (fscanf(fp, "%d", &oom_base) != 1) oom_base = 0;
        rewind(fp);
    }
    int val = oom_base;
    if (mode == 1 || mode == 2) val = oom_base + values[role_class];
    else if (mode == 3) val = values[role_class];
    if (val > 1000) val = 1000;
    if (val < -1000) val = -1000;
    fprintf(fp, "%d\n", val);
    fclose(fp);
    return 0;
}

/* ---- process title ------------------------------------------------------ */

void process_set_title(const char *title) { prctl(PR_SET_NAME, title, 0, 0, 0); }

/* ---- crash report ------------------------------------------------------- */

#ifndef KEEL_SANITIZE /* sanitizers print their own reports */

static void crash_write(const char *s) {
    int fd = log_fd();
    ssize_t r = write(fd, s, strlen(s));
    (void)r;
}

static void on_crash(int sig, siginfo_t *info, void *ctx) {
    char line[256];
    snprintf(line, sizeof(line),
             "\n\n=== KEEL BUG REPORT START: Cut & paste starting from here ===\n"
             "%d:M  Crashed by signal: %d (%s), si_code: %d\n", (int)getpid(), sig, strsignal(sig),
             info ? info->si_code : 0);
    crash_write(line);
    if (info && (sig == SIGSEGV || sig == SIGBUS)) {
        snprintf(line, sizeof(line), "Accessing address: %p\n", info->si_addr);
        crash_write(line);
    }
    crash_write("\n------ STACK TRACE ------\n");
    void *frames[64];
    int n = backtrace(frames, 64);
    backtrace_symbols_fd(frames, n, log_fd());
    crash_write("\n=== KEEL BUG REPORT END. Make sure to include from START to END. ===\n\n");
    if (server.cfg.pidfile && *server.cfg.pidfile) unlink(server.cfg.pidfile);
    /* Re-raise with the default action so a core dump / exit status follows. */
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    act.sa_handler = SIG_DFL;
    sigemptyset(&act.sa_mask);
    sigaction(sig, &act, NULL);
    raise(sig);
}

void process_install_crash_handler(void) {
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    sigemptyset(&act.sa_mask);
    act.sa_flags = SA_NODEFER | SA_RESETHAND | SA_SIGINFO;
    act.sa_sigaction = on_crash;
    sigaction(SIGSEGV, &act, NULL);
    sigaction(SIGBUS, &act, NULL);
    sigaction(SIGFPE, &act, NULL);
    sigaction(SIGILL, &act, NULL);
    sigaction(SIGABRT, &act, NULL);
}
#else
void process_install_crash_handler(void) {}
#endif

/* ---- memory test (--test-memory) ---------------------------------------- */

/* Fills and verifies `mb` megabytes with address and pattern passes, as
 * Redis's memtest does in spirit.  Returns 0 when no error was found. */
int process_memtest(size_t mb, int passes) {
    size_t bytes = mb * 1024 * 1024;
    size_t words = bytes / sizeof(unsigned long);
    unsigned long *m = malloc(bytes);
    if (!m) {
        fprintf(stderr, "Unable to allocate %zu megabytes\n", mb);
        return -1;
    }
    int errors = 0;
    for (int pass = 0; pass < passes; pass++) {
        printf("Pass %d/%d: addressing...", pass + 1, passes);
        fflush(stdout);
        for (size_t i = 0; i < words; i++) m[i] = (unsigned long)&m[i];
        for (size_t i = 0; i < words; i++)
            if (m[i] != (unsigned long)&m[i]) errors++;
        printf(" patterns...");
        fflush(stdout);
        static const unsigned long patterns[] = {0UL, ~0UL, 0xaaaaaaaaaaaaaaaaUL, 0x5555555555555555UL};
        for (size_t p = 0; p < 4; p++) {
            for (size_t i = 0; i < words; i++) m[i] = patterns[p] ^ (i & 1 ? ~0UL : 0UL);
            for (size_t i = 0; i < words; i++)
                if (m[i] != (patterns[p] ^ (i & 1 ? ~0UL : 0UL))) errors++;
        }
        printf(" done\n");
    }
    free(m);
    if (errors) {
        printf("\n*** MEMORY ERRORS DETECTED: %d word(s) failed verification.\n", errors);
        return 1;
    }
    printf("\nYour memory passed this test.\nPlease if you are still in doubt use the following two tools:\n"
           "1) memtest86: http://www.memtest86.com/\n2) memtester: http://pyropus.ca/software/memtester/\n");
    return 0;
}

/* ---- --check-system ------------------------------------------------------ */

int process_check_system(void) {
    int problems = 0;
    printf("Checking system...\n");
    FILE *fp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (fp) {
        char buf[256];
        if (fgets(buf, sizeof(buf), fp) && strstr(buf, "[always]")) {
            printf("WARNING transparent huge pages (THP) are set to 'always': latency and memory usage "
                   "may suffer; set it to 'madvise' or 'never'.\n");
            problems++;
        } else {
            printf("transparent huge pages: ok\n");
        }
        fclose(fp);
    }
    fp = fopen("/proc/sys/vm/overcommit_memory", "r");
    if (fp) {
        int v = -1;
        if (fscanf(fp, "%d", &v) == 1 && v != 1) {
            printf("WARNING Memory overcommit must be enabled! Without it, a background save or replication "
                   "may fail under low memory condition. To fix this issue add 'vm.overcommit_memory = 1' "
                   "to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1'.\n");
            problems++;
        } else {
            printf("overcommit_memory: ok\n");
        }
        fclose(fp);
    }
    printf(problems ? "Some checks failed.\n" : "System check passed.\n");
    return problems ? 1 : 0;
}
