"""The provider as Terraform starts it: the mirror's launcher, the go-plugin handshake."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.coder_provider.server import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE
from provisioner.mirror import PROVIDER_SOURCE, PYTHON_ENV, write_mirror

ROOT = str(Path(__file__).resolve().parents[2])
HANDSHAKE = re.compile(r"^1\|6\|unix\|[^|]+\|grpc\|[A-Za-z0-9+/]+$")


def _launcher(tmp_path) -> str:
    mirror = write_mirror(tmp_path)
    return str(mirror.mirror_dir / PROVIDER_SOURCE / mirror.version / "linux_amd64" /
               f"terraform-provider-coder_v{mirror.version}")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != MAGIC_COOKIE_KEY}
    env.update({PYTHON_ENV: sys.executable, "PYTHONPATH": ROOT, **extra})
    return env


@pytest.mark.real
def test_launcher_prints_only_the_handshake_on_stdout(tmp_path):
    process = subprocess.Popen([_launcher(tmp_path)], env=_env(**{
        MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE}), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "no handshake within 60 s"
        first = process.stdout.readline().decode()
        assert HANDSHAKE.match(first.strip()), first
        socket_path = first.split("|")[3]
        assert os.path.exists(socket_path)
    finally:
        process.kill()
        process.wait()


def test_provider_refuses_to_run_outside_terraform(tmp_path):
    done = subprocess.run([_launcher(tmp_path)], env=_env(), capture_output=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == b""
    assert b"Terraform runs it" in done.stderr
