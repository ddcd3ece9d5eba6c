"""Connection, introspection and server-administration commands, as Redis 7.0 answers them."""
import os
import re
import time

import pytest

from conftest import wait_until
from util import Err, Map, RawClient, info_sections, parse_info, parse_reply, raw_reply_bytes

NOT_INT = Err("ERR value is not an integer or out of range")
SYNTAX = Err("ERR syntax error")


@pytest.fixture
def dbg(start_server):
    """A server with DEBUG enabled, and a raw client to it."""
    s = start_server(args=["--enable-debug-command", "yes"])
    cl = RawClient(s.port)
    yield cl
    cl.close()


def raw_reply_once(port, *cmd):
    with RawClient(port, timeout=2) as cl:
        return cl.cmd(*cmd)


def client_fields(line):
    if isinstance(line, bytes):
        line = line.decode()
    return dict(kv.split("=", 1) for kv in line.strip("\n").split(" "))


# --- PING / ECHO / errors -----------------------------------------------------

def test_ping_echo(c):
    assert c.cmd("PING") == "PONG"
    assert c.cmd("PING", "hello") == b"hello"
    assert c.cmd("PING", "") == b""
    assert c.cmd("ECHO", "hi there") == b"hi there"
    assert c.cmd("ECHO", b"\x00\xff\r\n") == b"\x00\xff\r\n"
    assert c.cmd("PING", "a", "b") == Err("ERR wrong number of arguments for 'ping' command")
    assert c.cmd("ECHO") == Err("ERR wrong number of arguments for 'echo' command")
    assert c.cmd("ECHO", "a", "b") == Err("ERR wrong number of arguments for 'echo' command")
    c.send("PING")
    assert raw_reply_bytes(c) == b"+PONG\r\n"


def test_unknown_command_text(c):
    c.send("foo", "a", "b")
    assert raw_reply_bytes(c) == b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    assert c.cmd("foo") == Err("ERR unknown command 'foo', with args beginning with: ")
    assert c.cmd("HELLOX", "3") == Err("ERR unknown command 'HELLOX', with args beginning with: '3' ")
    # The connection stays usable.
    assert c.cmd("PING") == "PONG"


def test_wrong_arity_text(c):
    assert c.cmd("GeT") == Err("ERR wrong number of arguments for 'get' command")
    assert c.cmd("SET", "k") == Err("ERR wrong number of arguments for 'set' command")
    assert c.cmd("CONFIG", "GET") == Err("ERR wrong number of arguments for 'config|get' command")
    assert c.cmd("CONFIG") == Err("ERR wrong number of arguments for 'config' command")
    assert c.cmd("CONFIG", "NOSUCH") == Err("ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.")
    assert c.cmd("CLIENT", "NOSUCH") == Err("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.")


def test_readonly_without_cluster(c):
    assert c.cmd("READONLY") == Err("ERR This instance has cluster support disabled")
    assert c.cmd("READWRITE") == Err("ERR This instance has cluster support disabled")


def test_quit(c):
    assert c.cmd("QUIT") == "OK"
    assert c.wait_closed()


# --- HELLO / RESP3 ------------------------------------------------------------

