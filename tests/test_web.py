"""The Flask app through its test client, the frame contract, and the live service."""

import itertools
import json
import time

import numpy as np
import pytest

from pfsense.calibration.model import Calibration
from pfsense.dsp.pipeline import Processed, Processor
from pfsense.live.frames import frame_event, frame_sse
from pfsense.live.hub import Event
from pfsense.live.service import LiveService
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.batch import Batch
from pfsense.sensors.flags import SampleFlag
from pfsense.sensors.layout import make_layout
from pfsense.sim import FaultKnobs
from pfsense.web import create_app


def start_live(
    layout: str = "plate4", faults: FaultKnobs | None = None, sensor=None
) -> LiveService:
    sensor = sensor or open_sensor(
        "sim", SensorOptions(layout=layout, faults=faults or FaultKnobs())
    )
    live = LiveService(sensor)
    live.start()
    return live


@pytest.fixture
def live():
    service = start_live()
    yield service
    service.stop()


@pytest.fixture
def client(live):
    return create_app(live, {"TESTING": True}).test_client()


def sse_events(response, count: int) -> list[dict]:
    """The first `count` data events of a stream response."""
    events, buffer = [], ""
    for chunk in response.response:
        buffer += chunk.decode()
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            events += [
                json.loads(line[6:]) for line in block.splitlines() if line.startswith("data: ")
            ]
        if len(events) >= count:
            return events[:count]
    return events


