"""String commands: exact replies and error texts as Redis 7.0 gives them."""
import time

import pytest

from util import Err

SYNTAX = Err("ERR syntax error")
NOT_INT = Err("ERR value is not an integer or out of range")
NOT_FLOAT = Err("ERR value is not a valid float")
WRONGTYPE = Err("WRONGTYPE Operation against a key holding the wrong kind of value")


def now_ms():
    return int(time.time() * 1000)


# --- GET / SET -------------------------------------------------------------

def test_get_set_basic(c):
    assert c.cmd("GET", "k") is None
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("GET", "k") == b"v"
    assert c.cmd("SET", "k", "") == "OK"
    assert c.cmd("GET", "k") == b""
    binary = bytes(range(256)) + b"\r\n\x00"
    assert c.cmd("SET", "bin", binary) == "OK"
    assert c.cmd("GET", "bin") == binary
    assert c.cmd("SET", "k", "v2") == "OK"
    assert c.cmd("GET", "k") == b"v2"


def test_set_arity_and_case(c):
    assert c.cmd("SET", "k") == Err("ERR wrong number of arguments for 'set' command")
    assert c.cmd("GET") == Err("ERR wrong number of arguments for 'get' command")
    assert c.cmd("GET", "a", "b") == Err("ERR wrong number of arguments for 'get' command")
    assert c.cmd("sEt", "k", "v", "ex", "100") == "OK"
    assert 0 < c.cmd("TTL", "k") <= 100


def test_set_ex_px(c):
    assert c.cmd("SET", "k", "v", "EX", "100") == "OK"
    assert 98 <= c.cmd("TTL", "k") <= 100
    assert c.cmd("SET", "k", "v", "PX", "100000") == "OK"
    assert 98000 <= c.cmd("PTTL", "k") <= 100000
    # A plain SET clears the TTL.
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("TTL", "k") == -1


def test_set_exat_pxat(c):
    at = int(time.time()) + 100
    assert c.cmd("SET", "k", "v", "EXAT", at) == "OK"
    assert c.cmd("EXPIRETIME", "k") == at
    atms = now_ms() + 100000
    assert c.cmd("SET", "k", "v", "PXAT", atms) == "OK"
    assert c.cmd("PEXPIRETIME", "k") == atms
    # An absolute time in the past: the key is not visible afterwards.
    assert c.cmd("SET", "old", "v", "EXAT", "1") == "OK"
    assert c.cmd("GET", "old") is None
    assert c.cmd("EXISTS", "old") == 0
    assert c.cmd("SET", "old", "v", "PXAT", "1") == "OK"
    assert c.cmd("GET", "old") is None


def test_set_expire_errors(c):
    for opt in ("EX", "PX", "EXAT", "PXAT"):
        assert c.cmd("SET", "k", "v", opt, "0") == Err("ERR invalid expire time in 'set' command")
        assert c.cmd("SET", "k", "v", opt, "-1") == Err("ERR invalid expire time in 'set' command")
        assert c.cmd("SET", "k", "v", opt, "abc") == NOT_INT
        assert c.cmd("SET", "k", "v", opt) == SYNTAX
    assert c.cmd("SET", "k", "v", "EX", "9999999999999999") == Err("ERR invalid expire time in 'set' command")
    assert c.cmd("EXISTS", "k") == 0


def test_set_option_conflicts(c):
    conflicts = [
        ("EX", "10", "PX", "100"),
        ("EX", "10", "EXAT", "9999999999"),
        ("PX", "10", "PXAT", "9999999999999"),
        ("NX", "XX"),
        ("KEEPTTL", "EX", "10"),
        ("PX", "100", "KEEPTTL"),
        ("FOO",),
        ("GET", "FOO"),
    ]
    for extra in conflicts:
        assert c.cmd("SET", "k", "v", *extra) == SYNTAX, extra
    assert c.cmd("EXISTS", "k") == 0


