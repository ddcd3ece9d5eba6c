"""Generic keyspace commands, databases and expiry, as Redis 7.0 behaves."""
import time

import pytest

from conftest import wait_until
from util import Err, RawClient, parse_info

SYNTAX = Err("ERR syntax error")
NOT_INT = Err("ERR value is not an integer or out of range")
DB_RANGE = Err("ERR DB index is out of range")
SAME = Err("ERR source and destination objects are the same")


@pytest.fixture
def dbg_server(start_server):
    return start_server(args=["--enable-debug-command", "yes"])


def arity(name):
    return Err(f"ERR wrong number of arguments for '{name}' command")


# --- DEL / UNLINK / EXISTS / TYPE / TOUCH -------------------------------------

def test_del_unlink_exists(c):
    assert c.cmd("MSET", "a", "1", "b", "2", "c", "3", "d", "4") == "OK"
    assert c.cmd("EXISTS", "a") == 1
    assert c.cmd("EXISTS", "a", "a", "a", "nope") == 3
    assert c.cmd("EXISTS", "nope") == 0
    assert c.cmd("DEL", "a", "a", "b", "nope") == 2
    assert c.cmd("EXISTS", "a", "b") == 0
    assert c.cmd("DEL", "a") == 0
    assert c.cmd("UNLINK", "c", "c", "nope") == 1
    assert c.cmd("EXISTS", "c") == 0
    assert c.cmd("UNLINK", "d") == 1
    assert c.cmd("DBSIZE") == 0
    assert c.cmd("DEL") == arity("del")
    assert c.cmd("EXISTS") == arity("exists")
    assert c.cmd("UNLINK") == arity("unlink")


def test_type_and_touch(c):
    assert c.cmd("TYPE", "nope") == "none"
    assert c.cmd("SET", "s", "v") == "OK"
    assert c.cmd("TYPE", "s") == "string"
    assert c.cmd("SET", "n", "12") == "OK"
    assert c.cmd("TYPE", "n") == "string"
    assert c.cmd("TOUCH", "s", "s", "n", "nope") == 3
    assert c.cmd("TOUCH", "nope") == 0
    assert c.cmd("TYPE") == arity("type")


@pytest.mark.needs_types
class TestTypeNames:
    def test_type_of_each_kind(self, c):
        c.cmd("LPUSH", "l", "x")
        c.cmd("SADD", "s", "x")
        c.cmd("HSET", "h", "f", "v")
        c.cmd("ZADD", "z", "1", "x")
        c.cmd("XADD", "x", "*", "f", "v")
        assert [c.cmd("TYPE", k) for k in ("l", "s", "h", "z", "x")] == \
            ["list", "set", "hash", "zset", "stream"]

    def test_scan_type_filter(self, c):
        c.cmd("SET", "str", "v")
        c.cmd("LPUSH", "lst", "x")
        c.cmd("SADD", "set", "x")
        assert scan_all(c, "TYPE", "list") == {b"lst"}
        assert scan_all(c, "TYPE", "string") == {b"str"}
        assert scan_all(c, "TYPE", "set") == {b"set"}


# --- RENAME / RENAMENX / MOVE / COPY --------------------------------------------

def test_rename(c):
    assert c.cmd("RENAME", "nope", "x") == Err("ERR no such key")
    assert c.cmd("SET", "a", "1", "EX", "100") == "OK"
    assert c.cmd("SET", "b", "2") == "OK"
    assert c.cmd("RENAME", "a", "b") == "OK"
    assert c.cmd("EXISTS", "a") == 0
    assert c.cmd("GET", "b") == b"1"
    assert 98 <= c.cmd("TTL", "b") <= 100  # the TTL travels with the value
    assert c.cmd("SET", "c", "3", "EX", "100") == "OK"
    assert c.cmd("SET", "d", "4") == "OK"
    assert c.cmd("RENAME", "d", "c") == "OK"
    assert c.cmd("TTL", "c") == -1  # the destination's old TTL is gone
    assert c.cmd("RENAME", "c", "c") == "OK"
    assert c.cmd("GET", "c") == b"4"
    assert c.cmd("RENAME", "c") == arity("rename")


def test_renamenx(c):
    assert c.cmd("RENAMENX", "nope", "x") == Err("ERR no such key")
    assert c.cmd("MSET", "a", "1", "b", "2") == "OK"
    assert c.cmd("RENAMENX", "a", "b") == 0
    assert c.cmd("MGET", "a", "b") == [b"1", b"2"]
    assert c.cmd("RENAMENX", "a", "c") == 1
    assert c.cmd("MGET", "a", "c") == [None, b"1"]
    assert c.cmd("RENAMENX", "c", "c") == 0


