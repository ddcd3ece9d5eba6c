/* Propagation of dataset changes to the AOF and replicas: see propagate.h.
 *
 * The per-command decision state (rewrite, prevent, force) lives here rather
 * than on client_t: only the command being executed can set it, and it is
 * consumed by propagate_after_command() right after that command returns.
 * Nested calls (EXEC replaying its queue) keep their own decision because
 * each command_call() consumes it before the next command starts.
 */
#include "propagate.h"

#include <stdarg.h>
#include <string.h>

#include "alloc.h"
#include "server.h"

typedef struct prop_op {
    int dbid;
    int targets;
    int argc;
    char **argv;
    size_t *lens;
} prop_op_t;

static prop_sink_t sinks[4];
static int nsinks;

static prop_op_t *ops;
static int nops, opscap;
static int depth;           /* nested execution units */

/* Decision for the command being executed. */
static struct {
    bool rewritten, prevented;
    int forced;
    int argc;
    char **argv;
    size_t *lens;
} cur;

void propagate_add_sink(const prop_sink_t *sink) {
    if (nsinks < (int)(sizeof(sinks) / sizeof(sinks[0]))) sinks[nsinks++] = *sink;
}

bool propagate_has_sinks(void) { return nsinks > 0; }

static void copy_args(int argc, const char *const *argv, const size_t *lens, char ***out_argv,
                      size_t **out_lens) {
    char **a = xmalloc(sizeof(char *) * (size_t)argc);
    size_t *l = xmalloc(sizeof(size_t) * (size_t)argc);
    for (int i = 0; i < argc; i++) {
        l[i] = lens ? lens[i] : strlen(argv[i]);
        a[i] = xmemdup(argv[i], l[i] + 1);
        a[i][l[i]] = '\0';
    }
    *out_argv = a;
    *out_lens = l;
}

static void free_args(int argc, char **argv, size_t *lens) {
    for (int i = 0; i < argc; i++) xfree(argv[i]);
    xfree(argv);
    xfree(lens);
}

void propagate_op(int dbid, int argc, const char *const *argv, const size_t *lens, int targets) {
    if (nsinks == 0 || targets == PROP_NONE) return;
    if (nops == opscap) {
        opscap = opscap ? opscap * 2 : 8;
        ops = xrealloc(ops, sizeof(prop_op_t) * (size_t)opscap);
    }
    prop_op_t *op = &ops[nops++];
    op->dbid = dbid;
    op->targets = targets;
    op->argc = argc;
    copy_args(argc, argv, lens, &op->argv, &op->lens);
    /* Outside any unit (e.g. active expiry), an operation is its own unit. */
    if (depth == 0) {
        propagate_unit_begin();
        propagate_unit_end();
    }
}

void propagate_del(int dbid, const char *key, size_t klen, bool lazy) {
    const char *argv[2] = {lazy ? "UNLINK" : "DEL", key};
    size_t lens[2] = {lazy ? 6 : 3, klen};
    propagate_op(dbid, 2, argv, lens, PROP_ALL);
}

static void clear_decision(void) {
    if (cur.argv) free_args(cur.argc, cur.argv, cur.lens);
    memset(&cur, 0, sizeof(cur));
}

void propagate_rewrite(client_t *c, int argc, const char *const *argv, const size_t *lens) {
    (void)c;
    if (cur.argv) free_args(cur.argc, cur.argv, cur.lens);
    cur.rewritten = true;
    cur.argc = argc;
    copy_args(argc, argv, lens, &cur.argv, &cur.lens);
}

void propagate_rewritev(client_t *c, int argc, ...) {
    const char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc && i < 16; i++) argv[i] = va_arg(ap, const char *);
    va_end(ap);
    propagate_rewrite(c, argc < 16 ? argc : 16, argv, NULL);
}

void propagate_prevent(client_t *c) {
    (void)c;
    cur.prevented = true;
}

void propagate_force(client_t *c, int targets) {
    (void)c;
    cur.forced |= targets;
}

void propagate_after_command(client_t *c, int dbid, long long dirty_before, bool is_write) {
    bool changed = server.dirty > dirty_before;
    int targets = cur.forced;
    if (changed && is_write) targets |= PROP_ALL;
    /* What our master sends reaches sub-replicas as the master sent it
     * (replication proxies those bytes); only the AOF gets it from here. */
    if (c->flags & CLIENT_MASTER) targets &= PROP_AOF;
    if (!cur.prevented && targets && nsinks) {
        if (cur.rewritten)
            propagate_op(dbid, cur.argc, (const char *const *)cur.argv, cur.lens, targets);
        else
            propagate_op(dbid, c->argc, c->argv, c->argvlen, targets);
    }
    clear_decision();
}

void propagate_unit_begin(void) { depth++; }

static void emit(const prop_op_t *op, int targets_mask) {
    for (int s = 0; s < nsinks; s++) {
        if (!(sinks[s].targets & op->targets & targets_mask)) continue;
        sinks[s].op(op->dbid, op->argc, (const char *const *)op->argv, op->lens, sinks[s].ud);
    }
}

void propagate_unit_end(void) {
    if (--depth > 0) return;
    if (nops == 0) return;
    /* Several operations travel as one transaction (per sink target). */
    bool wrap = nops > 1;
    static const char *const multi[] = {"MULTI"}, *const exec[] = {"EXEC"};
    static const size_t one_len[] = {5}, exec_len[] = {4};
    for (int t = PROP_AOF; t <= PROP_REPL; t <<= 1) {
        int count = 0, dbid = 0;
        for (int i = 0; i < nops; i++)
            if (ops[i].targets & t) {
                if (!count) dbid = ops[i].dbid;
                count++;
            }
        if (!count) continue;
        bool w = wrap && count > 1;
        prop_op_t m = {.dbid = dbid, .targets = t, .argc = 1, .argv = (char **)multi, .lens = (size_t *)one_len};
        if (w) emit(&m, t);
        for (int i = 0; i < nops; i++)
            if (ops[i].targets & t) emit(&ops[i], t);
        if (w) {
            prop_op_t e = {.dbid = dbid, .targets = t, .argc = 1, .argv = (char **)exec, .lens = (size_t *)exec_len};
            emit(&e, t);
        }
    }
    for (int i = 0; i < nops; i++) free_args(ops[i].argc, ops[i].argv, ops[i].lens);
    nops = 0;
}
