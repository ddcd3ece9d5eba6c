/* Logging in Redis's line format: "<pid>:<role> dd Mon yyyy hh:mm:ss.mmm <lvl> msg".
 *
 * role: 'M' master, 'S' replica, 'X' sentinel, 'C' forked child.
 * lvl:  '.' debug, '-' verbose, '*' notice, '#' warning.
 * Owns the log file descriptor and the level; safe to call before config is
 * loaded (writes to stdout).  log_raw_signal_safe() is for crash reports. */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include <stdarg.h>

#include "config.h" /* LL_* levels */

void log_set_level(int level);
int log_get_level(void);
/* path NULL or "" means stdout.  Returns 0 or a negative errno. */
int log_set_file(const char *path);
void log_set_role(char role);
int log_fd(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);
/* Writes msg as-is (no prefix), e.g. the ASCII banner. */
void log_raw(int level, const char *msg);

#define log_debug(...) log_msg(LL_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LL_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LL_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LL_WARNING, __VA_ARGS__)

#endif
