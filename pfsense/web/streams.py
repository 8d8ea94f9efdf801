"""Live streams (`GET /api/stream`) served from one thread, off the web server's worker threads.

`pfsense serve` hands each stream's connection here as soon as waitress has read the request
(pfsense.web.serving). From then on the acquisition thread writes every event, encoded once
(pfsense.live.hub), straight into each client's non-blocking socket: a viewer costs one send()
per event and no thread wake-up, which is what keeps five viewers cheap on a Pi. This module's
own thread wakes only to admit a client, to notice one leave, to send a heartbeat, and to flush
the backlog of a client whose socket buffer is full. A client whose backlog passes
`StreamLimits.backlog_events` is dropped: its browser reconnects (the `retry:` below) and starts
again from a fresh status, while a tab that never reads holds a bounded backlog, never a thread.

The same events, in the same order, as the WSGI route in pfsense.web.api (used by Flask's test
client and by any other server): a status snapshot, then every frame, metrics and status event.
"""

import contextlib
import logging
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pfsense.live.hub import Event, Hub

log = logging.getLogger(__name__)

HEARTBEAT_S = 10.0  # a comment line now and then lets both ends notice a dead connection
HEARTBEAT = b": heartbeat\n\n"
RECONNECT_MS = 1000  # the browser's EventSource waits this long before reconnecting
MAX_CLIENT_BYTES = 65_536  # a stream client has nothing to say; one that talks this much goes
TICK_S = 1.0  # how often the thread looks for heartbeats due

RESPONSE_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream; charset=utf-8\r\n"
    b"Cache-Control: no-cache\r\n"
    b"X-Accel-Buffering: no\r\n"
    b"X-Content-Type-Options: nosniff\r\n"
    b"Connection: close\r\n"
    b"Server: pfsense\r\n\r\n"
)


@dataclass(frozen=True)
class StreamLimits:
    """How many streams may be open, in all and from one address, and how far one may lag."""

    total: int = 32  # a clinic's few phones and a household's tabs, with room to spare
    per_address: int = 8
    backlog_events: int = 400  # about 5 s of frames at 80 frames/s, beyond the socket's buffer


class StreamClient:
    """One stream's socket and the bytes it has not yet taken."""

    def __init__(self, sock: socket.socket, address: str, backlog_events: int) -> None:
        self.sock = sock
        self.address = address
        self.closed = False  # set by any thread; the stream thread then drops the client
        self.last_sent_s = time.monotonic()
        self.received_bytes = 0
        self._backlog: deque[memoryview] = deque()
        self._backlog_events = backlog_events
        self.lock = threading.Lock()

    def send(self, data: bytes, now_s: float) -> bool:
        """Send now, or queue behind what is waiting. True when the stream thread must attend:
        a backlog has begun (watch for the socket to drain) or the client is finished."""
        with self.lock:
            return self.send_locked(data, now_s)

    def send_locked(self, data: bytes, now_s: float) -> bool:
        """`send`, for a caller that holds `lock` already; `now_s` is the monotonic clock."""
        if self.closed:
            return False
        if self._backlog:
            if len(self._backlog) >= self._backlog_events:
                self.closed = True  # too far behind: reconnecting serves it better
                return True
            self._backlog.append(memoryview(data))
            return False
        sent = self._send(data)
        if self.closed:
            return True
        self.last_sent_s = now_s
        if sent < len(data):
            self._backlog.append(memoryview(data)[sent:])
            return True
        return False

    def flush(self) -> None:
        """Send as much of the backlog as the socket takes now."""
        with self.lock:
            while self._backlog and not self.closed:
                head = self._backlog[0]
                sent = self._send(head)
                if sent < len(head):
                    if not self.closed:
                        self._backlog[0] = head[sent:]
                    return
                self._backlog.popleft()

    @property
    def lagging(self) -> bool:
        return bool(self._backlog)

    def close(self) -> None:
        with self.lock:  # never while another thread is inside send() on this socket
            self.closed = True
            self._backlog.clear()
            self.sock.close()

    def _send(self, data: bytes | memoryview) -> int:
        try:
            return self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError:  # reset, broken pipe: the client has gone
            self.closed = True
            return 0


