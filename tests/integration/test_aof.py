"""The append-only file in Redis 7.0's multi-part layout: the appendonlydir with
its manifest, base and incr files; appendfsync always (no acknowledged write
lost on kill -9) and everysec (nothing older than ~2 s lost); BGREWRITEAOF under a
write load; truncated tails (aof-load-truncated); CONFIG SET appendonly yes at
run time; the AOF winning over dump.rdb; the old single-file layout; the check
tool, and Debian's redis-check-aof on the files the server writes.

Validated against Debian's redis-server 7.0.15 (KEEL_SERVER_BIN=/usr/bin/redis-server);
the check-tool test then runs redis-check-aof instead of build/keel-check-aof.

Redis 7.0 facts worth knowing here:
  * appendonly yes on an empty directory creates appendonly.aof.1.base.rdb (an
    empty RDB with aof-base=1) and an empty appendonly.aof.1.incr.aof at once.
  * With everysec, an acknowledged write may still sit in the server's AOF buffer
    (the write(2) is postponed while a background fsync runs), so kill -9 can
    lose it; with always it is written and fsynced before the reply goes out.
  * With aof-load-truncated yes the server truncates the incr file to the last
    whole command, so later appends do not land after a partial one.
  * BGREWRITEAOF also works with appendonly no (it creates the directory, a base
    and a manifest without an incr file).
"""
import os
import re
import threading
import time

import pytest

from conftest import wait_until
from test_persistence import (DEBUG, check_tool, crash, debian_tool, dump_path, info, read_bytes,
                              run_tool, shutdown, start_in, wait_refused, write_bytes)
from util import ConnectionClosed, RawClient, encode_command

AOF = ["--appendonly", "yes"]
ALWAYS = [*AOF, "--appendfsync", "always"]
EVERYSEC = [*AOF, "--appendfsync", "everysec"]


# --- helpers -------------------------------------------------------------------

def aof_dir(d):
    return os.path.join(d, "appendonlydir")


def manifest_path(d):
    return os.path.join(aof_dir(d), "appendonly.aof.manifest")


def manifest(d):
    """[(file, seq, type)] from the manifest, in order."""
    with open(manifest_path(d)) as f:
        text = f.read()
    out = []
    for line in text.splitlines():
        m = re.fullmatch(r"file (\S+) seq (\d+) type ([bhi])", line)
        assert m, f"bad manifest line {line!r}"
        out.append((m.group(1), int(m.group(2)), m.group(3)))
    return out


def last_incr(d):
    incrs = [f for f, _, t in manifest(d) if t == "i"]
    assert incrs, "no incr file in the manifest"
    return os.path.join(aof_dir(d), incrs[-1])


def wait_rewrite_done(cl, timeout=30):
    def done():
        i = info(cl)
        if i["aof_rewrite_in_progress"] == "0" and i["aof_rewrite_scheduled"] == "0":
            return i
        return None
    return wait_until(done, timeout, what="the AOF rewrite to finish")


def scan_all(cl, match="*"):
    keys, cursor = set(), b"0"
    while True:
        cursor, batch = cl.cmd("SCAN", cursor, "MATCH", match, "COUNT", 1000)
        keys.update(batch)
        if cursor == b"0":
            return keys


def snapshot(cl, dbs=range(16), match="*"):
    """{(db, key): (value, pexpiretime)} for string keys in the given dbs."""
    out = {}
    for db in dbs:
        assert cl.cmd("SELECT", db) == "OK"
        keys = sorted(scan_all(cl, match))
        if keys:
            vals = cl.pipeline([("GET", k) for k in keys])
            ttls = cl.pipeline([("PEXPIRETIME", k) for k in keys])
            for k, v, t in zip(keys, vals, ttls):
                out[(db, k)] = (v, t)
    assert cl.cmd("SELECT", 0) == "OK"
    return out


class Writer(threading.Thread):
    """Sequential writes on one connection; records what was acknowledged."""

    def __init__(self, port, op):
        super().__init__(daemon=True)
        self.port, self.op = port, op
        self.acked = 0          # operations fully acknowledged
        self.ack_times = []     # monotonic time of each acknowledgement
        self.stop_flag = threading.Event()
        self.error = None

    def run(self):
        try:
            cl = RawClient(self.port, timeout=30)
        except OSError as e:
            self.error = e
            return
        try:
            i = 0
            while not self.stop_flag.is_set():
                if not self.op(cl, i):
                    self.error = AssertionError(f"unexpected reply at op {i}")
                    return
                self.acked = i + 1
                self.ack_times.append(time.monotonic())
                i += 1
        except (OSError, ConnectionClosed):
            pass  # the server was killed under us
        finally:
            cl.close()

    def stop(self):
        self.stop_flag.set()
        self.join(30)
        assert not self.is_alive()


