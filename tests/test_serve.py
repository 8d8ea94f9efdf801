"""`pfsense serve` for real: waitress on loopback, Server-Sent Events over HTTP."""

import json
import signal
import time
import urllib.request

import numpy as np

from .server import served


def read_frames(url: str, seconds: float) -> list[dict]:
    events = []
    with urllib.request.urlopen(url + "api/stream", timeout=5) as stream:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            line = stream.readline().decode()
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    return events


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def listening_addresses(port: int) -> set[str]:
    """Local addresses listening on `port`, from the kernel's socket table (no traffic sent)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as file:
                rows = file.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, port_hex = local.split(":")
            if int(port_hex, 16) == port and state == "0A":  # LISTEN
                found.add(address)
    return found


def test_serve_streams_every_sample_over_http_and_binds_loopback_only():
    with served("--layout", "plate4") as (_process, url):
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1].strip("/"))
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 and nothing else
        events = read_frames(url, 1.5)
        status = json.loads(fetch(url + "api/status"))
        page = fetch(url)
    assert status["sensor"]["layout"] == "plate4"
    assert 'id="force"' in page
    frames = [e for e in events if e["type"] == "frame"]
    seq = np.concatenate([f["seq"] for f in frames])
    assert len(seq) >= 80  # 1.5 s at 80 samples/s, less connection set-up
    assert np.all(np.diff(seq) == 1)
    assert all({"acquired_at", "t_s", "force_n", "x_mm", "y_mm"} <= set(f) for f in frames)


def test_serve_stops_cleanly_on_sigterm_even_with_a_stream_open():
    with (
        served() as (process, url),
        urllib.request.urlopen(url + "api/stream", timeout=5) as stream,
    ):
        stream.readline()
        process.send_signal(signal.SIGTERM)
        # Waitress alone would wait 5 s for the open stream's worker thread; pfsense ends it first.
        assert process.wait(4) == 0
