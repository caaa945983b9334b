"""CLI test fixtures: the live portal of the agent tests, and the CLI file the portal serves
(`/bin/coderportal`) run by a clean interpreter (`-I -S`: no site-packages, no user site,
no PYTHONPATH) with HOME in a temporary directory."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from tests.agent.conftest import portal, run_agent  # noqa: F401 - fixtures reused here

CLEAN_PYTHON = [sys.executable, "-I", "-S"]


@pytest.fixture
def served_cli(portal, tmp_path):  # noqa: F811 - the fixture above
    path = tmp_path / "coderportal"
    answer = requests.get(f"{portal}/bin/coderportal", timeout=60)
    assert answer.status_code == 200 and answer.content.startswith(b"#!/usr/bin/env python3")
    path.write_bytes(answer.content)
    home = tmp_path / "cli-home"
    home.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}

    def run(*args, check=True, timeout=300, input=None):
        done = subprocess.run([*CLEAN_PYTHON, str(path), *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=timeout, input=input, stdin=None if input else subprocess.DEVNULL)
        if check:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    run.path, run.env, run.home = path, env, home
    return run
