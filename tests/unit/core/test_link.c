/* Unit tests for outgoing links (node/core/link.c) against a tiny scripted
 * server on 127.0.0.1 inside the test's own libuv loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "buf.h"
#include "link.h"

/* ---- scripted peer: answers each complete command line with a script ---- */

static uv_loop_t loop;
static uv_tcp_t listener;
static int listen_port;
static uv_tcp_t peer;
static bool peer_open;
static buf_t peer_in;
static const char *peer_reply; /* sent once per command received */
static const char *peer_greeting; /* sent right after accept (may be NULL) */
static buf_t peer_log;            /* "ARG ARG;" per command received */

static void peer_alloc(uv_handle_t *h, size_t n, uv_buf_t *b) {
    buf_reserve(&peer_in, 4096);
    *b = uv_buf_init(peer_in.p + peer_in.len, 4096);
}

static void peer_write(const char *s) {
    uv_buf_t b = uv_buf_init((char *)s, (unsigned)strlen(s));
    uv_try_write((uv_stream_t *)&peer, &b, 1);
}

static void peer_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
    if (n <= 0) return;
    peer_in.len += (size_t)n;
    /* Count commands: each multibulk "*" at a line start. */
    resp_req_t r;
    resp_req_init(&r);
    size_t off = 0, used;
    while (off < peer_in.len && resp_req_parse(&r, peer_in.p + off, peer_in.len - off, NULL, &used) == RESP_OK) {
        for (size_t i = 0; i < r.argc; i++) {
            if (i) buf_putc(&peer_log, ' ');
            buf_append(&peer_log, peer_in.p + off + r.argv[i].off, r.argv[i].len);
        }
        buf_putc(&peer_log, ';');
        off += used;
        if (peer_reply) peer_write(peer_reply);
    }
    resp_req_free(&r);
    buf_consume(&peer_in, off);
}

static void on_peer(uv_stream_t *server, int status) {
    uv_tcp_init(&loop, &peer);
    uv_accept(server, (uv_stream_t *)&peer);
    peer_open = true;
    if (peer_greeting) peer_write(peer_greeting);
    uv_read_start((uv_stream_t *)&peer, peer_alloc, peer_read);
}

/* Keeps every uv_run(UV_RUN_ONCE) returning, so deadlines are checked. */
static uv_timer_t tick;
static void on_tick(uv_timer_t *t) {}

static int setup(void **state) {
    uv_loop_init(&loop);
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 20, 20);
    uv_tcp_init(&loop, &listener);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_bind(&listener, (struct sockaddr *)&a, 0);
    uv_listen((uv_stream_t *)&listener, 8, on_peer);
    struct sockaddr_in got;
    int len = sizeof(got);
    uv_tcp_getsockname(&listener, (struct sockaddr *)&got, &len);
    listen_port = ntohs(got.sin_port);
    peer_open = false;
    peer_reply = NULL;
    peer_greeting = NULL;
    buf_clear(&peer_in);
    buf_clear(&peer_log);
    return 0;
}