class StreamServer:
    """Every open stream: a hub sink (the acquisition thread calls `put`) and a thread."""

    def __init__(
        self, hub: Hub, status: Callable[[], dict], limits: StreamLimits | None = None
    ) -> None:
        self.hub = hub
        self.status = status
        self.limits = limits or StreamLimits()
        self._clients: tuple[StreamClient, ...] = ()  # replaced whole: `put` reads no lock
        self._arrivals: deque[tuple[socket.socket, str]] = deque()
        self._arrivals_lock = threading.Lock()  # against accept() while the thread ends
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pfsense-streams", daemon=True)

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def start(self) -> None:
        self._thread.start()

    def accept(self, sock: socket.socket, address: str) -> None:
        """A connection whose request was `GET /api/stream` (from the web server's thread)."""
        with self._arrivals_lock:
            if self._stopping.is_set():
                sock.close()
                return
            self._arrivals.append((sock, address))
        self._wake()

    def put(self, event: Event) -> None:
        """The hub's delivery, on the acquisition thread: the same bytes to every client."""
        attend, now_s = False, time.monotonic()  # one clock reading for every client
        for client in self._clients:
            attend |= client.send(event.sse, now_s)
        if attend:
            self._wake()

    def close(self) -> None:
        """Close every stream and stop the thread (the hub calls this when acquisition ends)."""
        self._stopping.set()
        self._wake()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)

    # The stream thread.

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                for key, mask in self._selector.select(TICK_S):
                    if key.data is None:
                        self._drain_wake()
                        continue
                    if mask & selectors.EVENT_READ:
                        self._read(key.data)
                    if mask & selectors.EVENT_WRITE:
                        key.data.flush()
                self._admit_arrivals()
                self._tend()
        except Exception:  # a bug here must not leave sockets open and the page silent
            log.exception("the stream thread stopped")
        finally:
            with self._arrivals_lock:  # from now on accept() closes what it is given
                self._stopping.set()
                arrivals, self._arrivals = self._arrivals, deque()
            for sock, _address in arrivals:
                sock.close()
            for client in self._clients:
                self._drop(client)
            self._selector.close()
            self._wake_r.close()
            self._wake_w.close()

    def _admit_arrivals(self) -> None:
        while True:
            with self._arrivals_lock:
                if not self._arrivals:
                    return
                sock, address = self._arrivals.popleft()
            try:
                self._admit(sock, address)
            except Exception:  # a bug for this one client must not end everyone's stream
                log.exception("a stream from %s could not be opened", address)
                sock.close()

    def _admit(self, sock: socket.socket, address: str) -> None:
        if any(client.sock is sock for client in self._clients):
            return  # handed over twice: it is served already
        refusal = self._refusal(address)
        if refusal:
            _refuse(sock, refusal)
            return
        client = StreamClient(sock, address, self.limits.backlog_events)
        # Held while it joins, so the status goes first and no event published meanwhile is
        # lost: the acquisition thread's first send to it waits for the opening to be written.
        with client.lock:
            self._selector.register(sock, selectors.EVENT_READ, client)
            was_empty = not self._clients
            self._clients = (*self._clients, client)
            if was_empty:
                self.hub.add(self)
            try:
                status = Event.of(self.status()).sse
            except Exception:  # the stream thread's tending drops it; the others carry on
                log.exception("no status to open a stream from %s with", address)
                client.closed = True
                return
            client.send_locked(
                RESPONSE_HEAD + f"retry: {RECONNECT_MS}\n".encode() + status, time.monotonic()
            )

    def _refusal(self, address: str) -> str:
        if len(self._clients) >= self.limits.total:
            return (
                f"too many live streams: {self.limits.total} are open, the most pfsense serves; "
                "close a pfsense page on another device or tab, then reload"
            )
        if sum(client.address == address for client in self._clients) >= self.limits.per_address:
            return (
                f"too many live streams from {address}: {self.limits.per_address} are open, "
                "the most from one device; close another pfsense tab, then reload"
            )
        return ""

    def _read(self, client: StreamClient) -> None:
        """A stream client says nothing; readable means it has gone (or is misbehaving)."""
        try:
            data = client.sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        client.received_bytes += len(data)
        if not data or client.received_bytes > MAX_CLIENT_BYTES:
            client.closed = True

    def _tend(self) -> None:
        """Drop finished clients, watch lagging ones for writability, send heartbeats due."""
        now_s = time.monotonic()
        for client in self._clients:
            if not client.closed and now_s - client.last_sent_s >= HEARTBEAT_S:
                client.send(HEARTBEAT, now_s)
            if client.closed:
                self._drop(client)
                continue
            events = selectors.EVENT_READ
            if client.lagging:
                events |= selectors.EVENT_WRITE
            if self._selector.get_key(client.sock).events != events:
                self._selector.modify(client.sock, events, client)

    def _drop(self, client: StreamClient) -> None:
        self._clients = tuple(c for c in self._clients if c is not client)
        if not self._clients:
            self.hub.remove(self)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(client.sock)
        client.close()

    def _wake(self) -> None:
        # A full socketpair means a wake is already pending: the thread will look anyway.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass


def _refuse(sock: socket.socket, reason: str) -> None:
    """A 503 that says why, sent once without waiting; then the connection is closed."""
    body = reason.encode() + b"\n"
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 10\r\nConnection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        sock.send(head.encode() + body)
    sock.close()
