"""Template source archives are hostile until checked: validation and safe extraction.

Accepts tar (plain, gzip, bzip2 or xz) and zip (stored or deflated). Everything is read
through bounded readers: listing a tar streams its decompressed bytes and stops as soon as
a limit is passed, a zip's link targets are read at most `MAX_LINK_BYTES` at a time, and
extraction never writes more than the headers declared. Refused: absolute paths, `..`
components, devices, fifos, sparse files, duplicate names, entries stored under a link,
links whose target leaves the archive root once every link on the way is resolved, hard
links to anything but an earlier regular file, encrypted zip entries, and bombs (too many
entries, too many uncompressed bytes, an extreme compression ratio).

Extraction writes below the real path of an empty scratch directory: every parent is
resolved against the real filesystem, files are created exclusively without following
links, and tarfile's `data` filter vets each entry a second time. This package imports no
Django.
"""
from __future__ import annotations

from templates_app.archives.checks import ArchiveError, Limits
from templates_app.archives.extract import extract
from templates_app.archives.listing import ACCEPTED_TYPES, TAR, ZIP, detect_type, validate

__all__ = ["ACCEPTED_TYPES", "TAR", "ZIP", "ArchiveError", "Limits", "detect_type", "extract", "validate"]