HELLO_KEYS = [b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"]


def check_hello_values(pairs, proto, client_id):
    assert [k for k, _ in pairs] == HELLO_KEYS
    d = dict(pairs)
    assert isinstance(d[b"server"], bytes) and d[b"server"]
    assert isinstance(d[b"version"], bytes) and re.fullmatch(rb"\d+\.\d+\.\d+", d[b"version"])
    assert d[b"proto"] == proto and type(d[b"proto"]) is int
    assert d[b"id"] == client_id and type(d[b"id"]) is int
    assert d[b"mode"] == b"standalone"
    assert d[b"role"] == b"master"
    assert d[b"modules"] == []


def test_hello3_raw_map(c):
    cid = c.cmd("CLIENT", "ID")
    c.send("HELLO", "3")
    raw = raw_reply_bytes(c)
    assert raw.startswith(b"%7\r\n$6\r\nserver\r\n$")
    assert b"$5\r\nproto\r\n:3\r\n" in raw
    assert b"$2\r\nid\r\n:%d\r\n" % cid in raw
    assert b"$4\r\nmode\r\n$10\r\nstandalone\r\n" in raw
    assert b"$4\r\nrole\r\n$6\r\nmaster\r\n" in raw
    assert raw.endswith(b"$7\r\nmodules\r\n*0\r\n")
    # Parse the same bytes structurally.
    reply = parse_reply(raw)
    assert isinstance(reply, Map)
    check_hello_values(list(reply), 3, cid)


def test_hello2_flat_array(c):
    cid = c.cmd("CLIENT", "ID")
    reply = c.cmd("HELLO", "2")
    assert isinstance(reply, list) and not isinstance(reply, Map)
    assert len(reply) == 14
    check_hello_values(list(zip(reply[0::2], reply[1::2])), 2, cid)
    # HELLO without a version reports the current protocol.
    reply = c.cmd("HELLO")
    assert len(reply) == 14 and reply[5] == 2


def test_hello_errors(c):
    c.send("HELLO", "4")
    assert raw_reply_bytes(c) == b"-NOPROTO unsupported protocol version\r\n"
    assert c.cmd("HELLO", "1") == Err("NOPROTO unsupported protocol version")
    assert c.cmd("HELLO", "x") == Err("ERR Protocol version is not an integer or out of range")
    assert c.cmd("HELLO", "3", "FOO") == Err("ERR Syntax error in HELLO option 'FOO'")
    # Still RESP2 after the failures.
    c.send("GET", "missing")
    assert raw_reply_bytes(c) == b"$-1\r\n"


def test_resp3_null_and_back_to_resp2(c):
    c.cmd("HELLO", "3")
    c.send("GET", "missing")
    assert raw_reply_bytes(c) == b"_\r\n"
    c.send("MGET", "missing", "m2")
    assert raw_reply_bytes(c) == b"*2\r\n_\r\n_\r\n"
    c.send("CONFIG", "GET", "maxmemory")
    assert raw_reply_bytes(c) == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    c.send("SET", "k", "v")
    assert raw_reply_bytes(c) == b"+OK\r\n"
    c.send("INCR", "n")
    assert raw_reply_bytes(c) == b":1\r\n"
    assert len(c.cmd("HELLO", "2")) == 14
    c.send("GET", "missing")
    assert raw_reply_bytes(c) == b"$-1\r\n"


def test_hello_setname(c):
    reply = c.cmd("HELLO", "3", "SETNAME", "myconn")
    assert isinstance(reply, Map)
    assert c.cmd("CLIENT", "GETNAME") == b"myconn"


def test_resp3_pubsub_push_frame(clients):
    s, p = clients(), clients()
    s.cmd("HELLO", "3")
    s.send("SUBSCRIBE", "chan")
    assert raw_reply_bytes(s) == b">3\r\n$9\r\nsubscribe\r\n$4\r\nchan\r\n:1\r\n"
    assert p.cmd("PUBLISH", "chan", "hello") == 1
    assert raw_reply_bytes(s) == b">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$5\r\nhello\r\n"
    s.send("PSUBSCRIBE", "ch*")
    assert raw_reply_bytes(s) == b">3\r\n$10\r\npsubscribe\r\n$3\r\nch*\r\n:2\r\n"
    assert p.cmd("PUBLISH", "chan", "x") == 2
    assert raw_reply_bytes(s) == b">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$1\r\nx\r\n"
    assert raw_reply_bytes(s) == b">4\r\n$8\r\npmessage\r\n$3\r\nch*\r\n$4\r\nchan\r\n$1\r\nx\r\n"


# --- AUTH / ACL -----------------------------------------------------------------

def test_auth_without_password(c):
    assert c.cmd("AUTH", "x") == Err(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?")
    assert c.cmd("AUTH", "someuser", "x") == Err("WRONGPASS invalid username-password pair or user is disabled.")
    assert c.cmd("ACL", "WHOAMI") == b"default"
    assert c.cmd("PING") == "PONG"


def test_auth_with_requirepass(start_server):
    s = start_server(args=["--requirepass", "s3cret"], wait=False)
    noauth = Err("NOAUTH Authentication required.")
    wait_until(lambda: raw_reply_once(s.port, "PING") == noauth, what="password-protected server")
    with RawClient(s.port) as c:
        assert c.cmd("GET", "k") == noauth
        assert c.cmd("PING") == noauth
        assert c.cmd("SET", "k", "v") == noauth
        assert c.cmd("AUTH", "wrong") == Err("WRONGPASS invalid username-password pair or user is disabled.")
        assert c.cmd("AUTH", "default", "wrong") == Err("WRONGPASS invalid username-password pair or user is disabled.")
        assert c.cmd("GET", "k") == noauth
        assert c.cmd("AUTH", "a", "b", "c") == SYNTAX
        assert c.cmd("AUTH", "s3cret") == "OK"
        assert c.cmd("GET", "k") is None
        assert c.cmd("ACL", "WHOAMI") == b"default"
    with RawClient(s.port) as c:
        assert c.cmd("AUTH", "default", "s3cret") == "OK"
        assert c.cmd("PING") == "PONG"
    with RawClient(s.port) as c:
        reply = c.cmd("HELLO", "3", "AUTH", "default", "s3cret")
        assert isinstance(reply, Map) and reply.dict()[b"proto"] == 3
        assert c.cmd("PING") == "PONG"
    with RawClient(s.port) as c:
        assert c.cmd("HELLO", "3", "AUTH", "default", "bad") == \
            Err("WRONGPASS invalid username-password pair or user is disabled.")
        assert c.cmd("GET", "k") == noauth
        hello = c.cmd("HELLO", "3")
        assert isinstance(hello, Err) and hello.startswith("NOAUTH ")
    with RawClient(s.port) as c:
        # redis-py style handshake pipeline: AUTH then CLIENT SETINFO (error tolerated) then PING.
        replies = c.pipeline([("AUTH", "s3cret"), ("CLIENT", "SETINFO", "LIB-NAME", "redis-py"),
                              ("CLIENT", "SETINFO", "LIB-VER", "5.0.0"), ("PING",)])
        assert replies[0] == "OK"
        for r in replies[1:3]:
            assert r == "OK" or (isinstance(r, Err) and r.startswith("ERR")), r
        assert replies[3] == "PONG"


# --- CLIENT ----------------------------------------------------------------------

def test_client_id_and_names(clients):
    a, b = clients(), clients()
    ida, idb = a.cmd("CLIENT", "ID"), b.cmd("CLIENT", "ID")
    assert type(ida) is int and type(idb) is int and idb > ida
    assert a.cmd("CLIENT", "GETNAME") is None
    assert a.cmd("CLIENT", "SETNAME", "worker-1(x)") == "OK"
    assert a.cmd("CLIENT", "GETNAME") == b"worker-1(x)"
    assert a.cmd("CLIENT", "SETNAME", "a b") == \
        Err("ERR Client names cannot contain spaces, newlines or special characters.")
    assert a.cmd("CLIENT", "SETNAME", "a\nb") == \
        Err("ERR Client names cannot contain spaces, newlines or special characters.")
    assert a.cmd("CLIENT", "GETNAME") == b"worker-1(x)"
    assert a.cmd("CLIENT", "SETNAME", "") == "OK"
    assert a.cmd("CLIENT", "GETNAME") is None
    assert a.cmd("CLIENT", "SETNAME") == Err("ERR wrong number of arguments for 'client|setname' command")


CLIENT_LIST_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
                      "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl",
                      "oll", "omem", "tot-mem", "events", "cmd", "user", "redir", "resp"]


def test_client_list_and_info(server, clients):
    a, b = clients(), clients()
    assert a.cmd("CLIENT", "SETNAME", "alpha") == "OK"
    assert b.cmd("SELECT", "5") == "OK"
    ida, idb = a.cmd("CLIENT", "ID"), b.cmd("CLIENT", "ID")
    listing = a.cmd("CLIENT", "LIST")
    assert isinstance(listing, bytes) and listing.endswith(b"\n")
    lines = listing.decode().rstrip("\n").split("\n")
    rows = {int(client_fields(line)["id"]): line for line in lines}
    assert ida in rows and idb in rows
    fa = client_fields(rows[ida])
    assert list(fa) == CLIENT_LIST_FIELDS
    assert fa["addr"] == "127.0.0.1:%d" % a.sock.getsockname()[1]
    assert fa["laddr"] == "127.0.0.1:%d" % server.port
    assert fa["name"] == "alpha"
    assert fa["flags"] == "N"
    assert fa["db"] == "0"
    assert fa["cmd"] == "client|list"
    assert fa["user"] == "default"
    assert fa["resp"] == "2"
    assert fa["multi"] == "-1"
    fb = client_fields(rows[idb])
    assert fb["db"] == "5" and fb["name"] == "" and fb["cmd"] == "client|id"
    info = a.cmd("CLIENT", "INFO")
    assert isinstance(info, bytes) and info.endswith(b"\n") and info.count(b"\n") == 1
    fi = client_fields(info)
    assert list(fi) == CLIENT_LIST_FIELDS
    assert fi["id"] == str(ida) and fi["cmd"] == "client|info"
    only = a.cmd("CLIENT", "LIST", "ID", idb)
    assert only.count(b"\n") == 1 and client_fields(only)["id"] == str(idb)
    assert a.cmd("CLIENT", "LIST", "ID", "999999") == b""
    assert a.cmd("CLIENT", "LIST", "ID", "x") == Err("ERR Invalid client ID")
    normal = a.cmd("CLIENT", "LIST", "TYPE", "normal").decode()
    assert f"id={ida} " in normal and f"id={idb} " in normal
    assert a.cmd("CLIENT", "LIST", "TYPE", "pubsub") == b""
    assert a.cmd("CLIENT", "LIST", "TYPE", "foo") == Err("ERR Unknown client type 'foo'")


def test_client_list_flags_and_counts(clients):
    a, sub, m = clients(), clients(), clients()
    sub_id, m_id = sub.cmd("CLIENT", "ID"), m.cmd("CLIENT", "ID")
    assert sub.cmd("SUBSCRIBE", "x") == [b"subscribe", b"x", 1]
    assert sub.cmd("PSUBSCRIBE", "y*") == [b"psubscribe", b"y*", 2]
    assert m.cmd("MULTI") == "OK"
    assert m.cmd("PING") == "QUEUED"
    rows = {}
    for line in a.cmd("CLIENT", "LIST").decode().rstrip("\n").split("\n"):
        f = client_fields(line)
        rows[int(f["id"])] = f
    assert rows[sub_id]["flags"] == "P"
    assert rows[sub_id]["sub"] == "1" and rows[sub_id]["psub"] == "1"
    assert rows[m_id]["flags"] == "x" and rows[m_id]["multi"] == "1"
    assert a.cmd("CLIENT", "LIST", "TYPE", "pubsub").decode().count("\n") == 1


def test_client_kill_by_id_and_addr(clients):
    admin, v1, v2, v3 = clients(), clients(), clients(), clients()
    id1 = v1.cmd("CLIENT", "ID")
    assert admin.cmd("CLIENT", "KILL", "ID", id1) == 1
    assert v1.wait_closed()
    assert admin.cmd("CLIENT", "KILL", "ID", id1) == 0
    assert admin.cmd("CLIENT", "KILL", "ID", "x") == Err("ERR client-id should be greater than 0")
    addr2 = "127.0.0.1:%d" % v2.sock.getsockname()[1]
    assert admin.cmd("CLIENT", "KILL", "ADDR", addr2) == 1
    assert v2.wait_closed()
    assert admin.cmd("CLIENT", "KILL", "ADDR", "1.2.3.4:5") == 0
    # Old form: CLIENT KILL ip:port -> +OK / error.
    addr3 = "127.0.0.1:%d" % v3.sock.getsockname()[1]
    assert admin.cmd("CLIENT", "KILL", addr3) == "OK"
    assert v3.wait_closed()
    assert admin.cmd("CLIENT", "KILL", "1.2.3.4:5") == Err("ERR No such client")
    assert admin.cmd("PING") == "PONG"


def test_client_kill_type_and_skipme(clients):
    admin, n1, n2, sub = clients(), clients(), clients(), clients()
    assert n1.cmd("PING") == "PONG" and n2.cmd("PING") == "PONG"
    assert sub.cmd("SUBSCRIBE", "c") == [b"subscribe", b"c", 1]
    assert admin.cmd("CLIENT", "KILL", "TYPE", "foo") == Err("ERR Unknown client type 'foo'")
    assert admin.cmd("CLIENT", "KILL", "TYPE", "master") == 0
    assert admin.cmd("CLIENT", "KILL", "TYPE", "replica") == 0
    assert admin.cmd("CLIENT", "KILL", "TYPE", "slave") == 0
    assert admin.cmd("CLIENT", "KILL", "TYPE", "pubsub") == 1
    assert sub.wait_closed()
    assert admin.cmd("CLIENT", "KILL", "TYPE", "normal") == 2  # SKIPME yes by default
    assert n1.wait_closed() and n2.wait_closed()
    assert admin.cmd("PING") == "PONG"
    assert admin.cmd("CLIENT", "KILL", "SKIPME", "maybe") == SYNTAX
    # SKIPME no: the caller gets its count and then is disconnected.
    assert admin.cmd("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no") == 1
    assert admin.wait_closed()


def test_client_kill_id_skipme(clients):
    a = clients()
    my = a.cmd("CLIENT", "ID")
    assert a.cmd("CLIENT", "KILL", "ID", my) == 0
    assert a.cmd("PING") == "PONG"


def test_client_setinfo_and_maint_notifications_get_replies(c):
    # Clients pipeline these during the handshake; any reply is fine, silence or a close is not.
    replies = c.pipeline([
        ("CLIENT", "SETINFO", "LIB-NAME", "redis-py"),
        ("CLIENT", "SETINFO", "LIB-VER", "5.0.1"),
        ("CLIENT", "MAINT_NOTIFICATIONS", "ON", "moving-endpoint-type", "internal-ip"),
        ("PING",),
    ])
    for r in replies[:2]:
        assert r == "OK" or (isinstance(r, Err) and r.startswith("ERR")), r
    assert isinstance(replies[2], Err) and replies[2].startswith("ERR"), replies[2]
    assert replies[3] == "PONG"


def test_client_reply_off_on_skip(c):
    c.send("CLIENT", "REPLY", "OFF")
    c.send("SET", "a", "1")
    c.send("GET", "a")
    c.send("CLIENT", "REPLY", "ON")
    assert c.read() == "OK"  # only the reply to REPLY ON
    assert c.cmd("GET", "a") == b"1"
    c.send("CLIENT", "REPLY", "SKIP")
    c.send("SET", "a", "2")
    c.send("GET", "a")
    assert c.read() == b"2"  # SKIP silenced exactly the next command
    assert c.cmd("PING") == "PONG"
    assert c.cmd("CLIENT", "REPLY", "FOO") == SYNTAX


def test_client_no_evict(c):
    assert c.cmd("CLIENT", "NO-EVICT", "on") == "OK"
    assert "e" in client_fields(c.cmd("CLIENT", "INFO"))["flags"]
    assert c.cmd("CLIENT", "NO-EVICT", "off") == "OK"
    assert "e" not in client_fields(c.cmd("CLIENT", "INFO"))["flags"]
    assert c.cmd("CLIENT", "NO-EVICT", "x") == SYNTAX


def blocked_clients(c):
    return int(parse_info(c.cmd("INFO", "clients"))["blocked_clients"])


def test_client_pause_write_and_unpause(clients):
    admin, w = clients(), clients()
    assert admin.cmd("SET", "k", "before") == "OK"
    assert admin.cmd("CLIENT", "PAUSE", "20000", "WRITE") == "OK"
    w.send("SET", "k", "during")
    wait_until(lambda: blocked_clients(admin) == 1, what="the write to be held")
    assert w.read_available(0.1) == b""
    # Reads from other clients still proceed.
    assert admin.cmd("GET", "k") == b"before"
    assert admin.cmd("CLIENT", "UNPAUSE") == "OK"
    assert w.read() == "OK"
    assert admin.cmd("GET", "k") == b"during"
    assert blocked_clients(admin) == 0


def test_client_pause_all_delays_everything(clients):
    admin, r = clients(), clients()
    start = time.monotonic()
    assert admin.cmd("CLIENT", "PAUSE", "300") == "OK"
    assert r.cmd("PING") == "PONG"  # answered only when the pause ends
    assert time.monotonic() - start >= 0.25


def test_client_pause_errors(c):
    assert c.cmd("CLIENT", "PAUSE", "x") == Err("ERR timeout is not an integer or out of range")
    assert c.cmd("CLIENT", "PAUSE", "100", "FOO") == Err("ERR CLIENT PAUSE mode must be WRITE or ALL")
    assert c.cmd("CLIENT", "UNPAUSE") == "OK"


# --- CONFIG ---------------------------------------------------------------------

def test_config_get_patterns(c):
    assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"0"]
    upper = c.cmd("CONFIG", "GET", "MAXMEMORY")
    assert len(upper) == 2 and upper[0].lower() == b"maxmemory" and upper[1] == b"0"
    assert c.cmd("CONFIG", "GET", "nonexistent") == []
    got = c.cmd("CONFIG", "GET", "maxmemory*")
    d = dict(zip(got[0::2], got[1::2]))
    assert len(got) == 2 * len(d)
    assert d[b"maxmemory"] == b"0"
    assert d[b"maxmemory-policy"] == b"noeviction"
    assert d[b"maxmemory-samples"] == b"5"
    assert all(k.startswith(b"maxmemory") for k in d)
    got = c.cmd("CONFIG", "GET", "timeout", "databases", "maxmemory-polic?")
    assert dict(zip(got[0::2], got[1::2])) == {b"timeout": b"0", b"databases": b"16",
                                                b"maxmemory-policy": b"noeviction"}
    got = c.cmd("CONFIG", "GET", "save", "appendonly")
    assert dict(zip(got[0::2], got[1::2])) == {b"save": b"", b"appendonly": b"no"}
    everything = c.cmd("CONFIG", "GET", "*")
    assert len(everything) > 100 and len(everything) % 2 == 0