def set_incr_op(cl, i):
    """SET w:i i, then INCR ctr (which must answer i+1)."""
    return cl.cmd("SET", f"w:{i}", i) == "OK" and cl.cmd("INCR", "ctr") == i + 1


def check_prefix(cl, acked):
    """After a crash: the writes present are w:0..w:m-1 (a prefix, nothing out of
    order), ctr agrees, and every acknowledged op is among them.  Returns m."""
    ctr = int(cl.cmd("GET", "ctr") or 0)
    m = cl.cmd("DBSIZE") - (1 if ctr else 0)
    assert m >= ctr >= m - 1, (m, ctr)
    if m:
        present = cl.pipeline([("EXISTS", f"w:{i}") for i in range(m)])
        assert all(x == 1 for x in present), "a write is missing from the middle"
    assert cl.cmd("EXISTS", f"w:{m}") == 0
    return m, ctr


# --- layout ----------------------------------------------------------------------

def test_aof_multipart_layout(start_server):
    s = start_server(args=ALWAYS)
    d = aof_dir(s.dir)
    assert sorted(os.listdir(d)) == ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof",
                                     "appendonly.aof.manifest"]
    assert read_bytes(manifest_path(s.dir)) == (b"file appendonly.aof.1.base.rdb seq 1 type b\n"
                                                b"file appendonly.aof.1.incr.aof seq 1 type i\n")
    base = read_bytes(os.path.join(d, "appendonly.aof.1.base.rdb"))
    assert base.startswith(b"REDIS0010")
    assert b"\xfa\x08aof-base\xc0\x01" in base  # AUX aof-base = 1
    incr = os.path.join(d, "appendonly.aof.1.incr.aof")
    assert read_bytes(incr) == b""
    with RawClient(s.port) as cl:
        assert cl.cmd("CONFIG", "GET", "appendonly") == [b"appendonly", b"yes"]
        assert cl.cmd("CONFIG", "GET", "appenddirname") == [b"appenddirname", b"appendonlydir"]
        assert cl.cmd("CONFIG", "GET", "appendfilename") == [b"appendfilename", b"appendonly.aof"]
        assert cl.cmd("CONFIG", "GET", "appendfsync") == [b"appendfsync", b"always"]
        assert cl.cmd("SET", "k", "v") == "OK"
        # appendfsync always: the command is in the file by the time it is acknowledged.
        expect = encode_command("SELECT", "0") + encode_command("SET", "k", "v")
        assert read_bytes(incr) == expect
        assert cl.cmd("SELECT", "2") == "OK"
        assert cl.cmd("SET", "k2", "v2") == "OK"
        assert cl.cmd("GET", "k2") == b"v2"  # reads are not logged
        expect += encode_command("SELECT", "2") + encode_command("SET", "k2", "v2")
        assert read_bytes(incr) == expect
        i = info(cl)
        assert i["aof_enabled"] == "1"
        for field in ("aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length",
                      "aof_pending_bio_fsync", "aof_delayed_fsync"):
            assert int(i[field]) >= 0, field
    rc, out = run_tool(debian_tool("redis-check-aof"), manifest_path(s.dir))
    assert rc == 0, out


def test_aof_use_rdb_preamble_no(start_server):
    s = start_server(args=[*ALWAYS, "--aof-use-rdb-preamble", "no"])
    assert [(f, t) for f, _, t in manifest(s.dir)] == [("appendonly.aof.1.base.aof", "b"),
                                                      ("appendonly.aof.1.incr.aof", "i")]
    with RawClient(s.port) as cl:
        assert cl.cmd("SET", "a", "1") == "OK"
        assert cl.cmd("SET", "t", "x", "EX", "1000") == "OK"
        t_at = cl.cmd("PEXPIRETIME", "t")
        assert cl.cmd("BGREWRITEAOF") == "Background append only file rewriting started"
        wait_rewrite_done(cl)
        wait_until(lambda: len(os.listdir(aof_dir(s.dir))) == 3, 10, what="history files removed")
        assert manifest(s.dir) == [("appendonly.aof.2.base.aof", 2, "b"), ("appendonly.aof.2.incr.aof", 2, "i")]
        base = read_bytes(os.path.join(aof_dir(s.dir), "appendonly.aof.2.base.aof"))
        assert base.startswith(b"*"), base[:40]
        assert cl.cmd("SET", "b", "2") == "OK"
    rc, out = run_tool(debian_tool("redis-check-aof"), manifest_path(s.dir))
    assert rc == 0, out
    crash(s)
    s2 = start_in(start_server, s.dir, *AOF, "--aof-use-rdb-preamble", "no")
    with RawClient(s2.port) as cl:
        assert cl.cmd("MGET", "a", "b", "t") == [b"1", b"2", b"x"]
        assert cl.cmd("PEXPIRETIME", "t") == t_at


