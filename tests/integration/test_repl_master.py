"""The master side of replication (replication/master.c) against real consumers.

The server under test is the master; Debian's redis-server 7.0 is its replica, and
redis-cli --rdb / --replica and redis-check-rdb are the other clients that speak
the replication protocol.  Datasets are compared key by key (SCAN + MGET): Keel's
DEBUG DIGEST differs from Redis's by design.

Waits are on conditions (offsets equal, link up, counters moved), never fixed
sleeps.  A replica that must stay away while the master writes is frozen with
SIGSTOP after its link is killed, so what it missed is exactly what the test
wrote; it is always SIGCONTed at teardown.

Validated against Debian's redis-server 7.0.15 as the master too:
    KEEL_SERVER_BIN=/usr/bin/redis-server python3 -m pytest -q tests/integration/test_repl_master.py
"""
import os
import shutil
import subprocess
import threading
import time

import pytest
import redis

from conftest import IS_REDIS, REDIS_BIN, wait_until
from util import Err, RawClient, parse_info

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
CHECK_RDB = shutil.which("redis-check-rdb") or "/usr/bin/redis-check-rdb"

pytestmark = pytest.mark.skipif(not os.access(REDIS_BIN, os.X_OK),
                                reason="Debian's redis-server is not installed")

NKEYS = 10000


@pytest.fixture
def start_replica(start_redis):
    """Debian's redis-server replicating from 127.0.0.1:<master_port>."""

    def start(master_port, args=()):
        return start_redis(args=["--replicaof", "127.0.0.1", str(master_port), *args])

    return start


def master_args(diskless=True, *extra):
    return ["--repl-diskless-sync", "yes" if diskless else "no", "--repl-diskless-sync-delay", "0",
            "--enable-debug-command", "local", *extra]


def info(client, section):
    """INFO <section> as {field: text} (redis-py's own parsing retypes the values)."""
    conn = client.connection_pool.get_connection("INFO")
    try:
        conn.send_command("INFO", section)
        raw = conn.read_response()
    finally:
        client.connection_pool.release(conn)
    return parse_info(raw.decode())


def load(client, n, prefix="key:", start=0):
    """n SETs in pipelined batches; values vary in size (some compress well)."""
    pipe = client.pipeline(transaction=False)
    for i in range(start, start + n):
        if i % 7 == 0:
            value = ("x" * 300) + str(i)
        elif i % 5 == 0:
            value = str(i)  # an integer-encoded string
        else:
            value = f"value-{i}-" + "abcdefghij"[: i % 10]
        pipe.set(f"{prefix}{i}", value)
        if len(pipe) >= 1000:
            pipe.execute()
    pipe.execute()


def all_keys(client):
    return set(client.scan_iter(count=1000))


def assert_same_data(m, r):
    mkeys, rkeys = all_keys(m), all_keys(r)
    assert len(mkeys) == len(rkeys), (len(mkeys), len(rkeys))
    assert mkeys == rkeys
    keys = sorted(mkeys)
    for i in range(0, len(keys), 1000):
        batch = keys[i:i + 1000]
        assert m.mget(batch) == r.mget(batch)


def wait_synced(master, replica, timeout=30):
    """The replica's link is up and it applied everything the master produced."""
    m, r = master.client(), replica.client()

    def synced():
        ri = info(r, "replication")
        mi = info(m, "replication")
        return (ri.get("master_link_status") == "up"
                and int(ri["slave_repl_offset"]) == int(mi["master_repl_offset"])
                and int(mi["master_repl_offset"]) > 0)

    wait_until(synced, timeout, what="replica in sync with the master")


def wait_online(master, replica, timeout=30):
    m = master.client()

    def online():
        mi = info(m, "replication")
        return (mi.get("connected_slaves") == "1" and "state=online" in mi.get("slave0", "")
                and info(replica.client(), "replication").get("master_link_status") == "up")

    wait_until(online, timeout, what="replica online")


def stats(client):
    s = info(client, "stats")
    return {k: int(s[k]) for k in ("sync_full", "sync_partial_ok", "sync_partial_err")}


