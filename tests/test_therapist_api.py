"""The therapist's side and the patient's sessions through Flask's test client, against the
simulated sensor: PIN, login throttle, CSRF, patients, targets by demonstration, a guided routine
scored segment by segment, history, adherence, exports, import and the calibration wizard."""

import csv
import io
import json
import time
from contextlib import closing

import pytest

from pfsense.live.service import LiveService
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.recording import read_recording
from pfsense.sim.script import parse_script
from pfsense.store import db, sessions
from pfsense.web import create_app

from .test_web_controls import browser

PIN = "2468"


def served_app(tmp_path, script: str, layout: str = "single"):
    sensor = open_sensor("sim", SensorOptions(layout=layout, script=parse_script(script)))
    live = LiveService(sensor, data_dir=tmp_path)
    live.start()
    app = create_app(live, {"TESTING": True, "PFSENSE_DATA_DIR": str(tmp_path)})
    return live, app


@pytest.fixture
def rolling(tmp_path):
    live, app = served_app(tmp_path, "rolling:600 force=200")
    yield live, app
    live.stop()


def therapist(app):
    """A browser holding the page's CSRF token, logged in as the therapist (PIN set first)."""
    client, csrf = browser(app)
    code = app.config["PFSENSE_SETUP_CODE"]  # what `serve` prints on the device's console
    first = {"pin": PIN, "pin_again": PIN, "setup_code": code}
    response = client.post("/api/therapist/pin", json=first, headers=csrf)
    assert response.status_code == 200, response.get_json()
    return client, csrf


def add_patient(client, csrf, **fields) -> int:
    body = {"name": "A. Patient", "foot_mm": 250, "severity": "mild", **fields}
    response = client.post("/api/patients", json=body, headers=csrf)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["patient"]["id"]


def test_changing_patient_data_needs_the_pin_and_reading_does_not(rolling):
    _live, app = rolling
    client, csrf = browser(app)
    assert client.get("/api/therapist/").get_json() == {"pin_set": False, "logged_in": False}
    refused = client.post("/api/patients", json={"name": "X"}, headers=csrf)
    assert refused.status_code == 401
    assert "therapist's PIN" in refused.get_json()["message"]
    other, other_csrf = therapist(app)
    patient_id = add_patient(other, other_csrf)
    assert client.get(f"/api/patients/{patient_id}").status_code == 200  # the patient's side
    for method, path in (
        ("put", f"/api/patients/{patient_id}"),
        ("delete", f"/api/patients/{patient_id}"),
        ("put", f"/api/patients/{patient_id}/targets/rolling"),
        ("put", f"/api/patients/{patient_id}/routine"),
        ("get", f"/api/patients/{patient_id}/history.csv"),
        ("post", "/api/demonstration"),
        ("post", "/api/calibration/start"),
    ):
        response = getattr(client, method)(path, json={}, headers=csrf)
        assert response.status_code == 401, (method, path)
    assert client.get(f"/api/patients/{patient_id}").get_json()["patient"]["name"] == "A. Patient"


def test_wrong_pins_are_refused_then_throttled(rolling):
    _live, app = rolling
    therapist(app)
    client, csrf = browser(app)
    for _ in range(5):
        response = client.post("/api/therapist/login", json={"pin": "0000"}, headers=csrf)
        assert response.status_code == 403
        assert response.get_json()["message"] == "wrong PIN"
    throttled = client.post("/api/therapist/login", json={"pin": PIN}, headers=csrf)
    assert throttled.status_code == 429
    assert "too many wrong PINs from here: try again in" in throttled.get_json()["message"]


def test_the_pin_is_stored_hashed_and_changing_it_needs_the_current_one(rolling, tmp_path):
    _live, app = rolling
    client, csrf = therapist(app)
    with closing(db.connect(tmp_path)) as connection:
        stored = connection.execute("SELECT value FROM settings").fetchone()[0]
    assert PIN not in stored
    assert stored.startswith("scrypt$")
    wrong = client.post(
        "/api/therapist/pin", json={"pin": "1357", "current_pin": "9999"}, headers=csrf
    )
    assert wrong.status_code == 403
    assert client.post("/api/therapist/pin", json={"pin": "12"}, headers=csrf).status_code == 403
    client.post("/api/therapist/logout", headers=csrf)
    fresh, fresh_csrf = browser(app)
    assert (
        fresh.post("/api/therapist/login", json={"pin": PIN}, headers=fresh_csrf).status_code == 200
    )


ROLLING = "/api/patients/1/targets/rolling"