def test_set_nx_xx(c):
    assert c.cmd("SET", "k", "v", "XX") is None
    assert c.cmd("EXISTS", "k") == 0
    assert c.cmd("SET", "k", "v1", "NX") == "OK"
    assert c.cmd("SET", "k", "v2", "NX") is None
    assert c.cmd("GET", "k") == b"v1"
    assert c.cmd("SET", "k", "v3", "XX") == "OK"
    assert c.cmd("GET", "k") == b"v3"
    assert c.cmd("SET", "k", "v4", "nx", "ex", "10") is None
    assert c.cmd("TTL", "k") == -1
    assert c.cmd("SET", "k", "v4", "xx", "ex", "10") == "OK"
    assert 0 < c.cmd("TTL", "k") <= 10


def test_set_keepttl(c):
    assert c.cmd("SET", "k", "v", "EX", "100") == "OK"
    assert c.cmd("SET", "k", "v2", "KEEPTTL") == "OK"
    assert c.cmd("GET", "k") == b"v2"
    assert 98 <= c.cmd("TTL", "k") <= 100
    assert c.cmd("SET", "k", "v3", "XX", "KEEPTTL") == "OK"
    assert 98 <= c.cmd("TTL", "k") <= 100
    assert c.cmd("SET", "nottl", "v", "KEEPTTL") == "OK"
    assert c.cmd("TTL", "nottl") == -1


def test_set_get_option(c):
    assert c.cmd("SET", "k", "v1", "GET") is None
    assert c.cmd("SET", "k", "v2", "GET") == b"v1"
    assert c.cmd("GET", "k") == b"v2"
    # GET with XX: returns the old value, writes only if present.
    assert c.cmd("SET", "k", "v3", "XX", "GET") == b"v2"
    assert c.cmd("SET", "missing", "v", "XX", "GET") is None
    assert c.cmd("EXISTS", "missing") == 0
    # Redis 7.0 allows GET with NX: old value returned, nothing written.
    assert c.cmd("SET", "k", "other", "NX", "GET") == b"v3"
    assert c.cmd("GET", "k") == b"v3"
    assert c.cmd("SET", "fresh", "x", "NX", "GET") is None
    assert c.cmd("GET", "fresh") == b"x"
    assert c.cmd("SET", "k", "v4", "GET", "EX", "100") == b"v3"
    assert 98 <= c.cmd("TTL", "k") <= 100


def test_setnx_setex_psetex(c):
    assert c.cmd("SETNX", "k", "a") == 1
    assert c.cmd("SETNX", "k", "b") == 0
    assert c.cmd("GET", "k") == b"a"
    assert c.cmd("SETEX", "k", "100", "v") == "OK"
    assert c.cmd("GET", "k") == b"v"
    assert 98 <= c.cmd("TTL", "k") <= 100
    assert c.cmd("PSETEX", "p", "100000", "v") == "OK"
    assert 98000 <= c.cmd("PTTL", "p") <= 100000
    assert c.cmd("SETEX", "k", "0", "v") == Err("ERR invalid expire time in 'setex' command")
    assert c.cmd("SETEX", "k", "-5", "v") == Err("ERR invalid expire time in 'setex' command")
    assert c.cmd("PSETEX", "k", "0", "v") == Err("ERR invalid expire time in 'psetex' command")
    assert c.cmd("SETEX", "k", "x", "v") == NOT_INT
    assert c.cmd("SETEX", "k", "10") == Err("ERR wrong number of arguments for 'setex' command")
    assert c.cmd("SETNX", "k") == Err("ERR wrong number of arguments for 'setnx' command")


def test_getset_getdel(c):
    assert c.cmd("GETSET", "k", "a") is None
    assert c.cmd("GETSET", "k", "b") == b"a"
    assert c.cmd("GET", "k") == b"b"
    assert c.cmd("EXPIRE", "k", "100") == 1
    assert c.cmd("GETSET", "k", "c") == b"b"
    assert c.cmd("TTL", "k") == -1  # GETSET discards the TTL
    assert c.cmd("GETDEL", "k") == b"c"
    assert c.cmd("EXISTS", "k") == 0
    assert c.cmd("GETDEL", "k") is None


