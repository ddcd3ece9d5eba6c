"""MULTI / EXEC / DISCARD / WATCH, including Sentinel's promotion transaction."""
import pytest

from conftest import wait_until
from util import Err, raw_reply_bytes

EXECABORT = Err("EXECABORT Transaction discarded because of previous errors.")


def server_ms(c):
    sec, usec = c.cmd("TIME")
    return int(sec) * 1000 + int(usec) // 1000


# --- basics -------------------------------------------------------------------

def test_multi_exec_basic(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "a", "1") == "QUEUED"
    assert c.cmd("INCR", "a") == "QUEUED"
    assert c.cmd("GET", "a") == "QUEUED"
    assert c.cmd("GET", "missing") == "QUEUED"
    assert c.cmd("EXEC") == ["OK", 2, b"2", None]
    assert c.cmd("GET", "a") == b"2"


def test_commands_not_applied_before_exec(clients):
    c, other = clients(), clients()
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "a", "1") == "QUEUED"
    assert other.cmd("GET", "a") is None
    assert c.cmd("EXEC") == ["OK"]
    assert other.cmd("GET", "a") == b"1"


def test_empty_exec(c):
    assert c.cmd("MULTI") == "OK"
    c.send("EXEC")
    assert raw_reply_bytes(c) == b"*0\r\n"


def test_discard(c):
    assert c.cmd("SET", "a", "orig") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "a", "new") == "QUEUED"
    assert c.cmd("DISCARD") == "OK"
    assert c.cmd("GET", "a") == b"orig"
    assert c.cmd("EXEC") == Err("ERR EXEC without MULTI")
    assert c.cmd("DISCARD") == Err("ERR DISCARD without MULTI")


def test_exec_and_discard_without_multi(c):
    assert c.cmd("EXEC") == Err("ERR EXEC without MULTI")
    assert c.cmd("DISCARD") == Err("ERR DISCARD without MULTI")
    assert c.cmd("PING") == "PONG"


def test_nested_multi_is_an_error_but_keeps_the_transaction(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("MULTI") == Err("ERR MULTI calls can not be nested")
    assert c.cmd("SET", "a", "1") == "QUEUED"
    assert c.cmd("EXEC") == ["OK"]
    assert c.cmd("GET", "a") == b"1"


def test_watch_inside_multi(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("WATCH", "a") == Err("ERR WATCH inside MULTI is not allowed")
    assert c.cmd("SET", "a", "1") == "QUEUED"
    assert c.cmd("EXEC") == ["OK"]


def test_pipelined_transaction(c):
    replies = c.pipeline([("MULTI",), ("SET", "x", "1"), ("INCRBY", "x", "5"), ("EXEC",)])
    assert replies == ["OK", "QUEUED", "QUEUED", ["OK", 6]]


def test_select_inside_multi(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SELECT", "2") == "QUEUED"
    assert c.cmd("SET", "k", "in2") == "QUEUED"
    assert c.cmd("EXEC") == ["OK", "OK"]
    assert c.cmd("GET", "k") == b"in2"  # the SELECT sticks after EXEC
    assert c.cmd("SELECT", "0") == "OK"
    assert c.cmd("GET", "k") is None


# --- errors -------------------------------------------------------------------

def test_execabort_unknown_command(c):
    assert c.cmd("SET", "a", "orig") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "a", "new") == "QUEUED"
    assert c.cmd("FOO", "x") == Err("ERR unknown command 'FOO', with args beginning with: 'x' ")
    assert c.cmd("SET", "b", "1") == "QUEUED"
    assert c.cmd("EXEC") == EXECABORT
    assert c.cmd("MGET", "a", "b") == [b"orig", None]
    # The transaction is over.
    assert c.cmd("EXEC") == Err("ERR EXEC without MULTI")


def test_execabort_wrong_arity(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "a", "1") == "QUEUED"
    assert c.cmd("GET") == Err("ERR wrong number of arguments for 'get' command")
    assert c.cmd("EXEC") == EXECABORT
    assert c.cmd("EXISTS", "a") == 0


def test_discard_after_queue_error(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("NOSUCHCMD") == Err("ERR unknown command 'NOSUCHCMD', with args beginning with: ")
    assert c.cmd("DISCARD") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "a", "1") == "QUEUED"
    assert c.cmd("EXEC") == ["OK"]


def test_exec_time_errors_are_per_element(c):
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "a", "x") == "QUEUED"
    assert c.cmd("INCR", "a") == "QUEUED"
    assert c.cmd("SET", "b", "1", "EX", "0") == "QUEUED"
    assert c.cmd("SET", "c", "3") == "QUEUED"
    assert c.cmd("GET", "a") == "QUEUED"
    assert c.cmd("EXEC") == [
        "OK",
        Err("ERR value is not an integer or out of range"),
        Err("ERR invalid expire time in 'set' command"),
        "OK",
        b"x",
    ]
    # No rollback: the commands around the failing ones took effect.
    assert c.cmd("MGET", "a", "b", "c") == [b"x", None, b"3"]


# --- WATCH --------------------------------------------------------------------

def test_watch_other_client_write_aborts(clients):
    c, other = clients(), clients()
    assert c.cmd("SET", "k", "1") == "OK"
    assert c.cmd("WATCH", "k") == "OK"
    assert other.cmd("SET", "k", "2") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "k", "3") == "QUEUED"
    c.send("EXEC")
    assert raw_reply_bytes(c) == b"*-1\r\n"
    assert c.cmd("GET", "k") == b"2"