def test_config_set_and_get(c):
    assert c.cmd("CONFIG", "SET", "maxmemory", "10mb") == "OK"
    assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"10485760"]
    assert c.cmd("CONFIG", "SET", "timeout", "30", "maxmemory-policy", "allkeys-lru") == "OK"
    assert c.cmd("CONFIG", "GET", "timeout") == [b"timeout", b"30"]
    assert c.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"allkeys-lru"]
    assert c.cmd("CONFIG", "SET", "MAXMEMORY", "1gb") == "OK"
    assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"1073741824"]


def test_config_set_is_atomic(c):
    err = c.cmd("CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "bogus")
    assert isinstance(err, Err)
    assert err.startswith("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')")
    assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"0"]
    assert c.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"noeviction"]
    err = c.cmd("CONFIG", "SET", "timeout", "5", "maxmemory", "1mb", "maxmemory", "2mb")
    assert err == Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter")
    assert c.cmd("CONFIG", "GET", "timeout") == [b"timeout", b"0"]
    err = c.cmd("CONFIG", "SET", "timeout", "x")
    assert err == Err("ERR CONFIG SET failed (possibly related to argument 'timeout') - "
                      "argument couldn't be parsed into an integer")


def test_config_set_errors(c):
    assert c.cmd("CONFIG", "SET", "foo", "1") == \
        Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
    assert c.cmd("CONFIG", "SET", "maxmemory", "1mb", "nosuch", "1") == \
        Err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
    assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"0"]
    assert c.cmd("CONFIG", "SET", "maxmemory") == Err("ERR wrong number of arguments for 'config|set' command")