def test_move(c):
    assert c.cmd("SET", "k", "v", "EX", "100") == "OK"
    assert c.cmd("MOVE", "k", "0") == SAME
    assert c.cmd("MOVE", "k", "16") == DB_RANGE
    assert c.cmd("MOVE", "k", "x") == NOT_INT
    assert c.cmd("MOVE", "nope", "1") == 0
    assert c.cmd("MOVE", "k", "1") == 1
    assert c.cmd("EXISTS", "k") == 0
    assert c.cmd("SELECT", "1") == "OK"
    assert c.cmd("GET", "k") == b"v"
    assert 98 <= c.cmd("TTL", "k") <= 100
    # The target already has the key: nothing moves.
    assert c.cmd("SELECT", "0") == "OK"
    assert c.cmd("SET", "k", "other") == "OK"
    assert c.cmd("MOVE", "k", "1") == 0
    assert c.cmd("GET", "k") == b"other"
    assert c.cmd("SELECT", "1") == "OK"
    assert c.cmd("GET", "k") == b"v"


def test_copy(c):
    assert c.cmd("COPY", "nope", "x") == 0
    assert c.cmd("SET", "src", "v", "EX", "100") == "OK"
    assert c.cmd("COPY", "src", "src") == SAME
    assert c.cmd("COPY", "src", "dst") == 1
    assert c.cmd("GET", "dst") == b"v"
    assert 98 <= c.cmd("TTL", "dst") <= 100
    assert c.cmd("GET", "src") == b"v"
    assert c.cmd("SET", "src", "v2") == "OK"
    assert c.cmd("COPY", "src", "dst") == 0
    assert c.cmd("GET", "dst") == b"v"
    assert c.cmd("COPY", "src", "dst", "REPLACE") == 1
    assert c.cmd("GET", "dst") == b"v2"
    assert c.cmd("TTL", "dst") == -1
    # Independent copies: changing one leaves the other alone.
    assert c.cmd("APPEND", "dst", "x") == 3
    assert c.cmd("GET", "src") == b"v2"


def test_copy_db(c):
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("COPY", "k", "k", "DB", "1") == 1
    assert c.cmd("COPY", "k", "k", "DB", "0") == SAME
    assert c.cmd("COPY", "k", "k2", "DB", "16") == DB_RANGE
    assert c.cmd("COPY", "k", "k2", "DB", "x") == NOT_INT
    assert c.cmd("COPY", "k", "k2", "FOO") == SYNTAX
    assert c.cmd("SET", "k", "new") == "OK"
    assert c.cmd("COPY", "k", "k", "DB", "1") == 0
    assert c.cmd("COPY", "k", "k", "DB", "1", "REPLACE") == 1
    assert c.cmd("SELECT", "1") == "OK"
    assert c.cmd("GET", "k") == b"new"
    assert c.cmd("DBSIZE") == 1


# --- KEYS / SCAN / RANDOMKEY ---------------------------------------------------

GLOB_KEYS = [b"hello", b"hallo", b"hxllo", b"hllo", b"heeello", b"h?llo", b"h*llo", b"a\\b", b"[x]"]


@pytest.fixture
def globbed(c):
    args = []
    for k in GLOB_KEYS:
        args += [k, b"1"]
    assert c.cmd("MSET", *args) == "OK"
    return c


@pytest.mark.parametrize("pattern,expected", [
    ("*", GLOB_KEYS),
    ("h?llo", [b"hello", b"hallo", b"hxllo", b"h?llo", b"h*llo"]),
    ("h*llo", [b"hello", b"hallo", b"hxllo", b"hllo", b"heeello", b"h?llo", b"h*llo"]),
    ("h[ae]llo", [b"hello", b"hallo"]),
    ("h[^e]llo", [b"hallo", b"hxllo", b"h?llo", b"h*llo"]),
    ("h[a-c]llo", [b"hallo"]),
    ("h[x-z]llo", [b"hxllo"]),
    ("h\\?llo", [b"h?llo"]),
    ("h\\*llo", [b"h*llo"]),
    ("a\\\\b", [b"a\\b"]),
    ("\\[x\\]", [b"[x]"]),
    ("hel*", [b"hello"]),
    ("nothing*", []),
    ("hello", [b"hello"]),
])
def test_keys_glob(globbed, pattern, expected):
    assert sorted(globbed.cmd("KEYS", pattern)) == sorted(expected)


