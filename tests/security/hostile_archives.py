"""Hostile template archives, built small: each is refused by a bounded check, never by running out."""
from __future__ import annotations

import gzip
import io
import stat
import tarfile
import zipfile

MIB = 1024 * 1024


def _zeros(out, total: int) -> None:
    chunk = b"\0" * MIB
    for _ in range(total // MIB):
        out.write(chunk)


def zip_symlink_with_payload(payload_bytes: int) -> bytes:
    """A zip entry typed as a symlink whose 'target' is `payload_bytes` of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("link")
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        with archive.open(info, "w") as out:
            _zeros(out, payload_bytes)
    return buffer.getvalue()


def targz_of_zeros(declared_bytes: int) -> bytes:
    """A .tar.gz with one file of zeros: tiny compressed, huge once decompressed.

    Built from one compressed MiB of zeros repeated (concatenated gzip members are one
    valid gzip stream), so a GiB costs milliseconds to build.
    """
    info = tarfile.TarInfo("zeros.bin")
    info.size = declared_bytes
    zeros = gzip.compress(b"\0" * MIB, compresslevel=9)
    parts = [gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT))]
    parts += [zeros] * (declared_bytes // MIB)
    parts.append(gzip.compress(b"\0" * (2 * tarfile.BLOCKSIZE + tarfile.RECORDSIZE)))
    return b"".join(parts)


def targz_of_many_headers(count: int) -> bytes:
    """A .tar.gz of many empty files: the listing must stop at the entry limit."""
    headers = b"".join(tarfile.TarInfo(f"f{i}").tobuf() for i in range(count))
    return gzip.compress(headers + b"\0" * (2 * tarfile.BLOCKSIZE), compresslevel=6)


def zip_of_many_entries(count: int) -> bytes:
    """A zip whose central directory holds `count` records (zipfile would build an object for each)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            archive.writestr(zipfile.ZipInfo(f"{i:x}"), b"")
    return buffer.getvalue()


def tar_of_links(links: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


def pax_header_bomb(header_bytes: int) -> bytes:
    """A .tar.gz whose first member has a pax extended header of `header_bytes`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT, compresslevel=9) as tar:
        info = tarfile.TarInfo("x")
        info.pax_headers = {"comment": "a" * header_bytes}
        tar.addfile(info)
    return buffer.getvalue()
