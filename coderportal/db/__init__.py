"""Database plumbing of the portal (the embedded SQLite backend)."""
