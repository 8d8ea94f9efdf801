"""The therapist's PIN on a shared network (issue 12, item 3): the first PIN only with the code
printed at the device, or at the device; a throttle that counts a try before the slow hash, per
address and for the whole device; logins that logging out, a new PIN and the idle timeout end
on the server, whatever the browser keeps."""

import re
import subprocess
import sys
import threading
from contextlib import closing

import pytest

from pfsense.store import db, pin
from pfsense.web import auth

from .server import served
from .test_therapist_api import PIN, served_app, therapist
from .test_web_controls import browser


@pytest.fixture
def app(tmp_path):
    live, app = served_app(tmp_path, "rolling:600 force=200")
    app.config["TESTING"] = False
    yield app
    live.stop()


def from_address(app, address: str):
    client, csrf = browser(app)
    client.environ_base["REMOTE_ADDR"] = address
    return client, csrf


def test_the_first_pin_needs_the_code_shown_at_the_device(app):
    client, csrf = browser(app)
    code = app.config["PFSENSE_SETUP_CODE"]
    for body in ({"pin": PIN}, {"pin": PIN, "setup_code": "000000" if code != "000000" else "1"}):
        refused = client.post("/api/therapist/pin", json=body, headers=csrf)
        assert refused.status_code == 403
        assert "setup code" in refused.get_json()["message"]
    twice = {"pin": PIN, "pin_again": "1357", "setup_code": code}
    differ = client.post("/api/therapist/pin", json=twice, headers=csrf)
    assert differ.status_code == 400
    assert "differ" in differ.get_json()["message"]
    assert client.get("/api/therapist/").get_json()["pin_set"] is False
    right = {"pin": PIN, "pin_again": PIN, "setup_code": code}
    assert client.post("/api/therapist/pin", json=right, headers=csrf).status_code == 200


def test_serve_prints_the_setup_code_until_a_pin_is_set(tmp_path):
    with served("--sensor", "sim", env={"PFSENSE_HOME": str(tmp_path)}) as (process, _url):
        assert re.search(r"setup code \d{6}", process.stdout.readline())
    with closing(db.connect(tmp_path)) as connection:
        pin.set_pin(connection, PIN)
    with served("--sensor", "sim", env={"PFSENSE_HOME": str(tmp_path)}) as (process, _url):
        process.send_signal(2)
        assert "setup code" not in process.stdout.read()


def test_concurrent_wrong_pins_from_one_address_are_counted_before_the_hash(app):
    therapist(app)
    clients = [from_address(app, "192.168.1.50") for _ in range(20)]
    start, statuses = threading.Barrier(len(clients)), []

    def guess(client, csrf):
        start.wait()
        statuses.append(client.post("/api/therapist/login", json={"pin": "0000"}, headers=csrf))

    threads = [threading.Thread(target=guess, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    checked = sum(response.status_code == 403 for response in statuses)
    assert checked <= auth.FREE_ATTEMPTS
    assert sum(response.status_code == 429 for response in statuses) == 20 - checked


def test_many_addresses_share_one_budget_for_the_whole_device(app):
    therapist(app)
    checked = 0
    for i in range(60):
        client, csrf = from_address(app, f"10.0.{i}.7")
        response = client.post("/api/therapist/login", json={"pin": "0000"}, headers=csrf)
        checked += response.status_code == 403
        if response.status_code == 429:
            assert "reset the PIN at the device" in response.get_json()["message"]
    assert checked <= auth.GLOBAL_BURST


def test_a_locked_address_is_not_forgotten_while_others_come_and_go(monkeypatch):
    monkeypatch.setattr(auth, "GLOBAL_BURST", 10**9)  # only the address table is under test
    throttle = auth.LoginThrottle(now=0.0)
    for _ in range(auth.FREE_ATTEMPTS):
        throttle.begin("attacker", 0.0)
    for i in range(3 * auth.MAX_TRACKED_CLIENTS):
        throttle.begin(f"10.{i // 256}.{i % 256}.1", 1.0)
    with pytest.raises(auth.TooManyRequests):
        throttle.begin("attacker", 2.0)
    assert len(throttle._clients) <= auth.MAX_TRACKED_CLIENTS + 1


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_logging_out_ends_the_login_for_a_copy_of_the_cookie_too(app):
    client, csrf = therapist(app)
    kept = session_cookie(client)
    assert client.get("/api/patients/1/history.csv").status_code in (200, 404)
    client.post("/api/therapist/logout", headers=csrf)
    client.set_cookie("session", kept)  # an old copy of the cookie, as if stolen
    assert client.get("/api/therapist/").get_json()["logged_in"] is False
    assert client.post("/api/patients", json={"name": "X"}, headers=csrf).status_code == 401


def test_a_new_pin_ends_every_other_login(app, tmp_path):
    first, first_csrf = therapist(app)
    second, second_csrf = browser(app)
    login = second.post("/api/therapist/login", json={"pin": PIN}, headers=second_csrf)
    assert login.status_code == 200
    change = {"pin": "1357", "pin_again": "1357", "current_pin": PIN}
    assert first.post("/api/therapist/pin", json=change, headers=first_csrf).status_code == 200
    assert second.get("/api/therapist/").get_json()["logged_in"] is False
    assert first.get("/api/therapist/").get_json()["logged_in"] is True
    with closing(db.connect(tmp_path)) as connection:  # `pfsense therapist reset-pin`
        pin.set_pin(connection, "97531")
    assert first.get("/api/therapist/").get_json()["logged_in"] is False


def test_an_idle_login_ends_on_the_server():
    logins = auth.Logins()
    token = logins.start("stamp", now=0.0)
    assert logins.check(token, "stamp", now=auth.IDLE_TIMEOUT_S - 1)
    assert not logins.check(token, "stamp", now=2 * auth.IDLE_TIMEOUT_S)
    assert not logins.check(token, "stamp", now=0.0)  # gone for good, not just late


def pfsense(*args: str, home, typed: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pfsense", "--data-dir", str(home), *args],
        input=typed, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_pin_is_set_and_reset_at_the_device(tmp_path):
    assert pfsense("therapist", "set-pin", home=tmp_path, typed="2468\n2468\n").returncode == 0
    again = pfsense("therapist", "set-pin", home=tmp_path, typed="1357\n1357\n")
    assert again.returncode == 2
    assert "reset-pin" in again.stderr
    differ = pfsense("therapist", "reset-pin", home=tmp_path, typed="1357\n1358\n")
    assert differ.returncode == 2
    assert "differ" in differ.stderr
    assert pfsense("therapist", "reset-pin", home=tmp_path, typed="1357\n1357\n").returncode == 0
    with closing(db.connect(tmp_path)) as connection:
        assert pin.pin_matches(connection, "1357")


def test_a_pin_reset_at_the_device_lifts_every_lock(app, tmp_path):
    therapist(app)
    for i in range(auth.GLOBAL_BURST + 3):  # the device's whole budget, burnt
        client, csrf = from_address(app, f"10.9.{i}.1")
        client.post("/api/therapist/login", json={"pin": "0000"}, headers=csrf)
    client, csrf = browser(app)
    assert client.post("/api/therapist/login", json={"pin": PIN}, headers=csrf).status_code == 429
    with closing(db.connect(tmp_path)) as connection:  # pfsense therapist reset-pin
        pin.set_pin(connection, "5678")
    assert (
        client.post("/api/therapist/login", json={"pin": "5678"}, headers=csrf).status_code == 200
    )
