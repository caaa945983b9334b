"""Django's SQLite backend, with the database file private to the portal's OS user.

The embedded database holds Terraform state (cloud credentials included) and session
keys, so it is created mode 0600 before SQLite opens it; SQLite gives its `-wal` and
`-shm` files the database file's mode. Files left by an older install are narrowed to
0600 when a connection opens.
"""
from __future__ import annotations

import os

from django.db.backends.sqlite3 import base

PRIVATE = 0o600


def make_private(path: str) -> None:
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    # Never open (and so close) a descriptor of an existing database file: closing any
    # descriptor of a file drops every POSIX lock this process holds on it, including the
    # locks of SQLite connections in other threads (a torn transaction, "disk I/O error").
    # Only a file that does not exist yet is created here, exclusively; others are chmod-ed.
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), PRIVATE))
    except FileExistsError:
        pass
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        try:
            if os.stat(name).st_mode & 0o777 != PRIVATE:
                os.chmod(name, PRIVATE)
        except FileNotFoundError:
            continue


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        make_private(str(conn_params.get("database", "")))
        return super().get_new_connection(conn_params)
