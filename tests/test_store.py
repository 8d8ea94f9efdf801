"""The SQLite store on a temporary data directory: schema and migrations, patients, targets,
routines, sessions; bad input named and nothing changed."""

import datetime as dt
import sqlite3
from contextlib import closing

import pytest

from pfsense.clinical import adherence, doses
from pfsense.clinical.techniques import Technique, Zone
from pfsense.errors import ConfigError, InvalidInput, NotFound
from pfsense.store import db, patients, routines, sessions, targets
from pfsense.store.migrations import MIGRATIONS


@pytest.fixture
def connection(tmp_path):
    connection = db.connect(tmp_path)
    yield connection
    connection.close()


def test_a_new_database_is_at_the_latest_schema_in_wal_mode_owner_only(connection, tmp_path):
    assert db.schema_version(connection) == len(MIGRATIONS)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.database_path(tmp_path).stat().st_mode & 0o777 == 0o600


def test_an_older_schema_is_migrated_and_keeps_its_data(tmp_path):
    old = sqlite3.connect(db.database_path(tmp_path), isolation_level=None)
    db.migrate(old, up_to=1)
    old.execute(
        "INSERT INTO patients (name, foot_mm, affected_foot, severity, created_at)"
        " VALUES ('A. Patient', 250, 'left', 'chronic', '2026-01-05T10:00:00+00:00')"
    )
    old.execute(
        "INSERT INTO sessions (patient_id, started_at, ended_at, status)"
        " VALUES (1, '2026-01-05T10:00:00+00:00', '2026-01-05T10:06:00+00:00', 'complete')"
    )
    old.close()
    with closing(db.connect(tmp_path)) as connection:
        check_migrated(connection)


def check_migrated(connection):
    assert db.schema_version(connection) == len(MIGRATIONS)
    patient = patients.get_patient(connection, 1)
    assert (patient.name, patient.foot_mm, patient.severity) == ("A. Patient", 250.0, "chronic")
    assert patient.plan_per_week == doses.SESSIONS_PER_WEEK["chronic"]
    session = sessions.get_session(connection, 1)
    assert session.status == "complete"
    row = connection.execute("SELECT updated_at FROM sessions WHERE id = 1").fetchone()
    assert row[0] == "2026-01-05T10:06:00+00:00"


def test_a_database_from_a_newer_pfsense_is_refused(tmp_path):
    newer = sqlite3.connect(db.database_path(tmp_path))
    newer.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    newer.close()
    with pytest.raises(ConfigError, match="newer than this pfsense knows"):
        db.connect(tmp_path)


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path):
    db.database_path(tmp_path).write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(ConfigError, match="is not a pfsense database"):
        db.connect(tmp_path)


def new_patient(connection, **fields):
    return patients.add_patient(connection, patients.checked_patient({"name": "J. Doe", **fields}))


def test_patients_are_added_edited_listed_and_deleted_with_their_data(connection):
    patient = new_patient(connection, foot_mm="255", affected_foot="right", severity="chronic")
    assert patient.id == 1
    assert patient.foot_mm == 255.0
    assert patient.plan_per_week == (7, 7)
    edited = patients.update_patient(
        connection,
        patients.checked_patient(
            {"name": "  Jo Doe ", "severity": "mild", "sessions_per_week": [3, 4]}, patient.id
        ),
    )
    assert edited.name == "Jo Doe"
    assert edited.plan_per_week == (3, 4)
    targets.set_target(
        connection,
        patient.id,
        targets.checked_target({"technique": "rolling", "band_n": [150, 230]}),
    )
    session_id = sessions.start_session(connection, patient.id, None, None)
    assert [p.name for p in patients.list_patients(connection)] == ["Jo Doe"]
    patients.delete_patient(connection, patient.id)
    assert patients.list_patients(connection) == []
    with pytest.raises(NotFound):
        sessions.get_session(connection, session_id)
    assert connection.execute("SELECT COUNT(*) FROM targets").fetchone()[0] == 0