def scan_all(c, *opts, cursor_seen=None):
    seen = set()
    cursor = b"0"
    for _ in range(100000):
        reply = c.cmd("SCAN", cursor, *opts)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, keys = reply
        assert isinstance(cursor, bytes)
        if cursor_seen is not None:
            cursor_seen.append(cursor)
        seen.update(keys)
        if cursor == b"0":
            return seen
    raise AssertionError("SCAN never returned cursor 0")


def test_scan_full_iteration(c):
    keys = [f"key:{i}".encode() for i in range(1000)]
    for i in range(0, 1000, 100):
        args = []
        for k in keys[i:i + 100]:
            args += [k, b"v"]
        assert c.cmd("MSET", *args) == "OK"
    cursors = []
    assert scan_all(c, "COUNT", "10", cursor_seen=cursors) == set(keys)
    assert len(cursors) > 1  # COUNT 10 over 1000 keys cannot finish in one call
    assert scan_all(c) == set(keys)
    assert scan_all(c, "COUNT", "5000") == set(keys)


def test_scan_match_and_type(c):
    for i in range(200):
        c.cmd("SET", f"a:{i}", "v")
        c.cmd("SET", f"b:{i}", "v")
    assert scan_all(c, "MATCH", "a:1?", "COUNT", "20") == {f"a:1{i}".encode() for i in range(10)}
    assert scan_all(c, "MATCH", "b:*") == {f"b:{i}".encode() for i in range(200)}
    assert scan_all(c, "MATCH", "zz*") == set()
    assert len(scan_all(c, "TYPE", "string")) == 400
    assert scan_all(c, "TYPE", "list") == set()
    assert scan_all(c, "MATCH", "a:5", "TYPE", "string", "COUNT", "1000") == {b"a:5"}


def test_scan_keys_present_throughout_are_returned(c):
    base = {f"stay:{i}".encode() for i in range(500)}
    for k in base:
        c.cmd("SET", k, "v")
    seen = set()
    cursor = b"0"
    n = 0
    while True:
        cursor, keys = c.cmd("SCAN", cursor, "COUNT", "20")
        seen.update(keys)
        # Grow the table while the scan runs (forces rehashing in hash-table designs).
        for j in range(20):
            c.cmd("SET", f"new:{n}:{j}", "v")
        n += 1
        if cursor == b"0":
            break
    assert base <= seen


def test_scan_empty_and_errors(c):
    assert c.cmd("SCAN", "0") == [b"0", []]
    assert c.cmd("SCAN", "x") == Err("ERR invalid cursor")
    assert c.cmd("SCAN", "0", "COUNT", "0") == SYNTAX
    assert c.cmd("SCAN", "0", "COUNT", "x") == NOT_INT
    assert c.cmd("SCAN", "0", "MATCH") == SYNTAX
    assert c.cmd("SCAN", "0", "FOO", "bar") == SYNTAX
    assert c.cmd("SCAN") == arity("scan")


def test_randomkey(c):
    assert c.cmd("RANDOMKEY") is None
    assert c.cmd("SET", "only", "v") == "OK"
    assert c.cmd("RANDOMKEY") == b"only"
    assert c.cmd("MSET", "a", "1", "b", "2") == "OK"
    for _ in range(20):
        assert c.cmd("RANDOMKEY") in (b"only", b"a", b"b")


# --- expire family ---------------------------------------------------------------

def test_ttl_pttl_missing_and_persistent(c):
    assert c.cmd("TTL", "nope") == -2
    assert c.cmd("PTTL", "nope") == -2
    assert c.cmd("EXPIRETIME", "nope") == -2
    assert c.cmd("PEXPIRETIME", "nope") == -2
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("TTL", "k") == -1
    assert c.cmd("PTTL", "k") == -1
    assert c.cmd("EXPIRETIME", "k") == -1
    assert c.cmd("PEXPIRETIME", "k") == -1


