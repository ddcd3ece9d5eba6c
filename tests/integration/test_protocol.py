"""The wire protocol over raw sockets: pipelining, inline commands, bad input, connection limits."""
import random
import resource
import socket

import pytest

from conftest import wait_until
from util import Err, RawClient, encode_command, parse_info


def raw_exchange(port, data, settle=0.3):
    """Send data on a fresh connection; return (bytes received, closed-by-server)."""
    with RawClient(port) as cl:
        try:
            cl.send_raw(data)
        except (BrokenPipeError, ConnectionResetError):
            return cl.buf, True
        closed = cl.wait_closed(timeout=settle)
        return cl.buf, closed


def assert_server_healthy(bystander):
    """A connection opened before the abuse still works and sees the data."""
    assert bystander.cmd("PING") == "PONG"
    assert bystander.cmd("GET", "canary") == b"alive"


@pytest.fixture
def bystander(clients):
    b = clients()
    assert b.cmd("SET", "canary", "alive") == "OK"
    return b


# --- pipelining ---------------------------------------------------------------

def test_pipeline_1000_in_one_send(c):
    cmds = []
    for i in range(250):
        cmds += [("SET", f"k{i}", f"v{i}"), ("GET", f"k{i}"), ("INCR", "counter"), ("GET", "missing")]
    payload = b"".join(encode_command(*cmd) for cmd in cmds)
    c.send_raw(payload)  # one send
    replies = [c.read() for _ in cmds]
    expected = []
    for i in range(250):
        expected += ["OK", f"v{i}".encode(), i + 1, None]
    assert replies == expected
    assert c.read_available(0.05) == b""  # nothing extra


def test_pipeline_large_replies(c):
    value = b"x" * 1000
    assert c.cmd("SET", "big", value) == "OK"
    n = 5000
    c.send_raw(encode_command("GET", "big") * n)  # ~5 MB of replies pending
    for _ in range(n):
        assert c.read() == value
    assert c.cmd("PING") == "PONG"


def test_pipeline_mixed_inline_and_multibulk(c):
    c.send_raw(b"PING\r\n" + encode_command("SET", "a", "1") + b"GET a\r\n" + encode_command("ECHO", "z"))
    assert [c.read() for _ in range(4)] == ["PONG", "OK", b"1", b"z"]


def test_big_value_roundtrip(c):
    value = bytes(random.Random(7).getrandbits(8) for _ in range(256)) * 40000  # ~10 MB, binary
    assert c.cmd("SET", "huge", value) == "OK"
    assert c.cmd("STRLEN", "huge") == len(value)
    assert c.cmd("GET", "huge") == value


def test_command_split_across_many_sends(c):
    data = encode_command("SET", "split", "hello world")
    for i in range(len(data)):
        c.send_raw(data[i:i + 1])
    assert c.read() == "OK"
    assert c.cmd("GET", "split") == b"hello world"


def test_incomplete_frame_waits_for_more(c):
    c.send_raw(b"*1\r\n$4\r\nPING")
    assert c.read_available(0.2) == b""  # no reply, no close
    c.send_raw(b"\r\n")
    assert c.read() == "PONG"
    c.send_raw(b"*2\r\n$4\r\nECHO\r\n$5\r\nhel")
    assert c.read_available(0.1) == b""
    c.send_raw(b"lo\r\n")
    assert c.read() == b"hello"


def test_empty_and_null_multibulk_ignored(c):
    c.send_raw(b"*0\r\n*-1\r\nPING\r\n")
    assert c.read() == "PONG"
    assert c.read_available(0.05) == b""


# --- inline commands ----------------------------------------------------------

def test_inline_commands(c):
    c.send_raw(b"PING\r\n")
    assert c.read() == "PONG"
    c.send_raw(b'SET greeting "hello world"\r\n')
    assert c.read() == "OK"
    c.send_raw(b"GET greeting\r\n")
    assert c.read() == b"hello world"
    c.send_raw(b"SET single 'a\\tb'\r\nGET single\r\n")
    assert c.read() == "OK"
    assert c.read() == b"a\\tb"  # no escapes inside single quotes
    c.send_raw(b'SET esc "\\x41\\n"\r\nGET esc\r\n')
    assert c.read() == "OK"
    assert c.read() == b"A\n"
    c.send_raw(b"   SET    spaced   value   \r\nGET spaced\r\n")
    assert c.read() == "OK"
    assert c.read() == b"value"


def test_inline_bare_newlines_ignored(c):
    # redis-cli --pipe sends a bare CRLF; blank lines must produce no reply.
    c.send_raw(b"\r\n\r\n   \r\nPING\r\n\r\n")
    assert c.read() == "PONG"
    assert c.read_available(0.1) == b""
    c.send_raw(b"PING\n")  # LF alone ends an inline command too
    assert c.read() == "PONG"


def test_inline_unknown_command(c):
    c.send_raw(b"$-5\r\n")
    assert c.read() == Err("ERR unknown command '$-5', with args beginning with: ")
    c.send_raw(b"NOPE a b\r\n")
    assert c.read() == Err("ERR unknown command 'NOPE', with args beginning with: 'a' 'b' ")
    assert c.cmd("PING") == "PONG"


# --- bad input ------------------------------------------------------------------

