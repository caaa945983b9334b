"""Moving bytes between a local socket and a relay stream (shared by TCP forwards and SSH)."""
from __future__ import annotations

import socket

READ_SIZE = 1 << 20  # read all that is queued: fewer, larger relay messages


def pump(sock: socket.socket, sink, on_close) -> None:
    """Forward everything `sock` receives to `sink` until it closes, then call `on_close`."""
    while True:
        try:
            data = sock.recv(READ_SIZE)
        except OSError:
            data = b""
        if not data:
            break
        sink(data)
    on_close()


def send_or_close(sock: socket.socket, data: bytes, close) -> None:
    try:
        sock.sendall(data)
    except OSError:
        close()
