"""Where a guided routine is at a given time: which segment, working or resting, time left, and
what comes next. Pure arithmetic on the segments' durations, so the live loop and the tests agree.
"""

from dataclasses import dataclass

from pfsense.store.routines import Segment


@dataclass(frozen=True)
class Step:
    index: int  # the segment being worked or rested after; len(segments) when done
    phase: str  # "work" | "rest" | "done"
    remaining_s: float  # of this phase
    elapsed_s: float  # since the routine started

    def to_dict(self, segments: tuple[Segment, ...]) -> dict:
        current = segments[self.index] if self.index < len(segments) else None
        later = segments[self.index + 1] if self.index + 1 < len(segments) else None
        return {
            "index": self.index,
            "count": len(segments),
            "phase": self.phase,
            "remaining_s": round(self.remaining_s, 1),
            "elapsed_s": round(self.elapsed_s, 1),
            "segment": current.to_dict() if current else None,
            "next": later.to_dict() if later else None,
        }


class RoutineClock:
    """`at(elapsed_s)` for a routine's segments, each worked for its duration then rested.

    >>> from pfsense.clinical.techniques import Technique, Zone
    >>> clock = RoutineClock((Segment(Technique.ROLLING, Zone.ARCH, 60.0, 30.0),
    ...                       Segment(Technique.ROLLING, Zone.HEEL, 60.0, 0.0)))
    >>> [(s.index, s.phase, s.remaining_s) for s in map(clock.at, (10, 70, 100, 149, 150))]
    [(0, 'work', 50.0), (0, 'rest', 20.0), (1, 'work', 50.0), (1, 'work', 1.0), (2, 'done', 0.0)]
    """

    def __init__(self, segments: tuple[Segment, ...]) -> None:
        self.segments = segments
        self.total_s = sum(s.duration_s + s.rest_s for s in segments)

    def at(self, elapsed_s: float) -> Step:
        start_s = 0.0
        for index, segment in enumerate(self.segments):
            work_end_s = start_s + segment.duration_s
            if elapsed_s < work_end_s:
                return Step(index, "work", work_end_s - elapsed_s, elapsed_s)
            rest_end_s = work_end_s + segment.rest_s
            if elapsed_s < rest_end_s:
                return Step(index, "rest", rest_end_s - elapsed_s, elapsed_s)
            start_s = rest_end_s
        return Step(len(self.segments), "done", 0.0, elapsed_s)
