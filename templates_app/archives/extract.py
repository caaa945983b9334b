"""Extracting a validated archive into an empty scratch directory, and nowhere else.

Every entry's parent directory is resolved against the real filesystem and must lie below
the real scratch directory; files are created exclusively and without following a link at
the final component; tarfile's `data` filter checks each entry again as a second layer;
content is copied through a bounded reader, so no entry writes more than it declared.
"""
from __future__ import annotations

import os
import tarfile

from templates_app.archives.checks import ArchiveError, Entry, Inventory, Limits
from templates_app.archives.listing import READ_ERRORS, BoundedReader, entries, validate

_CHUNK = 64 * 1024


def extract(data: bytes, content_type: str, destination: str, limits: Limits = Limits()) -> None:
    """Validate, then extract into `destination` (an empty private directory)."""
    kind = validate(data, content_type, limits)
    root = os.path.realpath(destination)
    inventory = Inventory(limits, len(data))
    try:
        for entry, open_content in entries(data, kind, limits):
            inventory.add(entry)  # the same rules again: the bytes could differ from the first pass
            if entry.name != ".":
                _write(root, entry, open_content)
    except READ_ERRORS as exc:
        raise ArchiveError(f"Could not extract the archive: {exc}") from None


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def _second_layer(root: str, entry: Entry) -> None:
    """tarfile's `data` filter, applied to every entry whatever the archive format."""
    info = tarfile.TarInfo(entry.name)
    info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                 "hardlink": tarfile.LNKTYPE}[entry.kind]
    info.linkname = entry.target
    try:
        tarfile.data_filter(info, root)
    except tarfile.FilterError as exc:
        raise ArchiveError(f"Archive entry {entry.name!r} refused: {exc}") from None


def _write(root: str, entry: Entry, open_content) -> None:
    path = os.path.join(root, entry.name)
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    if not _inside(root, os.path.realpath(parent)):
        raise ArchiveError(f"Archive entry {entry.name!r} resolves outside the destination.")
    _second_layer(root, entry)
    if entry.kind == "dir":
        os.makedirs(path, exist_ok=True)
        if not _inside(root, os.path.realpath(path)):
            raise ArchiveError(f"Archive entry {entry.name!r} resolves outside the destination.")
    elif entry.kind == "symlink":
        os.symlink(entry.target, path)
    elif entry.kind == "hardlink":
        # A copy, not a link: the target was written by this extraction (checked earlier).
        with _open_exclusive(path, 0o644) as out, open(os.path.join(root, entry.target), "rb") as source:
            _copy(source, out, os.fstat(source.fileno()).st_size)
    else:
        with _open_exclusive(path, 0o755 if entry.executable else 0o644) as out, open_content() as source:
            _copy(source, out, entry.size)


def _open_exclusive(path: str, mode: int):
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.fdopen(os.open(path, flags, mode), "wb")
    except FileExistsError:
        raise ArchiveError(f"Archive entry {os.path.basename(path)!r} appears twice.") from None


def _copy(source, out, declared: int) -> None:
    bounded = BoundedReader(source, declared)
    while chunk := bounded.read(_CHUNK):
        out.write(chunk)
