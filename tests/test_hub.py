"""Fan-out: every client gets every event, encoded once, and a slow one only hurts itself."""

import json
import threading

import pytest

from pfsense.live.hub import Event, Hub


def test_every_client_gets_every_event_in_order():
    hub = Hub()
    clients = [hub.subscribe() for _ in range(3)]
    for i in range(50):
        hub.publish({"i": i})
    for client in clients:
        assert [event.payload["i"] for event in client.get(0.0)] == list(range(50))


def test_a_slow_client_loses_only_its_own_oldest_events():
    hub = Hub(max_events_per_client=10)
    slow, fast = hub.subscribe(), hub.subscribe()
    received = []
    for i in range(100):
        hub.publish({"i": i})
        received += fast.get(0.0)
    assert [event.payload["i"] for event in received] == list(range(100))
    assert [event.payload["i"] for event in slow.get(0.0)] == list(range(90, 100))
    assert slow.lost_events == 90
    assert fast.lost_events == 0


def test_a_waiting_client_wakes_on_publish_and_on_close():
    hub = Hub()
    client = hub.subscribe()
    got = []
    waiter = threading.Thread(target=lambda: got.append(client.get(10.0)))
    waiter.start()
    hub.publish({"i": 1})
    waiter.join(5.0)
    assert [[event.payload for event in events] for events in got] == [[{"i": 1}]]
    waiter = threading.Thread(target=lambda: got.append(client.get(10.0)))
    waiter.start()
    hub.close()
    waiter.join(5.0)
    assert not waiter.is_alive()
    assert got[-1] == []
    assert client.closed


def test_unsubscribe_stops_delivery():
    hub = Hub()
    client = hub.subscribe()
    hub.unsubscribe(client)
    hub.publish({"i": 1})
    assert client.get(0.0) == []
    assert hub.client_count == 0


def test_an_event_is_encoded_once_and_every_client_gets_the_same_bytes():
    hub = Hub()
    clients = [hub.subscribe() for _ in range(5)]
    frame = {"type": "frame", "t_s": [1.0125], "force_n": [None], "seq": [7]}
    event = hub.publish(frame)
    received = [client.get(0.0)[0] for client in clients]
    assert all(got is event for got in received)  # one object, one encoding, for everyone
    assert event.sse.startswith(b"data: ")
    assert event.sse.endswith(b"\n\n")
    assert json.loads(event.sse[6:]) == frame


def test_nobody_listening_means_nothing_is_encoded(caplog):
    # Encoding this would fail and be logged: with no subscriber it is never tried.
    with caplog.at_level("ERROR", "pfsense.live.hub"):
        assert Hub().publish({"type": "frame", "unencodable": object()}) is None
    assert not caplog.records


def test_a_number_json_cannot_carry_is_refused_not_sent_as_invalid_json(caplog):
    hub = Hub()
    client = hub.subscribe()
    with caplog.at_level("ERROR", "pfsense.live.hub"):
        assert hub.publish({"type": "frame", "force_n": [float("nan")]}) is None
    assert client.get(0.0) == []
    assert "event not sent" in caplog.text
    with pytest.raises(ValueError, match="JSON compliant"):
        Event.of({"x": float("inf")})
