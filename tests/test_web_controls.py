"""The page's controls through Flask's test client: tare, start and stop a session, the zone being
worked; CSRF on each; bad bodies. Against the simulated sensor, whose truth is known."""

import re
import time
from contextlib import contextmanager

import pytest

from pfsense.live.service import LiveService
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.recording import read_recording
from pfsense.sim.script import parse_script
from pfsense.web import MAX_REQUEST_BYTES, create_app

WEIGHT_N = 100.0


def live_service(layout: str, script: str, tmp_path, **kwargs) -> LiveService:
    sensor = open_sensor("sim", SensorOptions(layout=layout, script=parse_script(script)))
    return LiveService(sensor, data_dir=tmp_path, **kwargs)


@pytest.fixture
def weighed(tmp_path):
    """A single cell with a steady 100 N dead weight on it, and what each tare stored."""
    stored = []
    live = live_service(
        "single", f"weight:600 force={WEIGHT_N:g}", tmp_path, on_calibrated=stored.append
    )
    live.start()
    yield live, stored
    live.stop()


@contextmanager
def running(layout: str, script: str, tmp_path, **kwargs):
    """A started live service on a simulated script, and a browser on its page."""
    live = live_service(layout, script, tmp_path, **kwargs)
    live.start()
    try:
        yield (live, *page_client(live))
    finally:
        live.stop()


def page_client(live):
    """A test client holding the CSRF token its page gave it, as a browser would."""
    return browser(create_app(live, {"TESTING": True}))


def browser(app):
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    return client, {"X-CSRF-Token": token}


def latest_force_n(live: LiveService, settle_s: float = 0.8) -> float:
    # The snapshot is refreshed with every metrics event (twice a second): wait past one.
    time.sleep(settle_s)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        latest = live.status()["latest"]
        if latest and latest["force_n"] is not None:
            return latest["force_n"]
        time.sleep(0.02)
    raise AssertionError("no force reading")


def test_tare_zeroes_the_reading_and_stores_the_new_zero(weighed):
    live, stored = weighed
    client, csrf = page_client(live)
    assert latest_force_n(live) == pytest.approx(WEIGHT_N, abs=1.0)
    response = client.post("/api/tare", headers=csrf)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["calibration"]["source"] == "simulator, tared"
    assert abs(latest_force_n(live)) < 0.5
    assert len(stored) == 1
    assert stored[0].offset_counts == tuple(response.get_json()["calibration"]["offset_counts"])
    assert live.status()["calibration"]["source"] == "simulator, tared"


def test_tare_is_refused_while_someone_presses_and_nothing_changes(tmp_path):
    stored = []
    with running("single", "rolling:600", tmp_path, on_calibrated=stored.append) as (
        live,
        client,
        csrf,
    ):
        before = live.loop.processor.calibration
        response = client.post("/api/tare", headers=csrf)
        assert response.status_code == 409
        message = response.get_json()["message"]
        assert "tare refused" in message
        assert "keep the device still and unloaded" in message
        assert live.loop.processor.calibration == before
        assert stored == []


def test_tare_on_a_stalled_sensor_says_so_within_seconds(tmp_path):
    from pfsense.sim import FaultKnobs

    options = SensorOptions(layout="single", faults=FaultKnobs(stall_at_s=0.2, stall_s=60.0))
    live = LiveService(open_sensor("sim", options))
    live.start()
    try:
        client, csrf = page_client(live)
        time.sleep(0.5)
        started = time.monotonic()
        response = client.post("/api/tare", headers=csrf)
        assert time.monotonic() - started < 6.0
        assert response.status_code == 503
        assert "tare needs 1.5 s of samples" in response.get_json()["message"]
    finally:
        live.stop()


