"""The rules one archive entry at a time, and the whole-archive link check.

`Inventory` sees entries in archive order and refuses as soon as a rule breaks, so a
hostile archive costs no more than the part read before the first broken rule.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

MAX_LINK_BYTES = 4096  # PATH_MAX: no real link target is longer
MAX_LINK_HOPS = 40  # like the kernel's ELOOP limit
RATIO_FLOOR = 1024 * 1024  # archives expanding to less than this never trip the ratio check


@dataclass(frozen=True)
class Limits:
    max_archive_bytes: int = 10 * 1024 * 1024
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_entries: int = 10_000
    max_ratio: int = 100  # uncompressed / compressed, once past RATIO_FLOOR uncompressed

    def content_budget(self, compressed: int) -> int:
        """Most bytes of entry content an archive of `compressed` bytes may expand to."""
        return min(self.max_uncompressed_bytes, max(RATIO_FLOOR, self.max_ratio * max(compressed, 1)))


class ArchiveError(ValueError):
    """The archive is refused; the message says why (shown to the uploader)."""


@dataclass(frozen=True)
class Entry:
    name: str  # normalized, relative, never "." or containing ".."
    kind: str  # "file" | "dir" | "symlink" | "hardlink"
    size: int = 0
    target: str = ""  # link target for symlinks and hard links
    executable: bool = False


def check_name(name: str) -> str:
    if not name or "\x00" in name:
        raise ArchiveError("Archive contains an entry with an empty or invalid name.")
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"Archive entry {name!r} has an absolute path.")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise ArchiveError(f"Archive entry {name!r} escapes the archive root with '..'.")
    return posixpath.normpath(name.replace("\\", "/"))


@dataclass
class Inventory:
    """Entries seen so far, with the running totals the limits apply to."""

    limits: Limits
    compressed: int
    count: int = 0
    total: int = 0
    kinds: dict[str, str] = field(default_factory=dict)  # name -> kind; implied parents are "dir"
    links: dict[str, str] = field(default_factory=dict)  # symlink name -> target

    def add(self, entry: Entry) -> None:
        self.count += 1
        if self.count > self.limits.max_entries:
            raise ArchiveError(f"Archive has more than {self.limits.max_entries} entries.")
        self.total += max(entry.size, 0)
        if self.total > self.limits.max_uncompressed_bytes:
            raise ArchiveError(f"Archive expands to more than {self.limits.max_uncompressed_bytes} bytes.")
        if self.total > self.limits.content_budget(self.compressed):
            raise ArchiveError("Archive compression ratio is too high (possible archive bomb).")
        if entry.name == ".":
            return  # the root itself, as `tar -C dir .` writes it
        self._place(entry)
        if entry.kind == "symlink":
            if not entry.target or entry.target.startswith("/") or "\x00" in entry.target:
                raise ArchiveError(f"Link {entry.name!r} points to an absolute or empty path.")
            self.links[entry.name] = entry.target
        elif entry.kind == "hardlink" and self.kinds.get(check_name(entry.target)) != "file":
            raise ArchiveError(f"Hard link {entry.name!r} must point to an earlier regular file.")

    def _place(self, entry: Entry) -> None:
        parts = entry.name.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            kind = self.kinds.setdefault(parent, "dir")
            if kind != "dir":
                raise ArchiveError(f"Archive entry {entry.name!r} is stored under a {kind}, not a directory.")
        previous = self.kinds.get(entry.name)
        if previous is not None and not (previous == "dir" and entry.kind == "dir"):
            raise ArchiveError(f"Archive entry {entry.name!r} appears twice.")
        self.kinds[entry.name] = "file" if entry.kind == "hardlink" else entry.kind

    def check_links(self) -> None:
        """Every link resolves (through the other links) to a path inside the root."""
        for name in self.links:
            resolve(name, self.links)


def resolve(name: str, links: dict[str, str]) -> str:
    """Resolve `name` inside the archive like realpath would; raises if it ever leaves the root."""
    pending = name.split("/")
    resolved: list[str] = []
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                raise ArchiveError(f"Link {name!r} points outside the archive once resolved.")
            resolved.pop()
            continue
        resolved.append(part)
        target = links.get("/".join(resolved))
        if target is not None:
            hops += 1
            if hops > MAX_LINK_HOPS:
                raise ArchiveError(f"Link {name!r} is part of a loop or too long a chain.")
            if target.startswith("/"):
                raise ArchiveError(f"Link {name!r} points to an absolute path.")
            resolved.pop()
            pending = target.split("/") + pending
    return "/".join(resolved)