def test_bgrewriteaof_rotates_files_and_info(start_server):
    s = start_server(args=EVERYSEC)
    with RawClient(s.port) as cl:
        for i in range(100):
            assert cl.cmd("SET", f"k{i}", i) == "OK"
        assert info(cl)["aof_rewrites"] == "0"
        assert cl.cmd("BGREWRITEAOF") == "Background append only file rewriting started"
        i = wait_rewrite_done(cl)
        assert i["aof_last_bgrewrite_status"] == "ok"
        assert i["aof_rewrites"] == "1"
        assert int(i["aof_last_rewrite_time_sec"]) >= 0
        assert i["aof_current_rewrite_time_sec"] == "-1"
        assert int(i["aof_last_cow_size"]) >= 0
        # The old base and incr become history and are deleted.
        wait_until(lambda: sorted(os.listdir(aof_dir(s.dir))) == [
            "appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"],
            10, what="the history files to be removed")
        assert read_bytes(manifest_path(s.dir)) == (b"file appendonly.aof.2.base.rdb seq 2 type b\n"
                                                    b"file appendonly.aof.2.incr.aof seq 2 type i\n")
        base_size = os.path.getsize(os.path.join(aof_dir(s.dir), "appendonly.aof.2.base.rdb"))
        i = info(cl)
        assert int(i["aof_base_size"]) == base_size
        assert int(i["aof_current_size"]) == base_size  # nothing written since
        assert cl.cmd("SET", "after", "1") == "OK"
        wait_until(lambda: int(info(cl)["aof_current_size"]) > base_size, 10, what="aof_current_size to grow")
    assert shutdown(s, "NOSAVE") == 0
    s2 = start_in(start_server, s.dir, *AOF)
    with RawClient(s2.port) as cl:
        assert cl.cmd("DBSIZE") == 101
        assert cl.cmd("GET", "k99") == b"99"
        assert cl.cmd("GET", "after") == b"1"


# --- durability -------------------------------------------------------------------

def test_appendfsync_always_loses_no_acknowledged_write(start_server):
    s = start_server(args=ALWAYS)
    w = Writer(s.port, set_incr_op)
    w.start()
    try:
        wait_until(lambda: w.acked >= 200 or w.error, 60, what="200 acknowledged writes")
        assert w.error is None, w.error
        crash(s)
    finally:
        w.stop()
    acked = w.acked
    s2 = start_in(start_server, s.dir, *AOF)
    with RawClient(s2.port) as cl:
        m, ctr = check_prefix(cl, acked)
    # Every acknowledged op survived; at most the one in flight is extra.
    assert acked <= ctr <= acked + 1, (acked, m, ctr)


def test_appendfsync_everysec_loses_at_most_about_a_second(start_server):
    """kill -9 after 3 s of writes: everything acknowledged more than 2 s before
    the crash is back (everysec writes the buffer at least once a second; Redis
    postpones the write(2) by up to 2 s while a slow background fsync runs)."""
    s = start_server(args=EVERYSEC)
    w = Writer(s.port, set_incr_op)
    w.start()
    t0 = time.monotonic()
    try:
        wait_until(lambda: time.monotonic() - t0 >= 3.0 or w.error, 10, what="3 s of writes")
        assert w.error is None, w.error
        t_kill = time.monotonic()
        crash(s)
    finally:
        w.stop()
    times = list(w.ack_times)
    must_survive = sum(1 for t in times if t <= t_kill - 2.0)
    assert must_survive > 0
    s2 = start_in(start_server, s.dir, *AOF)
    with RawClient(s2.port) as cl:
        m, ctr = check_prefix(cl, w.acked)
    assert ctr >= must_survive, (f"lost writes acknowledged more than 2 s before the crash: "
                                 f"{must_survive} must survive, {ctr} did (of {w.acked})")
    assert ctr <= w.acked + 1