@pytest.mark.parametrize("write", [
    ("DEL", "k"), ("INCR", "k"), ("APPEND", "k", "x"), ("EXPIRE", "k", "100"),
    ("RENAME", "k", "k2"), ("SET", "k", "1"), ("GETDEL", "k"), ("MSET", "z", "1", "k", "2"),
])
def test_watch_aborted_by_each_write(clients, write):
    c, other = clients(), clients()
    assert c.cmd("SET", "k", "1") == "OK"
    assert c.cmd("WATCH", "k") == "OK"
    other.cmd(*write)
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("PING") == "QUEUED"
    assert c.cmd("EXEC") is None


def test_watch_missing_key_created_by_other(clients):
    c, other = clients(), clients()
    assert c.cmd("WATCH", "k") == "OK"
    assert other.cmd("SET", "k", "1") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "k", "mine") == "QUEUED"
    assert c.cmd("EXEC") is None
    assert c.cmd("GET", "k") == b"1"


def test_watch_untouched_succeeds(clients):
    c, other = clients(), clients()
    assert c.cmd("SET", "k", "1") == "OK"
    assert c.cmd("WATCH", "k", "k2") == "OK"
    assert other.cmd("SET", "unrelated", "1") == "OK"
    assert other.cmd("GET", "k") == b"1"  # reads do not invalidate
    assert other.cmd("SELECT", "1") == "OK"
    assert other.cmd("SET", "k", "other-db") == "OK"  # same name, other database
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("INCR", "k") == "QUEUED"
    assert c.cmd("EXEC") == [2]


def test_watch_one_of_many_keys_touched(clients):
    c, other = clients(), clients()
    assert c.cmd("WATCH", "a", "b", "c") == "OK"
    assert other.cmd("SET", "b", "1") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("PING") == "QUEUED"
    assert c.cmd("EXEC") is None


def test_watch_own_write_aborts(c):
    assert c.cmd("SET", "k", "1") == "OK"
    assert c.cmd("WATCH", "k") == "OK"
    assert c.cmd("SET", "k", "2") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "k", "3") == "QUEUED"
    assert c.cmd("EXEC") is None
    assert c.cmd("GET", "k") == b"2"


def test_exec_unwatches(clients):
    c, other = clients(), clients()
    assert c.cmd("WATCH", "k") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "k", "1") == "QUEUED"
    assert c.cmd("EXEC") == ["OK"]
    assert other.cmd("SET", "k", "2") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("GET", "k") == "QUEUED"
    assert c.cmd("EXEC") == [b"2"]


def test_aborted_exec_unwatches(clients):
    c, other = clients(), clients()
    assert c.cmd("WATCH", "k") == "OK"
    assert other.cmd("SET", "k", "1") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("EXEC") is None
    assert other.cmd("SET", "k", "2") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("GET", "k") == "QUEUED"
    assert c.cmd("EXEC") == [b"2"]


def test_discard_unwatches(clients):
    c, other = clients(), clients()
    assert c.cmd("WATCH", "k") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("DISCARD") == "OK"
    assert other.cmd("SET", "k", "1") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("GET", "k") == "QUEUED"
    assert c.cmd("EXEC") == [b"1"]


def test_unwatch(clients):
    c, other = clients(), clients()
    assert c.cmd("SET", "k", "1") == "OK"
    assert c.cmd("WATCH", "k") == "OK"
    assert c.cmd("UNWATCH") == "OK"
    assert other.cmd("SET", "k", "2") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("GET", "k") == "QUEUED"
    assert c.cmd("EXEC") == [b"2"]
    assert c.cmd("UNWATCH") == "OK"  # nothing watched: still OK
    assert c.cmd("WATCH") == Err("ERR wrong number of arguments for 'watch' command")


