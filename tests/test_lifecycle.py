"""What pfsense leaves behind and who can read it (issue 12, item 7): owner-only files and data
directory, ids never handed out twice, a deleted patient's recordings gone, one server per data
directory, and a routine segment a stall jumped over still reported."""

import os
import stat
import subprocess
import sys
from contextlib import closing

from pfsense.clinical.techniques import Technique, Zone
from pfsense.store import db, patients, sessions
from pfsense.store.routines import Segment as Step

from .scenarios import live_routine
from .server import served
from .test_store import new_patient


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def pfsense(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pfsense", "--data-dir", str(home), *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_an_open_data_directory_is_closed_and_every_file_is_owner_only(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)  # as an older pfsense, or a person, left it
    recording = home / "r.csv"
    result = pfsense("record", "--sensor", "sim", "--fast", "--seconds", "2", "-o", str(recording),
                     home=home)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert pfsense("patients", "add", "A. Patient", "--foot-mm", "250", home=home).returncode == 0
    assert mode(home) == 0o700
    written = [path for path in home.rglob("*") if path.is_file()]
    assert {path.name for path in written} >= {"r.csv", "pfsense.sqlite3"}
    for path in written:
        assert mode(path) == 0o600, path


def test_ids_are_never_handed_out_twice(tmp_path):
    with closing(db.connect(tmp_path)) as connection:
        first = new_patient(connection)
        session_id = sessions.start_session(connection, first.id, None, None)
        patients.delete_patient(connection, first.id)  # the last patient and session go
        second = new_patient(connection)
        assert second.id == first.id + 1
        assert sessions.start_session(connection, second.id, None, None) == session_id + 1
    with closing(db.connect(tmp_path)) as connection:  # and after a restart
        assert new_patient(connection).id == second.id + 1


def test_deleting_a_patient_deletes_their_recordings(tmp_path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    with closing(db.connect(tmp_path)) as connection:
        patient, other = new_patient(connection), new_patient(connection)
        for who, name in [(patient, "theirs.csv"), (other, "others.csv")]:
            (folder / name).write_text("x")
            sessions.start_session(connection, who.id, None, name)
        assert patients.delete_patient(connection, patient.id, tmp_path) == 1
    assert not (folder / "theirs.csv").exists()
    assert (folder / "others.csv").exists()


def test_a_second_server_on_one_data_directory_is_refused(tmp_path):
    with served("--sensor", "sim", env={"PFSENSE_HOME": str(tmp_path)}):
        second = pfsense("serve", "--sensor", "sim", "--port", "0", home=tmp_path)
    assert second.returncode == 2
    assert "another pfsense serve (pid" in second.stderr
    assert "Traceback" not in second.stderr


def test_a_stall_over_a_whole_segment_still_reports_it(tmp_path):
    from pfsense.sensors import SensorOptions
    from pfsense.sim.faults import FaultKnobs
    from pfsense.sim.script import parse_script

    options = SensorOptions(
        layout="plate4", script=parse_script("rolling:40"), realtime=False,
        faults=FaultKnobs(stall_at_s=9.0, stall_s=13.0),
    )  # fmt: skip
    steps = [Step(Technique.ROLLING, zone, 10.0) for zone in (Zone.HEEL, Zone.ARCH, Zone.FOREFOOT)]
    segments = live_routine(options, steps)
    assert [s["zone"] for s in segments] == ["heel", "arch", "forefoot"]
    assert "stalled" in segments[1]["skipped"]
    assert "skipped" not in segments[0]


def test_adherence_counts_the_devices_own_days(monkeypatch):
    import datetime as dt
    import time

    from pfsense.clinical.adherence import local_day

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:  # 20:30 in California on 1 December is 04:30 UTC on the 2nd
        assert local_day("2026-12-02T04:30:00+00:00") == dt.date(2026, 12, 1)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
