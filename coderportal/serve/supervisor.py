"""Runs the children of `serve` as one process tree and stops all of them, leaving no orphans.

- Each child leads its own process group, so a terminal's Ctrl-C reaches only the supervisor,
  which then stops the children in order, and so the whole subtree of a child (uvicorn
  workers, Celery pool processes, Terraform) can be killed at once.
- On Linux each child also gets PR_SET_PDEATHSIG, so even a SIGKILLed supervisor takes its
  direct children with it.
- Stop: SIGTERM to each child (its own graceful shutdown: Celery finishes the running job,
  uvicorn drains connections), then after the grace period SIGKILL to each process group and to
  every descendant seen, then reap.
- A worker child (system worker, provisioner daemons, scheduler) that exits on its own is
  reported (a log line and a line in the events file) and restarted after a backoff (1 s,
  doubling up to 30 s), in the embedded default and in production alike: Celery redelivers
  what it was running (late acks) and the reaper fails a job it held, so a restart loses
  nothing, and the web server keeps serving meanwhile (Coder restarts its built-in
  provisioner daemons in-process the same way).
- A crash loop (`CRASH_LOOP_LIMIT` exits of one child within `CRASH_LOOP_WINDOW` seconds) or
  the exit of a child that is not restartable (the web server) stops everything and `run()`
  returns non-zero, so the service manager (systemd, Kubernetes) restarts the whole server
  and the failure cannot hide.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import psutil

from coderportal.serve.children import ChildSpec

PR_SET_PDEATHSIG = 1
CRASH_LOOP_LIMIT = 5
CRASH_LOOP_WINDOW = 600.0
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0


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
                 log: Callable[[str], None] = print, events_file: Path | None = None):
        self.specs = {spec.name: spec for spec in specs}
        self.env = env
        self.cwd = cwd
        self.grace = grace_seconds
        self.log = log
        self.events_file = events_file
        self.children: dict[str, subprocess.Popen] = {}
        self._crashes: dict[str, deque[float]] = {name: deque() for name in self.specs}
        self._restart_at: dict[str, float] = {}  # child name -> monotonic time of its pending restart
        self._stop_signal: int | None = None

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        for spec in self.specs.values():
            self._spawn(spec)

    def _spawn(self, spec: ChildSpec) -> None:
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
            now = time.monotonic()
            for name, proc in list(self.children.items()):
                if name in self._restart_at:
                    if now >= self._restart_at[name]:
                        del self._restart_at[name]
                        self._spawn(self.specs[name])
                    continue
                code = proc.poll()
                if code is not None and not self._child_exited(name, proc, code, now):
                    return 1
            time.sleep(0.2)
        self.log(f"received {signal.Signals(self._stop_signal).name}: stopping")
        return 0

    def _child_exited(self, name: str, proc: subprocess.Popen, code: int, now: float) -> bool:
        """Report a child's exit and schedule its restart; False when the server must stop."""
        self._killpg(proc.pid)  # what the dead child left running (pool processes, Terraform)
        crashes = self._crashes[name]
        crashes.append(now)
        while crashes and crashes[0] < now - CRASH_LOOP_WINDOW:
            crashes.popleft()
        if not self.specs[name].restartable:
            self.log(f"ERROR: {name} (pid {proc.pid}) exited unexpectedly with code {code}; stopping the server")
            self._event("child_exited", name, code, action="stop server")
            return False
        if len(crashes) >= CRASH_LOOP_LIMIT:
            self.log(f"ERROR: {name} (pid {proc.pid}) exited with code {code}, {len(crashes)} times in "
                     f"{CRASH_LOOP_WINDOW / 60:g} min: crash loop, stopping the server")
            self._event("crash_loop", name, code, action="stop server")
            return False
        delay = min(BACKOFF_FIRST * 2 ** (len(crashes) - 1), BACKOFF_MAX)
        self.log(f"ERROR: {name} (pid {proc.pid}) exited unexpectedly with code {code}; "
                 f"restarting it in {delay:g}s ({len(crashes)} exit(s) in {CRASH_LOOP_WINDOW / 60:g} min; "
                 f"{CRASH_LOOP_LIMIT} stop the server)")
        self._event("child_restarted", name, code, action=f"restart in {delay:g}s")
        self._restart_at[name] = now + delay
        return True

    def _event(self, kind: str, child: str, code: int, *, action: str) -> None:
        """One JSON line per event in the events file: the server's health history for operators."""
        if self.events_file is None:
            return
        line = json.dumps({"time": datetime.now(UTC).isoformat(), "event": kind, "child": child,
                           "exit_code": code, "action": action})
        try:
            with open(self.events_file, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError as exc:  # a full disk must not stop the supervisor
            self.log(f"could not record the event in {self.events_file}: {exc}")

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
        self._restart_at.clear()
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
