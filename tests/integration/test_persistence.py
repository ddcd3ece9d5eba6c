"""RDB persistence as Redis 7.0 does it: SAVE, BGSAVE [SCHEDULE], save points,
LASTSAVE, stop-writes-on-bgsave-error, dbfilename/dir, SHUTDOWN SAVE|NOSAVE, the
final save on SIGTERM, INFO persistence, loading at start-up (-LOADING while it
runs), refusing corrupt files, crash safety of BGSAVE, and the check tool.

Validated against Debian's redis-server 7.0.15 (KEEL_SERVER_BIN=/usr/bin/redis-server);
the check-tool tests then run redis-check-rdb instead of build/keel-check-rdb.

Facts of Redis 7.0 these tests pin down (some are surprising):
  * dir and dbfilename are protected configs: CONFIG SET refuses them unless the
    server runs with enable-protected-configs yes.
  * MISCONF after a failed BGSAVE needs save points: with `save ""` writes keep
    working.  While it applies, PING gets -MISCONF too (it is not a write).
  * A failing SAVE answers a bare "-ERR"; a failing final save makes SHUTDOWN
    answer "-ERR Errors trying to SHUTDOWN. Check logs." and the server stays up.
  * Save points fire when more than `seconds` have elapsed (strictly) since the
    last save, so "1 1" saves 1-2 s after the first write.
  * rdb_changes_since_last_save after a BGSAVE counts the writes made while the
    child ran (dirty - dirty_before_bgsave), not zero.
  * FLUSHALL with save points configured rewrites dump.rdb (empty) at once.
  * rdbchecksum cannot be changed at run time (immutable config).
  * BGSAVE SCHEDULE while a BGSAVE runs is refused ("already in progress"); it
    only schedules when another kind of child (an AOF rewrite) runs.
  * kill -9 of the server mid-BGSAVE: the child notices on its next progress
    report (broken pipe) and exits, leaving a temp-<pid>.rdb behind; the test
    kills the child too, as a power cut would.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import redis

from conftest import IS_REDIS, SERVER_BIN, wait_until
from util import Err, RawClient, parse_info

DEBUG = ["--enable-debug-command", "yes"]
PROTECTED = ["--enable-protected-configs", "yes"]
MISCONF = Err("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
              "to disk. Commands that may modify the data set are disabled, because this instance is "
              "configured to report errors during writes if RDB snapshotting fails "
              "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
              "RDB error.")
BGSAVE_BUSY = Err("ERR Background save already in progress")
BGSAVE_OTHER_CHILD = Err("ERR Another child process is active (AOF?): can't BGSAVE right now. "
                         "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")


# --- helpers -------------------------------------------------------------------

def info(cl, section="persistence"):
    return parse_info(cl.cmd("INFO", section))


def dump_path(server_or_dir, name="dump.rdb"):
    d = server_or_dir if isinstance(server_or_dir, str) else server_or_dir.dir
    return os.path.join(d, name)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def start_in(start_server, data_dir, *args, wait=True):
    """A server whose working directory (dir) is data_dir."""
    return start_server(args=[*args, "--dir", data_dir], wait=wait)


def shutdown(server, *how):
    """SHUTDOWN [how] over a raw connection; returns the exit status."""
    with RawClient(server.port) as cl:
        cl.send("SHUTDOWN", *how)
        assert cl.wait_closed(), "the server did not close the connection on SHUTDOWN"
    return server.proc.wait(20)


def wait_bgsave_done(cl, timeout=30):
    return wait_until(lambda: (lambda i: i if i["rdb_bgsave_in_progress"] == "0" else None)(info(cl)),
                      timeout, what="the BGSAVE to finish")


def _crc64_table():
    poly = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 reflected (Jones, as src/crc64.c)
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC64 = _crc64_table()


def crc64(data, crc=0):
    t = _CRC64
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def children_of(pid):
    """Pids whose parent is pid (the forked BGSAVE child, ...)."""
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(name))
    return kids


def gone_or_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return True
    return st[st.rindex(")") + 2:].split()[0] in ("Z", "X")


def crash(server):
    """kill -9 the server and whatever children it has (as a power cut would)."""
    kids = children_of(server.proc.pid)
    server.proc.kill()
    for k in kids:
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.proc.wait(10)
    for k in kids:
        wait_until(lambda k=k: gone_or_zombie(k), 10, what=f"child {k} to die")


def wait_refused(server, timeout=20):
    """Exit status of a server expected to refuse to start; fails at once if it
    answers PING instead (it started after all)."""
    def exited_or_serving():
        if server.proc.poll() is not None:
            return ("exited", server.proc.returncode)
        try:
            with RawClient(server.port, timeout=1) as cl:
                if cl.cmd("PING") == "PONG":
                    return ("serving", None)
        except OSError:
            pass
        return None
    what, rc = wait_until(exited_or_serving, timeout, interval=0.02, what="the server to exit")
    assert what == "exited", f"the server started instead of refusing: {server.log()[-2000:]}"
    return rc


def check_tool(kind):
    """build/keel-check-<kind> next to the server; redis-check-<kind> when the
    suite runs against Redis."""
    if IS_REDIS:
        name = f"redis-check-{kind}"
        cand = os.path.join(os.path.dirname(SERVER_BIN), name)
        path = cand if os.path.isfile(cand) else shutil.which(name)
    else:
        path = os.path.join(os.path.dirname(SERVER_BIN), f"keel-check-{kind}")
    assert path and os.access(path, os.X_OK), f"check tool for {kind} not found ({path})"
    return path


def debian_tool(name):
    path = shutil.which(name) or f"/usr/bin/{name}"
    if not os.access(path, os.X_OK):
        pytest.skip(f"{name} is not installed (Debian package redis-tools)")
    return path


def run_tool(path, *args):
    res = subprocess.run([path, *args], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    return res.returncode, (res.stdout + res.stderr).decode(errors="replace")


def fill_small(cl, n=1000):
    """n short, incompressible string keys v000000.. in db 0 (7-byte values, so
    each value appears verbatim in the file)."""
    replies = cl.pipeline([("SET", f"k{i}", f"v{i:06d}") for i in range(n)])
    assert all(rep == "OK" for rep in replies)


def make_small_dump(start_server, n=1000):
    """Bytes of a dump.rdb the server under test wrote with fill_small(n)."""
    s = start_server()
    with RawClient(s.port) as cl:
        fill_small(cl, n)
        assert cl.cmd("SAVE") == "OK"
    s.stop()
    return read_bytes(dump_path(s))


# --- INFO persistence, SAVE, LASTSAVE ------------------------------------------

def test_info_persistence_fields(c):
    i = info(c)
    for field in ("loading", "async_loading", "current_cow_size", "rdb_changes_since_last_save",
                  "rdb_bgsave_in_progress", "rdb_last_save_time", "rdb_last_bgsave_status",
                  "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec", "rdb_saves",
                  "rdb_last_cow_size", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded",
                  "aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled",
                  "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec",
                  "aof_last_bgrewrite_status", "aof_rewrites", "aof_last_write_status",
                  "aof_last_cow_size"):
        assert field in i, f"INFO persistence lacks {field}"
    assert i["loading"] == "0"
    assert i["async_loading"] == "0"
    assert i["rdb_changes_since_last_save"] == "0"
    assert i["rdb_bgsave_in_progress"] == "0"
    assert i["rdb_last_bgsave_status"] == "ok"
    assert i["rdb_last_bgsave_time_sec"] == "-1"
    assert i["rdb_current_bgsave_time_sec"] == "-1"
    assert i["rdb_saves"] == "0"
    assert i["rdb_last_cow_size"] == "0"
    assert i["aof_enabled"] == "0"
    assert i["aof_rewrite_in_progress"] == "0"
    assert i["aof_rewrite_scheduled"] == "0"
    assert i["aof_last_rewrite_time_sec"] == "-1"
    assert i["aof_last_bgrewrite_status"] == "ok"
    assert i["aof_last_write_status"] == "ok"
    # lastsave starts at the start-up time.
    assert abs(int(i["rdb_last_save_time"]) - time.time()) < 30
    assert c.cmd("LASTSAVE") == int(i["rdb_last_save_time"])

    # Changes are counted per modification; reads and no-op deletes are not changes.
    assert c.cmd("SET", "a", "1") == "OK"
    assert c.cmd("SET", "b", "2") == "OK"
    assert c.cmd("INCR", "n") == 1
    assert c.cmd("DEL", "a") == 1
    assert c.cmd("DEL", "missing") == 0
    assert c.cmd("GET", "b") == b"2"
    assert info(c)["rdb_changes_since_last_save"] == "4"

    before = int(time.time())
    assert c.cmd("SAVE") == "OK"
    i = info(c)
    assert i["rdb_changes_since_last_save"] == "0"
    assert i["rdb_saves"] == "1"
    assert i["rdb_last_bgsave_status"] == "ok"
    lastsave = c.cmd("LASTSAVE")
    assert isinstance(lastsave, int)
    assert lastsave == int(i["rdb_last_save_time"])
    assert before <= lastsave <= time.time() + 1


def test_save_writes_rdb_and_restart_loads_it(start_server):
    s = start_server()
    with RawClient(s.port) as cl:
        assert cl.cmd("SET", "plain", "hello") == "OK"
        assert cl.cmd("SET", "ttl", "soon-or-later", "EX", "1000") == "OK"
        assert cl.cmd("SET", "bin", b"\x00\r\n\xff") == "OK"
        assert cl.cmd("SET", "int", "-12345") == "OK"
        assert cl.cmd("SET", "big", "x" * 100000) == "OK"
        assert cl.cmd("SELECT", "9") == "OK"
        assert cl.cmd("SET", "in9", "nine") == "OK"
        # Expires 300 ms from now: saved while alive, skipped when loaded after its time.
        assert cl.cmd("SET", "short", "gone", "PX", "300") == "OK"
        short_at = cl.cmd("PEXPIRETIME", "short")
        assert cl.cmd("SELECT", "0") == "OK"
        ttl_at = cl.cmd("PEXPIRETIME", "ttl")
        assert cl.cmd("SAVE") == "OK"
    data = read_bytes(dump_path(s))
    assert data.startswith(b"REDIS0010")
    s.stop()
    wait_until(lambda: time.time() * 1000 > short_at + 50, 5, what="the short key's expire time")

    s2 = start_in(start_server, s.dir)
    with RawClient(s2.port) as cl:
        assert cl.cmd("GET", "plain") == b"hello"
        assert cl.cmd("GET", "ttl") == b"soon-or-later"
        assert cl.cmd("PEXPIRETIME", "ttl") == ttl_at  # absolute expire times survive exactly
        assert cl.cmd("GET", "bin") == b"\x00\r\n\xff"
        assert cl.cmd("GET", "int") == b"-12345"
        assert cl.cmd("GET", "big") == b"x" * 100000
        assert cl.cmd("PEXPIRETIME", "plain") == -1
        assert cl.cmd("DBSIZE") == 5
        assert cl.cmd("SELECT", "9") == "OK"
        assert cl.cmd("GET", "in9") == b"nine"
        assert cl.cmd("EXISTS", "short") == 0
        assert cl.cmd("DBSIZE") == 1
        i = info(cl)
        assert i["loading"] == "0"
        assert i["rdb_last_load_keys_loaded"] == "6"
        assert i["rdb_last_load_keys_expired"] == "1"
        assert i["rdb_changes_since_last_save"] == "0"
    # Loading does not rewrite the file.
    assert read_bytes(dump_path(s)) == data


def test_rdb_file_format_header_and_crc(start_server):
    s = start_server()
    with RawClient(s.port) as cl:
        fill_small(cl, 200)
        assert cl.cmd("SELECT", "3") == "OK"
        assert cl.cmd("SET", "x", "y", "EX", "500") == "OK"
        assert cl.cmd("SAVE") == "OK"
        data = read_bytes(dump_path(s))
        assert data[:9] == b"REDIS0010"
        assert data[9] == 0xFA  # AUX fields first
        for aux in (b"redis-ver", b"redis-bits", b"ctime", b"used-mem", b"aof-base"):
            assert b"\xfa" + bytes([len(aux)]) + aux in data, f"AUX field {aux!r} missing"
        assert data[-9] == 0xFF  # EOF opcode, then the CRC64 trailer (little-endian)
        assert int.from_bytes(data[-8:], "little") == crc64(data[:-8])
        assert b"\xfe\x00" in data and b"\xfe\x03" in data  # SELECTDB 0 and 3
        # rdbchecksum is immutable at run time (Redis 7.0).
        assert cl.cmd("CONFIG", "SET", "rdbchecksum", "no") == Err(
            "ERR CONFIG SET failed (possibly related to argument 'rdbchecksum') - can't set immutable config")
    s.stop()
    # rdbchecksum no: the trailer is zero, and the file still loads.
    s2 = start_in(start_server, s.dir, "--rdbchecksum", "no")
    with RawClient(s2.port) as cl:
        assert cl.cmd("DBSIZE") == 200
        assert cl.cmd("SET", "k7", "changed") == "OK"
        assert cl.cmd("SAVE") == "OK"
    nocrc = read_bytes(dump_path(s))
    assert nocrc[:9] == b"REDIS0010"
    assert nocrc[-9:] == b"\xff" + b"\x00" * 8
    s2.stop()
    s3 = start_in(start_server, s.dir)
    with RawClient(s3.port) as cl:
        assert cl.cmd("DBSIZE") == 200
        assert cl.cmd("GET", "k7") == b"changed"
        assert cl.cmd("GET", "k8") == b"v000008"


# --- BGSAVE ----------------------------------------------------------------------

def test_bgsave_small(c, server):
    assert c.cmd("SET", "a", "1") == "OK"
    assert c.cmd("BGSAVE", "FOO") == Err("ERR syntax error")
    saves = int(info(c)["rdb_saves"])
    assert c.cmd("BGSAVE") == "Background saving started"
    i = wait_bgsave_done(c)
    assert i["rdb_last_bgsave_status"] == "ok"
    assert i["rdb_changes_since_last_save"] == "0"
    assert int(i["rdb_saves"]) == saves + 1
    assert int(i["rdb_last_bgsave_time_sec"]) >= 0
    assert i["rdb_current_bgsave_time_sec"] == "-1"
    assert int(i["rdb_last_cow_size"]) >= 0
    assert read_bytes(dump_path(server)).startswith(b"REDIS0010")
    # SCHEDULE with no child running starts one at once.
    assert c.cmd("SET", "b", "2") == "OK"
    assert c.cmd("BGSAVE", "SCHEDULE") == "Background saving started"
    i = wait_bgsave_done(c)
    assert int(i["rdb_saves"]) == saves + 2
    assert i["rdb_changes_since_last_save"] == "0"


def test_bgsave_big_dataset_does_not_block_and_schedules(start_server):
    """PINGs and writes are served while a BGSAVE of 2M keys runs; the second
    save / rewrite requests are refused or scheduled as Redis does."""
    n = 2_000_000
    s = start_server(args=DEBUG)
    cl = RawClient(s.port, timeout=30)
    assert cl.cmd("DEBUG", "POPULATE", n) == "OK"
    saves = int(info(cl)["rdb_saves"])

    t = time.monotonic()
    assert cl.cmd("BGSAVE") == "Background saving started"
    assert time.monotonic() - t < 1.0, "BGSAVE must answer once the child is started"
    i = info(cl)
    assert i["rdb_bgsave_in_progress"] == "1"
    assert int(i["rdb_current_bgsave_time_sec"]) >= 0
    assert cl.cmd("BGSAVE") == BGSAVE_BUSY
    assert cl.cmd("BGSAVE", "SCHEDULE") == BGSAVE_BUSY
    assert cl.cmd("SAVE") == BGSAVE_BUSY
    assert cl.cmd("BGREWRITEAOF") == "Background append only file rewriting scheduled"
    assert info(cl)["aof_rewrite_scheduled"] == "1"

    pings_during = 0
    writes = 0
    worst = 0.0
    deadline = time.monotonic() + 60
    while True:
        t = time.monotonic()
        assert cl.cmd("PING") == "PONG"
        worst = max(worst, time.monotonic() - t)
        assert cl.cmd("SET", f"during:{writes}", "x") == "OK"
        writes += 1
        if info(cl)["rdb_bgsave_in_progress"] == "0":
            break
        pings_during += 1
        assert time.monotonic() < deadline, "BGSAVE did not finish"
    assert pings_during >= 1, "no PING was answered while the BGSAVE ran"
    assert worst < 1.0, f"a PING took {worst:.3f}s during BGSAVE"
    i = info(cl)
    assert i["rdb_last_bgsave_status"] == "ok"
    # Writes made while the child ran are not in the snapshot: still counted.
    assert i["rdb_changes_since_last_save"] == str(writes)
    assert int(i["rdb_last_cow_size"]) >= 0

    # The scheduled rewrite starts once the BGSAVE child is gone.
    wait_until(lambda: info(cl)["aof_rewrite_in_progress"] == "1", 10, what="the scheduled AOF rewrite")
    assert cl.cmd("BGSAVE") == BGSAVE_OTHER_CHILD
    assert cl.cmd("BGREWRITEAOF") == Err("ERR Background append only file rewriting already in progress")
    assert cl.cmd("BGSAVE", "SCHEDULE") == "Background saving scheduled"
    i = wait_until(lambda: (lambda i: i if (i["aof_rewrite_in_progress"] == "0"
                                            and i["rdb_bgsave_in_progress"] == "0"
                                            and int(i["rdb_saves"]) == saves + 2) else None)(info(cl)),
                   60, what="the rewrite and the scheduled BGSAVE")
    assert i["rdb_last_bgsave_status"] == "ok"
    assert i["aof_last_bgrewrite_status"] == "ok"
    assert i["aof_rewrite_scheduled"] == "0"
    assert cl.cmd("DBSIZE") == n + writes
    cl.close()


# --- save points, FLUSHALL ---------------------------------------------------------

def test_save_config_values(c):
    assert c.cmd("CONFIG", "SET", "save", "100 10 200 20") == "OK"
    assert c.cmd("CONFIG", "GET", "save") == [b"save", b"100 10 200 20"]
    for bad in ("abc", "10", "0 1", "10 -1"):
        assert c.cmd("CONFIG", "SET", "save", bad) == Err(
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"), bad
    assert c.cmd("CONFIG", "SET", "save", "") == "OK"
    assert c.cmd("CONFIG", "GET", "save") == [b"save", b""]


def test_save_point_triggers_background_save(start_server):
    s = start_server(args=["--save", "1 1"])
    with RawClient(s.port) as cl:
        assert cl.cmd("CONFIG", "GET", "save") == [b"save", b"1 1"]
        assert cl.cmd("SET", "k", "v") == "OK"
        assert info(cl)["rdb_changes_since_last_save"] == "1"
        wait_until(lambda: info(cl)["rdb_changes_since_last_save"] == "0"
                   and os.path.exists(dump_path(s)), 10, what="the save point to fire")
        i = wait_bgsave_done(cl)
        assert i["rdb_last_bgsave_status"] == "ok"
        assert int(i["rdb_saves"]) >= 1
    s.stop()
    s2 = start_in(start_server, s.dir)
    assert s2.client().get("k") == b"v"


def test_flushall_with_save_points_saves_empty_dump(start_server):
    s = start_server(args=["--save", "3600 1"])
    with RawClient(s.port) as cl:
        assert cl.cmd("SET", "a", "1") == "OK"
        assert cl.cmd("SAVE") == "OK"
        assert cl.cmd("FLUSHALL") == "OK"
    # NOSAVE: whatever is on disk now was written by FLUSHALL itself.
    s.stop()
    s2 = start_in(start_server, s.dir)
    assert s2.client().dbsize() == 0


# --- stop-writes-on-bgsave-error -----------------------------------------------

def test_misconf_after_failed_bgsave(start_server):
    s = start_server(args=["--save", "3600 1", *PROTECTED])
    cl = RawClient(s.port)
    assert cl.cmd("SET", "k", "1") == "OK"
    doomed = tempfile.mkdtemp(prefix="keel-gone-")
    try:
        assert cl.cmd("CONFIG", "SET", "dir", doomed) == "OK"
        os.rmdir(doomed)  # the working directory disappears: the save cannot create its file
        assert cl.cmd("BGSAVE") == "Background saving started"
        i = wait_until(lambda: (lambda i: i if (i["rdb_bgsave_in_progress"] == "0"
                                                and i["rdb_last_bgsave_status"] == "err") else None)(info(cl)),
                       20, what="the BGSAVE to fail")
        assert i["rdb_changes_since_last_save"] == "1"
        assert "No such file or directory" in s.log()
        # Writes (and, in Redis 7.0, PING) are refused; reads are served.
        assert cl.cmd("SET", "k", "2") == MISCONF
        assert cl.cmd("INCR", "n") == MISCONF
        assert cl.cmd("DEL", "k") == MISCONF
        assert cl.cmd("PING") == MISCONF
        assert cl.cmd("GET", "k") == b"1"
        assert cl.cmd("EXISTS", "k") == 1
        # SAVE fails too (Redis answers a bare -ERR).
        rep = cl.cmd("SAVE")
        assert isinstance(rep, Err) and rep.prefix == "ERR", rep
        # Turning the option off lifts the refusal, turning it on brings it back.
        assert cl.cmd("CONFIG", "SET", "stop-writes-on-bgsave-error", "no") == "OK"
        assert cl.cmd("SET", "k", "3") == "OK"
        assert cl.cmd("PING") == "PONG"
        assert cl.cmd("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes") == "OK"
        assert cl.cmd("SET", "k", "4") == MISCONF
        # A successful save clears the error.
        assert cl.cmd("CONFIG", "SET", "dir", s.dir) == "OK"
        assert cl.cmd("BGSAVE") == "Background saving started"
        i = wait_until(lambda: (lambda i: i if (i["rdb_bgsave_in_progress"] == "0"
                                                and i["rdb_last_bgsave_status"] == "ok") else None)(info(cl)),
                       20, what="the BGSAVE to succeed")
        assert cl.cmd("SET", "k", "5") == "OK"
        assert cl.cmd("PING") == "PONG"
    finally:
        cl.close()
        shutil.rmtree(doomed, ignore_errors=True)


def test_failed_bgsave_without_save_points_keeps_writes(start_server):
    """MISCONF needs save points: with save "" a failed BGSAVE only shows in INFO."""
    s = start_server(args=PROTECTED)
    cl = RawClient(s.port)
    doomed = tempfile.mkdtemp(prefix="keel-gone-")
    try:
        assert cl.cmd("CONFIG", "SET", "dir", doomed) == "OK"
        os.rmdir(doomed)
        assert cl.cmd("BGSAVE") == "Background saving started"
        wait_until(lambda: (lambda i: i["rdb_bgsave_in_progress"] == "0"
                            and i["rdb_last_bgsave_status"] == "err")(info(cl)), 20, what="the BGSAVE to fail")
        assert cl.cmd("SET", "k", "1") == "OK"
        assert cl.cmd("PING") == "PONG"
    finally:
        cl.close()
        shutil.rmtree(doomed, ignore_errors=True)


# --- dbfilename, dir -------------------------------------------------------------

def test_dir_and_dbfilename_are_protected(c):
    for name, value in (("dir", "/tmp"), ("dbfilename", "x.rdb")):
        assert c.cmd("CONFIG", "SET", name, value) == Err(
            f"ERR CONFIG SET failed (possibly related to argument '{name}') - can't set protected config")
    assert c.cmd("CONFIG", "GET", "dbfilename") == [b"dbfilename", b"dump.rdb"]


def test_dbfilename_and_dir(start_server, tmp_path):
    s = start_server(args=PROTECTED)
    other = str(tmp_path / "other")
    os.mkdir(other)
    with RawClient(s.port) as cl:
        assert cl.cmd("CONFIG", "GET", "dir") == [b"dir", os.path.realpath(s.dir).encode()]
        assert cl.cmd("CONFIG", "SET", "dbfilename", "a/b.rdb") == Err(
            "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - "
            "dbfilename can't be a path, just a filename")
        assert cl.cmd("CONFIG", "SET", "dir", str(tmp_path / "missing")) == Err(
            "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory")
        assert cl.cmd("SET", "k", "v") == "OK"
        assert cl.cmd("CONFIG", "SET", "dbfilename", "snap.rdb") == "OK"
        assert cl.cmd("CONFIG", "GET", "dbfilename") == [b"dbfilename", b"snap.rdb"]
        assert cl.cmd("SAVE") == "OK"
        assert os.path.exists(dump_path(s, "snap.rdb"))
        assert not os.path.exists(dump_path(s))
        assert cl.cmd("CONFIG", "SET", "dir", other) == "OK"
        assert cl.cmd("CONFIG", "GET", "dir") == [b"dir", os.path.realpath(other).encode()]
        assert cl.cmd("SET", "k2", "v2") == "OK"
        assert cl.cmd("BGSAVE") == "Background saving started"
        assert wait_bgsave_done(cl)["rdb_last_bgsave_status"] == "ok"
        assert os.path.exists(os.path.join(other, "snap.rdb"))
    s.stop()
    s2 = start_in(start_server, other, "--dbfilename", "snap.rdb")
    r2 = s2.client()
    assert r2.mget("k", "k2") == [b"v", b"v2"]
    s3 = start_in(start_server, s.dir, "--dbfilename", "snap.rdb")
    assert s3.client().mget("k", "k2") == [b"v", None]


# --- SHUTDOWN and SIGTERM ----------------------------------------------------------

def test_shutdown_save_without_save_points(start_server):
    s = start_server()
    s.client().set("k", "v")
    assert shutdown(s, "SAVE") == 0
    assert os.path.exists(dump_path(s))
    assert start_in(start_server, s.dir).client().get("k") == b"v"


def test_shutdown_nosave_with_save_points(start_server):
    s = start_server(args=["--save", "3600 1"])
    s.client().set("k", "v")
    assert shutdown(s, "NOSAVE") == 0
    assert not os.path.exists(dump_path(s))


def test_shutdown_default_follows_save_points(start_server):
    s = start_server(args=["--save", "3600 1"])
    s.client().set("k", "v")
    assert shutdown(s) == 0
    assert start_in(start_server, s.dir).client().get("k") == b"v"

    s2 = start_server()  # save "": a plain SHUTDOWN does not save
    s2.client().set("k", "v")
    assert shutdown(s2) == 0
    assert not os.path.exists(dump_path(s2))


def test_shutdown_syntax(c):
    assert c.cmd("SHUTDOWN", "SAVE", "NOSAVE") == Err("ERR syntax error")
    assert c.cmd("SHUTDOWN", "FOO") == Err("ERR syntax error")
    assert c.cmd("PING") == "PONG"


def test_shutdown_refused_when_final_save_fails(start_server):
    s = start_server(args=["--save", "3600 1", *PROTECTED])
    cl = RawClient(s.port)
    doomed = tempfile.mkdtemp(prefix="keel-gone-")
    try:
        assert cl.cmd("SET", "k", "v") == "OK"
        assert cl.cmd("CONFIG", "SET", "dir", doomed) == "OK"
        os.rmdir(doomed)
        assert cl.cmd("SHUTDOWN", "SAVE") == Err("ERR Errors trying to SHUTDOWN. Check logs.")
        assert cl.cmd("SHUTDOWN") == Err("ERR Errors trying to SHUTDOWN. Check logs.")
        assert cl.cmd("PING") == "PONG"
        assert s.proc.poll() is None
        assert cl.cmd("GET", "k") == b"v"
        cl.send("SHUTDOWN", "NOSAVE")
        assert cl.wait_closed()
        assert s.proc.wait(20) == 0
    finally:
        cl.close()
        shutil.rmtree(doomed, ignore_errors=True)


def test_sigterm_saves_when_save_points_are_set(start_server):
    s = start_server(args=["--save", "3600 1"])
    s.client().set("k", "v")
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(20) == 0
    assert os.path.exists(dump_path(s))
    assert start_in(start_server, s.dir).client().get("k") == b"v"


def test_sigterm_without_save_points_does_not_save(start_server):
    s = start_server()
    s.client().set("k", "v")
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(20) == 0
    assert not os.path.exists(dump_path(s))


# --- loading at start-up ------------------------------------------------------------

def test_loading_replies_while_big_dataset_loads(start_server):
    """Clients are served with -LOADING (and INFO shows loading:1) while a 2M-key
    dump loads; no partial dataset is ever visible.

    Whether we catch the load in progress depends on timing, so the -LOADING
    checks are conditional on the first reply (to INFO, which is served while
    loading) saying loading:1.  If it says loading:0 instead, the load was over
    when we connected -- which is only accepted if that reply came promptly
    (< 0.5 s): a server that holds requests until the load ends fails.  Replies
    are checked for consistency in the order they were sent (a -LOADING reply
    after an INFO with loading:0 is wrong), a GET sent while INFO said less than
    half the file was loaded must be refused with -LOADING (not held until the
    end), and the final dataset is always checked.
    """
    n = 2_000_000
    loading_err = Err("LOADING Redis is loading the dataset in memory")
    s = start_server(args=DEBUG)
    with RawClient(s.port, timeout=30) as cl:
        assert cl.cmd("DEBUG", "POPULATE", n) == "OK"
        assert cl.cmd("SAVE") == "OK"
    size = os.path.getsize(dump_path(s))
    s.stop()

    t_spawn = time.monotonic()
    s2 = start_in(start_server, s.dir, *DEBUG, wait=False)

    def connect():
        if s2.proc.poll() is not None:
            raise AssertionError(f"server exited with {s2.proc.returncode}: {s2.log()[-2000:]}")
        return RawClient(s2.port, timeout=30)

    cl = wait_until(connect, 20, interval=0.002, what="a connection to the loading server")
    saw_loading = False
    first = True
    try:
        while True:
            t = time.monotonic()
            i = info(cl)
            if first and i["loading"] == "0":
                assert time.monotonic() - t < 0.5, (
                    "the first request was held until the load ended instead of being answered")
            first = False
            get_reply = cl.cmd("GET", "key:1")
            size_reply = cl.cmd("DBSIZE")
            if i["loading"] == "1":
                saw_loading = True
                assert int(i["loading_total_bytes"]) == size
                assert 0 <= int(i["loading_loaded_bytes"]) <= size
                perc = float(i["loading_loaded_perc"])
                assert 0.0 <= perc <= 100.0
                assert int(i["loading_start_time"]) > 0
                if perc < 50.0:
                    assert get_reply == loading_err, f"GET at {perc}% loaded answered {get_reply!r}"
            if isinstance(get_reply, Err):
                assert get_reply == loading_err
                assert i["loading"] == "1", "-LOADING after INFO said loading:0"
            else:
                assert get_reply == b"value:1"
            if isinstance(size_reply, Err):
                assert size_reply == loading_err
                assert i["loading"] == "1", "-LOADING after INFO said loading:0"
                assert isinstance(get_reply, Err), "-LOADING after a GET was served"
            else:
                assert size_reply == n, "a partially loaded dataset was visible"
                break
            assert time.monotonic() - t_spawn < 60, "loading did not finish"
            time.sleep(0.01)
        if not saw_loading:
            print("the load was over before the first reply")  # shown if a later check fails
        assert info(cl)["loading"] == "0"
        assert cl.cmd("GET", "key:0") == b"value:0"
        assert cl.cmd("GET", f"key:{n - 1}") == f"value:{n - 1}".encode()
        assert info(cl)["rdb_last_load_keys_loaded"] == str(n)
    finally:
        cl.close()


CORRUPTIONS = {
    # name: (transform of the file bytes, log pattern)
    "truncated": (lambda d: d[:len(d) // 2], r"(?i)unexpected eof|short read"),
    "truncated-trailer": (lambda d: d[:-4], r"(?i)unexpected eof|short read"),
    "checksum": (lambda d: d.replace(b"v000500", b"v000501"), r"(?i)wrong rdb checksum"),
    "newer-version": (lambda d: b"REDIS0011" + d[9:], r"(?i)rdb format version 11"),
    "not-rdb": (lambda d: b"this is not an RDB file at all\n", r"(?i)wrong signature"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corrupt_rdb_stops_startup(start_server, tmp_path, kind):
    transform, pattern = CORRUPTIONS[kind]
    bad = transform(make_small_dump(start_server))
    data_dir = str(tmp_path)
    write_bytes(dump_path(data_dir), bad)
    # Save points set: a server that started empty anyway would soon overwrite the file.
    s = start_in(start_server, data_dir, "--save", "1 1", wait=False)
    assert wait_refused(s) != 0
    assert re.search(pattern, s.log()), s.log()[-2000:]
    assert read_bytes(dump_path(data_dir)) == bad, "the bad file was modified"


def test_kill9_during_bgsave_keeps_previous_snapshot(start_server):
    s = start_server(args=DEBUG)
    cl = RawClient(s.port, timeout=30)
    assert cl.cmd("SET", "generation", "1") == "OK"
    assert cl.cmd("SAVE") == "OK"
    before = read_bytes(dump_path(s))
    assert cl.cmd("DEBUG", "POPULATE", 1_000_000) == "OK"
    assert cl.cmd("SET", "generation", "2") == "OK"
    assert cl.cmd("BGSAVE") == "Background saving started"
    assert info(cl)["rdb_bgsave_in_progress"] == "1"
    cl.close()
    crash(s)
    assert read_bytes(dump_path(s)) == before, "dump.rdb changed although the BGSAVE never finished"
    rc, out = run_tool(check_tool("rdb"), dump_path(s))
    assert rc == 0, out
    s2 = start_in(start_server, s.dir)
    with RawClient(s2.port) as cl:
        assert cl.cmd("GET", "generation") == b"1"
        assert cl.cmd("DBSIZE") == 1


# --- check tools -----------------------------------------------------------------

def test_check_rdb_tool(start_server, tmp_path):
    tool = check_tool("rdb")
    good = make_small_dump(start_server)
    path = str(tmp_path / "dump.rdb")
    write_bytes(path, good)
    rc, out = run_tool(tool, path)
    assert rc == 0, out
    for kind in ("truncated", "checksum", "newer-version", "not-rdb"):
        write_bytes(path, CORRUPTIONS[kind][0](good))
        rc, out = run_tool(tool, path)
        assert rc == 1, f"{kind}: exit {rc}\n{out}"
    rc, out = run_tool(tool, str(tmp_path / "missing.rdb"))
    assert rc == 1, out


def test_debian_check_rdb_accepts_our_dump(start_server):
    tool = debian_tool("redis-check-rdb")
    s = start_server()
    with RawClient(s.port) as cl:
        fill_small(cl, 300)
        assert cl.cmd("SET", "long", "abc" * 1000) == "OK"  # LZF-compressed
        assert cl.cmd("SET", "num", "1234567890123") == "OK"
        for db in (1, 15):
            assert cl.cmd("SELECT", db) == "OK"
            assert cl.cmd("SET", f"db{db}", "v", "PX", "99999999") == "OK"
        assert cl.cmd("SAVE") == "OK"
    rc, out = run_tool(tool, dump_path(s))
    assert rc == 0, out
    assert "RDB looks OK" in out
    assert "[info] 304 keys read" in out
    assert "[info] 2 expires" in out


def test_debug_reload_round_trips_the_dataset(start_server):
    """DEBUG RELOAD (used by test harnesses): save, empty, load back."""
    s = start_server(args=["--enable-debug-command", "yes"])
    r = s.client()
    r.set("a", "1")
    r.set("b", "x" * 100, px=600000)
    r.select(3)
    r.set("c", "z")
    before = r.execute_command("DEBUG", "DIGEST")
    assert r.execute_command("DEBUG", "RELOAD") in (b"OK", "OK", True)
    assert r.execute_command("DEBUG", "DIGEST") == before
    r.select(0)
    assert r.get("a") == b"1"
    assert 0 < r.pttl("b") <= 600000
    assert os.path.exists(os.path.join(s.dir, "dump.rdb"))
    if not IS_REDIS:
        # NOFLUSH with the keys still there: the duplicates fail the load with
        # an error reply (Redis 7.0 exits on the corrupt-looking load instead).
        with pytest.raises(redis.ResponseError):
            r.execute_command("DEBUG", "RELOAD", "NOFLUSH")
        assert r.get("a") == b"1"