def test_config_rewrite_roundtrip(start_server):
    text = "# keel comment line\nmaxmemory 1mb\n# trailing comment\n"
    s = start_server(config_text=text)
    with RawClient(s.port) as c:
        assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"1048576"]
        assert c.cmd("CONFIG", "SET", "maxmemory", "3mb") == "OK"
        assert c.cmd("CONFIG", "REWRITE") == "OK"
    with open(s.config_file) as f:
        rewritten = f.read()
    lines = rewritten.split("\n")
    assert lines[0] == "# keel comment line"
    assert lines[1] in ("maxmemory 3mb", "maxmemory 3145728")  # rewritten in place
    assert lines[2] == "# trailing comment"
    assert sum(1 for line in lines if line.startswith("maxmemory ")) == 1
    s.stop()
    s2 = start_server(config_text=rewritten)
    with RawClient(s2.port) as c:
        assert c.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"3145728"]


def test_config_rewrite_adds_new_directive(start_server):
    s = start_server(config_text="# only a comment\n")
    with RawClient(s.port) as c:
        assert c.cmd("CONFIG", "SET", "timeout", "77") == "OK"
        assert c.cmd("CONFIG", "REWRITE") == "OK"
    with open(s.config_file) as f:
        rewritten = f.read()
    assert rewritten.startswith("# only a comment\n")
    assert "\ntimeout 77\n" in rewritten
    s.stop()
    s2 = start_server(config_text=rewritten)
    with RawClient(s2.port) as c:
        assert c.cmd("CONFIG", "GET", "timeout") == [b"timeout", b"77"]