def test_a_session_is_recorded_from_start_to_stop_and_summarised(tmp_path):
    with running("plate4", "rolling:600", tmp_path) as (_live, client, csrf):
        time.sleep(0.5)
        started = client.post("/api/session/start", headers=csrf)
        assert started.status_code == 200
        recording = started.get_json()["session"]["recording"]
        assert re.fullmatch(r"session-\d{8}-\d{6}\.csv", recording)
        assert client.get("/api/status").get_json()["session"]["recording"] == recording
        again = client.post("/api/session/start", headers=csrf)
        assert again.status_code == 409
        assert "already running" in again.get_json()["message"]
        assert re.search(r"since \d\d:\d\d\)", again.get_json()["message"])  # a time to read
        time.sleep(2.0)
        stopped = client.post("/api/session/stop", headers=csrf)
        assert stopped.status_code == 200
        session = stopped.get_json()["session"]
        assert 1.5 < session["duration_s"] < 3.5
        assert 1.5 < session["report"]["duration_s"] < 3.5  # features started with the session
        assert session["report"]["samples"] > 100
        status = client.get("/api/status").get_json()
        assert status["session"] is None
        assert status["last_session"]["recording"] == recording
        assert client.post("/api/session/stop", headers=csrf).status_code == 409
    # The recording holds the session's raw samples, readable by pfsense analyze.
    saved = read_recording(tmp_path / "recordings" / recording)
    assert saved.layout.name == "plate4"
    assert abs(len(saved.batch) - session["report"]["samples"]) <= 2


def test_the_zone_being_worked_is_credited_on_a_single_cell(tmp_path):
    with running("single", "rolling:600", tmp_path) as (_live, client, csrf):
        response = client.post("/api/zone", json={"zone": "heel"}, headers=csrf)
        assert response.status_code == 200
        assert client.get("/api/status").get_json()["zone"] == "heel"
        deadline = time.monotonic() + 8.0
        while time.monotonic() < deadline:
            metrics = client.get("/api/status").get_json()["metrics"]
            if metrics and metrics["coverage"]["zones_s"]["heel"] > 0:
                break
            time.sleep(0.1)
        zones = metrics["coverage"]["zones_s"]
        assert zones["heel"] > 0
        assert zones["arch"] == zones["forefoot"] == 0


def test_a_plate_finds_its_zone_itself(tmp_path):
    with running("plate4", "rolling:600", tmp_path) as (_live, client, csrf):
        response = client.post("/api/zone", json={"zone": "heel"}, headers=csrf)
        assert response.status_code == 409
        assert "plate finds the zone" in response.get_json()["message"]


@pytest.fixture
def controls(tmp_path):
    live = live_service("single", "rolling:600", tmp_path)
    live.start()
    client, csrf = page_client(live)
    yield live, client, csrf
    live.stop()


@pytest.mark.parametrize("path", ["/api/tare", "/api/session/start", "/api/session/stop"])
def test_every_control_needs_the_pages_csrf_token(controls, path):
    live, client, _csrf = controls
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        response = client.post(path, headers=headers)
        assert response.status_code == 400
        assert "CSRF token" in response.get_json()["message"]
    assert live.session is None
    assert live.loop.processor.calibration.source == "simulator"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            '{"zone": "heel"',
            "application/json",
            "not valid JSON: Expecting ',' delimiter at line 1",
        ),
        ("[1, 2]", "application/json", "expected a JSON object, got list"),
        ('{"zone": "toes"}', "application/json", "zone must be one of heel, arch, forefoot"),
        ("{}", "application/json", 'expected {"zone"'),
        ("zone=heel", "application/x-www-form-urlencoded", "expected a JSON body"),
        (b"\xff\xfe{}", "application/json", "not valid JSON"),
        ("x" * (MAX_REQUEST_BYTES + 1), "application/json", "at most 65536 are accepted"),
    ],
)
def test_bad_bodies_get_400_with_a_message_and_change_nothing(
    controls, body, content_type, expected
):
    live, client, csrf = controls
    response = client.post("/api/zone", data=body, content_type=content_type, headers=csrf)
    assert response.status_code == 400
    assert expected in response.get_json()["message"]
    assert live.status()["zone"] is None


def test_the_secret_key_is_made_once_and_kept_owner_only(tmp_path):
    live = live_service("single", "rolling:600", tmp_path)
    first = create_app(live, {"PFSENSE_DATA_DIR": str(tmp_path)})
    second = create_app(live, {"PFSENSE_DATA_DIR": str(tmp_path)})
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_token_from_one_browser_does_not_work_in_another(controls):
    live = controls[0]
    app = create_app(live, {"TESTING": True})
    _one, one_csrf = browser(app)
    other, other_csrf = browser(app)
    assert one_csrf != other_csrf
    assert other.post("/api/session/start", headers=one_csrf).status_code == 400
    assert live.session is None
