"""Adherence: sessions done against the plan (mild: 2-3 a week; chronic: daily; or the therapist's
own, pfsense.clinical.doses.SESSIONS_PER_WEEK), week by week, and the current streak.

Weeks run Monday to Sunday, days are the device's local days, and a week counts the days with
at least one complete session long enough to be one (`counts`): two sessions in one day count
once, as the plan is about spreading the work over the week. A daily plan's streak counts days
in a row with a session; any other plan's counts weeks in a row that met it. The week in
progress never breaks a streak.
"""

import datetime as dt
from dataclasses import dataclass

DAILY = 7
# A session shorter than this is a tap on and off or a false start, not treatment: DOMAIN.md's
# dose is 30-120 s per area, and the default routines roll each zone for a minute or more.
MIN_SESSION_S = 60.0
# With a routine to follow, half of it (rests included) is enough when that is under a minute: a
# therapist's short routine done to the end is a session done; a minute still shuts out a tap.
ROUTINE_SHARE = 0.5


def least_session_s(routine_s: float | None) -> float:
    """How long a session must last to count, given its routine's length (None: none).

    >>> least_session_s(None), least_session_s(300.0), least_session_s(16.0)
    (60.0, 60.0, 8.0)
    """
    if not routine_s:
        return MIN_SESSION_S
    return min(MIN_SESSION_S, ROUTINE_SHARE * routine_s)


def counts(status: str, duration_s: float | None, routine_s: float | None) -> bool:
    """Whether a session counts for adherence: complete, and long enough to be one.

    >>> counts("complete", 6.0, None), counts("complete", 61.0, None)
    (False, True)
    >>> counts("complete", 10.0, 16.0), counts("interrupted", 90.0, None)
    (True, False)
    """
    return status == "complete" and (duration_s or 0.0) >= least_session_s(routine_s)


@dataclass(frozen=True)
class Week:
    monday: dt.date
    sessions: int
    met: bool

    def to_dict(self) -> dict:
        return {"monday": self.monday.isoformat(), "sessions": self.sessions, "met": self.met}


def weeks(days: list[dt.date], plan: tuple[int, int], today: dt.date, count: int = 8) -> list[Week]:
    """The last `count` weeks up to today's, oldest first.

    >>> d = dt.date(2026, 11, 26)  # a Thursday
    >>> [w.sessions for w in weeks([d, d - dt.timedelta(days=7)], (2, 3), d, 3)]
    [0, 1, 1]
    """
    this_monday = _monday(today)
    mondays = [this_monday - dt.timedelta(weeks=back) for back in range(count - 1, -1, -1)]
    counts = dict.fromkeys(mondays, 0)
    for day in set(days):
        monday = _monday(day)
        if monday in counts:
            counts[monday] += 1
    return [Week(monday, counts[monday], counts[monday] >= plan[0]) for monday in mondays]


def streak(days: list[dt.date], plan: tuple[int, int], today: dt.date) -> tuple[int, str]:
    """The current streak and its unit ("days" for a daily plan, else "weeks").

    >>> d = dt.date(2026, 11, 26)
    >>> streak([d - dt.timedelta(days=n) for n in (1, 2, 3, 5)], (7, 7), d)
    (3, 'days')
    """
    done = set(days)
    if plan[0] >= DAILY:
        day = today if today in done else today - dt.timedelta(days=1)
        length = 0
        while day in done:
            length += 1
            day -= dt.timedelta(days=1)
        return length, "days"
    history = weeks(list(done), plan, today, count=520)
    current = history[-1]
    length = 1 if current.met else 0
    for week in reversed(history[:-1]):
        if not week.met:
            break
        length += 1
    return length, "weeks"


def local_day(started_at: str) -> dt.date:
    """The device's own calendar day of a session stored in UTC: an evening session west of UTC
    is that evening's, not the next day's."""
    moment = dt.datetime.fromisoformat(started_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone().date()


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
