/* Process-level duties (process.c): daemonize, pidfile, systemd READY=1,
 * RLIMIT_NOFILE, somaxconn check, oom_score_adj, title, crash report,
 * --test-memory, --check-system. */
#ifndef KEEL_PROCESS_H
#define KEEL_PROCESS_H

#include <stddef.h>

void process_daemonize(void);
void process_write_pidfile(const char *path);
/* Sends msg to $NOTIFY_SOCKET; 0 when not supervised, 1 sent, -1 error. */
int process_systemd_notify(const char *msg);
/* May lower *maxclients; -1 when fewer than 32 descriptors are available. */
int process_adjust_open_files(unsigned int *maxclients);
void process_check_tcp_backlog(int backlog);
/* mode: 0 no, 1 yes, 2 relative, 3 absolute; role_class 0 master, 1 replica, 2 bg child. */
int process_set_oom_score(int mode, const int values[3], int role_class);
void process_set_title(const char *title);
void process_install_crash_handler(void);
int process_memtest(size_t mb, int passes);
int process_check_system(void);

#endif