def test_getex(c):
    assert c.cmd("GETEX", "missing") is None
    assert c.cmd("GETEX", "missing", "EX", "10") is None
    assert c.cmd("EXISTS", "missing") == 0
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("GETEX", "k") == b"v"
    assert c.cmd("TTL", "k") == -1
    assert c.cmd("GETEX", "k", "EX", "100") == b"v"
    assert 98 <= c.cmd("TTL", "k") <= 100
    assert c.cmd("GETEX", "k", "PX", "50000") == b"v"
    assert 48000 <= c.cmd("PTTL", "k") <= 50000
    at = int(time.time()) + 200
    assert c.cmd("GETEX", "k", "EXAT", at) == b"v"
    assert c.cmd("EXPIRETIME", "k") == at
    atms = now_ms() + 300000
    assert c.cmd("GETEX", "k", "PXAT", atms) == b"v"
    assert c.cmd("PEXPIRETIME", "k") == atms
    assert c.cmd("GETEX", "k", "PERSIST") == b"v"
    assert c.cmd("TTL", "k") == -1
    # A past absolute time deletes the key after returning it.
    assert c.cmd("GETEX", "k", "PXAT", "1") == b"v"
    assert c.cmd("EXISTS", "k") == 0


def test_getex_errors(c):
    assert c.cmd("SET", "k", "v") == "OK"
    for opt in ("EX", "PX", "EXAT", "PXAT"):
        assert c.cmd("GETEX", "k", opt, "0") == Err("ERR invalid expire time in 'getex' command")
        assert c.cmd("GETEX", "k", opt, "-1") == Err("ERR invalid expire time in 'getex' command")
        assert c.cmd("GETEX", "k", opt, "x") == NOT_INT
    assert c.cmd("GETEX", "k", "PERSIST", "EX", "10") == SYNTAX
    assert c.cmd("GETEX", "k", "EX", "10", "PX", "10") == SYNTAX
    assert c.cmd("GETEX", "k", "FOO") == SYNTAX
    assert c.cmd("GETEX", "k", "EX") == SYNTAX
    assert c.cmd("TTL", "k") == -1
    assert c.cmd("GETEX") == Err("ERR wrong number of arguments for 'getex' command")


def test_mget_mset_msetnx(c):
    assert c.cmd("MSET", "a", "1", "b", "2", "c", "3") == "OK"
    assert c.cmd("MGET", "a", "nope", "c", "a") == [b"1", None, b"3", b"1"]
    assert c.cmd("MSET", "a", "x", "a", "y") == "OK"
    assert c.cmd("GET", "a") == b"y"  # last one wins
    assert c.cmd("MSET", "a") == Err("ERR wrong number of arguments for 'mset' command")
    assert c.cmd("MSET", "a", "1", "b") == Err("ERR wrong number of arguments for 'mset' command")
    assert c.cmd("MSETNX", "a", "1", "zz", "2") == 0
    assert c.cmd("EXISTS", "zz") == 0
    assert c.cmd("MSETNX", "n1", "1", "n2", "2") == 1
    assert c.cmd("MGET", "n1", "n2") == [b"1", b"2"]
    assert c.cmd("MSETNX", "n3", "1", "n4") == Err("ERR wrong number of arguments for 'msetnx' command")
    assert c.cmd("MGET") == Err("ERR wrong number of arguments for 'mget' command")


def test_mset_clears_ttl(c):
    assert c.cmd("SET", "a", "1", "EX", "100") == "OK"
    assert c.cmd("MSET", "a", "2") == "OK"
    assert c.cmd("TTL", "a") == -1


def test_append_strlen(c):
    assert c.cmd("STRLEN", "k") == 0
    assert c.cmd("APPEND", "k", "hello") == 5
    assert c.cmd("APPEND", "k", " world") == 11
    assert c.cmd("GET", "k") == b"hello world"
    assert c.cmd("STRLEN", "k") == 11
    assert c.cmd("APPEND", "k", "") == 11
    assert c.cmd("SET", "n", "12") == "OK"
    assert c.cmd("APPEND", "n", "34") == 4
    assert c.cmd("GET", "n") == b"1234"
    assert c.cmd("STRLEN", "n") == 4
    assert c.cmd("SET", "big", "-9223372036854775808") == "OK"
    assert c.cmd("STRLEN", "big") == 20


def test_append_keeps_ttl(c):
    assert c.cmd("SET", "k", "a", "EX", "100") == "OK"
    assert c.cmd("APPEND", "k", "b") == 2
    assert 98 <= c.cmd("TTL", "k") <= 100


