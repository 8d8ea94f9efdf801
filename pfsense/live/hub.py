"""Fan-out of live events to any number of stream clients, each through a bounded buffer.

The acquisition thread publishes and never waits: a client that falls behind loses its own oldest
events (and is told how many), never slowing acquisition or the other clients.
"""

import threading
from collections import deque

DEFAULT_BUFFER_EVENTS = 400  # about 10 s of frames at 40 frames/s


class Subscription:
    """One client's bounded queue of events."""

    def __init__(self, max_events: int) -> None:
        self._events: deque[dict] = deque(maxlen=max_events)
        self._ready = threading.Condition()
        self.lost_events = 0
        self.closed = False

    def put(self, event: dict) -> None:
        with self._ready:
            if len(self._events) == self._events.maxlen:
                self.lost_events += 1
            self._events.append(event)
            self._ready.notify()

    def get(self, timeout_s: float) -> list[dict]:
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
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self.max_events_per_client)
        with self._lock:
            self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        with self._lock:
            self._subscribers.discard(subscription)

    def publish(self, event: dict) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.put(event)

    def close(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
            self._subscribers.clear()
        for subscription in subscribers:
            subscription.close()

    @property
    def client_count(self) -> int:
        with self._lock:
            return len(self._subscribers)
