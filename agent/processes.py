"""Ending everything the agent started, when it stops.

Scripts, terminals and SSH sessions run in their own sessions (so a timeout can kill a
script's whole process group), and a script may leave children behind on purpose
(`nohup server &`) or detach them further (`setsid`, a daemon's double fork). Two nets
catch them all:

- every process group the agent started (a script's group keeps its background children);
- every process whose environment carries this agent run's marker, `CODER_AGENT_RUN_ID`
  (put into the environment of everything the agent starts; a detached child inherits it).
  Found by reading `/proc/<pid>/environ` of the processes of our own user (Linux only).

Both get SIGTERM, then SIGKILL after a grace period; the sweep repeats so a child forked
while its parent was being ended is not missed.
"""
from __future__ import annotations

import os
import signal
import time
import uuid

MARKER = "CODER_AGENT_RUN_ID"
GRACE_SECONDS = 3.0
ROUNDS = 5


def new_marker() -> str:
    return uuid.uuid4().hex


def marked_processes(marker: str, proc: str = "/proc") -> set[int]:
    """Pids (other than ours) whose environment holds MARKER=marker; empty without /proc."""
    needle = f"{MARKER}={marker}".encode()
    me, uid, found = os.getpid(), os.getuid(), set()
    try:
        entries = os.listdir(proc)
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit() or int(entry) == me:
            continue
        path = os.path.join(proc, entry)
        try:
            if os.stat(path).st_uid != uid:
                continue
            with open(os.path.join(path, "environ"), "rb") as fh:
                environ = fh.read()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if needle in environ.split(b"\0"):
            found.add(int(entry))
    return found


def _stat(pid: int) -> tuple[int, bool] | None:
    """(process group, is a zombie) of a live pid, from /proc; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[-1].split()
    except OSError:
        return None
    return int(fields[2]), fields[0] == b"Z"


def running_groups(groups: set[int]) -> set[int]:
    """Those of `groups` with a member that has not ended (zombies have)."""
    if not os.path.isdir("/proc"):
        running = set()
        for pgid in groups:
            try:
                os.killpg(pgid, 0)
                running.add(pgid)
            except OSError:
                pass
        return running
    running = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat and not stat[1] and stat[0] in groups:
                running.add(stat[0])
    return running


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and not stat[1]


def _signal(pids, groups, signum) -> None:
    for pgid in groups:
        try:
            os.killpg(pgid, signum)
        except OSError:
            pass
    for pid in pids:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


def end_all(marker: str, groups=(), grace: float = GRACE_SECONDS, deadline: float | None = None) -> int:
    """End the process groups `groups` and every process marked with `marker` (SIGTERM,
    SIGKILL after `grace`, sooner near `deadline`); returns how many processes and groups
    were still there."""
    groups = {g for g in groups if g > 1 and g != os.getpgrp()}
    ended = 0
    for round_ in range(ROUNDS):
        if round_ and deadline is not None and time.monotonic() > deadline:
            break
        pids = marked_processes(marker)
        live_groups = running_groups(groups)
        if not pids and not live_groups:
            break
        ended += len(pids) + len(live_groups)
        _signal(pids, live_groups, signal.SIGTERM)
        kill_at = time.monotonic() + grace
        if deadline is not None:
            kill_at = min(kill_at, deadline)
        while any(_alive(p) for p in pids) or running_groups(live_groups):
            if time.monotonic() > kill_at:
                _signal([p for p in pids if _alive(p)], running_groups(live_groups), signal.SIGKILL)
                break
            time.sleep(0.05)
    return ended
