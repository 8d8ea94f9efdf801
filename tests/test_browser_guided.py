"""A guided session's screen in real headless Chromium (issue 13, item 1): what to do now and
the force are inside the first screen, upright and sideways; the next step shows; a rest looks
like a rest (no band judgement)."""

import re

import pytest

from .browser import browser_page
from .server import served

pytestmark = pytest.mark.browser

START = """async (code) => {
  const call = window.pfsense.call;
  await call("POST", "/api/therapist/pin", {pin: "2468", pin_again: "2468", setup_code: code});
  const {patient} = await call("POST", "/api/patients", {name: "R. Oller", foot_mm: 250});
  await call("PUT", `/api/patients/${patient.id}/routine`, {segments: [
    {technique: "rolling", zone: "heel", duration_s: 8, rest_s: 6},
    {technique: "rolling", zone: "arch", duration_s: 8, rest_s: 0}]});
  await call("POST", "/api/session/start", {patient_id: patient.id, routine: true});
}"""


def inside(page, selector: str, viewport: dict) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 844, "height": 390}])
def test_what_to_do_now_and_the_force_are_on_the_first_screen(tmp_path, viewport):
    env = {"PFSENSE_HOME": str(tmp_path / "home")}
    with served("--layout", "single", env=env) as (process, url), browser_page() as page:
        code = re.search(r"setup code (\d{6})", process.stdout.readline()).group(1)
        page.set_viewport_size(viewport)
        page.goto(url)
        page.wait_for_selector(
            "#force-panel.band-in, #force-panel.band-below, #force-panel.band-above"
        )
        page.evaluate(START, code)
        page.wait_for_selector("#routine-panel:not([hidden])")
        page.wait_for_selector("#routine-now:has-text('1/2: rolling · heel')")
        for selector in ("#routine-now", "#routine-progress", "#routine-left", "#routine-next",
                         "#force", "#band-label"):  # fmt: skip
            assert inside(page, selector, viewport), selector
        assert "next:" in page.locator("#routine-next").inner_text()
        # First, not merely on the screen: nothing (the chart, say) above them.
        trace_y = page.locator("#trace").bounding_box()["y"]
        for selector in ("#routine-panel", "#force-panel"):
            assert page.locator(selector).bounding_box()["y"] < trace_y, selector
        page.wait_for_selector("#routine-now:has-text('rest')", timeout=20_000)
        page.wait_for_selector("#force-panel.band-rest")
        assert page.locator("#band-label").inner_text() == "rest: foot off the ball"
        page.screenshot(path=str(tmp_path / "rest.png"))


def test_now_and_the_last_half_minute_are_labelled_and_colour_changes_at_once(tmp_path):
    env = {"PFSENSE_HOME": str(tmp_path / "home")}
    with served("--layout", "single", env=env) as (_process, url), browser_page() as page:
        page.goto(url)
        page.wait_for_selector(
            "#force-panel.band-in, #force-panel.band-below, #force-panel.band-above"
        )
        assert page.locator("#force-when").inner_text().lower() == "now"
        assert page.locator("#metrics-when").inner_text().lower() == "over the last 30 s"
        duration = page.eval_on_selector(
            "#force-panel", "el => getComputedStyle(el).transitionDuration"
        )
        assert duration in ("0s", "")


def test_a_remembered_patient_is_named_before_anything_is_filed_under_them(tmp_path):
    env = {"PFSENSE_HOME": str(tmp_path / "home")}
    with served("--layout", "single", env=env) as (process, url), browser_page() as page:
        code = re.search(r"setup code (\d{6})", process.stdout.readline()).group(1)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(url)
        page.wait_for_selector(
            "#force-panel.band-in, #force-panel.band-below, #force-panel.band-above"
        )
        short = START.replace("duration_s: 8, rest_s: 6", "duration_s: 5, rest_s: 0")
        short = short.replace("duration_s: 8", "duration_s: 5")  # a quick routine: 10 s
        page.evaluate(
            short.replace('await call("POST", "/api/session/start"', "return 1; //"), code
        )
        # The picker remembers the last person; a plain "start session" names them first.
        page.reload()
        page.select_option("#who", label="R. Oller")
        page.reload()
        page.wait_for_selector("#who option:has-text('R. Oller')", state="attached")
        page.wait_for_selector("#session:has-text('start session for R. Oller')")
        page.select_option("#who", value="")
        assert page.inner_text("#session") == "start session"
        page.select_option("#who", label="R. Oller")
        page.click("#start-routine")
        page.wait_for_selector('#whose:has-text("R. Oller\'s session")')
        assert page.is_disabled("#who")  # whose session it is cannot change under it
        # The simulated person does what the routine asks, all of it (tests/test_sim_follows.py
        # scores full-length segments; 5 s ones fall short of a zone's 30 s dose by design).
        page.wait_for_url("**/patients/*?session=*", timeout=40_000)
        page.wait_for_selector("#detail:not([hidden])")
        done_s = page.locator("#segments tbody tr td:nth-child(4)").all_inner_texts()
        assert [float(s) >= 4 for s in done_s] == [True, True], done_s
