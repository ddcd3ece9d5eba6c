"""Replication between servers of the kind under test, as Redis 7.0 does it.

Every server here is started with --repl-diskless-sync-delay 0 (Redis waits 5 s by
default before a diskless sync) and with repl-diskless-sync set explicitly; replicas
are attached with REPLICAOF 127.0.0.1 <port>.  Datasets are compared key by key
(SCAN + GET + PEXPIRETIME in every db that has keys) and with DEBUG DIGEST (the
digests of two servers of the same kind must match; Keel's use a different hash from
Redis's, which does not matter here).

Validated against Debian's redis-server 7.0.15:
    KEEL_SERVER_BIN=/usr/bin/redis-server python3 -m pytest -q tests/integration/test_replication.py -m ""

FAILOVER tests are in TestFailover.

Facts of Redis 7.0.15 these tests pin down (some are surprising):
  * A master's replid changes when its first replica attaches (the backlog is
    created then).  A fresh replica (a master until REPLICAOF) sends PSYNC with its
    own replid, which the master counts in sync_partial_err, so only deltas of
    sync_full/sync_partial_ok/sync_partial_err are asserted.
  * master_link_down_since_seconds is printed only while the link is not up,
    between slave_repl_offset and slave_priority; master_last_io_seconds_ago is -1
    while down.  ROLE on a replica gives the link state as connect, connecting,
    handshake, sync or connected.
  * ROLE on a master lists replicas as [ip, port, offset] with all three as bulk
    strings; on a replica ROLE is [b"slave", host, port (int), state, offset (int)].
  * With replica-serve-stale-data no and the link down, PING and DBSIZE get
    -MASTERDOWN too, while INFO, ROLE, CONFIG and ECHO are served; a write gets
    -READONLY (that check comes first).
  * REPLICAOF to the current master answers "+OK Already connected to specified
    master"; a bad port (not a number, negative, > 65535) is "ERR Invalid master port".
  * min_slaves_good_slaves appears in INFO replication (after connected_slaves) only
    when min-replicas-to-write is set; a write inside MULTI is refused with
    -NOREPLICAS at queue time and EXEC then answers -EXECABORT.
  * SET EX/PX, SETEX, EXPIRE, GETEX ... reach the replica as absolute times, so
    PEXPIRETIME is equal on both sides even when the replica applies them later
    (tests stop a replica with SIGSTOP; it is always SIGCONTed at teardown).
  * A replica never expires keys itself: a logically expired key reads as missing
    (GET nil, EXISTS 0) but DBSIZE still counts it until the master's DEL arrives.
  * FAILOVER argument errors come before the "requires connected replicas" check;
    FORCE without both TO and TIMEOUT is refused.
"""
import os
import random
import re
import signal
import threading
import time

import pytest

from conftest import free_port, wait_until
from util import ConnectionClosed, Err, RawClient, parse_info

