"""How much of a template import is spent reading the template's declarations.

Reading (`provisioner.hclconfig.read_module`: an HCL parse of the root module, no evaluation)
runs before `terraform init`; the rest of an import is Terraform's (init, start and stop plans,
show, graph). For each template of the test corpus and the `full` test template this prints
the read time, the whole `provisioner.parse()` time and the read's share of it.

    .venv/bin/python bench/template_read.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provisioner import RunnerOptions, hclconfig, parse  # noqa: E402

TEMPLATES = ROOT / "tests" / "provisioner" / "templates"


def median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_once(template: Path, scratch: str, options: RunnerOptions) -> None:
    target = Path(tempfile.mkdtemp(dir=scratch)) / template.name
    shutil.copytree(template, target)
    schema = parse(str(target), variable_values={"team": "bench"}, options=options)
    assert schema.status == "succeeded", schema.error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    candidates = sorted((TEMPLATES / "corpus").iterdir()) + [TEMPLATES / "full"]
    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryDirectory() as scratch:
        options = RunnerOptions(data_dir=data_dir)
        print(f"{'template':<16}{'read ms':>10}{'import ms':>12}{'read share':>12}")
        for template in (t for t in candidates if t.is_dir()):
            hclconfig.read_module(str(template))  # warm: the parser's tables load once per process
            read = median_seconds(functools.partial(hclconfig.read_module, str(template)), args.repeat)
            whole = median_seconds(functools.partial(import_once, template, scratch, options),
                                   max(1, args.repeat // 2))
            print(f"{template.name:<16}{read * 1000:>10.1f}{whole * 1000:>12.0f}{read / whole:>12.1%}")


if __name__ == "__main__":
    main()
