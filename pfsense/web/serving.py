"""The web server `pfsense serve` runs: waitress for pages and the API, with every live stream
handed to pfsense.web.streams as soon as its request has been read.

Waitress answers each request on one of its worker threads and keeps that thread for as long as
the response lasts, so a stream served as a WSGI response holds a thread for as long as the page
is open, and wakes it for every frame. Here the task dispatcher (waitress's hook for giving
requests to threads) looks at each request before it queues it: `GET /api/stream` is taken off
waitress's event loop, socket and all, and given to the stream server. Anything this cannot
recognise goes to waitress as usual, and the WSGI route in pfsense.web.api answers it.

The server also guards what waitress leaves open (GuardedServer): a cap on connections from one
address, and a deadline for a request's headers; idle connections close after IDLE_S.

This leans on waitress internals: the `_dispatcher` argument of `create_server`, the server's
`_map`, `active_channels`, `maintenance` and `handle_accept`, and the channel's `request`,
`requests`, `socket` and `del_channel`. pyproject.toml pins the major version;
tests/test_streams.py and tests/test_connections.py fail if any of it stops working.
"""

import logging
import threading
import time

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from pfsense.web.streams import StreamServer

log = logging.getLogger(__name__)

STREAM_PATH = "/api/stream"

# Connections (streams are counted apart, in pfsense.web.streams). A page's requests take
# milliseconds; these keep idle, slow and hostile connections from filling waitress's table.
IDLE_S = 10.0  # a kept-alive connection with nothing to do is closed after this
HEADERS_S = 10.0  # a request's headers must all have come this long after its first byte
CONNECTIONS = 200  # in all (a Pi's file limit is 1024); past it the longest idle one goes
CONNECTIONS_PER_ADDRESS = 32  # a household's tabs, with room; one device cannot take them all
MIN_BODY_BYTES_PER_S = 10_000  # a body must come at least this fast (a 64 MB import: 2 min)
IMPORT_PATH = "/api/import"  # the one route that takes a large body (pfsense.web.exports)
SMALL_BODY_BYTES = 64 * 1024  # every other route's (pfsense.web.MAX_REQUEST_BYTES)
LARGE_BODY_BYTES = 64 * 1024 * 1024  # an imported recording (pfsense.web.exports)
TOO_LARGE = (
    b"HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n\r\n"
    b"request body too large: at most 64 kB here (an imported recording: 64 MB)\n"
)
TOO_MANY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\nRetry-After: 10\r\n\r\n"
    b"too many connections from your address: close some tabs and try again\n"
)


class GuardedChannel(HTTPChannel):
    """Waitress's connection, noting when the request being read began."""

    def __init__(self, *args, **kwargs) -> None:
        self.request_began = time.time()  # waitress's own clock for activity
        super().__init__(*args, **kwargs)

    def received(self, data):
        if self.request is None:
            self.request_began = time.time()
        result = super().received(data)
        request = self.request  # a request still coming in, its headers read
        if (
            request is not None
            and request.headers_finished
            and request.path != IMPORT_PATH
            and request.content_length > SMALL_BODY_BYTES
        ):  # refused at its headers: never spooled to the card
            _refuse(self.socket, TOO_LARGE)
            self.handle_close()
            return False
        return result


class GuardedServer(TcpWSGIServer):
    """Waitress's server with two guards it lacks: a cap on connections from one address, and a
    deadline for a request's headers (a client sending a byte every few seconds otherwise keeps
    its connection, and enough of them fill the table: nothing else would be answered)."""

    channel_class = GuardedChannel

    def handle_accept(self) -> None:
        try:
            accepted = self.accept()
        except OSError:
            return
        if accepted is None:
            return
        conn, addr = accepted
        host = addr[0] if isinstance(addr, tuple) else str(addr)
        same = sum(1 for c in self.active_channels.values() if _host(c) == host)
        if same >= CONNECTIONS_PER_ADDRESS or not self._room():
            _refuse(conn, TOO_MANY)
            return
        try:
            self.set_socket_options(conn)
        except OSError:
            conn.close()
            return
        self.channel_class(self, conn, self.fix_addr(addr), self.adj, map=self._map)

    def _room(self) -> bool:
        """Room for one more connection: under CONNECTIONS, or by closing the one that has been
        idle longest between requests (a kept-alive connection costs its browser nothing to
        reopen); False when every one is busy."""
        if len(self.active_channels) < CONNECTIONS:
            return True
        idle = [
            c
            for c in self.active_channels.values()
            if getattr(c, "request", None) is None and not c.requests and not c.total_outbufs_len
        ]
        if not idle:
            return False
        min(idle, key=lambda c: c.last_activity).handle_close()
        return True

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections: IDLE_S (channel_timeout)
        for channel in self.active_channels.values():
            request = getattr(channel, "request", None)
            if request is None:
                continue
            began = getattr(channel, "request_began", now)
            # Headers within HEADERS_S; a body at MIN_BODY_BYTES_PER_S at least after them.
            due_s = HEADERS_S
            if request.headers_finished:
                due_s += request.content_length / MIN_BODY_BYTES_PER_S
            if now - began > due_s:
                channel.will_close = True


