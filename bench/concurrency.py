#!/usr/bin/env python
"""Concurrency: 20 workspaces created at once (each queues its first start build) with N
built-in provisioner workers; the makespan (first POST → last build succeeded) against the
ideal `20 × one raw apply / N`.

Uses the server, template and raw-apply helpers of build_overhead.py: the raw apply is
`provisioner.provision()` called in this process (first start of a new workspace, fresh
template copy), i.e. Terraform with the bundled coder provider and nothing of the portal.

    .venv/bin/python bench/concurrency.py --daemons 1 2 4 --workspaces 20
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_overhead import Portal, RawTerraform, Server, job_phases  # noqa: E402


def raw_apply_seconds(root: str, samples: int) -> float:
    raw = RawTerraform(root)
    try:
        raw.run("start", b"", str(uuid.uuid4()))  # warm-up: provider mirror, plugin cache
        times = []
        for _ in range(samples):
            workspace_id = str(uuid.uuid4())
            elapsed, state = raw.run("start", b"", workspace_id)
            times.append(elapsed)
            raw.run("delete", state, workspace_id)
        return statistics.median(times)
    finally:
        raw.close()


def makespan(daemons: int, count: int, root: str) -> dict:
    server = Server(daemons=daemons)
    try:
        server.wait_healthy()
        portal = Portal(server.base)
        template_id = portal.template(root)
        # One workspace first so every figure below is steady state (provider mirror ready).
        portal.wait(portal.create_workspace(template_id, "warmup")["latest_build"]["id"])
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=count) as pool:
            created = list(pool.map(lambda i: Portal.create_workspace(portal, template_id, f"ws{i}"), range(count)))
        submitted = time.perf_counter() - started
        finished = [portal.wait(w["latest_build"]["id"], poll=0.2) for w in created]
        total = time.perf_counter() - started
        runs = [job_phases(b)[1] for b in finished]
        return {"makespan": total, "submitted": submitted, "median_run": statistics.median(runs),
                "max_queue": max(job_phases(b)[0] for b in finished)}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--daemons", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workspaces", type=int, default=20)
    parser.add_argument("--raw-samples", type=int, default=3)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="coderportal-bench-ws-")
    try:
        raw = raw_apply_seconds(root, args.raw_samples)
        print(f"one raw apply (provision() of a new workspace, median of {args.raw_samples}): {raw:.2f}s")
        print()
        print("| workers | workspaces | makespan s | ideal 20×raw/N s | makespan / ideal | median job run s | "
              "longest queue wait s | all POSTs answered s |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for daemons in args.daemons:
            figures = makespan(daemons, args.workspaces, root)
            ideal = args.workspaces * raw / daemons
            print(f"| {daemons} | {args.workspaces} | {figures['makespan']:.1f} | {ideal:.1f} | "
                  f"{figures['makespan'] / ideal:.2f} | {figures['median_run']:.2f} | {figures['max_queue']:.1f} | "
                  f"{figures['submitted']:.1f} |", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