def mixed_op(cl, i):
    """A mix of writes in dbs 0 and 1 (TTLs long enough not to expire during the test)."""
    k = i % 500
    kind = i % 9
    if kind == 0:
        ok = cl.cmd("SET", f"s:{k}", f"v{i}") == "OK"
    elif kind == 1:
        ok = isinstance(cl.cmd("INCR", f"c:{k % 50}"), int)
    elif kind == 2:
        ok = isinstance(cl.cmd("APPEND", f"a:{k % 40}", "xy"), int)
    elif kind == 3:
        ok = isinstance(cl.cmd("DEL", f"s:{(k * 7) % 500}"), int)
    elif kind == 4:
        ok = cl.cmd("SET", f"t:{k}", f"ttl{i}", "EX", 1000 + k) == "OK"
    elif kind == 5:
        ok = isinstance(cl.cmd("EXPIRE", f"s:{(k * 3) % 500}", 2000), int)
    elif kind == 6:
        ok = cl.pipeline([("SELECT", "1"), ("SET", f"db1:{k}", i), ("INCRBYFLOAT", "db1:f", "0.5"),
                          ("SELECT", "0")])[1] == "OK"
    elif kind == 7:
        ok = cl.pipeline([("MULTI",), ("SET", f"m:{k}", i), ("INCR", "m:n"), ("EXEC",)])[3][0] == "OK"
    else:
        ok = cl.cmd("MSET", f"s:{k}", f"mset{i}", f"s:{(k + 1) % 500}", f"mset{i}") == "OK"
    return ok


def test_bgrewriteaof_under_write_load_keeps_dataset(start_server):
    s = start_server(args=[*EVERYSEC, *DEBUG])
    cl = RawClient(s.port, timeout=30)
    assert cl.cmd("DEBUG", "POPULATE", 300_000, "pop") == "OK"
    w = Writer(s.port, mixed_op)
    w.start()
    try:
        wait_until(lambda: w.acked >= 1000 or w.error, 30, what="writes before the rewrite")
        assert cl.cmd("BGREWRITEAOF") == "Background append only file rewriting started"
        at_start = w.acked
        i = wait_rewrite_done(cl)
        assert i["aof_last_bgrewrite_status"] == "ok"
        during = w.acked - at_start
        target = w.acked + 1000
        wait_until(lambda: w.acked >= target or w.error, 30, what="writes after the rewrite")
    finally:
        w.stop()
    assert w.error is None, w.error
    assert during > 0, "no write was acknowledged while the rewrite ran"
    digest = cl.cmd("DEBUG", "DIGEST")
    size = cl.cmd("DBSIZE")
    cl.cmd("SELECT", 1)
    size1 = cl.cmd("DBSIZE")
    cl.cmd("SELECT", 0)
    before = snapshot(cl, dbs=(0, 1), match="[^p]*")
    assert len(before) > 500
    cl.close()
    wait_until(lambda: [t for _, _, t in manifest(s.dir)] == ["b", "i"], 10, what="history files to go")
    rc, out = run_tool(debian_tool("redis-check-aof"), manifest_path(s.dir))
    assert rc == 0, out
    assert shutdown(s, "NOSAVE") == 0

    s2 = start_in(start_server, s.dir, *AOF, *DEBUG)
    with RawClient(s2.port, timeout=30) as cl:
        assert cl.cmd("DEBUG", "DIGEST") == digest
        assert cl.cmd("DBSIZE") == size
        assert snapshot(cl, dbs=(0, 1), match="[^p]*") == before
        cl.cmd("SELECT", 1)
        assert cl.cmd("DBSIZE") == size1


# --- truncated tails, run-time enable, precedence, old layout ---------------------------

