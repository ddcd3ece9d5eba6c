"""Fixtures that start real server processes on free loopback ports.

By default the server under test is build/keel-server; KEEL_SERVER_BIN=redis-server
runs the same suite against Debian's Redis (that is how the tests themselves are
validated).  Every process a test starts is stopped when the test ends.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER_BIN = os.environ.get("KEEL_SERVER_BIN") or os.path.join(ROOT, "build", "keel-server")
REDIS_BIN = "/usr/bin/redis-server"  # Debian's Redis 7.0, the reference for interop tests
IS_REDIS = os.path.basename(SERVER_BIN).startswith("redis")


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=10.0, interval=0.02, what="condition"):
    """Poll pred() until it is truthy; return its value or fail after timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - keep polling through transient errors
            last_exc = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}" + (f" (last error: {last_exc!r})" if last_exc else ""))


class Server:
    """One running server process."""

    def __init__(self, args=(), config_text=None, port=None, wait=True, env=None, password=None,
                 binary=None):
        """binary: another server executable (REDIS_BIN for a reference Redis)."""
        self.dir = tempfile.mkdtemp(prefix="keel-test-")
        self.port = port or free_port()
        self.config_file = os.path.join(self.dir, "server.conf")
        with open(self.config_file, "w") as f:
            f.write(config_text or "")
        self.logfile = os.path.join(self.dir, "server.log")
        self.args = [binary or SERVER_BIN, self.config_file, "--port", str(self.port), "--bind", "127.0.0.1",
                     "--dir", self.dir, "--logfile", self.logfile, "--save", "",
                     "--appendonly", "no", *map(str, args)]
        self.password = password
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=env)
        if wait:
            try:
                self.wait_ready()
            except BaseException:
                self.cleanup()
                raise

    def wait_ready(self, timeout=10.0):
        def ping():
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}: {self.log()[-2000:]}"
                                     f"{self.proc.stderr.read().decode(errors='replace')[-2000:]}")
            return self.client(socket_timeout=1, password=self.password).ping()
        wait_until(ping, timeout, what=f"server on port {self.port}")

    def client(self, **kw):
        kw.setdefault("socket_timeout", 10)
        kw.setdefault("password", self.password)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def freeze(self):
        """SIGSTOP: the process stops reading and answering (undone by thaw or cleanup)."""
        self.proc.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        if getattr(self, "frozen", False):
            self.proc.send_signal(signal.SIGCONT)
            self.frozen = False

    def kill(self):
        self.thaw()
        self.stop(signal.SIGKILL)

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def quick_stop(self):
        """SHUTDOWN NOSAVE over a raw socket: answered at once (Redis notices a
        SIGTERM only on its next cron tick, which slows a suite down)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                if self.password:
                    s.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(self.password), self.password.encode()))
                    s.recv(100)
                s.sendall(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
                s.recv(100)
            self.proc.wait(5)
        except Exception:  # noqa: BLE001 - SIGTERM below takes over
            pass

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc.poll() is None and sig == signal.SIGTERM:
            self.quick_stop()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def cleanup(self):
        self.thaw()
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def start_server():
    """Factory: start_server(args=[...], config_text="...") -> Server; all stopped at teardown."""
    started = []

    def start(*a, **kw):
        s = Server(*a, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.cleanup()


@pytest.fixture
def start_redis():
    """Factory like start_server, but always Debian's redis-server (interop tests)."""
    started = []

    def start(*a, **kw):
        s = Server(*a, binary=REDIS_BIN, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.cleanup()


@pytest.fixture
def server(start_server):
    """A single default server."""
    return start_server()


@pytest.fixture
def r(server):
    """A redis-py client (bytes replies) connected to the default server."""
    c = server.client()
    yield c
    c.close()


@pytest.fixture
def clients(server):
    """Factory for raw RESP connections (util.RawClient, which keeps the wire
    types) to the default server; all closed at teardown."""
    from util import RawClient

    made = []

    def make():
        cl = RawClient(server.port)
        made.append(cl)
        return cl

    yield make
    for cl in made:
        cl.close()


@pytest.fixture
def c(clients):
    """One raw RESP connection to the default server."""
    return clients()
