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

from waitress import create_server
from waitress.task import ThreadedTaskDispatcher

from pfsense.web.streams import StreamServer

log = logging.getLogger(__name__)

STREAM_PATH = "/api/stream"


class StreamHandoff(ThreadedTaskDispatcher):
    """Waitress's thread pool, except that stream requests go to the stream server."""

    def __init__(self, streams: StreamServer) -> None:
        super().__init__()
        self.streams = streams

    def add_task(self, task) -> None:
        # Called on waitress's event-loop thread with the channel whose request has just been
        # read and whose earlier responses have all been sent.
        if _is_stream_request(task):
            sock, address = task.socket, task.addr
            task.del_channel()  # waitress forgets the connection without closing it
            task.requests = []
            task.connected = False
            self.streams.accept(sock, address[0] if isinstance(address, tuple) else str(address))
            return
        super().add_task(task)


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
