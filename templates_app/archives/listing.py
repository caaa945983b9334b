"""Reading archives entry by entry through bounded readers, and `validate()`.

Nothing here holds more than one entry's metadata (or one link target) at a time beyond
the entry list itself, which `Limits.max_entries` caps. Decompression of a tar stops once
more bytes came out than the limits allow; zip link targets are read at most
`MAX_LINK_BYTES` at a time; zip central directories are counted before zipfile parses them.
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator

from templates_app.archives.checks import MAX_LINK_BYTES, ArchiveError, Entry, Inventory, Limits, check_name

TAR = "application/x-tar"
ZIP = "application/zip"
ACCEPTED_TYPES = (TAR, ZIP)

# Errors the standard library raises on malformed or truncated input.
READ_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error, lzma.LZMAError,
               UnicodeDecodeError, NotImplementedError)
MAX_META_BYTES = 64 * 1024  # one pax / GNU long-name header; real ones are a few hundred bytes
HEADER_ALLOWANCE = 2048  # tar bytes per entry besides content: header, padding, a pax header
_META_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
               tarfile.GNUTYPE_LONGLINK)
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # the others decompress without a bound

Opener = Callable[[], io.BufferedIOBase]


def detect_type(data: bytes, declared: str) -> str:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in ACCEPTED_TYPES:
        raise ArchiveError(f"Unsupported content type {declared!r}; use {TAR} or {ZIP}.")
    return declared


def validate(data: bytes, content_type: str, limits: Limits = Limits()) -> str:
    """Check an archive without extracting it; returns the accepted content type."""
    if len(data) > limits.max_archive_bytes:
        raise ArchiveError(f"Archive is larger than {limits.max_archive_bytes} bytes.")
    kind = detect_type(data, content_type)
    inventory = Inventory(limits, len(data))
    try:
        for entry, _ in entries(data, kind, limits):
            inventory.add(entry)
    except READ_ERRORS as exc:
        raise ArchiveError(f"Not a valid {'tar' if kind == TAR else 'zip'} archive: {exc}") from None
    inventory.check_links()
    return kind


def entries(data: bytes, kind: str, limits: Limits) -> Iterator[tuple[Entry, Opener]]:
    """(entry, open its content) in archive order; content must be read before the next entry."""
    return _tar_entries(data, limits) if kind == TAR else _zip_entries(data, limits)


class BoundedReader:
    """A file-like reader that refuses to return more than `limit` bytes in total."""

    def __init__(self, source, limit: int):
        self.source, self.limit, self.consumed = source, limit, 0

    def read(self, size: int = -1) -> bytes:
        room = self.limit - self.consumed + 1
        chunk = self.source.read(room if size is None or size < 0 else min(size, room))
        self.consumed += len(chunk)
        if self.consumed > self.limit:
            raise ArchiveError("Archive expands to more bytes than the limits allow.")
        return chunk


class _BoundedTarInfo(tarfile.TarInfo):
    """Refuses oversized pax / long-name headers before tarfile reads them into memory."""

    @classmethod
    def fromtarfile(cls, tarfile_obj):
        buf = tarfile_obj.fileobj.read(tarfile.BLOCKSIZE)
        obj = cls.frombuf(buf, tarfile_obj.encoding, tarfile_obj.errors)
        obj.offset = tarfile_obj.fileobj.tell() - tarfile.BLOCKSIZE
        if obj.type in _META_TYPES and obj.size > MAX_META_BYTES:
            raise ArchiveError(f"Archive has an extended header larger than {MAX_META_BYTES} bytes.")
        return obj._proc_member(tarfile_obj)


def _decompressed(data: bytes):
    raw = io.BytesIO(data)
    if data[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if data[:3] == b"BZh":
        return bz2.BZ2File(raw)
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(raw)
    return raw


def _tar_entries(data: bytes, limits: Limits) -> Iterator[tuple[Entry, Opener]]:
    bound = limits.content_budget(len(data)) + limits.max_entries * HEADER_ALLOWANCE + 64 * 1024
    stream = BoundedReader(_decompressed(data), bound)
    with tarfile.open(fileobj=stream, mode="r|", tarinfo=_BoundedTarInfo) as archive:
        for member in archive:
            yield _tar_entry(member), (lambda member=member: archive.extractfile(member))


def _tar_entry(member: tarfile.TarInfo) -> Entry:
    name = check_name(member.name)
    if member.isdev() or member.isfifo():
        raise ArchiveError(f"Archive entry {member.name!r} is a device or fifo.")
    if member.issparse():
        raise ArchiveError(f"Archive entry {member.name!r} is a sparse file.")
    if member.issym():
        return Entry(name, "symlink", target=member.linkname)
    if member.islnk():
        return Entry(name, "hardlink", target=check_name(member.linkname))
    if member.isdir():
        return Entry(name, "dir")
    if member.isfile():
        return Entry(name, "file", size=member.size, executable=bool(member.mode & 0o111))
    raise ArchiveError(f"Archive entry {member.name!r} has an unsupported type.")


def _zip_entries(data: bytes, limits: Limits) -> Iterator[tuple[Entry, Opener]]:
    _count_zip_directory(data, limits)
    archive = zipfile.ZipFile(io.BytesIO(data))
    for info in archive.infolist():
        yield _zip_entry(archive, info), (lambda info=info: archive.open(info))


def _count_zip_directory(data: bytes, limits: Limits) -> None:
    """Count central-directory records before zipfile builds an object for each of them."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or end + 22 > len(data):
        raise ArchiveError("Not a valid zip archive: no end of central directory.")
    if data[max(0, end - 20):end].startswith(b"PK\x06\x07"):
        # Zip64 is only needed past 65535 entries or 4 GiB, both far beyond the limits.
        raise ArchiveError("Zip64 archives are not supported.")
    declared = int.from_bytes(data[end + 10:end + 12], "little")
    size = int.from_bytes(data[end + 12:end + 16], "little")
    position, count = max(0, end - size), 0
    while position + 46 <= end and data[position:position + 4] == b"PK\x01\x02":
        count += 1
        if count > limits.max_entries:
            raise ArchiveError(f"Archive has more than {limits.max_entries} entries.")
        lengths = [int.from_bytes(data[position + o:position + o + 2], "little") for o in (28, 30, 32)]
        position += 46 + sum(lengths)
    if count != declared:
        raise ArchiveError("Not a valid zip archive: the central directory does not match its end record.")


def _zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Entry:
    name = check_name(info.filename)
    if info.flag_bits & 0x1:
        raise ArchiveError(f"Archive entry {info.filename!r} is encrypted.")
    if info.compress_type not in _ZIP_METHODS:
        raise ArchiveError(f"Archive entry {info.filename!r} uses an unsupported compression method.")
    mode = info.external_attr >> 16 if info.create_system == 3 else 0
    kind = stat.S_IFMT(mode)
    if info.is_dir() or kind == stat.S_IFDIR:
        return Entry(name, "dir")
    if kind == stat.S_IFLNK:
        with archive.open(info) as source:
            raw = source.read(MAX_LINK_BYTES + 1)
        if len(raw) > MAX_LINK_BYTES:
            raise ArchiveError(f"Link {info.filename!r} has a target longer than {MAX_LINK_BYTES} bytes.")
        return Entry(name, "symlink", target=raw.decode("utf-8"))
    # No type bits (Python's zipfile.writestr, Windows tools) means a regular file.
    if kind in (0, stat.S_IFREG):
        return Entry(name, "file", size=info.file_size, executable=bool(mode & 0o111))
    raise ArchiveError(f"Archive entry {info.filename!r} has an unsupported type.")
