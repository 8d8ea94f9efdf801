"""The device's own band by feel (for sessions with no patient chosen), kept in the settings
table: the band, the two presses it came from, and when it was set."""

import datetime as dt
import json
import sqlite3

from pfsense.store.db import transaction

SETTING = "felt_band"


def save_felt_band(
    connection: sqlite3.Connection, band_n: tuple[float, float], presses_n: dict
) -> dict:
    """Keep the band; what was kept (as the page and status show it)."""
    kept = {
        "band_n": list(band_n),
        "presses_n": presses_n,
        "set_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    with transaction(connection):
        connection.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (SETTING, json.dumps(kept)),
        )
    return kept


def felt_band(connection: sqlite3.Connection) -> dict | None:
    row = connection.execute("SELECT value FROM settings WHERE key = ?", (SETTING,)).fetchone()
    return json.loads(row[0]) if row else None


def forget_felt_band(connection: sqlite3.Connection) -> None:
    with transaction(connection):
        connection.execute("DELETE FROM settings WHERE key = ?", (SETTING,))
