"""Files move both ways between the server under test and Debian's redis-server 7.0:
a dump.rdb and an appendonlydir written by one load into the other with the same
contents (strings in several dbs, with expire times compared to the millisecond).

A second, reference Redis is started here with subprocess on a free port in a
temporary directory and stopped when the test ends.  Against
KEEL_SERVER_BIN=/usr/bin/redis-server both sides are Redis, which is how these
tests are validated.

Types other than strings: test_other_types_refused (keel_only) checks that Keel,
which serves only strings so far, refuses a dump holding a list/set/zset/hash/
stream with a log line naming the key and the type, and leaves the file alone;
test_other_types_round_trip (needs_types) is the interop test for when they land.
"""
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import IS_REDIS, free_port, wait_until
from test_persistence import (debian_tool, dump_path, read_bytes, run_tool, shutdown, start_in,
                              wait_refused)
from util import Err, RawClient

REDIS_BIN = "/usr/bin/redis-server"

pytestmark = pytest.mark.skipif(not os.access(REDIS_BIN, os.X_OK),
                                reason="Debian's redis-server is not installed")


class RefRedis:
    """Debian's redis-server with its working directory in data_dir."""

    def __init__(self, data_dir, args=()):
        self.dir = data_dir
        self.port = free_port()
        self.logdir = tempfile.mkdtemp(prefix="keel-ref-log-")
        self.logfile = os.path.join(self.logdir, "redis.log")
        self.proc = subprocess.Popen(
            [REDIS_BIN, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", data_dir,
             "--logfile", self.logfile, "--save", "", "--appendonly", "no", *map(str, args)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(self._ping, 20, what=f"reference redis-server on port {self.port}")
        except BaseException:
            self.stop()
            raise

    def _ping(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"reference redis-server exited with {self.proc.returncode}: "
                                 f"{self.log()[-2000:]}")
        with RawClient(self.port, timeout=2) as cl:
            return cl.cmd("PING") == "PONG"

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def client(self):
        return RawClient(self.port, timeout=30)

    def stop(self):
        if self.proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
                    s.recv(100)
                self.proc.wait(10)
            except Exception:  # noqa: BLE001 - SIGKILL below takes over
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.logdir, ignore_errors=True)


@pytest.fixture
def ref_redis():
    """Factory: ref_redis(data_dir, args=[...]) -> RefRedis; all stopped at teardown."""
    started = []

    def start(data_dir, args=()):
        r = RefRedis(data_dir, args)
        started.append(r)
        return r

    try:
        yield start
    finally:
        for r in started:
            r.stop()


def new_dir(tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    return str(d)


# --- datasets ---------------------------------------------------------------------

DBS = (0, 1, 7, 15)
FAR = 4102444800000  # 2100-01-01 in ms


def string_values():
    rnd = random.Random(20240601)
    return {
        b"plain": b"hello",
        b"empty": b"",
        b"binary": bytes(range(256)),
        b"crlf": b"a\r\nb\x00c",
        b"int8": b"100",
        b"int16": b"-30000",
        b"int32": b"2147483647",
        b"int32-over": b"2147483648",
        b"int64": b"9223372036854775807",
        b"int64-min": b"-9223372036854775808",
        b"too-big-int": b"9223372036854775808",
        b"zero": b"0",
        b"minus-zero": b"-0",
        b"leading-zero": b"007",
        b"plus": b"+5",
        b"float": b"3.14",
        b"len20": b"y" * 20,
        b"len21": b"y" * 21,     # LZF is tried from 21 bytes on
        b"len44": b"x" * 44,
        b"len45": b"x" * 45,
        b"compressible": b"abc" * 5000,
        b"random": bytes(rnd.getrandbits(8) for _ in range(50000)),
        b"utf8": "h\u00e9llo w\u00f6rld \u2713".encode(),
        b"key\x00with\r\nbinary\xff": b"binary key name",
        b"": b"empty key name",
    }


def fill_strings(cl):
    """The interop dataset: the same names in several dbs (values differ per db),
    many small keys in db 0, and expire times set in every way."""
    now_ms = int(time.time() * 1000)
    for db in DBS:
        assert cl.cmd("SELECT", db) == "OK"
        cmds = [("SET", k, v + (b"" if db == 0 else b"@%d" % db)) for k, v in string_values().items()]
        cmds += [
            ("SET", "ttl:ex", "a", "EX", 1000 + db),
            ("SET", "ttl:px", "b", "PX", 5_000_000 + db),
            ("SET", "ttl:pxat", "c", "PXAT", now_ms + 10_000_000 + db),
            ("SET", "ttl:exat-far", "d", "EXAT", FAR // 1000),
            ("SET", "ttl:pexpireat", "e"),
            ("PEXPIREAT", "ttl:pexpireat", FAR + 123),
            ("SET", "ttl:int", "12345", "EX", 3000),
        ]
        assert all(not isinstance(r, Err) for r in cl.pipeline(cmds))
    assert cl.cmd("SELECT", 0) == "OK"
    replies = cl.pipeline([("SET", f"n:{i}", i * 7) for i in range(3000)])
    assert replies == ["OK"] * 3000
    assert cl.pipeline([("PEXPIRE", f"n:{i}", 9_000_000 + i) for i in range(0, 3000, 10)]) == [1] * 300


def mutate(cl):
    """Writes of many kinds, logged to an AOF incr file."""
    now_ms = int(time.time() * 1000)
    cmds = [
        ("SELECT", 0),
        ("INCR", "n:1"), ("INCRBY", "n:2", 10), ("DECRBY", "n:3", 5), ("DECR", "counter-new"),
        ("INCRBYFLOAT", "float", "0.86"),
        ("APPEND", "plain", " world"), ("SETRANGE", "plain", 0, "J"), ("SETRANGE", "sparse", 5, "z"),
        ("GETSET", "int8", "101"), ("DEL", "crlf"), ("UNLINK", "len20"),
        ("RENAME", "utf8", "utf8-renamed"), ("RENAMENX", "len44", "len44-renamed"),
        ("MOVE", "len45", 1), ("SET", "to-move", "x", "EX", 2500), ("MOVE", "to-move", 7), ("COPY", "compressible", "compressible-copy", "DB", 7),
        ("EXPIRE", "plain", 5000), ("PERSIST", "ttl:ex"), ("GETEX", "int16", "PXAT", now_ms + 7_000_000),
        ("SET", "ttl:px", "kept", "KEEPTTL"), ("SETEX", "setex", 800, "v"), ("PSETEX", "psetex", 900000, "v"),
        ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m3", "3", "m4", "4"), ("GETDEL", "zero"),
        ("SETNX", "setnx", "first"), ("SETNX", "setnx", "second"),
        ("MULTI",), ("SET", "tx:a", "1"), ("INCR", "tx:b"), ("EXPIRE", "tx:a", 4000), ("EXEC",),
        ("SELECT", 1), ("SET", "db1-new", "x"), ("DEL", "plain"),
        ("SELECT", 15), ("FLUSHDB",), ("SET", "after-flush", "y", "PX", 6_000_000),
        ("SWAPDB", 1, 7),
        ("SELECT", 0),
    ]
    for cmd, rep in zip(cmds, cl.pipeline(cmds)):
        assert not isinstance(rep, Err), (cmd, rep)


def scan_all(cl):
    keys, cursor = set(), b"0"
    while True:
        cursor, batch = cl.cmd("SCAN", cursor, "COUNT", 1000)
        keys.update(batch)
        if cursor == b"0":
            return keys


def snapshot(cl):
    """{(db, key): (value, pexpiretime)} over all 16 dbs (strings only)."""
    out = {}
    for db in range(16):
        assert cl.cmd("SELECT", db) == "OK"
        keys = sorted(scan_all(cl))
        if not keys:
            continue
        types = cl.pipeline([("TYPE", k) for k in keys])
        assert set(types) == {"string"}, set(types)
        vals = cl.pipeline([("GET", k) for k in keys])
        ttls = cl.pipeline([("PEXPIRETIME", k) for k in keys])
        for k, v, t in zip(keys, vals, ttls):
            out[(db, k)] = (v, t)
    assert cl.cmd("SELECT", 0) == "OK"
    return out


def snapshot_of(port):
    with RawClient(port, timeout=30) as cl:
        return snapshot(cl)


def assert_same(got, want):
    assert len(got) == len(want), f"{len(got)} keys, want {len(want)}"
    missing = [k for k in want if k not in got][:5]
    assert not missing, f"missing keys, e.g. {missing}"
    wrong = [(k, got[k], want[k]) for k in want if got[k] != want[k]][:3]
    assert not wrong, f"different values/expire times, e.g. {wrong}"


def wait_rewrite_done(cl):
    def done():
        i = cl.cmd("INFO", "persistence").decode()
        return "aof_rewrite_in_progress:0" in i and "aof_rewrite_scheduled:0" in i
    wait_until(done, 30, what="the AOF rewrite")


# --- RDB --------------------------------------------------------------------------

def test_redis_rdb_loads_into_server(ref_redis, start_server, tmp_path):
    ref = ref_redis(new_dir(tmp_path, "ref"))
    with ref.client() as cl:
        fill_strings(cl)
        assert cl.cmd("SAVE") == "OK"
    want = snapshot_of(ref.port)
    ref.stop()
    d = new_dir(tmp_path, "sut")
    shutil.copy(dump_path(ref.dir), dump_path(d))
    original = read_bytes(dump_path(d))
    s = start_in(start_server, d)
    assert_same(snapshot_of(s.port), want)
    with RawClient(s.port) as cl:
        i = cl.cmd("INFO", "persistence").decode()
        assert f"rdb_last_load_keys_loaded:{len(want)}\r\n" in i
    assert read_bytes(dump_path(d)) == original


@pytest.mark.parametrize("how", ["SAVE", "BGSAVE"])
def test_server_rdb_loads_into_redis(ref_redis, start_server, tmp_path, how):
    s = start_server()
    with RawClient(s.port) as cl:
        fill_strings(cl)
        if how == "SAVE":
            assert cl.cmd("SAVE") == "OK"
        else:
            assert cl.cmd("BGSAVE") == "Background saving started"
            wait_until(lambda: b"rdb_bgsave_in_progress:0\r\n" in cl.cmd("INFO", "persistence"), 30,
                       what="the BGSAVE")
            assert b"rdb_last_bgsave_status:ok\r\n" in cl.cmd("INFO", "persistence")
    want = snapshot_of(s.port)
    s.stop()
    rc, out = run_tool(debian_tool("redis-check-rdb"), dump_path(s))
    assert rc == 0, out
    assert f"[info] {len(want)} keys read" in out
    d = new_dir(tmp_path, "ref")
    shutil.copy(dump_path(s), dump_path(d))
    ref = ref_redis(d)
    assert_same(snapshot_of(ref.port), want)


# --- AOF --------------------------------------------------------------------------

def write_aof(port):
    """Data in the base (via BGREWRITEAOF) and more in the incr file."""
    with RawClient(port, timeout=30) as cl:
        fill_strings(cl)
        assert cl.cmd("BGREWRITEAOF") == "Background append only file rewriting started"
        wait_rewrite_done(cl)
        assert b"aof_last_bgrewrite_status:ok\r\n" in cl.cmd("INFO", "persistence")
        mutate(cl)


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_aof_loads_into_server(ref_redis, start_server, tmp_path, preamble):
    args = ["--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", preamble]
    ref = ref_redis(new_dir(tmp_path, "ref"), args)
    write_aof(ref.port)
    want = snapshot_of(ref.port)
    ref.stop()
    d = new_dir(tmp_path, "sut")
    shutil.copytree(os.path.join(ref.dir, "appendonlydir"), os.path.join(d, "appendonlydir"))
    s = start_in(start_server, d, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    assert_same(snapshot_of(s.port), want)


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_server_aof_loads_into_redis(ref_redis, start_server, tmp_path, preamble):
    s = start_server(args=["--appendonly", "yes", "--appendfsync", "always",
                           "--aof-use-rdb-preamble", preamble])
    write_aof(s.port)
    want = snapshot_of(s.port)
    assert shutdown(s, "NOSAVE") == 0
    src = os.path.join(s.dir, "appendonlydir")
    rc, out = run_tool(debian_tool("redis-check-aof"), os.path.join(src, "appendonly.aof.manifest"))
    assert rc == 0, out
    d = new_dir(tmp_path, "ref")
    shutil.copytree(src, os.path.join(d, "appendonlydir"))
    ref = ref_redis(d, ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble])
    assert_same(snapshot_of(ref.port), want)


# --- other types --------------------------------------------------------------------

# name -> (commands creating key "typed", TYPE reply)
TYPED = {
    "list": ([("RPUSH", "typed", "a", "b", "c")], "list"),
    "list-quicklist": ([("RPUSH", "typed", *[f"element-{i}" * 10 for i in range(500)])], "list"),
    "set-intset": ([("SADD", "typed", 1, 2, 3)], "set"),
    "set-hashtable": ([("SADD", "typed", "a", "b", "c")], "set"),
    "zset-listpack": ([("ZADD", "typed", 1, "a", 2.5, "b")], "zset"),
    "zset-skiplist": ([("ZADD", "typed", *sum(([i, f"m{i}"] for i in range(300)), []))], "zset"),
    "hash-listpack": ([("HSET", "typed", "f1", "v1", "f2", "v2")], "hash"),
    "hash-hashtable": ([("HSET", "typed", *sum(([f"f{i}", f"v{i}"] for i in range(600)), []))], "hash"),
    "stream": ([("XADD", "typed", "1-1", "f", "v"), ("XADD", "typed", "2-1", "g", "w"),
                ("XGROUP", "CREATE", "typed", "grp", "0"),
                ("XREADGROUP", "GROUP", "grp", "alice", "COUNT", 1, "STREAMS", "typed", ">")], "stream"),
}


def typed_dump(ref_redis, tmp_path, name):
    """A dump.rdb written by Redis with a string key and the typed key."""
    ref = ref_redis(new_dir(tmp_path, "ref"))
    with ref.client() as cl:
        assert cl.cmd("SET", "a-string", "v") == "OK"
        for cmd in TYPED[name][0]:
            assert not isinstance(cl.cmd(*cmd), Err), cmd
        assert cl.cmd("TYPE", "typed") == TYPED[name][1]
        assert cl.cmd("SAVE") == "OK"
    ref.stop()
    return read_bytes(dump_path(ref.dir))


@pytest.mark.keel_only
@pytest.mark.skipif(IS_REDIS, reason="Redis serves every type; this checks Keel's refusal")
@pytest.mark.parametrize("name", sorted(TYPED))
def test_other_types_refused(ref_redis, start_server, tmp_path, name):
    data = typed_dump(ref_redis, tmp_path, name)
    d = new_dir(tmp_path, "sut")
    with open(dump_path(d), "wb") as f:
        f.write(data)
    s = start_in(start_server, d, "--save", "1 1", wait=False)
    assert wait_refused(s) != 0
    type_name = TYPED[name][1]
    lines = [ln for ln in s.log().splitlines() if "typed" in ln and type_name in ln.lower()]
    assert lines, f"no log line names the key and the type {type_name!r}:\n{s.log()[-2000:]}"
    assert read_bytes(dump_path(d)) == data, "the dump was modified"


def typed_snapshot(cl):
    out = {}
    for db in range(16):
        assert cl.cmd("SELECT", db) == "OK"
        for k in sorted(scan_all(cl)):
            t = cl.cmd("TYPE", k)
            if t == "string":
                v = cl.cmd("GET", k)
            elif t == "list":
                v = cl.cmd("LRANGE", k, 0, -1)
            elif t == "set":
                v = sorted(cl.cmd("SMEMBERS", k))
            elif t == "zset":
                v = cl.cmd("ZRANGE", k, 0, -1, "WITHSCORES")
            elif t == "hash":
                v = sorted(cl.cmd("HGETALL", k))
            elif t == "stream":
                groups = cl.cmd("XINFO", "GROUPS", k)
                v = (cl.cmd("XRANGE", k, "-", "+"), groups,
                     [cl.cmd("XPENDING", k, g[1]) for g in groups])
            else:
                raise AssertionError(f"unexpected type {t}")
            out[(db, k)] = (t, v, cl.cmd("PEXPIRETIME", k))
    assert cl.cmd("SELECT", 0) == "OK"
    return out


def fill_types(cl):
    for name in sorted(TYPED):
        for cmd in TYPED[name][0]:
            cmd = tuple(f"{name}:typed" if a == "typed" else a for a in cmd)
            assert not isinstance(cl.cmd(*cmd), Err), cmd
    assert cl.cmd("PEXPIREAT", "list:typed", FAR) == 1
    assert cl.cmd("SELECT", 3) == "OK"
    assert cl.cmd("SADD", "in3", "x") == 1
    assert cl.cmd("SELECT", 0) == "OK"


@pytest.mark.needs_types
def test_other_types_round_trip(ref_redis, start_server, tmp_path):
    ref = ref_redis(new_dir(tmp_path, "ref"))
    with ref.client() as cl:
        fill_types(cl)
        assert cl.cmd("SAVE") == "OK"
        want = typed_snapshot(cl)
    ref.stop()
    d = new_dir(tmp_path, "sut")
    shutil.copy(dump_path(ref.dir), dump_path(d))
    s = start_in(start_server, d)
    with RawClient(s.port, timeout=30) as cl:
        assert typed_snapshot(cl) == want
        assert cl.cmd("SAVE") == "OK"
    s.stop()
    rc, out = run_tool(debian_tool("redis-check-rdb"), dump_path(d))
    assert rc == 0, out
    back = new_dir(tmp_path, "back")
    shutil.copy(dump_path(d), dump_path(back))
    ref2 = ref_redis(back)
    with ref2.client() as cl:
        assert typed_snapshot(cl) == want
