"""Pub/Sub: subscription replies, delivery, introspection and keyspace notifications."""
import pytest

from conftest import wait_until
from util import Err, Map, Push


def subscribe(cl, cmd, *names):
    cl.send(cmd, *names)
    return [cl.read() for _ in names]


def refused(cmd):
    return Err(f"ERR Can't execute '{cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
               "PING / QUIT / RESET are allowed in this context")


# --- subscription replies ----------------------------------------------------

def test_subscribe_unsubscribe_replies(clients):
    s = clients()
    assert subscribe(s, "SUBSCRIBE", "a", "b", "a") == [
        [b"subscribe", b"a", 1], [b"subscribe", b"b", 2], [b"subscribe", b"a", 2]]
    assert s.cmd("UNSUBSCRIBE", "a") == [b"unsubscribe", b"a", 1]
    assert s.cmd("UNSUBSCRIBE", "zz") == [b"unsubscribe", b"zz", 1]
    assert s.cmd("UNSUBSCRIBE") == [b"unsubscribe", b"b", 0]
    assert s.cmd("UNSUBSCRIBE") == [b"unsubscribe", None, 0]
    # Out of subscribed mode again: normal commands work.
    assert s.cmd("SET", "k", "v") == "OK"


def test_psubscribe_punsubscribe_counts(clients):
    s = clients()
    assert subscribe(s, "SUBSCRIBE", "c1", "c2") == [[b"subscribe", b"c1", 1], [b"subscribe", b"c2", 2]]
    assert subscribe(s, "PSUBSCRIBE", "p*", "q?") == [[b"psubscribe", b"p*", 3], [b"psubscribe", b"q?", 4]]
    assert s.cmd("PSUBSCRIBE", "p*") == [b"psubscribe", b"p*", 4]
    assert s.cmd("PUNSUBSCRIBE", "p*") == [b"punsubscribe", b"p*", 3]
    assert s.cmd("PUNSUBSCRIBE", "nope*") == [b"punsubscribe", b"nope*", 3]
    assert s.cmd("PUNSUBSCRIBE") == [b"punsubscribe", b"q?", 2]
    assert s.cmd("PUNSUBSCRIBE") == [b"punsubscribe", None, 2]
    s.send("UNSUBSCRIBE")
    got = sorted([s.read(), s.read()], key=lambda m: m[2])
    assert got == [[b"unsubscribe", got[0][1], 0], [b"unsubscribe", got[1][1], 1]]
    assert {got[0][1], got[1][1]} == {b"c1", b"c2"}
    assert s.cmd("PUNSUBSCRIBE") == [b"punsubscribe", None, 0]


def test_unsubscribe_without_subscriptions(clients):
    s = clients()
    assert s.cmd("UNSUBSCRIBE") == [b"unsubscribe", None, 0]
    assert s.cmd("PUNSUBSCRIBE") == [b"punsubscribe", None, 0]
    assert s.cmd("SUNSUBSCRIBE") == [b"sunsubscribe", None, 0]
    assert s.cmd("PING") == "PONG"


def test_subscribe_arity(clients):
    s = clients()
    assert s.cmd("SUBSCRIBE") == Err("ERR wrong number of arguments for 'subscribe' command")
    assert s.cmd("PSUBSCRIBE") == Err("ERR wrong number of arguments for 'psubscribe' command")
    assert s.cmd("PUBLISH", "a") == Err("ERR wrong number of arguments for 'publish' command")
    assert s.cmd("PING") == "PONG"


# --- delivery --------------------------------------------------------------------

def test_message_delivery(clients):
    s, p = clients(), clients()
    subscribe(s, "SUBSCRIBE", "news", "other")
    assert p.cmd("PUBLISH", "news", "hello") == 1
    assert s.read() == [b"message", b"news", b"hello"]
    assert p.cmd("PUBLISH", "nobody", "x") == 0
    binary = b"\x00\r\n\xff payload"
    assert p.cmd("PUBLISH", "other", binary) == 1
    assert s.read() == [b"message", b"other", binary]
    assert p.cmd("PUBLISH", "news", "") == 1
    assert s.read() == [b"message", b"news", b""]
    # Delivery order follows publish order.
    assert p.pipeline([("PUBLISH", "news", str(i)) for i in range(50)]) == [1] * 50
    assert [s.read() for _ in range(50)] == [[b"message", b"news", str(i).encode()] for i in range(50)]


