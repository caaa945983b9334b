"""Files, templates and template versions (arrive with the templates issue)."""
