"""Replaying a stored session on the live page, and setting a band by feel from it, in real
headless Chromium (issue 13, items 9 and 5): play and pause, seek, progress, the band the session
was scored on, live controls disabled; two presses, the count on screen, the band said to be
by feel."""

import pytest

from .browser import browser_page
from .server import served, wait_for

pytestmark = pytest.mark.browser

RECORD = """async () => {
  const call = window.pfsense.call;
  await call("POST", "/api/session/start", {});
  await new Promise((done) => setTimeout(done, 7000));
  const {session} = await call("POST", "/api/session/stop", {});
  return session.id;
}"""


def test_a_replay_pauses_seeks_and_shows_the_sessions_band(tmp_path):
    env = {"PFSENSE_HOME": str(tmp_path / "home")}
    script = ("--script", "trigger_point:600 force=180", "--target", "150", "300")
    with served("--layout", "single", *script, env=env) as (_p, url), browser_page() as page:
        page.goto(url)
        page.wait_for_selector("#force-panel.band-in")
        session_id = page.evaluate(RECORD)
        page.goto(f"{url}?replay={session_id}")
        page.wait_for_selector("#replay-controls:not([hidden])")
        page.wait_for_function("window.pfsenseReplay && window.pfsenseReplay.position_s > 1")
        # The live controls do nothing to the device during a replay.
        for control in ("#session", "#tare", "#band-by-feel", "#who"):
            assert page.is_disabled(control), control
        # The band is the one the session was scored on (--target), not the page's default.
        assert "150\u2013300 N" in page.inner_text("#band-note")
        end_s = page.evaluate("window.pfsenseReplay.end_s")
        assert 6 < end_s < 8
        assert page.inner_text("#replay-position").endswith(f"/ 0:{int(end_s):02d}")
        # Pause: the position stands still.
        page.click("#replay-play")
        assert page.inner_text("#replay-play") == "play"
        paused_at = page.evaluate("window.pfsenseReplay.position_s")
        page.wait_for_timeout(1000)
        assert page.evaluate("window.pfsenseReplay.position_s") == paused_at
        # Seek: to 5 s in, the chart holds the ten seconds before it, and no later sample.
        page.eval_on_selector(
            "#replay-seek", "el => { el.value = '5'; el.dispatchEvent(new Event('input')); }"
        )
        assert page.evaluate("window.pfsenseReplay.position_s") == pytest.approx(5, abs=0.1)
        assert page.inner_text("#replay-position").startswith("0:05 /")
        times = page.evaluate("window.pfsenseChart.data[0]")
        assert max(times) <= 5.0
        assert min(times) < 1.0  # from the start: less than ten seconds in
        assert 150 < float(page.inner_text("#force")) < 210
        # Play on to the end.
        page.click("#replay-play")
        page.wait_for_function(
            "document.getElementById('state').textContent.startsWith('ended')", timeout=10_000
        )
        assert page.inner_text("#replay-play") == "play"


def test_a_band_by_feel_from_the_live_page(tmp_path):
    # The simulated person presses at 150 N for 12 s, then at 250 N: the two presses.
    env = {"PFSENSE_HOME": str(tmp_path / "home")}
    script = ("--script", "weight:12 force=150; weight:600 force=250")
    with served("--layout", "single", *script, env=env) as (_p, url), browser_page() as page:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(url)
        page.wait_for_selector("#force-panel.band-in")
        page.click("#band-by-feel")
        assert "firm but comfortable" in page.inner_text("#feel-step")
        page.click("#feel-go")
        page.wait_for_selector("#feel-countdown:has-text('keep pressing')")
        box = page.locator("#feel-countdown").bounding_box()
        assert box["y"] + box["height"] <= 844  # the count is on the screen while pressing
        page.wait_for_selector("#feel-step:has-text('strong but tolerable')", timeout=15_000)
        sim_t_s = "window.pfsense.call('GET', '/api/status').then(s => s.latest.t_s)"
        wait_for(lambda: page.evaluate(sim_t_s) > 13, timeout_s=15)  # now pressing at 250 N
        page.click("#feel-go")
        page.wait_for_selector("#feel-save:not([hidden])", timeout=15_000)
        assert "150 N to 250 N" in page.inner_text("#feel-step")
        page.click("#feel-save")
        page.wait_for_selector("#control-message:has-text('your band by feel is now')")
        page.wait_for_selector("#band-note:has-text('set by feel')")
        assert "150\u2013250 N" in page.inner_text("#band-note")
        assert page.locator("#feel").is_hidden()