def test_pmessage_delivery_and_publish_count(clients):
    s1, s2, p = clients(), clients(), clients()
    subscribe(s1, "SUBSCRIBE", "news.tech")
    subscribe(s1, "PSUBSCRIBE", "news.*")
    subscribe(s2, "PSUBSCRIBE", "news.*", "*tech", "zzz*")
    # s1 counts twice (channel + pattern), s2 twice (two matching patterns).
    assert p.cmd("PUBLISH", "news.tech", "m1") == 4
    assert s1.read() == [b"message", b"news.tech", b"m1"]
    assert s1.read() == [b"pmessage", b"news.*", b"news.tech", b"m1"]
    got = [s2.read(), s2.read()]
    assert sorted(got) == sorted([[b"pmessage", b"news.*", b"news.tech", b"m1"],
                                  [b"pmessage", b"*tech", b"news.tech", b"m1"]])
    assert p.cmd("PUBLISH", "news.sport", "m2") == 2
    assert s1.read() == [b"pmessage", b"news.*", b"news.sport", b"m2"]
    assert s2.read() == [b"pmessage", b"news.*", b"news.sport", b"m2"]
    assert p.cmd("PUBLISH", "sport", "m3") == 0


@pytest.mark.parametrize("pattern,matching,not_matching", [
    ("h?llo", ["hello", "hallo"], ["hllo", "heello"]),
    ("h[ae]llo", ["hello", "hallo"], ["hillo"]),
    ("h[^e]llo", ["hallo", "hxllo"], ["hello"]),
    ("h[a-c]llo", ["hallo", "hbllo"], ["hdllo"]),
    ("h\\*llo", ["h*llo"], ["hello"]),
    ("[-+]sdown", ["+sdown", "-sdown"], ["sdown", "xsdown"]),
])
def test_pattern_globs(clients, pattern, matching, not_matching):
    s, p = clients(), clients()
    subscribe(s, "PSUBSCRIBE", pattern)
    for ch in matching:
        assert p.cmd("PUBLISH", ch, "m") == 1, ch
        assert s.read() == [b"pmessage", pattern.encode(), ch.encode(), b"m"]
    for ch in not_matching:
        assert p.cmd("PUBLISH", ch, "m") == 0, ch


def test_publisher_other_connection_receives(clients):
    # A process that publishes on one connection and listens on another (Sentinel's hello).
    sub, pub = clients(), clients()
    subscribe(sub, "SUBSCRIBE", "__sentinel__:hello")
    assert pub.cmd("PUBLISH", "__sentinel__:hello", "127.0.0.1,26379,abc,0") == 1
    assert sub.read() == [b"message", b"__sentinel__:hello", b"127.0.0.1,26379,abc,0"]


def test_many_subscribers(clients):
    subs = [clients() for _ in range(20)]
    for s in subs:
        assert s.cmd("SUBSCRIBE", "fan") == [b"subscribe", b"fan", 1]
    p = clients()
    assert p.cmd("PUBLISH", "fan", "x") == 20
    for s in subs:
        assert s.read() == [b"message", b"fan", b"x"]


def test_subscribed_mode_refuses_commands_resp2(clients):
    s = clients()
    subscribe(s, "SUBSCRIBE", "a")
    assert s.cmd("GET", "x") == refused("get")
    assert s.cmd("SET", "x", "1") == refused("set")
    assert s.cmd("SELECT", "1") == refused("select")
    assert s.cmd("PUBLISH", "a", "x") == refused("publish")
    assert s.cmd("PING") == [b"pong", b""]
    assert s.cmd("PING", "hi") == [b"pong", b"hi"]
    assert s.cmd("PSUBSCRIBE", "p*") == [b"psubscribe", b"p*", 2]
    assert s.cmd("SSUBSCRIBE", "sh") == [b"ssubscribe", b"sh", 1]
    assert s.cmd("SUNSUBSCRIBE", "sh") == [b"sunsubscribe", b"sh", 0]
    assert s.cmd("PUNSUBSCRIBE", "p*") == [b"punsubscribe", b"p*", 1]
    # Still subscribed to "a": refusal continues, and the connection stays usable.
    assert s.cmd("GET", "x") == refused("get")
    p = clients()
    assert p.cmd("PUBLISH", "a", "still") == 1
    assert s.read() == [b"message", b"a", b"still"]
    assert s.cmd("UNSUBSCRIBE", "a") == [b"unsubscribe", b"a", 0]
    assert s.cmd("GET", "x") is None
    assert s.cmd("PING") == "PONG"


