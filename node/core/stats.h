/* Observability: slow log, latency monitor, per-command latency percentiles
 * (latency-tracking) and error statistics.
 *
 * Owns: the slowlog ring, the latency-monitor event histories, the per-command
 * latency histograms and the error-prefix counters.  Called by command.c after
 * every command and by the SLOWLOG/LATENCY/INFO code. */
#ifndef KEEL_STATS_H
#define KEEL_STATS_H

#include <stdint.h>

#include "buf.h"

typedef struct client client_t;
typedef struct command command_t;

void stats_init(void);
/* After each command: slowlog entry, latency histogram, latency monitor event. */
void stats_after_command(client_t *c, command_t *cmd, int64_t duration_us);
/* Counts an error reply by its prefix (first word) for INFO errorstats. */
void stats_count_error(const char *err, size_t len);
/* Records a latency-monitor event ("command", "fast-command", "expire-cycle", ...). */
void stats_latency_event(const char *event, int64_t duration_ms);
void stats_reset(void); /* CONFIG RESETSTAT */

/* INFO sections. */
void stats_info_commandstats(buf_t *out);
void stats_info_errorstats(buf_t *out);
void stats_info_latencystats(buf_t *out);

/* SLOWLOG and LATENCY command implementations (registered by stats.c). */
void stats_register_commands(void);

#endif
