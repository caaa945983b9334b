"""Recognising "the database has not been migrated" behind a command's database error.

A management command run against a fresh data directory (or a new PostgreSQL database) fails
deep inside the ORM with `no such table` / `relation does not exist`; `manage.py` asks this
module whether that is the cause and then prints one line saying so instead of a traceback.
"""
from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections


def describe(settings_dict: dict) -> str:
    """Where the database is, without credentials."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"SQLite file {settings_dict['NAME']}"
    return f"PostgreSQL database {settings_dict['NAME']} on {settings_dict.get('HOST') or 'localhost'}"


def explain(exc: BaseException) -> str | None:
    """One line when `exc` is a database error of an unmigrated database, else None."""
    if not isinstance(exc, DatabaseError):
        return None
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    try:
        connection.close()  # PostgreSQL: the failed statement aborted the transaction
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return None
    if not pending:
        return None
    return (f"the database ({describe(connection.settings_dict)}) has not been migrated "
            f"({len(pending)} migrations pending): run `python manage.py migrate` with the same "
            "configuration, or start `python manage.py serve`, which migrates first")
