"""Archive checks without a server: bounded listing, link chains, writestr zips, safe extraction."""
from __future__ import annotations

import gzip
import io
import os
import tarfile
import zipfile

import pytest

from templates_app import archives
from tests.security import hostile_archives as hostile

MIB = hostile.MIB


def test_targz_listing_stops_at_the_limit_instead_of_decompressing_everything():
    # 1 GiB of declared zeros followed by bytes that are not gzip: a listing that decompressed
    # the whole stream would trip over the garbage; a bounded one stops at the first header.
    data = hostile.targz_of_zeros(1024 * MIB)[:-1024] + b"not gzip" * 128
    with pytest.raises(archives.ArchiveError, match="expands to more than"):
        archives.validate(data, archives.TAR)


def test_oversized_pax_header_is_refused_before_tarfile_reads_it():
    limits = archives.Limits(max_uncompressed_bytes=2 * MIB, max_entries=10)
    # A pax header declares no entry size; tarfile would read all 60 MiB of it into memory.
    data = hostile.pax_header_bomb(60 * MIB)
    with pytest.raises(archives.ArchiveError, match="extended header"):
        archives.validate(data, archives.TAR, limits)


def test_bounded_reader_refuses_past_its_limit():
    reader = archives.listing.BoundedReader(io.BytesIO(b"x" * 100), 64)
    assert len(reader.read(64)) == 64
    with pytest.raises(archives.ArchiveError):
        reader.read(10)


@pytest.mark.parametrize("links", [
    [("x", "."), ("x/x/x/esc", "../../..")],
    [("x", "."), ("esc", "x/x/x/../../..")],
    [("a", "b/c"), ("b", "."), ("c", "..")],
    [("loop", "loop/x")],
], ids=["through-entry-name", "through-target", "two-hop", "loop"])
def test_symlink_chains_that_escape_when_resolved_are_refused(links, tmp_path):
    data = hostile.tar_of_links(links)
    with pytest.raises(archives.ArchiveError):
        archives.validate(data, archives.TAR)
    with pytest.raises(archives.ArchiveError):
        archives.extract(data, archives.TAR, str(tmp_path / "out"))
    assert os.listdir(tmp_path) in ([], ["out"])


def test_links_that_stay_inside_are_kept(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind, payload in [("sub", "dir", ""), ("sub/main.tf", "file", "x"),
                                    ("cur", "symlink", "."), ("tf", "symlink", "cur/sub/main.tf"),
                                    ("copy.tf", "hardlink", "sub/main.tf")]:
            info = tarfile.TarInfo(name)
            info.type = {"dir": tarfile.DIRTYPE, "file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE,
                         "hardlink": tarfile.LNKTYPE}[kind]
            if kind in ("symlink", "hardlink"):
                info.linkname = payload
            info.size = len(payload) if kind == "file" else 0
            tar.addfile(info, io.BytesIO(payload.encode()) if kind == "file" else None)
    archives.extract(buffer.getvalue(), archives.TAR, str(tmp_path))
    assert (tmp_path / "tf").read_text() == "x"
    assert (tmp_path / "copy.tf").read_text() == "x" and not (tmp_path / "copy.tf").is_symlink()


def test_zip_from_writestr_is_a_regular_file(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("main.tf", 'resource "terraform_data" "x" {}\n')  # no type bits: 0o600 << 16
        archive.writestr(zipfile.ZipInfo("sub/README.md"), "# hi\n")  # no attributes at all
    assert archives.validate(buffer.getvalue(), archives.ZIP) == archives.ZIP
    archives.extract(buffer.getvalue(), archives.ZIP, str(tmp_path))
    assert (tmp_path / "sub" / "README.md").read_text() == "# hi\n"


def test_zip_with_an_unbounded_compression_method_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("main.tf", "x" * 1000)
    with pytest.raises(archives.ArchiveError, match="compression method"):
        archives.validate(buffer.getvalue(), archives.ZIP)


def test_duplicate_names_cannot_overwrite_through_a_link(tmp_path):
    # A link first, then a file of the same name: extracting the file would write through the link.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        link = tarfile.TarInfo("main.tf")
        link.type, link.linkname = tarfile.SYMTYPE, "other.tf"
        tar.addfile(link)
        body = tarfile.TarInfo("main.tf")
        body.size = 1
        tar.addfile(body, io.BytesIO(b"x"))
    with pytest.raises(archives.ArchiveError, match="twice"):
        archives.validate(buffer.getvalue(), archives.TAR)


def test_extraction_never_writes_through_a_link_planted_in_the_scratch_dir(tmp_path):
    # Defence in depth: even if the scratch dir already held a link (it never should), entries
    # below it are refused because their parent resolves outside the destination.
    outside = tmp_path / "outside"
    outside.mkdir()
    destination = tmp_path / "scratch"
    destination.mkdir()
    (destination / "sub").symlink_to(outside)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("sub/main.tf")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(archives.ArchiveError, match="outside"):
        archives.extract(buffer.getvalue(), archives.TAR, str(destination))
    assert list(outside.iterdir()) == []


def test_gzip_that_lies_about_entry_sizes_is_refused(tmp_path):
    # The header says 10,000 bytes; the data is cut short: a clean refusal, not a crash.
    info = tarfile.TarInfo("main.tf")
    info.size = 10_000
    data = gzip.compress(info.tobuf() + b"x" * 100)
    with pytest.raises(archives.ArchiveError):
        archives.extract(data, archives.TAR, str(tmp_path))