@pytest.mark.parametrize("load_truncated", ["yes", "no"])
def test_truncated_aof_tail(start_server, load_truncated):
    s = start_server(args=ALWAYS)
    with RawClient(s.port) as cl:
        assert cl.cmd("SET", "a", "1") == "OK"
        assert cl.cmd("SET", "b", "2") == "OK"
    s.stop()
    incr = last_incr(s.dir)
    good = read_bytes(incr)
    partial = encode_command("SET", "c", "3")[:-6]
    write_bytes(incr, good + partial)

    s2 = start_in(start_server, s.dir, *AOF, "--aof-load-truncated", load_truncated,
                  wait=(load_truncated == "yes"))
    if load_truncated == "no":
        assert wait_refused(s2) != 0
        assert re.search(r"(?i)unexpected end of file|truncated|short read", s2.log()), s2.log()[-2000:]
        assert read_bytes(incr) == good + partial, "the AOF was modified"
        return
    assert re.search(r"(?i)truncat|short read", s2.log()), s2.log()[-2000:]
    with RawClient(s2.port) as cl:
        assert cl.cmd("MGET", "a", "b", "c") == [b"1", b"2", None]
        # The partial command is cut off, so what is appended now stays readable.
        assert cl.cmd("SET", "d", "4") == "OK"
    assert read_bytes(incr).startswith(good)
    assert partial not in read_bytes(incr)
    s2.stop()
    rc, out = run_tool(debian_tool("redis-check-aof"), manifest_path(s.dir))
    assert rc == 0, out
    s3 = start_in(start_server, s.dir, *AOF, "--aof-load-truncated", "no")
    assert s3.client().mget("a", "b", "c", "d") == [b"1", b"2", None, b"4"]


def test_config_set_appendonly_at_run_time(start_server):
    s = start_server(args=["--appendfsync", "always"])
    with RawClient(s.port) as cl:
        assert cl.pipeline([("SET", f"pre:{i}", i) for i in range(1000)]) == ["OK"] * 1000
        assert cl.cmd("SELECT", "4") == "OK"
        assert cl.cmd("SET", "in4", "x", "EX", "1000") == "OK"
        t_at = cl.cmd("PEXPIRETIME", "in4")
        assert cl.cmd("SELECT", "0") == "OK"
        assert not os.path.exists(aof_dir(s.dir))
        assert cl.cmd("CONFIG", "SET", "appendonly", "yes") == "OK"
        assert info(cl)["aof_enabled"] == "1"
        i = wait_rewrite_done(cl)
        assert i["aof_last_bgrewrite_status"] == "ok"
        types = [t for _, _, t in manifest(s.dir)]
        assert types[0] == "b" and types[-1] == "i"
        assert cl.cmd("SET", "post", "1") == "OK"
        assert cl.cmd("CONFIG", "GET", "appendonly") == [b"appendonly", b"yes"]
    crash(s)
    assert not os.path.exists(dump_path(s))  # what comes back comes from the AOF
    s2 = start_in(start_server, s.dir, *AOF)
    with RawClient(s2.port) as cl:
        assert cl.cmd("DBSIZE") == 1001
        assert cl.cmd("GET", "pre:999") == b"999"
        assert cl.cmd("GET", "post") == b"1"
        assert cl.cmd("SELECT", "4") == "OK"
        assert cl.cmd("GET", "in4") == b"x"
        assert cl.cmd("PEXPIRETIME", "in4") == t_at
        # And off again: nothing is logged any more, the files stay.
        assert cl.cmd("CONFIG", "SET", "appendonly", "no") == "OK"
        assert info(cl)["aof_enabled"] == "0"
        assert cl.cmd("SET", "not-logged", "1") == "OK"
    assert os.path.exists(manifest_path(s.dir))
    s2.stop()
    s3 = start_in(start_server, s.dir, *AOF)
    assert s3.client().exists("not-logged") == 0


def test_aof_wins_over_rdb(start_server):
    s = start_server(args=ALWAYS)
    with RawClient(s.port) as cl:
        assert cl.cmd("SET", "src", "rdb") == "OK"
        assert cl.cmd("SET", "only-rdb-then-deleted", "1") == "OK"
        assert cl.cmd("SAVE") == "OK"
        assert cl.cmd("SET", "src", "aof") == "OK"
        assert cl.cmd("DEL", "only-rdb-then-deleted") == 1
    s.stop()
    s2 = start_in(start_server, s.dir, *AOF)
    assert s2.client().mget("src", "only-rdb-then-deleted") == [b"aof", None]
    s2.stop()
    s3 = start_in(start_server, s.dir)  # appendonly no: dump.rdb is loaded
    assert s3.client().mget("src", "only-rdb-then-deleted") == [b"rdb", b"1"]


