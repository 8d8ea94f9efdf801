"""A band by feel (issue 13, item 5), through Flask's test client against the simulated sensor:
the person presses at "firm but comfortable" and at "strong but tolerable"; the band between the
two presses (measured on the server, never taken from the browser) replaces the default for them,
is said to come from feel, and outlives a restart."""

import time

import pytest

from pfsense.clinical import doses
from pfsense.live.service import LiveService
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sim.script import REST, WEIGHT, Segment, parse_script
from pfsense.web import create_app

from .test_therapist_api import add_patient, therapist
from .test_web_controls import browser

COMFORTABLE_N, STRONG_N = 150.0, 250.0


@pytest.fixture
def device(tmp_path):
    """A single cell with a simulated person pressing at COMFORTABLE_N until told otherwise."""
    sensor = open_sensor(
        "sim",
        SensorOptions(layout="single", script=parse_script(f"weight:900 force={COMFORTABLE_N}")),
    )
    live = LiveService(sensor, data_dir=tmp_path)
    live.start()
    app = create_app(live, {"TESTING": True, "PFSENSE_DATA_DIR": str(tmp_path)})
    yield sensor, live, app
    live.stop()


def press_at(sensor, force_n: float) -> None:
    """The simulated person now presses at `force_n` (what was made ahead plays out first)."""
    sensor.follow_routine((Segment(WEIGHT, 900.0, force_n=force_n),))
    time.sleep(1.0)


def measure(client, csrf, level: str):
    return client.post("/api/feel/press", json={"level": level}, headers=csrf)


def test_two_presses_make_the_band_which_is_said_to_be_by_feel_and_kept(device, tmp_path):
    sensor, live, app = device
    client, csrf = browser(app)
    comfortable = measure(client, csrf, "comfortable")
    assert comfortable.status_code == 200, comfortable.get_json()
    assert comfortable.get_json()["force_n"] == pytest.approx(COMFORTABLE_N, rel=0.03)
    press_at(sensor, STRONG_N)
    strong = measure(client, csrf, "strong")
    assert strong.get_json()["force_n"] == pytest.approx(STRONG_N, rel=0.03)
    # What the browser sends cannot set the band: only the measured presses do.
    saved = client.post("/api/feel/band", json={"band_n": [900, 1500]}, headers=csrf)
    assert saved.status_code == 200, saved.get_json()
    low, high = saved.get_json()["band_n"]
    assert (low, high) == (
        pytest.approx(COMFORTABLE_N, rel=0.03),
        pytest.approx(STRONG_N, rel=0.03),
    )
    status = client.get("/api/status").get_json()
    assert status["target_band_n"] == [low, high]  # free sessions are measured against it
    assert status["band_source"]["source"] == "felt"
    assert status["band_source"]["set_at"] == saved.get_json()["set_at"]
    assert client.get("/api/status").get_json()["band_source"]["source"] == "felt"
    live.stop()
    # A restart: the band by feel is still the device's.
    sensor = open_sensor("sim", SensorOptions(layout="single"))
    again = LiveService(sensor, data_dir=tmp_path)
    create_app(again, {"TESTING": True, "PFSENSE_DATA_DIR": str(tmp_path)})
    assert list(again.snapshot.target_band_n) == [low, high]
    assert again.snapshot.band_source["source"] == "felt"


def test_the_default_comes_back_when_the_band_by_feel_is_forgotten(tmp_path):
    from pfsense.store import felt_band as stored
    from pfsense.store.db import connect

    with connect(tmp_path) as connection:  # a band by feel kept from an earlier run
        stored.save_felt_band(connection, (150.0, 250.0), {"comfortable": 150, "strong": 250})
    live = LiveService(open_sensor("sim", SensorOptions(layout="single")), data_dir=tmp_path)
    app = create_app(live, {"TESTING": True, "PFSENSE_DATA_DIR": str(tmp_path)})
    live.start()
    try:
        client, csrf = browser(app)
        assert client.get("/api/status").get_json()["target_band_n"] == [150.0, 250.0]
        assert client.delete("/api/feel/band", headers=csrf).status_code == 200
        status = client.get("/api/status").get_json()
        assert status["target_band_n"] == list(doses.DEFAULT_TARGET_BAND_N)
        assert status["band_source"] == {"source": "default"}
    finally:
        live.stop()


