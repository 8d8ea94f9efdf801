"""A stall on the live page, in real headless Chromium (issue 13, item 6): the reason in plain
words at the top, recent metrics hidden while nothing comes, and a gap in the chart afterwards
(not a straight line across it as if it were data)."""

import re

import pytest

from .browser import browser_page
from .server import served

pytestmark = pytest.mark.browser

BAND = "#force-panel.band-in, #force-panel.band-below, #force-panel.band-above"


def test_a_stall_is_said_plainly_at_the_top_and_drawn_as_a_gap():
    stall = ("--fault", "stall_at_s=4", "--fault", "stall_s=3")
    with served("--layout", "single", *stall) as (_process, url), browser_page() as page:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(url)
        page.wait_for_selector(BAND)
        page.wait_for_selector("#alert:not([hidden])", timeout=15_000)
        assert page.inner_text("#alert-title").startswith("No readings from the sensor")
        assert "cable" in page.inner_text("#alert-advice")
        assert page.locator("#alert").bounding_box()["y"] < 50  # the first thing on the screen
        assert "fault" not in page.inner_text("#alert")  # the sensor's own words stay below
        assert page.inner_text("#force") == "--"
        assert (
            page.is_hidden("#metrics .metric-row")
            or page.eval_on_selector(
                "#metrics .metric-row", "el => getComputedStyle(el).visibility"
            )
            == "hidden"
        )
        assert page.inner_text("#coaching") == "paused: no readings"
        page.wait_for_selector("#alert", state="hidden", timeout=15_000)
        page.wait_for_timeout(500)
        t_s, force_n = page.evaluate("window.pfsenseChart.data")
        gaps = [
            (t_s[i - 1], t_s[i + 1])
            for i in range(1, len(force_n) - 1)
            if force_n[i] is None and force_n[i - 1] is not None and force_n[i + 1] is not None
        ]
        assert any(after - before >= 2.5 for before, after in gaps), gaps  # not a line across
        assert page.evaluate("window.pfsenseChart.series[1].spanGaps") is False


def test_a_stall_during_a_routine_comes_first_sideways_too(tmp_path):
    from .test_browser_guided import START, inside

    viewport = {"width": 844, "height": 390}
    env = {"PFSENSE_HOME": str(tmp_path / "home")}
    stall = ("--fault", "stall_at_s=8", "--fault", "stall_s=20")
    with (
        served("--layout", "single", *stall, env=env) as (process, url),
        browser_page() as page,
    ):
        code = re.search(r"setup code (\d{6})", process.stdout.readline()).group(1)
        page.set_viewport_size(viewport)
        page.goto(url)
        page.wait_for_selector(BAND)
        page.evaluate(START, code)
        page.wait_for_selector("#routine-panel:not([hidden])")
        page.wait_for_selector("#alert:not([hidden])", timeout=15_000)
        assert page.locator("#alert").bounding_box()["y"] < 50
        for selector in ("#alert-title", "#routine-now", "#force"):
            assert inside(page, selector, viewport), selector
        trace_y = page.locator("#trace").bounding_box()["y"]
        assert page.locator("#routine-panel").bounding_box()["y"] < trace_y
