"""The agent's SSH server: terminates SSH sessions that arrive over the relay as a byte
stream (`/api/v2/workspaceagents/{id}/ssh`), with paramiko when the workspace's python has it.

Authentication is the portal's: a stream only reaches the agent after the portal checked
the `ssh` permission of the user on the workspace, so the server accepts the SSH-level
authentication as it is (Coder's agent does the same). Supported: shells and commands with
or without a PTY, environment requests, window changes, exit statuses, and `direct-tcpip`
channels (`ssh -L`).
"""
from __future__ import annotations

import os
import select
import socket
import struct
import subprocess
import threading

import paramiko

from .ptys import default_shell
from .sockets import pump, send_or_close

_host_key = None
_host_key_lock = threading.Lock()


def host_key():
    # One key per agent run; clients are configured not to pin it (config-ssh says so).
    global _host_key
    with _host_key_lock:
        if _host_key is None:
            _host_key = paramiko.RSAKey.generate(2048)
        return _host_key


class _Server(paramiko.ServerInterface):
    def __init__(self, stream):
        self.stream = stream
        self.ptys: dict[int, tuple[str, int, int]] = {}
        self.envs: dict[int, dict] = {}
        self.forwards: dict[int, socket.socket] = {}
        self.sessions: dict[int, "_Session"] = {}

    def get_allowed_auths(self, username):
        return "none,publickey,password,keyboard-interactive"

    def check_auth_none(self, username):
        return paramiko.AUTH_SUCCESSFUL

    def check_auth_publickey(self, username, key):
        return paramiko.AUTH_SUCCESSFUL

    def check_auth_password(self, username, password):
        return paramiko.AUTH_SUCCESSFUL

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_direct_tcpip_request(self, chanid, origin, destination):
        try:
            self.forwards[chanid] = socket.create_connection(destination, timeout=10)
        except OSError:
            return paramiko.OPEN_FAILED_CONNECT_FAILED
        return paramiko.OPEN_SUCCEEDED

    def check_channel_pty_request(self, channel, term, width, height, pixelwidth, pixelheight, modes):
        self.ptys[channel.get_id()] = (term.decode() if isinstance(term, bytes) else term, width, height)
        return True

    def check_channel_env_request(self, channel, name, value):
        decode = (lambda v: v.decode(errors="replace") if isinstance(v, bytes) else v)
        self.envs.setdefault(channel.get_id(), {})[decode(name)] = decode(value)
        return True

    def check_channel_window_change_request(self, channel, width, height, pixelwidth, pixelheight):
        session = self.sessions.get(channel.get_id())
        if session is not None:
            session.resize(width, height)
        return True

    def check_channel_shell_request(self, channel):
        return self._start(channel, "")

    def check_channel_exec_request(self, channel, command):
        return self._start(channel, command.decode(errors="replace") if isinstance(command, bytes) else command)

    def _start(self, channel, command: str) -> bool:
        session = _Session(self.stream.agent, channel, command, self.ptys.get(channel.get_id()),
                           self.envs.get(channel.get_id(), {}))
        self.sessions[channel.get_id()] = session
        threading.Thread(target=session.run, daemon=True).start()
        return True


class _Session:
    def __init__(self, agent, channel, command, pty_request, env):
        self.agent, self.channel, self.command, self.pty, self.fd = agent, channel, command, pty_request, None
        self.env = {**agent.environment(), **env}

    def argv(self) -> list[str]:
        shell = default_shell()
        return [shell, "-c", self.command] if self.command else [shell, "-l"]

    def resize(self, width, height) -> None:
        if self.fd is not None:
            import fcntl
            import termios

            try:
                fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
            except OSError:
                pass

    def run(self) -> None:
        try:
            status = self._run_pty() if self.pty else self._run_pipes()
        except OSError as exc:
            self.channel.send_stderr(f"{exc}\r\n".encode())
            status = 127
        try:
            self.channel.send_exit_status(status)
            self.channel.shutdown_write()
            self.channel.close()
        except (OSError, EOFError):
            pass

    def _run_pty(self) -> int:
        term, width, height = self.pty
        pid, self.fd = os.forkpty()
        if pid == 0:
            try:
                os.chdir(self.agent.directory())
                os.execvpe(self.argv()[0], self.argv(), {**self.env, "TERM": term or "xterm-256color"})
            finally:
                os._exit(127)
        self.resize(width, height)
        inputs = [self.fd, self.channel]
        while True:
            ready, _, _ = select.select(inputs, [], [], 1.0)
            if self.fd in ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:  # EIO: the terminal's last process is gone
                    data = b""
                if not data:
                    break
                self.channel.sendall(data)
            if self.channel in ready:
                data = self.channel.recv(65536)
                if data:
                    os.write(self.fd, data)
                else:  # the client closed its input; the program's output still flows
                    inputs.remove(self.channel)
        os.close(self.fd)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) & 0xFF

    def _run_pipes(self) -> int:
        proc = subprocess.Popen(self.argv(), env=self.env, cwd=self.agent.directory(), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        threading.Thread(target=self._feed_stdin, args=(proc,), daemon=True).start()
        err = threading.Thread(target=_copy, args=(proc.stderr, self.channel.sendall_stderr), daemon=True)
        err.start()
        _copy(proc.stdout, self.channel.sendall)
        err.join()
        return proc.wait() & 0xFF

    def _feed_stdin(self, proc) -> None:
        try:
            while True:
                data = self.channel.recv(65536)
                if not data:
                    break
                proc.stdin.write(data)
                proc.stdin.flush()
        except (OSError, EOFError):
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass


def _copy(pipe, send) -> None:
    for chunk in iter(lambda: pipe.read1(65536), b""):
        try:
            send(chunk)
        except (OSError, EOFError):
            break


def _forward(channel, sock) -> None:
    try:
        while True:
            ready, _, _ = select.select([channel, sock], [], [], 1.0)
            if sock in ready:
                data = sock.recv(65536)
                if not data:
                    break
                channel.sendall(data)
            if channel in ready:
                data = channel.recv(65536)
                if not data:
                    break
                sock.sendall(data)
    except (OSError, EOFError):
        pass
    finally:
        sock.close()
        channel.close()


class SshStream:
    """A relay stream whose bytes are an SSH connection to this server."""

    def __init__(self, agent, sink, on_close):
        self.agent, self.sink, self.on_close = agent, sink, on_close
        self.inner, self.outer = socket.socketpair()
        self.transport = paramiko.Transport(self.inner)
        self.transport.add_server_key(host_key())
        from .sftp import LocalSFTP, SFTPSubsystem

        self.transport.set_subsystem_handler("sftp", SFTPSubsystem, LocalSFTP)
        self.server = _Server(self)
        threading.Thread(target=pump, args=(self.outer, self.sink, self.on_close), daemon=True).start()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            self.transport.start_server(server=self.server)
        except (paramiko.SSHException, EOFError, OSError):
            self.close()
            return
        while self.transport.is_active():
            channel = self.transport.accept(1.0)
            if channel is None:
                continue
            sock = self.server.forwards.pop(channel.get_id(), None)
            if sock is not None:
                threading.Thread(target=_forward, args=(channel, sock), daemon=True).start()

    def write(self, data: bytes) -> None:
        send_or_close(self.outer, data, self.close)

    def close(self) -> None:
        self.transport.close()
        for sock in (self.outer, self.inner):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

