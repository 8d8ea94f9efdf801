"""Guided routines: an ordered list of segments (technique, foot zone, duration, rest after), with
defaults for mild and chronic cases that a therapist edits per patient."""

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass

from pfsense.clinical import doses
from pfsense.clinical.techniques import Technique, Zone
from pfsense.errors import InvalidInput
from pfsense.store import checks
from pfsense.store.db import transaction

MAX_SEGMENTS = 30
SEGMENT_S_RANGE = (5.0, 600.0)
REST_S_RANGE = (0.0, 300.0)
REST_S = doses.REST_BETWEEN_SETS_S  # ~30 s rest between sets (DOMAIN.md)


@dataclass(frozen=True)
class Segment:
    technique: Technique
    zone: Zone
    duration_s: float
    rest_s: float = 0.0

    def to_dict(self) -> dict:
        return {
            "technique": self.technique.value,
            "zone": self.zone.value,
            "duration_s": self.duration_s,
            "rest_s": self.rest_s,
        }


def _plan(*steps: tuple[Technique, Zone, float]) -> tuple[Segment, ...]:
    """Segments with the usual rest between them and none after the last."""
    last = len(steps) - 1
    return tuple(
        Segment(technique, zone, duration_s, 0.0 if i == last else REST_S)
        for i, (technique, zone, duration_s) in enumerate(steps)
    )


T, Z = Technique, Zone
# DOMAIN.md's dosing: 30-120 s per area, ~30 s rest, tender spots held 15-90 s. A mild case
# (2-3 sessions a week) rolls each zone of the sole for a minute and holds the heel briefly; a
# chronic case (daily) works each zone longer, adds friction across the arch and the calf.
DEFAULT_ROUTINES = {
    "mild": _plan(
        (T.ROLLING, Z.HEEL, 60.0),
        (T.ROLLING, Z.ARCH, 60.0),
        (T.ROLLING, Z.FOREFOOT, 60.0),
        (T.TRIGGER_POINT, Z.HEEL, 30.0),
    ),
    "chronic": _plan(
        (T.ROLLING, Z.HEEL, 90.0),
        (T.ROLLING, Z.ARCH, 90.0),
        (T.ROLLING, Z.FOREFOOT, 90.0),
        (T.CROSS_FIBER_FRICTION, Z.ARCH, 60.0),
        (T.TRIGGER_POINT, Z.HEEL, 45.0),
        (T.CALF_RELEASE, Z.CALF, 60.0),
    ),
}


def checked_routine(items: object) -> tuple[Segment, ...]:
    """Segments from user input (a list of {technique, zone, duration_s, rest_s})."""
    if not isinstance(items, list) or not items:
        raise InvalidInput("segments", "has no steps; add at least one", "Routine")
    if len(items) > MAX_SEGMENTS:
        raise InvalidInput("segments", f"has {len(items)} steps; at most {MAX_SEGMENTS}", "Routine")
    return tuple(_segment(index, item) for index, item in enumerate(items))


def _segment(index: int, item: object) -> Segment:
    """One step; its fields are `segments.<index>.<name>`, labelled as the page's columns."""
    at, step = f"segments.{index}", f"Routine step {index + 1}"
    if not isinstance(item, dict):
        raise InvalidInput(at, "expected {technique, zone, duration_s, rest_s}", step)
    technique = item.get("technique")
    technique = checks.choice(f"{at}.technique", technique, list(T), f"{step}, technique")
    zone = checks.choice(f"{at}.zone", item.get("zone"), list(Z), f"{step}, zone")
    work_s = checks.number(
        f"{at}.duration_s", item.get("duration_s"), *SEGMENT_S_RANGE, " s", f"{step}, work (s)"
    )
    rest_s = checks.number(
        f"{at}.rest_s", item.get("rest_s", 0.0), *REST_S_RANGE, " s", f"{step}, rest (s)"
    )
    return Segment(Technique(technique), Zone(zone), work_s, rest_s)


def total_s(segments) -> float:
    """How long a routine takes, its rests included (Segments, or their dicts as stored)."""
    return sum(_seconds(s, "duration_s") + _seconds(s, "rest_s") for s in segments)


def _seconds(segment: Segment | dict, name: str) -> float:
    if isinstance(segment, dict):
        return float(segment.get(name) or 0.0)
    return float(getattr(segment, name))


def set_routine(connection: sqlite3.Connection, patient_id: int, segments) -> None:
    document = json.dumps([segment.to_dict() for segment in segments])
    with transaction(connection):
        connection.execute(
            "INSERT OR REPLACE INTO routines (patient_id, segments_json, updated_at)"
            " VALUES (?, ?, ?)",
            (patient_id, document, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )


def routine_for(connection: sqlite3.Connection, patient_id: int, severity: str):
    """The patient's routine, or the default for their severity."""
    row = connection.execute(
        "SELECT segments_json FROM routines WHERE patient_id = ?", (patient_id,)
    ).fetchone()
    if row is None:
        return DEFAULT_ROUTINES[severity]
    return checked_routine(json.loads(row["segments_json"]))
