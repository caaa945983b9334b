"""The agent's relay connection: one outbound websocket to the portal
(`/api/v2/workspaceagents/me/relay`) carrying many streams — web terminal sessions
(reconnecting PTYs), TCP connections to workspace ports, and SSH sessions.

Text frames are JSON control messages (`open`, `resize`, `close` from the portal;
`opened`, `close`, `ping` from the agent); binary frames are 16 bytes of stream UUID then
data. The connection is re-established with backoff until the agent stops; PTY sessions
survive reconnects.
"""
from __future__ import annotations

import json
import socket
import sys
import threading
import time
import uuid

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .client import TOKEN_HEADER
from .ptys import PtyManager
from .sockets import pump, send_or_close

PING_SECONDS = 10


class TcpStream:
    def __init__(self, port: int, sink, on_close, host: str = "127.0.0.1"):
        self.sock = socket.create_connection((host or "127.0.0.1", port), timeout=10)
        self.sock.settimeout(None)
        self.sink, self.on_close = sink, on_close
        threading.Thread(target=pump, args=(self.sock, self.sink, self.on_close), daemon=True).start()

    def write(self, data: bytes) -> None:
        send_or_close(self.sock, data, self.close)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Relay:
    def __init__(self, agent, ws, ptys: PtyManager):
        self.agent, self.ws, self.ptys = agent, ws, ptys
        self.send_lock = threading.Lock()
        self.streams: dict[str, object] = {}  # stream id -> PtySession | TcpStream | SshStream
        ptys.on_session_exit = self._pty_exited

    def send_json(self, message: dict) -> None:
        with self.send_lock:
            self.ws.send(json.dumps(message))

    def send_data(self, stream: str, data: bytes) -> None:
        try:
            with self.send_lock:
                self.ws.send(uuid.UUID(stream).bytes + data)
        except ConnectionClosed:
            pass

    def closed_by_agent(self, stream: str, error: str = "") -> None:
        if self.streams.pop(stream, None) is not None:
            try:
                self.send_json({"op": "close", "stream": stream, "error": error})
            except ConnectionClosed:
                pass

    def _pty_exited(self, session) -> None:
        for stream in list(session.streams):
            self.closed_by_agent(stream)

    def teardown(self) -> None:
        """The connection is gone: detach from PTYs (they wait for a reconnect), close the rest."""
        for stream, target in list(self.streams.items()):
            if hasattr(target, "detach"):
                target.detach(stream)
            elif hasattr(target, "close"):
                target.close()
        self.streams.clear()

    def serve(self) -> None:
        last_ping, generation = time.monotonic(), self.agent.generation
        while not self.agent.stop.is_set():
            try:
                frame = self.ws.recv(timeout=1)
            except TimeoutError:
                frame = None
            if frame is not None:
                self.handle(frame)
            # A ping at once after an update build: the portal moves this connection to the
            # new agent row when it sees one.
            if time.monotonic() - last_ping > PING_SECONDS or generation != self.agent.generation:
                generation = self.agent.generation
                self.send_json({"op": "ping"})
                self.ptys.reap_idle()
                last_ping = time.monotonic()

    def handle(self, frame) -> None:
        if isinstance(frame, bytes):
            target = self.streams.get(str(uuid.UUID(bytes=frame[:16])))
            if target is not None:
                target.write(frame[16:])
            return
        message = json.loads(frame)
        stream, op = message.get("stream", ""), message.get("op")
        if op == "open":
            self.open(stream, message)
        elif op == "resize" and hasattr(self.streams.get(stream), "resize"):
            self.streams[stream].resize(int(message["width"]), int(message["height"]))
        elif op == "close":
            target = self.streams.pop(stream, None)
            if hasattr(target, "detach"):
                target.detach(stream)  # the PTY lives on for a reconnect
            elif target is not None:
                target.close()

    def open(self, stream: str, message: dict) -> None:
        sink = lambda data: self.send_data(stream, data)  # noqa: E731
        try:
            kind = message.get("kind")
            if kind == "pty":
                session = self.ptys.get_or_start(
                    message["reconnect"], command=message.get("command") or "", env=self.agent.environment(),
                    cwd=self.agent.directory(), width=int(message.get("width") or 80),
                    height=int(message.get("height") or 24))
                session.resize(int(message.get("width") or 80), int(message.get("height") or 24))
                self.streams[stream] = session
                self.send_json({"op": "opened", "stream": stream})
                session.attach(stream, sink)
                return
            if kind == "tcp":
                # `host` is set by the app proxy (the app's URL host, usually localhost).
                self.streams[stream] = TcpStream(int(message["port"]), sink,
                                                 lambda: self.closed_by_agent(stream), host=message.get("host", ""))
            elif kind == "ssh":
                try:
                    from .sshd import SshStream
                except ImportError as exc:
                    raise ImportError(f"SSH server unavailable: the workspace's {sys.executable} lacks "
                                      f"{exc.name or exc}") from None

                self.streams[stream] = SshStream(self.agent, sink, lambda: self.closed_by_agent(stream))
            else:
                raise ValueError(f"unknown stream kind {kind!r}")
        except (OSError, ValueError, KeyError, ImportError) as exc:
            self.agent.log(f"relay: cannot open {message.get('kind')!r} stream: {exc}", "error")
            self.streams[stream] = object()
            self.closed_by_agent(stream, str(exc) or type(exc).__name__)
            return
        self.send_json({"op": "opened", "stream": stream})


def relay_url(url: str) -> str:
    base = url.rstrip("/")
    base = "wss://" + base[8:] if base.startswith("https://") else "ws://" + base.split("://", 1)[-1]
    return base + "/api/v2/workspaceagents/me/relay"


def relay_service(agent) -> None:
    """Keep the relay connected until the agent stops (run in its own thread)."""
    ptys = PtyManager()
    delay = 1.0
    while not agent.stop.is_set():
        try:
            with connect(relay_url(agent.url), additional_headers={TOKEN_HEADER: agent.client.token},
                         open_timeout=10, max_size=None, ping_interval=20) as ws:
                delay = 1.0
                relay = Relay(agent, ws, ptys)
                try:
                    relay.serve()
                finally:
                    relay.teardown()
        except (OSError, ConnectionClosed, TimeoutError, Exception):  # noqa: BLE001 - any failure: reconnect
            pass
        agent.stop.wait(delay)
        delay = min(delay * 2, 10.0)
    ptys.close_all()