def test_reset_leaves_subscribed_mode(clients):
    s, p = clients(), clients()
    subscribe(s, "SUBSCRIBE", "a")
    subscribe(s, "PSUBSCRIBE", "b*")
    assert s.cmd("RESET") == "RESET"
    assert s.cmd("GET", "x") is None
    assert p.cmd("PUBLISH", "a", "x") == 0
    assert p.cmd("PUBLISH", "bb", "x") == 0


def test_quit_in_subscribed_mode(clients):
    s, p = clients(), clients()
    subscribe(s, "SUBSCRIBE", "a")
    assert s.cmd("QUIT") == "OK"
    assert s.wait_closed()
    wait_until(lambda: p.cmd("PUBSUB", "NUMSUB", "a") == [b"a", 0], what="subscription to go away")


def test_resp3_subscriber_may_run_commands(clients):
    s, p = clients(), clients()
    hello = s.cmd("HELLO", "3")
    assert isinstance(hello, Map)
    reply = s.cmd("SUBSCRIBE", "a")
    assert isinstance(reply, Push) and reply == [b"subscribe", b"a", 1]
    assert s.cmd("SET", "k", "v") == "OK"
    assert s.cmd("GET", "k") == b"v"
    assert s.cmd("PING") == "PONG"
    assert p.cmd("PUBLISH", "a", "m") == 1
    msg = s.read()
    assert isinstance(msg, Push) and msg == [b"message", b"a", b"m"]
    reply = s.cmd("UNSUBSCRIBE", "a")
    assert isinstance(reply, Push) and reply == [b"unsubscribe", b"a", 0]


# --- introspection -------------------------------------------------------------

def test_pubsub_channels_numsub_numpat(clients):
    q = clients()
    assert q.cmd("PUBSUB", "CHANNELS") == []
    assert q.cmd("PUBSUB", "NUMPAT") == 0
    assert q.cmd("PUBSUB", "NUMSUB") == []
    s1, s2 = clients(), clients()
    subscribe(s1, "SUBSCRIBE", "news.a", "news.b", "misc")
    subscribe(s2, "SUBSCRIBE", "news.a")
    subscribe(s1, "PSUBSCRIBE", "x*", "y*")
    subscribe(s2, "PSUBSCRIBE", "x*")
    assert sorted(q.cmd("PUBSUB", "CHANNELS")) == [b"misc", b"news.a", b"news.b"]
    assert sorted(q.cmd("PUBSUB", "CHANNELS", "news.*")) == [b"news.a", b"news.b"]
    assert q.cmd("PUBSUB", "CHANNELS", "zz*") == []
    assert q.cmd("PUBSUB", "NUMSUB", "news.a", "misc", "none", "news.a") == [
        b"news.a", 2, b"misc", 1, b"none", 0, b"news.a", 2]
    assert q.cmd("PUBSUB", "NUMPAT") == 2  # distinct patterns
    # Patterns are not channels.
    assert b"x*" not in q.cmd("PUBSUB", "CHANNELS")
    s1.close()
    wait_until(lambda: q.cmd("PUBSUB", "NUMSUB", "news.a", "misc") == [b"news.a", 1, b"misc", 0],
               what="closed subscriber to be removed")
    assert q.cmd("PUBSUB", "CHANNELS") == [b"news.a"]
    assert q.cmd("PUBSUB", "NUMPAT") == 1


