"""The SQLite store in the data directory: one file, WAL mode, schema versioned by migrations.

Each thread opens its own connection (sqlite3 connections are not shared across threads); WAL lets
the live loop write a session while the web reads history. `synchronous=NORMAL` in WAL mode keeps
every committed transaction across a crash of pfsense (only a power cut can lose the last ones),
which is what "a kill -9 loses at most the last second" needs.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pfsense.errors import ConfigError
from pfsense.store.migrations import MIGRATIONS

FILENAME = "pfsense.sqlite3"
BUSY_TIMEOUT_MS = 5000


def database_path(data_dir: Path) -> Path:
    return data_dir / FILENAME


def connect(data_dir: Path) -> sqlite3.Connection:
    """An open, migrated connection to the data directory's database."""
    path = database_path(data_dir)
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.OperationalError as error:
        raise ConfigError(f"cannot open the database {path}: {error}") from None
    connection.row_factory = sqlite3.Row
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        migrate(connection)
    except sqlite3.DatabaseError as error:
        connection.close()
        raise ConfigError(
            f"{path} is not a pfsense database ({error}); move it aside to start afresh"
        ) from None
    path.chmod(0o600)
    return connection


def schema_version(connection: sqlite3.Connection) -> int:
    return connection.execute("PRAGMA user_version").fetchone()[0]


def migrate(connection: sqlite3.Connection, up_to: int | None = None) -> None:
    """Apply the migrations this database has not had yet, each in its own transaction. The
    version is read inside the transaction, so two connections opening at once (the live loop
    and a web request) cannot both apply the same migration."""
    latest = len(MIGRATIONS)
    target = up_to or latest
    while True:
        with transaction(connection):
            version = schema_version(connection)
            if version > latest:
                raise ConfigError(
                    f"the database is schema {version}, newer than this pfsense knows "
                    f"({latest}); upgrade pfsense"
                )
            if version >= target:
                return
            for statement in MIGRATIONS[version]:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error: all or nothing."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
