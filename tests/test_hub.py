"""Fan-out: every client gets every event, and a slow one only hurts itself."""

import threading

from pfsense.live.hub import Hub


def test_every_client_gets_every_event_in_order():
    hub = Hub()
    clients = [hub.subscribe() for _ in range(3)]
    for i in range(50):
        hub.publish({"i": i})
    for client in clients:
        assert [event["i"] for event in client.get(0.0)] == list(range(50))


def test_a_slow_client_loses_only_its_own_oldest_events():
    hub = Hub(max_events_per_client=10)
    slow, fast = hub.subscribe(), hub.subscribe()
    received = []
    for i in range(100):
        hub.publish({"i": i})
        received += fast.get(0.0)
    assert [event["i"] for event in received] == list(range(100))
    assert [event["i"] for event in slow.get(0.0)] == list(range(90, 100))
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
    assert got == [[{"i": 1}]]
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
