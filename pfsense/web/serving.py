"""The web server `pfsense serve` runs: waitress for pages and the API, with every live stream
handed to pfsense.web.streams as soon as its request has been read.

Waitress answers each request on one of its worker threads and keeps that thread for as long as
the response lasts, so a stream served as a WSGI response holds a thread for as long as the page
is open, and wakes it for every frame. Here the task dispatcher (waitress's hook for giving
requests to threads) looks at each request before it queues it: `GET /api/stream` is taken off
waitress's event loop, socket and all, and given to the stream server. Anything this cannot
recognise goes to waitress as usual, and the WSGI route in pfsense.web.api answers it.

This leans on two waitress internals: the `_dispatcher` argument of `create_server` and the
channel's `requests`, `socket` and `del_channel`. pyproject.toml pins the major version, and
tests/test_streams.py fails if streams stop being taken off the worker threads.
"""

import logging
import threading

from waitress import create_server
from waitress.task import ThreadedTaskDispatcher

from pfsense.web.streams import StreamServer

log = logging.getLogger(__name__)

STREAM_PATH = "/api/stream"


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
            app, host=host, port=port, threads=threads, ident="pfsense", _dispatcher=dispatcher
        )
    except BaseException:
        dispatcher.shutdown(cancel_pending=True, timeout=1)
        raise
    streams.start()
    return server, streams
