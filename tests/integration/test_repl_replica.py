"""The replica side of replication, against Debian's redis-server 7.0 as the master.

The master is a real Redis started here with subprocess on a free port in a
temporary directory (disk-based full sync, and a diskless variant with
repl-diskless-sync-delay 0, which sends the "$EOF:<mark>" framing); the server
under test (Keel, or Redis itself with KEEL_SERVER_BIN=/usr/bin/redis-server,
which is how these tests are validated) is the replica, driven with redis-py.

Covered: full sync of 10k keys with TTLs in several dbs while the master keeps
writing (MULTI/EXEC included), identical data key by key after it, offsets equal
to the master's, WAIT acknowledged; INFO replication and ROLE shapes in every
phase; READONLY; expired keys kept until the master's DEL; a partial resync
after CLIENT KILL TYPE master (the master's sync_partial_ok counter); REPLICAOF
NO ONE (replid2 = the old id, writes accepted); --replicaof at start-up;
masterauth; the link going down when the master dies; with appendonly yes, the
AOF rewritten after a full sync, so a restart from it alone (after SIGKILL)
has the master's data.
"""
import os
import signal
import threading

import pytest
import redis

from conftest import REDIS_BIN, free_port, wait_until


pytestmark = pytest.mark.skipif(not os.access(REDIS_BIN, os.X_OK),
                                reason="Debian's redis-server is not installed")

NKEYS = 10000

# INFO replication fields of a replica, in Redis 7.0's order (genRedisInfoString).
REPLICA_FIELDS = ["role", "master_host", "master_port", "master_link_status", "master_last_io_seconds_ago",
                  "master_sync_in_progress", "slave_read_repl_offset", "slave_repl_offset"]
REPLICA_TAIL = ["slave_priority", "slave_read_only", "replica_announced", "connected_slaves",
                "master_failover_state", "master_replid", "master_replid2", "master_repl_offset",
                "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
                "repl_backlog_first_byte_offset", "repl_backlog_histlen"]


@pytest.fixture
def start_master(start_redis):
    """Debian's redis-server as the master (its password taken from --requirepass)."""

    def start(args=()):
        args = list(map(str, args))
        password = args[args.index("--requirepass") + 1] if "--requirepass" in args else None
        return start_redis(args=["--enable-debug-command", "local", *args], password=password)

    return start


DISK = ["--repl-diskless-sync", "no"]
DISKLESS = ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]


@pytest.fixture(params=["disk", "diskless"])
def master(request, start_master):
    return start_master(DISK if request.param == "disk" else DISKLESS)


# --- helpers -------------------------------------------------------------------

def info_lines(client):
    """INFO replication as an ordered list of (field, value) strings."""
    text = client.execute_command("INFO", "replication")
    if isinstance(text, bytes):
        text = text.decode()
    if isinstance(text, dict):  # redis-py parsed it: keep the raw text instead
        raise AssertionError("expected raw INFO text")
    out = []
    for line in text.split("\r\n"):
        if line and not line.startswith("#"):
            k, _, v = line.partition(":")
            out.append((k, v))
    return out


def info(client):
    return dict(info_lines(client))


def raw(server_or_master):
    """A redis-py client whose INFO replies stay raw text (for field order)."""
    c = server_or_master.client()
    c.set_response_callback("INFO", lambda r, **kw: r)
    return c


def stats(m):
    return m.client().info("stats")


def link_up(replica_client):
    return info(replica_client).get("master_link_status") == "up"


def offsets_equal(master_client, replica_client):
    m = int(info(master_client)["master_repl_offset"])
    r = info(replica_client)
    return r.get("master_link_status") == "up" and int(r["slave_repl_offset"]) == m


