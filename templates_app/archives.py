"""Template source archives are hostile until checked: validation and safe extraction.

Accepts tar (optionally gzip-compressed) and zip. Refuses absolute paths, `..`
components, device/fifo entries, links whose target leaves the archive root, encrypted
zip entries, and bombs (too many entries, too many uncompressed bytes, or an extreme
compression ratio). Extraction re-checks sizes while copying, so lying headers don't help.
This module imports no Django.
"""
from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
import zipfile
from dataclasses import dataclass

TAR = "application/x-tar"
ZIP = "application/zip"
ACCEPTED_TYPES = (TAR, ZIP)


@dataclass(frozen=True)
class Limits:
    max_archive_bytes: int = 10 * 1024 * 1024
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_entries: int = 10_000
    max_ratio: int = 100  # uncompressed / compressed, once past 1 MiB uncompressed


class ArchiveError(ValueError):
    """The archive is refused; the message says why (shown to the uploader)."""


def _check_name(name: str) -> str:
    if not name or "\x00" in name:
        raise ArchiveError("Archive contains an entry with an empty or invalid name.")
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"Archive entry {name!r} has an absolute path.")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise ArchiveError(f"Archive entry {name!r} escapes the archive root with '..'.")
    normalized = posixpath.normpath(name.replace("\\", "/"))
    return "" if normalized == "." else normalized


def _check_link(name: str, target: str) -> None:
    if not target or target.startswith("/"):
        raise ArchiveError(f"Link {name!r} points to an absolute path.")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    if resolved == ".." or resolved.startswith("../"):
        raise ArchiveError(f"Link {name!r} points outside the archive.")


def _check_totals(count: int, total: int, compressed: int, limits: Limits) -> None:
    if count > limits.max_entries:
        raise ArchiveError(f"Archive has more than {limits.max_entries} entries.")
    if total > limits.max_uncompressed_bytes:
        raise ArchiveError(f"Archive expands to more than {limits.max_uncompressed_bytes} bytes.")
    if total > 1024 * 1024 and total > limits.max_ratio * max(compressed, 1):
        raise ArchiveError("Archive compression ratio is too high (possible archive bomb).")


def detect_type(data: bytes, declared: str) -> str:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in ACCEPTED_TYPES:
        raise ArchiveError(f"Unsupported content type {declared!r}; use {TAR} or {ZIP}.")
    return declared


def _tar_members(data: bytes, limits: Limits):
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
        members = []
        for member in archive:
            members.append(member)
            if len(members) > limits.max_entries:
                raise ArchiveError(f"Archive has more than {limits.max_entries} entries.")
    except (tarfile.TarError, EOFError, OSError, zipfile.BadZipFile) as exc:
        raise ArchiveError(f"Not a valid tar archive: {exc}") from None
    return archive, members


def validate(data: bytes, content_type: str, limits: Limits = Limits()) -> str:
    """Check an archive without extracting it; returns the accepted content type."""
    if len(data) > limits.max_archive_bytes:
        raise ArchiveError(f"Archive is larger than {limits.max_archive_bytes} bytes.")
    kind = detect_type(data, content_type)
    if kind == TAR:
        _, members = _tar_members(data, limits)
        total = 0
        for member in members:
            name = _check_name(member.name)
            if member.isdev() or member.isfifo():
                raise ArchiveError(f"Archive entry {member.name!r} is a device or fifo.")
            if member.issym():
                _check_link(name, member.linkname)
            elif member.islnk():
                _check_name(member.linkname)
            elif not (member.isfile() or member.isdir()):
                raise ArchiveError(f"Archive entry {member.name!r} has an unsupported type.")
            total += max(member.size, 0)
        _check_totals(len(members), total, len(data), limits)
    else:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ArchiveError(f"Not a valid zip archive: {exc}") from None
        total = 0
        for info in infos:
            name = _check_name(info.filename)
            if info.flag_bits & 0x1:
                raise ArchiveError(f"Archive entry {info.filename!r} is encrypted.")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                _check_link(name, archive.read(info).decode("utf-8", "replace"))
            elif mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise ArchiveError(f"Archive entry {info.filename!r} has an unsupported type.")
            total += info.file_size
        _check_totals(len(infos), total, len(data), limits)
    return kind


def _copy_limited(source, target_path: str, budget: list[int]) -> None:
    with open(target_path, "wb") as out:
        while chunk := source.read(64 * 1024):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise ArchiveError("Archive expands to more bytes than its headers declare.")
            out.write(chunk)


def extract(data: bytes, content_type: str, destination: str, limits: Limits = Limits()) -> None:
    """Validate, then extract into `destination` (an empty private directory)."""
    kind = validate(data, content_type, limits)
    root = os.path.realpath(destination)
    budget = [limits.max_uncompressed_bytes]

    def target_for(name: str) -> str:
        path = os.path.realpath(os.path.join(root, name))
        if path != root and not path.startswith(root + os.sep):
            raise ArchiveError(f"Archive entry {name!r} resolves outside the destination.")
        return path

    if kind == TAR:
        archive, members = _tar_members(data, limits)
        for member in members:
            name = _check_name(member.name)
            path = target_for(name)
            if member.isdir():
                os.makedirs(path, exist_ok=True)
            elif member.isfile():
                os.makedirs(os.path.dirname(path), exist_ok=True)
                _copy_limited(archive.extractfile(member), path, budget)
                os.chmod(path, 0o755 if member.mode & 0o111 else 0o644)
            elif member.issym():
                os.makedirs(os.path.dirname(path), exist_ok=True)
                os.symlink(member.linkname, path)
            elif member.islnk():
                source = target_for(_check_name(member.linkname))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(source, "rb") as src:
                    _copy_limited(src, path, budget)
    else:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for info in archive.infolist():
            name = _check_name(info.filename)
            path = target_for(name)
            mode = info.external_attr >> 16
            if info.is_dir():
                os.makedirs(path, exist_ok=True)
            elif stat.S_ISLNK(mode):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                os.symlink(archive.read(info).decode(), path)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with archive.open(info) as src:
                    _copy_limited(src, path, budget)
                os.chmod(path, 0o755 if mode & 0o111 else 0o644)