def test_getrange(c):
    assert c.cmd("SET", "k", "This is a string") == "OK"
    assert c.cmd("GETRANGE", "k", "0", "3") == b"This"
    assert c.cmd("GETRANGE", "k", "-3", "-1") == b"ing"
    assert c.cmd("GETRANGE", "k", "0", "-1") == b"This is a string"
    assert c.cmd("GETRANGE", "k", "10", "100") == b"string"
    assert c.cmd("GETRANGE", "k", "-100", "100") == b"This is a string"
    assert c.cmd("GETRANGE", "k", "5", "2") == b""
    assert c.cmd("GETRANGE", "k", "100", "200") == b""
    assert c.cmd("GETRANGE", "missing", "0", "-1") == b""
    assert c.cmd("GETRANGE", "k", "0", "x") == NOT_INT
    assert c.cmd("SET", "n", "12345") == "OK"  # int-encoded value
    assert c.cmd("GETRANGE", "n", "1", "2") == b"23"


def test_setrange(c):
    assert c.cmd("SETRANGE", "k", "0", "Hello World") == 11
    assert c.cmd("SETRANGE", "k", "6", "Redis") == 11
    assert c.cmd("GET", "k") == b"Hello Redis"
    assert c.cmd("SETRANGE", "k", "11", "!") == 12
    assert c.cmd("GET", "k") == b"Hello Redis!"
    # Padding with zero bytes.
    assert c.cmd("SETRANGE", "p", "5", "ab") == 7
    assert c.cmd("GET", "p") == b"\x00\x00\x00\x00\x00ab"
    # An empty value on a missing key creates nothing; on an existing one returns its length.
    assert c.cmd("SETRANGE", "e", "5", "") == 0
    assert c.cmd("EXISTS", "e") == 0
    assert c.cmd("SETRANGE", "k", "100", "") == 12
    assert c.cmd("GET", "k") == b"Hello Redis!"
    assert c.cmd("SET", "n", "1234") == "OK"
    assert c.cmd("SETRANGE", "n", "1", "x") == 4
    assert c.cmd("GET", "n") == b"1x34"


def test_setrange_errors(c):
    assert c.cmd("SETRANGE", "k", "-1", "x") == Err("ERR offset is out of range")
    assert c.cmd("SETRANGE", "k", "536870912", "x") == \
        Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    assert c.cmd("SETRANGE", "k", "536870911", "") == 0
    assert c.cmd("SETRANGE", "k", "x", "y") == NOT_INT
    assert c.cmd("EXISTS", "k") == 0
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("SETRANGE", "k", "536870912", "x") == \
        Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    assert c.cmd("GET", "k") == b"v"


def test_incr_decr(c):
    assert c.cmd("INCR", "n") == 1
    assert c.cmd("INCR", "n") == 2
    assert c.cmd("DECR", "n") == 1
    assert c.cmd("INCRBY", "n", "10") == 11
    assert c.cmd("DECRBY", "n", "20") == -9
    assert c.cmd("INCRBY", "n", "-1") == -10
    assert c.cmd("GET", "n") == b"-10"
    assert c.cmd("DECR", "m") == -1
    assert c.cmd("SET", "s", "  12") == "OK"
    assert c.cmd("INCR", "s") == NOT_INT
    assert c.cmd("SET", "s", "12a") == "OK"
    assert c.cmd("INCR", "s") == NOT_INT
    assert c.cmd("SET", "s", "1.5") == "OK"
    assert c.cmd("INCR", "s") == NOT_INT
    assert c.cmd("SET", "s", "") == "OK"
    assert c.cmd("INCR", "s") == NOT_INT
    assert c.cmd("INCRBY", "n", "abc") == NOT_INT
    assert c.cmd("INCRBY", "n", "1.0") == NOT_INT
    assert c.cmd("DECRBY", "n", "99999999999999999999") == NOT_INT
    assert c.cmd("GET", "n") == b"-10"


def test_incr_keeps_ttl(c):
    assert c.cmd("SET", "n", "5", "EX", "100") == "OK"
    assert c.cmd("INCR", "n") == 6
    assert 98 <= c.cmd("TTL", "n") <= 100


