"""Reconnecting PTY sessions for the web terminal: a shell on a pseudo-terminal that
outlives the websocket that opened it. Output is kept in a scrollback buffer replayed to
whoever (re)attaches with the same reconnect id; a session nobody is attached to for
IDLE_SECONDS is closed, as Coder does."""
from __future__ import annotations

import fcntl
import os
import pwd
import signal
import struct
import termios
import threading
import time

SCROLLBACK_BYTES = 64 * 1024
IDLE_SECONDS = 300


def default_shell() -> str:
    shell = os.environ.get("SHELL")
    if not shell:
        try:
            shell = pwd.getpwuid(os.getuid()).pw_shell
        except KeyError:
            shell = ""
    return shell if shell and os.path.exists(shell) else "/bin/sh"


class PtySession:
    def __init__(self, reconnect: str, command: str, env: dict, cwd: str | None, width: int, height: int,
                 on_exit):
        self.reconnect = reconnect
        self.lock = threading.Lock()
        self.buffer = bytearray()
        self.streams: dict[str, object] = {}  # stream id -> sink(bytes)
        self.detached_at = time.monotonic()
        self.closed = False
        self._on_exit = on_exit
        argv = ["/bin/sh", "-c", command] if command else [default_shell(), "-l"]
        child_env = {**env, "TERM": "xterm-256color"}
        self.pid, self.fd = os.forkpty()
        if self.pid == 0:  # the child: exec the shell, never return into the agent
            try:
                if cwd:
                    os.chdir(cwd)
                os.execvpe(argv[0], argv, child_env)
            finally:
                os._exit(127)
        self.resize(width, height)
        threading.Thread(target=self._pump, name=f"pty-{reconnect}", daemon=True).start()

    def _pump(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            with self.lock:
                self.buffer += data
                del self.buffer[:-SCROLLBACK_BYTES]
                sinks = list(self.streams.values())
            for sink in sinks:
                sink(data)
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.closed = True
        self._on_exit(self)

    def attach(self, stream: str, sink) -> None:
        """Replay the scrollback then stream live output, with no gap or duplicate."""
        with self.lock:
            if self.buffer:
                sink(bytes(self.buffer))
            self.streams[stream] = sink

    def detach(self, stream: str) -> None:
        with self.lock:
            self.streams.pop(stream, None)
            if not self.streams:
                self.detached_at = time.monotonic()

    def write(self, data: bytes) -> None:
        try:
            os.write(self.fd, data)
        except OSError:
            pass

    def resize(self, width: int, height: int) -> None:
        try:
            fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        except OSError:
            pass

    def close(self) -> None:
        try:
            os.killpg(os.getpgid(self.pid), signal.SIGHUP)
        except OSError:
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass


class PtyManager:
    def __init__(self):
        self.sessions: dict[str, PtySession] = {}
        self.lock = threading.Lock()
        self.on_session_exit = None  # callable(session), set by the relay

    def get_or_start(self, reconnect: str, **kwargs) -> PtySession:
        with self.lock:
            session = self.sessions.get(reconnect)
            if session is None or session.closed:
                session = PtySession(reconnect, on_exit=self._exited, **kwargs)
                self.sessions[reconnect] = session
            return session

    def _exited(self, session: PtySession) -> None:
        with self.lock:
            if self.sessions.get(session.reconnect) is session:
                del self.sessions[session.reconnect]
        if self.on_session_exit:
            self.on_session_exit(session)

    def reap_idle(self) -> None:
        now = time.monotonic()
        with self.lock:
            idle = [s for s in self.sessions.values() if not s.streams and now - s.detached_at > IDLE_SECONDS]
        for session in idle:
            session.close()

    def close_all(self) -> None:
        with self.lock:
            sessions = list(self.sessions.values())
        for session in sessions:
            session.close()
