/* The one reply writer: RESP2 or RESP3 per client (c->resp).
 *
 * Every function appends to the client's output (inline buffer, then blocks)
 * and schedules the client for a flush before the next poll.  Aggregates whose
 * length is not known in advance use reply_defer_len()/reply_set_deferred_*.
 * Callers pass lengths; nothing here allocates except when the inline buffer
 * is full. */
#ifndef KEEL_REPLY_H
#define KEEL_REPLY_H

#include <stdarg.h>
#include <stddef.h>

typedef struct client client_t;

void reply_raw(client_t *c, const void *p, size_t n);
void reply_ok(client_t *c);
void reply_simple(client_t *c, const char *s);             /* +s */
void reply_simple_len(client_t *c, const char *s, size_t n);
/* -ERR ...: err is the whole text after '-', e.g. "ERR syntax error" or
 * "WRONGTYPE Operation ...".  Counted in errorstats by its first word. */
void reply_error(client_t *c, const char *err);
void reply_error_len(client_t *c, const char *err, size_t n);
void reply_errorf(client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_error_syntax(client_t *c);                      /* ERR syntax error */
void reply_error_arity(client_t *c, const char *cmdname);
void reply_error_wrongtype(client_t *c);
void reply_error_not_int(client_t *c);                     /* value is not an integer or out of range */
void reply_int(client_t *c, long long v);
void reply_bulk(client_t *c, const void *p, size_t n);
void reply_bulk_cstr(client_t *c, const char *s);          /* NULL -> null */
void reply_bulk_ll(client_t *c, long long v);
void reply_bulkf(client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_null(client_t *c);                              /* $-1 / _ */
void reply_null_array(client_t *c);                        /* *-1 / _ */
void reply_array(client_t *c, long long n);
void reply_map(client_t *c, long long pairs);              /* %n / *2n */
void reply_set(client_t *c, long long n);                  /* ~n / *n */
void reply_push(client_t *c, long long n);                 /* >n / *n */
void reply_attribute(client_t *c, long long pairs);        /* RESP3 only */
void reply_double(client_t *c, double d);                  /* ,d / $bulk */
void reply_bool(client_t *c, int b);                       /* #t / :1 */
void reply_verbatim(client_t *c, const char *p, size_t n, const char *ext); /* =..txt: / $ */
void reply_empty_array(client_t *c);
/* An array of simple strings (HELP texts given whole). */
void reply_lines(client_t *c, const char *const *lines, size_t n);
/* Redis's addReplyHelp: "<CMD> <subcommand> [<arg> [value] [opt] ...].
 * Subcommands are:", the NULL-terminated lines, then "HELP" / "    Print this help.". */
void reply_help(client_t *c, const char *const *lines);
/* "ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP." */
void reply_error_subcommand_syntax(client_t *c);

/* Deferred aggregate lengths: reserve now, fill in later. */
void *reply_defer_len(client_t *c);
void reply_set_deferred_array(client_t *c, void *node, long long n);
void reply_set_deferred_map(client_t *c, void *node, long long pairs);
void reply_set_deferred_set(client_t *c, void *node, long long n);

/* Marks the client for flushing before the next poll (called by every writer). */
void reply_schedule(client_t *c);
/* True when replies to c are currently suppressed (CLIENT REPLY OFF/SKIP). */
int reply_suppressed(const client_t *c);

#endif
