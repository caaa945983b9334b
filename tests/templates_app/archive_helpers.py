"""Build template archives for tests from a dict of files or a folder."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

PROVISIONER_TEMPLATES = Path(__file__).resolve().parent.parent / "provisioner" / "templates"


def tar_of(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tar_of_dir(path: Path) -> bytes:
    return tar_of({str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()})


def echo_template(script: dict) -> bytes:
    """An archive for the scripted `echo` provisioner (see provisioner/fake.py)."""
    return tar_of({"main.tf": "# echo template\n", "coderportal-echo.json": json.dumps(script)})