static void close_all(uv_handle_t *h, void *arg) {
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

static int teardown(void **state) {
    uv_walk(&loop, close_all, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0); /* every handle of the link was closed */
    return 0;
}

/* Runs the loop until *flag or a 5 s deadline. */
static void run_until(bool *flag) {
    uint64_t end = uv_now(&loop) + 5000;
    while (!*flag && uv_now(&loop) < end) uv_run(&loop, UV_RUN_ONCE);
    assert_true(*flag);
}

/* ---- recorded callbacks ------------------------------------------------- */

static buf_t events;
static bool closed;
static int close_status;

static void on_event(link_t *l, int ev, int status, void *ud) {
    buf_printf(&events, ev == LINK_CONNECTED ? "connected|" : "closed:%d|", status);
    if (ev == LINK_CLOSED) {
        closed = true;
        close_status = status;
    }
}

static void on_reply(link_t *l, const resp_value_t *v, void *ud) {
    if (!v)
        buf_puts(&events, "null|");
    else
        buf_printf(&events, "%s|", v->str ? v->str : "?");
}

static link_opts_t opts(void) {
    link_opts_t o = {.connect_timeout_ms = 2000, .on_event = on_event};
    closed = false;
    buf_clear(&events);
    buf_puts(&events, "");
    return o;
}

static void test_commands_get_replies_in_order(void **state) {
    peer_reply = "+PONG\r\n";
    link_opts_t o = opts();
    link_t *l = link_connect(&loop, "127.0.0.1", listen_port, &o);
    assert_non_null(l);
    link_commandl(l, on_reply, NULL, "PING", NULL); /* queued before the connection is up */
    link_commandl(l, on_reply, NULL, "PING", NULL);
    while (link_pending_replies(l) && !closed) uv_run(&loop, UV_RUN_ONCE);
    assert_string_equal(events.p, "connected|PONG|PONG|");
    assert_true(link_is_connected(l));
    link_close(l);
    assert_true(closed);
    assert_int_equal(close_status, 0);
}

static void test_auth_goes_first(void **state) {
    peer_reply = "+OK\r\n";
    link_opts_t o = opts();
    o.password = "secret";
    link_t *l = link_connect(&loop, "localhost", listen_port, &o); /* a name: resolved */
    link_commandl(l, on_reply, NULL, "PING", NULL);
    while (link_pending_replies(l) && !closed) uv_run(&loop, UV_RUN_ONCE);
    /* AUTH's reply went to nobody; PING got the second "+OK". */
    assert_string_equal(events.p, "connected|OK|");
    assert_int_equal(link_pending_replies(l), 0);
    assert_string_equal(peer_log.p, "AUTH secret;PING;");
    link_close(l);
}

static void test_pending_replies_fail_on_close(void **state) {
    peer_reply = NULL; /* never answers */
    link_opts_t o = opts();
    link_t *l = link_connect(&loop, "127.0.0.1", listen_port, &o);
    link_commandl(l, on_reply, NULL, "PING", NULL);
    link_commandl(l, on_reply, NULL, "PING", NULL);
    bool up = false;
    uint64_t end = uv_now(&loop) + 2000;
    while (!link_is_connected(l) && uv_now(&loop) < end) uv_run(&loop, UV_RUN_ONCE);
    up = link_is_connected(l);
    assert_true(up);
    link_close(l);
    assert_string_equal(events.p, "connected|null|null|closed:0|");
}

static void test_connection_refused(void **state) {
    link_opts_t o = opts();
    uv_close((uv_handle_t *)&listener, NULL); /* nobody listens any more */
    uv_run(&loop, UV_RUN_NOWAIT);
    link_t *l = link_connect(&loop, "127.0.0.1", listen_port, &o);
    link_commandl(l, on_reply, NULL, "PING", NULL);
    run_until(&closed);
    assert_int_equal(close_status, UV_ECONNREFUSED);
    assert_string_equal(events.p, "null|closed:-111|");
}

static buf_t raw;
static void on_raw(link_t *l, const char *p, size_t n, void *ud) { buf_append(&raw, p, n); }

static void switch_to_raw(link_t *l, const resp_value_t *v, void *ud) {
    on_reply(l, v, ud);
    link_set_raw(l, on_raw); /* what follows "+FULLRESYNC" is a payload */
}

static void test_raw_mode_after_a_reply(void **state) {
    peer_reply = "+FULLRESYNC abc 0\r\n$5\r\nhello";
    link_opts_t o = opts();
    buf_clear(&raw);
    link_t *l = link_connect(&loop, "127.0.0.1", listen_port, &o);
    link_commandl(l, switch_to_raw, NULL, "PSYNC", "?", "-1", NULL);
    uint64_t end = uv_now(&loop) + 3000;
    while (raw.len < 9 && uv_now(&loop) < end) uv_run(&loop, UV_RUN_ONCE);
    assert_string_equal(events.p, "connected|FULLRESYNC abc 0|");
    assert_int_equal(raw.len, 9);
    assert_memory_equal(raw.p, "$5\r\nhello", 9);
    link_close(l);
}

static int pushes;
static void on_push(link_t *l, const resp_value_t *v, void *ud) { pushes++; }

static void test_pubsub_messages_go_to_on_push(void **state) {
    peer_reply = "*3\r\n$9\r\nsubscribe\r\n$5\r\nhello\r\n:1\r\n"
                 "*3\r\n$7\r\nmessage\r\n$5\r\nhello\r\n$2\r\nhi\r\n";
    link_opts_t o = opts();
    o.on_push = on_push;
    pushes = 0;
    link_t *l = link_connect(&loop, "127.0.0.1", listen_port, &o);
    link_set_pubsub(l, true);
    link_commandl(l, NULL, NULL, "SUBSCRIBE", "hello", NULL);
    uint64_t end = uv_now(&loop) + 3000;
    while (pushes < 2 && uv_now(&loop) < end) uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(pushes, 2);
    link_close(l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commands_get_replies_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_goes_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_replies_fail_on_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_mode_after_a_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_messages_go_to_on_push, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