HEX40 = re.compile(r"[0-9a-f]{40}\Z")
ZERO_ID = "0" * 40
READONLY = Err("READONLY You can't write against a read only replica.")
MASTERDOWN = Err("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
NOREPLICAS = Err("NOREPLICAS Not enough good replicas to write.")
SLAVE_LINE = re.compile(r"ip=([^,]+),port=(\d+),state=([a-z_]+),offset=(\d+),lag=(\d+)\Z")

MASTER_FIELDS = ["role", "connected_slaves", "slave0", "master_failover_state", "master_replid",
                 "master_replid2", "master_repl_offset", "second_repl_offset", "repl_backlog_active",
                 "repl_backlog_size", "repl_backlog_first_byte_offset", "repl_backlog_histlen"]
REPLICA_FIELDS = ["role", "master_host", "master_port", "master_link_status",
                  "master_last_io_seconds_ago", "master_sync_in_progress", "slave_read_repl_offset",
                  "slave_repl_offset", "slave_priority", "slave_read_only", "replica_announced",
                  "connected_slaves", "master_failover_state", "master_replid", "master_replid2",
                  "master_repl_offset", "second_repl_offset", "repl_backlog_active",
                  "repl_backlog_size", "repl_backlog_first_byte_offset", "repl_backlog_histlen"]


# --- harness ------------------------------------------------------------------

class Node:
    """A started server plus a raw client to it (self.c, used by the test thread only)."""

    def __init__(self, srv, password=None):
        self.srv = srv
        self.port = srv.port
        self.password = password
        self.clients = []
        self.paused = False
        self.c = self.connect()

    def connect(self, timeout=10.0):
        cl = RawClient(self.port, timeout=timeout)
        self.clients.append(cl)
        if self.password:
            assert cl.cmd("AUTH", self.password) == "OK"
        return cl

    def cmd(self, *args):
        return self.c.cmd(*args)

    def info(self, section="replication"):
        return parse_info(self.c.cmd("INFO", section))

    def stats(self):
        i = self.info("stats")
        return {k: int(i[k]) for k in ("sync_full", "sync_partial_ok", "sync_partial_err")}

    def role(self):
        return self.c.cmd("ROLE")

    def pause(self):
        """SIGSTOP the process (its sockets stay open; the kernel keeps accepting)."""
        os.kill(self.srv.proc.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.paused:
            os.kill(self.srv.proc.pid, signal.SIGCONT)
            self.paused = False

    def close(self):
        for cl in self.clients:
            cl.close()


class Writer(threading.Thread):
    """Pipelined string writes (SET/INCR/APPEND/DEL/EXPIRE/MSET, SELECT between dbs)
    until stopped; rate-limited so a backlog of a few MB is never outrun."""

    def __init__(self, node, dbs=(0,), batch=12, seed=1):
        super().__init__(daemon=True)
        self.port, self.password = node.port, node.password
        self.dbs, self.batch = dbs, batch
        self.rnd = random.Random(seed)
        self.stop_flag = threading.Event()
        self.done = 0
        self.error = None

    def run(self):
        cl = None
        try:
            cl = RawClient(self.port, timeout=30)
            if self.password:
                assert cl.cmd("AUTH", self.password) == "OK"
            rnd, i = self.rnd, 0
            while not self.stop_flag.is_set():
                cmds = []
                for _ in range(self.batch):
                    i += 1
                    cmds.append(("SELECT", self.dbs[i % len(self.dbs)]))
                    k = f"w:{rnd.randrange(3000)}"
                    op = i % 6
                    if op == 0:
                        cmds.append(("SET", k, "v%d-" % i + "x" * rnd.randrange(40)))
                    elif op == 1:
                        cmds.append(("INCR", "w:counter"))
                    elif op == 2:
                        cmds.append(("APPEND", k, "a"))
                    elif op == 3:
                        cmds.append(("DEL", k))
                    elif op == 4:
                        cmds.append(("SET", k, "t%d" % i, "EX", 1000 + rnd.randrange(1000)))
                    else:
                        cmds.append(("MSET", k, "m%d" % i, f"w:{rnd.randrange(3000)}", "n%d" % i))
                for reply in cl.pipeline(cmds):
                    assert not isinstance(reply, Err), reply
                self.done += len(cmds)
                time.sleep(0.001)
        except Exception as e:  # noqa: BLE001 - reported by stop()
            self.error = e
        finally:
            if cl:
                cl.close()

    def wait_progress(self, n):
        target = self.done + n
        wait_until(lambda: self.error or self.done >= target, 15, what=f"{n} more writes")
        assert self.error is None, self.error

    def stop(self):
        self.stop_flag.set()
        self.join(20)
        assert not self.is_alive(), "writer did not stop"
        assert self.error is None, f"writer failed: {self.error!r}"


class IncrLoad(threading.Thread):
    """INCR <key> in a loop on one connection, recording every acknowledged result.
    Stops by itself on READONLY (the server was demoted) or a dropped connection."""

    def __init__(self, node, key="ctr"):
        super().__init__(daemon=True)
        self.port, self.key = node.port, key
        self.stop_flag = threading.Event()
        self.acked = []
        self.errors = []

    def run(self):
        try:
            cl = RawClient(self.port, timeout=30)
        except OSError as e:
            self.errors.append(repr(e))
            return
        try:
            while not self.stop_flag.is_set():
                try:
                    reply = cl.cmd("INCR", self.key)
                except (OSError, ConnectionClosed) as e:
                    self.errors.append(repr(e))
                    return
                if isinstance(reply, Err):
                    self.errors.append(reply)
                    if reply.startswith("READONLY"):
                        return
                    time.sleep(0.005)
                else:
                    self.acked.append(reply)
        finally:
            cl.close()

    def wait_acked(self, n):
        target = len(self.acked) + n
        wait_until(lambda: len(self.acked) >= target, 15, what=f"{n} more acknowledged INCRs")

    def stop(self):
        self.stop_flag.set()
        self.join(40)
        assert not self.is_alive(), "INCR load did not stop"

    def check_none_lost(self, final):
        """Every acknowledged INCR result is <= the final counter; results came in order."""
        assert self.acked, "the load acknowledged nothing"
        assert self.acked == list(range(1, len(self.acked) + 1)), "INCR results not sequential"
        assert max(self.acked) <= final, f"lost acknowledged writes: acked up to {max(self.acked)}, final {final}"


class Cluster:
    def __init__(self, start_server):
        self.start_server = start_server
        self.nodes = []
        self.threads = []

    def node(self, diskless=True, args=(), config_text=None, password=None, quiet=False):
        """quiet: no PINGs in the stream (repl-ping-replica-period 3600), so that offsets
        read from several servers one after the other cannot move in between."""
        if quiet:
            args = ["--repl-ping-replica-period", "3600", *args]
        srv = self.start_server(
            args=["--repl-diskless-sync-delay", "0", "--repl-diskless-sync", "yes" if diskless else "no",
                  "--enable-debug-command", "yes", *args],
            config_text=config_text, password=password)
        n = Node(srv, password)
        self.nodes.append(n)
        return n

    def writer(self, node, **kw):
        w = Writer(node, **kw)
        self.threads.append(w)
        w.start()
        return w

    def incr_load(self, node, key="ctr"):
        t = IncrLoad(node, key)
        self.threads.append(t)
        t.start()
        return t

    def close(self):
        for t in self.threads:
            t.stop_flag.set()
        for n in self.nodes:
            n.resume()
        for t in self.threads:
            t.join(20)
        for n in self.nodes:
            n.close()


@pytest.fixture
def cluster(start_server):
    cl = Cluster(start_server)
    yield cl
    cl.close()


# --- helpers ------------------------------------------------------------------

def replicate(replica, master, cmd="REPLICAOF"):
    assert replica.cmd(cmd, "127.0.0.1", master.port) == "OK"


def link_up(replica, master):
    i = replica.info()
    return (i.get("role") == "slave" and i.get("master_port") == str(master.port)
            and i.get("master_link_status") == "up")


def wait_link_up(replica, master, timeout=15):
    wait_until(lambda: link_up(replica, master), timeout,
               what=f"replica {replica.port} link up with {master.port}")


def slave_lines(info):
    out = []
    for k, v in info.items():
        if re.fullmatch(r"slave\d+", k):
            m = SLAVE_LINE.match(v)
            assert m, f"{k}:{v}"
            out.append({"ip": m[1], "port": int(m[2]), "state": m[3], "offset": int(m[4]), "lag": int(m[5])})
    return out


def wait_synced(master, *replicas, timeout=20):
    """Every replica's link is up and it has processed the master's whole stream
    (slave_repl_offset == the master's master_repl_offset, which works down a chain too)."""

    def synced():
        off = master.info()["master_repl_offset"]
        for r in replicas:
            i = r.info()
            if i.get("master_link_status") != "up" or i.get("slave_repl_offset") != off:
                return False
        return master.info()["master_repl_offset"] == off

    wait_until(synced, timeout, what=f"replicas {[r.port for r in replicas]} caught up with {master.port}")


def wait_acked(master, n_replicas, timeout=15):
    """The master has an online entry for n replicas, each ACKed up to its offset."""

    def acked():
        i = master.info()
        lines = slave_lines(i)
        return (len(lines) == n_replicas and all(s["state"] == "online" for s in lines)
                and all(s["offset"] == int(i["master_repl_offset"]) for s in lines))

    wait_until(acked, timeout, what=f"{n_replicas} replicas acked on {master.port}")


def dataset(node):
    """{(db, key): (value, pexpiretime)} for every key in every db with keys."""
    cl = node.connect()
    try:
        dbs = sorted(int(k[2:]) for k in parse_info(cl.cmd("INFO", "keyspace")) if re.fullmatch(r"db\d+", k))
        out = {}
        for db in dbs:
            assert cl.cmd("SELECT", db) == "OK"
            keys, cursor = set(), b"0"
            while True:
                cursor, batch = cl.cmd("SCAN", cursor, "COUNT", 1000)
                keys.update(batch)
                if cursor == b"0":
                    break
            keys = sorted(keys)
            for i in range(0, len(keys), 2000):
                chunk = keys[i:i + 2000]
                replies = cl.pipeline([c for k in chunk for c in (("GET", k), ("PEXPIRETIME", k))])
                for j, k in enumerate(chunk):
                    out[(db, k)] = (replies[2 * j], replies[2 * j + 1])
        return out
    finally:
        cl.close()


def digest(node):
    d = node.cmd("DEBUG", "DIGEST")
    assert isinstance(d, (bytes, str)) and not isinstance(d, Err), d
    return d.decode() if isinstance(d, bytes) else d


def assert_same_data(master, *replicas, min_keys=1):
    want = dataset(master)
    assert len(want) >= min_keys, f"only {len(want)} keys on the master"
    for r in replicas:
        got = dataset(r)
        if got != want:
            diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
            raise AssertionError(f"replica {r.port} differs from {master.port} on {len(diff)} keys, e.g. "
                                 + ", ".join(f"{k}: master {want.get(k)!r} replica {got.get(k)!r}" for k in diff[:5]))
        assert digest(r) == digest(master)
    return want


def preload(node, n, db=0, prefix="pre", ttl_every=0, size=60):
    cl = node.connect()
    try:
        assert cl.cmd("SELECT", db) == "OK"
        for i in range(0, n, 1000):
            args = []
            for j in range(i, min(n, i + 1000)):
                args += [f"{prefix}:{j}", f"{j}:" + "p" * size]
            assert cl.cmd("MSET", *args) == "OK"
        if ttl_every:
            assert cl.pipeline([("EXPIRE", f"{prefix}:{j}", 5000 + j) for j in range(0, n, ttl_every)])[0] == 1
    finally:
        cl.close()


def int_field(info, name):
    v = info[name]
    assert re.fullmatch(r"-?\d+", v), f"{name}:{v}"
    return int(v)


# --- INFO replication / ROLE ----------------------------------------------------

def test_info_and_role_master_and_replica(cluster):
    m = cluster.node(quiet=True)
    i = m.info()
    assert list(i) == [f for f in MASTER_FIELDS if f != "slave0"]
    assert i["role"] == "master" and i["connected_slaves"] == "0"
    assert i["master_failover_state"] == "no-failover"
    assert HEX40.match(i["master_replid"]) and i["master_replid"] != ZERO_ID
    assert i["master_replid2"] == ZERO_ID
    assert i["master_repl_offset"] == "0" and i["second_repl_offset"] == "-1"
    assert (i["repl_backlog_active"], i["repl_backlog_size"], i["repl_backlog_first_byte_offset"],
            i["repl_backlog_histlen"]) == ("0", "1048576", "0", "0")
    assert m.role() == [b"master", 0, []]

    r = cluster.node()
    replicate(r, m)
    wait_link_up(r, m)
    for k in range(20):
        assert m.cmd("SET", f"k{k}", "v") == "OK"
    wait_synced(m, r)
    wait_acked(m, 1)

    mi, ri = m.info(), r.info()
    assert list(mi) == MASTER_FIELDS
    off = int_field(mi, "master_repl_offset")
    assert off > 0
    assert mi["role"] == "master" and mi["connected_slaves"] == "1"
    [s] = slave_lines(mi)
    assert (s["ip"], s["port"], s["state"], s["offset"]) == ("127.0.0.1", r.port, "online", off)
    assert 0 <= s["lag"] <= 10
    assert mi["master_failover_state"] == "no-failover"
    assert HEX40.match(mi["master_replid"]) and mi["master_replid2"] == ZERO_ID
    assert mi["second_repl_offset"] == "-1"
    assert mi["repl_backlog_active"] == "1" and mi["repl_backlog_size"] == "1048576"
    assert mi["repl_backlog_first_byte_offset"] == "1"
    assert int_field(mi, "repl_backlog_histlen") == off  # backlog holds everything since offset 1

    assert list(ri) == REPLICA_FIELDS  # no master_link_down_since_seconds while up
    assert ri["role"] == "slave"
    assert (ri["master_host"], ri["master_port"], ri["master_link_status"]) == ("127.0.0.1", str(m.port), "up")
    assert 0 <= int_field(ri, "master_last_io_seconds_ago") <= 11
    assert ri["master_sync_in_progress"] == "0"
    assert int_field(ri, "slave_read_repl_offset") == int_field(ri, "slave_repl_offset") == off
    assert (ri["slave_priority"], ri["slave_read_only"], ri["replica_announced"]) == ("100", "1", "1")
    assert ri["connected_slaves"] == "0" and ri["master_failover_state"] == "no-failover"
    assert ri["master_replid"] == mi["master_replid"]
    assert ri["master_replid2"] == ZERO_ID and ri["second_repl_offset"] == "-1"
    assert int_field(ri, "master_repl_offset") == off
    assert ri["repl_backlog_active"] == "1"

    assert m.role() == [b"master", off, [[b"127.0.0.1", str(r.port).encode(), str(off).encode()]]]
    assert r.role() == [b"slave", b"127.0.0.1", m.port, b"connected", off]


def test_link_down_fields_stale_data_and_masterdown(cluster):
    m = cluster.node()
    r = cluster.node()
    assert m.cmd("SET", "k", "v") == "OK"
    replicate(r, m)
    wait_synced(m, r)
    m.srv.stop()

    def down():
        i = r.info()
        return i["master_link_status"] == "down" and i
    i = wait_until(down, what="replica notices the master is gone")
    assert "master_link_down_since_seconds" in i
    keys = list(i)
    assert keys.index("master_link_down_since_seconds") == keys.index("slave_repl_offset") + 1
    assert keys.index("slave_priority") == keys.index("master_link_down_since_seconds") + 1
    assert 0 <= int_field(i, "master_link_down_since_seconds") <= 10
    assert i["master_last_io_seconds_ago"] == "-1"
    role = r.role()
    assert role[:3] == [b"slave", b"127.0.0.1", m.port]
    assert role[3] in (b"connect", b"connecting", b"handshake")

    # replica-serve-stale-data yes (the default): the old data is served.
    assert r.cmd("GET", "k") == b"v"
    assert r.cmd("SET", "k", "w") == READONLY
    assert r.cmd("CONFIG", "SET", "replica-serve-stale-data", "no") == "OK"
    assert r.cmd("GET", "k") == MASTERDOWN
    assert r.cmd("DBSIZE") == MASTERDOWN
    assert r.cmd("PING") == MASTERDOWN
    assert r.cmd("SET", "k", "w") == READONLY
    assert r.cmd("ECHO", "x") == b"x"
    assert r.cmd("CONFIG", "GET", "replica-serve-stale-data") == [b"replica-serve-stale-data", b"no"]
    assert r.role()[0] == b"slave"
    assert parse_info(r.cmd("INFO", "replication"))["role"] == "slave"
    # Promoting it ends the MASTERDOWN state.
    assert r.cmd("REPLICAOF", "NO", "ONE") == "OK"
    assert r.cmd("GET", "k") == b"v"
    assert r.cmd("SET", "k", "w") == "OK"


def test_readonly_replica_and_replicaof_errors(cluster):
    m = cluster.node()
    r = cluster.node()
    replicate(r, m)
    wait_link_up(r, m)
    assert r.cmd("SET", "k", "v") == READONLY
    assert r.cmd("INCR", "n") == READONLY
    assert r.cmd("GET", "k") is None
    assert r.cmd("WAIT", "1", "100") == Err(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica "
        "is configured to be writable (which is not the default) writes to replicas are just local and are "
        "not propagated.")
    assert r.cmd("REPLICAOF", "127.0.0.1", m.port) == "OK Already connected to specified master"
    arity = "ERR wrong number of arguments for '%s' command"
    for c in (r, m):
        assert c.cmd("REPLICAOF") == Err(arity % "replicaof")
        assert c.cmd("REPLICAOF", "127.0.0.1") == Err(arity % "replicaof")
        assert c.cmd("REPLICAOF", "a", "b", "c") == Err(arity % "replicaof")
        assert c.cmd("SLAVEOF", "127.0.0.1") == Err(arity % "slaveof")
        for port in ("x", "-1", "99999"):
            assert c.cmd("REPLICAOF", "127.0.0.1", port) == Err("ERR Invalid master port")
        assert c.cmd("SLAVEOF", "127.0.0.1", "x") == Err("ERR Invalid master port")
    # The failed calls changed nothing.
    assert link_up(r, m)
    assert m.role()[0] == b"master"
    assert m.cmd("REPLICAOF", "NO", "ONE") == "OK"  # already a master: a no-op
    assert m.cmd("SET", "k", "v") == "OK"
    wait_synced(m, r)
    assert r.cmd("GET", "k") == b"v"


def test_replicaof_no_one_shifts_replication_ids(cluster):
    m = cluster.node()
    r = cluster.node()
    replicate(r, m)
    for k in range(50):
        assert m.cmd("SET", f"k{k}", k) == "OK"
    wait_synced(m, r)
    before = r.info()
    off = int(before["master_repl_offset"])
    assert r.cmd("REPLICAOF", "NO", "ONE") == "OK"
    after = r.info()
    assert after["role"] == "master"
    assert HEX40.match(after["master_replid"])
    assert after["master_replid"] != before["master_replid"]
    assert after["master_replid2"] == before["master_replid"] == m.info()["master_replid"]
    assert int(after["master_repl_offset"]) == off
    assert int(after["second_repl_offset"]) == off + 1
    assert "master_host" not in after and "slave_priority" not in after
    assert r.role() == [b"master", off, []]
    assert r.cmd("SET", "own", "1") == "OK"  # writable now
    assert r.cmd("GET", "k49") == b"49"


def test_slaveof_alias_and_replicaof_directive(cluster):
    m = cluster.node()
    assert m.cmd("SET", "k", "v") == "OK"
    r1 = cluster.node(config_text=f"replicaof 127.0.0.1 {m.port}\n")
    r2 = cluster.node()
    replicate(r2, m, cmd="SLAVEOF")
    wait_synced(m, r1, r2)
    assert r1.cmd("GET", "k") == b"v" and r2.cmd("GET", "k") == b"v"
    assert r1.cmd("CONFIG", "GET", "replicaof") == [b"replicaof", f"127.0.0.1 {m.port}".encode()]
    wait_acked(m, 2)
    assert sorted(s["port"] for s in slave_lines(m.info())) == sorted([r1.port, r2.port])
    assert r2.cmd("SLAVEOF", "NO", "ONE") == "OK"
    assert r2.role()[0] == b"master"
    assert r2.cmd("SET", "k", "mine") == "OK"
    wait_until(lambda: m.info()["connected_slaves"] == "1", what="master drops the promoted replica")


def test_masterauth_against_requirepass(cluster):
    m = cluster.node(args=["--requirepass", "s3cret"], password="s3cret")
    assert m.cmd("SET", "k", "v") == "OK"
    r = cluster.node()
    base = int(m.info("stats")["total_connections_received"])
    replicate(r, m)
    # Let the replica try (and fail) at least twice, then check it got nowhere.
    wait_until(lambda: int(m.info("stats")["total_connections_received"]) >= base + 2,
               what="two replica connection attempts")
    assert r.info()["master_link_status"] == "down"
    assert m.info()["connected_slaves"] == "0"
    assert r.cmd("CONFIG", "SET", "masterauth", "s3cret") == "OK"
    wait_synced(m, r)
    assert r.cmd("GET", "k") == b"v"
    # A replica configured with masterauth at start-up links at once.
    r2 = cluster.node(args=["--masterauth", "s3cret", "--replicaof", "127.0.0.1", m.port])
    wait_synced(m, r2)
    assert r2.cmd("GET", "k") == b"v"


def test_replica_priority_and_announce(cluster):
    m = cluster.node()
    r1 = cluster.node(args=["--replica-priority", "42", "--replica-announce-ip", "10.11.12.13",
                            "--replica-announce-port", "7777"])
    r2 = cluster.node(args=["--replica-priority", "0", "--replica-announced", "no"])
    replicate(r1, m)
    replicate(r2, m)
    wait_synced(m, r1, r2)
    wait_acked(m, 2)
    lines = {(s["ip"], s["port"]) for s in slave_lines(m.info())}
    assert lines == {("10.11.12.13", 7777), ("127.0.0.1", r2.port)}
    listed = {(e[0], e[1]) for e in m.role()[2]}
    assert listed == {(b"10.11.12.13", b"7777"), (b"127.0.0.1", str(r2.port).encode())}
    i1, i2 = r1.info(), r2.info()
    assert (i1["slave_priority"], i1["replica_announced"]) == ("42", "1")
    assert (i2["slave_priority"], i2["replica_announced"]) == ("0", "0")
    assert r1.cmd("CONFIG", "SET", "replica-priority", "7") == "OK"
    assert r1.info()["slave_priority"] == "7"


# --- resynchronisation ----------------------------------------------------------

@pytest.mark.parametrize("side", ["replica", "master"])
def test_partial_resync_after_link_drop_under_writes(cluster, side):
    """The link is cut while writes go on (CLIENT KILL TYPE master on the replica, or
    CLIENT KILL TYPE replica on the master); the replica comes back with PSYNC and
    continues (sync_partial_ok +1, no full sync)."""
    m = cluster.node(args=["--repl-backlog-size", "64mb"])
    r = cluster.node()
    preload(m, 2000)
    replicate(r, m)
    wait_synced(m, r)
    replid = m.info()["master_replid"]
    base = m.stats()
    w = cluster.writer(m, dbs=(0, 3))
    w.wait_progress(300)
    if side == "replica":
        assert r.cmd("CLIENT", "KILL", "TYPE", "master") == 1
    else:
        assert m.cmd("CLIENT", "KILL", "TYPE", "replica") == 1
    wait_until(lambda: m.stats()["sync_partial_ok"] == base["sync_partial_ok"] + 1, 15,
               what="partial resync")
    wait_link_up(r, m)
    w.wait_progress(300)
    w.stop()
    wait_synced(m, r)
    st = m.stats()
    assert st["sync_full"] == base["sync_full"], "a full sync happened"
    assert st["sync_partial_err"] == base["sync_partial_err"]
    assert m.info()["master_replid"] == r.info()["master_replid"] == replid
    assert_same_data(m, r, min_keys=2000)


@pytest.mark.parametrize("missed,expect", [(20, "partial"), (120, "full")])
def test_resync_after_disconnect_depends_on_backlog(cluster, missed, expect):
    """The replica is stopped, its link cut on the master, and `missed` 1 KB writes are
    made: within the 16 KB backlog the replica resumes with PSYNC; beyond it the
    master answers with a full sync (sync_partial_err +1, sync_full +1)."""
    m = cluster.node(args=["--repl-backlog-size", "16384"])
    r = cluster.node()
    preload(m, 500)
    replicate(r, m)
    wait_synced(m, r)
    assert m.info()["repl_backlog_size"] == "16384"
    base = m.stats()
    r.pause()
    assert m.cmd("CLIENT", "KILL", "TYPE", "replica") == 1
    for k in range(missed):
        assert m.cmd("SET", f"missed:{k}", "m" * 1000) == "OK"
    r.resume()
    field = "sync_partial_ok" if expect == "partial" else "sync_full"
    wait_until(lambda: m.stats()[field] == base[field] + 1, 15, what=f"{expect} resync")
    wait_synced(m, r)
    st = m.stats()
    if expect == "partial":
        assert (st["sync_full"], st["sync_partial_err"]) == (base["sync_full"], base["sync_partial_err"])
    else:
        assert st["sync_partial_err"] == base["sync_partial_err"] + 1
        assert st["sync_partial_ok"] == base["sync_partial_ok"]
    assert_same_data(m, r, min_keys=500 + missed)


def test_promoted_replica_keeps_siblings_and_old_master_on_partial_resync(cluster):
    m = cluster.node(quiet=True)
    a = cluster.node()
    b = cluster.node()
    preload(m, 1000, ttl_every=10)
    replicate(a, m)
    replicate(b, m)
    for k in range(100):
        assert m.cmd("INCR", "n") == k + 1
    wait_synced(m, a, b)
    old_id = m.info()["master_replid"]
    off = int(m.info()["master_repl_offset"])

    assert a.cmd("REPLICAOF", "NO", "ONE") == "OK"
    ai = a.info()
    assert ai["master_replid2"] == old_id and int(ai["second_repl_offset"]) == off + 1
    new_id = ai["master_replid"]
    assert new_id != old_id
    base = a.stats()
    assert base["sync_full"] == 0

    replicate(b, a)  # the sibling
    wait_synced(a, b)
    assert a.stats()["sync_partial_ok"] == base["sync_partial_ok"] + 1
    replicate(m, a)  # the old master (it had written nothing since)
    wait_synced(a, b, m)
    st = a.stats()
    assert st["sync_partial_ok"] == base["sync_partial_ok"] + 2
    assert st["sync_full"] == 0, "a full sync happened"
    for n in (b, m):
        i = n.info()
        assert i["master_replid"] == new_id and i["master_replid2"] == old_id
    assert m.cmd("SET", "x", "1") == READONLY
    assert a.cmd("INCR", "n") == 101
    assert a.cmd("SET", "after", "promotion") == "OK"
    wait_synced(a, b, m)
    assert b.cmd("GET", "n") == m.cmd("GET", "n") == b"101"
    assert_same_data(a, b, m, min_keys=1002)


def test_chained_replicas(cluster):
    m = cluster.node(quiet=True)
    a = cluster.node()
    b = cluster.node()
    preload(m, 3000, ttl_every=7)
    replicate(b, a)  # b hangs off a before a follows m: a's full sync must reach b too
    w = cluster.writer(m, dbs=(0, 2))
    replicate(a, m)
    wait_link_up(a, m)
    wait_link_up(b, a)
    w.wait_progress(500)
    w.stop()
    wait_synced(m, a, b)
    mi, ai, bi = m.info(), a.info(), b.info()
    assert ai["role"] == "slave" and ai["connected_slaves"] == "1"
    [s] = slave_lines(ai)
    assert (s["ip"], s["port"]) == ("127.0.0.1", b.port)
    assert bi["master_port"] == str(a.port)
    assert mi["connected_slaves"] == "1"
    assert ai["master_replid"] == bi["master_replid"] == mi["master_replid"]
    assert ai["master_repl_offset"] == bi["master_repl_offset"] == mi["master_repl_offset"]
    assert b.cmd("SET", "x", "1") == READONLY
    assert_same_data(m, a, b, min_keys=3000)
    assert m.cmd("SET", "late", "write") == "OK"
    wait_synced(m, a, b)
    assert b.cmd("GET", "late") == b"write"


@pytest.mark.parametrize("diskless", [True, False], ids=["diskless", "disk"])
def test_full_sync_under_writes(cluster, diskless):
    m = cluster.node(diskless=diskless, quiet=True)
    preload(m, 40000, ttl_every=5, size=100)
    preload(m, 5000, db=5, prefix="five")
    w = cluster.writer(m, dbs=(0, 5, 9))
    w.wait_progress(200)
    r = cluster.node(diskless=diskless)
    base = m.stats()
    replicate(r, m)
    wait_link_up(r, m)
    w.wait_progress(1000)
    w.stop()
    wait_synced(m, r)
    assert m.stats()["sync_full"] == base["sync_full"] + 1
    i = r.info()
    assert i["master_sync_in_progress"] == "0"
    assert i["slave_read_repl_offset"] == i["slave_repl_offset"] == m.info()["master_repl_offset"]
    data = assert_same_data(m, r, min_keys=45000)
    assert any(db == 9 for db, _ in data)
    if not diskless:
        assert os.path.exists(os.path.join(m.srv.dir, "dump.rdb"))


# --- WAIT / min-replicas ------------------------------------------------------------

def test_wait(cluster):
    m = cluster.node()
    a = cluster.node()
    b = cluster.node()
    replicate(a, m)
    replicate(b, m)
    wait_synced(m, a, b)
    assert m.cmd("SET", "k", "1") == "OK"
    assert m.cmd("WAIT", "2", "5000") == 2
    assert m.cmd("WAIT", "x", "0") == Err("ERR value is not an integer or out of range")
    assert m.cmd("WAIT", "1", "-1") == Err("ERR timeout is negative")
    assert m.cmd("WAIT", "1", "x") == Err("ERR timeout is not an integer or out of range")
    assert m.cmd("WAIT", "1") == Err("ERR wrong number of arguments for 'wait' command")
    b.pause()
    assert m.cmd("SET", "k", "2") == "OK"
    t0 = time.monotonic()
    assert m.cmd("WAIT", "2", "300") == 1
    assert time.monotonic() - t0 >= 0.25
    assert m.cmd("WAIT", "1", "5000") == 1
    t0 = time.monotonic()
    assert m.cmd("WAIT", "3", "200") == 1
    assert time.monotonic() - t0 >= 0.15
    b.resume()
    assert m.cmd("WAIT", "2", "5000") == 2
    assert m.cmd("WAIT", "2", "100") == 2  # nothing new to wait for
    assert b.cmd("GET", "k") == b"2"


def test_min_replicas_to_write(cluster):
    m = cluster.node(args=["--min-replicas-to-write", "1", "--min-replicas-max-lag", "1"])
    assert m.cmd("SET", "k", "v") == NOREPLICAS
    assert m.cmd("GET", "k") is None
    i = m.info()
    assert i["min_slaves_good_slaves"] == "0"
    assert list(i).index("min_slaves_good_slaves") == list(i).index("connected_slaves") + 1
    assert m.cmd("MULTI") == "OK"
    assert m.cmd("SET", "k", "v") == NOREPLICAS  # refused at queue time
    assert m.cmd("EXEC") == Err("EXECABORT Transaction discarded because of previous errors.")

    r = cluster.node()
    replicate(r, m)
    wait_until(lambda: m.cmd("SET", "probe", "1") == "OK", what="writes accepted with a good replica")
    wait_until(lambda: m.info()["min_slaves_good_slaves"] == "1", what="min_slaves_good_slaves:1")
    assert m.cmd("SET", "k", "v") == "OK"
    r.pause()
    wait_until(lambda: m.cmd("SET", "probe", "2") == NOREPLICAS, what="writes refused once the replica lags")
    assert m.cmd("SET", "k", "v2") == NOREPLICAS
    assert m.cmd("GET", "k") == b"v"
    assert m.info()["min_slaves_good_slaves"] == "0"
    r.resume()
    wait_until(lambda: m.cmd("SET", "probe", "3") == "OK", what="writes accepted again")
    assert m.cmd("CONFIG", "SET", "min-replicas-to-write", "0") == "OK"
    assert "min_slaves_good_slaves" not in m.info()
    r.pause()
    assert m.cmd("SET", "k", "v4") == "OK"
    r.resume()
    wait_synced(m, r)
    assert r.cmd("GET", "k") == b"v4"


# --- what is propagated ----------------------------------------------------------

def read_fullsync_preamble(cl):
    """After PSYNC ? -1 on a raw connection: consume +FULLRESYNC and the RDB payload."""
    line = cl.read_line()
    assert line.startswith(b"+FULLRESYNC "), line
    _, replid, off = line.decode().split(" ")
    assert HEX40.match(replid) and int(off) >= 0
    while True:  # newlines are keepalives while the RDB is being produced
        line = cl.read_line().lstrip(b"\n")
        if line:
            break
    assert line.startswith(b"$"), line
    if line.startswith(b"$EOF:"):
        mark = line[5:]
        while not cl.buf.endswith(mark):
            cl._fill()
        cl.buf = b""
    else:
        cl.read_exact(int(line[1:]))


def read_stream_until(cl, last_key):
    """Commands from the replication stream up to the one that names last_key,
    without SELECT/PING/REPLCONF."""
    cmds = []
    while True:
        c = cl.read()
        assert isinstance(c, list), c
        name = c[0].upper()
        if name not in (b"SELECT", b"PING", b"REPLCONF"):
            cmds.append(c)
        if last_key in c[1:2]:
            return cmds


def test_multi_exec_propagated_atomically(cluster):
    m = cluster.node(diskless=False)
    fake = m.connect()
    fake.send("PSYNC", "?", "-1")
    read_fullsync_preamble(fake)
    cl = m.c
    assert cl.pipeline([("MULTI",), ("SET", "a", "1"), ("INCR", "b"), ("SET", "c", "3", "PX", "100000"),
                        ("EXEC",)])[-1][:2] == ["OK", 1]
    assert cl.cmd("SET", "marker", "x") == "OK"
    stream = read_stream_until(fake, b"marker")
    names = [c[0].upper() for c in stream]
    assert names[0] == b"MULTI" and names[-2] == b"EXEC", stream
    assert [c[1] for c in stream[1:-2]] == [b"a", b"b", b"c"], stream
    assert stream[-1][:3] == [b"SET", b"marker", b"x"]

    # A reader on a real replica never sees half a transaction.
    r = cluster.node()
    replicate(r, m)
    wait_synced(m, r)
    assert cl.cmd("MSET", "x", "0", "y", "0") == "OK"
    n = 400
    seen = []

    def read_pairs():
        rc = r.connect()
        while True:
            x, y = rc.cmd("MGET", "x", "y")
            seen.append((x, y))
            if x == str(n).encode():
                return

    t = threading.Thread(target=read_pairs, daemon=True)
    t.start()
    w = m.connect()
    for _ in range(0, n, 50):
        w.pipeline([c for _ in range(50) for c in (("MULTI",), ("INCR", "x"), ("INCR", "y"), ("EXEC",))])
    t.join(20)
    assert not t.is_alive()
    assert seen and seen[-1] == (str(n).encode(),) * 2
    torn = [p for p in seen if p[0] != p[1]]
    assert not torn, f"{len(torn)} torn reads, e.g. {torn[:3]}"


def test_ttls_and_incrbyfloat_replicate_exactly(cluster):
    """Relative TTLs reach the replica as absolute times (the replica is stopped
    while the commands run, so a relative TTL re-applied later would differ)."""
    m = cluster.node()
    r = cluster.node()
    replicate(r, m)
    wait_synced(m, r)
    now_s = int(time.time())
    now_ms = int(time.time() * 1000)
    cmds = [
        ("SET", "ex", "v", "EX", 100), ("SET", "px", "v", "PX", 100000),
        ("SET", "exat", "v", "EXAT", now_s + 100), ("SET", "pxat", "v", "PXAT", now_ms + 100000),
        ("SETEX", "setex", 100, "v"), ("PSETEX", "psetex", 100000, "v"),
        ("SET", "expire", "v"), ("EXPIRE", "expire", 100),
        ("SET", "pexpire", "v"), ("PEXPIRE", "pexpire", 100000),
        ("SET", "expireat", "v"), ("EXPIREAT", "expireat", now_s + 100),
        ("SET", "getex", "v"), ("GETEX", "getex", "EX", 100),
        ("SET", "getexpx", "v"), ("GETEX", "getexpx", "PX", 100000),
        ("SET", "keepttl", "v", "EX", 100), ("SET", "keepttl", "w", "KEEPTTL"),
        ("SET", "persist", "v", "EX", 100), ("PERSIST", "persist"),
        ("SET", "getexpersist", "v", "EX", 100), ("GETEX", "getexpersist", "PERSIST"),
        ("SET", "incr", "5", "EX", 100), ("INCR", "incr"),
        ("SET", "gone", "v"), ("EXPIRE", "gone", -1),
        ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f", "0.1"),
        ("INCRBYFLOAT", "f", "1.0e3"), ("INCRBYFLOAT", "g", "3.0e-5"), ("INCRBYFLOAT", "g", "-1.7"),
        ("INCRBYFLOAT", "h", "10.5"), ("INCRBYFLOAT", "h", "0.1"), ("INCRBYFLOAT", "h", "1e-17"),
        ("SET", "fttl", "10.5", "PX", 100000), ("INCRBYFLOAT", "fttl", "0.25"),
    ]
    r.pause()
    try:
        for c in cmds:
            assert not isinstance(m.cmd(*c), Err), c
        time.sleep(0.05)  # not synchronisation: lets the clock move before the replica applies them
    finally:
        r.resume()
    wait_synced(m, r)
    keys = sorted({c[1] for c in cmds})
    for k in keys:
        mv, rv = (m.cmd("GET", k), m.cmd("PEXPIRETIME", k)), (r.cmd("GET", k), r.cmd("PEXPIRETIME", k))
        assert mv == rv, f"{k}: master {mv} replica {rv}"
    assert m.cmd("PEXPIRETIME", "pxat") == now_ms + 100000
    assert m.cmd("PEXPIRETIME", "persist") == -1 and m.cmd("PEXPIRETIME", "keepttl") > 0
    assert m.cmd("EXISTS", "gone") == 0 and r.cmd("EXISTS", "gone") == 0
    assert m.cmd("PEXPIRETIME", "fttl") > 0
    assert_same_data(m, r, min_keys=len(keys) - 1)


def test_expiry_seen_identically_master_propagates_del(cluster):
    m = cluster.node()
    r = cluster.node()
    replicate(r, m)
    wait_synced(m, r)
    # Lazy expiry: with active expiry off on the master, nothing deletes the key
    # until the master touches it.
    assert m.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
    assert m.cmd("SET", "keep", "v") == "OK"
    assert m.cmd("SET", "k", "v", "PX", 150) == "OK"
    wait_synced(m, r)
    assert r.cmd("DBSIZE") == 2
    wait_until(lambda: r.cmd("GET", "k") is None, what="key logically expired on the replica")
    # The replica hides it but does not delete it (it never expires keys itself).
    assert r.cmd("EXISTS", "k") == 0
    assert r.cmd("TTL", "k") == -2
    assert r.cmd("DBSIZE") == 2
    assert m.cmd("DBSIZE") == 2  # not expired by anyone yet
    assert m.cmd("GET", "k") is None  # lazy expiry on the master: DEL is propagated
    wait_until(lambda: r.cmd("DBSIZE") == 1, what="the master's DEL reaches the replica")
    assert m.cmd("DBSIZE") == 1
    assert m.cmd("EXISTS", "keep") == r.cmd("EXISTS", "keep") == 1

    # Active expiry on the master: the DEL arrives without anyone reading the key.
    assert m.cmd("SET", "k2", "v", "PX", 100) == "OK"
    assert m.cmd("SET", "k3", "v", "PX", 100) == "OK"
    wait_synced(m, r)
    assert r.cmd("DBSIZE") == 3
    wait_until(lambda: r.cmd("GET", "k2") is None and r.cmd("GET", "k3") is None,
               what="keys logically expired on the replica")
    assert r.cmd("DBSIZE") == 3
    assert m.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1") == "OK"
    wait_until(lambda: r.cmd("DBSIZE") == 1, what="actively expired keys deleted on the replica")
    assert int(parse_info(m.cmd("INFO", "stats"))["expired_keys"]) == 3
    assert r.cmd("GET", "k2") is None and r.cmd("GET", "keep") == b"v"
    assert_same_data(m, r)


# --- FAILOVER ------------------------------------------------------------------------

def wait_roles_swapped(old, new):
    """new is a master, old a connected replica of it, and neither is mid-failover."""

    def swapped():
        ni, oi = new.info(), old.info()
        return (ni["role"] == "master" and ni["master_failover_state"] == "no-failover"
                and oi["role"] == "slave" and oi["master_port"] == str(new.port)
                and oi["master_link_status"] == "up" and oi["master_failover_state"] == "no-failover")

    wait_until(swapped, 20, what=f"{new.port} master and {old.port} its replica")
    assert new.role()[0] == b"master"
    assert old.role()[:4] == [b"slave", b"127.0.0.1", new.port, b"connected"]


def failover_state(node):
    return node.info()["master_failover_state"]


class TestFailover:
    def test_errors(self, cluster):
        m = cluster.node()
        assert m.cmd("FAILOVER") == Err("ERR FAILOVER requires connected replicas.")
        assert m.cmd("FAILOVER", "TO", "127.0.0.1", free_port()) == Err("ERR FAILOVER requires connected replicas.")
        assert m.cmd("FAILOVER", "TIMEOUT", "0") == Err("ERR FAILOVER timeout must be greater than 0")
        assert m.cmd("FAILOVER", "TIMEOUT", "-5") == Err("ERR FAILOVER timeout must be greater than 0")
        assert m.cmd("FAILOVER", "ABORT") == Err("ERR No failover in progress.")
        r = cluster.node()
        replicate(r, m)
        wait_synced(m, r)
        wait_acked(m, 1)
        force = Err("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
        assert m.cmd("FAILOVER", "FORCE") == force
        assert m.cmd("FAILOVER", "FORCE", "TIMEOUT", "100") == force
        assert m.cmd("FAILOVER", "TO", "127.0.0.1", r.port, "FORCE") == force
        assert m.cmd("FAILOVER", "TO", "127.0.0.1", free_port()) == Err(
            "ERR FAILOVER target HOST and PORT is not a replica.")
        assert m.cmd("FAILOVER", "TO", "10.9.9.9", r.port) == Err(
            "ERR FAILOVER target HOST and PORT is not a replica.")
        assert m.cmd("FAILOVER", "TO", "127.0.0.1") == Err("ERR syntax error")
        assert m.cmd("FAILOVER", "BOGUS") == Err("ERR syntax error")
        assert m.cmd("FAILOVER", "TIMEOUT", "x") == Err("ERR value is not an integer or out of range")
        assert m.cmd("FAILOVER", "TO", "127.0.0.1", "x") == Err("ERR value is not an integer or out of range")
        assert r.cmd("FAILOVER") == Err("ERR FAILOVER is not valid when server is a replica.")
        assert failover_state(m) == "no-failover" and m.role()[0] == b"master"

    def test_plain_failover_under_load_loses_no_acked_writes(self, cluster):
        m = cluster.node()
        r = cluster.node()
        replicate(r, m)
        wait_synced(m, r)
        wait_acked(m, 1)
        old_id = m.info()["master_replid"]
        load = cluster.incr_load(m)
        load.wait_acked(300)
        assert m.cmd("FAILOVER") == "OK"
        wait_roles_swapped(m, r)
        load.stop()
        assert all(e.startswith("READONLY") for e in load.errors if isinstance(e, Err)), load.errors
        final = int(r.cmd("GET", "ctr"))
        load.check_none_lost(final)
        wait_synced(r, m)
        assert m.cmd("GET", "ctr") == str(final).encode()
        ri = r.info()
        assert ri["master_replid2"] == old_id
        st = r.stats()
        assert st["sync_full"] == 0 and st["sync_partial_ok"] == 1  # the old master resumed with PSYNC
        assert r.cmd("INCR", "ctr") == final + 1
        assert m.cmd("INCR", "ctr") == READONLY
        assert_same_data(r, m)

    def test_failover_to_target_under_load(self, cluster):
        m = cluster.node()
        a = cluster.node()
        b = cluster.node()
        replicate(a, m)
        replicate(b, m)
        wait_synced(m, a, b)
        wait_acked(m, 2)
        load = cluster.incr_load(m)
        load.wait_acked(300)
        assert m.cmd("FAILOVER", "TO", "127.0.0.1", b.port) == "OK"
        wait_roles_swapped(m, b)
        load.stop()
        final = int(b.cmd("GET", "ctr"))
        load.check_none_lost(final)
        assert a.role()[0] == b"slave"
        assert b.stats()["sync_full"] == 0
        wait_synced(b, m, a)  # a still follows m, now a replica of b
        assert a.info()["master_port"] == str(m.port)
        assert a.cmd("GET", "ctr") == m.cmd("GET", "ctr") == str(final).encode()
        assert_same_data(b, m, a)

    def test_force_with_timeout_when_target_is_paused(self, cluster):
        m = cluster.node()
        a = cluster.node()
        replicate(a, m)
        for k in range(100):
            assert m.cmd("SET", f"k{k}", k) == "OK"
        wait_synced(m, a)
        wait_acked(m, 1)
        a.pause()
        assert m.cmd("SET", "unseen", "1") == "OK"  # the target cannot ACK this
        assert m.cmd("FAILOVER", "TO", "127.0.0.1", a.port, "FORCE", "TIMEOUT", "1000") == "OK"
        assert failover_state(m) == "waiting-for-sync"
        assert m.cmd("FAILOVER") == Err("ERR FAILOVER already in progress.")
        wait_until(lambda: failover_state(m) == "failover-in-progress", 10,
                   what="forced failover after the timeout")
        a.resume()
        wait_roles_swapped(m, a)
        wait_synced(a, m)
        assert a.cmd("SET", "new", "master") == "OK"
        wait_synced(a, m)
        assert m.cmd("GET", "new") == b"master"
        assert_same_data(a, m, min_keys=100)

    def test_timeout_expiring_returns_to_no_failover(self, cluster):
        m = cluster.node()
        a = cluster.node()
        replicate(a, m)
        wait_synced(m, a)
        wait_acked(m, 1)
        load = cluster.incr_load(m)
        load.wait_acked(100)
        a.pause()
        load.wait_acked(100)  # the target falls behind
        assert m.cmd("FAILOVER", "TIMEOUT", "1000") == "OK"
        assert failover_state(m) == "waiting-for-sync"
        wait_until(lambda: failover_state(m) == "no-failover", 10, what="failover timed out")
        assert m.role()[0] == b"master"
        load.wait_acked(100)  # writes flow again
        a.resume()
        load.stop()
        assert not load.errors, load.errors
        final = int(m.cmd("GET", "ctr"))
        load.check_none_lost(final)
        wait_synced(m, a)
        assert a.role()[:4] == [b"slave", b"127.0.0.1", m.port, b"connected"]
        assert a.cmd("GET", "ctr") == str(final).encode()

    def test_abort(self, cluster):
        m = cluster.node()
        a = cluster.node()
        replicate(a, m)
        wait_synced(m, a)
        wait_acked(m, 1)
        a.pause()
        assert m.cmd("SET", "x", "1") == "OK"
        assert m.cmd("FAILOVER") == "OK"
        assert failover_state(m) == "waiting-for-sync"
        assert m.cmd("FAILOVER", "TO", "127.0.0.1", a.port) == Err("ERR FAILOVER already in progress.")
        # Writes are paused meanwhile; reads are not.
        w = m.connect()
        w.send("SET", "y", "1")
        assert m.cmd("GET", "x") == b"1"
        assert w.read_available(0.2) == b"", "a write was served during the failover"
        assert m.cmd("FAILOVER", "ABORT") == "OK"
        assert w.read() == "OK"
        assert failover_state(m) == "no-failover"
        assert m.cmd("FAILOVER", "ABORT") == Err("ERR No failover in progress.")
        assert m.role()[0] == b"master"
        assert m.cmd("SET", "z", "1") == "OK"
        a.resume()
        wait_synced(m, a)
        assert a.role()[:4] == [b"slave", b"127.0.0.1", m.port, b"connected"]
        assert a.cmd("MGET", "x", "y", "z") == [b"1", b"1", b"1"]


def test_restarted_replica_continues_with_partial_resync(cluster, start_server):
    """A replica's snapshot records its master's replid and offset (repl-id /
    repl-offset AUX fields), so after a restart it continues with PSYNC."""
    m = cluster.node()
    r = cluster.node()
    for i in range(200):
        m.cmd("SET", f"k{i}", f"v{i}")
    replicate(r, m)
    wait_synced(m, r)
    assert r.cmd("SAVE") == "OK"
    before = m.stats()
    port, data_dir = r.srv.port, r.srv.dir
    r.srv.proc.kill()
    r.srv.proc.wait()
    for i in range(200, 300):
        m.cmd("SET", f"k{i}", f"v{i}")
    # Same port and dir: it loads its dump.rdb, then replicates again.
    srv = start_server(port=port, args=["--dir", data_dir, "--replicaof", "127.0.0.1", str(m.srv.port),
                                        "--repl-diskless-sync-delay", "0"])
    r2 = Node(srv)
    cluster.nodes.append(r2)
    wait_synced(m, r2)
    after = m.stats()
    assert after["sync_full"] == before["sync_full"]
    assert after["sync_partial_ok"] == before["sync_partial_ok"] + 1
    assert r2.cmd("DBSIZE") == 300
    assert r2.cmd("GET", "k299") == b"v299"