def test_incr_overflow(c):
    assert c.cmd("SET", "n", "9223372036854775807") == "OK"
    assert c.cmd("INCR", "n") == Err("ERR increment or decrement would overflow")
    assert c.cmd("INCRBY", "n", "1") == Err("ERR increment or decrement would overflow")
    assert c.cmd("DECRBY", "n", "-1") == Err("ERR increment or decrement would overflow")
    assert c.cmd("GET", "n") == b"9223372036854775807"
    assert c.cmd("SET", "n", "-9223372036854775808") == "OK"
    assert c.cmd("DECR", "n") == Err("ERR increment or decrement would overflow")
    assert c.cmd("INCRBY", "n", "9223372036854775807") == -1
    assert c.cmd("DECRBY", "n", "-9223372036854775808") == Err("ERR decrement would overflow")
    assert c.cmd("SET", "n", "9223372036854775808") == "OK"
    assert c.cmd("INCR", "n") == NOT_INT


def test_incrbyfloat(c):
    assert c.cmd("INCRBYFLOAT", "f", "10.5") == b"10.5"
    assert c.cmd("INCRBYFLOAT", "f", "0.1") == b"10.6"
    assert c.cmd("INCRBYFLOAT", "f", "-5") == b"5.6"
    assert c.cmd("GET", "f") == b"5.6"
    assert c.cmd("SET", "g", "5.0e3") == "OK"
    assert c.cmd("INCRBYFLOAT", "g", "2.0e2") == b"5200"
    assert c.cmd("INCRBYFLOAT", "i", "3") == b"3"
    assert c.cmd("INCRBYFLOAT", "i", "1.5e-5") == b"3.000015"
    assert c.cmd("INCRBYFLOAT", "i", "-3.000015") == b"0"
    assert c.cmd("SET", "n", "7") == "OK"
    assert c.cmd("INCRBYFLOAT", "n", "0.25") == b"7.25"


def test_incrbyfloat_errors(c):
    assert c.cmd("SET", "s", "abc") == "OK"
    assert c.cmd("INCRBYFLOAT", "s", "1") == NOT_FLOAT
    assert c.cmd("SET", "f", "1.5") == "OK"
    assert c.cmd("INCRBYFLOAT", "f", "abc") == NOT_FLOAT
    assert c.cmd("INCRBYFLOAT", "f", "") == NOT_FLOAT
    assert c.cmd("INCRBYFLOAT", "f", "inf") == Err("ERR increment would produce NaN or Infinity")
    assert c.cmd("INCRBYFLOAT", "f", "nan") == NOT_FLOAT
    assert c.cmd("GET", "f") == b"1.5"
    assert c.cmd("INCRBYFLOAT", "f") == Err("ERR wrong number of arguments for 'incrbyfloat' command")


def test_incrbyfloat_keeps_ttl(c):
    assert c.cmd("SET", "f", "1", "EX", "100") == "OK"
    assert c.cmd("INCRBYFLOAT", "f", "1.5") == b"2.5"
    assert 98 <= c.cmd("TTL", "f") <= 100


# --- LCS -------------------------------------------------------------------

@pytest.fixture
def lcs(c):
    assert c.cmd("MSET", "a", "ohmytext", "b", "mynewtext") == "OK"
    return c


def test_lcs_plain_and_len(lcs):
    c = lcs
    assert c.cmd("LCS", "a", "b") == b"mytext"
    assert c.cmd("LCS", "a", "b", "LEN") == 6
    assert c.cmd("LCS", "a", "missing") == b""
    assert c.cmd("LCS", "missing", "other") == b""
    assert c.cmd("LCS", "missing", "other", "LEN") == 0
    assert c.cmd("LCS", "a", "a") == b"ohmytext"


def test_lcs_idx(lcs):
    c = lcs
    assert c.cmd("LCS", "a", "b", "IDX") == [
        b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]],
        b"len", 6]
    assert c.cmd("LCS", "a", "b", "IDX", "MINMATCHLEN", "4") == [
        b"matches", [[[4, 7], [5, 8]]],
        b"len", 6]
    assert c.cmd("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == [
        b"matches", [[[4, 7], [5, 8], 4]],
        b"len", 6]
    assert c.cmd("LCS", "a", "b", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]],
        b"len", 6]
    assert c.cmd("LCS", "a", "missing", "IDX") == [b"matches", [], b"len", 0]