def test_config_resetstat(c):
    assert c.cmd("SET", "x", "1") == "OK"
    assert c.cmd("GET", "x") == b"1"
    assert c.cmd("GET", "nope") is None
    assert c.cmd("GET") == Err("ERR wrong number of arguments for 'get' command")
    info = parse_info(c.cmd("INFO", "everything"))
    assert "cmdstat_get" in info and info["keyspace_hits"] == "1" and info["keyspace_misses"] == "1"
    assert "errorstat_ERR" in info
    assert c.cmd("CONFIG", "RESETSTAT") == "OK"
    info = parse_info(c.cmd("INFO", "everything"))
    assert "cmdstat_get" not in info
    assert "errorstat_ERR" not in info
    assert info["keyspace_hits"] == "0" and info["keyspace_misses"] == "0"
    assert int(info["total_commands_processed"]) <= 2
    assert info["total_error_replies"] == "0"


# --- INFO -----------------------------------------------------------------------

def raw_info(c, *sections):
    c.send("INFO", *sections)
    raw = raw_reply_bytes(c)
    m = re.match(rb"\$(\d+)\r\n", raw)
    assert m, raw[:40]
    payload = raw[m.end():-2]
    assert len(payload) == int(m.group(1)) and raw.endswith(b"\r\n")
    return payload


ALL_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
                "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]


def test_info_sections(c):
    assert c.cmd("GET", "x") is None  # so that command/latency stats are non-empty
    assert info_sections(c.cmd("INFO", "everything")) == ALL_SECTIONS
    assert info_sections(c.cmd("INFO", "all")) == ALL_SECTIONS
    default = info_sections(c.cmd("INFO"))
    assert default == [s for s in ALL_SECTIONS if s not in ("Commandstats", "Latencystats")]
    assert info_sections(c.cmd("INFO", "default")) == default
    assert info_sections(c.cmd("INFO", "server")) == ["Server"]
    assert info_sections(c.cmd("INFO", "Replication")) == ["Replication"]
    assert info_sections(c.cmd("INFO", "server", "clients")) == ["Server", "Clients"]
    assert c.cmd("INFO", "nosuchsection") == b""


def test_info_crlf_and_format(c):
    assert c.cmd("SET", "k", "v") == "OK"
    payload = raw_info(c, "everything")
    assert payload.endswith(b"\r\n")
    assert b"\n" not in payload.replace(b"\r\n", b"")
    assert b"\r" not in payload.replace(b"\r\n", b"")
    assert payload.startswith(b"# Server\r\n")
    for line in payload.decode().split("\r\n"):
        if line == "" or line.startswith("# "):
            continue
        assert re.fullmatch(r"[a-z0-9_|.\-]+:.*", line, re.I), line
        key, _, value = line.partition(":")
        if "," in value and "=" in value:
            for item in value.split(","):
                assert "=" in item, line
    # redis-cli's version probe looks for "\nredis_version:" terminated by "\r".
    assert re.search(rb"\nredis_version:[0-9.]+\r\n", payload)


def test_info_fields(c):
    info = parse_info(raw_info(c, "everything"))
    assert re.fullmatch(r"[0-9a-f]{40}", info["run_id"])
    assert info["role"] == "master"
    assert info["loading"] == "0"
    assert int(info["connected_clients"]) >= 1
    assert int(info["used_memory"]) > 0
    assert int(info["total_commands_processed"]) >= 0
    assert info["master_failover_state"] == "no-failover"
    assert re.fullmatch(r"[0-9a-f]{40}", info["master_replid"])
    assert int(info["master_repl_offset"]) >= 0
    assert info["connected_slaves"] == "0"
    assert info["cluster_enabled"] == "0"
    assert info["redis_mode"] == "standalone"
    assert int(info["tcp_port"]) > 0
    assert int(info["process_id"]) > 0
    assert info["rdb_bgsave_in_progress"] == "0"
    assert info["aof_rewrite_in_progress"] == "0"
    assert int(info["total_connections_received"]) >= 1
    assert info["blocked_clients"] == "0"
    assert int(info["maxclients"]) > 0
    assert int(info["expired_keys"]) == 0 and int(info["evicted_keys"]) == 0


def test_info_counts_commands_and_clients(server, clients):
    a = clients()
    before = int(parse_info(a.cmd("INFO", "stats"))["total_commands_processed"])
    for _ in range(10):
        a.cmd("PING")
    after = int(parse_info(a.cmd("INFO", "stats"))["total_commands_processed"])
    assert after - before == 11  # ten PINGs and the first INFO
    n0 = int(parse_info(a.cmd("INFO", "clients"))["connected_clients"])
    extra = [clients() for _ in range(3)]
    for e in extra:
        e.cmd("PING")
    assert int(parse_info(a.cmd("INFO", "clients"))["connected_clients"]) == n0 + 3
    for e in extra:
        e.close()
    wait_until(lambda: int(parse_info(a.cmd("INFO", "clients"))["connected_clients"]) == n0,
               what="closed clients to be counted out")


def test_info_keyspace_only_nonempty_dbs(c):
    assert parse_info(c.cmd("INFO", "keyspace")) == {}
    assert b"db0:" not in c.cmd("INFO")
    assert c.cmd("SELECT", "2") == "OK"
    assert c.cmd("SET", "a", "1") == "OK"
    assert c.cmd("SET", "b", "1", "EX", "1000") == "OK"
    info = parse_info(c.cmd("INFO", "keyspace"))
    assert list(info) == ["db2"]
    assert re.fullmatch(r"keys=2,expires=1,avg_ttl=\d+", info["db2"])
    assert c.cmd("FLUSHDB") == "OK"
    assert parse_info(c.cmd("INFO", "keyspace")) == {}


def test_info_commandstats_and_errorstats(c):
    assert c.cmd("CONFIG", "RESETSTAT") == "OK"
    assert c.cmd("SET", "x", "1") == "OK"
    assert c.cmd("GET", "x") == b"1"
    assert c.cmd("GET") == Err("ERR wrong number of arguments for 'get' command")
    assert c.cmd("SET", "s", "a") == "OK"
    assert c.cmd("INCR", "s") == NOT_INT
    info = parse_info(c.cmd("INFO", "commandstats"))
    stat = r"calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)"
    m = re.fullmatch(stat, info["cmdstat_get"])
    assert m and m.group(1) == "1" and m.group(4) == "1" and m.group(5) == "0"
    m = re.fullmatch(stat, info["cmdstat_set"])
    assert m and m.group(1) == "2" and m.group(4) == "0" and m.group(5) == "0"
    m = re.fullmatch(stat, info["cmdstat_incr"])
    assert m and m.group(1) == "1" and m.group(5) == "1"
    assert "cmdstat_config|resetstat" in info
    errs = parse_info(c.cmd("INFO", "errorstats"))
    assert errs == {"errorstat_ERR": "count=2"}


