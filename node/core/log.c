/* Redis-format log lines: see log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int g_level = LL_NOTICE;
static int g_fd = 1;
static char g_role = 'M';

void log_set_level(int level) { g_level = level; }
int log_get_level(void) { return g_level; }
void log_set_role(char role) { g_role = role; }
int log_fd(void) { return g_fd; }

int log_set_file(const char *path) {
    if (!path || !*path) {
        if (g_fd > 2) close(g_fd);
        g_fd = 1;
        return 0;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    if (g_fd > 2) close(g_fd);
    g_fd = fd;
    return 0;
}

static void write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

void log_raw(int level, const char *msg) {
    if (level < g_level) return;
    write_all(g_fd, msg, strlen(msg));
}

void log_vmsg(int level, const char *fmt, va_list ap) {
    if (level < g_level) return;
    static const char marks[] = ".-*#";
    char line[8192];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t t = tv.tv_sec;
    localtime_r(&t, &tm);
    int off = snprintf(line, sizeof(line), "%d:%c ", (int)getpid(), g_role);
    off += (int)strftime(line + off, sizeof(line) - (size_t)off, "%d %b %Y %H:%M:%S.", &tm);
    off += snprintf(line + off, sizeof(line) - (size_t)off, "%03d %c ", (int)(tv.tv_usec / 1000),
                    marks[level < 0 ? 0 : level > 3 ? 3 : level]);
    int n = vsnprintf(line + off, sizeof(line) - (size_t)off - 1, fmt, ap);
    if (n < 0) n = 0;
    size_t len = (size_t)off + (size_t)n;
    if (len > sizeof(line) - 2) len = sizeof(line) - 2;
    line[len++] = '\n';
    write_all(g_fd, line, len);
}

void log_msg(int level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}