@pytest.mark.parametrize(
    ("path", "body", "status", "message", "field"),
    [
        ("/api/patients", {"name": "B", "foot_mm": 20}, 400, "Foot length (mm): 20 is", "foot_mm"),
        ("/api/patients/999", {"name": "B"}, 404, "no patient 999", None),
        (ROLLING, {"band_n": [250, 150]}, 400, "the low end 250 N must be below", "band_n"),
        (ROLLING, {"band_n": [-5, 150]}, 400, "low end: -5 is too small", "band_n.low"),
        (ROLLING, {"band_n": ["", 150]}, 400, "low end is empty", "band_n.low"),
        (
            ROLLING.replace("rolling", "juggling"),
            {"band_n": [1, 2]},
            400,
            "'juggling'",
            "technique",
        ),
        (ROLLING.replace("1", "2"), {"band_n": [100, 150]}, 404, "no patient 2", None),
        ("/api/patients/1/routine", {"segments": []}, 400, "Routine: has no steps", "segments"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(rolling, path, body, status, message, field):
    _live, app = rolling
    client, csrf = therapist(app)
    add_patient(client, csrf)
    before = client.get("/api/patients/1").get_json()
    method = client.post if path == "/api/patients" else client.put
    response = method(path, json=body, headers=csrf)
    assert response.status_code == status
    assert message in response.get_json()["message"]
    assert response.get_json().get("field") == field  # for the page to mark the input
    assert client.get("/api/patients/1").get_json() == before
    assert len(client.get("/api/patients").get_json()["patients"]) == 1


def test_a_missing_csrf_token_changes_nothing(rolling):
    _live, app = rolling
    client, _csrf = therapist(app)
    response = client.post("/api/patients", json={"name": "No Token"})
    assert response.status_code == 400
    assert "CSRF token" in response.get_json()["message"]
    assert client.get("/api/patients").get_json()["patients"] == []


def test_a_demonstration_proposes_a_band_around_the_pressure_shown(rolling):
    _live, app = rolling
    client, csrf = therapist(app)
    patient_id = add_patient(client, csrf)
    time.sleep(1.0)  # past the simulated press-in
    response = client.post(
        "/api/demonstration", json={"seconds": 10, "tolerance": 0.2}, headers=csrf
    )
    assert response.status_code == 200, response.get_json()
    proposal = response.get_json()["proposal"]
    assert proposal["median_force_n"] == pytest.approx(200, rel=0.1)
    low, high = proposal["band_n"]
    assert low == pytest.approx(0.8 * proposal["median_force_n"], abs=0.1)
    assert high == pytest.approx(1.2 * proposal["median_force_n"], abs=0.1)
    assert proposal["technique"] == "rolling"
    assert 20 <= proposal["cadence_per_min"] <= 45  # the simulator rolls at 33/min
    saved = client.put(
        f"/api/patients/{patient_id}/targets/rolling",
        json={
            "band_n": proposal["band_n"],
            "cadence_per_min": proposal["cadence_range_per_min"],
            "duration_s": 60,
            "source": "demonstration",
        },
        headers=csrf,
    )
    assert saved.status_code == 200
    rolling_target = next(
        t for t in client.get(f"/api/patients/{patient_id}").get_json()["targets"]
        if t["technique"] == "rolling"
    )  # fmt: skip
    assert rolling_target["band_n"] == proposal["band_n"]
    assert rolling_target["source"] == "demonstration"


def test_a_demonstration_without_pressure_is_refused(tmp_path):
    live, app = served_app(tmp_path, "rest:600")
    try:
        client, csrf = therapist(app)
        response = client.post("/api/demonstration", json={"seconds": 10}, headers=csrf)
        assert response.status_code == 409
        assert "pressed on the device" in response.get_json()["message"]
    finally:
        live.stop()


ROUTINE = [
    {"technique": "rolling", "zone": "heel", "duration_s": 6, "rest_s": 2},
    {"technique": "rolling", "zone": "arch", "duration_s": 6, "rest_s": 0},
]


def test_a_guided_routine_is_scored_segment_by_segment_and_kept(rolling, tmp_path):
    live, app = rolling
    client, csrf = therapist(app)
    patient_id = add_patient(client, csrf)
    band = {"band_n": [150, 250], "cadence_per_min": [25, 40], "duration_s": 60}
    client.put(f"/api/patients/{patient_id}/targets/rolling", json=band, headers=csrf)
    client.put(f"/api/patients/{patient_id}/routine", json={"segments": ROUTINE}, headers=csrf)
    patient_side, patient_csrf = browser(app)  # no PIN
    started = patient_side.post(
        "/api/session/start", json={"patient_id": patient_id, "routine": True}, headers=patient_csrf
    )
    assert started.status_code == 200, started.get_json()
    routine = started.get_json()["session"]["routine"]
    assert (routine["index"], routine["phase"], routine["count"]) == (0, "work", 2)
    assert routine["next"]["zone"] == "arch"
    status = patient_side.get("/api/status").get_json()
    assert status["target_band_n"] == [150, 250]  # the patient's own band, not the default
    assert status["zone"] == "heel"  # a single cell is told the routine's zone
    deadline = time.monotonic() + 25
    while live.session is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    last = patient_side.get("/api/status").get_json()["last_session"]
    assert last["status"] == "complete"
    assert last["report"]["ended_by"] == "routine finished"
    segments = last["report"]["segments"]
    assert [s["zone"] for s in segments] == ["heel", "arch"]
    for segment in segments:
        assert 5.0 <= segment["duration_s"] <= 6.5
        assert segment["technique"] == "rolling"
        assert segment["target_band_n"] == [150, 250]
        assert segment["score"]["total"] is not None
    assert segments[0]["coverage"]["zones_s"]["heel"] > 0
    assert segments[1]["coverage"]["zones_s"]["arch"] > 0
    # In the database: the session, its segments, the patient's history and adherence.
    detail = client.get(f"/api/sessions/{last['id']}").get_json()
    assert detail["session"]["status"] == "complete"
    assert [s["zone"] for s in detail["segments"]] == ["heel", "arch"]
    patient = client.get(f"/api/patients/{patient_id}").get_json()
    assert [s["id"] for s in patient["sessions"]] == [last["id"]]
    assert patient["adherence"]["weeks"][-1]["sessions"] == 1
    # Exports: samples with raw and derived columns, the analyze report, the history.
    samples = client.get(f"/api/sessions/{last['id']}/samples.csv")
    assert samples.status_code == 200
    rows = list(csv.reader(io.StringIO(samples.get_data(as_text=True))))
    assert rows[0][:5] == ["t_s", "acquired_at", "seq", "counts_cell", "flags_cell"]
    assert rows[0][-3:] == ["force_n", "x_mm", "y_mm"]
    recording = read_recording(tmp_path / "recordings" / last["recording"])
    assert len(rows) - 1 == len(recording.batch)
    # The simulated person follows the routine at the middle of the band (200 N), putting the
    # foot on and off around each segment: the pressed samples are in the band.
    forces = sorted(float(r[-3]) for r in rows[1:] if r[-3] and float(r[-3]) > 20)
    assert 150 < forces[len(forces) // 2] < 250
    report = json.loads(client.get(f"/api/sessions/{last['id']}/report.json").get_data())
    assert report["analysis"]["target_band_n"] == [150, 250]
    assert report["analysis"]["samples"] == len(recording.batch)
    history = client.get(f"/api/patients/{patient_id}/history.csv").get_data(as_text=True)
    assert history.splitlines()[1].startswith(f"{last['id']},")


def test_stopping_a_routine_early_keeps_what_was_done_as_interrupted(rolling):
    _live, app = rolling
    client, csrf = therapist(app)
    patient_id = add_patient(client, csrf)
    client.put(f"/api/patients/{patient_id}/routine", json={"segments": ROUTINE}, headers=csrf)
    client.post(
        "/api/session/start", json={"patient_id": patient_id, "routine": True}, headers=csrf
    )
    time.sleep(3.0)
    stopped = client.post("/api/session/stop", headers=csrf).get_json()["session"]
    assert stopped["status"] == "interrupted"
    assert stopped["report"]["ended_by"] == "stopped"
    assert len(stopped["report"]["segments"]) == 1
    assert 2.0 < stopped["report"]["segments"][0]["duration_s"] < 4.0


def test_a_patients_free_session_is_measured_against_their_band(rolling):
    live, app = rolling
    client, csrf = therapist(app)
    patient_id = add_patient(client, csrf, foot_mm=240)
    band = {"band_n": [170, 230], "duration_s": 60}
    client.put(f"/api/patients/{patient_id}/targets/rolling", json=band, headers=csrf)
    client.post("/api/session/start", json={"patient_id": patient_id}, headers=csrf)
    assert client.get("/api/status").get_json()["target_band_n"] == [170, 230]
    assert live.loop.processor.tracker.config.foot_mm == 240
    session = client.post("/api/session/stop", headers=csrf).get_json()["session"]
    assert session["report"]["target_band_n"] == [170, 230]
    assert session["patient_id"] == patient_id
    assert client.get("/api/status").get_json()["target_band_n"] == [127, 267]  # back to default


def test_an_unknown_patient_cannot_start_a_session(rolling):
    live, app = rolling
    client, csrf = browser(app)
    response = client.post("/api/session/start", json={"patient_id": 7}, headers=csrf)
    assert response.status_code == 404
    assert live.session is None


def test_a_recording_is_imported_as_an_analysed_session(rolling, tmp_path):
    _live, app = rolling
    client, csrf = therapist(app)
    patient_id = add_patient(client, csrf)
    source = tmp_path / "outside.csv"
    source.write_text("t,force\n" + "".join(f"{i / 80},{200 + (i % 40)}\n" for i in range(800)))
    response = client.post(
        f"/api/import?patient_id={patient_id}&name=outside.csv",
        data=source.read_bytes(),
        content_type="text/csv",
        headers=csrf,
    )
    assert response.status_code == 201, response.get_json()
    session = client.get(f"/api/sessions/{response.get_json()['session_id']}").get_json()["session"]
    assert session["status"] == "complete"
    assert session["report"]["samples"] == 800
    assert (tmp_path / "recordings" / session["recording"]).exists()
    bad = client.post("/api/import", data=b"t,force\n0,heavy\n", headers=csrf)
    assert bad.status_code == 400
    assert "'heavy' is not a number" in bad.get_json()["message"]
    assert len(client.get(f"/api/patients/{patient_id}").get_json()["sessions"]) == 1


def test_the_web_import_of_a_plain_four_cell_csv_asks_for_the_plate_size(rolling, tmp_path):
    _live, app = rolling
    client, csrf = therapist(app)
    rows = "".join(f"{i / 40},50,50,50,50\n" for i in range(400))
    body = ("t,fl,fr,rl,rr\n" + rows).encode()
    refused = client.post("/api/import?name=board.csv", data=body, headers=csrf)
    assert refused.status_code == 400
    assert "does not say how far apart its cells are" in refused.get_json()["message"]
    wrong = client.post("/api/import?plate_mm=wide", data=body, headers=csrf)
    assert wrong.status_code == 400
    assert "plate size 'wide' is not WIDTHxLENGTH in mm" in wrong.get_json()["message"]
    imported = client.post("/api/import?name=board.csv&plate_mm=250x350", data=body, headers=csrf)
    assert imported.status_code == 201, imported.get_json()
    session_id = imported.get_json()["session_id"]
    session = client.get(f"/api/sessions/{session_id}").get_json()["session"]
    assert "# plate_mm: 250x350" in (tmp_path / "recordings" / session["recording"]).read_text()


def test_the_calibration_wizard_finds_the_cells_scale_from_a_known_weight(tmp_path):
    weight_n = 98.0665
    live, app = served_app(tmp_path, f"rest:3.5; weight:600 force={weight_n}")
    try:
        client, csrf = therapist(app)
        started = client.post("/api/calibration/start", json={"weight_n": weight_n}, headers=csrf)
        assert started.get_json()["wizard"]["next_step"].startswith("tare")
        tared = client.post("/api/calibration/step", headers=csrf)
        assert tared.status_code == 200, tared.get_json()
        assert tared.get_json()["wizard"]["next_step"].startswith("put the 98.0665 N weight")
        while (live.status()["latest"] or {}).get("t_s", 0) < 4.0:
            time.sleep(0.1)
        placed = client.post("/api/calibration/step", headers=csrf)
        assert placed.get_json()["wizard"]["next_step"] == "done"
        saved = client.post("/api/calibration/save", headers=csrf)
        assert saved.status_code == 200, saved.get_json()
        truth = live.sensor.nominal_calibration.counts_per_n[0]
        assert saved.get_json()["calibration"]["counts_per_n"][0] == pytest.approx(truth, rel=0.005)
        history = client.get("/api/calibration", headers=csrf).get_json()
        assert history["current"]["source"] == "tare and known weight"
    finally:
        live.stop()


def test_sessions_left_running_by_a_crash_are_marked_interrupted_on_start(tmp_path):
    connection = db.connect(tmp_path)
    crashed = sessions.start_session(connection, None, None, "lost.csv")
    sessions.save_progress(connection, crashed, {"duration_s": 42.0})
    connection.close()
    live, _app = served_app(tmp_path, "rolling:600")
    try:
        deadline = time.monotonic() + 5
        while live.state != "streaming" and time.monotonic() < deadline:
            time.sleep(0.05)
        with closing(db.connect(tmp_path)) as connection:
            row = sessions.get_session(connection, crashed)
        assert row.status == "interrupted"
        assert row.progress == {"duration_s": 42.0}
    finally:
        live.stop()