def test_info_latencystats(c):
    assert c.cmd("GET", "x") is None
    info = parse_info(c.cmd("INFO", "latencystats"))
    assert re.fullmatch(r"p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}", info["latency_percentiles_usec_get"])


# --- small server commands ------------------------------------------------------

def test_dbsize_time_lastsave(c):
    assert c.cmd("DBSIZE") == 0
    assert c.cmd("MSET", "a", "1", "b", "2") == "OK"
    assert c.cmd("DBSIZE") == 2
    t = c.cmd("TIME")
    assert isinstance(t, list) and len(t) == 2 and all(isinstance(x, bytes) for x in t)
    assert abs(int(t[0]) - time.time()) < 5
    assert 0 <= int(t[1]) < 1000000
    last = c.cmd("LASTSAVE")
    assert type(last) is int and abs(last - time.time()) < 60


def test_slowlog(c):
    assert c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0") == "OK"
    assert c.cmd("SLOWLOG", "RESET") == "OK"
    assert c.cmd("CLIENT", "SETNAME", "slowpoke") == "OK"
    assert c.cmd("SET", "slowkey", "value") == "OK"
    entries = c.cmd("SLOWLOG", "GET")
    assert isinstance(entries, list) and entries
    mine = [e for e in entries if e[3] == [b"SET", b"slowkey", b"value"]]
    assert len(mine) == 1
    entry_id, ts, duration, args, addr, name = mine[0]
    assert type(entry_id) is int and type(ts) is int and type(duration) is int
    assert abs(ts - time.time()) < 60 and duration >= 0
    assert addr == b"127.0.0.1:%d" % c.sock.getsockname()[1]
    assert name == b"slowpoke"
    # Newest first.
    ids = [e[0] for e in entries]
    assert ids == sorted(ids, reverse=True)
    assert type(c.cmd("SLOWLOG", "LEN")) is int and c.cmd("SLOWLOG", "LEN") >= 2
    assert len(c.cmd("SLOWLOG", "GET", "1")) == 1
    assert c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "1000000") == "OK"
    assert c.cmd("SLOWLOG", "RESET") == "OK"
    assert c.cmd("SET", "fast", "1") == "OK"
    assert c.cmd("SLOWLOG", "LEN") == 0
    assert c.cmd("SLOWLOG", "GET") == []


def test_slowlog_argument_truncation(c):
    assert c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0") == "OK"
    assert c.cmd("SLOWLOG", "RESET") == "OK"
    args = ["MSET"] + [f"k{i}" for i in range(40)]
    assert c.cmd(*args) == "OK"
    entry = [e for e in c.cmd("SLOWLOG", "GET") if e[3][0] == b"MSET"][0]
    assert len(entry[3]) == 32
    assert entry[3][-1] == b"... (10 more arguments)"
    long_value = "v" * 200
    assert c.cmd("SET", "long", long_value) == "OK"
    entry = [e for e in c.cmd("SLOWLOG", "GET") if e[3][:2] == [b"SET", b"long"]][0]
    assert entry[3][2] == b"v" * 128 + b"... (72 more bytes)"


def test_latency_monitor(dbg):
    c = dbg
    assert c.cmd("LATENCY", "LATEST") == []
    assert c.cmd("CONFIG", "SET", "latency-monitor-threshold", "50") == "OK"
    assert c.cmd("DEBUG", "SLEEP", "0.1") == "OK"
    latest = c.cmd("LATENCY", "LATEST")
    assert len(latest) == 1
    event, ts, last_ms, max_ms = latest[0]
    assert event == b"command" and abs(ts - time.time()) < 60
    assert 100 <= last_ms < 5000 and max_ms == last_ms
    hist = c.cmd("LATENCY", "HISTORY", "command")
    assert len(hist) == 1 and hist[0][0] == ts and hist[0][1] == last_ms
    assert c.cmd("LATENCY", "HISTORY", "nosuch") == []
    assert c.cmd("LATENCY", "RESET") == 1
    assert c.cmd("LATENCY", "LATEST") == []
    assert c.cmd("LATENCY", "RESET", "command") == 0


def test_memory_commands(c):
    assert c.cmd("SET", "k", "hello") == "OK"
    usage = c.cmd("MEMORY", "USAGE", "k")
    assert type(usage) is int and usage > 5
    assert type(c.cmd("MEMORY", "USAGE", "k", "SAMPLES", "5")) is int
    assert c.cmd("MEMORY", "USAGE", "missing") is None
    assert c.cmd("SET", "big", "x" * 10000) == "OK"
    assert c.cmd("MEMORY", "USAGE", "big") > 10000
    stats = c.cmd("MEMORY", "STATS")
    assert isinstance(stats, list) and len(stats) % 2 == 0
    d = dict(zip(stats[0::2], stats[1::2]))
    assert stats[0] == b"peak.allocated"
    for key in (b"peak.allocated", b"total.allocated", b"startup.allocated", b"keys.count", b"dataset.bytes"):
        assert key in d, key
    assert d[b"keys.count"] == 2
    doctor = c.cmd("MEMORY", "DOCTOR")
    assert isinstance(doctor, bytes) and len(doctor) > 0