def test_expire_pexpire(c):
    assert c.cmd("EXPIRE", "nope", "100") == 0
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("EXPIRE", "k", "100") == 1
    assert 99 <= c.cmd("TTL", "k") <= 100
    assert 99000 <= c.cmd("PTTL", "k") <= 100000
    assert c.cmd("PEXPIRE", "k", "200000") == 1
    assert 199 <= c.cmd("TTL", "k") <= 200
    t = c.cmd("EXPIRETIME", "k")
    pt = c.cmd("PEXPIRETIME", "k")
    assert abs(t - (time.time() + 200)) < 5
    assert pt // 1000 == t or (pt + 500) // 1000 == t
    assert c.cmd("PERSIST", "k") == 1
    assert c.cmd("PERSIST", "k") == 0
    assert c.cmd("PERSIST", "nope") == 0
    assert c.cmd("TTL", "k") == -1
    assert c.cmd("EXPIRE", "k", "x") == NOT_INT
    assert c.cmd("EXPIRE", "k", "9223372036854775807") == Err("ERR invalid expire time in 'expire' command")
    assert c.cmd("PEXPIRE", "k", "9223372036854775807") == Err("ERR invalid expire time in 'pexpire' command")
    assert c.cmd("EXPIREAT", "k", "9223372036854775807") == Err("ERR invalid expire time in 'expireat' command")
    assert c.cmd("TTL", "k") == -1


def test_expire_in_the_past_deletes(c):
    for cmd, arg in (("EXPIRE", "-1"), ("EXPIRE", "0"), ("PEXPIRE", "-100"),
                     ("EXPIREAT", "1"), ("PEXPIREAT", "1000")):
        assert c.cmd("SET", "k", "v") == "OK"
        assert c.cmd(cmd, "k", arg) == 1, cmd
        assert c.cmd("EXISTS", "k") == 0, cmd
        assert c.cmd("TTL", "k") == -2


def test_expireat_pexpireat(c):
    assert c.cmd("SET", "k", "v") == "OK"
    at = int(time.time()) + 500
    assert c.cmd("EXPIREAT", "k", at) == 1
    assert c.cmd("EXPIRETIME", "k") == at
    assert c.cmd("PEXPIRETIME", "k") == at * 1000
    atms = int(time.time() * 1000) + 600000
    assert c.cmd("PEXPIREAT", "k", atms) == 1
    assert c.cmd("PEXPIRETIME", "k") == atms
    assert c.cmd("EXPIREAT", "nope", at) == 0
    assert c.cmd("PEXPIREAT", "nope", atms) == 0


def test_expire_nx_xx_gt_lt(c):
    assert c.cmd("SET", "k", "v") == "OK"
    # No TTL yet: XX and GT refuse (no TTL counts as infinite), NX and LT accept.
    assert c.cmd("EXPIRE", "k", "100", "XX") == 0
    assert c.cmd("EXPIRE", "k", "100", "GT") == 0
    assert c.cmd("TTL", "k") == -1
    assert c.cmd("EXPIRE", "k", "100", "LT") == 1
    assert c.cmd("PERSIST", "k") == 1
    assert c.cmd("EXPIRE", "k", "100", "NX") == 1
    assert c.cmd("EXPIRE", "k", "50", "NX") == 0
    assert 99 <= c.cmd("TTL", "k") <= 100
    # With a TTL of 100.
    assert c.cmd("EXPIRE", "k", "200", "XX") == 1
    assert 199 <= c.cmd("TTL", "k") <= 200
    assert c.cmd("EXPIRE", "k", "100", "GT") == 0
    assert c.cmd("EXPIRE", "k", "300", "GT") == 1
    assert 299 <= c.cmd("TTL", "k") <= 300
    assert c.cmd("EXPIRE", "k", "400", "LT") == 0
    assert c.cmd("EXPIRE", "k", "150", "LT") == 1
    assert 149 <= c.cmd("TTL", "k") <= 150
    assert c.cmd("EXPIRE", "k", "200", "XX", "GT") == 1
    assert c.cmd("EXPIRE", "k", "100", "XX", "GT") == 0
    assert c.cmd("PEXPIRE", "k", "100000", "lt") == 1
    assert 99 <= c.cmd("TTL", "k") <= 100
    at = int(time.time()) + 1000
    assert c.cmd("EXPIREAT", "k", at, "GT") == 1
    assert c.cmd("EXPIREAT", "k", at - 10, "GT") == 0
    assert c.cmd("PEXPIREAT", "k", (at - 10) * 1000, "LT") == 1
    assert c.cmd("PEXPIRETIME", "k") == (at - 10) * 1000
    assert c.cmd("EXPIRE", "nope", "100", "NX") == 0