def test_watch_invalidated_by_expiry(c):
    assert c.cmd("SET", "k", "v", "PX", "100") == "OK"
    assert c.cmd("WATCH", "k") == "OK"
    expire_at = c.cmd("PEXPIRETIME", "k")
    wait_until(lambda: server_ms(c) > expire_at + 5, what="watched key to expire")
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "k", "new") == "QUEUED"
    assert c.cmd("EXEC") is None
    assert c.cmd("GET", "k") is None


@pytest.mark.parametrize("flush", [("FLUSHALL",), ("FLUSHALL", "ASYNC"), ("FLUSHDB",), ("FLUSHDB", "SYNC")])
def test_watch_invalidated_by_flush(clients, flush):
    c, other = clients(), clients()
    assert c.cmd("SET", "k", "1") == "OK"
    assert c.cmd("WATCH", "k") == "OK"
    assert other.cmd(*flush) == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "k", "2") == "QUEUED"
    assert c.cmd("EXEC") is None
    assert c.cmd("EXISTS", "k") == 0


def test_watch_invalidated_by_swapdb(clients):
    c, other = clients(), clients()
    assert c.cmd("SET", "k", "db0") == "OK"
    assert c.cmd("WATCH", "k") == "OK"
    assert other.cmd("SWAPDB", "0", "1") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("SET", "k", "x") == "QUEUED"
    assert c.cmd("EXEC") is None
    assert c.cmd("EXISTS", "k") == 0


def test_watch_in_db_swapped_in(clients):
    c, other = clients(), clients()
    assert other.cmd("SELECT", "1") == "OK"
    assert other.cmd("SET", "k", "db1") == "OK"
    assert c.cmd("SET", "k", "db0") == "OK"
    assert c.cmd("WATCH", "k") == "OK"
    assert other.cmd("SWAPDB", "1", "0") == "OK"
    assert c.cmd("MULTI") == "OK"
    assert c.cmd("GET", "k") == "QUEUED"
    assert c.cmd("EXEC") is None
    assert c.cmd("GET", "k") == b"db1"


# --- Sentinel's promotion transaction ---------------------------------------

def test_sentinel_promotion_transaction(clients):
    c, normal, sub = clients(), clients(), clients()
    assert normal.cmd("PING") == "PONG"
    assert sub.cmd("SUBSCRIBE", "__sentinel__:hello") == [b"subscribe", b"__sentinel__:hello", 1]
    assert c.cmd("MULTI") == "OK"
    # Every command must be accepted at queue time, otherwise EXEC aborts the promotion.
    assert c.cmd("SLAVEOF", "NO", "ONE") == "QUEUED"
    assert c.cmd("CONFIG", "REWRITE") == "QUEUED"
    assert c.cmd("CLIENT", "KILL", "TYPE", "normal") == "QUEUED"
    assert c.cmd("CLIENT", "KILL", "TYPE", "pubsub") == "QUEUED"
    reply = c.cmd("EXEC")
    assert isinstance(reply, list), reply
    assert len(reply) == 4
    assert reply[0] == "OK"
    assert reply[1] == "OK" or isinstance(reply[1], Err)  # CONFIG REWRITE may fail harmlessly
    # The caller is skipped; the other normal client and the subscriber are killed.
    assert reply[2] == 1
    assert reply[3] == 1
    assert normal.wait_closed()
    assert sub.wait_closed()
    assert c.cmd("PING") == "PONG"
    assert "role:master\r\n" in c.cmd("INFO", "replication").decode()


def test_sentinel_transaction_pipelined_exactly(clients):
    # Sentinel pipelines the whole block on one connection and discards replies.
    c = clients()
    replies = c.pipeline([("MULTI",), ("SLAVEOF", "NO", "ONE"), ("CONFIG", "REWRITE"),
                          ("CLIENT", "KILL", "TYPE", "normal"), ("CLIENT", "KILL", "TYPE", "pubsub"),
                          ("EXEC",)])
    assert replies[:5] == ["OK", "QUEUED", "QUEUED", "QUEUED", "QUEUED"]
    assert isinstance(replies[5], list) and len(replies[5]) == 4
    assert replies[5][0] == "OK"
    assert replies[5][2:] == [0, 0]
    info = c.cmd("INFO", "replication").decode()
    assert "role:master\r\n" in info