FOOT = "Foot length (mm)"
FOOT_RANGE = "150 to 350 mm"
PER_WEEK = "Sessions a week"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Name is empty; enter some text"),
        ({"name": "x" * 81}, "name", "Name is 81 characters; at most 80"),
        ({"foot_mm": 90}, "foot_mm", f"{FOOT}: 90 is too small; enter {FOOT_RANGE}"),
        ({"foot_mm": ""}, "foot_mm", f"{FOOT} is empty; enter a number from {FOOT_RANGE}"),
        ({"foot_mm": None}, "foot_mm", f"{FOOT} is empty; enter a number from {FOOT_RANGE}"),
        (
            {"foot_mm": "long"},
            "foot_mm",
            f"{FOOT}: 'long' is not a number; enter a number from {FOOT_RANGE}",
        ),
        (
            {"foot_mm": float("nan")},
            "foot_mm",
            f"{FOOT}: nan is not a usable number; enter a number from {FOOT_RANGE}",
        ),
        ({"severity": "acute"}, "severity", "Severity: 'acute' is not one of mild, chronic"),
        ({"affected_foot": "up"}, "affected_foot", "Foot: 'up' is not one of left, right, both"),
        (
            {"sessions_per_week": [4, 2]},
            "sessions_per_week",
            f"{PER_WEEK}: the fewest, 4, is more than the most, 2",
        ),
        (
            {"sessions_per_week": [2, ""]},
            "sessions_per_week.most",
            f"{PER_WEEK}, most is empty; enter a number from 1 to 14",
        ),
    ],
)
def test_bad_patient_fields_are_named_as_the_page_labels_them(connection, fields, field, message):
    with pytest.raises(InvalidInput) as caught:
        patients.add_patient(connection, patients.checked_patient({"name": "J. Doe", **fields}))
    assert (caught.value.field, str(caught.value)) == (field, message)
    assert patients.list_patients(connection) == []


def test_an_unknown_patient_is_not_found(connection):
    with pytest.raises(NotFound, match="no patient 42"):
        patients.get_patient(connection, 42)
    with pytest.raises(NotFound):
        patients.delete_patient(connection, 42)


def test_targets_default_until_set_then_are_the_patients_own(connection):
    patient = new_patient(connection)
    defaults = targets.targets_for(connection, patient.id)
    assert defaults[Technique.ROLLING].band_n == doses.DEFAULT_TARGET_BAND_N
    assert defaults[Technique.ROLLING].source == "default"
    target = targets.checked_target(
        {
            "technique": "rolling",
            "band_n": [140, 210],
            "cadence_per_min": [25, 35],
            "duration_s": 90,
        },
        source="demonstration",
    )
    targets.set_target(connection, patient.id, target)
    own = targets.targets_for(connection, patient.id)[Technique.ROLLING]
    assert own == target
    assert targets.targets_for(connection, patient.id)[Technique.TRIGGER_POINT].source == "default"


BAND = "Rolling target band (N)"
CADENCE = "Rolling target cadence (a minute)"
TECHNIQUES = "rolling, deep tissue, cross fiber friction, myofascial release, trigger point, calf"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"band_n": [250, 150]},
            "band_n",
            f"{BAND}: the low end 250 N must be below the high end 150 N",
        ),
        (
            {"band_n": [-10, 150]},
            "band_n.low",
            f"{BAND}, low end: -10 is too small; enter 0 to 2000 N",
        ),
        (
            {"band_n": ["", 150]},
            "band_n.low",
            f"{BAND}, low end is empty; enter a number from 0 to 2000 N",
        ),
        (
            {"band_n": [1, " "]},
            "band_n.high",
            f"{BAND}, high end is empty; enter a number from 0 to 2000 N",
        ),
        ({"band_n": [100]}, "band_n", f"{BAND}: expected two numbers, its low and high ends"),
        (
            {"band_n": [100, 200], "cadence_per_min": [40, 20]},
            "cadence_per_min",
            f"{CADENCE}: the low end 40 a minute must be below the high end 20 a minute",
        ),
        (
            {"band_n": [100, 200], "duration_s": 2},
            "duration_s",
            "Rolling target duration (s): 2 is too short; enter 5 to 600 s",
        ),
        (
            {"technique": "tickling", "band_n": [100, 200]},
            "technique",
            f"Technique: 'tickling' is not one of {TECHNIQUES} release",
        ),
    ],
)
def test_bad_targets_are_named_as_the_page_labels_them(fields, field, message):
    with pytest.raises(InvalidInput) as caught:
        targets.checked_target({"technique": "rolling", **fields})
    assert (caught.value.field, str(caught.value)) == (field, message)


def test_routines_default_by_severity_and_can_be_the_patients_own(connection):
    patient = new_patient(connection, severity="chronic")
    assert (
        routines.routine_for(connection, patient.id, "chronic")
        == routines.DEFAULT_ROUTINES["chronic"]
    )
    own = routines.checked_routine(
        [{"technique": "rolling", "zone": "arch", "duration_s": 45, "rest_s": 10}]
    )
    routines.set_routine(connection, patient.id, own)
    assert routines.routine_for(connection, patient.id, "chronic") == own


