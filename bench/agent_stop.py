#!/usr/bin/env python
"""The agent's stop sweep (agent/processes.py): what finding and ending every process the
agent started costs, against ending the same processes by known pids.

For N in --counts: start N `sleep` processes carrying a run marker (half of them detached
with setsid, as a startup script's `setsid server &` would be), then time
- `marked_processes()`: one scan of /proc (every process of this user's environment read);
- `end_all()`: the sweep (scan, SIGTERM, wait until gone, rescan);
- the baseline: SIGTERM to the N known pids and wait until gone.
Also prints how many processes /proc holds (the scan reads every one of this user's).

    .venv/bin/python bench/agent_stop.py [--counts 0 10 100 500] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent import processes  # noqa: E402


def spawn(count: int, marker: str) -> list[subprocess.Popen]:
    env = {**os.environ, processes.MARKER: marker}
    return [subprocess.Popen(["setsid", "sleep", "600"] if i % 2 else ["sleep", "600"], env=env,
                             start_new_session=bool(i % 2 == 0), stdin=subprocess.DEVNULL)
            for i in range(count)]


def wait_gone(procs) -> None:
    for proc in procs:
        proc.wait()


def kill(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
    wait_gone(procs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[0, 10, 100, 500])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"processes in /proc: {sum(1 for e in os.listdir('/proc') if e.isdigit())}")
    print("| marked processes | /proc scan ms | sweep ms | by known pids ms | sweep / known |  (medians)")
    print("| --- | --- | --- | --- | --- |")
    for count in args.counts:
        scans, sweeps, baselines = [], [], []
        for _ in range(args.repeat):
            marker = processes.new_marker()
            procs = spawn(count, marker)
            try:
                scans.append(time_scan(marker, count))
                started = time.perf_counter()
                processes.end_all(marker)
                wait_gone(procs)
                sweeps.append(time.perf_counter() - started)
            finally:
                kill(procs)

            procs = spawn(count, processes.new_marker())
            try:
                started = time.perf_counter()
                for proc in procs:
                    proc.send_signal(signal.SIGTERM)
                wait_gone(procs)
                baselines.append(time.perf_counter() - started)
            finally:
                kill(procs)
        scan, sweep, base = (statistics.median(v) * 1000 for v in (scans, sweeps, baselines))
        ratio = f"{sweep / base:.1f}×" if base > 0.5 else "-"
        print(f"| {count} | {scan:.1f} | {sweep:.1f} | {base:.1f} | {ratio} |")


def time_scan(marker: str, count: int) -> float:
    settle = time.monotonic() + 10  # until every `setsid` has exec'd its `sleep`
    while len(processes.marked_processes(marker)) != count and time.monotonic() < settle:
        time.sleep(0.05)
    started = time.perf_counter()
    found = processes.marked_processes(marker)
    elapsed = time.perf_counter() - started
    assert len(found) == count, (len(found), count)
    return elapsed


if __name__ == "__main__":
    main()
