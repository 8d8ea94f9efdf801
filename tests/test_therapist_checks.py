"""What the therapist's and history pages rely on from the server (issue 13, items 7, 8 and 10):
empty fields refused, messages in the page's words with the field named for the page, a name
another patient has refused until confirmed, the lockout's wait in seconds, and a session too
short to be one left out of adherence, with real sessions stored through the API."""

import pytest

from .test_therapist_api import add_patient, served_app, therapist
from .test_web_controls import browser


@pytest.fixture
def app(tmp_path):
    live, app = served_app(tmp_path, "rolling:600 force=200")
    yield app
    live.stop()


def recording(seconds: float) -> bytes:
    """A plain force CSV at 80 Hz, pressing at about 200 N throughout."""
    rows = "".join(f"{i / 80},{200 + i % 40}\n" for i in range(int(seconds * 80)))
    return ("t,force\n" + rows).encode()


def imported(client, csrf, patient_id: int, seconds: float) -> int:
    response = client.post(
        f"/api/import?patient_id={patient_id}&name=s{seconds}.csv",
        data=recording(seconds),
        content_type="text/csv",
        headers=csrf,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["session_id"]


def this_week(client, patient_id: int) -> int:
    return client.get(f"/api/patients/{patient_id}").get_json()["adherence"]["weeks"][-1][
        "sessions"
    ]


def test_a_tap_on_tap_off_session_is_not_a_session_done(app):
    client, csrf = therapist(app)
    patient_id = add_patient(client, csrf)  # mild: the default routine of 5 minutes
    started = client.post("/api/session/start", json={"patient_id": patient_id}, headers=csrf)
    assert started.status_code == 200, started.get_json()
    stopped = client.post("/api/session/stop", headers=csrf).get_json()["session"]
    assert stopped["status"] == "complete"
    short = imported(client, csrf, patient_id, 6.0)
    shown = client.get(f"/api/patients/{patient_id}").get_json()
    assert [(s["id"], s["counted"]) for s in shown["sessions"]] == [
        (stopped["id"], False),
        (short, False),
    ]
    assert shown["adherence"]["least_session_s"] == 60.0
    assert this_week(client, patient_id) == 0
    imported(client, csrf, patient_id, 61.0)
    assert this_week(client, patient_id) == 1


def test_a_short_routine_done_to_the_end_counts(app):
    client, csrf = therapist(app)
    patient_id = add_patient(client, csrf)
    steps = [{"technique": "rolling", "zone": "arch", "duration_s": 8, "rest_s": 4}] * 2
    client.put(f"/api/patients/{patient_id}/routine", json={"segments": steps}, headers=csrf)
    imported(client, csrf, patient_id, 5.0)  # under half of the routine's 24 s
    assert this_week(client, patient_id) == 0
    imported(client, csrf, patient_id, 13.0)
    shown = client.get(f"/api/patients/{patient_id}").get_json()
    assert shown["adherence"]["least_session_s"] == 12.0
    assert this_week(client, patient_id) == 1


def test_a_name_another_patient_has_needs_the_therapists_confirmation(app):
    client, csrf = therapist(app)
    first = add_patient(client, csrf, name="Anna K", foot_mm=243)
    twice = client.post("/api/patients", json={"name": " anna  k ", "foot_mm": 250}, headers=csrf)
    assert twice.status_code == 409
    answer = twice.get_json()
    assert answer["field"] == "name"
    assert answer["existing"] == [{"id": first, "name": "Anna K", "foot_mm": 243.0}]
    assert f"patient {first}, foot 243 mm" in answer["message"]
    assert len(client.get("/api/patients").get_json()["patients"]) == 1
    confirmed = {"name": "Anna K", "foot_mm": 250, "allow_duplicate_name": True}
    second = client.post("/api/patients", json=confirmed, headers=csrf)
    assert second.status_code == 201, second.get_json()
    other = add_patient(client, csrf, name="Ben L")
    renamed = client.put(f"/api/patients/{other}", json={"name": "ANNA K"}, headers=csrf)
    assert renamed.status_code == 409
    assert [p["id"] for p in renamed.get_json()["existing"]] == [first, first + 1]
    # Saving one of the two Annas unchanged asks nothing: their name is not new.
    kept = client.put(
        f"/api/patients/{first}", json={"name": "Anna K", "foot_mm": 244}, headers=csrf
    )
    assert kept.status_code == 200, kept.get_json()


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        (
            "/api/patients",
            {"name": "C", "foot_mm": ""},
            "foot_mm",
            "Foot length (mm) is empty; enter a number from 150 to 350 mm",
        ),
        (
            "/api/patients/1/routine",
            {"segments": [{"technique": "rolling", "zone": "arch", "duration_s": 0}]},
            "segments.0.duration_s",
            "Routine step 1, work (s): 0 is too short; enter 5 to 600 s",
        ),
        (
            "/api/patients/1/targets/deep_tissue",
            {"band_n": [300, 250]},
            "band_n",
            "Deep tissue target band (N): the low end 300 N must be below the high end 250 N",
        ),
        (
            "/api/demonstration",
            {"seconds": 10, "tolerance": 0.9},
            "tolerance",
            "Tolerance ± (%): 90 is too large; enter 5 to 50 %",
        ),
    ],
)
def test_messages_use_the_pages_words_and_name_the_field(app, path, body, field, message):
    client, csrf = therapist(app)
    add_patient(client, csrf)
    method = client.post if path in ("/api/patients", "/api/demonstration") else client.put
    answer = method(path, json=body, headers=csrf)
    assert answer.status_code == 400
    assert (answer.get_json()["field"], answer.get_json()["message"]) == (field, message)
    assert message.endswith(answer.get_json()["problem"])


def test_the_lockout_says_how_many_seconds_to_wait(app):
    therapist(app)
    client, csrf = browser(app)
    for _ in range(5):
        client.post("/api/therapist/login", json={"pin": "0000"}, headers=csrf)
    locked = client.post("/api/therapist/login", json={"pin": "0000"}, headers=csrf)
    assert locked.status_code == 429
    wait_s = locked.get_json()["retry_after_s"]
    assert 25 <= wait_s <= 30
    assert locked.headers["Retry-After"] == str(wait_s)
    assert f"try again in {wait_s} s" in locked.get_json()["message"]
