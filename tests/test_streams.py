"""The stream server: live streams on one thread, written to straight from the publisher, off
waitress's worker threads; a client that never reads is dropped after a bounded backlog; caps on
streams per address and in all. Real sockets on loopback throughout."""

import json
import socket
import urllib.request

import pytest

from pfsense.live.hub import Hub
from pfsense.web.streams import RESPONSE_HEAD, StreamLimits, StreamServer

from .server import served, wait_for

OPENED: list[socket.socket] = []


@pytest.fixture(autouse=True)
def close_client_sockets():
    yield
    while OPENED:
        OPENED.pop().close()


@pytest.fixture
def listener():
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock
    sock.close()


def connect(listener, streams: StreamServer, rcvbuf: int | None = None) -> socket.socket:
    """A client socket, its server end handed to `streams` as waitress would."""
    client = socket.socket()
    OPENED.append(client)
    if rcvbuf:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    client.connect(listener.getsockname())
    server_end, address = listener.accept()
    if rcvbuf:  # small buffers both ends, so a few hundred kB fill them
        server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, rcvbuf)
    server_end.setblocking(False)
    streams.accept(server_end, address[0])
    return client


def read_until(client: socket.socket, marker: bytes, timeout_s: float = 5.0) -> bytes:
    client.settimeout(timeout_s)
    data = b""
    while marker not in data:
        chunk = client.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def events_in(data: bytes) -> list[dict]:
    return [json.loads(line[6:]) for line in data.split(b"\n") if line.startswith(b"data: ")]


@pytest.fixture
def streams():
    hub = Hub()
    server = StreamServer(hub, lambda: {"type": "status", "clients": hub.client_count})
    server.start()
    yield server
    server.close()


def test_a_client_gets_the_head_a_status_then_every_event_in_order(listener, streams):
    hub = streams.hub
    client = connect(listener, streams)
    head = read_until(client, b'"type":"status"')
    assert head.startswith(RESPONSE_HEAD + b"retry: 1000\n")
    wait_for(lambda: hub.client_count == 1)
    for i in range(300):
        hub.publish({"type": "frame", "i": i})
    hub.publish({"type": "end"})
    body = read_until(client, b'"type":"end"')
    frames = [event["i"] for event in events_in(body) if event["type"] == "frame"]
    assert frames == list(range(300))
    client.close()


def test_a_closed_client_is_dropped_and_the_hub_stops_encoding(listener, streams):
    hub = streams.hub
    clients = [connect(listener, streams) for _ in range(3)]
    wait_for(lambda: hub.client_count == 3)
    for client in clients:
        client.close()
    wait_for(lambda: hub.client_count == 0)
    assert hub.publish({"type": "frame"}) is None  # nobody left: nothing is even encoded


def test_a_client_that_never_reads_is_dropped_and_the_others_get_everything(listener):
    hub = Hub()
    streams = StreamServer(hub, lambda: {"type": "status"}, StreamLimits(backlog_events=50))
    streams.start()
    try:
        stuck = connect(listener, streams, rcvbuf=4096)  # a tab that never reads
        reader = connect(listener, streams)
        wait_for(lambda: hub.client_count == 2)
        received = b""
        reader.settimeout(5.0)
        padding = "x" * 500
        for i in range(2000):  # about 1 MB: far more than the stuck socket's buffers hold
            hub.publish({"type": "frame", "i": i, "pad": padding})
            if i % 50 == 0:
                received += reader.recv(1 << 20)
        wait_for(lambda: hub.client_count == 1)  # the stuck one has been let go
        hub.publish({"type": "end"})
        received += read_until(reader, b'"type":"end"')
        frames = [event["i"] for event in events_in(received) if event["type"] == "frame"]
        assert frames == list(range(2000))
        stuck.settimeout(5.0)
        tail = b""
        while chunk := stuck.recv(65536):  # what it had been sent, then the close
            tail += chunk
        assert b'"type":"end"' not in tail
    finally:
        streams.close()


def test_streams_past_the_caps_get_a_503_that_says_why(listener):
    hub = Hub()
    streams = StreamServer(hub, lambda: {"type": "status"}, StreamLimits(total=3, per_address=2))
    streams.start()
    try:
        open_ = [connect(listener, streams) for _ in range(2)]
        wait_for(lambda: hub.client_count == 2)
        third = connect(listener, streams)
        answer = read_until(third, b"reload\n").decode()
        assert answer.startswith("HTTP/1.1 503 Service Unavailable")
        assert "too many live streams from 127.0.0.1: 2 are open" in answer
        assert hub.client_count == 2
        for client in open_:
            assert b'"type":"status"' in read_until(client, b'"type":"status"')
    finally:
        streams.close()