class Writer(threading.Thread):
    """Writes without pause until stopped: SETs, INCRs and DELs in db 0 and db 3."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.count = 0
        self.error = None

    def run(self):
        try:
            c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30)
            c3 = redis.Redis(host="127.0.0.1", port=self.port, db=3, socket_timeout=30)
            i = 0
            while not self.stop.is_set():
                c.set(f"w:{i}", i)
                c.incr("counter")
                if i % 3 == 0:
                    c.delete(f"key:{i}")
                if i % 4 == 0:
                    c3.set(f"db3:{i}", "v" * (i % 50))
                i += 1
                self.count = i
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e


# ---- full sync --------------------------------------------------------------------

@pytest.mark.parametrize("diskless", [False, True], ids=["disk", "diskless"])
def test_full_sync_with_writes_during_sync(start_server, start_replica, diskless):
    master = start_server(args=master_args(diskless))
    m = master.client()
    load(m, NKEYS)
    writer = Writer(master.port)
    writer.start()
    try:
        wait_until(lambda: writer.count > 50, what="writer running")
        replica = start_replica(master.port)
        r = replica.client()
        wait_until(lambda: info(r, "replication").get("master_link_status") == "up", 30,
                   what="replica link up")
        n0 = writer.count
        wait_until(lambda: writer.count >= n0 + 300, what="writes after the sync")
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.error is None, writer.error
    wait_synced(master, replica)
    assert_same_data(m, r)
    m3, r3 = master.client(db=3), replica.client(db=3)
    assert_same_data(m3, r3)
    assert int(r.get("counter")) == writer.count

    # The master learns the replica's offset from its next REPLCONF ACK (1/s).
    wait_until(lambda: info(m, "replication")["slave0"].split(",")[3]
               == "offset=" + info(m, "replication")["master_repl_offset"], what="replica ACKed everything")
    mi, ri = info(m, "replication"), info(r, "replication")
    assert mi["role"] == "master"
    assert mi["connected_slaves"] == "1"
    assert mi["slave0"] == (f"ip=127.0.0.1,port={replica.port},state=online,"
                            f"offset={mi['master_repl_offset']},lag=" + mi["slave0"].rsplit("=", 1)[1])
    assert ri["master_link_status"] == "up"
    assert ri["master_replid"] == mi["master_replid"]
    role = m.execute_command("ROLE")
    assert role[0] == b"master"
    assert role[2] == [[b"127.0.0.1", str(replica.port).encode(), mi["master_repl_offset"].encode()]]
    assert stats(m)["sync_full"] == 1
    target = "replicas sockets" if diskless else "disk"
    assert f"Starting BGSAVE for SYNC with target: {target}" in master.log()


def test_backlog_created_with_a_new_replication_id(start_server, start_replica):
    master = start_server(args=master_args())
    m = master.client()
    before = info(m, "replication")
    assert before["repl_backlog_active"] == "0"
    m.set("k", "v")
    assert info(m, "replication")["master_repl_offset"] == "0"  # no stream without a backlog
    replica = start_replica(master.port)
    wait_online(master, replica)
    after = info(m, "replication")
    assert after["repl_backlog_active"] == "1"
    assert after["master_replid"] != before["master_replid"]
    assert after["master_replid2"] == "0" * 40
    assert after["second_repl_offset"] == "-1"
    assert replica.client().get("k") == b"v"


def test_diskless_sync_delay_gathers_replicas(start_server, start_replica):
    master = start_server(args=["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "2"])
    m = master.client()
    load(m, 500)
    r1 = start_replica(master.port)
    r2 = start_replica(master.port)
    wait_until(lambda: info(m, "replication").get("connected_slaves") == "2"
               and all("state=online" in info(m, "replication").get(f"slave{i}", "") for i in (0, 1)), 30,
               what="both replicas online")
    # One child served both: a single "Starting BGSAVE" in the log.
    assert master.log().count("Starting BGSAVE for SYNC with target: replicas sockets") == 1
    m.set("after", "1")
    for rep in (r1, r2):
        wait_synced(master, rep)
        assert_same_data(m, rep.client())


# ---- partial resync and the backlog ------------------------------------------------

def test_partial_resync_after_link_drop(start_server, start_replica):
    master = start_server(args=master_args())
    m = master.client()
    load(m, 1000)
    replica = start_replica(master.port)
    wait_synced(master, replica)
    before = stats(m)
    # Frozen so it cannot reconnect before the writes below are in the backlog.
    replica.freeze()
    assert m.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
    wait_until(lambda: info(m, "replication")["connected_slaves"] == "0", what="replica dropped")
    load(m, 200, prefix="during:")
    replica.thaw()
    wait_until(lambda: stats(m)["sync_partial_ok"] == before["sync_partial_ok"] + 1, 30,
               what="partial resync")
    m.set("after", "1")
    wait_synced(master, replica)
    after = stats(m)
    assert after["sync_full"] == before["sync_full"]
    assert after["sync_partial_err"] == before["sync_partial_err"]
    assert_same_data(m, replica.client())
    assert "Partial resynchronization request from" in master.log()


def test_backlog_overflow_forces_full_sync(start_server, start_replica):
    master = start_server(args=master_args(True, "--repl-backlog-size", "16384"))
    m = master.client()
    load(m, 1000)
    replica = start_replica(master.port)
    wait_synced(master, replica)
    assert info(m, "replication")["repl_backlog_size"] == "16384"
    before = stats(m)
    replica.freeze()
    assert m.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
    wait_until(lambda: info(m, "replication")["connected_slaves"] == "0", what="replica dropped")
    load(m, 2000, prefix="overflow:")  # far more than 16 KiB of stream
    mi = info(m, "replication")
    assert int(mi["repl_backlog_histlen"]) >= 16384  # Redis trims its blocks lazily: it may hold more
    replica.thaw()
    wait_until(lambda: stats(m)["sync_full"] == before["sync_full"] + 1, 30, what="full resync")
    wait_synced(master, replica)
    after = stats(m)
    assert after["sync_partial_ok"] == before["sync_partial_ok"]
    assert after["sync_partial_err"] == before["sync_partial_err"] + 1
    assert_same_data(m, replica.client())


def test_backlog_freed_after_ttl(start_server, start_replica):
    master = start_server(args=master_args(True, "--repl-backlog-ttl", "1"))
    m = master.client()
    replica = start_replica(master.port)
    wait_online(master, replica)
    replid = info(m, "replication")["master_replid"]
    replica.cleanup()
    wait_until(lambda: info(m, "replication")["repl_backlog_active"] == "0", 10, what="backlog freed")
    mi = info(m, "replication")
    assert mi["master_replid"] != replid
    assert mi["master_replid2"] == "0" * 40
    assert "Replication backlog freed after 1 seconds without connected replicas." in master.log()


# ---- WAIT and min-replicas ----------------------------------------------------------

def test_wait(start_server, start_replica):
    master = start_server(args=master_args())
    m = master.client()
    assert m.execute_command("WAIT", 0, 0) == 0
    t0 = time.monotonic()
    assert m.execute_command("WAIT", 1, 100) == 0  # no replica: times out with the count reached
    assert time.monotonic() - t0 >= 0.09
    replica = start_replica(master.port)
    wait_online(master, replica)
    m.set("a", "1")
    assert m.execute_command("WAIT", 1, 5000) == 1
    assert replica.client().get("a") == b"1"
    t0 = time.monotonic()
    assert m.execute_command("WAIT", 2, 300) == 1  # only one replica: timeout, 1 reached
    assert time.monotonic() - t0 >= 0.25

    # A blocked WAIT holds the client's next commands until it is answered.
    with RawClient(master.port) as cl:
        cl.send_raw(b"*3\r\n$4\r\nWAIT\r\n$1\r\n2\r\n$3\r\n500\r\n*3\r\n$3\r\nSET\r\n$4\r\nheld\r\n$1\r\n1\r\n")
        assert m.get("held") is None
        assert cl.read() == 1
        assert cl.read() == "OK"
    assert m.get("held") == b"1"


def test_wait_errors(start_server):
    master = start_server(args=master_args())
    with RawClient(master.port) as cl:
        assert cl.cmd("WAIT", "x", "0") == Err("ERR value is not an integer or out of range")
        assert cl.cmd("WAIT", "0", "-1") == Err("ERR timeout is negative")
        assert cl.cmd("WAIT", "0", "x") == Err("ERR timeout is not an integer or out of range")
        assert cl.cmd("MULTI") == "OK"
        assert cl.cmd("WAIT", "5", "0") == "QUEUED"
        assert cl.cmd("EXEC") == [0]  # inside a transaction WAIT never blocks


def test_min_replicas_to_write(start_server, start_replica):
    master = start_server(args=master_args())
    m = master.client()
    replica = start_replica(master.port)
    wait_online(master, replica)
    m.config_set("min-replicas-to-write", 2)
    with RawClient(master.port) as cl:
        wait_until(lambda: cl.cmd("SET", "x", "1") == Err("NOREPLICAS Not enough good replicas to write."),
                   what="NOREPLICAS")
        assert cl.cmd("GET", "x") is None  # reads are fine
    wait_until(lambda: info(m, "replication").get("min_slaves_good_slaves") == "1", what="good replicas")
    m.config_set("min-replicas-to-write", 1)
    wait_until(lambda: m.set("x", "1"), what="write accepted with 1 good replica")
    m.config_set("min-replicas-to-write", 0)
    assert "min_slaves_good_slaves" not in info(m, "replication")


# ---- REPLCONF / PSYNC / SYNC on the wire ------------------------------------------------

def test_replconf_and_psync_errors(start_server):
    master = start_server(args=master_args())
    with RawClient(master.port) as cl:
        assert cl.cmd("REPLCONF", "listening-port", "7000", "capa", "eof", "capa", "psync2", "capa", "x") == "OK"
        assert cl.cmd("REPLCONF") == "OK"
        assert cl.cmd("REPLCONF", "foo", "bar") == Err("ERR Unrecognized REPLCONF option: foo")
        assert cl.cmd("REPLCONF", "foo") == Err("ERR syntax error")
        assert cl.cmd("REPLCONF", "listening-port", "x") == Err("ERR value is not an integer or out of range")
        assert cl.cmd("REPLCONF", "rdb-only", "2") == Err("ERR value is out of range, value must between 0 and 1")
        assert cl.cmd("REPLCONF", "rdb-filter-only", "xx") == Err("ERR Unsupported rdb-filter-only option: xx")
        assert cl.cmd("REPLCONF", "rdb-filter-only", "") == "OK"
        assert cl.cmd("REPLCONF", "rdb-filter-only", "functions") == "OK"
        assert cl.cmd("REPLCONF", "ip-address", "a" * 300) == Err(
            "ERR REPLCONF ip-address provided by replica instance is too long: 300 bytes")
        # ACK and GETACK are never answered: the next reply is PING's.
        cl.send("REPLCONF", "ACK", "10")
        cl.send("REPLCONF", "GETACK", "*")
        assert cl.cmd("PING") == "PONG"
        assert cl.cmd("MULTI") == "OK"
        assert cl.cmd("PSYNC", "?", "-1") == Err("ERR Command not allowed inside a transaction")
        assert cl.cmd("DISCARD") == "OK"
        assert cl.cmd("PSYNC", "?") == Err("ERR wrong number of arguments for 'psync' command")
        assert cl.cmd("SYNC", "x") == Err("ERR wrong number of arguments for 'sync' command")


def test_psync_by_hand_full_then_continue(start_server):
    """A hand-made replica: +FULLRESYNC and the $EOF: framing, ACK starts the
    stream, then +CONTINUE with the backlog after a reconnect."""
    master = start_server(args=master_args())
    m = master.client()
    m.set("k", "v")
    with RawClient(master.port) as cl:
        assert cl.cmd("REPLCONF", "capa", "eof", "capa", "psync2") == "OK"
        cl.send("PSYNC", "?", "-1")
        parts = cl.read_line().lstrip(b"\n").decode().split()  # "\n" keepalives may come first
        assert parts[0] == "+FULLRESYNC" and len(parts[1]) == 40
        replid, off = parts[1], int(parts[2])
        header = cl.read_line().lstrip(b"\n")
        assert header.startswith(b"$EOF:") and len(header) == 45
        mark = header[5:]
        payload = b""
        while not payload.endswith(mark):
            payload += cl.read_exact(1)
        assert payload.startswith(b"REDIS0010")
        m.set("after", "1")  # held until the first ACK
        assert cl.read_available(0.3) == b""
        cl.send("REPLCONF", "ACK", str(off))
        stream = b""
        deadline = time.monotonic() + 10
        while b"after" not in stream and time.monotonic() < deadline:
            stream += cl.read_available(0.1)
        stream += cl.read_available(0.2)
        assert stream.startswith(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
        assert b"*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n" in stream
        consumed = off + len(stream)
    wait_until(lambda: info(m, "replication")["connected_slaves"] == "0", what="replica gone")
    m.set("later", "2")
    with RawClient(master.port) as cl:
        assert cl.cmd("REPLCONF", "capa", "psync2") == "OK"
        cl.send("PSYNC", replid, str(consumed + 1))
        assert cl.read_line() == f"+CONTINUE {replid}".encode()
        rest = b""
        deadline = time.monotonic() + 10
        while b"later" not in rest and time.monotonic() < deadline:
            rest += cl.read_available(0.1)
        assert b"*3\r\n$3\r\nSET\r\n$5\r\nlater\r\n$1\r\n2\r\n" in rest
        assert b"after" not in rest  # only what the replica did not have
    assert stats(m)["sync_partial_ok"] == 1


@pytest.mark.parametrize("diskless", [False, True], ids=["disk", "diskless"])
def test_redis_cli_rdb(start_server, diskless, tmp_path):
    master = start_server(args=master_args(diskless))
    m = master.client()
    load(m, 1000)
    master.client(db=2).set("in-db-2", "x")
    out = tmp_path / "dump.rdb"
    p = subprocess.run([REDIS_CLI, "-p", str(master.port), "--rdb", str(out)], capture_output=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr.decode() + p.stdout.decode()
    assert out.stat().st_size > 0
    check = subprocess.run([CHECK_RDB, str(out)], capture_output=True, timeout=60)
    text = check.stdout.decode()
    assert check.returncode == 0, text
    assert "RDB looks OK" in text
    assert "1001 keys read" in text
    # rdb-only: the master closes the link after the transfer.
    wait_until(lambda: info(m, "replication")["connected_slaves"] == "0", what="rdb-only replica closed")


def test_redis_cli_replica_shows_the_stream(start_server):
    master = start_server(args=master_args(True, "--repl-ping-replica-period", "1"))
    m = master.client()
    load(m, 100)
    # redis-cli's stdout is a pipe here: line-buffer it, or nothing arrives in time.
    stdbuf = shutil.which("stdbuf")
    cmd = ([stdbuf, "-oL"] if stdbuf else []) + [REDIS_CLI, "-p", str(master.port), "--replica"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []

    def reader():
        for line in proc.stdout:
            lines.append(line.decode(errors="replace").rstrip("\n"))

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        wait_until(lambda: any("SYNC done" in x for x in lines), 20, what="redis-cli SYNC done")
        wait_until(lambda: "state=online" in info(m, "replication").get("slave0", ""), what="online")
        m.set("foo", "bar")
        master.client(db=5).execute_command("INCR", "n")
        try:
            wait_until(lambda: '"SET","foo","bar"' in lines and '"INCR","n"' in lines, 20,
                       what="commands in redis-cli --replica output")
        except AssertionError:
            raise AssertionError(f"redis-cli --replica printed {lines}")
        # The first command of the stream answers redis-cli's own REPLCONF ACK 0
        # (it waits for a reply that never comes) and is not printed: that may be
        # the SELECT 0 in front of SET.  The SELECT before INCR is printed.
        j = lines.index('"INCR","n"')
        assert lines[j - 1] == '"SELECT","5"'
        wait_until(lambda: '"ping"' in lines, 10, what="PING in the stream")
    finally:
        proc.kill()
        proc.wait()
        t.join(5)


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_stalled_full_sync_is_dropped_after_repl_timeout(start_server, diskless):
    """A replica that stops reading its snapshot is disconnected after
    repl-timeout ("Disconnecting timedout replica (full sync)"), so it cannot
    hold the transfer forever.  Redis 7.0 does this for diskless transfers
    only; Keel also for a disk snapshot being sent."""
    if diskless == "no" and IS_REDIS:
        pytest.skip("Redis 7.0 has no stall timeout for disk-based transfers")
    m = start_server(args=["--enable-debug-command", "yes", "--repl-diskless-sync", diskless,
                           "--repl-diskless-sync-delay", "0", "--repl-timeout", "2"])
    mc = m.client()
    # ~40 MB of snapshot: far more than the socket buffers and the output cap.
    mc.execute_command("DEBUG", "POPULATE", "200000", "key", "200")
    with RawClient(m.port) as fake:
        assert fake.cmd("REPLCONF", "capa", "eof", "capa", "psync2") == "OK"
        fake.send_raw(b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
        # Read nothing more: the transfer stalls once the buffers are full.
        wait_until(lambda: mc.info("replication")["connected_slaves"] == 1, 10,
                   what="the fake replica to be listed")
        wait_until(lambda: mc.info("replication")["connected_slaves"] == 0, 20,
                   what="the stalled replica to be dropped")
    assert "Disconnecting timedout replica" in m.log()
