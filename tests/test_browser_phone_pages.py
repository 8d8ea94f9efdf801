"""The therapist's and the history pages on a phone, in real headless Chromium against `pfsense
serve` (issue 13, items 7, 8 and 10): no sideways scroll at 360 px and tables as cards; controls
a finger can hit; a demonstration's force and countdown by its button, and its changes shown
before saving; empty fields refused in the page's words; a duplicate name confirmed; the history
chart's axis fitting its sessions in readable colours; dates and local times for people; the
lockout's wait counting down."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from .browser import browser_page
from .server import served

pytestmark = pytest.mark.browser

PIN = "2468"
PHONE = {"width": 360, "height": 800}
SCRIPT = ("--layout", "single", "--script", "rolling:600 force=200")

DASH = "\u2013"  # the page writes ranges with an en dash: 150-250 as 150\u2013250

FIRST_PIN = """async (code) => {
  const body = {pin: "2468", pin_again: "2468", setup_code: code};
  await window.pfsense.call("POST", "/api/therapist/pin", body);
}"""
LOG_IN = """() => window.pfsense.call("POST", "/api/therapist/login", {pin: "2468"})"""
ADD = (
    """async (fields) => (await window.pfsense.call("POST", "/api/patients", fields)).patient.id"""
)
SET_TARGET = """([id, technique, body]) =>
  window.pfsense.call("PUT", `/api/patients/${id}/targets/${technique}`, body)"""
# An 80 Hz recording pressing at about 200 N, imported as a session of the patient's.
IMPORT = """async ([patientId, seconds]) => {
  const count = Math.round(seconds * 80);
  const rows = Array.from({length: count}, (_, i) => `${i / 80},${200 + (i % 40)}`);
  const headers = {"Content-Type": "text/csv", "X-CSRF-Token": window.pfsense.token};
  const path = `/api/import?patient_id=${patientId}&name=s${seconds}.csv`;
  const body = "t,force\\n" + rows.join("\\n");
  return (await (await fetch(path, {method: "POST", headers, body})).json()).session_id;
}"""
# Visible elements of <main> reaching past the window's right edge, and controls under 44 px.
PAST_THE_EDGE = """() => [...document.querySelectorAll("main *")]
  .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 0.5)
  .map((e) => `${e.tagName}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)"""
TOO_SMALL = """() => [...document.querySelectorAll("main button, main input, main select, main a")]
  .filter((e) => e.getClientRects().length && e.getBoundingClientRect().height < 44)
  .map((e) => [e.id || e.name || e.textContent, e.getBoundingClientRect().height])"""
# Every EventSource the page opens, to see that the live stream is open only while recording.
COUNT_STREAMS = """(() => {
  const Original = window.EventSource;
  window.streams = [];
  window.EventSource = function (url) {
    const stream = new Original(url);
    window.streams.push(stream);
    return stream;
  };
})()"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One `pfsense serve` for the module, its first PIN set; each test opens its own browser."""
    env = {"PFSENSE_HOME": str(tmp_path_factory.mktemp("home"))}
    with served(*SCRIPT, env=env) as (process, url):
        code = re.search(r"setup code (\d{6})", process.stdout.readline()).group(1)
        with browser_page() as page:  # one Playwright at a time: closed before the tests' own
            page.goto(url + "therapist")
            page.evaluate(FIRST_PIN, code)
        yield url


def therapist_page(page, url: str, name: str, **fields) -> int:
    """The therapist's page at phone size, logged in, with a new patient open."""
    page.set_viewport_size(PHONE)
    page.goto(url + "therapist")
    page.evaluate(LOG_IN)
    patient_id = page.evaluate(ADD, {"name": name, "foot_mm": 250, **fields})
    page.reload()
    page.click(f"#patients button[data-patient='{patient_id}']")
    page.wait_for_selector(f"#patient-name:has-text('{name}')")
    return patient_id


def assert_fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(PAST_THE_EDGE) == []
    assert page.evaluate(TOO_SMALL) == []


def test_both_pages_fit_a_phone_with_tables_as_cards(site, tmp_path):
    with browser_page() as page:
        patient_id = therapist_page(page, site, "P. Hone")
        page.wait_for_function("document.getElementById('calibration-current').textContent")
        assert page.locator("#targets tbody tr").count() == 6
        assert page.locator("#routine tbody tr").count() == 4
        assert_fits_a_phone(page)
        for table in ("#targets", "#routine"):
            assert page.eval_on_selector(
                f"{table} tbody tr", "r => getComputedStyle(r).display"
            ) == ("block")
        work = page.locator("#routine tbody tr >> nth=0").locator("td >> nth=2")
        assert work.evaluate("td => getComputedStyle(td, '::before').content") == '"Work (s)"'
        for seconds in (70, 90):
            page.evaluate(IMPORT, [patient_id, seconds])
        page.goto(f"{site}patients/{patient_id}")
        page.wait_for_selector("#sessions tbody tr >> nth=1")
        page.click("#sessions tbody tr >> nth=0 >> button")
        page.wait_for_selector("#detail:not([hidden])")
        assert_fits_a_phone(page)
        page.screenshot(path=str(tmp_path / "history.png"), full_page=True)


# Words of the tables' cells that the browser split across two lines ("sav/e", "defaul/t").
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll("main table td, main table th")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) split.push(match[0]);
      }
    }
  }
  return split;
}"""


def test_a_phone_on_its_side_shows_the_tables_as_tables_without_splitting_words(site):
    with browser_page() as page:
        therapist_page(page, site, "S. Ideways")
        page.set_viewport_size({"width": 844, "height": 390})
        assert page.eval_on_selector("#targets tbody tr", "r => getComputedStyle(r).display") == (
            "table-row"
        )
        assert page.evaluate(SPLIT_WORDS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 844


def test_a_demonstration_shows_force_and_countdown_by_the_button_and_keeps_the_duration(site):
    with browser_page() as page:
        page.add_init_script(COUNT_STREAMS)
        patient_id = therapist_page(page, site, "D. Emo")
        kept = {"band_n": [150, 250], "cadence_per_min": [25, 40], "duration_s": 90}
        page.evaluate(SET_TARGET, [patient_id, "rolling", kept])
        page.click(f"#patients button[data-patient='{patient_id}']")
        page.wait_for_selector("#targets tr[data-technique=rolling] td:nth-child(5):text('manual')")
        assert page.evaluate("window.streams.length") == 0  # no stream until recording starts
        page.fill("#demo-seconds", "10")
        page.click("#demonstrate")
        page.wait_for_selector("#demo-live:not([hidden])")
        button, live = page.locator("#demonstrate").bounding_box(), page.locator("#demo-live")
        near = live.bounding_box()
        assert abs(near["y"] - button["y"]) < 2 * button["height"]  # beside it, or just under
        assert near["y"] >= 0  # on the screen
        assert near["y"] + near["height"] <= PHONE["height"]
        page.wait_for_function("Number(document.getElementById('demo-force').textContent) > 100")
        first = int(page.inner_text("#demo-left"))
        assert 8 <= first <= 10
        page.wait_for_function(
            f"Number(document.getElementById('demo-left').textContent) < {first}"
        )
        assert page.evaluate("window.streams.map((s) => s.readyState)") in ([0], [1])
        page.wait_for_selector("#save-proposal", timeout=20_000)
        assert page.evaluate("window.streams.map((s) => s.readyState)") == [2]  # closed after
        assert page.locator("#demo-live").is_hidden()
        changes = page.locator("#proposal-changes li").all_inner_texts()
        assert changes[2:] == ["duration: 90 s (unchanged)", "from: manual → demonstration"]
        assert re.fullmatch(rf"band: 150{DASH}250 N → [\d.]+{DASH}[\d.]+ N", changes[0]), changes
        assert changes[1].startswith(f"cadence: 25{DASH}40 a minute"), changes
        page.click("#save-proposal")
        row = "#targets tr[data-technique=rolling]"
        page.wait_for_selector(f"{row} td:nth-child(5):text('demonstration')")
        assert page.inner_text(f"{row} td:nth-child(4)") == "90"


def marked(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector, "e => e.getAttribute('aria-invalid') === 'true' && document.activeElement === e"
    )


def test_empty_and_wrong_fields_are_refused_in_the_pages_words(site):
    with browser_page() as page:
        patient_id = therapist_page(page, site, "E. Mpty")
        low = "#targets tr[data-technique=rolling] input >> nth=0"
        page.fill(low, "")
        page.click("#targets tr[data-technique=rolling] button")
        page.wait_for_selector("#message.problem")
        assert page.inner_text("#message") == (
            "Rolling target band (N), low end is empty; enter a number from 0 to 2000"
        )
        assert marked(page, low)
        stored = page.evaluate(f"fetch('/api/patients/{patient_id}').then(r => r.json())")
        rolling = stored["targets"][0]
        assert (rolling["technique"], rolling["source"]) == ("rolling", "default")  # not saved
        assert rolling["band_n"][0] > 0
        work = "#routine tbody tr >> nth=1 >> input >> nth=0"
        page.fill(work, "0")
        page.click("#save-routine")
        page.wait_for_selector("#message:has-text('Routine step 2')")
        assert page.inner_text("#message") == (
            "Routine step 2, work (s): 0 is too short; enter 5 to 600 s"
        )
        assert marked(page, work)
        page.fill("#demo-tolerance", "90")
        page.click("#demonstrate")
        page.wait_for_selector("#message:has-text('Tolerance')")
        assert page.inner_text("#message") == "Tolerance ± (%): 90 is too large; enter 5 to 50 %"
        assert marked(page, "#demo-tolerance")
        page.fill("#new-patient input[name=name]", "N. Ew")
        page.fill("#new-patient input[name=foot_mm]", "")
        page.click("#new-patient button[type=submit]")
        page.wait_for_selector("#message:has-text('Foot length')")
        assert page.inner_text("#message") == (
            "Foot length (mm) is empty; enter a number from 150 to 350"
        )
        assert marked(page, "#new-patient input[name=foot_mm]")
        page.fill("#new-patient input[name=foot_mm]", "260")
        page.click("#new-patient button[type=submit]")
        page.wait_for_selector("#message:text('patient added')")
        assert page.get_attribute("#new-patient input[name=foot_mm]", "aria-invalid") is None


def test_a_name_already_taken_is_confirmed_and_a_deletion_names_who(site):
    with browser_page() as page:
        first = therapist_page(page, site, "Anna K", foot_mm=243)
        page.fill("#new-patient input[name=name]", "anna k")
        page.fill("#new-patient input[name=foot_mm]", "251")
        page.click("#new-patient button[type=submit]")
        page.wait_for_selector("#same-name:not([hidden])")
        warning = page.inner_text("#same-name-text")
        assert f"patient {first}, foot length 243 mm" in warning
        assert page.locator("#patients li:has-text('Anna K')").count() == 1  # not added yet
        page.click("#same-name-yes")
        page.wait_for_selector("#message:text('patient added')")
        assert page.locator("#patients li").filter(has_text=re.compile("anna k", re.I)).count() == 2
        second = int(page.get_attribute("#patients li:has-text('251 mm') button", "data-patient"))
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        page.click("#delete-patient")
        page.wait_for_selector("#message:has-text('deleted')")
        assert f"anna k (patient {second}, foot length 251 mm)" in asked[0]
        # The message comes after the list is refreshed: the deleted patient is gone by then.
        assert page.locator("#patients li:has-text('251 mm')").count() == 0
        assert page.locator("#patients li:has-text('243 mm')").count() == 1


def contrast(colour: str, background: str = "#111111") -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_history_shows_dates_local_times_and_a_chart_that_fits_its_sessions(site):
    zone = "Pacific/Auckland"  # far from the server's UTC: a wrong time zone would show
    with browser_page() as page:
        patient_id = therapist_page(page, site, "H. Istory")
        long_one = page.evaluate(IMPORT, [patient_id, 70])
        page.evaluate(IMPORT, [patient_id, 6])
        page.context.new_cdp_session(page).send(
            "Emulation.setTimezoneOverride", {"timezoneId": zone}
        )
        page.goto(f"{site}patients/{patient_id}")
        page.wait_for_selector(f"#sessions tr[data-session='{long_one}']")
        data = page.evaluate(f"fetch('/api/patients/{patient_id}').then(r => r.json())")
        session = next(s for s in data["sessions"] if s["id"] == long_one)
        started = dt.datetime.fromisoformat(session["started_at"])
        local = started.astimezone(ZoneInfo(zone))
        shown = page.inner_text(f"#sessions tr[data-session='{long_one}'] td >> nth=0")
        assert shown == f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
        short = page.inner_text("#sessions tbody tr >> nth=0")
        assert "too short to count (under 60 s)" in short
        x_min, x_max = page.evaluate("[pfsenseTrend.scales.x.min, pfsenseTrend.scales.x.max]")
        assert x_max - x_min == pytest.approx(2 * 86400)  # a day either side of one session
        ticks = page.evaluate("pfsenseTrend.axes[0]._values")
        assert ticks, ticks
        assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}", tick) for tick in ticks), ticks
        strokes = page.evaluate("pfsenseTrend.axes.map((a) => a.stroke(pfsenseTrend, 0))")
        assert all(contrast(stroke) >= 4.5 for stroke in strokes), strokes
        weeks = page.locator("#weeks li").all_inner_texts()
        last_monday = dt.date.fromisoformat(data["adherence"]["weeks"][-1]["monday"])
        assert weeks[-1].split("\n") == [f"from {last_monday.day} {last_monday:%b}", "1"]


def test_the_lockout_wait_counts_down_each_second(tmp_path):
    env = {"PFSENSE_HOME": str(tmp_path / "home")}
    with served(*SCRIPT, env=env) as (process, url), browser_page() as page:
        code = re.search(r"setup code (\d{6})", process.stdout.readline()).group(1)
        page.clock.install()
        page.goto(url + "therapist")
        page.evaluate(FIRST_PIN, code)
        page.evaluate("window.pfsense.call('POST', '/api/therapist/logout', {})")
        page.reload()
        page.wait_for_selector("#login:not([hidden])")
        for _ in range(6):  # five wrong PINs, then one more: locked
            page.fill("#pin", "0000")
            page.click("#login-button")
            page.wait_for_function("document.getElementById('pin').value === ''")  # answered
        message = page.inner_text("#message")
        wait_s = int(re.search(r"try again in (\d+) s", message).group(1))
        assert 25 <= wait_s <= 30, message
        assert page.is_disabled("#login-button")
        page.clock.run_for(3_000)
        assert f"try again in {wait_s - 3} s" in page.inner_text("#message")
        page.clock.run_for((wait_s - 3) * 1000)
        assert page.inner_text("#message") == "you can try the PIN again now"
        assert page.is_enabled("#login-button")
