"""Runs the children of `serve` as one process tree and stops all of them, leaving no orphans.

- Each child leads its own process group, so a terminal's Ctrl-C reaches only the supervisor,
  which then stops the children in order, and so the whole subtree of a child (uvicorn
  workers, Celery pool processes, Terraform) can be killed at once.
- On Linux each child also gets PR_SET_PDEATHSIG, so even a SIGKILLed supervisor takes its
  direct children with it.
- Stop: SIGTERM to each child (its own graceful shutdown: Celery finishes the running job,
  uvicorn drains connections), then after the grace period SIGKILL to each process group and to
  every descendant seen, then reap.
- A child that exits on its own is a failure: it is reported, the others are stopped and
  `run()` returns non-zero, so the service manager (systemd, Kubernetes) restarts the whole
  server. Restarting parts in place would hide crash loops and leave half a server serving.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable

import psutil

from coderportal.serve.children import ChildSpec

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    def preexec() -> None:  # runs in the child between fork and exec: keep it tiny
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            return
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


class Supervisor:
    def __init__(self, specs: Iterable[ChildSpec], *, env: dict[str, str], cwd: str, grace_seconds: float,
                 log: Callable[[str], None] = print):
        self.specs = list(specs)
        self.env = env
        self.cwd = cwd
        self.grace = grace_seconds
        self.log = log
        self.children: dict[str, subprocess.Popen] = {}
        self._stop_signal: int | None = None

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        for spec in self.specs:
            preexec = _die_with_parent(os.getpid()) if sys.platform.startswith("linux") else None
            self.children[spec.name] = subprocess.Popen(
                spec.argv, env={**self.env, **spec.env}, cwd=self.cwd, start_new_session=True, preexec_fn=preexec)
            self.log(f"started {spec.name} (pid {self.children[spec.name].pid})")

    def run(self) -> int:
        """Start the children, wait for a stop signal or a child's death, stop everything."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            exit_code = self._watch()
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return exit_code

    def _on_signal(self, signum, frame) -> None:
        if self._stop_signal is not None:
            self.log("second signal: killing children now")
            self.grace = 0
        self._stop_signal = signum

    def _watch(self) -> int:
        while self._stop_signal is None:
            for name, proc in self.children.items():
                code = proc.poll()
                if code is not None:
                    self.log(f"ERROR: {name} (pid {proc.pid}) exited unexpectedly with code {code}; "
                             "stopping the server")
                    return 1
            time.sleep(0.2)
        self.log(f"received {signal.Signals(self._stop_signal).name}: stopping")
        return 0

    # --- shutdown -----------------------------------------------------------------------
    def _descendants(self) -> list[psutil.Process]:
        found = []
        for proc in self.children.values():
            try:
                parent = psutil.Process(proc.pid)
                found.append(parent)
                found.extend(parent.children(recursive=True))
            except psutil.NoSuchProcess:
                continue
        return found

    def stop(self) -> None:
        # Remember the whole tree first: children re-parented to init after their parent dies
        # are otherwise out of sight.
        tree = self._descendants()
        for proc in self.children.values():
            if proc.poll() is None:
                self._signal(proc.pid, signal.SIGTERM)
        started = time.monotonic()
        # self.grace is re-read each turn: a second Ctrl-C sets it to 0.
        while time.monotonic() < started + self.grace and any(p.poll() is None for p in self.children.values()):
            time.sleep(0.1)
        tree += self._descendants()
        for name, proc in self.children.items():
            if proc.poll() is None:
                self.log(f"{name} (pid {proc.pid}) did not stop within {self.grace:g}s: killing it")
            self._killpg(proc.pid)
        for process in tree:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        for proc in self.children.values():
            proc.wait()
        psutil.wait_procs(tree, timeout=5)
        self.log("all processes stopped")

    @staticmethod
    def _signal(pid: int, sig: int) -> None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    @staticmethod
    def _killpg(pid: int) -> None:
        # The child called setsid(), so its pid is its process group id.
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
