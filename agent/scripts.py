"""Running `coder_script`s: a shell per script, output streamed line by line to the agent
logs (and to the script's `log_path`), a timeout that kills the whole process group.
The groups of scripts that left processes behind are remembered for the agent's stop."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass

from .processes import running_groups

KILL_GRACE_SECONDS = 3.0


@dataclass
class Outcome:
    exit_code: int | None
    timed_out: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.error


def shell_command(script: str) -> list[str]:
    if os.name == "nt":
        return ["powershell", "-NoProfile", "-Command", script]
    return ["/bin/sh", "-c", script]


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(KILL_GRACE_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass


class ScriptRunner:
    """Runs scripts with the agent's environment and working directory."""

    def __init__(self, env: dict, cwd: str | None, logs):
        self.env = env
        self.cwd = cwd if cwd and os.path.isdir(cwd) else None
        self.logs = logs
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        # Groups of finished scripts that still have members (`nohup server &`): ended at stop.
        self.leftover_groups: set[int] = set()

    def run(self, script: dict, stop: threading.Event | None = None) -> Outcome:
        source = script.get("log_source_id") or script.get("id")
        timeout = (script.get("timeout") or 0) / 1e9 or None  # Coder sends nanoseconds
        log_file = _open_log(script.get("log_path") or "")
        try:
            proc = subprocess.Popen(shell_command(script.get("script", "")), env=self.env, cwd=self.cwd,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            self.logs.write(source, f"failed to start script: {exc}", "error")
            return Outcome(None, error=str(exc))
        with self._lock:
            self._running.add(proc)
        reader = threading.Thread(target=self._pump, args=(proc, source, log_file), daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            self.logs.write(source, f"script timed out after {timeout:g}s", "error")
            _kill_group(proc)
        reader.join(5)
        left = running_groups({proc.pid})
        with self._lock:
            self._running.discard(proc)
            self.leftover_groups |= left
        if log_file:
            log_file.close()
        return Outcome(proc.returncode, timed_out=timed_out)

    def _pump(self, proc, source, log_file) -> None:
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode(errors="replace").rstrip("\r\n")
            self.logs.write(source, line)
            if log_file:
                log_file.write(line + "\n")
                log_file.flush()
        proc.stdout.close()

    def kill_all(self) -> None:
        with self._lock:
            running = list(self._running)
        for proc in running:
            _kill_group(proc)


def _open_log(path: str):
    if not path:
        return None
    try:
        return open(os.path.expanduser(path), "a")
    except OSError:
        return None


def capture(command: str, env: dict, cwd: str | None, timeout: float) -> tuple[str, str]:
    """Run a metadata script; (value, error) with the value trimmed, as Coder does."""
    try:
        done = subprocess.run(shell_command(command), env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout or None, start_new_session=True)
    except subprocess.TimeoutExpired:
        return "", f"script timed out after {timeout:g}s"
    except OSError as exc:
        return "", str(exc)
    value = done.stdout.decode(errors="replace").strip()
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()
        return value, f"exit status {done.returncode}" + (f": {stderr}" if stderr else "")
    return value, ""