def test_default_routines_follow_the_doses():
    low, high = doses.AREA_DURATION_S
    for routine in routines.DEFAULT_ROUTINES.values():
        for segment in routine:
            if segment.technique == Technique.TRIGGER_POINT:
                assert (
                    doses.TRIGGER_POINT_HOLD_S[0]
                    <= segment.duration_s
                    <= doses.TRIGGER_POINT_HOLD_S[1]
                )
            else:
                assert low <= segment.duration_s <= high
        assert {s.zone for s in routine} >= {Zone.HEEL, Zone.ARCH, Zone.FOREFOOT}
        assert routine[-1].rest_s == 0


def step(**fields) -> dict:
    return {"technique": "rolling", "zone": "arch", "duration_s": 30, **fields}


@pytest.mark.parametrize(
    ("items", "field", "message"),
    [
        ([], "segments", "Routine: has no steps; add at least one"),
        (
            [step(zone="toe")],
            "segments.0.zone",
            "Routine step 1, zone: 'toe' is not one of heel, arch, forefoot, calf",
        ),
        (
            [step(duration_s=0)],
            "segments.0.duration_s",
            "Routine step 1, work (s): 0 is too short; enter 5 to 600 s",
        ),
        (
            [step(duration_s="")],
            "segments.0.duration_s",
            "Routine step 1, work (s) is empty; enter a number from 5 to 600 s",
        ),
        (
            [step(), step(rest_s=-1)],
            "segments.1.rest_s",
            "Routine step 2, rest (s): -1 is too short; enter 0 to 300 s",
        ),
        (
            ["rolling"],
            "segments.0",
            "Routine step 1: expected {technique, zone, duration_s, rest_s}",
        ),
    ],
)
def test_bad_routines_are_named_as_the_page_labels_them(items, field, message):
    with pytest.raises(InvalidInput) as caught:
        routines.checked_routine(items)
    assert (caught.value.field, str(caught.value)) == (field, message)


def test_a_session_is_written_as_it_happens_and_a_dead_one_shows_as_interrupted(connection):
    patient = new_patient(connection)
    session_id = sessions.start_session(connection, patient.id, [{"technique": "rolling"}], "s.csv")
    sessions.save_progress(connection, session_id, {"duration_s": 12.5})
    sessions.save_segment(
        connection, session_id, 0, {"technique": "rolling", "zone": "arch", "duration_s": 60},
        {"duration_s": 59.8, "score": {"total": 81.0}},
    )  # fmt: skip
    assert sessions.get_session(connection, session_id).status == "running"
    assert sessions.mark_interrupted(connection) == 1
    session = sessions.get_session(connection, session_id)
    assert session.status == "interrupted"
    assert session.progress == {"duration_s": 12.5}
    assert session.duration_s == 12.5  # as far as it got
    assert session.ended_at is not None
    assert sessions.segments_of(connection, session_id)[0]["score"] == 81.0


def test_adherence_counts_weeks_against_the_plan_and_the_streak():
    today = dt.date(2026, 11, 26)  # Thursday
    days = [today - dt.timedelta(days=n) for n in (0, 2, 7, 8, 9, 14, 28)]
    history = adherence.weeks(days, (2, 3), today, count=5)
    assert [w.sessions for w in history] == [1, 0, 1, 3, 2]
    assert [w.met for w in history] == [False, False, False, True, True]
    assert adherence.streak(days, (2, 3), today) == (2, "weeks")
    daily = [today - dt.timedelta(days=n) for n in range(0, 5)]
    assert adherence.streak(daily, (7, 7), today) == (5, "days")
    assert adherence.streak(daily[1:], (7, 7), today) == (4, "days")  # today not done yet


def test_two_connections_opening_a_new_database_at_once_both_succeed(tmp_path):
    """The web server and the live loop open the store together at start (it once read as
    'not a pfsense database (database is locked)')."""
    import threading

    for attempt in range(15):
        home = tmp_path / str(attempt)
        home.mkdir()
        errors, start = [], threading.Barrier(3)

        def open_it(home=home, errors=errors, start=start):
            start.wait()
            try:
                db.connect(home).close()
            except ConfigError as error:
                errors.append(str(error))

        threads = [threading.Thread(target=open_it) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors, errors