def test_old_single_file_aof_is_migrated(start_server, tmp_path):
    d = str(tmp_path)
    old = (encode_command("SELECT", "0") + encode_command("SET", "old", "yes")
           + encode_command("SELECT", "5") + encode_command("SET", "five", "5"))
    write_bytes(os.path.join(d, "appendonly.aof"), old)
    s = start_in(start_server, d, *AOF)
    with RawClient(s.port) as cl:
        assert cl.cmd("GET", "old") == b"yes"
        assert cl.cmd("SELECT", "5") == "OK"
        assert cl.cmd("GET", "five") == b"5"
        assert cl.cmd("SET", "new", "1") == "OK"
    assert not os.path.exists(os.path.join(d, "appendonly.aof"))
    assert manifest(d) == [("appendonly.aof", 1, "b"), ("appendonly.aof.1.incr.aof", 1, "i")]
    assert read_bytes(os.path.join(aof_dir(d), "appendonly.aof")) == old
    assert shutdown(s, "NOSAVE") == 0
    s2 = start_in(start_server, d, *AOF)
    with RawClient(s2.port) as cl:
        assert cl.cmd("GET", "old") == b"yes"
        assert cl.cmd("SELECT", "5") == "OK"
        assert cl.cmd("MGET", "five", "new") == [b"5", b"1"]


def test_aof_restart_keeps_dbs_and_expire_times(start_server):
    s = start_server(args=EVERYSEC)
    with RawClient(s.port) as cl:
        for db in (0, 3, 15):
            assert cl.cmd("SELECT", db) == "OK"
            assert cl.cmd("SET", "k", f"db{db}") == "OK"
            assert cl.cmd("SET", "ex", "1", "EX", "1000") == "OK"
            assert cl.cmd("SET", "px", "1") == "OK"
            assert cl.cmd("PEXPIRE", "px", "5000000") == 1
            assert cl.cmd("SET", "persisted", "1", "EX", "100") == "OK"
            assert cl.cmd("PERSIST", "persisted") == 1
            assert cl.cmd("INCRBYFLOAT", "f", "0.1") == b"0.1"
            assert cl.cmd("INCRBYFLOAT", "f", "0.2") == b"0.3"
            assert cl.cmd("GETEX", "k", "PX", "7000000") == f"db{db}".encode()
            assert cl.cmd("SET", "gone", "1") == "OK"
            assert cl.cmd("GETDEL", "gone") == b"1"
        before = snapshot(cl)
    assert shutdown(s) == 0  # flushes the AOF; save "" so no dump.rdb
    assert not os.path.exists(dump_path(s))
    s2 = start_in(start_server, s.dir, *AOF)
    with RawClient(s2.port) as cl:
        assert snapshot(cl) == before


# --- check tools -------------------------------------------------------------------

def test_check_aof_tool(start_server, tmp_path):
    tool = check_tool("aof")
    s = start_server(args=ALWAYS)
    with RawClient(s.port) as cl:
        assert cl.cmd("SET", "a", "1") == "OK"
        assert cl.cmd("BGREWRITEAOF") == "Background append only file rewriting started"
        wait_rewrite_done(cl)
        assert cl.cmd("SET", "b", "2") == "OK"
        assert cl.cmd("SELECT", "1") == "OK"
        assert cl.cmd("SET", "c", "3") == "OK"
    s.stop()
    rc, out = run_tool(tool, manifest_path(s.dir))
    assert rc == 0, out
    incr = last_incr(s.dir)
    good = read_bytes(incr)
    # A bare incr file (the old single-file style) is checked too.
    rc, out = run_tool(tool, incr)
    assert rc == 0, out

    write_bytes(incr, good + encode_command("SET", "d", "4")[:-5])  # truncated tail
    rc, out = run_tool(tool, manifest_path(s.dir))
    assert rc == 1, out
    write_bytes(incr, good[:10] + b"GARBAGE\r\n" + good[10:])  # not RESP in the middle
    rc, out = run_tool(tool, manifest_path(s.dir))
    assert rc == 1, out
    rc, out = run_tool(tool, incr)
    assert rc == 1, out
    write_bytes(incr, good)
    base = [f for f, _, t in manifest(s.dir) if t == "b"][0]
    base_path = os.path.join(aof_dir(s.dir), base)
    base_bytes = read_bytes(base_path)
    write_bytes(base_path, base_bytes[:len(base_bytes) // 2])  # truncated RDB base
    rc, out = run_tool(tool, manifest_path(s.dir))
    assert rc == 1, out
    write_bytes(base_path, base_bytes)
    rc, out = run_tool(tool, manifest_path(s.dir))
    assert rc == 0, out
    rc, out = run_tool(tool, str(tmp_path / "missing.manifest"))
    assert rc == 1, out
