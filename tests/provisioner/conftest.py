"""Fixtures for the provisioner package's tests. They need no Django.

The repository's top-level tests/conftest.py sets up Django fixtures; to run these tests
without Django, stop pytest from loading it:

    pytest tests/provisioner -p no:django --confcutdir=tests/provisioner
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from provisioner import RunnerOptions

TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(scope="session")
def runner_options(tmp_path_factory) -> RunnerOptions:
    """Options for the real runner: a private mirror/plugin cache for this test session."""
    return RunnerOptions(data_dir=str(tmp_path_factory.mktemp("terraform-data")),
                         cancel_grace=30.0)


@pytest.fixture
def template(tmp_path):
    """Copy a template from tests/provisioner/templates into a scratch directory."""

    def copy(name: str) -> str:
        target = tmp_path / name
        shutil.copytree(TEMPLATES / name, target)
        return str(target)

    return copy


class LogRecorder:
    """An `emit` callback that remembers each line and when it arrived."""

    def __init__(self):
        self.lines = []
        self.times = []
        self._lock = threading.Lock()

    def __call__(self, line) -> None:
        with self._lock:
            self.lines.append(line)
            self.times.append(time.monotonic())

    @property
    def outputs(self) -> list[str]:
        return [line.output for line in self.lines]

    def first_time(self, needle: str) -> float:
        for line, at in zip(self.lines, self.times):
            if needle in line.output:
                return at
        raise AssertionError(f"{needle!r} never logged; got {self.outputs}")

    def text(self) -> str:
        return "\n".join(self.outputs)


@pytest.fixture
def logs() -> LogRecorder:
    return LogRecorder()
