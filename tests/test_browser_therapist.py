"""The therapist's and the patient's flows in real headless Chromium against `pfsense serve`:
set the PIN, add a patient, set the target by demonstration, give them a short routine; the
patient picks their name on the live page, runs the routine, and ends on its summary."""

import re

import pytest

from .browser import browser_page
from .server import served

pytestmark = pytest.mark.browser

SHORT_ROUTINE = [
    ("rolling", "heel", "5", "1"),
    ("rolling", "arch", "5", "0"),
]


def test_a_therapist_sets_a_target_by_demonstration_and_the_patient_runs_the_routine(tmp_path):
    env = {"PFSENSE_HOME": str(tmp_path / "home")}
    script = ("--script", "rolling:600 force=200")
    with served("--layout", "single", *script, env=env) as (process, url), browser_page() as page:
        console = process.stdout.readline()  # the device's console: the first PIN's setup code
        code = re.search(r"setup code (\d{6})", console).group(1)
        page.goto(url + "therapist")
        page.wait_for_selector("#login-button:has-text('set PIN')")
        page.fill("#setup-code", code)
        page.fill("#pin", "2468")
        page.fill("#pin-again", "2468")
        page.click("#login-button")
        page.wait_for_selector("#workspace:not([hidden])")
        page.fill("#new-patient input[name=name]", "R. Oller")
        page.fill("#new-patient input[name=foot_mm]", "255")
        page.click("#new-patient button[type=submit]")
        page.wait_for_selector("#patient-name:has-text('R. Oller')")
        page.fill("#edit-patient input[name=foot_mm]", "258")
        page.click("#edit-patient button[type=submit]")
        page.wait_for_selector("#message:has-text('patient saved')")
        page.wait_for_selector("#patients:has-text('258 mm')")  # the list, refreshed
        outside = tmp_path / "outside.csv"
        outside.write_text("t,force\n" + "".join(f"{i / 80},{200 + i % 40}\n" for i in range(800)))
        page.set_input_files("#import-file", str(outside))
        page.wait_for_selector("#message:has-text('imported as session 1')")
        # The demonstration: 10 s of the simulated therapist pressing at about 200 N.
        page.fill("#demo-seconds", "10")
        page.click("#demonstrate")
        page.wait_for_selector("#save-proposal", timeout=20_000)
        proposal = page.inner_text("#proposal")
        assert "proposed band" in proposal
        page.click("#save-proposal")
        row = "#targets tr[data-technique=rolling]"
        page.wait_for_function(
            f"document.querySelector('{row} td:nth-child(5)').textContent === 'demonstration'"
        )
        low = float(page.input_value(f"{row} input >> nth=0"))
        high = float(page.input_value(f"{row} input >> nth=1"))
        assert 150 < low < 200 < high < 260, (low, high)
        # A short routine: replace the default one.
        page.evaluate("document.querySelector('#routine tbody').replaceChildren()")
        for index, (technique, zone, work, rest) in enumerate(SHORT_ROUTINE):
            page.click("#add-segment")
            cells = f"#routine tbody tr >> nth={index}"
            page.locator(cells).locator("select").nth(0).select_option(technique)
            page.locator(cells).locator("select").nth(1).select_option(zone)
            page.locator(cells).locator("input").nth(0).fill(work)
            page.locator(cells).locator("input").nth(1).fill(rest)
        page.click("#save-routine")
        page.wait_for_selector("#message:has-text('routine saved')")

        # The patient's side: no PIN; pick the name, start the routine, follow it.
        page.goto(url)
        page.wait_for_selector("#who option:has-text('R. Oller')", state="attached")
        page.select_option("#who", label="R. Oller")
        page.click("#start-routine")
        page.wait_for_selector("#routine-panel:not([hidden])", timeout=5_000)
        assert "heel" in page.inner_text("#routine-now")
        assert "arch" in page.inner_text("#routine-next")
        note = page.inner_text("#band-note")  # the patient's own band, not the default
        shown = [float(n) for n in re.findall(r"\d+", note)[:2]]
        assert shown == pytest.approx([low, high], abs=1), note
        page.wait_for_function(
            "document.getElementById('routine-now').textContent.includes('arch')", timeout=10_000
        )
        # The end: the summary, on the patient's history page.
        page.wait_for_url("**/patients/*?session=*", timeout=15_000)
        page.wait_for_selector("#detail:not([hidden])")
        assert "complete" in page.inner_text("#detail-title")
        zones = page.locator("#segments tbody tr td:nth-child(3)").all_inner_texts()
        assert zones == ["heel", "arch"]
        # Adherence counts days with a session: the imported one and this are on the same day.
        assert page.inner_text("#weeks li:last-child .count") == "1"
        # The session's trace replays on the live page.
        page.click("#replay")
        page.wait_for_function(
            "document.getElementById('state').textContent.startsWith('replay')", timeout=5_000
        )
        page.wait_for_function("window.pfsenseChart.data[0].length > 80", timeout=5_000)
        assert 120 < float(page.inner_text("#force")) < 280
        page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