def test_expire_option_errors(c):
    assert c.cmd("SET", "k", "v") == "OK"
    nx_err = Err("ERR NX and XX, GT or LT options at the same time are not compatible")
    assert c.cmd("EXPIRE", "k", "100", "NX", "XX") == nx_err
    assert c.cmd("EXPIRE", "k", "100", "NX", "GT") == nx_err
    assert c.cmd("EXPIRE", "k", "100", "NX", "LT") == nx_err
    assert c.cmd("EXPIRE", "k", "100", "GT", "LT") == Err("ERR GT and LT options at the same time are not compatible")
    assert c.cmd("PEXPIRE", "k", "100", "foo") == Err("ERR Unsupported option foo")
    assert c.cmd("TTL", "k") == -1
    assert c.cmd("EXPIRE", "k") == arity("expire")


def test_overwrite_clears_ttl_and_rename_keeps_it(c):
    assert c.cmd("SET", "k", "v", "EX", "100") == "OK"
    assert c.cmd("SET", "k", "v2") == "OK"
    assert c.cmd("TTL", "k") == -1
    assert c.cmd("SET", "k", "v", "EX", "100") == "OK"
    assert c.cmd("DEL", "k") == 1
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("TTL", "k") == -1


# --- databases -----------------------------------------------------------------

def test_select(c):
    assert c.cmd("SET", "k", "db0") == "OK"
    assert c.cmd("SELECT", "1") == "OK"
    assert c.cmd("GET", "k") is None
    assert c.cmd("SET", "k", "db1") == "OK"
    assert c.cmd("SELECT", "15") == "OK"
    assert c.cmd("DBSIZE") == 0
    assert c.cmd("SELECT", "0") == "OK"
    assert c.cmd("GET", "k") == b"db0"
    assert c.cmd("SELECT", "16") == DB_RANGE
    assert c.cmd("SELECT", "-1") == DB_RANGE
    assert c.cmd("SELECT", "x") == NOT_INT
    assert c.cmd("SELECT") == arity("select")


def test_databases_config(start_server):
    s = start_server(args=["--databases", "2"])
    with RawClient(s.port) as c:
        assert c.cmd("SELECT", "1") == "OK"
        assert c.cmd("SELECT", "2") == DB_RANGE


def test_swapdb(server, c):
    assert c.cmd("SET", "k", "zero") == "OK"
    assert c.cmd("SET", "only0", "x") == "OK"
    assert c.cmd("SELECT", "1") == "OK"
    assert c.cmd("SET", "k", "one") == "OK"
    assert c.cmd("SELECT", "0") == "OK"
    with RawClient(server.port) as other:
        assert other.cmd("SELECT", "1") == "OK"
        assert c.cmd("SWAPDB", "0", "1") == "OK"
        # Both connections see the swapped contents without reselecting.
        assert c.cmd("GET", "k") == b"one"
        assert c.cmd("EXISTS", "only0") == 0
        assert other.cmd("GET", "k") == b"zero"
        assert other.cmd("GET", "only0") == b"x"
    assert c.cmd("SWAPDB", "0", "0") == "OK"
    assert c.cmd("GET", "k") == b"one"
    assert c.cmd("SWAPDB", "0", "16") == DB_RANGE
    assert c.cmd("SWAPDB", "x", "1") == Err("ERR invalid first DB index")
    assert c.cmd("SWAPDB", "0", "x") == Err("ERR invalid second DB index")
    assert c.cmd("SWAPDB", "0") == arity("swapdb")


def test_dbsize_flushdb_flushall(c):
    assert c.cmd("DBSIZE") == 0
    assert c.cmd("MSET", "a", "1", "b", "2", "c", "3") == "OK"
    assert c.cmd("DBSIZE") == 3
    assert c.cmd("SELECT", "1") == "OK"
    assert c.cmd("MSET", "a", "1", "b", "2") == "OK"
    assert c.cmd("DBSIZE") == 2
    assert c.cmd("FLUSHDB") == "OK"
    assert c.cmd("DBSIZE") == 0
    assert c.cmd("SELECT", "0") == "OK"
    assert c.cmd("DBSIZE") == 3
    assert c.cmd("FLUSHDB", "ASYNC") == "OK"
    assert c.cmd("DBSIZE") == 0
    assert c.cmd("SET", "x", "1") == "OK"
    assert c.cmd("FLUSHDB", "SYNC") == "OK"
    assert c.cmd("DBSIZE") == 0
    assert c.cmd("FLUSHDB", "FOO") == SYNTAX