def test_presses_too_alike_or_missing_give_no_band(device):
    sensor, _live, app = device
    client, csrf = browser(app)
    missing = client.post("/api/feel/band", json={}, headers=csrf)
    assert missing.status_code == 400
    assert "firm but comfortable" in missing.get_json()["message"]
    assert measure(client, csrf, "comfortable").status_code == 200
    press_at(sensor, COMFORTABLE_N * 1.05)  # hardly harder: not a band to follow
    assert measure(client, csrf, "strong").status_code == 200
    alike = client.post("/api/feel/band", json={}, headers=csrf)
    assert alike.status_code == 409
    assert "too alike" in alike.get_json()["message"]
    assert client.get("/api/status").get_json()["band_source"] == {"source": "default"}


def test_a_press_with_nothing_on_the_ball_is_refused(device):
    sensor, _live, app = device
    client, csrf = browser(app)
    sensor.follow_routine((Segment(REST, 900.0),))  # the foot off the ball
    time.sleep(1.0)
    answer = measure(client, csrf, "comfortable")
    assert answer.status_code == 409
    assert "on the ball" in answer.get_json()["message"]
    assert measure(client, csrf, "hardest").status_code == 400  # not a level pfsense knows


def test_a_patients_band_by_feel_is_their_rolling_target_and_needs_the_therapist(device):
    sensor, _live, app = device
    client, csrf = browser(app)
    assert measure(client, csrf, "comfortable").status_code == 200
    press_at(sensor, STRONG_N)
    assert measure(client, csrf, "strong").status_code == 200
    carer, carer_csrf = therapist(app)
    patient_id = add_patient(carer, carer_csrf)
    refused = client.post("/api/feel/band", json={"patient_id": patient_id}, headers=csrf)
    assert refused.status_code == 409
    assert "therapist" in refused.get_json()["message"]
    # The therapist's browser made no presses: another browser's are not theirs to save.
    unpressed = carer.post("/api/feel/band", json={"patient_id": patient_id}, headers=carer_csrf)
    assert unpressed.status_code == 400
    assert "press first" in unpressed.get_json()["message"]
    assert measure(carer, carer_csrf, "strong").status_code == 200
    press_at(sensor, COMFORTABLE_N)
    assert measure(carer, carer_csrf, "comfortable").status_code == 200
    saved = carer.post("/api/feel/band", json={"patient_id": patient_id}, headers=carer_csrf)
    assert saved.status_code == 200, saved.get_json()
    targets = carer.get(f"/api/patients/{patient_id}").get_json()["targets"]
    rolling = next(t for t in targets if t["technique"] == "rolling")
    assert rolling["source"] == "felt"
    assert rolling["band_n"] == saved.get_json()["band_n"]
    assert rolling["duration_s"] == 30.0  # the rest of the target is kept as it was
    # The device's own band is untouched by a patient's.
    assert client.get("/api/status").get_json()["band_source"] == {"source": "default"}


def test_strange_requests_to_the_feel_routes_get_clear_refusals(device):
    _sensor, _live, app = device
    client, csrf = browser(app)
    assert client.post("/api/feel/band", json={}).status_code == 400  # no CSRF token
    bodies = [b"[1, 2]", b"{", b'{"level": "comfortable"' + b" " * 70_000 + b"}"]
    for body in bodies:
        answer = client.post(
            "/api/feel/press", data=body, headers={**csrf, "Content-Type": "application/json"}
        )
        assert answer.status_code in (400, 413), (body[:20], answer.status_code)
        assert answer.get_json()["message"]
    for patient_id in ("abc", -1, 2**70, None, [1]):
        answer = client.post("/api/feel/band", json={"patient_id": patient_id}, headers=csrf)
        assert answer.status_code in (400, 409), (patient_id, answer.get_json())
    for level in (None, 7, "x" * 10_000, {"a": 1}):
        answer = client.post("/api/feel/press", json={"level": level}, headers=csrf)
        assert answer.status_code == 400, level
    assert client.get("/api/status").get_json()["band_source"] == {"source": "default"}
