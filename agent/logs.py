"""Agent logs: lines are queued by script runners and sent to the portal in batches
(`PATCH /api/v2/workspaceagents/me/logs`), per log source, in order, retrying on failure."""
from __future__ import annotations

import queue
import threading
import time
from datetime import datetime, timezone

from .client import APIError

BATCH = 100
FLUSH_SECONDS = 0.25
MAX_LINE = 16 * 1024


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class LogSender:
    def __init__(self, client):
        self.client = client
        self.queue: queue.Queue = queue.Queue()
        self.overflowed = False
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="log-sender", daemon=True)
        self._thread.start()

    def write(self, source_id: str | None, output: str, level: str = "info") -> None:
        self._idle.clear()
        self.queue.put((source_id, {"created_at": now_iso(), "output": output[:MAX_LINE], "level": level}))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far was sent (or given up on)."""
        return self._idle.wait(timeout)

    def _take_batch(self) -> list:
        items = [self.queue.get()]
        deadline = time.monotonic() + FLUSH_SECONDS
        while len(items) < BATCH:
            remaining = deadline - time.monotonic()
            try:
                items.append(self.queue.get(timeout=max(remaining, 0)) if remaining > 0 else self.queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _run(self) -> None:
        while True:
            items = self._take_batch()
            # Consecutive lines of one source go in one request, keeping the overall order.
            groups: list[tuple[str | None, list]] = []
            for source, line in items:
                if groups and groups[-1][0] == source:
                    groups[-1][1].append(line)
                else:
                    groups.append((source, [line]))
            for source, lines in groups:
                self._send(source, lines)
            if self.queue.empty():
                self._idle.set()

    def _send(self, source, lines) -> None:
        delay = 0.5
        for _ in range(8):
            if self.overflowed:
                return
            try:
                self.client.patch_logs(source, lines)
                return
            except APIError as exc:
                if exc.status == 413:  # the portal's per-agent log limit: stop sending
                    self.overflowed = True
                    return
                if 400 <= exc.status < 500:
                    return
            except OSError:
                pass
            time.sleep(delay)
            delay = min(delay * 2, 5)
