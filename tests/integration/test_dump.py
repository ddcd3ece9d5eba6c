"""DUMP / RESTORE / RESTORE-ASKING as Redis 7.0 behaves, and payload interop
with Debian's redis-server 7.0 (/usr/bin/redis-server) in both directions.

A DUMP payload is <type byte><RDB value><RDB version, 2 bytes LE><CRC64, 8 bytes LE>
(PROTOCOL.md §2.2); the helpers below build and take apart payloads by hand so
that every footer check of RESTORE can be hit on purpose.
"""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from conftest import free_port, wait_until
from util import Err, RawClient, parse_info

REDIS_BIN = "/usr/bin/redis-server"

SYNTAX = Err("ERR syntax error")
NOT_INT = Err("ERR value is not an integer or out of range")
BUSY = Err("BUSYKEY Target key name already exists.")
BAD_TTL = Err("ERR Invalid TTL value, must be >= 0")
BAD_PAYLOAD = Err("ERR DUMP payload version or checksum are wrong")
BAD_FORMAT = Err("ERR Bad data format")
BAD_IDLE = Err("ERR Invalid IDLETIME value, must be >= 0")
BAD_FREQ = Err("ERR Invalid FREQ value, must be >= 0 and <= 255")

LRU_CLOCK_MAX = (1 << 24) - 1


# --- payload helpers ----------------------------------------------------------

def crc64(data, crc=0):
    """Redis's CRC64 (Jones polynomial, reflected): crc64(b"123456789") = 0xe9c6d914c4b8d9ca."""
    poly = 0x95AC9329AC4BC9B5
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (poly if crc & 1 else 0)
    return crc


def make_payload(body, version=10, crc=None):
    """body (type byte + value) + version + CRC64 of everything before the CRC."""
    head = body + struct.pack("<H", version)
    return head + struct.pack("<Q", crc64(head) if crc is None else crc)


def split_payload(p):
    """-> (body, version, crc) of a payload."""
    return p[:-10], struct.unpack("<H", p[-10:-8])[0], struct.unpack("<Q", p[-8:])[0]


def test_crc64_helper_matches_redis_check_value():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA


def now_ms():
    return int(time.time() * 1000)


# Values whose round trip is checked; names say which RDB/object encoding they hit.
STRING_VALUES = {
    "int_small": b"42",
    "int_negative": b"-7",
    "int_32bit_max": b"2147483647",
    "int_64bit": b"12345678901234",        # canonical, but too big for RDB's 32-bit int encoding
    "not_canonical_int": b"007",
    "empty": b"",
    "embstr": b"hello",
    "embstr_44": b"e" * 44,
    "raw_45": bytes(range(45)),
    "raw_binary": bytes(range(256)) + b"\r\n\x00",
    "lzf_100": b"a" * 100,                  # rdbcompression: > 20 bytes and LZF saves space
    "lzf_text": b"the quick brown fox jumps over the lazy dog; " * 40,
    "lzf_large": (b"0123456789abcdef" * 4096) + b"tail",
}


# --- a reference Redis 7.0 -----------------------------------------------------

