"""Listening TCP ports of the workspace, read from /proc/net/tcp and /proc/net/tcp6 (Linux)."""
from __future__ import annotations

import os

LISTEN = "0A"
# Ports below this are not offered for forwarding, as in Coder (they are system services).
MIN_PORT = 9


def _inode_processes() -> dict[str, str]:
    """socket inode -> process name, for the processes we may inspect."""
    names: dict[str, str] = {}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return names
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            with open(f"/proc/{pid}/comm") as fh:
                comm = fh.read().strip()
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                names[target[8:-1]] = comm
    return names


def listening_ports() -> list[dict]:
    """[{"process_name", "network": "tcp", "port"}], sorted by port, one entry per port."""
    found: dict[int, str] = {}
    processes = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != LISTEN:
                continue
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if port < MIN_PORT or port in found:
                continue
            if processes is None:
                processes = _inode_processes()
            found[port] = processes.get(fields[9], "")
    return [{"process_name": name, "network": "tcp", "port": port} for port, name in sorted(found.items())]
