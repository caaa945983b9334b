"""Preparing a template's working directory for Terraform, and reading results back.

Owns: the state file (prior state in, new state out), the template's own
`.terraform.lock.hcl` (its coder/coder entry is dropped: it names another build of the
provider, whose checksums can never match ours), declaring coder/coder when a template
forgot to, and overriding version pins on coder/coder when installing from the mirror.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

from .hclconfig import ModuleConfig, local_name_of

STATE_FILE = "terraform.tfstate"
PLAN_FILE = ".coderportal.tfplan"
LOCK_FILE = ".terraform.lock.hcl"
DECLARATION_FILE = "coderportal_providers.tf"
OVERRIDE_FILE = "coderportal_override.tf"
CODER_TYPE = "registry.terraform.io/coder/coder"

# A top-level block of the lock file, e.g. `provider "registry.terraform.io/x/y" { ... }`.
_LOCK_BLOCK = re.compile(r'^provider\s+"([^"]+)"\s*\{.*?^\}[ \t]*\n?', re.S | re.M)


def _inside(working_dir: str, path: Path) -> bool:
    """Whether `path`, with every link resolved, stays inside `working_dir`."""
    root = Path(working_dir).resolve()
    resolved = path.resolve()
    return resolved == root or root in resolved.parents


def write_state(working_dir: str, state: bytes) -> None:
    """Put the prior state in place. Whatever sits at the state paths (a link shipped in the
    template, say) is removed first and the file is created without following links, so a
    state write lands in the working directory and nowhere else."""
    path = Path(working_dir) / STATE_FILE
    for stale in (path.with_name(STATE_FILE + ".backup"), path):
        if stale.is_symlink() or stale.exists():
            stale.unlink()
    if state:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        with os.fdopen(os.open(path, flags, 0o600), "wb") as out:
            out.write(state)


def read_state(working_dir: str) -> bytes:
    path = Path(working_dir) / STATE_FILE
    if not path.exists() or not _inside(working_dir, path):
        return b""
    return path.read_bytes()


def read_readme(working_dir: str) -> str:
    for name in ("README.md", "readme.md", "Readme.md"):
        path = Path(working_dir) / name
        if path.is_file() and _inside(working_dir, path):
            return path.read_text(encoding="utf-8", errors="replace")
    return ""


def drop_coder_lock(working_dir: str) -> None:
    """Remove the coder/coder entry of the template's lock file, keeping the others."""
    path = Path(working_dir) / LOCK_FILE
    if path.is_symlink():
        path.unlink()  # a link could point at any file of the template: Terraform rewrites the lock file
        return
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    kept = _LOCK_BLOCK.sub(lambda m: "" if m.group(1).lower() == CODER_TYPE else m.group(0),
                           text)
    if "coder/coder" in kept.lower():
        # Not the layout Terraform writes; rather than guess, let init start afresh.
        path.unlink()
        return
    if kept != text:
        path.write_text(kept, encoding="utf-8")


def declare_coder(working_dir: str, config: ModuleConfig, override_version: bool) -> None:
    """Make Terraform resolve `coder_*` to coder/coder, at a version our mirror has.

    Without a `required_providers` entry Terraform would look for hashicorp/coder. With
    `override_version`, an override file relaxes the template's pin (a `version` in an
    override's required_providers replaces the original entry's).
    """
    for name in (DECLARATION_FILE, OVERRIDE_FILE):
        (Path(working_dir) / name).unlink(missing_ok=True)
    local_name = local_name_of(config, CODER_TYPE)
    if local_name is None:
        if config.uses_coder:
            _write_requirement(Path(working_dir) / DECLARATION_FILE, "coder", None)
        return
    if override_version:
        _write_requirement(Path(working_dir) / OVERRIDE_FILE, local_name, ">= 0.0.0")


def _write_requirement(path: Path, local_name: str, version: Optional[str]) -> None:
    version_part = f', version = "{version}"' if version else ""
    path.write_text(
        "# Written by coderportal's provisioner.\n"
        "terraform {\n"
        "  required_providers {\n"
        f'    {local_name} = {{ source = "coder/coder"{version_part} }}\n'
        "  }\n"
        "}\n", encoding="utf-8")
