"""Targets: per patient and technique, the force band, cadence range and duration a therapist
wants, entered by hand or proposed from a demonstration."""

import datetime as dt
import sqlite3
from dataclasses import dataclass

from pfsense.clinical import doses
from pfsense.clinical.techniques import PROFILES, Technique
from pfsense.errors import InvalidInput
from pfsense.store import checks
from pfsense.store.db import transaction

MAX_FORCE_N = 2000.0  # more than a standing adult's weight
SOURCES = ("default", "manual", "demonstration", "felt")  # felt: a band by feel


@dataclass(frozen=True)
class Target:
    technique: Technique
    band_n: tuple[float, float]
    cadence_per_min: tuple[float, float] | None  # None for techniques held still
    duration_s: float
    source: str = "manual"

    def to_dict(self) -> dict:
        return {
            "technique": self.technique.value,
            "band_n": list(self.band_n),
            "cadence_per_min": list(self.cadence_per_min) if self.cadence_per_min else None,
            "duration_s": self.duration_s,
            "source": self.source,
        }


def default_target(technique: Technique) -> Target:
    """Before a therapist sets one: the roller studies' band (Grabow 2018), the technique's cadence
    and the lower end of its duration (pfsense.clinical.techniques.PROFILES, from DOMAIN.md)."""
    profile = PROFILES[technique]
    return Target(
        technique,
        doses.DEFAULT_TARGET_BAND_N,
        profile.cadence_per_min,
        profile.duration_s[0],
        "default",
    )


def checked_target(fields: dict, source: str = "manual") -> Target:
    """A Target from user input: band low < high, 0-2000 N; cadence likewise; 5-600 s."""
    technique = Technique(
        checks.choice("technique", fields.get("technique"), list(Technique), "Technique")
    )
    named = technique.value.replace("_", " ").capitalize() + " target"  # as the table shows it
    band = _pair(fields.get("band_n"), "band_n", f"{named} band (N)", 0.0, MAX_FORCE_N, " N")
    cadence = fields.get("cadence_per_min")
    if cadence is not None:
        label = f"{named} cadence (a minute)"
        cadence = _pair(cadence, "cadence_per_min", label, 1.0, 200.0, " a minute")
    duration_s = checks.number(
        "duration_s", fields.get("duration_s", 60.0), 5.0, 600.0, " s", f"{named} duration (s)"
    )
    return Target(technique, band, cadence, duration_s, source)


def _pair(
    value: object, field: str, label: str, low: float, high: float, unit: str
) -> tuple[float, float]:
    """[low end, high end], each checked (an empty one is an error, never 0), low below high."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidInput(field, "expected two numbers, its low and high ends", label)
    ends = [
        checks.number(f"{field}.{end}", given, low, high, unit, f"{label}, {end} end")
        for end, given in zip(("low", "high"), value, strict=True)
    ]
    return checks.band(field, *ends, unit, label)


def set_target(connection: sqlite3.Connection, patient_id: int, target: Target) -> None:
    cadence = target.cadence_per_min or (None, None)
    with transaction(connection):
        connection.execute(
            "INSERT OR REPLACE INTO targets (patient_id, technique, band_low_n, band_high_n,"
            " cadence_low_per_min, cadence_high_per_min, duration_s, source, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (patient_id, target.technique.value, *target.band_n, *cadence, target.duration_s,
             target.source, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )  # fmt: skip


def targets_for(connection: sqlite3.Connection, patient_id: int) -> dict[Technique, Target]:
    """Every technique's target for a patient: theirs where set, else the default."""
    targets = {technique: default_target(technique) for technique in Technique}
    for row in connection.execute("SELECT * FROM targets WHERE patient_id = ?", (patient_id,)):
        low, high = row["cadence_low_per_min"], row["cadence_high_per_min"]
        technique = Technique(row["technique"])
        targets[technique] = Target(
            technique,
            (row["band_low_n"], row["band_high_n"]),
            (low, high) if low is not None else None,
            row["duration_s"],
            row["source"],
        )
    return targets
