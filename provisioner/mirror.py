"""The offline installation of our coder/coder provider: a Terraform filesystem mirror.

Owns: `write_mirror(directory, version)`, which lays out

    <directory>/mirror/registry.terraform.io/coder/coder/<version>/<os>_<arch>/
        terraform-provider-coder_v<version>          (launcher script)
    <directory>/plugin-cache/                         (shared plugin_cache_dir)
    <directory>/terraform.rc                          (CLI config, use as TF_CLI_CONFIG_FILE)

The launcher is byte-identical on every machine (it names no path), so the `h1:` hash
Terraform records in lock files is stable. It runs `$CODERPORTAL_PYTHON -m
provisioner.coder_provider` (falling back to `python3`); the runner sets CODERPORTAL_PYTHON
and PYTHONPATH so the provider runs in the portal's own interpreter.

We publish one version, high enough for the constraints real templates carry
(`>= 2.x`, `~> 2.0`); the runner also neutralises tighter pins (see workdir.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_VERSION = "2.99.0"
PROVIDER_SOURCE = "registry.terraform.io/coder/coder"
PLATFORMS = ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64")
PYTHON_ENV = "CODERPORTAL_PYTHON"

LAUNCHER = (
    b"#!/bin/sh\n"
    b"# Launcher of the coder/coder Terraform provider bundled with coderportal.\n"
    b"# The provider is Python: CODERPORTAL_PYTHON names an interpreter that can import\n"
    b"# the `provisioner` package (the portal's runner sets it and PYTHONPATH).\n"
    b'exec "${CODERPORTAL_PYTHON:-python3}" -m provisioner.coder_provider "$@"\n'
)


@dataclass(frozen=True)
class Mirror:
    """Where write_mirror put things."""

    root: Path
    mirror_dir: Path
    plugin_cache_dir: Path
    cli_config_file: Path
    version: str

    def env(self) -> dict[str, str]:
        """Environment for Terraform commands that should install from this mirror."""
        return {"TF_CLI_CONFIG_FILE": str(self.cli_config_file), "CHECKPOINT_DISABLE": "1"}


def _write_if_changed(path: Path, data: bytes, mode: int = 0o644) -> None:
    # Workers may lay out the mirror concurrently at start-up: write to a private temp
    # file and rename, so nobody ever sees (or hashes) a half-written file.
    if path.exists() and path.read_bytes() == data:
        os.chmod(path, mode)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def cli_config_text(mirror_dir: Path, plugin_cache_dir: Path) -> str:
    quote = json.dumps  # HCL string literals accept JSON string escapes
    return (
        "# Terraform CLI configuration written by coderportal.\n"
        "disable_checkpoint = true\n"
        f"plugin_cache_dir = {quote(str(plugin_cache_dir))}\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {quote(str(mirror_dir))}\n"
        f"    include = [{quote(PROVIDER_SOURCE)}]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [{quote(PROVIDER_SOURCE)}]\n"
        "  }\n"
        "}\n"
    )


def write_mirror(directory: str | os.PathLike, version: str = DEFAULT_VERSION) -> Mirror:
    """Lay out the provider mirror, plugin cache and CLI config under `directory`."""
    root = Path(directory).resolve()
    mirror_dir = root / "mirror"
    plugin_cache_dir = root / "plugin-cache"
    plugin_cache_dir.mkdir(parents=True, exist_ok=True)
    for platform in PLATFORMS:
        target = mirror_dir / PROVIDER_SOURCE / version / platform
        _write_if_changed(target / f"terraform-provider-coder_v{version}", LAUNCHER, 0o755)
    cli_config_file = root / "terraform.rc"
    _write_if_changed(cli_config_file,
                      cli_config_text(mirror_dir, plugin_cache_dir).encode())
    return Mirror(root, mirror_dir, plugin_cache_dir, cli_config_file, version)
