"""JSON and Server-Sent-Events endpoints under /api."""

from flask import Blueprint, Response, current_app, jsonify
from werkzeug.exceptions import BadRequest

from pfsense.clinical.techniques import Zone
from pfsense.dsp.coverage import SOLE_ZONES
from pfsense.live.hub import Event
from pfsense.live.session import SessionPlan
from pfsense.store import checks, patients, routines, targets
from pfsense.web.db import get_db
from pfsense.web.pairing import refuse_unless_allowed
from pfsense.web.security import json_body
from pfsense.web.streams import HEARTBEAT, HEARTBEAT_S, RECONNECT_MS

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/status")
def status():
    return jsonify(current_app.extensions["pfsense.live"].status())


@bp.post("/tare")
def tare():
    """Zero the reading: nothing may press on the device for the next second."""
    calibration = _live().tare()
    return jsonify(
        message="zeroed",
        calibration={"offset_counts": calibration.offset_counts, "source": calibration.source},
    )


@bp.post("/session/start")
def start_session():
    """A free session, or `{"patient_id": 3}` for a patient's (scored against their targets), with
    `"routine": true` to be guided through their routine. Needs no PIN: it is the patient's."""
    body = json_body()
    return jsonify(session=_live().start_session(session_plan(body)))


def session_plan(body: dict) -> SessionPlan:
    patient_id = body.get("patient_id")
    if patient_id is None:
        return SessionPlan()
    patient_id = checks.row_id("patient_id", patient_id)
    refuse_unless_allowed()  # a patient's session adds to their data
    connection = get_db()
    patient = patients.get_patient(connection, patient_id)
    segments = ()
    if body.get("routine"):
        segments = routines.routine_for(connection, patient_id, patient.severity)
    return SessionPlan(
        patient_id=patient.id,
        patient_name=patient.name,
        foot_mm=patient.foot_mm,
        segments=tuple(segments),
        targets=targets.targets_for(connection, patient_id),
    )


@bp.post("/session/stop")
def stop_session():
    """End the running session. A patient's, on a network, only from a browser that may see
    their data (ending it ends their work); and the answer is what that browser may see."""
    running = _live().snapshot.session
    if running and running.get("patient_id") is not None:
        refuse_unless_allowed()
    return jsonify(session=_live().stop_session())


@bp.post("/zone")
def set_zone():
    """Single cell: the zone being worked, `{"zone": "heel"}` (or null for none)."""
    body = json_body()
    if "zone" not in body:
        raise BadRequest('expected {"zone": "heel" | "arch" | "forefoot" | null}')
    name = body["zone"]
    names = [zone.value for zone in SOLE_ZONES]
    if name is not None and name not in names:
        raise BadRequest(f"zone must be one of {', '.join(names)} or null, got {name!r}")
    _live().set_zone(Zone(name) if name else None)
    return jsonify(zone=name)


@bp.get("/stream")
def stream():
    """Server-Sent Events: a status snapshot, then every frame and metrics event; each event's
    data is one JSON object with a "type" that clients dispatch on and may ignore. Every event is
    encoded once for all clients (pfsense.live.hub); this only hands the bytes on. A client too
    slow to keep up loses its own oldest events (never anyone else's), and is then sent a
    `resync` event saying how many, and a fresh status snapshot.

    `pfsense serve` answers this path itself, off the worker threads (pfsense.web.serving and
    pfsense.web.streams); this route serves Flask's test client and any other WSGI server."""
    if current_app.config.get("PFSENSE_STREAMS_HANDED_OFF"):
        # Under `pfsense serve` streams are served off the worker threads; one that reaches
        # here was pipelined behind another request, and would hold a worker for good.
        return Response(
            "open the live stream on a connection of its own (not pipelined behind another "
            "request)\n",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "1"},
        )
    live = current_app.extensions["pfsense.live"]

    def events():
        # Subscribed once the response is sent, never before: a HEAD request, or a client gone
        # before the first byte, never runs this and so leaves nothing behind in the hub.
        subscription = live.hub.subscribe()
        try:
            yield f"retry: {RECONNECT_MS}\n".encode() + Event.of(live.status()).sse
            while not subscription.closed:
                batch = subscription.get(HEARTBEAT_S)
                if lost := subscription.take_lost():
                    resync = Event.of({"type": "resync", "lost_events": lost})
                    batch = [resync, Event.of(live.status()), *batch]
                if len(batch) == 1:
                    yield batch[0].sse  # the usual case: one frame
                else:
                    yield b"".join(event.sse for event in batch) if batch else HEARTBEAT
        finally:
            live.hub.unsubscribe(subscription)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(events(), mimetype="text/event-stream", headers=headers)


def _live():
    return current_app.extensions["pfsense.live"]
