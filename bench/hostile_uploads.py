#!/usr/bin/env python
"""Cost of refusing hostile template archives, against accepting a legitimate one.

Runs `templates_app.archives.validate` in-process on each hostile archive of the security
tests (tests/security/hostile_archives.py) and on a baseline: a legitimate gzipped template
of 1,000 files (2 MiB uncompressed). Prints, per archive, its size, the CPU time and the peak
Python heap (tracemalloc) of the check, and the CPU ratio to the baseline. No Django needed.

    .venv/bin/python bench/hostile_uploads.py
"""
from __future__ import annotations

import io
import sys
import tarfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from templates_app import archives  # noqa: E402
from tests.security import hostile_archives as hostile  # noqa: E402

MIB = hostile.MIB


def baseline() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for i in range(1000):
            body = (f'resource "terraform_data" "r{i}" {{ input = "{i}" }}\n' * 40).encode()[:2048]
            info = tarfile.TarInfo(f"modules/m{i // 100}/r{i}.tf")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def measure(data: bytes, content_type: str) -> tuple[float, int, str]:
    tracemalloc.start()
    started = time.process_time()
    try:
        archives.validate(data, content_type)
        outcome = "accepted"
    except archives.ArchiveError as exc:
        outcome = f"refused: {exc}"
    cpu = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return cpu, peak, outcome


def main() -> None:
    cases = {
        "baseline: 1,000-file template (.tar.gz)": (baseline(), archives.TAR),
        "zip link entry holding 120 MiB": (hostile.zip_symlink_with_payload(120 * MIB), archives.ZIP),
        "tar.gz of 1 GiB of zeros": (hostile.targz_of_zeros(1024 * MIB), archives.TAR),
        "tar.gz of 20,000 empty entries": (hostile.targz_of_many_headers(20_000), archives.TAR),
        "zip of 60,000 entries": (hostile.zip_of_many_entries(60_000), archives.ZIP),
        "tar.gz with a 60 MiB pax header": (hostile.pax_header_bomb(60 * MIB), archives.TAR),
        "link chain x -> ., x/x/x/esc -> ../../..": (
            hostile.tar_of_links([("x", "."), ("x/x/x/esc", "../../..")]), archives.TAR),
    }
    base_cpu = None
    print(f"{'archive':44} {'bytes':>10} {'CPU ms':>8} {'x base':>7} {'peak MiB':>9}  outcome")
    for name, (data, content_type) in cases.items():
        cpu, peak, outcome = measure(data, content_type)
        base_cpu = base_cpu or cpu
        print(f"{name:44} {len(data):>10} {cpu * 1000:>8.1f} {cpu / base_cpu:>7.2f} {peak / MIB:>9.2f}  "
              f"{outcome[:70]}")


if __name__ == "__main__":
    main()