def test_object_subcommands(c):
    assert c.cmd("SET", "k", "hello") == "OK"
    assert c.cmd("OBJECT", "ENCODING", "k") == b"embstr"
    assert c.cmd("OBJECT", "REFCOUNT", "k") == 1
    idle = c.cmd("OBJECT", "IDLETIME", "k")
    assert type(idle) is int and 0 <= idle <= 5
    for sub in ("ENCODING", "REFCOUNT", "IDLETIME", "FREQ"):
        assert c.cmd("OBJECT", sub, "missing") is None
    assert c.cmd("OBJECT", "FREQ", "k") == Err(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
        "when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    assert c.cmd("OBJECT", "FOO", "k") == Err("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")


def test_object_freq_with_lfu(start_server):
    s = start_server(args=["--maxmemory-policy", "allkeys-lfu"])
    with RawClient(s.port) as c:
        assert c.cmd("SET", "k", "v") == "OK"
        assert c.cmd("OBJECT", "FREQ", "k") == 5  # LFU_INIT_VAL for a new key
        assert c.cmd("GET", "k") == b"v"
        assert c.cmd("OBJECT", "FREQ", "k") == 6  # the first hit always counts
        for _ in range(50):
            c.cmd("GET", "k")
        assert c.cmd("OBJECT", "FREQ", "k") >= 6
        assert c.cmd("OBJECT", "IDLETIME", "k") == Err(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
            "switching between policies at runtime LRU and LFU data will take some time to adjust.")


def test_debug_commands(dbg):
    c = dbg
    assert c.cmd("DEBUG", "SLEEP", "0") == "OK"
    assert c.cmd("DEBUG", "DIGEST") == "0" * 40
    assert c.cmd("SET", "k", "hello") == "OK"
    obj = c.cmd("DEBUG", "OBJECT", "k")
    assert isinstance(obj, str)
    assert re.match(r"Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:\d+ lru:\d+ "
                    r"lru_seconds_idle:\d+", obj), obj
    assert c.cmd("DEBUG", "OBJECT", "missing") == Err("ERR no such key")
    d1 = c.cmd("DEBUG", "DIGEST")
    assert re.fullmatch(r"[0-9a-f]{40}", d1) and d1 != "0" * 40
    dv = c.cmd("DEBUG", "DIGEST-VALUE", "k", "missing")
    assert len(dv) == 2 and re.fullmatch(r"[0-9a-f]{40}", dv[0]) and dv[1] == "0" * 40
    assert c.cmd("SET", "k", "hellO") == "OK"
    assert c.cmd("DEBUG", "DIGEST") != d1
    assert c.cmd("DEBUG", "DIGEST-VALUE", "k")[0] != dv[0]
    assert c.cmd("SET", "k", "hello") == "OK"
    assert c.cmd("DEBUG", "DIGEST") == d1  # a function of the content only


def test_debug_digest_independent_of_insertion_order(start_server):
    a = start_server(args=["--enable-debug-command", "yes"])
    b = start_server(args=["--enable-debug-command", "yes"])
    with RawClient(a.port) as ca, RawClient(b.port) as cb:
        for i in range(50):
            assert ca.cmd("SET", f"k{i}", f"v{i}") == "OK"
        for i in reversed(range(50)):
            assert cb.cmd("SET", f"k{i}", f"v{i}") == "OK"
        assert ca.cmd("DEBUG", "DIGEST") == cb.cmd("DEBUG", "DIGEST")
        assert cb.cmd("SET", "k0", "other") == "OK"
        assert ca.cmd("DEBUG", "DIGEST") != cb.cmd("DEBUG", "DIGEST")


def test_debug_populate(dbg):
    c = dbg
    assert c.cmd("DEBUG", "POPULATE", "100") == "OK"
    assert c.cmd("DBSIZE") == 100
    assert c.cmd("MGET", "key:0", "key:99", "key:100") == [b"value:0", b"value:99", None]
    assert c.cmd("DEBUG", "POPULATE", "2", "pfx", "10") == "OK"
    assert c.cmd("MGET", "pfx:0", "pfx:1") == [b"value:0\x00\x00\x00", b"value:1\x00\x00\x00"]
    assert c.cmd("SET", "key:5", "mine") == "OK"
    assert c.cmd("DEBUG", "POPULATE", "10") == "OK"  # existing keys are left alone
    assert c.cmd("GET", "key:5") == b"mine"
    assert c.cmd("DBSIZE") == 102


def test_debug_change_repl_id(dbg):
    c = dbg
    before = parse_info(c.cmd("INFO", "replication"))["master_replid"]
    assert c.cmd("DEBUG", "CHANGE-REPL-ID") == "OK"
    after = parse_info(c.cmd("INFO", "replication"))["master_replid"]
    assert re.fullmatch(r"[0-9a-f]{40}", after) and after != before


def test_debug_disabled_by_default(c):
    reply = c.cmd("DEBUG", "SLEEP", "0")
    assert isinstance(reply, Err) and reply.startswith("ERR DEBUG command not allowed.")


# --- COMMAND --------------------------------------------------------------------

def test_command_count_and_list(c):
    count = c.cmd("COMMAND", "COUNT")
    assert type(count) is int and count > 50
    table = c.cmd("COMMAND")
    assert isinstance(table, list) and len(table) == count
    for entry in table:
        assert len(entry) == 10, entry[:2]
        assert isinstance(entry[0], bytes) and entry[0] == entry[0].lower()
        assert type(entry[1]) is int and type(entry[3]) is int
    names = c.cmd("COMMAND", "LIST")
    assert isinstance(names, list)
    for name in (b"get", b"set", b"ping", b"config|get", b"client|kill", b"hello", b"command"):
        assert name in names, name
    assert set(e[0] for e in table) <= set(names)
    getlike = c.cmd("COMMAND", "LIST", "FILTERBY", "PATTERN", "get*")
    assert b"get" in getlike and b"getrange" in getlike and b"set" not in getlike
    assert c.cmd("COMMAND", "COUNT", "x") == Err("ERR wrong number of arguments for 'command|count' command")


def test_command_info(c):
    get, missing, set_, mset = c.cmd("COMMAND", "INFO", "get", "nosuchcmd", "SET", "mset")
    assert missing is None
    # name, arity, flags, first key, last key, step, ACL categories, tips (then key specs, subcommands)
    assert get[:8] == [b"get", 2, ["readonly", "fast"], 1, 1, 1, ["@read", "@string", "@fast"], []]
    assert set_[:8] == [b"set", -3, ["write", "denyoom"], 1, 1, 1, ["@write", "@string", "@slow"], []]
    assert mset[:7] == [b"mset", -3, ["write", "denyoom"], 1, -1, 2, ["@write", "@string", "@slow"]]
    for entry in (get, set_, mset):
        assert len(entry) == 10
        assert isinstance(entry[7], list) and isinstance(entry[8], list) and entry[9] == []
    key_specs = get[8]
    assert isinstance(key_specs, list) and len(key_specs) == 1
    spec = dict(zip(key_specs[0][0::2], key_specs[0][1::2]))
    assert b"begin_search" in spec and b"find_keys" in spec
    # Container commands list their subcommands as full entries named parent|sub.
    config = c.cmd("COMMAND", "INFO", "config")[0]
    assert config[0] == b"config" and config[1] == -2
    subs = {s[0]: s for s in config[9]}
    assert subs[b"config|get"][1] == -3
    assert subs[b"config|set"][1] == -4
    assert subs[b"config|rewrite"][1] == 2
    assert all(len(s) == 10 for s in subs.values())


def test_command_getkeys(c):
    assert c.cmd("COMMAND", "GETKEYS", "SET", "k", "v") == [b"k"]
    assert c.cmd("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == [b"a", b"b"]
    assert c.cmd("COMMAND", "GETKEYS", "DEL", "x", "y", "z") == [b"x", b"y", b"z"]
    assert c.cmd("COMMAND", "GETKEYS", "GET", "a", "b") == Err("ERR Invalid number of arguments specified for command")
    assert c.cmd("COMMAND", "GETKEYS", "NOSUCH", "x") == Err("ERR Invalid command specified")
    assert c.cmd("COMMAND", "GETKEYS", "PING", "x") == Err("ERR The command has no key arguments")


def test_command_docs_resp2(c):
    docs = c.cmd("COMMAND", "DOCS", "get")
    assert isinstance(docs, list) and len(docs) == 2 and docs[0] == b"get"
    doc = dict(zip(docs[1][0::2], docs[1][1::2]))
    assert isinstance(doc[b"summary"], bytes) and doc[b"summary"]
    assert doc[b"since"] == b"1.0.0"
    assert doc[b"group"] == b"string"
    if b"arguments" in doc:
        for arg in doc[b"arguments"]:
            a = dict(zip(arg[0::2], arg[1::2]))
            assert isinstance(a[b"name"], bytes) and isinstance(a[b"type"], bytes)
    assert c.cmd("COMMAND", "DOCS", "nosuchcmd") == []


def test_command_docs_resp3_shape(c):
    c.cmd("HELLO", "3")
    docs = c.cmd("COMMAND", "DOCS", "get", "set")
    assert isinstance(docs, Map)
    d = docs.dict()
    assert set(d) == {b"get", b"set"}
    for name, doc in d.items():
        assert isinstance(doc, Map)
        dd = doc.dict()
        assert isinstance(dd[b"summary"], bytes)
        assert isinstance(dd[b"since"], bytes)
        assert isinstance(dd[b"group"], bytes) and dd[b"group"] == b"string"
        for arg in dd.get(b"arguments", []):
            assert isinstance(arg, Map)
            ad = arg.dict()
            assert isinstance(ad[b"name"], bytes) and isinstance(ad[b"type"], bytes)
            for flag in ad.get(b"flags", []):
                assert isinstance(flag, str)  # simple strings: redis-cli asserts on it


# --- SHUTDOWN / MONITOR -------------------------------------------------------

def test_shutdown_nosave(start_server):
    s = start_server()
    with RawClient(s.port) as c:
        assert c.cmd("SET", "k", "v") == "OK"
        c.send("SHUTDOWN", "NOSAVE")
        assert c.wait_closed()
    assert s.proc.wait(10) == 0
    assert not os.path.exists(os.path.join(s.dir, "dump.rdb"))


def test_monitor_streams_commands(clients):
    m, w = clients(), clients()
    m.send("MONITOR")
    assert m.read() == "OK"
    port = w.sock.getsockname()[1]
    assert w.cmd("SET", "k", "a b\x00\"") == "OK"
    assert w.cmd("GET", "k") == b'a b\x00"'
    line = m.read()
    assert isinstance(line, str)
    assert re.fullmatch(r'\d+\.\d{6} \[0 127\.0\.0\.1:%d\] "SET" "k" "a b\\x00\\""' % port, line), line
    line = m.read()
    assert re.fullmatch(r'\d+\.\d{6} \[0 127\.0\.0\.1:%d\] "GET" "k"' % port, line), line
    assert w.cmd("SELECT", "4") == "OK"
    m.read()
    assert w.cmd("PING") == "PONG"
    assert re.fullmatch(r'\d+\.\d{6} \[4 127\.0\.0\.1:%d\] "PING"' % port, m.read())
    assert w.cmd("AUTH", "secret") == Err(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?")
    line = m.read()
    assert "secret" not in line and '"AUTH" "(redacted)"' in line


# --- maxmemory ------------------------------------------------------------------

def used_memory(c):
    return int(parse_info(c.cmd("INFO", "memory"))["used_memory"])


def test_maxmemory_allkeys_lru_evicts(c):
    limit = used_memory(c) + 2 * 1024 * 1024
    assert c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "maxmemory", limit) == "OK"
    written = 0
    value = "x" * 1000
    for _ in range(200):  # at most 20 MB: far more than the limit
        replies = c.pipeline([("SET", f"key:{written + i}", value) for i in range(100)])
        assert replies == ["OK"] * 100  # never an OOM error
        written += 100
        if int(parse_info(c.cmd("INFO", "stats"))["evicted_keys"]) > 0:
            break
    evicted = int(parse_info(c.cmd("INFO", "stats"))["evicted_keys"])
    assert evicted > 0
    assert c.cmd("DBSIZE") == written - evicted
    assert used_memory(c) <= limit + 256 * 1024


def test_maxmemory_noeviction_oom(c):
    assert c.cmd("SET", "keep", "v") == "OK"
    limit = used_memory(c) + 1024 * 1024
    assert c.cmd("CONFIG", "SET", "maxmemory", limit) == "OK"
    assert c.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"noeviction"]
    oom = Err("OOM command not allowed when used memory > 'maxmemory'.")
    value = "x" * 1000
    reply = None
    for i in range(5000):
        reply = c.cmd("SET", f"k{i}", value)
        if reply != "OK":
            break
    assert reply == oom
    # Far below the usage: every write that may grow memory is refused.
    assert c.cmd("CONFIG", "SET", "maxmemory", "1") == "OK"
    assert c.cmd("SET", "k", "v") == oom
    assert c.cmd("INCR", "counter") == oom
    assert c.cmd("APPEND", "keep", "more") == oom
    # Reads and deletions still work.
    assert c.cmd("GET", "keep") == b"v"
    assert c.cmd("DEL", "k0") == 1
    assert int(parse_info(c.cmd("INFO", "stats"))["evicted_keys"]) == 0
    assert c.cmd("CONFIG", "SET", "maxmemory", "0") == "OK"
    assert c.cmd("SET", "after", "1") == "OK"
