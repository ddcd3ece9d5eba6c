/* MONITOR: every executed command, echoed to the clients that asked for it.
 *
 * Owns: the feed (formatting one line per command and appending it to every
 * client in server.monitors).  The MONITOR command itself and the list
 * membership live in client_cmds.c; client_free() drops a freed monitor from
 * server.monitors.  Called by command_call() once per executed command,
 * including each command that EXEC replays.
 *
 * Design notes:
 *  1. The line is Redis's byte for byte: "+<sec>.<usec> [<db> <addr>] "arg"...\r\n"
 *     (unix clients show "unix:<path>"), each argument quoted as sdscatrepr
 *     does.  It is a simple string even for RESP3 monitors, as in Redis.
 *  2. Commands flagged admin or skip_monitor are not shown, and secrets are
 *     replaced by "(redacted)": every AUTH argument, HELLO's AUTH user and
 *     password, MIGRATE's AUTH/AUTH2 credentials.
 *  3. Redis 7.0 feeds after the command ran, so the db shown is the one after
 *     it (SELECT 4 shows [4 ...]) and EXEC is shown after the commands it ran.
 *  4. With no monitor the cost is one load and a predictable branch: the
 *     check is inline here, the formatting is out of line.
 */
#ifndef KEEL_MONITOR_H
#define KEEL_MONITOR_H

#include "server.h"

/* Formats the line and appends it to every monitor.  Borrows argv/lens
 * until return.  Use monitor_feed(). */
void monitor__feed(client_t *c, const command_t *cmd, int argc, const char **argv,
                   const size_t *lens);

static inline void monitor_feed(client_t *c, command_t *cmd, int argc, const char **argv,
                                const size_t *lens) {
    if (__builtin_expect(server.nmonitors == 0, 1)) return;
    monitor__feed(c, cmd, argc, argv, lens);
}

#endif
