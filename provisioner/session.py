"""Parent-side handle on the processes that run one job: the Terraform worker
(provisioner/tfworker.py) and, in reattach mode, the coder provider server.

Owns: the environment those processes see (the portal's own secrets are stripped, the
build's values added), starting them, sending commands and relaying events as they
arrive, cooperative cancel with a hard-kill fallback, and making sure no process of the
job outlives `close()`.
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .coder_provider import PROVIDER_ADDRESS
from .mirror import PYTHON_ENV, Mirror

PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)

# Never hand the portal's own configuration (database URLs, OIDC secrets, broker URLs)
# to template code: local-exec and providers run with this environment.
_STRIPPED_PREFIXES = ("CODER_", "TF_", "CELERY_", "DJANGO_")
_STRIPPED_NAMES = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
_PROVIDER_START_TIMEOUT = 60.0


class WorkerError(RuntimeError):
    """The worker process broke (crashed, or said something we did not expect)."""


@dataclass
class CommandOutcome:
    retcode: int
    stderr: str
    canceled: bool


def job_environment(extra: dict[str, str], mirror: Mirror) -> dict[str, str]:
    """The environment of a job's processes: a sanitised copy of ours plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_STRIPPED_PREFIXES) and k not in _STRIPPED_NAMES}
    python_path = [PROJECT_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update(mirror.env())
    env.update({
        "PYTHONPATH": os.pathsep.join(dict.fromkeys(python_path)),
        PYTHON_ENV: sys.executable,
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


class TerraformSession:
    """One worker (+ optional reattached provider) serving the commands of one job."""

    def __init__(self, env: dict[str, str], reattach: bool = True,
                 cancel_grace: float = 60.0, on_stderr: Optional[Callable[[str], None]] = None):
        self._env = dict(env)
        self._reattach = reattach
        self._cancel_grace = cancel_grace
        self._on_stderr = on_stderr
        self._tmp = tempfile.TemporaryDirectory(prefix="tfjob")
        self._provider: Optional[subprocess.Popen] = None
        self._worker: Optional[subprocess.Popen] = None
        self._messages: queue.Queue = queue.Queue()
        self.stderr_tail: list[str] = []
        self.canceled = False

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> "TerraformSession":
        env = dict(self._env)
        if self._reattach:
            env["TF_REATTACH_PROVIDERS"] = self._spawn_provider(env)
        # Both processes boot (~0.3 s of imports each) in parallel; the worker only needs
        # the provider once it runs its first command.
        self._worker = subprocess.Popen(
            [sys.executable, "-m", "provisioner.tfworker"], env=env, cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1, start_new_session=True)
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, args=(self._worker.stderr,),
                         daemon=True).start()
        if self._provider is not None:
            self._await_provider()
        return self

    def _spawn_provider(self, env: dict[str, str]) -> str:
        socket_path = os.path.join(self._tmp.name, "coder.sock")
        self._provider = subprocess.Popen(
            [sys.executable, "-m", "provisioner.coder_provider", "--reattach", socket_path],
            env=env, cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True)
        return json.dumps({PROVIDER_ADDRESS: {
            "Protocol": "grpc", "ProtocolVersion": 6, "Pid": self._provider.pid,
            "Test": True, "Addr": {"Network": "unix", "String": socket_path}}})

    def _await_provider(self) -> None:
        provider = self._provider
        ready, _, _ = select.select([provider.stdout], [], [], _PROVIDER_START_TIMEOUT)
        line = provider.stdout.readline() if ready else ""
        if line.strip() != "ready":
            _kill_group(provider.pid)
            provider.wait()
            error = provider.stderr.read()
            raise WorkerError(f"the coder provider failed to start: {line}{error}".strip())
        threading.Thread(target=self._pump_stderr, args=(provider.stderr,), daemon=True).start()

    def close(self) -> None:
        """Stop everything this session started; nothing of the job survives this."""
        worker, self._worker = self._worker, None
        if worker is not None:
            # EOF interrupts a command still running (we are unwinding from an error);
            # give Terraform the same grace as a cancel so it can save its state.
            _close_quietly(worker.stdin)
            _wait_or_kill(worker, self._cancel_grace)
            _kill_group(worker.pid)  # stragglers: e.g. `sleep` left by a killed local-exec
        provider, self._provider = self._provider, None
        if provider is not None:
            _close_quietly(provider.stdin)  # EOF tells the provider server to stop
            _wait_or_kill(provider, 5.0)
            _kill_group(provider.pid)
        self._tmp.cleanup()

    def __enter__(self) -> "TerraformSession":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- I/O -------------------------------------------------------------------------
    def _pump_stdout(self) -> None:
        assert self._worker is not None and self._worker.stdout is not None
        for raw in self._worker.stdout:
            try:
                self._messages.put(json.loads(raw))
            except ValueError:
                self._messages.put({"type": "line", "line": raw.rstrip("\n")})
        self._messages.put(None)

    def _pump_stderr(self, pipe) -> None:
        for line in pipe:
            line = line.rstrip("\n")
            self.stderr_tail = (self.stderr_tail + [line])[-50:]
            if self._on_stderr is not None:
                # Delivered through the queue so callbacks run on the caller's thread
                # (callers write log rows with thread-bound database connections).
                self._messages.put({"type": "stderr", "line": line})

    def _send(self, message: dict) -> None:
        if self._worker is None or self._worker.stdin is None:
            raise WorkerError("the terraform worker is not running")
        try:
            self._worker.stdin.write(json.dumps(message) + "\n")
            self._worker.stdin.flush()
        except (BrokenPipeError, ValueError) as exc:
            raise WorkerError(f"the terraform worker went away: {self._stderr_text()}") from exc

    def _stderr_text(self) -> str:
        return "\n".join(self.stderr_tail[-20:])

    def _next(self, should_cancel: Callable[[], bool], cancel_deadline: list) -> dict:
        """Next message from the worker, while watching for cancellation."""
        while True:
            if not self.canceled and should_cancel():
                self.cancel()
                cancel_deadline.append(time.monotonic() + self._cancel_grace)
            if cancel_deadline and time.monotonic() > cancel_deadline[0]:
                # Terraform ignored the interrupt for too long: stop it the hard way.
                _kill_group(self._worker.pid)
                cancel_deadline.clear()
            try:
                message = self._messages.get(timeout=0.1)
            except queue.Empty:
                continue
            if message is None:
                if self.canceled:  # we killed it ourselves after the grace period
                    return {"type": "exit", "retcode": -9, "canceled": True,
                            "stderr": "terraform was killed: it ignored the cancel"}
                raise WorkerError(f"the terraform worker exited unexpectedly: "
                                  f"{self._stderr_text()}")
            if message.get("type") == "stderr":
                self._on_stderr(message["line"])
                continue
            return message

    def cancel(self) -> None:
        self.canceled = True
        try:
            self._send({"op": "cancel"})
        except WorkerError:
            pass

    # -- commands --------------------------------------------------------------------
    def run(self, cmd: str, args: list[str], cwd: str, on_event: Callable[[dict], None],
            should_cancel: Callable[[], bool] = lambda: False) -> CommandOutcome:
        """Run one Terraform command; `on_event` gets each -json event (or raw line)."""
        self._send({"op": "run", "cmd": cmd, "args": args, "cwd": cwd})
        deadline: list = []
        while True:
            message = self._next(should_cancel, deadline)
            kind = message.get("type")
            if kind == "event":
                on_event(message["event"])
            elif kind == "line":
                on_event({"@level": "info", "@message": message["line"], "type": "line"})
            elif kind == "exit":
                return CommandOutcome(message["retcode"] if message["retcode"] is not None
                                      else 1, message.get("stderr", ""),
                                      bool(message.get("canceled")) or self.canceled)
            elif kind == "error":
                raise WorkerError(message["message"])


def _close_quietly(pipe) -> None:
    try:
        if pipe is not None:
            pipe.close()
    except OSError:
        pass


def _wait_or_kill(process: subprocess.Popen, timeout: float) -> None:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.wait()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
