"""kill -9 in the middle of a session: at most the last second is lost, and the session shows as
interrupted, not missing, once pfsense is back."""

import http.cookiejar
import json
import re
import signal
import time
import urllib.request
from contextlib import closing

from pfsense.sensors.recording import read_recording
from pfsense.store import db, sessions

from .server import served, wait_for


def opener_with_token(url: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(url).read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    return opener, token


def post(opener, url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-CSRF-Token": token},
    )
    return json.load(opener.open(request))


def test_kill_9_mid_session_loses_at_most_the_last_second(tmp_path):
    home = tmp_path / "home"
    env = {"PFSENSE_HOME": str(home)}
    with served("--layout", "plate4", env=env) as (process, url):
        opener, token = opener_with_token(url)
        session = post(opener, url + "api/session/start", token, {})["session"]
        started = time.monotonic()
        time.sleep(4.0)
        process.send_signal(signal.SIGKILL)
        killed_after_s = time.monotonic() - started
        process.wait(5)
    with closing(db.connect(home)) as connection:
        check_after_restart(connection, session, env, killed_after_s, home)


def check_after_restart(connection, session, env, killed_after_s, home):
    row = sessions.get_session(connection, session["id"])
    assert row.status == "running"  # nobody has looked yet
    recorded_s = read_recording(home / "recordings" / session["recording"]).duration_s
    assert recorded_s >= killed_after_s - 1.0, (recorded_s, killed_after_s)
    assert row.progress["duration_s"] >= killed_after_s - 1.5  # written every second
    with served("--layout", "plate4", env=env) as (_process, _url):
        wait_for(lambda: sessions.get_session(connection, session["id"]).status != "running")
    row = sessions.get_session(connection, session["id"])
    assert row.status == "interrupted"
    assert row.ended_at is not None
    assert row.recording == session["recording"]