class RedisRef:
    """Debian's redis-server on a free port in its own temp dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="keel-test-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [REDIS_BIN, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def ping():
            if self.proc.poll() is not None:
                raise AssertionError(f"reference redis-server exited with {self.proc.returncode}")
            cl = RawClient(self.port, timeout=1)
            try:
                return cl.cmd("PING") == "PONG"
            finally:
                cl.close()
        try:
            wait_until(ping, what=f"reference redis-server on port {self.port}")
        except BaseException:
            self.stop()
            raise

    def client(self):
        return RawClient(self.port)

    def stop(self):
        if self.proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
                    s.recv(100)
                self.proc.wait(5)
            except Exception:  # noqa: BLE001 - fall back to signals
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_ref():
    if not os.access(REDIS_BIN, os.X_OK):
        pytest.skip(f"{REDIS_BIN} is not installed")
    ref = RedisRef()
    yield ref
    ref.stop()


@pytest.fixture
def rc(redis_ref):
    """A raw connection to the reference Redis, flushed before the test."""
    cl = redis_ref.client()
    assert cl.cmd("FLUSHALL") == "OK"
    assert cl.cmd("CONFIG", "SET", "rdbcompression", "yes") == "OK"
    yield cl
    cl.close()


# --- DUMP ---------------------------------------------------------------------

def test_dump_missing_key_is_nil(c):
    assert c.cmd("DUMP", "nope") is None
    assert c.cmd("SET", "gone", "v", "PX", "1") == "OK"
    wait_until(lambda: c.cmd("DUMP", "gone") is None, what="expired key to dump as nil")
    assert c.cmd("DUMP") == Err("ERR wrong number of arguments for 'dump' command")
    assert c.cmd("DUMP", "a", "b") == Err("ERR wrong number of arguments for 'dump' command")


def test_dump_payload_layout(c):
    assert c.cmd("SET", "i", "42") == "OK"
    assert c.cmd("SET", "s", "hello") == "OK"
    # 00 = RDB_TYPE_STRING; c0 2a = 8-bit integer encoding of 42; 0a 00 = RDB version 10.
    assert c.cmd("DUMP", "i") == make_payload(b"\x00\xc0\x2a")
    assert c.cmd("DUMP", "s") == make_payload(b"\x00\x05hello")
    body, version, crc = split_payload(c.cmd("DUMP", "s"))
    assert version == 10
    assert crc == crc64(body + b"\x0a\x00")


def test_dump_does_not_carry_the_ttl(c):
    assert c.cmd("SET", "plain", "value") == "OK"
    assert c.cmd("SET", "volatile", "value", "EX", "100") == "OK"
    assert c.cmd("DUMP", "volatile") == c.cmd("DUMP", "plain")
    assert c.cmd("RESTORE", "copy", "0", c.cmd("DUMP", "volatile")) == "OK"
    assert c.cmd("PTTL", "copy") == -1


def test_dump_compression_follows_rdbcompression(c):
    big = b"a" * 100
    assert c.cmd("SET", "k", big) == "OK"
    compressed = c.cmd("DUMP", "k")
    assert compressed[0] == 0 and compressed[1] == 0xC3  # RDB_ENC_LZF
    assert len(compressed) < 40
    assert c.cmd("CONFIG", "SET", "rdbcompression", "no") == "OK"
    plain = c.cmd("DUMP", "k")
    # type + 14-bit length (0x40|0, 100) + 100 bytes + footer
    assert plain == make_payload(b"\x00\x40\x64" + big)
    for name, payload in (("from_lzf", compressed), ("from_plain", plain)):
        assert c.cmd("RESTORE", name, "0", payload) == "OK"
        assert c.cmd("GET", name) == big


# --- RESTORE round trips ------------------------------------------------------

@pytest.mark.parametrize("name", sorted(STRING_VALUES))
def test_string_round_trip(c, name):
    value = STRING_VALUES[name]
    assert c.cmd("SET", "src", value) == "OK"
    payload = c.cmd("DUMP", "src")
    assert c.cmd("RESTORE", "dst", "0", payload) == "OK"
    assert c.cmd("GET", "dst") == value
    assert c.cmd("OBJECT", "ENCODING", "dst") == c.cmd("OBJECT", "ENCODING", "src")
    assert c.cmd("PTTL", "dst") == -1
    assert c.cmd("DUMP", "dst") == payload


def test_restore_replace(c):
    assert c.cmd("SET", "src", "new") == "OK"
    payload = c.cmd("DUMP", "src")
    assert c.cmd("SET", "dst", "old", "EX", "100") == "OK"
    assert c.cmd("RESTORE", "dst", "0", payload) == BUSY
    assert c.cmd("GET", "dst") == b"old"
    assert c.cmd("RESTORE", "dst", "0", payload, "REPLACE") == "OK"
    assert c.cmd("GET", "dst") == b"new"
    assert c.cmd("PTTL", "dst") == -1  # the old key's TTL went with it
    assert c.cmd("RESTORE", "dst", "0", payload, "replace", "REPLACE") == "OK"
    # REPLACE of a missing key just creates it
    assert c.cmd("RESTORE", "fresh", "0", payload, "REPLACE") == "OK"
    assert c.cmd("GET", "fresh") == b"new"


def test_restore_over_a_logically_expired_key(start_server):
    s = start_server(args=["--enable-debug-command", "yes"])
    c = RawClient(s.port)
    try:
        assert c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
        assert c.cmd("SET", "src", "v") == "OK"
        payload = c.cmd("DUMP", "src")
        # An expire time long past, so the test does not depend on how fresh
        # the server's cached clock is.
        assert c.cmd("SET", "k", "old", "PXAT", str(now_ms() - 60_000)) == "OK"
        assert c.cmd("RESTORE", "k", "0", payload) == "OK"  # an expired key is not "busy"
        assert c.cmd("GET", "k") == b"v"
        assert c.cmd("PTTL", "k") == -1
    finally:
        c.close()


def test_restore_relative_ttl(c):
    assert c.cmd("SET", "src", "v") == "OK"
    payload = c.cmd("DUMP", "src")
    assert c.cmd("RESTORE", "k", "5000", payload) == "OK"
    assert 0 < c.cmd("PTTL", "k") <= 5000
    at = c.cmd("PEXPIRETIME", "k")
    assert now_ms() - 1000 < at - 5000 <= now_ms() + 1000
    assert c.cmd("RESTORE", "none", "0", payload) == "OK"
    assert c.cmd("PTTL", "none") == -1


def test_restore_absttl(c):
    assert c.cmd("SET", "src", "v") == "OK"
    payload = c.cmd("DUMP", "src")
    at = now_ms() + 100_000
    assert c.cmd("RESTORE", "k", str(at), payload, "ABSTTL") == "OK"
    assert c.cmd("PEXPIRETIME", "k") == at
    assert c.cmd("RESTORE", "k0", "0", payload, "absttl") == "OK"
    assert c.cmd("PTTL", "k0") == -1


def test_restore_already_expired_creates_nothing(c):
    assert c.cmd("SET", "src", "v") == "OK"
    payload = c.cmd("DUMP", "src")
    past = now_ms() - 10_000
    assert c.cmd("RESTORE", "k", str(past), payload, "ABSTTL") == "OK"
    assert c.cmd("EXISTS", "k") == 0
    assert c.cmd("RESTORE", "k", "1", payload, "ABSTTL") == "OK"
    assert c.cmd("EXISTS", "k") == 0
    # With REPLACE the existing key is deleted.
    assert c.cmd("SET", "old", "x") == "OK"
    assert c.cmd("RESTORE", "old", str(past), payload, "ABSTTL", "REPLACE") == "OK"
    assert c.cmd("EXISTS", "old") == 0
    # Without REPLACE the existing key still makes it BUSYKEY (checked first).
    assert c.cmd("SET", "old", "x") == "OK"
    assert c.cmd("RESTORE", "old", str(past), payload, "ABSTTL") == BUSY
    assert c.cmd("GET", "old") == b"x"


def test_restore_huge_relative_ttl_wraps_into_the_past(c):
    # ttl + now overflows in Redis and lands in the past: reply OK, no key.
    assert c.cmd("SET", "src", "v") == "OK"
    payload = c.cmd("DUMP", "src")
    assert c.cmd("RESTORE", "k", str(2**63 - 1), payload) == "OK"
    assert c.cmd("EXISTS", "k") == 0
    # An absolute time that large is simply far in the future.
    assert c.cmd("RESTORE", "k", str(2**63 - 1), payload, "ABSTTL") == "OK"
    assert c.cmd("PEXPIRETIME", "k") == 2**63 - 1


def test_restore_asking_behaves_as_restore(c):
    assert c.cmd("SET", "src", "v") == "OK"
    payload = c.cmd("DUMP", "src")
    assert c.cmd("RESTORE-ASKING", "k", "0", payload) == "OK"
    assert c.cmd("GET", "k") == b"v"
    assert c.cmd("RESTORE-ASKING", "k", "0", payload) == BUSY
    assert c.cmd("RESTORE-ASKING", "k", "-1", payload, "REPLACE") == BAD_TTL
    assert c.cmd("RESTORE-ASKING", "k", "0", b"xx", "REPLACE") == BAD_PAYLOAD
    assert c.cmd("RESTORE-ASKING", "k", "0") == Err(
        "ERR wrong number of arguments for 'restore-asking' command")


def test_command_info(c):
    def text(items):
        return {x.decode() if isinstance(x, bytes) else x for x in items}

    dump, restore, asking = c.cmd("COMMAND", "INFO", "dump", "restore", "restore-asking")
    assert dump[:2] == [b"dump", 2] and dump[3:6] == [1, 1, 1]
    assert text(dump[2]) == {"readonly"}
    assert text(dump[6]) == {"@keyspace", "@read", "@slow"}
    assert text(dump[7]) == {"nondeterministic_output"}
    for info, name in ((restore, b"restore"), (asking, b"restore-asking")):
        assert info[:2] == [name, -4] and info[3:6] == [1, 1, 1]
        assert text(info[6]) == {"@keyspace", "@write", "@slow", "@dangerous"}
        assert info[7] == []
    assert text(restore[2]) == {"write", "denyoom"}
    assert text(asking[2]) == {"write", "denyoom", "asking"}


# --- RESTORE errors -----------------------------------------------------------

def test_restore_argument_errors(c):
    assert c.cmd("SET", "src", "v") == "OK"
    p = c.cmd("DUMP", "src")
    assert c.cmd("RESTORE", "k", "0") == Err("ERR wrong number of arguments for 'restore' command")
    assert c.cmd("RESTORE", "k", "-1", p) == BAD_TTL
    assert c.cmd("RESTORE", "k", "abc", p) == NOT_INT
    assert c.cmd("RESTORE", "k", "1.5", p) == NOT_INT
    assert c.cmd("RESTORE", "k", "0", p, "NOPE") == SYNTAX
    assert c.cmd("RESTORE", "k", "0", p, "IDLETIME") == SYNTAX
    assert c.cmd("RESTORE", "k", "0", p, "FREQ") == SYNTAX
    assert c.cmd("RESTORE", "k", "0", p, "IDLETIME", "-1") == BAD_IDLE
    assert c.cmd("RESTORE", "k", "0", p, "IDLETIME", "x") == NOT_INT
    assert c.cmd("RESTORE", "k", "0", p, "FREQ", "-1") == BAD_FREQ
    assert c.cmd("RESTORE", "k", "0", p, "FREQ", "256") == BAD_FREQ
    assert c.cmd("RESTORE", "k", "0", p, "FREQ", "x") == NOT_INT
    # IDLETIME and FREQ exclude each other, in either order.
    assert c.cmd("RESTORE", "k", "0", p, "IDLETIME", "1", "FREQ", "1") == SYNTAX
    assert c.cmd("RESTORE", "k", "0", p, "FREQ", "1", "IDLETIME", "1") == SYNTAX
    assert c.cmd("EXISTS", "k") == 0


def test_restore_error_order(c):
    # Redis checks: options, BUSYKEY, TTL, payload footer, payload data.
    assert c.cmd("SET", "src", "v") == "OK"
    p = c.cmd("DUMP", "src")
    assert c.cmd("RESTORE", "src", "-1", b"junk", "NOPE") == SYNTAX
    assert c.cmd("RESTORE", "src", "-1", b"junk", "FREQ", "300") == BAD_FREQ
    assert c.cmd("RESTORE", "src", "-1", b"junk") == BUSY
    assert c.cmd("RESTORE", "src", "-1", b"junk", "REPLACE") == BAD_TTL
    assert c.cmd("RESTORE", "k", "-1", b"junk") == BAD_TTL
    assert c.cmd("RESTORE", "k", "0", b"junk") == BAD_PAYLOAD
    assert c.cmd("RESTORE", "k", "0", make_payload(b"\x08")) == BAD_FORMAT
    assert c.cmd("RESTORE", "src", "0", p, "REPLACE") == "OK"


def test_restore_footer_checks(c):
    good = make_payload(b"\x00\x02hi")
    assert c.cmd("RESTORE", "ok", "0", good) == "OK"
    assert c.cmd("GET", "ok") == b"hi"
    # shorter than the 10-byte footer
    for short in (b"", b"\x00", good[-9:]):
        assert c.cmd("RESTORE", "k", "0", short) == BAD_PAYLOAD
    # a wrong CRC, including an all-zero one (Redis does not treat 0 as "no checksum")
    bad = bytearray(good)
    bad[-1] ^= 1
    assert c.cmd("RESTORE", "k", "0", bytes(bad)) == BAD_PAYLOAD
    assert c.cmd("RESTORE", "k", "0", make_payload(b"\x00\x02hi", crc=0)) == BAD_PAYLOAD
    # a changed body under the old CRC
    assert c.cmd("RESTORE", "k", "0", b"\x00\x02ho" + good[-10:]) == BAD_PAYLOAD
    # RDB versions above 10 are refused even with a right CRC; older ones are fine
    assert c.cmd("RESTORE", "k", "0", make_payload(b"\x00\x02hi", version=11)) == BAD_PAYLOAD
    assert c.cmd("RESTORE", "k", "0", make_payload(b"\x00\x02hi", version=0x100)) == BAD_PAYLOAD
    assert c.cmd("RESTORE", "v9", "0", make_payload(b"\x00\x02hi", version=9)) == "OK"
    assert c.cmd("RESTORE", "v1", "0", make_payload(b"\x00\x02hi", version=1)) == "OK"
    assert c.cmd("EXISTS", "k") == 0


def test_restore_bad_data_format(c):
    cases = {
        "no_value_type_8": b"\x08",
        "no_value_type_20": b"\x14\x00",
        "opcode_not_a_type": b"\xfe\x00",
        "string_length_past_end": b"\x00\x3fab",
        "lzf_garbage": b"\x00\xc3\x05\x05\xff\xff\xff\xff\xff",
        "bad_string_encoding": b"\x00\xc7",
        "module_without_module": b"\x07\x81" + bytes(8),
        "empty_body": b"",
    }
    for name, body in cases.items():
        assert c.cmd("RESTORE", "k", "0", make_payload(body)) == BAD_FORMAT, name
    assert c.cmd("EXISTS", "k") == 0


def test_restore_ignores_bytes_after_the_value(c):
    # RESTORE reads the value from the whole argument and never checks that it
    # was all consumed (rioInitWithBuffer over the payload).
    assert c.cmd("RESTORE", "k", "0", make_payload(b"\x00\x02hiEXTRA")) == "OK"
    assert c.cmd("GET", "k") == b"hi"


# --- IDLETIME / FREQ ----------------------------------------------------------

def test_restore_idletime(c):
    assert c.cmd("SET", "src", "v") == "OK"
    p = c.cmd("DUMP", "src")
    assert c.cmd("RESTORE", "k", "0", p, "IDLETIME", "1000") == "OK"
    assert 1000 <= c.cmd("OBJECT", "IDLETIME", "k") <= 1002
    assert c.cmd("RESTORE", "z", "0", p, "idletime", "0") == "OK"
    assert c.cmd("OBJECT", "IDLETIME", "z") <= 2
    assert c.cmd("RESTORE", "plain", "0", p) == "OK"
    assert c.cmd("OBJECT", "IDLETIME", "plain") <= 2
    # More idle than the 24-bit LRU clock (seconds) can express: 7.0 adds
    # LRU_CLOCK_MAX once to the negative access time, so IDLETIME LRU_CLOCK_MAX + 10
    # reads back as 10 (true whenever the clock itself is past 10).
    assert c.cmd("RESTORE", "wrapped", "0", p, "IDLETIME", str(LRU_CLOCK_MAX + 10)) == "OK"
    assert 10 <= c.cmd("OBJECT", "IDLETIME", "wrapped") <= 12
    assert c.cmd("RESTORE", "huge", "0", p, "IDLETIME", str(2**63 - 1)) == "OK"
    assert 0 <= c.cmd("OBJECT", "IDLETIME", "huge") <= 2 * LRU_CLOCK_MAX
    # FREQ is accepted and ignored under an LRU policy.
    assert c.cmd("RESTORE", "f", "0", p, "FREQ", "200") == "OK"
    assert c.cmd("OBJECT", "IDLETIME", "f") <= 2


def test_restore_idletime_with_replace_and_ttl(c):
    assert c.cmd("SET", "k", "old") == "OK"
    assert c.cmd("SET", "src", "v") == "OK"
    p = c.cmd("DUMP", "src")
    assert c.cmd("RESTORE", "k", "100000", p, "REPLACE", "IDLETIME", "500") == "OK"
    assert 500 <= c.cmd("OBJECT", "IDLETIME", "k") <= 502
    assert 0 < c.cmd("PTTL", "k") <= 100000


def test_restore_freq_under_lfu(start_server):
    # lfu-decay-time 0: no decay if a minute boundary passes mid-test
    s = start_server(args=["--maxmemory-policy", "allkeys-lfu", "--lfu-decay-time", "0"])
    c = RawClient(s.port)
    try:
        assert c.cmd("SET", "src", "v") == "OK"
        p = c.cmd("DUMP", "src")
        for freq in (0, 1, 100, 255):
            assert c.cmd("RESTORE", f"k{freq}", "0", p, "FREQ", str(freq)) == "OK"
            assert c.cmd("OBJECT", "FREQ", f"k{freq}") == freq
        assert c.cmd("RESTORE", "plain", "0", p) == "OK"
        assert c.cmd("OBJECT", "FREQ", "plain") == 5  # LFU_INIT_VAL
        # IDLETIME is accepted and ignored under LFU.
        assert c.cmd("RESTORE", "idle", "0", p, "IDLETIME", "1000") == "OK"
        assert c.cmd("OBJECT", "FREQ", "idle") == 5
        assert c.cmd("RESTORE", "k100", "0", p, "REPLACE", "FREQ", "42") == "OK"
        assert c.cmd("OBJECT", "FREQ", "k100") == 42
        assert c.cmd("RESTORE", "x", "0", p, "FREQ", "256") == BAD_FREQ
    finally:
        c.close()


# --- notifications and stats --------------------------------------------------

def test_restore_notifications(c, clients):
    sub = clients()
    assert c.cmd("CONFIG", "SET", "notify-keyspace-events", "Eg") == "OK"
    assert sub.cmd("PSUBSCRIBE", "__keyevent@0__:*") == [b"psubscribe", b"__keyevent@0__:*", 1]
    assert c.cmd("SET", "src", "v") == "OK"
    p = c.cmd("DUMP", "src")
    assert c.cmd("RESTORE", "k", "0", p) == "OK"
    assert sub.read() == [b"pmessage", b"__keyevent@0__:*", b"__keyevent@0__:restore", b"k"]
    assert c.cmd("RESTORE", "k", "0", p, "REPLACE") == "OK"
    assert sub.read() == [b"pmessage", b"__keyevent@0__:*", b"__keyevent@0__:restore", b"k"]
    # Already expired with REPLACE: the old key is deleted, announced as del.
    assert c.cmd("RESTORE", "k", "1", p, "ABSTTL", "REPLACE") == "OK"
    assert sub.read() == [b"pmessage", b"__keyevent@0__:*", b"__keyevent@0__:del", b"k"]
    # Failed and no-op RESTOREs announce nothing.
    assert c.cmd("RESTORE", "src", "0", p) == BUSY
    assert c.cmd("RESTORE", "nope", "1", p, "ABSTTL") == "OK"
    assert c.cmd("RESTORE", "k2", "0", p) == "OK"
    assert sub.read() == [b"pmessage", b"__keyevent@0__:*", b"__keyevent@0__:restore", b"k2"]


def test_restore_dirty_counter(c):
    assert c.cmd("SET", "src", "v") == "OK"
    p = c.cmd("DUMP", "src")

    def dirty():
        return int(parse_info(c.cmd("INFO", "persistence"))["rdb_changes_since_last_save"])

    d0 = dirty()
    assert c.cmd("RESTORE", "k", "0", p) == "OK"
    assert dirty() == d0 + 1
    assert c.cmd("RESTORE", "k", "0", p) == BUSY
    assert c.cmd("RESTORE", "nope", "1", p, "ABSTTL") == "OK"
    assert dirty() == d0 + 1
    assert c.cmd("RESTORE", "k", "1", p, "ABSTTL", "REPLACE") == "OK"
    assert dirty() == d0 + 2


def test_restore_inside_multi(c):
    assert c.cmd("SET", "src", "v") == "OK"
    p = c.cmd("DUMP", "src")
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("RESTORE", "k", "0", p) == "QUEUED"
    assert c.cmd("RESTORE", "k", "0", p) == "QUEUED"
    assert c.cmd("DUMP", "k") == "QUEUED"
    assert c.cmd("EXEC") == ["OK", BUSY, p]


# --- interop with Redis 7.0 ---------------------------------------------------

@pytest.mark.parametrize("value", [b"42", b"hello", b"a" * 100], ids=["int_42", "hello", "compressible_100"])
def test_payload_bytes_identical_to_redis(c, rc, value):
    assert c.cmd("SET", "k", value) == "OK"
    assert rc.cmd("SET", "k", value) == "OK"
    assert c.cmd("DUMP", "k") == rc.cmd("DUMP", "k")


@pytest.mark.parametrize("name", sorted(STRING_VALUES))
def test_payload_bytes_identical_to_redis_all_strings(c, rc, name):
    value = STRING_VALUES[name]
    for compression in ("yes", "no"):
        assert c.cmd("CONFIG", "SET", "rdbcompression", compression) == "OK"
        assert rc.cmd("CONFIG", "SET", "rdbcompression", compression) == "OK"
        assert c.cmd("SET", "k", value) == "OK"
        assert rc.cmd("SET", "k", value) == "OK"
        assert c.cmd("DUMP", "k") == rc.cmd("DUMP", "k"), compression


@pytest.mark.parametrize("name", sorted(STRING_VALUES))
def test_redis_dump_restores_here(c, rc, name):
    value = STRING_VALUES[name]
    assert rc.cmd("SET", "k", value) == "OK"
    payload = rc.cmd("DUMP", "k")
    assert c.cmd("RESTORE", "k", "0", payload) == "OK"
    assert c.cmd("GET", "k") == value
    assert c.cmd("OBJECT", "ENCODING", "k") == rc.cmd("OBJECT", "ENCODING", "k")


@pytest.mark.parametrize("name", sorted(STRING_VALUES))
def test_our_dump_restores_in_redis(c, rc, name):
    value = STRING_VALUES[name]
    assert c.cmd("SET", "k", value) == "OK"
    payload = c.cmd("DUMP", "k")
    assert rc.cmd("RESTORE", "k", "0", payload) == "OK"
    assert rc.cmd("GET", "k") == value
    assert rc.cmd("OBJECT", "ENCODING", "k") == c.cmd("OBJECT", "ENCODING", "k")


def test_interop_with_ttl_and_options(c, rc):
    assert rc.cmd("SET", "k", "v") == "OK"
    payload = rc.cmd("DUMP", "k")
    at = now_ms() + 60_000
    assert c.cmd("RESTORE", "k", str(at), payload, "ABSTTL", "IDLETIME", "30") == "OK"
    assert c.cmd("PEXPIRETIME", "k") == at
    assert 30 <= c.cmd("OBJECT", "IDLETIME", "k") <= 32
    ours = c.cmd("DUMP", "k")
    assert rc.cmd("RESTORE", "k", str(at), ours, "ABSTTL", "REPLACE") == "OK"
    assert rc.cmd("PEXPIRETIME", "k") == at


def _served(c, command):
    """True when the server has the command (COMMAND INFO answers nil otherwise)."""
    return c.cmd("COMMAND", "INFO", command) != [None]


def test_type_not_served_yet_is_bad_data_format(c, rc):
    # Lists arrive in a later issue: until LPUSH exists here, a list payload
    # is refused like a corrupt one (and nothing is created).
    assert rc.cmd("RPUSH", "l", "a", "b", "c") == 3
    payload = rc.cmd("DUMP", "l")
    if _served(c, "lpush"):
        assert c.cmd("RESTORE", "l", "0", payload) == "OK"
        assert c.cmd("LRANGE", "l", "0", "-1") == [b"a", b"b", b"c"]
    else:
        assert c.cmd("RESTORE", "l", "0", payload) == BAD_FORMAT
        assert c.cmd("EXISTS", "l") == 0


@pytest.mark.needs_types
class TestOtherTypesInterop:
    """Every 7.0 value type and encoding, Redis -> here -> Redis."""

    # (name, setup commands, read command, reply is unordered)
    CASES = [
        ("list_listpack", [("RPUSH", "k", "a", "1", "b")], ("LRANGE", "k", "0", "-1"), False),
        ("list_quicklist", [("RPUSH", "k", *[f"e{i}" * 20 for i in range(300)])], ("LRANGE", "k", "0", "-1"),
         False),
        ("set_intset", [("SADD", "k", "1", "2", "3")], ("SMEMBERS", "k"), True),
        ("set_hashtable", [("SADD", "k", "a", "b", "c")], ("SMEMBERS", "k"), True),
        ("hash_listpack", [("HSET", "k", "f1", "v1", "f2", "2")], ("HGETALL", "k"), False),
        ("hash_hashtable", [("HSET", "k", *[x for i in range(200) for x in (f"f{i}", f"v{i}")])],
         ("HGETALL", "k"), True),
        ("zset_listpack", [("ZADD", "k", "1", "a", "2.5", "b")], ("ZRANGE", "k", "0", "-1", "WITHSCORES"), False),
        ("zset_skiplist", [("ZADD", "k", *[x for i in range(200) for x in (str(i), f"m{i}")])],
         ("ZRANGE", "k", "0", "-1", "WITHSCORES"), False),
        ("stream", [("XADD", "k", "1-1", "f", "v"), ("XADD", "k", "2-1", "g", "w")], ("XRANGE", "k", "-", "+"),
         False),
    ]

    @pytest.mark.parametrize("name,setup,read,unordered", CASES, ids=[x[0] for x in CASES])
    def test_round_trip_through_both(self, c, rc, name, setup, read, unordered):
        def norm(reply):
            return sorted(reply) if unordered else reply

        for cmd in setup:
            rc.cmd(*cmd)
        expected = norm(rc.cmd(*read))
        assert c.cmd("RESTORE", "k", "0", rc.cmd("DUMP", "k")) == "OK"
        assert norm(c.cmd(*read)) == expected
        assert c.cmd("OBJECT", "ENCODING", "k") == rc.cmd("OBJECT", "ENCODING", "k")
        assert rc.cmd("RESTORE", "k", "0", c.cmd("DUMP", "k"), "REPLACE") == "OK"
        assert norm(rc.cmd(*read)) == expected


# --- propagation --------------------------------------------------------------

def test_restore_propagates_absolute_ttl(start_server):
    master = start_server(args=["--repl-diskless-sync-delay", "0"])
    replica = start_server(args=["--replicaof", "127.0.0.1", str(master.port)])
    m, r, mon = RawClient(master.port), RawClient(replica.port), RawClient(replica.port)
    try:
        wait_until(lambda: "master_link_status:up" in r.cmd("INFO", "replication").decode(),
                   what="replica link up")
        assert mon.cmd("MONITOR") == "OK"
        assert m.cmd("SET", "src", "v") == "OK"
        p = m.cmd("DUMP", "src")
        assert m.cmd("RESTORE", "k", "100000", p, "REPLACE") == "OK"
        at = m.cmd("PEXPIRETIME", "k")
        assert m.cmd("SET", "old", "x") == "OK"
        assert m.cmd("RESTORE", "old", "1", p, "ABSTTL", "REPLACE") == "OK"
        assert m.cmd("RESTORE", "nope", "1", p, "ABSTTL") == "OK"  # no change: not propagated
        assert m.cmd("SET", "marker", "1") == "OK"

        seen = []
        while not seen or b'"marker"' not in seen[-1]:
            seen.append(mon.read_line())
        lines = [line.split(b"] ", 1)[1] for line in seen]
        # argv as the client sent it, TTL made absolute, ABSTTL appended last
        restore = b'"RESTORE" "k" "%d" ' % at
        assert any(line.startswith(restore) and line.endswith(b'"REPLACE" "ABSTTL"') for line in lines), lines
        assert b'"DEL" "old"' in lines, lines
        assert not any(b'"nope"' in line for line in lines), lines
        assert r.cmd("PEXPIRETIME", "k") == at
        assert r.cmd("EXISTS", "old") == 0
    finally:
        for cl in (m, r, mon):
            cl.close()
