"""The templates part of /api/v2: files (and, later, templates and template versions)."""
