"""JSON and Server-Sent-Events endpoints under /api."""

import json

from flask import Blueprint, Response, current_app, jsonify

bp = Blueprint("api", __name__, url_prefix="/api")

HEARTBEAT_S = 10.0  # a comment line now and then lets both ends notice a dead connection
RECONNECT_MS = 1000


@bp.get("/status")
def status():
    return jsonify(current_app.extensions["pfsense.live"].status())


@bp.get("/stream")
def stream():
    """Server-Sent Events: a status snapshot, then every frame and metrics event; each event's
    data is one JSON object with a "type" that clients dispatch on and may ignore. A client too
    slow to keep up loses its own oldest events (never anyone else's), and is then sent a
    `resync` event saying how many, and a fresh status snapshot."""
    live = current_app.extensions["pfsense.live"]
    subscription = live.hub.subscribe()

    def events():
        try:
            yield f"retry: {RECONNECT_MS}\n" + _sse(live.status())
            while not subscription.closed:
                batch = subscription.get(HEARTBEAT_S)
                if lost := subscription.take_lost():
                    batch = [{"type": "resync", "lost_events": lost}, live.status(), *batch]
                yield "".join(_sse(event) for event in batch) if batch else ": heartbeat\n\n"
        finally:
            live.hub.unsubscribe(subscription)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(events(), mimetype="text/event-stream", headers=headers)


def _sse(event: dict) -> str:
    return f"data: {json.dumps(event, separators=(',', ':'))}\n\n"
