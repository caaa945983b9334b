"""The private-file SQLite backend must not disturb the locks of connections already open.

Closing any descriptor of a file drops every POSIX lock the process holds on it, so a backend
that opened and closed the database file whenever a connection was made would silently end
the write lock of another thread's transaction (torn transactions, "disk I/O error", and other
processes reading stale rows).
"""
import sqlite3
import subprocess
import sys

from coderportal.db.sqlite3.base import make_private

OTHER_PROCESS_WRITES = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], timeout=0)
try:
    connection.execute("BEGIN IMMEDIATE")
except sqlite3.OperationalError as exc:
    print(exc)
else:
    print("acquired")
"""


def _other_process_tries_to_write(path) -> str:
    return subprocess.run([sys.executable, "-c", OTHER_PROCESS_WRITES, str(path)], capture_output=True,
                          text=True, timeout=60).stdout.strip()


def test_a_new_connection_keeps_the_write_lock_of_an_open_transaction(tmp_path):
    path = tmp_path / "portal.sqlite3"
    make_private(str(path))
    holder = sqlite3.connect(path, isolation_level=None)
    # Rollback journal: the write lock is a POSIX lock on the database file itself (in WAL mode
    # SQLite also keeps a lock on it, which tells other processes that the file is in use).
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    assert _other_process_tries_to_write(path) == "database is locked"

    make_private(str(path))  # what every new connection of the portal does first

    assert _other_process_tries_to_write(path) == "database is locked"
    holder.execute("COMMIT")
    assert _other_process_tries_to_write(path) == "acquired"


def test_the_file_is_created_private(tmp_path):
    path = tmp_path / "new.sqlite3"
    make_private(str(path))
    assert path.stat().st_mode & 0o777 == 0o600
