"""Patients' data on a network (issue 12, item 4): bound beyond loopback, names, histories,
traces and session lists are for the therapist or a browser paired once at the device; the live
force view stays open to anyone."""

import pytest

from .test_therapist_api import add_patient, served_app, therapist
from .test_web_controls import browser

PHONE = "192.168.1.20"  # another device on the Wi-Fi


@pytest.fixture
def private(tmp_path):
    live, app = served_app(tmp_path, "rolling:600 force=200")
    app.config.update(TESTING=False, PFSENSE_PRIVATE=True)
    live.loop.hide_names = True
    yield live, app
    live.stop()


def on_the_wifi(app):
    client, csrf = browser(app)
    client.environ_base["REMOTE_ADDR"] = PHONE
    return client, csrf


def test_patients_data_is_refused_to_an_unpaired_browser_and_the_live_view_is_not(private):
    _live, app = private
    therapist_client, therapist_csrf = therapist(app)
    patient_id = add_patient(therapist_client, therapist_csrf, name="Anna K")
    client, csrf = on_the_wifi(app)
    for path in ("/api/patients", f"/api/patients/{patient_id}", "/api/sessions/1",
                 "/api/sessions/1/trace"):  # fmt: skip
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "paired at the device" in refused.get_json()["message"]
    body = {"patient_id": patient_id}
    assert client.post("/api/session/start", json=body, headers=csrf).status_code == 403
    assert client.get("/").status_code == 200
    assert client.get("/api/status").status_code == 200
    started = therapist_client.post("/api/session/start", json=body, headers=therapist_csrf)
    assert started.status_code == 200  # the therapist may
    status = client.get("/api/status").get_json()
    assert status["session"]["patient_id"] == patient_id
    assert status["session"]["patient_name"] is None  # the name is not sent to the network
    assert "Anna K" not in client.get("/api/status").get_data(as_text=True)


def test_the_code_is_shown_only_at_the_device(private):
    _live, app = private
    client, _ = on_the_wifi(app)
    assert client.get("/api/pairing").get_json() == {"needed": True, "paired": False, "code": None}
    device, _ = browser(app)  # the device's own browser, on loopback
    assert device.get("/api/pairing").get_json()["code"] == app.config["PFSENSE_PAIRING_CODE"]
    assert device.get("/api/patients").status_code == 200  # the device itself needs no pairing


def test_a_paired_browser_sees_patients_until_the_therapist_unpairs_every_browser(private):
    _live, app = private
    therapist_client, therapist_csrf = therapist(app)
    add_patient(therapist_client, therapist_csrf, name="Anna K")
    client, csrf = on_the_wifi(app)
    wrong = client.post("/api/pairing", json={"code": "not it"}, headers=csrf)
    assert wrong.status_code == 403
    assert "wrong pairing code" in wrong.get_json()["message"]
    code = app.config["PFSENSE_PAIRING_CODE"]
    assert client.post("/api/pairing", json={"code": code}, headers=csrf).status_code == 200
    names = [p["name"] for p in client.get("/api/patients").get_json()["patients"]]
    assert names == ["Anna K"]
    assert client.get_cookie("session").expires is not None  # kept across browser restarts
    assert therapist_client.delete("/api/pairing", headers=therapist_csrf).get_json() == {
        "unpaired": 1
    }
    assert client.get("/api/patients").status_code == 403


def test_on_loopback_nothing_needs_pairing(tmp_path):
    live, app = served_app(tmp_path, "rolling:600 force=200")
    try:
        client, _ = browser(app)
        assert client.get("/api/patients").status_code == 200
        assert client.get("/api/pairing").get_json()["needed"] is False
    finally:
        live.stop()


def test_an_unpaired_browser_cannot_end_or_read_a_patients_session(private):
    live, app = private
    therapist_client, therapist_csrf = therapist(app)
    patient_id = add_patient(therapist_client, therapist_csrf, name="Alice Secret")
    body = {"patient_id": patient_id}
    started = therapist_client.post("/api/session/start", json=body, headers=therapist_csrf)
    assert started.status_code == 200
    client, csrf = on_the_wifi(app)
    assert client.post("/api/session/stop", headers=csrf).status_code == 403
    assert live.session is not None  # still running
    assert therapist_client.post("/api/session/stop", headers=therapist_csrf).status_code == 200
    status = client.get("/api/status").get_data(as_text=True)
    assert "Alice Secret" not in status
    last = client.get("/api/status").get_json()["last_session"]
    assert last["patient_id"] == patient_id
    assert "report" not in last
    assert "recording" not in last


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/pairing", {"code": "\ud800"}),
        ("/api/therapist/login", {"pin": "\ud800"}),
    ],
)
def test_a_lone_surrogate_as_a_secret_is_just_wrong(private, path, body):
    _live, app = private
    therapist(app)
    client, csrf = on_the_wifi(app)
    response = client.post(path, json=body, headers=csrf)
    assert response.status_code == 403
    assert "wrong" in response.get_json()["message"]
