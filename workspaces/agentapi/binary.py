"""`GET /bin/coder-agent?os=&arch=` and `GET /bin/coderportal`: the workspace agent and the
user CLI, each a single-file Python zipapp built from its package (the agent with the
pure-Python `websockets` library vendored in; the CLI needs only the standard library) at
first request and cached under the data directory, keyed by a hash of its sources so an
upgrade rebuilds it.
Like Coder's `/bin/coder-*`, they need no login: they hold no secret."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import py_compile
import shutil
import sys
import tempfile
import threading
import zipapp
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed

# name of the served file -> (package, entry point, vendored libraries)
PROGRAMS = {"coder-agent": ("agent", "agent.main", ("websockets",)), "coderportal": ("cli", "cli.main", ())}
_lock = threading.Lock()


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _sources(package: str, vendored=()) -> list[tuple[str, Path]]:
    """(archive path, file) of every .py file going into the zipapp."""
    files = []
    for name in (package, *vendored):
        root = _package_dir(name)
        if root is None:
            continue
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" not in path.parts:
                files.append((f"{name}/{path.relative_to(root).as_posix()}", path))
    return files


PYC_VERSION = sys.version_info[:2]


def _main(module: str) -> str:
    return f"import sys\nfrom {module} import main\nsys.exit(main())\n"


def _digest(files, main: str) -> str:
    h = hashlib.sha256(main.encode() + repr(PYC_VERSION).encode())
    for arcname, path in files:
        h.update(arcname.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def program_zipapp(program: str) -> Path:
    """Path of the current zipapp of `program` (a PROGRAMS key), building it if the sources changed."""
    package, module, vendored = PROGRAMS[program]
    files, main = _sources(package, vendored), _main(module)
    target = Path(settings.DATA_DIR) / "bin" / f"{program}-{_digest(files, main)}.pyz"
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
                # Byte code beside the source (zipimport's layout) saves compiling every module
                # at each start on this Python version; other versions ignore it (magic number).
                py_compile.compile(str(dest), cfile=str(dest.with_suffix(".pyc")), doraise=True,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            (root / "__main__.py").write_text(main)
            partial = Path(staging) / f"{program}.pyz"
            zipapp.create_archive(root, partial, interpreter="/usr/bin/env python3", compressed=True)
            os.chmod(partial, 0o755)
            os.replace(partial, target)
    return target


def agent_zipapp() -> Path:
    return program_zipapp("coder-agent")


def _serve(request, program: str):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    # Every os/arch gets the same zipapp: it is Python.
    # A few hundred kilobytes: served from memory (sync file iterators stall ASGI).
    response = HttpResponse(program_zipapp(program).read_bytes(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{program}"'
    return response


def download(request):
    return _serve(request, "coder-agent")


def download_cli(request):
    return _serve(request, "coderportal")
