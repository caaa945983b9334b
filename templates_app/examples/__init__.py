"""Starter templates shipped with the portal (Coder's "examples").

Each example is a directory `<id>/` holding `main.tf` and a `README.md` whose YAML front
matter names it (`display_name`, `description`, `icon`, `tags`, optional `url`). The API
lists them (`GET /templates/examples`) and `example_archive(id)` packs one as the tar
archive a template version is imported from.
"""
from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent
# Fixed metadata in the archive, so packing the same example twice gives identical bytes
# (and the file upload deduplicates by hash).
_MTIME = 1_700_000_000


@dataclass(frozen=True)
class Example:
    id: str
    name: str
    description: str
    icon: str
    tags: tuple[str, ...]
    markdown: str
    url: str = ""
    files: tuple[str, ...] = field(default=())

    def json(self) -> dict:
        """Coder's TemplateExample."""
        return {"id": self.id, "url": self.url, "name": self.name, "description": self.description,
                "icon": self.icon, "tags": list(self.tags), "markdown": self.markdown}


def _front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---"):
        return {}, text
    _, header, body = text.split("---", 2)
    return (yaml.safe_load(header) or {}), body.lstrip("\n")


def _load(directory: Path) -> Example:
    meta, markdown = _front_matter((directory / "README.md").read_text(encoding="utf-8"))
    files = tuple(sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                         if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"))
    return Example(id=directory.name, name=str(meta.get("display_name") or directory.name),
                   description=str(meta.get("description") or ""), icon=str(meta.get("icon") or ""),
                   tags=tuple(str(t) for t in meta.get("tags") or ()), markdown=markdown,
                   url=str(meta.get("url") or ""), files=files)


@lru_cache(maxsize=1)
def list_examples() -> tuple[Example, ...]:
    dirs = sorted(p for p in ROOT.iterdir() if p.is_dir() and (p / "main.tf").is_file())
    return tuple(_load(d) for d in dirs)


def get_example(example_id: str) -> Example | None:
    return next((e for e in list_examples() if e.id == example_id), None)


def example_archive(example_id: str) -> bytes:
    """The example's files as an uncompressed tar (what `POST /files` accepts)."""
    example = get_example(example_id)
    if example is None:
        raise KeyError(example_id)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in example.files:
            data = (ROOT / example_id / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), _MTIME, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
