"""The first page in real headless Chromium: simulated force updates live."""

import socket
from contextlib import contextmanager

import pytest

from .browser import browser_page
from .server import served

pytestmark = pytest.mark.browser


def test_the_page_shows_simulated_force_updating(tmp_path):
    with served("--layout", "plate4") as (_process, url), browser_page() as page:
        page.goto(url)
        page.wait_for_function(
            "document.getElementById('state').textContent.startsWith('streaming')", timeout=10_000
        )
        readings = set()
        for _ in range(20):
            readings.add(page.inner_text("#force"))
            page.wait_for_timeout(100)
        assert "--" not in readings
        assert len(readings) >= 3, f"the force number did not move: {readings}"
        assert all(r.lstrip("-").isdigit() for r in readings)
        assert page.get_attribute("#force-panel", "class") in (
            "band-below",
            "band-in",
            "band-above",
        )
        # The chart holds every sample of the last 10 s (80 a second) and has drawn them.
        page.wait_for_function("window.pfsenseChart.data[0].length > 400", timeout=10_000)
        points = page.evaluate("window.pfsenseChart.data[0].length")
        assert points <= 10 * 80 + 10
        drawn = page.evaluate(
            "() => { const c = document.querySelector('#trace canvas');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let lit = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) lit++; return lit; }"
        )
        assert drawn > 1000, "the chart's canvas is empty"
        # The session's metrics arrive a few times a second: the technique is named once the
        # simulated foot has been on the ball for a few seconds.
        page.wait_for_function(
            "document.getElementById('technique').textContent !== '-'", timeout=15_000
        )
        assert page.inner_text("#technique") in ("rolling", "deep tissue")
        assert page.inner_text("#coaching")
        page.screenshot(path=str(tmp_path / "live.png"))


@contextmanager
def pressing_too_hard():
    """A page watching a simulated person press at 400 N, well above the 127-267 N default band,
    once the band has turned red."""
    script = "trigger_point:60 force=400"
    with (
        served("--layout", "single", "--script", script) as (_process, url),
        browser_page() as page,
    ):
        page.goto(url)
        page.wait_for_function(
            "document.getElementById('force-panel').className === 'band-above'", timeout=15_000
        )
        yield page


def test_the_band_turns_red_when_the_force_goes_over_target():
    with pressing_too_hard() as page:
        assert page.inner_text("#band-label") == "too hard: ease off"
        # Coaching is about the last half-minute: once the press-in is past, it says so too,
        # in words about the past that cannot contradict the panel's order.
        page.wait_for_function(
            "document.getElementById('coaching').textContent === 'too hard too often'",
            timeout=15_000,
        )
        assert page.inner_text("#band-icon") == "▲"  # the state by shape, not colour alone


def test_the_page_recovers_by_itself_after_the_server_restarts():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    streaming = "document.getElementById('state').textContent.startsWith('streaming')"
    with browser_page() as page:
        with served("--port", port) as (_process, url):
            page.goto(url)
            page.wait_for_function(streaming, timeout=10_000)
        page.wait_for_function(
            "document.getElementById('state').textContent.startsWith('disconnected')",
            timeout=10_000,
        )
        with served("--port", port):
            page.wait_for_function(streaming, timeout=15_000)
            first = page.inner_text("#force")
            page.wait_for_function(
                f"document.getElementById('force').textContent !== '{first}'", timeout=5_000
            )


def test_a_stalled_sensor_shows_on_the_page_and_the_stream_resumes_by_itself():
    stall = ("--fault", "stall_at_s=3", "--fault", "stall_s=4")
    state = "document.getElementById('state')"
    with served("--layout", "single", *stall) as (_process, url), browser_page() as page:
        page.goto(url)
        page.wait_for_function(f"{state}.textContent.startsWith('streaming')", timeout=10_000)
        page.wait_for_function(f"{state}.textContent.startsWith('stalled')", timeout=10_000)
        assert page.get_attribute("#state", "class") == "state-stalled"
        page.wait_for_function(f"{state}.textContent.startsWith('streaming')", timeout=10_000)


def test_coverage_shows_where_on_the_sole_the_work_went():
    # The demo routine starts by rolling the arch.
    with served("--layout", "plate4") as (_process, url), browser_page() as page:
        page.goto(url)
        arch = "document.querySelector('#zones li[data-zone=arch] b')"
        page.wait_for_function(f"parseInt({arch}.textContent) >= 3", timeout=15_000)
        lit = page.evaluate(
            "() => { const c = document.getElementById('foot');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let warm = 0;"
            " for (let i = 0; i < d.length; i += 4) if (d[i] > 100 && d[i + 2] < 60) warm++;"
            " return warm; }"
        )
        assert lit > 100, "the heat map shows no worked area"


