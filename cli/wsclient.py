"""A small blocking websocket client (RFC 6455) on the standard library, so `ssh --stdio` and
`port-forward` work on any python3 >= 3.9 with nothing installed: the client handshake,
masked binary frames out, fragmented messages in, ping/pong and the close handshake (its
code and reason are kept: the relay says there why a stream ended). One thread may send
while another reads."""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import struct
import threading
import urllib.parse

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEADER = 64 * 1024


class HandshakeError(OSError):
    pass


class Closed(Exception):
    pass


class WebSocket:
    def __init__(self, sock: socket.socket, buffered: bytes = b""):
        self.sock = sock
        self.buffer = buffered
        self.send_lock = threading.Lock()
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed = False

    # -- sending --------------------------------------------------------------------------
    def _frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        with self.send_lock:
            self.sock.sendall(header + mask + _mask(payload, mask))

    def send(self, data) -> None:
        if self.closed:
            raise Closed()
        if isinstance(data, str):
            self._frame(0x1, data.encode())
        else:
            self._frame(0x2, bytes(data))

    def close(self, code: int = 1000) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._frame(0x8, struct.pack("!H", code))
            except OSError:
                pass
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    # -- receiving ------------------------------------------------------------------------
    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buffer)))
            if not chunk:
                raise Closed()
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _next_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        mask = self._read(4) if second & 0x80 else b""
        payload = self._read(length)
        if mask:
            payload = _mask(payload, mask)
        return bool(first & 0x80), first & 0x0F, payload

    def __iter__(self):
        """Yield each message (bytes for binary, str for text) until the connection closes."""
        parts, kind = [], 0
        try:
            while True:
                fin, opcode, payload = self._next_frame()
                if opcode == 0x8:
                    if len(payload) >= 2:
                        self.close_code = struct.unpack("!H", payload[:2])[0]
                        self.close_reason = payload[2:].decode(errors="replace")
                    else:
                        self.close_code = 1005
                    self.close(self.close_code if self.close_code not in (1005, 1006) else 1000)
                    return
                if opcode == 0x9:
                    self._frame(0xA, payload)
                    continue
                if opcode == 0xA:
                    continue
                if opcode in (0x1, 0x2):
                    parts, kind = [payload], opcode
                else:  # continuation
                    parts.append(payload)
                if fin:
                    message = b"".join(parts)
                    yield message.decode(errors="replace") if kind == 0x1 else message
                    parts = []
        except (Closed, OSError):
            if self.close_code is None:
                self.close_code = 1006
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        try:
            self.sock.close()
        except OSError:
            pass


def _mask(payload: bytes, mask: bytes) -> bytes:
    # XOR in one big-integer operation: fast enough for megabytes without a C extension.
    n = len(payload)
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def connect(url: str, headers: dict | None = None, timeout: float = 15.0) -> WebSocket:
    parts = urllib.parse.urlsplit(url)
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    sock = socket.create_connection((parts.hostname, port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if secure:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13", "User-Agent: coderportal-cli"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(4096)
            if not chunk:
                raise HandshakeError("the portal closed the connection during the websocket handshake")
            response += chunk
            if len(response) > MAX_HEADER:
                raise HandshakeError("the websocket handshake answer is too large")
        head, _, rest = response.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
        status = status_line.split(" ", 2)
        if len(status) < 2 or status[1] != "101":
            raise HandshakeError(f"the portal answered {' '.join(status[1:]) or status_line!r} instead of "
                                 f"switching to a websocket")
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if fields.get("sec-websocket-accept") != accept:
            raise HandshakeError("the websocket handshake answer is not valid")
        sock.settimeout(None)
        return WebSocket(sock, rest)
    except BaseException:
        sock.close()
        raise
