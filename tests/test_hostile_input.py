"""Bad input, however large or strange, gets a 400 or 404 that says what is wrong, never a 500
(issue 12, item 6): ids past SQLite's integers, numbers of hundreds or thousands of digits, a
lone surrogate, JSON nested 30,000 deep, file names with NUL or 300 characters; and the CLI says
the same in one line, with durations that end."""

import subprocess
import sys

import pytest

from .test_therapist_api import add_patient, served_app, therapist

HUGE_ID = "9" * 25  # past 2**63 - 1


@pytest.fixture
def served(tmp_path):
    live, app = served_app(tmp_path, "rolling:600 force=200")
    app.config["TESTING"] = False  # as served: an exception would be a 500, not a raise
    client, csrf = therapist(app)
    yield client, csrf, add_patient(client, csrf)
    live.stop()


def refused(response, status: int, words: str) -> None:
    body = response.get_json()
    assert response.status_code == status, body
    assert words in body["message"]
    assert "Traceback" not in body["message"]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/patients/{id}",
        "/api/sessions/{id}",
        "/api/sessions/{id}/trace",
        "/api/sessions/{id}/samples.csv",
        "/api/sessions/{id}/report.json",
        "/api/patients/{id}/history.csv",
        "/api/therapist/patients/{id}",
    ],
)
def test_ids_past_the_largest_integer_are_not_found(served, path, method):
    client, csrf, _ = served
    response = client.open(path.format(id=HUGE_ID), method=method, headers=csrf)
    if method == "DELETE" and response.status_code == 405:
        return  # the route takes no DELETE: refused before any id is read
    refused(response, 404, "ids are whole numbers")


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/api/patients/{pid}", {"name": "x", "foot_mm": "9" * 400}, "is too large"),
        ("/api/patients/{pid}", {"name": "x", "foot_mm": int("9" * 400)}, "is too large"),
        ("/api/patients/{pid}/targets/rolling", {"band_n": [int("9" * 400), 2]}, "is too large"),
        ("/api/demonstration", {"seconds": int("9" * 400)}, "is too long"),
        ("/api/session/start", {"patient_id": int(HUGE_ID)}, "is not an id"),
        ("/api/session/start", {"patient_id": "three"}, "is not an id"),
    ],
)
def test_numbers_of_hundreds_of_digits_are_out_of_range(served, path, body, words):
    client, csrf, pid = served
    method = "POST" if "{pid}" not in path else "PUT"
    refused(client.open(path.format(pid=pid), method=method, json=body, headers=csrf), 400, words)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ('{"name": "x", "foot_mm": ' + "9" * 5000 + ', "severity": "mild"}', "too many digits"),
        ('{"name": "\\ud800", "foot_mm": 250, "severity": "mild"}', "lone surrogate"),
        ("[" * 30000 + "]" * 30000, "nested too deeply"),
    ],
)
def test_strange_json_is_refused_with_what_is_wrong(served, raw, words):
    client, csrf, _ = served
    response = client.post("/api/patients", data=raw, content_type="application/json", headers=csrf)
    refused(response, 400, words)


def imported(client, csrf, tmp_path, query: dict):
    """POST a 3 s simulated recording to /api/import with `query`."""
    recording = tmp_path / "r.csv"
    subprocess.run(
        [sys.executable, "-m", "pfsense", "record", "--sensor", "sim", "--fast", "--seconds",
         "3", "-o", str(recording)],
        check=True, capture_output=True,
    )  # fmt: skip
    return client.post(
        "/api/import", query_string=query, data=recording.read_bytes(),
        content_type="text/csv", headers=csrf,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"name": "a\x00b.csv"}, "control characters"),
        ({"name": "x" * 300 + ".csv"}, "at most 120"),
        ({"patient_id": "abc"}, "is not an id"),
        ({"patient_id": HUGE_ID}, "is not an id"),
    ],
)
def test_an_import_with_a_strange_name_or_patient_is_refused(served, tmp_path, query, words):
    client, csrf, _ = served
    response = imported(client, csrf, tmp_path, query)
    refused(response, 400, words)


def pfsense(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pfsense", "--data-dir", str(home), *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ("patients", "show", "9" * 23),
        ("patients", "delete", "abc"),
        ("export", "session", "9" * 23),
        ("record", "--sensor", "sim", "--fast", "--seconds", "1e999", "-o", "x.csv"),
        ("sensors", "--diagnose", "--sensor", "sim", "--seconds", "1e999"),
    ],
)
def test_the_cli_refuses_in_one_line_and_ends(tmp_path, args):
    args = [str(tmp_path / arg) if arg == "x.csv" else arg for arg in args]
    result = pfsense(*args, home=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "is not an id" in result.stderr or "at most" in result.stderr


def test_a_header_of_millions_of_columns_is_refused_in_a_short_message(served, tmp_path):
    client, csrf, _ = served
    wide = "t," + "x," * 3_000_000 + "force\n" + "0," * 3_000_001 + "1\n"
    response = client.post("/api/import", data=wide.encode(), content_type="text/csv", headers=csrf)
    refused(response, 400, "bytes long")
    assert len(response.get_data()) < 500  # not the header echoed back


@pytest.mark.parametrize("name", ["..", ".", "a/.."])
def test_an_import_named_as_a_folder_is_given_a_name_of_its_own(served, tmp_path, name):
    client, csrf, _ = served
    response = imported(client, csrf, tmp_path, {"name": name})
    assert response.status_code == 201, response.get_json()