def test_the_page_shows_force_and_says_what_pfsense_is_not(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="force"' in html
    assert "live.js" in html
    assert "does not diagnose or treat" in html
    # Nothing comes from the internet: the Pi is often offline.
    assert "http://" not in html
    assert "https://" not in html
    with client.get("/static/vendor/uplot-1.6.32/uPlot.iife.min.js") as chart:
        assert chart.status_code == 200
    with client.get("/static/live.js") as script:
        assert script.status_code == 200
        assert b"EventSource" in script.get_data()


def test_status_is_json_about_the_sensor(client):
    for _ in range(50):
        status = client.get("/api/status").get_json()
        if status["state"] == "streaming":
            break
        time.sleep(0.05)
    assert status["type"] == "status"
    assert status["state"] == "streaming"
    assert status["sensor"]["layout"] == "plate4"
    assert status["sensor"]["rate_hz"] == 80
    assert status["stats"]["samples"] > 0


def test_stream_starts_with_a_snapshot_then_carries_every_sample(client):
    response = client.get("/api/stream", buffered=False)
    assert response.mimetype == "text/event-stream"
    events = sse_events(response, 40)
    response.close()
    assert events[0]["type"] == "status"
    frames = [e for e in events if e["type"] == "frame"]
    assert len(frames) >= 30
    for frame in frames:
        n = len(frame["t_s"])
        assert (
            len(frame["force_n"])
            == len(frame["x_mm"])
            == len(frame["y_mm"])
            == len(frame["seq"])
            == n
        )
        assert frame["acquired_at"] > 1.6e9
    seq = np.concatenate([f["seq"] for f in frames])
    assert np.all(np.diff(seq) == 1), "no sample missing or repeated between frames"
    t_s = np.concatenate([f["t_s"] for f in frames])
    np.testing.assert_allclose(np.diff(t_s), 1 / 80, atol=1e-4)


def test_unknown_routes_are_json_under_api_and_html_elsewhere(client):
    api = client.get("/api/nothing-here")
    assert api.status_code == 404
    assert api.get_json()["error"] == "Not Found"
    page = client.get("/nothing-here")
    assert page.status_code == 404
    assert "text/html" in page.content_type
    assert client.post("/api/status").status_code == 405


def processed_rows(layout, calibration, counts, flags):
    n = len(counts)
    batch = Batch(
        np.arange(n) / 80, 1e9 + np.arange(n) / 80, np.arange(7, 7 + n, dtype=np.uint16),
        np.asarray(counts, np.int32), np.asarray(flags, np.uint8),
    )  # fmt: skip
    processor = Processor(layout, calibration, 80)
    return Processed.concat([processor.process(batch), processor.finish()])


def test_frame_event_carries_calibrated_force_and_position():
    layout = make_layout("plate4", (300.0, 400.0))
    calibration = Calibration((100.0,) * 4, (10.0,) * 4)
    counts = [[350] * 4] * 3 + [[100, 600, 100, 600]] * 6
    flags = np.zeros((9, 4))
    flags[6, 1] = SampleFlag.SATURATED
    frame = frame_event(processed_rows(layout, calibration, counts, flags), layout)
    assert frame["type"] == "frame"
    assert frame["acquired_at"] == round(1e9 + 8 / 80, 4)
    assert frame["seq"] == list(range(7, 16))
    # 25 N a corner is 100 N at the centre; then all of it on the right-hand edge; the
    # saturated sample has no trustworthy total.
    assert frame["force_n"] == [100.0] * 6 + [None] + [100.0] * 2
    assert frame["x_mm"] == [0.0] * 3 + [150.0] * 3 + [None] + [150.0] * 2
    assert frame["y_mm"] == [0.0] * 6 + [None] + [0.0] * 2
    json.dumps(frame, allow_nan=False)


@pytest.mark.parametrize("layout_name", ["plate4", "single"])
def test_frames_written_out_directly_are_the_bytes_the_json_encoder_gives(layout_name):
    # Every frame of a simulated run with glitches (null forces), in batches of 1 to 7 rows.
    layout = make_layout(layout_name)
    faults = FaultKnobs(spike_rate=0.05, saturation_rate=0.02)
    options = SensorOptions(layout=layout_name, realtime=False, faults=faults)
    with open_sensor("sim", options) as sensor:
        processor = Processor(sensor.layout, sensor.nominal_calibration, sensor.rate_hz)
        rows = [processor.process(sensor.read()) for _ in range(12)]
    rows = Processed.concat(rows)
    frames, start = [], 0
    for size in itertools.cycle(range(1, 8)):
        if start >= len(rows):
            break
        frames.append(frame_event(rows.select(slice(start, start + size)), layout))
        start += size
    odd = {"type": "frame", "acquired_at": 1.7e9, "seq": [0, 65535], "t_s": [1e-05, 1e16],
           "force_n": [-0.0, None], "x_mm": [None, -149.9], "y_mm": [0.1, 2e-07]}  # fmt: skip
    for frame in [*frames, odd]:
        assert frame_sse(frame) == Event.of(frame).sse
    assert any(None in frame["force_n"] for frame in frames), "no rejected sample was covered"


def test_single_cell_frames_have_no_position():
    layout = make_layout("single")
    rows = processed_rows(layout, Calibration((0.0,), (100.0,)), [[2500]] * 3, np.zeros((3, 1)))
    frame = frame_event(rows, layout)
    assert frame["force_n"] == [25.0, 25.0, 25.0]
    assert "x_mm" not in frame


def test_metrics_events_follow_the_frames(client):
    response = client.get("/api/stream", buffered=False)
    events = sse_events(response, 200)
    response.close()
    metrics = [e for e in events if e["type"] == "metrics"]
    assert metrics, "no metrics event in the first 200 events"
    latest = metrics[-1]
    for key in (
        "force_n",
        "cadence_per_min",
        "stroke_direction",
        "holds",
        "coverage",
        "technique",
        "score",
        "coaching",
    ):
        assert key in latest


def test_a_stalled_sensor_shows_as_stalled_and_streams_again_when_it_is_back():
    live = start_live("single", FaultKnobs(stall_at_s=0.3, stall_s=1.5))
    try:
        states = ["starting"]
        deadline = time.monotonic() + 6.0
        while time.monotonic() < deadline and states[-3:] != ["streaming", "stalled", "streaming"]:
            state = live.status()["state"]
            if state != states[-1]:
                states.append(state)
            time.sleep(0.02)
        assert states[-3:] == ["streaming", "stalled", "streaming"], states
    finally:
        live.stop()


def test_the_end_of_a_replay_is_reported(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("t,force\n" + "".join(f"{i / 80},{i}\n" for i in range(16)))
    live = start_live(sensor=open_sensor(f"replay:{path}"))
    try:
        for _ in range(100):
            if live.status()["state"] == "ended":
                break
            time.sleep(0.02)
        assert live.status()["state"] == "ended"
        assert live.status()["stats"]["samples"] == 16
    finally:
        live.stop()


def test_a_slow_client_is_told_what_it_lost_and_resynchronised():
    from pfsense.live.hub import Hub

    live = LiveService(
        open_sensor("sim", SensorOptions(layout="plate4")), hub=Hub(max_events_per_client=5)
    )
    live.start()
    try:
        client = create_app(live, {"TESTING": True}).test_client()
        response = client.get("/api/stream", buffered=False)
        chunks = iter(response.response)
        next(chunks)  # the opening snapshot
        time.sleep(0.6)  # ~48 frames published meanwhile, into a buffer of 5
        events = []
        while not any(e["type"] == "resync" for e in events):
            events += [
                json.loads(line[6:])
                for line in next(chunks).decode().splitlines()
                if line.startswith("data: ")
            ]
        response.close()
    finally:
        live.stop()
    kinds = [e["type"] for e in events]
    resync = kinds.index("resync")
    assert events[resync]["lost_events"] >= 30
    assert kinds[resync + 1] == "status"
    frames = [e for e in events[resync + 2 :] if e["type"] == "frame"]
    assert frames, "the newest frames follow the snapshot"


def test_a_client_that_stops_reading_holds_up_neither_acquisition_nor_other_clients():
    from pfsense.live.hub import Hub

    live = LiveService(
        open_sensor("sim", SensorOptions(layout="plate4")), hub=Hub(max_events_per_client=20)
    )
    live.start()
    try:
        client = create_app(live, {"TESTING": True}).test_client()
        stuck = client.get("/api/stream", buffered=False)  # subscribed, never read
        started = time.monotonic()
        events = sse_events(client.get("/api/stream", buffered=False), 160)
        elapsed_s = time.monotonic() - started
        stuck.close()
    finally:
        live.stop()
    seq = np.concatenate([e["seq"] for e in events if e["type"] == "frame"])
    assert len(seq) >= 140
    assert np.all(np.diff(seq.astype(int)) % 65536 == 1), "the reading client missed nothing"
    assert not any(e["type"] == "resync" for e in events)
    # Every sample acquired while the client read reached it: acquisition kept real time.
    assert len(seq) >= 0.8 * 80 * elapsed_s, "acquisition kept real time"


def test_the_status_snapshot_does_not_change_under_a_reader():
    """What a web thread reads is the snapshot the loop made: later samples and metrics come in
    a new snapshot, never into the dicts of the one being read."""
    from pfsense.sim import FaultKnobs

    glitchy = SensorOptions(layout="plate4", faults=FaultKnobs(spike_rate=0.05))  # counts move
    live = LiveService(open_sensor("sim", glitchy))
    live.start()
    try:
        deadline = time.monotonic() + 5.0
        while live.snapshot.metrics is None and time.monotonic() < deadline:
            time.sleep(0.05)
        snapshot = live.snapshot
        before = json.dumps(snapshot.to_dict(0), sort_keys=True)
        while live.snapshot is snapshot and time.monotonic() < deadline + 5.0:
            time.sleep(0.05)
        assert live.snapshot is not snapshot, "the loop makes new snapshots"
        time.sleep(0.6)  # another metrics event: the cleaner and the trackers have moved on
    finally:
        live.stop()
    assert json.dumps(snapshot.to_dict(0), sort_keys=True) == before


def test_with_nobody_watching_the_loop_reads_less_often_and_a_viewer_brings_it_back():
    """No stream client: the sensor is read about ten times a second, in larger batches; a
    subscriber wakes the loop to read every sample as it comes."""
    sensor = open_sensor("sim", SensorOptions(layout="plate4"))
    reads = []
    read = sensor.read

    def counted(timeout_s):
        batch = read(timeout_s)
        reads.append(len(batch) if batch is not None else 0)
        return batch

    sensor.read = counted
    live = LiveService(sensor)
    live.start()
    try:
        time.sleep(1.5)
        idle = list(reads)
        subscription = live.hub.subscribe()
        time.sleep(1.5)
        watched = reads[len(idle) :]
        live.hub.unsubscribe(subscription)
    finally:
        live.stop()
    assert len(idle) <= 20  # ~15 reads in 1.5 s, not ~120
    assert sum(idle) / len(idle) >= 4  # so each read takes several samples
    assert len(watched) >= 3 * len(idle)


def test_the_pages_have_a_favicon_served_from_the_device(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in page
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200
        assert icon.get_data(as_text=True).startswith("<svg")