@pytest.mark.parametrize("mode", [None, "ASYNC", "SYNC", "async"])
def test_flushall(c, mode):
    for db in range(3):
        assert c.cmd("SELECT", db) == "OK"
        assert c.cmd("MSET", "a", "1", "b", "2") == "OK"
        assert c.cmd("SET", "e", "1", "EX", "100") == "OK"
    args = ["FLUSHALL"] + ([mode] if mode else [])
    assert c.cmd(*args) == "OK"
    for db in range(3):
        assert c.cmd("SELECT", db) == "OK"
        assert c.cmd("DBSIZE") == 0
        assert c.cmd("GET", "a") is None


def test_flushall_errors(c):
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("FLUSHALL", "FOO") == SYNTAX
    assert c.cmd("FLUSHALL", "ASYNC", "SYNC") == SYNTAX
    assert c.cmd("DBSIZE") == 1


def test_info_keyspace_lines(c):
    assert "db0:" not in c.cmd("INFO", "keyspace").decode()
    assert c.cmd("MSET", "a", "1", "b", "2") == "OK"
    assert c.cmd("SET", "e", "1", "EX", "100") == "OK"
    assert c.cmd("SELECT", "3") == "OK"
    assert c.cmd("SET", "x", "1") == "OK"
    info = parse_info(c.cmd("INFO", "keyspace"))
    assert info["db0"].startswith("keys=3,expires=1,avg_ttl=")
    assert info["db3"].startswith("keys=1,expires=0,avg_ttl=")
    assert "db1" not in info


# --- expiry ---------------------------------------------------------------------

def test_active_expiry(server, c):
    for i in range(0, 200, 50):
        cmds = [("SET", f"exp:{j}", "v", "PX", "50") for j in range(i, i + 50)]
        assert c.pipeline(cmds) == ["OK"] * 50
    assert c.cmd("SET", "keep", "v") == "OK"
    # Never touch the keys: only the server's own cycle can remove them.
    wait_until(lambda: c.cmd("DBSIZE") == 1, timeout=10, what="active expiry to remove 200 keys")
    assert c.cmd("GET", "keep") == b"v"
    info = parse_info(c.cmd("INFO", "stats"))
    assert int(info["expired_keys"]) == 200


def server_ms(c):
    sec, usec = c.cmd("TIME")
    return int(sec) * 1000 + int(usec) // 1000


def test_lazy_expiry_with_active_expiry_off(dbg_server):
    with RawClient(dbg_server.port) as c:
        assert c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
        for i in range(10):
            assert c.cmd("SET", f"k{i}", "v", "PX", "100") == "OK"
        assert c.cmd("SET", "keep", "v") == "OK"
        deadline_ms = max(c.cmd("PEXPIRETIME", f"k{i}") for i in range(10))
        # Synchronise on the server's clock, without touching the keys.
        wait_until(lambda: server_ms(c) > deadline_ms + 5, timeout=10, what="keys to be logically expired")
        assert c.cmd("DBSIZE") == 11
        assert c.cmd("GET", "k0") is None
        assert c.cmd("DBSIZE") == 10
        assert c.cmd("EXISTS", "k1") == 0
        assert c.cmd("TTL", "k2") == -2
        assert c.cmd("DBSIZE") == 8
        assert int(parse_info(c.cmd("INFO", "stats"))["expired_keys"]) == 3
        assert c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1") == "OK"
        wait_until(lambda: c.cmd("DBSIZE") == 1, timeout=10, what="active expiry after re-enabling")
        assert c.cmd("GET", "keep") == b"v"


def test_lazy_expiry_on_write_commands(dbg_server):
    with RawClient(dbg_server.port) as c:
        assert c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
        assert c.cmd("SET", "a", "old", "PX", "50") == "OK"
        assert c.cmd("SET", "n", "10", "PX", "50") == "OK"
        assert c.cmd("SET", "s", "x", "PX", "50") == "OK"
        deadline_ms = c.cmd("PEXPIRETIME", "s")
        wait_until(lambda: server_ms(c) > deadline_ms + 5, timeout=10, what="keys to be logically expired")
        assert c.cmd("DBSIZE") == 3
        assert c.cmd("SET", "a", "new", "NX") == "OK"
        assert c.cmd("TTL", "a") == -1
        assert c.cmd("INCR", "n") == 1
        assert c.cmd("APPEND", "s", "y") == 1
        assert c.cmd("MGET", "a", "n", "s") == [b"new", b"1", b"y"]