def test_pubsub_errors(clients):
    q = clients()
    assert q.cmd("PUBSUB", "FOO") == Err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.")
    assert q.cmd("PUBSUB") == Err("ERR wrong number of arguments for 'pubsub' command")
    assert q.cmd("PUBSUB", "NUMPAT", "x") == Err("ERR wrong number of arguments for 'pubsub|numpat' command")
    assert q.cmd("PUBSUB", "CHANNELS", "a", "b") == \
        Err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
    helptext = q.cmd("PUBSUB", "HELP")
    assert isinstance(helptext, list)
    assert helptext[0] == "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"


# --- sharded pub/sub ----------------------------------------------------------

def test_ssubscribe_spublish_sunsubscribe(clients):
    s, p = clients(), clients()
    assert subscribe(s, "SSUBSCRIBE", "sh1", "sh2") == [
        [b"ssubscribe", b"sh1", 1], [b"ssubscribe", b"sh2", 2]]
    assert s.cmd("SSUBSCRIBE", "sh1") == [b"ssubscribe", b"sh1", 2]
    assert p.cmd("SPUBLISH", "sh1", "hello") == 1
    assert s.read() == [b"smessage", b"sh1", b"hello"]
    assert p.cmd("SPUBLISH", "nobody", "x") == 0
    # Sharded and classic channels are separate namespaces.
    assert p.cmd("PUBLISH", "sh1", "x") == 0
    assert p.cmd("PUBSUB", "SHARDCHANNELS") in ([b"sh1", b"sh2"], [b"sh2", b"sh1"])
    assert p.cmd("PUBSUB", "SHARDCHANNELS", "*1") == [b"sh1"]
    assert p.cmd("PUBSUB", "CHANNELS") == []
    assert p.cmd("PUBSUB", "SHARDNUMSUB", "sh1", "zz") == [b"sh1", 1, b"zz", 0]
    assert p.cmd("PUBSUB", "NUMSUB", "sh1") == [b"sh1", 0]
    assert s.cmd("SUNSUBSCRIBE", "sh1") == [b"sunsubscribe", b"sh1", 1]
    assert s.cmd("SUNSUBSCRIBE", "zz") == [b"sunsubscribe", b"zz", 1]
    assert s.cmd("SUNSUBSCRIBE") == [b"sunsubscribe", b"sh2", 0]
    assert s.cmd("SUNSUBSCRIBE") == [b"sunsubscribe", None, 0]
    assert p.cmd("PUBSUB", "SHARDCHANNELS") == []
    assert s.cmd("GET", "x") is None


def test_shard_and_classic_counts_are_separate(clients):
    s = clients()
    assert s.cmd("SSUBSCRIBE", "a") == [b"ssubscribe", b"a", 1]
    assert s.cmd("SUBSCRIBE", "x") == [b"subscribe", b"x", 1]
    assert s.cmd("PSUBSCRIBE", "y*") == [b"psubscribe", b"y*", 2]
    assert s.cmd("SSUBSCRIBE", "b") == [b"ssubscribe", b"b", 2]
    assert s.cmd("GET", "x") == refused("get")


# --- keyspace notifications -----------------------------------------------------

@pytest.fixture
def notify(clients):
    admin = clients()
    assert admin.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA") == "OK"
    sub = clients()
    assert sub.cmd("PSUBSCRIBE", "__key*@*__:*") == [b"psubscribe", b"__key*@*__:*", 1]
    return admin, sub


def read_event_pair(sub):
    """Read the keyspace + keyevent pmessages for one event."""
    a, b = sub.read(), sub.read()
    return (a[2], a[3]), (b[2], b[3])


def test_notify_config_roundtrip(clients):
    c = clients()
    assert c.cmd("CONFIG", "GET", "notify-keyspace-events") == [b"notify-keyspace-events", b""]
    assert c.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA") == "OK"
    assert c.cmd("CONFIG", "GET", "notify-keyspace-events") == [b"notify-keyspace-events", b"AKE"]
    assert c.cmd("CONFIG", "SET", "notify-keyspace-events", "Ex") == "OK"
    assert c.cmd("CONFIG", "GET", "notify-keyspace-events") == [b"notify-keyspace-events", b"xE"]
    assert c.cmd("CONFIG", "SET", "notify-keyspace-events", "") == "OK"
    assert c.cmd("CONFIG", "GET", "notify-keyspace-events") == [b"notify-keyspace-events", b""]


