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
    """Server-Sent Events: a status snapshot, then every frame; each event's data is one JSON
    object with a "type" (frame, status) that clients dispatch on and may ignore."""
    live = current_app.extensions["pfsense.live"]
    subscription = live.hub.subscribe()

    def events():
        try:
            yield f"retry: {RECONNECT_MS}\n" + _sse(live.status())
            while not subscription.closed:
                batch = subscription.get(HEARTBEAT_S)
                yield "".join(_sse(event) for event in batch) if batch else ": heartbeat\n\n"
        finally:
            live.hub.unsubscribe(subscription)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(events(), mimetype="text/event-stream", headers=headers)


def _sse(event: dict) -> str:
    return f"data: {json.dumps(event, separators=(',', ':'))}\n\n"
