"""Fan-out of live events to any number of stream clients, each through a bounded buffer.

An event is encoded once, when it is published: every client is handed the same bytes, so a
viewer costs a wake-up and a socket write, never JSON work of its own. The acquisition thread
publishes and never waits: a client that falls behind loses its own oldest events (and is told
how many), never slowing acquisition or the other clients.
"""

import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

DEFAULT_BUFFER_EVENTS = 400  # about 5 s of frames at 80 frames/s (a frame per sample)


@dataclass(frozen=True, eq=False)
class Event:
    """One event: what it says, and the same as a Server-Sent Event, ready to send."""

    payload: dict
    sse: bytes

    @classmethod
    def of(cls, payload: dict) -> "Event":
        """The event, encoded once (compact JSON; a NaN would be refused, not sent as invalid
        JSON: frames carry null for a rejected sample).

        >>> Event.of({"type": "frame", "force_n": [1.5, None]}).sse
        b'data: {"type":"frame","force_n":[1.5,null]}\\n\\n'
        """
        text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
        return cls(payload, b"data: " + text.encode() + b"\n\n")


class Sink(Protocol):
    """Anything the hub hands events to: a Subscription (one client's queue) or the stream
    server (pfsense.web.streams, which writes to many sockets)."""

    @property
    def client_count(self) -> int: ...

    def put(self, event: Event) -> None: ...

    def close(self) -> None: ...


class Subscription:
    """One client's bounded queue of events."""

    client_count = 1

    def __init__(self, max_events: int) -> None:
        self._events: deque[Event] = deque(maxlen=max_events)
        self._ready = threading.Condition()
        self.lost_events = 0
        self.closed = False

    def put(self, event: Event) -> None:
        with self._ready:
            if len(self._events) == self._events.maxlen:
                self.lost_events += 1
            self._events.append(event)
            self._ready.notify()

    def get(self, timeout_s: float) -> list[Event]:
        """Every waiting event (possibly none after `timeout_s`)."""
        with self._ready:
            if not self._events and not self.closed:
                self._ready.wait(timeout_s)
            events = list(self._events)
            self._events.clear()
            return events

    def take_lost(self) -> int:
        """Events lost since the last call (this client fell behind by that many)."""
        with self._ready:
            lost, self.lost_events = self.lost_events, 0
            return lost

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify_all()


class Hub:
    """Publishes events to every current subscriber."""

    def __init__(self, max_events_per_client: int = DEFAULT_BUFFER_EVENTS) -> None:
        self.max_events_per_client = max_events_per_client
        self._subscribers: tuple[Sink, ...] = ()  # replaced whole: publish reads no lock
        self._lock = threading.Lock()
        self.on_subscribe: Callable[[], None] | None = None  # the live loop's cue to hurry

    def subscribe(self) -> Subscription:
        """A new client's own queue of events."""
        subscription = Subscription(self.max_events_per_client)
        self.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        self.remove(subscription)

    def add(self, sink: Sink) -> None:
        with self._lock:
            self._subscribers = (*self._subscribers, sink)
        if self.on_subscribe is not None:
            self.on_subscribe()

    def remove(self, sink: Sink) -> None:
        with self._lock:
            self._subscribers = tuple(s for s in self._subscribers if s is not sink)

    def publish(self, payload: dict, sse: Callable[[dict], bytes] | None = None) -> Event | None:
        """Encode once and hand to every subscriber; None (and no encoding) when nobody is.
        `sse` writes the event out instead of the JSON encoder (pfsense.live.frames.frame_sse)."""
        subscribers = self._subscribers
        if not subscribers:
            return None
        try:
            event = Event(payload, sse(payload)) if sse else Event.of(payload)
        except (TypeError, ValueError):  # a NaN or a numpy scalar: a bug, never a dead loop
            log.exception("event not sent: %.200r", payload)
            return None
        for subscription in subscribers:
            subscription.put(event)
        return event

    def close(self) -> None:
        with self._lock:
            subscribers, self._subscribers = self._subscribers, ()
        for subscription in subscribers:
            subscription.close()

    @property
    def client_count(self) -> int:
        """Clients reached, counting each socket the stream server writes to."""
        return sum(sink.client_count for sink in self._subscribers)