def fill(m, n=NKEYS):
    """n string keys over dbs 0, 1 and 9; every 7th with a TTL, every 13th with EXPIREAT."""
    for db in (0, 1, 9):
        c = m.client(db=db)
        p = c.pipeline(transaction=False)
        for i in range(n // 3 + (1 if db == 0 else 0)):
            key = f"key:{db}:{i}"
            if i % 7 == 0:
                p.set(key, f"value-{i}-" + "x" * (i % 50), px=3_600_000 + i)
            else:
                p.set(key, f"value-{i}-" + "y" * (i % 50))
            if i % 13 == 0:
                p.expireat(key, 4_000_000_000 + i)
            if len(p) >= 1000:
                p.execute()
        p.execute()


def dump_db(c):
    """{key: (value, pexpiretime)} of one db, read key by key."""
    out = {}
    for key in c.scan_iter(count=1000):
        out[key] = (c.get(key), c.execute_command("PEXPIRETIME", key))
    return out


def assert_same_data(m, replica, dbs=(0, 1, 2, 9)):
    for db in dbs:
        mc, rc = m.client(db=db), replica.client(db=db)
        assert rc.dbsize() == mc.dbsize(), f"db{db}"
        mine, theirs = dump_db(mc), dump_db(rc)
        assert theirs.keys() == mine.keys(), f"db{db}"
        for k, v in mine.items():
            assert theirs[k] == v, f"db{db} key {k!r}"


class Writer(threading.Thread):
    """Keeps writing to the master (several dbs, a MULTI/EXEC block) until stopped."""

    def __init__(self, m):
        super().__init__(daemon=True)
        self.m = m
        self.stop_event = threading.Event()
        self.count = 0
        self.error = None

    def run(self):
        try:
            c0, c2 = self.m.client(db=0), self.m.client(db=2)
            while not self.stop_event.is_set():
                i = self.count
                c0.set(f"live:{i}", i)
                c0.incr("live:counter")
                c2.set(f"live2:{i}", "v" * (i % 100), px=3_600_000)
                if i % 10 == 0:
                    tx = c0.pipeline(transaction=True)
                    tx.set(f"tx:{i}", i).incr("tx:counter").delete(f"live:{i - 5}")
                    tx.execute()
                self.count += 1
        except Exception as e:  # noqa: BLE001 - reported by stop()
            self.error = e

    def stop(self):
        self.stop_event.set()
        self.join(30)
        assert self.error is None, self.error
        return self.count


def replicate(replica, m):
    """REPLICAOF via redis-py, then wait for the link to be up."""
    r = raw(replica)
    assert r.execute_command("REPLICAOF", "127.0.0.1", m.port) in (b"OK", "OK", True)
    wait_until(lambda: link_up(r), 30, what="master_link_status:up")
    return r


# --- full sync -------------------------------------------------------------------

def test_full_sync_with_writes_during_sync(master, start_server):
    fill(master)
    replica = start_server()
    writer = Writer(master)
    writer.start()
    try:
        r = replicate(replica, master)
        wait_until(lambda: writer.count > 200, 30, what="writes after the sync")
    finally:
        n = writer.stop()
    assert n > 0
    mc = raw(master)
    wait_until(lambda: offsets_equal(mc, r), 30, what="replica offset == master_repl_offset")
    assert_same_data(master, replica)
    assert replica.client().get("live:counter") == master.client().get("live:counter")
    # The master counts one full sync; WAIT sees our acknowledgement.
    assert int(stats(master)["sync_full"]) == 1
    assert mc.execute_command("WAIT", 1, 5000) == 1
    inf = info(r)
    assert inf["master_sync_in_progress"] == "0"
    assert inf["master_replid"] == info(mc)["master_replid"]
    assert inf["slave_read_repl_offset"] == inf["slave_repl_offset"]


def test_replicaof_at_startup(start_master, start_server):
    m = start_master(DISKLESS)
    fill(m, 300)
    replica = start_server(args=["--replicaof", "127.0.0.1", m.port])
    r = raw(replica)
    wait_until(lambda: link_up(r), 30, what="link up")
    mc = raw(m)
    wait_until(lambda: offsets_equal(mc, r), 30, what="offsets equal")
    assert_same_data(m, replica, dbs=(0, 1, 9))


# --- INFO, ROLE, READONLY -----------------------------------------------------------

def test_info_and_role_when_connected(master, start_server):
    master.client().set("a", "1")
    replica = start_server()
    r = replicate(replica, master)
    mc = raw(master)
    wait_until(lambda: offsets_equal(mc, r), 30, what="offsets equal")

    lines = info_lines(r)
    names = [k for k, _ in lines]
    assert names == REPLICA_FIELDS + REPLICA_TAIL, names
    inf = dict(lines)
    assert inf["role"] == "slave"
    assert inf["master_host"] == "127.0.0.1"
    assert inf["master_port"] == str(master.port)
    assert inf["master_link_status"] == "up"
    assert int(inf["master_last_io_seconds_ago"]) >= 0
    assert inf["slave_priority"] == "100"
    assert inf["slave_read_only"] == "1"
    assert inf["replica_announced"] == "1"
    assert inf["master_replid2"] == "0" * 40
    assert inf["second_repl_offset"] == "-1"
    assert inf["repl_backlog_active"] == "1"

    role = r.execute_command("ROLE")
    assert role[0] == b"slave"
    assert role[1] == b"127.0.0.1"
    assert role[2] == master.port
    assert role[3] == b"connected"
    assert isinstance(role[4], int) and role[4] == int(inf["slave_repl_offset"])

    # The master lists us with our listening port (REPLCONF listening-port).
    def listed():
        mi = info(mc)
        return mi.get("connected_slaves") == "1" and f"port={replica.port},state=online" in mi.get("slave0", "")
    wait_until(listed, 10, what="replica listed by the master")
    mrole = mc.execute_command("ROLE")
    assert mrole[0] == b"master"
    assert [x[1] for x in mrole[2]] == [str(replica.port).encode()]


def test_writes_get_readonly(master, start_server):
    replica = start_server()
    r = replicate(replica, master)
    with pytest.raises(redis.ResponseError, match="^You can't write against a read only replica"):
        r.set("k", "v")
    assert r.get("k") is None


def test_info_and_role_while_master_unreachable(start_server):
    replica = start_server()
    r = raw(replica)
    dead = free_port()
    r.execute_command("REPLICAOF", "127.0.0.1", dead)
    lines = info_lines(r)
    names = [k for k, _ in lines]
    assert names == REPLICA_FIELDS + ["master_link_down_since_seconds"] + REPLICA_TAIL, names
    inf = dict(lines)
    assert inf["master_link_status"] == "down"
    assert inf["master_last_io_seconds_ago"] == "-1"
    assert inf["master_sync_in_progress"] == "0"
    assert inf["master_link_down_since_seconds"] == "-1"  # never connected
    role = r.execute_command("ROLE")
    assert role[:3] == [b"slave", b"127.0.0.1", dead]
    assert role[3] in (b"connect", b"connecting")
    assert role[4] == -1


def test_link_down_after_master_dies(start_master, start_server):
    m = start_master(DISKLESS)
    replica = start_server()
    r = replicate(replica, m)
    m.kill()
    wait_until(lambda: info(r)["master_link_status"] == "down", 30, what="link down")
    inf = info(r)
    assert int(inf["master_link_down_since_seconds"]) >= 0
    assert inf["master_last_io_seconds_ago"] == "-1"
    assert r.execute_command("ROLE")[3] in (b"connect", b"connecting")


# --- expiry ----------------------------------------------------------------------------

def test_expired_keys_wait_for_the_masters_del(master, start_server):
    mc = master.client()
    mc.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    replica = start_server()
    r = replicate(replica, master)
    mc.set("stay", "1")
    mc.set("short", "v", px=200)
    wait_until(lambda: r.dbsize() == 2, 10, what="both keys on the replica")
    # Logically expired: the replica answers as if it were gone ...
    wait_until(lambda: r.get("short") is None, 10, what="short expired on the replica")
    assert r.exists("short") == 0
    # ... but deleting it is the master's job: it is still counted.
    assert r.dbsize() == 2
    # A read on the master expires it there, and the DEL reaches the replica.
    assert mc.get("short") is None
    wait_until(lambda: r.dbsize() == 1, 10, what="master's DEL applied")
    assert r.get("stay") == b"1"


# --- partial resync, promotion ---------------------------------------------------------

def test_partial_resync_after_client_kill_type_master(master, start_server):
    fill(master, 600)
    replica = start_server()
    r = replicate(replica, master)
    mc = raw(master)
    wait_until(lambda: offsets_equal(mc, r), 30, what="offsets equal")
    before = stats(master)
    full, partial = int(before["sync_full"]), int(before["sync_partial_ok"])

    kinds = [c["flags"] for c in r.client_list(_type="master")]
    assert kinds == ["M"], kinds
    assert r.execute_command("CLIENT", "KILL", "TYPE", "master") == 1
    wait_until(lambda: int(stats(master)["sync_partial_ok"]) == partial + 1, 30,
               what="sync_partial_ok incremented")
    wait_until(lambda: link_up(r), 30, what="link up again")
    assert int(stats(master)["sync_full"]) == full

    # The stream goes on from where it stopped.
    for i in range(100):
        master.client().set(f"after:{i}", i)
    master.client(db=3).set("other-db", "x")
    wait_until(lambda: offsets_equal(mc, r), 30, what="offsets equal after the partial resync")
    assert_same_data(master, replica, dbs=(0, 1, 3, 9))


def test_replicaof_no_one_promotes(master, start_server):
    master.client().set("before", "1")
    replica = start_server()
    r = replicate(replica, master)
    mc = raw(master)
    wait_until(lambda: offsets_equal(mc, r), 30, what="offsets equal")
    old = info(r)
    old_id, old_off = old["master_replid"], int(old["master_repl_offset"])  # the master may PING meanwhile

    assert r.execute_command("REPLICAOF", "NO", "ONE") in (b"OK", "OK", True)
    inf = info(r)
    assert inf["role"] == "master"
    assert "master_host" not in inf
    assert inf["master_replid2"] == old_id
    assert inf["master_replid"] != old_id
    assert int(inf["master_repl_offset"]) >= old_off
    assert int(inf["second_repl_offset"]) == int(inf["master_repl_offset"]) + 1
    assert r.set("after", "2") is True
    assert r.get("after") == b"2"
    assert r.get("before") == b"1"
    role = r.execute_command("ROLE")
    assert role[0] == b"master" and isinstance(role[1], int) and role[2] == []
    # The old master no longer lists us.
    wait_until(lambda: info(mc)["connected_slaves"] == "0", 10, what="old master lost its replica")


# --- persistence around a full sync -----------------------------------------------------

def persistence(client):
    text = client.execute_command("INFO", "persistence")
    if isinstance(text, bytes):
        text = text.decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def aof_rewritten(client):
    """The AOF is on again, rewritten from the synced dataset (aof_rewrites counts it)."""
    p = persistence(client)
    return (p["aof_enabled"] == "1" and p["aof_rewrite_in_progress"] == "0"
            and p["aof_rewrite_scheduled"] == "0" and p["aof_last_bgrewrite_status"] == "ok"
            and int(p["aof_rewrites"]) >= 1)


def test_aof_replica_full_sync_survives_sigkill(master, start_server):
    """With appendonly yes, a full sync stops the AOF before the load and
    restarts it with a rewrite of the new dataset, so the replica's own AOF
    holds the master's data: after SIGKILL a restart without --replicaof
    loads the AOF alone and has every key (and none of its old ones)."""
    mc = master.client()
    p = mc.pipeline(transaction=False)
    for i in range(1000):
        p.set(f"aofkey:{i}", f"value-{i}")
    p.execute()
    replica = start_server(args=["--appendonly", "yes"])
    rc = replica.client()
    rc.set("stale", "from before the sync")  # in the replica's AOF, gone after the sync
    r = replicate(replica, master)
    wait_until(lambda: offsets_equal(raw(master), r), 30, what="offsets equal")
    assert rc.dbsize() == 1000
    wait_until(lambda: aof_rewritten(r), 30, what="the AOF rewritten after the sync")
    # A write after the sync reaches the new AOF through the stream.
    mc.set("after-sync", "yes")
    wait_until(lambda: rc.get("after-sync") == b"yes", 10, what="the stream applied")
    assert int(stats(master)["sync_full"]) == 1

    replica.stop(signal.SIGKILL)
    again = start_server(args=["--appendonly", "yes", "--dir", replica.dir])
    ac = again.client()
    assert info(raw(again))["role"] == "master"
    assert ac.dbsize() == 1001
    assert ac.get("stale") is None
    assert ac.get("after-sync") == b"yes"
    for i in (0, 1, 499, 999):
        assert ac.get(f"aofkey:{i}") == f"value-{i}".encode()
    assert sorted(ac.keys("aofkey:*")) == sorted(f"aofkey:{i}".encode() for i in range(1000))


# --- authentication -------------------------------------------------------------------

def test_masterauth(start_master, start_server):
    m = start_master(DISKLESS + ["--requirepass", "s3cret"])
    m.client().set("secret-key", "v")
    good = start_server(args=["--masterauth", "s3cret"])
    r = replicate(good, m)
    wait_until(lambda: r.get("secret-key") == b"v", 10, what="data over an authenticated link")

    bad = start_server(args=["--masterauth", "wrong"])
    rb = raw(bad)
    rb.execute_command("REPLICAOF", "127.0.0.1", m.port)
    wait_until(lambda: "Unable to AUTH to MASTER" in bad.log(), 10, what="AUTH failure logged")
    assert info(rb)["master_link_status"] == "down"
