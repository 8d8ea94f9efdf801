"""The SQLite store in the data directory: one file, WAL mode, schema versioned by migrations.

Each thread opens its own connection (sqlite3 connections are not shared across threads); WAL lets
the live loop write a session while the web reads history. `synchronous=NORMAL` in WAL mode keeps
every committed transaction across a crash of pfsense (only a power cut can lose the last ones),
which is what "a kill -9 loses at most the last second" needs.
"""

import sqlite3
import time
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
        _set_up(connection)
    except sqlite3.DatabaseError as error:
        connection.close()
        if _busy(error):
            raise ConfigError(
                f"the database {path} stayed busy for {BUSY_TIMEOUT_MS / 1000:g} s: is another "
                "pfsense using it?"
            ) from None
        if "readonly" in str(error) or "unable to open" in str(error):
            raise ConfigError(
                f"cannot write the database {path} ({error}): check that this user owns it "
                "and that the card is not full or read-only"
            ) from None
        raise ConfigError(
            f"{path} is not a pfsense database ({error}); move it aside to start afresh"
        ) from None
    try:
        connection.execute("BEGIN IMMEDIATE")  # can it be written? (immutable, read-only, ...)
        connection.execute("ROLLBACK")
        # The database and SQLite's -wal and -shm beside it: owner-only, whatever the umask was.
        for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if part.exists():
                part.chmod(0o600)
    except (sqlite3.Error, OSError) as error:
        connection.close()
        raise ConfigError(
            f"cannot write the database {path} ({getattr(error, 'strerror', None) or error}): "
            "check that this user owns it and that the card is not full or read-only"
        ) from None
    return connection


def _set_up(connection: sqlite3.Connection) -> None:
    """WAL, foreign keys, the schema. Two connections opening a new database at once (the web
    server's and the live loop's, at start) can find it locked while the other migrates, and
    switching to WAL does not wait on its own: it is tried again until BUSY_TIMEOUT_MS."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            migrate(connection)
            return
        except sqlite3.OperationalError as error:
            if not _busy(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _busy(error: sqlite3.Error) -> bool:
    return "locked" in str(error) or "busy" in str(error)


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


ID_TABLES = ("patients", "sessions")


def next_id(connection: sqlite3.Connection, table: str) -> int:
    """An id never handed out before in `table`, inside the caller's transaction. SQLite alone
    would give a deleted last row's id again: an old link or export would then name another
    patient's session."""
    if table not in ID_TABLES:
        raise ValueError(f"no id counter for {table!r}")
    key = f"last_id:{table}"
    row = connection.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    largest = connection.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]
    new_id = max(int(row[0]) if row else 0, largest) + 1
    connection.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, str(new_id)),
    )
    return new_id
