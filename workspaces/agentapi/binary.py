"""`GET /bin/coder-agent?os=&arch=`: the agent as a single-file Python zipapp, built from
the `agent` package (with the pure-Python `websockets` library vendored in, so the workspace
needs nothing but python3) at first request and cached under the data directory, keyed by a
hash of its sources so an upgrade rebuilds it. Like Coder's `/bin/coder-*`, it needs no login:
it holds no secret, the agent token is what authenticates."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
import zipapp
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed

VENDORED = ("websockets",)
_MAIN = "import sys\nfrom agent.main import main\nsys.exit(main())\n"
_lock = threading.Lock()


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _sources() -> list[tuple[str, Path]]:
    """(archive path, file) of every .py file going into the zipapp."""
    files = []
    for name in ("agent", *VENDORED):
        root = _package_dir(name)
        if root is None:
            continue
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" not in path.parts:
                files.append((f"{name}/{path.relative_to(root).as_posix()}", path))
    return files


def _digest(files) -> str:
    h = hashlib.sha256(_MAIN.encode())
    for arcname, path in files:
        h.update(arcname.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def agent_zipapp() -> Path:
    """Path of the current zipapp, building it if the sources changed."""
    files = _sources()
    target = Path(settings.DATA_DIR) / "agent" / f"coder-agent-{_digest(files)}.pyz"
    if target.exists():
        return target
    with _lock:
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as staging:
            root = Path(staging) / "src"
            for arcname, path in files:
                dest = root / arcname
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
            (root / "__main__.py").write_text(_MAIN)
            partial = Path(staging) / "coder-agent.pyz"
            zipapp.create_archive(root, partial, interpreter="/usr/bin/env python3", compressed=True)
            os.chmod(partial, 0o755)
            os.replace(partial, target)
    return target


def download(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    # Every os/arch gets the same zipapp: it is Python.
    # A few hundred kilobytes: served from memory (sync file iterators stall ASGI).
    response = HttpResponse(agent_zipapp().read_bytes(), content_type="application/octet-stream")
    response["Content-Disposition"] = 'attachment; filename="coder-agent"'
    return response
