"""The live service's state as web threads see it: one immutable snapshot, which the acquisition
thread builds and replaces whole, and web threads only read. Nothing a web thread reads is
changed under it (a session ending while a request describes it, say)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Status:
    """What a client needs to (re)synchronise. Its dicts are made for the snapshot and never
    changed afterwards."""

    state: str = "starting"  # starting | streaming | stalled | ended | error | stopped
    message: str = ""
    sensor: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    latest: dict | None = None  # the newest sample's time, force and position
    target_band_n: tuple[float, float] = (0.0, 0.0)
    band_source: dict = field(default_factory=dict)  # where the band came from (whose, how)
    calibration: dict = field(default_factory=dict)
    zone: str | None = None
    session: dict | None = None  # the running session, as LiveSession.describe() said
    last_session: dict | None = None
    metrics: dict | None = None

    def to_dict(self, clients: int) -> dict:
        """The status event (and /api/status), with the number of stream clients now."""
        return {
            "type": "status",
            "state": self.state,
            "message": self.message,
            "sensor": self.sensor,
            "stats": self.stats,
            "clients": clients,
            "latest": self.latest,
            "target_band_n": list(self.target_band_n),
            "band_source": self.band_source,
            "calibration": self.calibration,
            "zone": self.zone,
            "session": self.session,
            "last_session": self.last_session,
            "metrics": self.metrics,
        }
