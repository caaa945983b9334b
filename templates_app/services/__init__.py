"""Template services, one module per concern (files, templates, ...).

This package only re-exports the public functions callers use as `services.<name>`.
"""
from .files import archive_limits, upload_file

__all__ = ["archive_limits", "upload_file"]
