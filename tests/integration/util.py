"""Helpers shared by the integration tests: a small raw RESP2/RESP3 client.

redis-py post-processes many replies (SET -> True, CONFIG GET -> dict, ...), which
hides the exact wire shape.  RawClient speaks RESP over a plain socket and returns
replies with their RESP type kept:

    +simple        -> str
    -error         -> Err (a str subclass; never raised)
    :integer       -> int
    $bulk          -> bytes          ($-1 -> None)
    *array         -> list           (*-1 -> None)
    _ (null)       -> None
    ,double        -> float
    #boolean       -> bool
    (big number    -> int
    =verbatim      -> Verbatim(bytes), .fmt holds the 3-letter format
    %map           -> Map (a list of (key, value) pairs, order kept; .dict())
    ~set           -> RespSet (a list subclass)
    |attribute     -> skipped (the following reply is returned)
    >push          -> Push (a list subclass)
"""
import socket
import time


class Err(str):
    """An error reply, e.g. Err('ERR syntax error')."""

    @property
    def prefix(self):
        return self.split(" ", 1)[0]


class Verbatim(bytes):
    fmt = b""


class Map(list):
    def dict(self):
        return dict(self)


class RespSet(list):
    pass


class Push(list):
    pass


class ConnectionClosed(Exception):
    pass


def encode_command(*args):
    """Encode args as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, (int, float)):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawClient:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    # --- low level -------------------------------------------------------
    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionClosed("server closed the connection")
        self.buf += chunk

    def read_line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_available(self, timeout=0.2):
        """Whatever bytes arrive within timeout (buffered bytes first)."""
        data, self.buf = self.buf, b""
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, BlockingIOError):
            pass
        finally:
            self.sock.settimeout(old)
        return data

    # --- RESP parser -----------------------------------------------------
    def read(self):
        line = self.read_line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return Err(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"(":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.read_exact(n + 2)
            return data[:-2]
        if t == b"=":
            n = int(rest)
            data = self.read_exact(n + 2)[:-2]
            v = Verbatim(data[4:])
            v.fmt = data[:3]
            return v
        if t == b"!":
            n = int(rest)
            return Err(self.read_exact(n + 2)[:-2].decode())
        if t == b"_":
            return None
        if t == b",":
            s = rest.decode()
            return float({"inf": "inf", "-inf": "-inf"}.get(s, s))
        if t == b"#":
            return rest == b"t"
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            items = [self.read() for _ in range(n)]
            return {b"*": list, b"~": RespSet, b">": Push}[t](items)
        if t == b"%":
            n = int(rest)
            return Map((self.read(), self.read()) for _ in range(n))
        if t == b"|":
            n = int(rest)
            for _ in range(2 * n):
                self.read()
            return self.read()
        raise AssertionError(f"unexpected RESP type byte in line {line!r}")

    # --- conveniences ----------------------------------------------------
    def send(self, *args):
        self.send_raw(encode_command(*args))

    def cmd(self, *args):
        self.send(*args)
        return self.read()

    def pipeline(self, commands):
        self.send_raw(b"".join(encode_command(*c) for c in commands))
        return [self.read() for _ in commands]

    def wait_closed(self, timeout=10.0):
        """True once the server has closed this connection (EOF or reset)."""
        deadline = time.monotonic() + timeout
        old = self.sock.gettimeout()
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    return True
                if not chunk:
                    return True
                self.buf += chunk
            return False
        finally:
            self.sock.settimeout(old)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parse_reply(data):
    """Parse one complete reply from bytes (e.g. bytes captured with raw_reply_bytes)."""
    parser = RawClient.__new__(RawClient)
    parser.buf = data

    def no_more():
        raise AssertionError(f"incomplete reply: {data[:80]!r}")

    parser._fill = no_more
    value = parser.read()
    assert parser.buf == b"", f"trailing bytes after the reply: {parser.buf[:80]!r}"
    return value


def raw_reply_bytes(client):
    """Read one reply from a RawClient and return its exact wire bytes."""
    total_before = client.buf
    added = []
    orig_fill = client._fill

    def recording_fill():
        before = len(client.buf)
        orig_fill()
        added.append(client.buf[before:])

    client._fill = recording_fill
    try:
        client.read()
    finally:
        del client._fill
    stream = total_before + b"".join(added)
    consumed = stream[:len(stream) - len(client.buf)]
    return bytes(consumed)


def parse_info(text):
    """INFO text -> {field: value-string}; section headers are skipped."""
    if isinstance(text, bytes):
        text = text.decode()
    out = {}
    for line in text.split("\r\n"):
        if not line or line.startswith("#"):
            continue
        k, _, v = line.partition(":")
        out[k] = v
    return out


def info_sections(text):
    """Section names ('# Server' -> 'Server') in order."""
    if isinstance(text, bytes):
        text = text.decode()
    return [line[2:] for line in text.split("\r\n") if line.startswith("# ")]