def test_kilograms_sound_and_pace():
    with pressing_too_hard() as page:  # over the band: the sound has something to say
        page.wait_for_timeout(3000)  # past the press-in: a steady 400 N, give or take the wobble
        newtons = float(page.inner_text("#force"))
        page.click("#units")
        assert page.inner_text("#unit") == "kg"
        # The number changes with the next frame; kilograms show one decimal.
        page.wait_for_function("document.getElementById('force').textContent.includes('.')")
        kilograms = float(page.inner_text("#force"))
        assert kilograms == pytest.approx(newtons / 9.80665, rel=0.15)
        page.reload()  # the choice is remembered
        page.wait_for_function(
            "document.getElementById('force').textContent !== '--'", timeout=10_000
        )
        assert page.inner_text("#unit") == "kg"
        assert page.evaluate("window.pfsenseSound.state.alarms") == 0  # silent until switched on
        page.click("#sound")
        assert page.get_attribute("#sound", "aria-pressed") == "true"
        page.wait_for_function(
            "window.pfsenseSound.state.alarms >= 2", timeout=5_000
        )  # at once, then once a second while over
        assert page.evaluate("window.pfsenseSound.state.mode") == "above"
        # The band note and the chart's axis follow the units too.
        assert " kg" in page.inner_text("#band-note")
        page.wait_for_timeout(300)  # the next redraw
        y_labels = page.evaluate("window.pfsenseChart.axes[1]._values")
        assert y_labels, "the chart has no force axis"
        assert all(label.endswith(" kg") for label in y_labels), y_labels
        x_labels = page.evaluate("window.pfsenseChart.axes[0]._values")
        assert (x_labels[0], x_labels[-1]) == ("-10 s", "now")  # seconds before now
        pulses = page.evaluate(
            "() => new Promise(done => { const seen = [];"
            " const m = document.getElementById('metronome');"
            " const o = new MutationObserver(() => seen.push(m.textContent));"
            " o.observe(m, {childList: true, characterData: true, subtree: true});"
            " setTimeout(() => { o.disconnect(); done(seen); }, 3000); })"
        )
        # 33 a minute is a turn every 0.9 s, shown by the arrow's direction (not colour alone).
        assert 2 <= len(pulses) <= 5, pulses
        assert set(pulses) == {"←", "→"}, pulses


def test_tare_zeroes_the_reading_and_a_session_is_saved(tmp_path):
    # A steady 100 N dead weight: the page reads ~100 N until the tare makes it the new zero.
    home = tmp_path / "home"
    script = ("--script", "weight:600 force=100")
    with (
        served("--layout", "single", *script, env={"PFSENSE_HOME": str(home)}) as (_p, url),
        browser_page() as page,
    ):
        page.goto(url)
        page.wait_for_function(
            "Math.abs(parseInt(document.getElementById('force').textContent) - 100) <= 2",
            timeout=10_000,
        )
        page.click("#tare")
        page.wait_for_function(
            "document.getElementById('control-message').textContent === 'zeroed'", timeout=10_000
        )
        page.wait_for_timeout(300)
        readings = []
        for _ in range(5):
            readings.append(int(page.inner_text("#force")))
            page.wait_for_timeout(100)
        assert all(abs(r) <= 1 for r in readings), readings
        # Start, then stop: the page says what was saved; the file is in the data directory.
        page.click("#session")
        page.wait_for_function(
            "document.getElementById('session').textContent.startsWith('stop session 0:0')",
            timeout=5_000,
        )
        page.wait_for_timeout(2500)
        page.click("#session")
        page.wait_for_function(
            "document.getElementById('last-session').textContent.includes('saved as')",
            timeout=5_000,
        )
        assert page.inner_text("#session") == "start session"
        saved = page.inner_text("#last-session").split("saved as ")[1].rstrip(")")
        assert (home / "recordings" / saved).stat().st_size > 0
        # A single cell is told which zone is being worked.
        page.click("#zones li[data-zone=heel] button")
        page.wait_for_function(
            "document.querySelector('#zones li[data-zone=heel]').classList.contains('working')",
            timeout=5_000,
        )