@pytest.mark.parametrize("data,reply", [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\n$2147483648\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\nPING\r\n", b"-ERR Protocol error: expected '$', got 'P'\r\n"),
    (b'SET k "unbalanced\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"x" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
])
def test_protocol_errors_close_connection(server, bystander, data, reply):
    got, closed = raw_exchange(server.port, data, settle=5)
    assert got == reply
    assert closed
    assert_server_healthy(bystander)


def test_protocol_error_after_good_commands(server, bystander):
    got, closed = raw_exchange(server.port, b"PING\r\n" + encode_command("SET", "x", "1") + b"*zz\r\n", settle=5)
    assert got == b"+PONG\r\n+OK\r\n-ERR Protocol error: invalid multibulk length\r\n"
    assert closed
    assert bystander.cmd("GET", "x") == b"1"
    assert_server_healthy(bystander)


def test_random_garbage(server, bystander):
    rng = random.Random(12345)
    for _ in range(20):
        blob = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
        raw_exchange(server.port, blob, settle=0.05)
        assert_server_healthy(bystander)
    # Garbage with a plausible prefix.
    for prefix in (b"*", b"$", b"*3\r\n$3\r\nSET\r\n$", b"*2\r\n$999999999\r\n"):
        blob = prefix + bytes(rng.getrandbits(8) for _ in range(512))
        raw_exchange(server.port, blob, settle=0.05)
        assert_server_healthy(bystander)
    assert bystander.cmd("DBSIZE") >= 1


def test_truncated_frames_then_close(server, bystander):
    frames = [
        b"*3\r\n$3\r\nSET\r\n$5\r\ntrunc\r\n$5\r\nval",  # value cut short
        b"*3\r\n$3\r\nSET\r\n$5\r\ntrunc",
        b"*3\r\n",
        b"*3\r\n$3\r\nSE",
        b"SET trunc value",  # inline without newline
    ]
    for f in frames:
        with RawClient(server.port) as cl:
            cl.send_raw(f)
        # Closed by us mid-command: nothing is executed, the server stays up.
        assert_server_healthy(bystander)
    assert bystander.cmd("EXISTS", "trunc") == 0


def test_proto_max_bulk_len(server, bystander):
    assert bystander.cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb") == "OK"
    got, closed = raw_exchange(server.port, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n", settle=5)
    assert got == b"-ERR Protocol error: invalid bulk length\r\n" and closed
    assert_server_healthy(bystander)
    assert bystander.cmd("SET", "k", "x" * 1000000) == "OK"


def test_client_query_buffer_limit(server, bystander):
    assert bystander.cmd("CONFIG", "SET", "client-query-buffer-limit", "1mb") == "OK"
    with RawClient(server.port) as cl:
        # A complete command under the limit is fine.
        assert cl.cmd("SET", "under", "x" * 900000) == "OK"
    with RawClient(server.port) as cl:
        try:
            cl.send_raw(b"*3\r\n$3\r\nSET\r\n$4\r\nover\r\n$3000000\r\n" + b"x" * 2000000)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert cl.wait_closed(10)
    assert bystander.cmd("EXISTS", "over") == 0
    assert bystander.cmd("STRLEN", "under") == 900000
    assert_server_healthy(bystander)


# --- many connections -----------------------------------------------------------

def test_1000_clients(server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    socks = []
    try:
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            socks.append(s)
        for s in socks:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
        for s in socks:
            buf = b""
            while not buf.endswith(b"\r\n"):
                chunk = s.recv(16)
                assert chunk, "connection closed"
                buf += chunk
            assert buf == b"+PONG\r\n"
        with RawClient(server.port) as c:
            assert int(parse_info(c.cmd("INFO", "clients"))["connected_clients"]) >= 1001
    finally:
        for s in socks:
            s.close()
    with RawClient(server.port) as c:
        wait_until(lambda: int(parse_info(c.cmd("INFO", "clients"))["connected_clients"]) == 1,
                   what="1000 clients to be gone")


def test_maxclients(start_server):
    s = start_server(args=["--maxclients", "10"])
    first = RawClient(s.port)
    opened = [first]
    try:
        # Wait until only our own connection is counted (the fixture's probe may linger briefly).
        wait_until(lambda: parse_info(first.cmd("INFO", "clients"))["connected_clients"] == "1",
                   what="a quiet server")
        assert parse_info(first.cmd("INFO", "clients"))["maxclients"] == "10"
        for _ in range(9):
            cl = RawClient(s.port)
            opened.append(cl)
            assert cl.cmd("PING") == "PONG"
        extra = RawClient(s.port)
        opened.append(extra)
        assert extra.read_line() == b"-ERR max number of clients reached"
        assert extra.wait_closed()
        assert first.cmd("PING") == "PONG"
        # A slot frees up when someone leaves.
        opened[1].close()
        wait_until(lambda: parse_info(first.cmd("INFO", "clients"))["connected_clients"] == "9",
                   what="a client to leave")
        again = RawClient(s.port)
        opened.append(again)
        assert again.cmd("PING") == "PONG"
    finally:
        for cl in opened:
            cl.close()


def test_idle_timeout(start_server):
    s = start_server(args=["--timeout", "1"])
    with RawClient(s.port) as idle, RawClient(s.port) as sub:
        assert idle.cmd("PING") == "PONG"
        assert sub.cmd("SUBSCRIBE", "ch") == [b"subscribe", b"ch", 1]
        assert idle.wait_closed(timeout=15)
        # Pub/Sub clients are exempt from the idle timeout.
        with RawClient(s.port) as pub:
            assert pub.cmd("PUBLISH", "ch", "still here") == 1
        assert sub.read() == [b"message", b"ch", b"still here"]


def test_timeout_spares_active_client(start_server):
    s = start_server(args=["--timeout", "1"])
    with RawClient(s.port) as idle, RawClient(s.port) as busy:
        assert idle.cmd("PING") == "PONG"

        def idle_closed():
            assert busy.cmd("PING") == "PONG"  # keep the other client busy meanwhile
            return idle.wait_closed(timeout=0.1)

        wait_until(idle_closed, timeout=15, what="idle client to be closed")
        assert busy.cmd("PING") == "PONG"

