"""Connections that never read, never speak or speak one byte at a time (issue 12, item 1),
against a real `pfsense serve` on loopback. The attackers come from other loopback addresses
(127.0.0.2 and up), as other devices on the Wi-Fi would; the person's own page from 127.0.0.1."""

import contextlib
import json
import socket
import threading
import time
import urllib.request

from pfsense.web import serving

from .server import served


def connect(url: str, source: str) -> socket.socket:
    host, port = url.split("//")[1].rstrip("/").split(":")
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(5)
    sock.connect((host, int(port)))
    return sock


def answered_s(url: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=5) as response:
        response.read()
    return time.monotonic() - started


def samples(url: str) -> int:
    with urllib.request.urlopen(url + "api/status", timeout=5) as response:
        return json.load(response)["stats"]["samples"]


def test_pages_are_answered_under_stuck_streams_idle_and_slow_connections(tmp_path):
    with served("--sensor", "sim", "--layout", "plate4", env={"PFSENSE_HOME": str(tmp_path)}) as (
        _process,
        url,
    ):
        held = []
        for i in range(40):  # streams that never read: 8 from each of five addresses
            sock = connect(url, f"127.0.0.{2 + i // 8}")
            sock.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
            held.append(sock)
        for i in range(100):  # connections that say nothing: 25 from each of four addresses
            held.append(connect(url, f"127.0.0.{7 + i // 25}"))
        slow = [connect(url, "127.0.0.11") for _ in range(20)]
        stop = threading.Event()

        def trickle():  # a header byte a second, never the end of the headers
            for sock in slow:
                sock.sendall(b"GET / HTTP/1.1\r\n")
            while not stop.wait(1.0):
                for sock in slow:
                    with contextlib.suppress(OSError):
                        sock.sendall(b"X")

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        try:
            time.sleep(1.0)
            first, started = samples(url), time.monotonic()
            times_s = []
            for _ in range(10):
                times_s += [answered_s(url), answered_s(url + "api/status")]
                time.sleep(0.3)
            rate = (samples(url) - first) / (time.monotonic() - started)
            assert max(times_s) < 1.0, times_s
            assert rate >= 76.0  # acquisition keeps its 80 samples/s
            # The slow senders are cut off once their headers are overdue.
            time.sleep(serving.HEADERS_S + 2.5)
            closed = 0
            for sock in slow:
                try:
                    closed += sock.recv(1) == b""
                except OSError:
                    closed += 1
            assert closed == len(slow)
        finally:
            stop.set()
            for sock in held + slow:
                sock.close()


def test_one_address_cannot_take_every_connection(tmp_path):
    with served("--sensor", "sim", env={"PFSENSE_HOME": str(tmp_path)}) as (_process, url):
        held = [connect(url, "127.0.0.20") for _ in range(serving.CONNECTIONS_PER_ADDRESS)]
        try:
            time.sleep(0.5)
            extra = connect(url, "127.0.0.20")
            extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = extra.recv(4096)
            assert reply.startswith(b"HTTP/1.1 503")
            assert b"too many connections from your address" in reply
            extra.close()
            assert answered_s(url) < 1.0  # anyone else is still served
        finally:
            for sock in held:
                sock.close()


def test_a_large_body_is_refused_at_its_headers_and_a_slow_one_cut_off(tmp_path):
    with served("--sensor", "sim", env={"PFSENSE_HOME": str(tmp_path)}) as (_process, url):
        big = connect(url, "127.0.0.30")
        big.sendall(b"POST /api/zone HTTP/1.1\r\nHost: x\r\nContent-Length: 900000000\r\n\r\n")
        assert big.recv(4096).startswith(b"HTTP/1.1 413")
        big.close()
        slow = connect(url, "127.0.0.31")  # 1 kB promised, a byte a second: 10 + 0.1 s allowed
        slow.sendall(b"POST /api/zone HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        started = time.monotonic()
        with contextlib.suppress(OSError):
            while time.monotonic() - started < serving.HEADERS_S + 4:
                slow.sendall(b"x")
                time.sleep(1.0)
        slow.settimeout(3)
        try:
            closed = slow.recv(1) == b""
        except OSError:
            closed = True
        assert closed
        slow.close()


def test_a_flood_of_kept_alive_connections_cannot_crowd_out_the_page(tmp_path):
    with served("--sensor", "sim", env={"PFSENSE_HOME": str(tmp_path)}) as (_process, url):
        flood = []
        for i in range(serving.CONNECTIONS + 10):  # under the cap of each address
            sock = connect(url, f"127.0.1.{1 + i // 30}")
            sock.sendall(b"GET /api/pairing HTTP/1.1\r\nHost: x\r\n\r\n")
            flood.append(sock)
        try:
            time.sleep(1.0)
            assert answered_s(url + "api/status") < 1.0  # an idle one made room
        finally:
            for sock in flood:
                sock.close()