def test_close_ends_every_stream(listener):
    hub = Hub()
    streams = StreamServer(hub, lambda: {"type": "status"})
    streams.start()
    client = connect(listener, streams)
    read_until(client, b'"type":"status"')
    streams.close()
    client.settimeout(5.0)
    assert client.recv(65536) == b""  # closed by the server


def open_stream(url: str) -> socket.socket:
    host, port = url.split("//")[1].strip("/").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    OPENED.append(sock)
    sock.sendall(f"GET /api/stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return sock


def test_serve_answers_pages_with_more_streams_open_than_it_has_threads():
    # Each stream served as a WSGI response would hold one of the two threads for good, and
    # this status request would never be answered.
    with served("--threads", "2") as (_process, url):
        opened = [open_stream(url) for _ in range(6)]
        for sock in opened:
            assert b'"type":"frame"' in read_until(sock, b'"type":"frame"')
        assert status_of(url)["clients"] == 6
        for sock in opened:
            sock.close()
        wait_for(lambda: status_of(url)["clients"] == 0)


def status_of(url: str) -> dict:
    with urllib.request.urlopen(url + "api/status", timeout=5) as response:
        return json.load(response)


def test_past_the_total_cap_a_stream_is_refused_whoever_asks(listener):
    hub = Hub()
    streams = StreamServer(hub, lambda: {"type": "status"}, StreamLimits(total=2, per_address=8))
    streams.start()
    try:
        for _ in range(2):
            connect(listener, streams)
        wait_for(lambda: hub.client_count == 2)
        answer = read_until(connect(listener, streams), b"reload\n").decode()
        assert answer.startswith("HTTP/1.1 503 Service Unavailable")
        assert "too many live streams: 2 are open, the most pfsense serves" in answer
    finally:
        streams.close()


def test_a_failure_opening_one_stream_leaves_the_others_streaming(listener):
    hub = Hub()
    failures = iter([True, False])

    def status():
        if next(failures, False):
            raise ValueError("a bug in the status")
        return {"type": "status"}

    streams = StreamServer(hub, status)
    streams.start()
    try:
        broken = connect(listener, streams)
        broken.settimeout(5.0)
        assert broken.recv(65536) == b""  # closed, with nothing sent
        working = connect(listener, streams)
        read_until(working, b'"type":"status"')
        wait_for(lambda: hub.client_count == 1)
        hub.publish({"type": "frame", "i": 1})
        assert b'"i":1' in read_until(working, b'"i":1')
    finally:
        streams.close()


def test_serve_survives_two_stream_requests_sent_at_once_and_a_pipelined_one():
    with served("--threads", "2") as (_process, url):
        host, port = url.split("//")[1].strip("/").split(":")
        request = f"GET /api/stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        double = socket.create_connection((host, int(port)), timeout=5)
        OPENED.append(double)
        double.sendall(request * 2)  # handed over once; the second is ignored
        assert b'"type":"frame"' in read_until(double, b'"type":"frame"')
        for _ in range(3):  # a stream behind another request: refused, holding no thread
            behind = socket.create_connection((host, int(port)), timeout=5)
            OPENED.append(behind)
            behind.sendall(f"GET /api/status HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() + request)
            answer = read_until(behind, b"connection of its own")
            assert b"\nHTTP/1.1 503 SERVICE UNAVAILABLE\r\n" in answer  # after /api/status's answer
        head = socket.create_connection((host, int(port)), timeout=5)
        OPENED.append(head)
        head.sendall(f"HEAD /api/stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        read_until(head, b"\r\n\r\n")
        other = open_stream(url)
        assert b'"type":"frame"' in read_until(other, b'"type":"frame"')
        assert status_of(url)["clients"] == 2  # the double request's one and this


def test_a_head_request_for_the_stream_leaves_nothing_subscribed():
    from pfsense.live.service import LiveService
    from pfsense.sensors import SensorOptions, open_sensor
    from pfsense.web import create_app

    live = LiveService(open_sensor("sim", SensorOptions(layout="single")))
    app = create_app(live, {"TESTING": True})
    for _ in range(5):
        response = app.test_client().head("/api/stream")
        response.close()
    assert live.hub.client_count == 0
