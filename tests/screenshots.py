"""`make screenshots`: the main screens in headless Chromium, upright (390x844) and sideways
(844x390), while a simulated routine runs, saved as PNGs in screenshots/ (not in git) for a person
to look at. Not a test: it asserts nothing, it shows.

    python -m tests.screenshots [OUTPUT_DIR]
"""

import re
import sys
import tempfile
from pathlib import Path

from .browser import browser_page
from .server import served

UPRIGHT = {"width": 390, "height": 844}
SIDEWAYS = {"width": 844, "height": 390}
BAND = "#force-panel.band-in, #force-panel.band-below, #force-panel.band-above"

SET_UP = """async (code) => {
  const call = window.pfsense.call;
  await call("POST", "/api/therapist/pin", {pin: "2468", pin_again: "2468", setup_code: code});
  const {patient} = await call("POST", "/api/patients", {name: "Anna K", foot_mm: 245});
  await call("PUT", `/api/patients/${patient.id}/routine`, {segments: [
    {technique: "rolling", zone: "heel", duration_s: 20, rest_s: 8},
    {technique: "trigger_point", zone: "arch", duration_s: 20, rest_s: 0}]});
  return patient.id;
}"""


def shoot(page, out: Path, name: str, full_page: bool = False) -> None:
    for label, viewport in (("upright", UPRIGHT), ("sideways", SIDEWAYS)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(400)  # a redraw at the new size
        path = out / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=full_page)
        print(path)


def live_screens(out: Path, home: Path) -> None:
    with served("--layout", "plate4", env={"PFSENSE_HOME": str(home)}) as (process, url):
        code = re.search(r"setup code (\d{6})", process.stdout.readline()).group(1)
        with browser_page() as page:
            page.goto(url)
            page.wait_for_selector(BAND)
            page.wait_for_function("document.getElementById('technique').textContent !== '-'")
            shoot(page, out, "live")
            page.click("#band-by-feel")
            shoot(page, out, "band-by-feel")
            page.click("#feel-cancel")
            patient_id = page.evaluate(SET_UP, code)
            page.evaluate(
                "(id) => window.pfsense.call('POST', '/api/session/start',"
                " {patient_id: id, routine: true})",
                patient_id,
            )
            page.wait_for_selector("#routine-panel:not([hidden])")
            page.wait_for_timeout(8000)
            shoot(page, out, "routine-work")
            page.wait_for_selector("#force-panel.band-rest", timeout=30_000)
            shoot(page, out, "routine-rest")
            page.goto(f"{url}therapist")
            page.wait_for_selector("#workspace:not([hidden])")
            page.click(f"#patients button[data-patient='{patient_id}']")
            page.wait_for_selector("#patient:not([hidden])")
            shoot(page, out, "therapist", full_page=True)
            page.goto(f"{url}patients/{patient_id}")
            page.wait_for_selector("#name:not(:has-text('…'))")
            shoot(page, out, "history", full_page=True)


def stall_screens(out: Path) -> None:
    stall = ("--fault", "stall_at_s=4", "--fault", "stall_s=30")
    with served("--layout", "single", *stall) as (_process, url), browser_page() as page:
        page.goto(url)
        page.wait_for_selector("#alert:not([hidden])", timeout=20_000)
        page.wait_for_timeout(2500)
        shoot(page, out, "stalled")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pfsense-screens-") as home:
        live_screens(out, Path(home))
    stall_screens(out)


if __name__ == "__main__":
    main()
