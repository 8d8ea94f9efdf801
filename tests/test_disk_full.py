"""A full card, a database that cannot be used, a recording cut short mid-write (issue 12,
item 2): the live page and acquisition carry on, the reason is said in status and on refusals,
nothing already written is lost. The full disk is the kernel's own: /dev/full answers every
write with ENOSPC, and RLIMIT_FSIZE makes every file write fail as a full card would."""

import subprocess
import sys
import textwrap
import time

import pytest

from pfsense.sensors.recording import open_recording, read_recording
from pfsense.store import db

from .server import wait_for
from .test_recording import record
from .test_therapist_api import served_app
from .test_web_controls import browser


@pytest.mark.parametrize("keep_bytes", [1, 10, 25])
def test_a_last_line_cut_short_is_left_out_counted_and_said(tmp_path, keep_bytes):
    whole = tmp_path / "whole.csv"
    record(whole, "plate4")
    text = whole.read_bytes()
    last_line_start = text.rstrip(b"\n").rfind(b"\n") + 1
    cut = tmp_path / "cut.csv"
    cut.write_bytes(text[: last_line_start + keep_bytes])  # the disk filled mid-line
    with open_recording(cut) as recording:
        rows = sum(len(batch) for batch in recording)
        assert recording.cut_short_lines == 1
    assert rows == len(read_recording(whole).batch) - 1
    result = subprocess.run(
        [sys.executable, "-m", "pfsense", "analyze", str(cut)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "the last line was cut short mid-write" in result.stdout


def test_a_plain_csv_without_a_last_newline_keeps_its_last_line(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("t,force\n" + "\n".join(f"{i / 40},{100 + i % 7}" for i in range(400)))
    with open_recording(plain) as recording:
        assert sum(len(batch) for batch in recording) == 400
        assert recording.cut_short_lines == 0
    plain.write_text(plain.read_text() + "\n10.0,")  # a line cut after its first field
    with open_recording(plain) as recording:
        assert sum(len(batch) for batch in recording) == 400
        assert recording.cut_short_lines == 1


def test_a_full_card_mid_session_stops_the_recording_not_the_live_page(tmp_path):
    live, app = served_app(tmp_path, "rolling:600 force=200", layout="plate4")
    app.config["TESTING"] = False
    client, csrf = browser(app)
    try:
        assert client.post("/api/session/start", json={}, headers=csrf).status_code == 200
        session = live.loop.sessions.session
        wait_for(lambda: session.writer is not None and session.writer.samples > 80)
        written = session.writer.path
        full = open("/dev/full", "w")  # noqa: SIM115 (closed below)
        original, session.writer._file = session.writer._file, full  # the card is full now
        status = wait_for(lambda: _with_problem(client.get("/api/status").get_json()), 5)
        assert "No space left on device" in status["session"]["problem"]
        assert status["state"] == "streaming"
        before = status["stats"]["samples"]
        time.sleep(0.5)
        assert client.get("/api/status").get_json()["stats"]["samples"] > before + 20
        stopped = client.post("/api/session/stop", headers=csrf)
        assert stopped.status_code == 200, stopped.get_json()
        original.close()
        assert len(read_recording(written).batch) > 80  # what was written is kept
        full.close()
    finally:
        live.stop()


def _with_problem(status: dict) -> dict | None:
    session = status.get("session") or {}
    return status if session.get("problem") else None


def test_a_session_on_a_full_card_is_refused_saying_why_and_leaves_no_file(tmp_path):
    script = textwrap.dedent(f"""
        import resource, sys
        from pathlib import Path
        from pfsense.errors import LiveStateError
        from pfsense.live.session import LiveSession, SessionPlan
        from pfsense.sensors import SensorOptions, open_sensor
        sensor = open_sensor("sim", SensorOptions(realtime=False))
        home = Path({str(tmp_path)!r})
        (home / "recordings").mkdir(mode=0o700)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # every write now fails
        try:
            LiveSession(sensor, sensor.nominal_calibration, home, SessionPlan(), None)
        except LiveStateError as error:
            print(error)
        print(sorted(p.name for p in (home / "recordings").iterdir()))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    refused, left = result.stdout.strip().splitlines()
    assert "the session cannot be recorded" in refused
    assert "free some space" in refused
    assert left == "[]"


def test_a_corrupt_database_is_said_and_sessions_are_refused_while_the_page_goes_on(tmp_path):
    db.database_path(tmp_path).write_bytes(b"this is not a database, it is a shopping list\n" * 90)
    live, app = served_app(tmp_path, "rolling:600 force=200")
    app.config["TESTING"] = False
    client, csrf = browser(app)
    try:
        status = wait_for(lambda: client.get("/api/status").get_json(), 5)
        wait_for(lambda: client.get("/api/status").get_json()["state"] == "streaming", 5)
        status = client.get("/api/status").get_json()
        assert "is not a pfsense database" in status["message"]
        refused = client.post("/api/session/start", json={}, headers=csrf)
        assert refused.status_code == 409
        assert "no session can start" in refused.get_json()["message"]
        assert "move it aside" in refused.get_json()["message"]
    finally:
        live.stop()


def test_a_database_that_cannot_be_written_is_said_and_the_live_view_goes_on(tmp_path):
    from contextlib import closing

    with closing(db.connect(tmp_path)):
        pass
    path = db.database_path(tmp_path)
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("this file system cannot make a file immutable (chattr +i)")
    live, app = served_app(tmp_path, "rolling:600 force=200")
    app.config["TESTING"] = False
    client, csrf = browser(app)
    try:
        wait_for(lambda: client.get("/api/status").get_json()["state"] == "streaming", 5)
        assert "cannot write the database" in client.get("/api/status").get_json()["message"]
        refused = client.post("/api/session/start", json={}, headers=csrf)
        assert refused.status_code == 409
        assert "cannot write the database" in refused.get_json()["message"]
        patients = client.get("/api/patients")
        assert patients.status_code == 503
        assert "check that this user owns it" in patients.get_json()["message"]
    finally:
        live.stop()
        subprocess.run(["chattr", "-i", str(path)], check=True)
