"""Every calibration made, dated, per sensor and layout (the one in use is in calibration.json,
pfsense.calibration.stored); the therapist page lists them."""

import datetime as dt
import json
import sqlite3

from pfsense.calibration.model import Calibration
from pfsense.store.db import transaction


def add_calibration(
    connection: sqlite3.Connection, sensor_key: str, calibration: Calibration
) -> None:
    with transaction(connection):
        connection.execute(
            "INSERT INTO calibrations (sensor_key, offset_counts_json, counts_per_n_json, source,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            (sensor_key, json.dumps(list(calibration.offset_counts)),
             json.dumps(list(calibration.counts_per_n)), calibration.source,
             dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )  # fmt: skip


def calibration_history(connection: sqlite3.Connection, limit: int = 20) -> list[dict]:
    rows = connection.execute(
        "SELECT * FROM calibrations ORDER BY created_at DESC, id DESC LIMIT ?", (limit,)
    )
    return [
        {
            "sensor": row["sensor_key"],
            "source": row["source"],
            "created_at": row["created_at"],
            "counts_per_n": json.loads(row["counts_per_n_json"]),
        }
        for row in rows
    ]
