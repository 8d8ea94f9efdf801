"""Calibrations saved in the data directory (calibration.json), applied wherever the same kind of
sensor and layout is used again: the live page, recordings, and so `pfsense analyze`.

A recording carries the calibration it was made with, so replaying it never needs this file.
"""

import datetime as dt
import json
import os
from pathlib import Path

from pfsense.calibration.model import Calibration
from pfsense.errors import ConfigError

FILENAME = "calibration.json"
VERSION = 1


def sensor_key(sensor_name: str, layout_name: str) -> str:
    """Which stored calibration a sensor uses: its driver and layout, e.g. "serial/plate4"."""
    return f"{sensor_name.split(':', 1)[0]}/{layout_name}"


def load_calibration(data_dir: Path, key: str) -> Calibration | None:
    """The stored calibration for `key`, or None if there is none."""
    entry = _read(data_dir).get(key)
    if entry is None:
        return None
    try:
        return Calibration(
            tuple(entry["offset_counts"]), tuple(entry["counts_per_n"]), entry["source"]
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(
            f"{data_dir / FILENAME}: calibration {key!r} is damaged ({error}); calibrate again"
        ) from None


def save_calibration(data_dir: Path, key: str, calibration: Calibration) -> None:
    """Store a calibration, replacing the previous one for `key`; written atomically, owner-only."""
    entries = _read(data_dir)
    entries[key] = {
        "offset_counts": list(calibration.offset_counts),
        "counts_per_n": list(calibration.counts_per_n),
        "source": calibration.source,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    path = data_dir / FILENAME
    partial = path.with_suffix(".json.part")
    with open(
        os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8"
    ) as file:
        json.dump({"version": VERSION, "calibrations": entries}, file, indent=2)
    os.replace(partial, path)


def _read(data_dir: Path) -> dict:
    path = data_dir / FILENAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"{path} is not a calibration file ({error}); fix it, or delete it to calibrate again"
        ) from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise ConfigError(f"{path}: expected a pfsense calibration file, version {VERSION}")
    return dict(document.get("calibrations", {}))