def _host(channel) -> str | None:
    addr = getattr(channel, "addr", None)
    return addr[0] if isinstance(addr, tuple) else None


def _refuse(conn, reply: bytes) -> None:
    try:
        conn.setblocking(False)
        conn.send(reply)
    except OSError:
        pass
    finally:
        conn.close()


class StreamHandoff(ThreadedTaskDispatcher):
    """Waitress's thread pool, except that stream requests go to the stream server.

    Built on the thread that will run the server (its event loop), which is where waitress asks
    for a new request's task once the connection's earlier responses are sent. A request
    pipelined behind another is asked for from a worker thread instead, while the event loop may
    be using the connection: that one is not taken, and the WSGI route refuses it (pfsense.web.api)
    rather than hold a worker for as long as the page is open."""

    def __init__(self, streams: StreamServer) -> None:
        super().__init__()
        self.streams = streams
        self.loop_thread = threading.current_thread()

    def add_task(self, task) -> None:
        if threading.current_thread() is self.loop_thread and _is_stream_request(task):
            sock, address = task.socket, task.addr
            task.del_channel()  # waitress forgets the connection without closing it
            task.requests = []
            task.connected = False
            # Bytes after the request in the same read (a second request sent with it) are still
            # parsed by waitress once this returns: cut loose, the channel hands nothing on.
            task.server = _Detached()
            self.streams.accept(sock, address[0] if isinstance(address, tuple) else str(address))
            return
        super().add_task(task)


class _Detached:
    """What a handed-off channel's server becomes: whatever waitress asks of it, nothing."""

    def add_task(self, _channel) -> None:
        pass

    def pull_trigger(self) -> None:
        pass


def _is_stream_request(channel) -> bool:
    requests = getattr(channel, "requests", None)
    if not requests or len(requests) != 1 or getattr(channel, "total_outbufs_len", 1):
        return False
    request = requests[0]
    return (
        getattr(request, "error", True) is None
        and getattr(request, "command", "") == "GET"
        and getattr(request, "path", "") == STREAM_PATH
        and getattr(channel, "socket", None) is not None
    )


def serve_app(app, live, host: str, port: int, threads: int):
    """A waitress server for `app` (not yet running: call its run()) and the StreamServer, fed
    from `live`'s hub, that serves its live streams (close it after the server). Raises OSError
    or ValueError for an address it cannot listen on."""
    streams = StreamServer(live.hub, live.status)
    app.config["PFSENSE_STREAMS_HANDED_OFF"] = True  # the WSGI route refuses what slips past
    dispatcher = StreamHandoff(streams)
    dispatcher.set_thread_count(threads)
    try:
        server = create_server(
            app, host=host, port=port, threads=threads, ident="pfsense", _dispatcher=dispatcher,
            channel_timeout=IDLE_S, cleanup_interval=1, connection_limit=CONNECTIONS + 16,
            max_request_body_size=LARGE_BODY_BYTES + 1024,
        )  # fmt: skip
    except BaseException:
        dispatcher.shutdown(cancel_pending=True, timeout=1)
        raise
    for listener in list(server._map.values()):  # one, or one per address family
        if type(listener) is TcpWSGIServer:
            listener.__class__ = GuardedServer
    streams.start()
    return server, streams
