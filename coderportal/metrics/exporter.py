"""The `/metrics` endpoint `serve` runs when CODER_PROMETHEUS_ENABLE is set.

`prepare()` empties the shared directory at start (values of a previous run must not add up
with this one) and names it in PROMETHEUS_MULTIPROC_DIR for the children. The endpoint runs
in a thread of the `serve` process itself, which outlives every child: on each scrape it
marks processes that are gone as dead (their live gauges, such as in-flight requests, drop
out; their counters and histograms stay in the sum, so a restart loses nothing), adds up the
files, and appends the figures read from the database and broker.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import psutil
from prometheus_client import CollectorRegistry, multiprocess, start_http_server

ENV = "PROMETHEUS_MULTIPROC_DIR"
_LIVE_FILE = re.compile(r"^gauge_live\w*_(\d+)\.db$")


def directory(data_dir: Path) -> Path:
    return Path(data_dir) / "metrics"


def prepare(data_dir: Path) -> Path:
    path = directory(data_dir)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def mark_dead_processes(path: Path) -> None:
    for entry in os.listdir(path):
        found = _LIVE_FILE.match(entry)
        if found and not psutil.pid_exists(int(found.group(1))):
            multiprocess.mark_process_dead(int(found.group(1)), str(path))


class _MultiProcess(multiprocess.MultiProcessCollector):
    def collect(self):
        mark_dead_processes(Path(self._path))
        return super().collect()


def registry(path: Path, *, portal: bool = True) -> CollectorRegistry:
    reg = CollectorRegistry()
    _MultiProcess(reg, path=str(path))
    if portal:
        from coderportal.metrics.collector import PortalCollector

        reg.register(PortalCollector())
    return reg


def start(address: tuple[str, int], path: Path):
    """Serve /metrics on `address` in a daemon thread; returns (server, thread)."""
    host, port = address
    return start_http_server(port, addr=host, registry=registry(path))