def test_lcs_errors(lcs):
    c = lcs
    assert c.cmd("LCS", "a", "b", "LEN", "IDX") == \
        Err("ERR If you want both the length and indexes, please just use IDX.")
    assert c.cmd("LCS", "a", "b", "FOO") == SYNTAX
    assert c.cmd("LCS", "a", "b", "IDX", "MINMATCHLEN", "x") == NOT_INT
    assert c.cmd("LCS", "a", "b", "IDX", "MINMATCHLEN") == SYNTAX
    assert c.cmd("LCS", "a") == Err("ERR wrong number of arguments for 'lcs' command")


# --- encodings -------------------------------------------------------------

def test_object_encoding_transitions(c):
    assert c.cmd("SET", "k", "12345") == "OK"
    assert c.cmd("OBJECT", "ENCODING", "k") == b"int"
    assert c.cmd("SET", "k", "-9223372036854775808") == "OK"
    assert c.cmd("OBJECT", "ENCODING", "k") == b"int"
    assert c.cmd("SET", "k", "9223372036854775808") == "OK"  # does not fit a long long
    assert c.cmd("OBJECT", "ENCODING", "k") == b"embstr"
    assert c.cmd("SET", "k", "0123") == "OK"  # not canonical
    assert c.cmd("OBJECT", "ENCODING", "k") == b"embstr"
    assert c.cmd("SET", "k", "hello") == "OK"
    assert c.cmd("OBJECT", "ENCODING", "k") == b"embstr"
    assert c.cmd("SET", "k", "x" * 44) == "OK"
    assert c.cmd("OBJECT", "ENCODING", "k") == b"embstr"
    assert c.cmd("SET", "k", "x" * 45) == "OK"
    assert c.cmd("OBJECT", "ENCODING", "k") == b"raw"
    # APPEND and SETRANGE turn a value into raw.
    assert c.cmd("SET", "k", "abc") == "OK"
    assert c.cmd("APPEND", "k", "d") == 4
    assert c.cmd("OBJECT", "ENCODING", "k") == b"raw"
    assert c.cmd("SET", "k", "10") == "OK"
    assert c.cmd("APPEND", "k", "1") == 3
    assert c.cmd("OBJECT", "ENCODING", "k") == b"raw"
    assert c.cmd("SET", "k", "abc") == "OK"
    assert c.cmd("SETRANGE", "k", "0", "x") == 3
    assert c.cmd("OBJECT", "ENCODING", "k") == b"raw"
    # INCR on a raw numeric string gives an int again.
    assert c.cmd("INCR", "k2") == 1
    assert c.cmd("OBJECT", "ENCODING", "k2") == b"int"
    assert c.cmd("SET", "k", "100") == "OK"
    assert c.cmd("APPEND", "k", "0") == 4
    assert c.cmd("OBJECT", "ENCODING", "k") == b"raw"
    assert c.cmd("INCR", "k") == 1001
    assert c.cmd("OBJECT", "ENCODING", "k") == b"int"
    assert c.cmd("INCRBYFLOAT", "f", "1.5") == b"1.5"
    assert c.cmd("OBJECT", "ENCODING", "f") == b"embstr"
    assert c.cmd("OBJECT", "ENCODING", "missing") is None


# --- other types -----------------------------------------------------------

@pytest.mark.needs_types
class TestWrongType:
    def test_string_commands_on_a_list(self, c):
        assert c.cmd("LPUSH", "l", "x") == 1
        for cmd in (("GET", "l"), ("APPEND", "l", "x"), ("STRLEN", "l"), ("INCR", "l"),
                    ("DECRBY", "l", "2"), ("INCRBYFLOAT", "l", "1"), ("GETRANGE", "l", "0", "1"),
                    ("SETRANGE", "l", "0", "x"), ("GETSET", "l", "x"), ("GETDEL", "l"),
                    ("GETEX", "l", "EX", "10"), ("SET", "l", "v", "GET")):
            assert c.cmd(*cmd) == WRONGTYPE, cmd
        assert c.cmd("MGET", "l", "nope") == [None, None]
        assert c.cmd("LCS", "l", "nope") == Err("ERR The specified keys must contain string values")
        assert c.cmd("TYPE", "l") == "list"
        # Plain SET overwrites any type.
        assert c.cmd("SET", "l", "v") == "OK"
        assert c.cmd("TYPE", "l") == "string"