def test_no_notifications_by_default(clients):
    sub, c = clients(), clients()
    subscribe(sub, "PSUBSCRIBE", "__key*")
    assert c.cmd("SET", "k", "v") == "OK"
    assert c.cmd("PUBLISH", "__keyspace@0__:k", "marker") == 1
    assert sub.read() == [b"pmessage", b"__key*", b"__keyspace@0__:k", b"marker"]


def test_notify_set_del(notify):
    c, sub = notify
    assert c.cmd("SET", "k", "v") == "OK"
    assert read_event_pair(sub) == ((b"__keyspace@0__:k", b"set"), (b"__keyevent@0__:set", b"k"))
    assert c.cmd("DEL", "k") == 1
    assert read_event_pair(sub) == ((b"__keyspace@0__:k", b"del"), (b"__keyevent@0__:del", b"k"))
    # Deleting a missing key emits nothing: the next event is the SET below.
    assert c.cmd("DEL", "k") == 0
    assert c.cmd("SELECT", "3") == "OK"
    assert c.cmd("SET", "k3", "v") == "OK"
    assert read_event_pair(sub) == ((b"__keyspace@3__:k3", b"set"), (b"__keyevent@3__:set", b"k3"))


def test_notify_expire_and_expired(notify):
    c, sub = notify
    assert c.cmd("SET", "k", "v") == "OK"
    read_event_pair(sub)
    assert c.cmd("PEXPIRE", "k", "50") == 1
    assert read_event_pair(sub) == ((b"__keyspace@0__:k", b"expire"), (b"__keyevent@0__:expire", b"k"))
    # Active expiry (nobody touches the key) emits "expired".
    assert read_event_pair(sub) == ((b"__keyspace@0__:k", b"expired"), (b"__keyevent@0__:expired", b"k"))
    assert c.cmd("EXISTS", "k") == 0


def test_notify_only_keyevent_class(clients):
    c, sub = clients(), clients()
    assert c.cmd("CONFIG", "SET", "notify-keyspace-events", "E$g") == "OK"
    subscribe(sub, "PSUBSCRIBE", "__key*@0__:*")
    assert c.cmd("SET", "k", "v") == "OK"
    assert sub.read() == [b"pmessage", b"__key*@0__:*", b"__keyevent@0__:set", b"k"]
    assert c.cmd("INCR", "n") == 1
    assert sub.read() == [b"pmessage", b"__key*@0__:*", b"__keyevent@0__:incrby", b"n"]
    assert c.cmd("DEL", "k", "n") == 2
    assert sub.read() == [b"pmessage", b"__key*@0__:*", b"__keyevent@0__:del", b"k"]
    assert sub.read() == [b"pmessage", b"__key*@0__:*", b"__keyevent@0__:del", b"n"]


def test_notify_string_events(notify):
    c, sub = notify
    cases = [
        (("SET", "k", "1"), b"set"),
        (("APPEND", "k", "2"), b"append"),
        (("INCR", "k"), b"incrby"),
        (("INCRBYFLOAT", "k", "1.5"), b"incrbyfloat"),
        (("SETRANGE", "k", "0", "x"), b"setrange"),
        (("RENAME", "k", "k2"), b"rename_from"),
    ]
    for cmd, event in cases:
        c.cmd(*cmd)
        assert read_event_pair(sub)[1] == (b"__keyevent@0__:" + event, b"k"), cmd
    assert read_event_pair(sub)[1] == (b"__keyevent@0__:rename_to", b"k2")
    assert c.cmd("PERSIST", "k2") == 0
    assert c.cmd("EXPIRE", "k2", "100") == 1
    assert read_event_pair(sub)[1] == (b"__keyevent@0__:expire", b"k2")
    assert c.cmd("PERSIST", "k2") == 1
    assert read_event_pair(sub)[1] == (b"__keyevent@0__:persist", b"k2")
