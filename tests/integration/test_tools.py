"""Smoke tests with Redis's own command-line tools (Debian's redis-tools) against the server.

redis-cli and redis-benchmark are what people will point at Keel first: plain commands,
mass insertion with --pipe, INFO, and the benchmark's command mix must all work.
"""
import re
import shutil
import subprocess

import pytest

TIMEOUT = 120


def tool(name):
    path = shutil.which(name)
    if not path:
        pytest.skip(f"{name} is not installed (Debian package redis-tools: scripts/setup --test)")
    return path


def cli(server, *args, stdin=None):
    """Run redis-cli against the server; return (exit status, stdout, stderr) as text."""
    res = subprocess.run([tool("redis-cli"), "-h", "127.0.0.1", "-p", str(server.port), *args],
                         input=stdin, capture_output=True, timeout=TIMEOUT)
    return res.returncode, res.stdout.decode(errors="replace"), res.stderr.decode(errors="replace")


def test_cli_ping(server):
    rc, out, err = cli(server, "ping")
    assert rc == 0, err
    assert out.strip() == "PONG"


def test_cli_set_get(server, r):
    rc, out, err = cli(server, "set", "tools:greeting", "hello world")
    assert (rc, out.strip()) == (0, "OK"), err
    rc, out, err = cli(server, "get", "tools:greeting")
    assert (rc, out.strip()) == (0, "hello world"), err
    assert r.get("tools:greeting") == b"hello world"
    rc, out, err = cli(server, "get", "tools:missing")
    assert rc == 0, err
    assert out.strip() == ""  # nil is an empty line when stdout is not a terminal


def test_cli_pipe_mass_insert(server, r):
    n = 1000
    stream = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                      % (len(k), k, len(v), v)
                      for k, v in ((b"mass:%d" % i, b"value-%d" % i) for i in range(n)))
    rc, out, err = cli(server, "--pipe", stdin=stream)
    assert rc == 0, out + err
    assert re.search(rf"errors: 0, replies: {n}\b", out + err), out + err
    assert r.dbsize() == n
    assert r.get("mass:0") == b"value-0"
    assert r.get(f"mass:{n - 1}") == f"value-{n - 1}".encode()
    assert r.mget("mass:1", "mass:500", "mass:999") == [b"value-1", b"value-500", b"value-999"]


def test_cli_info_server(server):
    rc, out, err = cli(server, "info", "server")
    assert rc == 0, err
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    assert lines[0] == "# Server"
    fields = dict(line.split(":", 1) for line in lines if not line.startswith("#"))
    assert re.fullmatch(r"\d+\.\d+\.\d+", fields["redis_version"])
    assert int(fields["process_id"]) == server.proc.pid
    assert int(fields["tcp_port"]) == server.port
    assert int(fields["uptime_in_seconds"]) >= 0
    assert re.fullmatch(r"[0-9a-f]{40}", fields["run_id"])
    # Only the server section was asked for.
    assert "# Memory" not in out and "used_memory" not in fields


def test_benchmark_smoke(server):
    bench = tool("redis-benchmark")
    res = subprocess.run([bench, "-h", "127.0.0.1", "-p", str(server.port),
                          "-t", "set,get,ping_inline,ping_mbulk", "-n", "2000", "-q", "-c", "10"],
                         capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    out = res.stdout.decode(errors="replace")
    err = res.stderr.decode(errors="replace")
    assert res.returncode == 0, out + err
    # -q prints progress lines ending in \r, then one final line per test.
    results = {}
    for line in re.split(r"[\r\n]+", out):
        m = re.match(r"\s*([A-Z_]+): ([0-9.]+) requests per second", line)
        if m:
            results[m.group(1)] = float(m.group(2))
    assert set(results) == {"SET", "GET", "PING_INLINE", "PING_MBULK"}, out
    assert all(rps > 0 for rps in results.values()), results
    assert "error" not in (out + err).lower(), out + err
