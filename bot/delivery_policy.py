"""When a queued notification may be pushed: urgency classes, quiet hours and the monthly budget.

Every notification a feature queues declares how urgent it is:

* ``urgent`` — send now (a meeting cancelled or moved within 24 h, an announcement marked urgent);
* ``timely`` — it has a deadline (a reminder must arrive before the meeting, a survey reminder before the
  survey closes): free delivery is waited for, but it is pushed when the deadline comes;
* ``digest`` — it can wait for the next free chance within a day or two (weekly summary, live counts,
  thank-you notes in groups, new needs): pushed only while the month's budget allows.

On a platform where a push costs nothing (Telegram) only quiet hours hold a notification back. On a
platform that bills pushes (LINE: one message per recipient), the free chance is a reply: the bot answers
a chat's next event and delivers what is pending in the same free reply. This module decides *times and
permissions* only; it knows no platform and touches no database.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo


class Urgency(str, enum.Enum):
    URGENT = "urgent"
    TIMELY = "timely"
    DIGEST = "digest"


class WaitReason(str, enum.Enum):
    """Why a pending outbox row is not pushed yet (shown by /deliveries)."""

    FREE_CHANCE = "free_chance"      # waiting for a reply it can ride on for free
    BUDGET = "budget"                # due, but the month's budget does not allow the push
    MONTHLY_LIMIT = "monthly_limit"  # the platform refused: the month's quota is used up
    QUIET_HOURS = "quiet_hours"      # held until the network's quiet hours end


# How long a digest may wait for a free chance before it counts as late (the target is "within a day").
DIGEST_PATIENCE = timedelta(hours=24)
# A timely row is pushed this long before its deadline when no free chance came (network jitter, pacing).
TIMELY_MARGIN = timedelta(minutes=10)
# A billed digest's last call: this long before its latest acceptable delivery (``deliver_by``) with no
# free chance, it is pushed if the month's budget allows (see :meth:`Budget.allows`).
DIGEST_LAST_CALL = timedelta(hours=1)
# Pushes to one person waiting within this long count as "cheaper rows first" when a group's digest
# asks for the budget at its last call.
CHEAPER_AHEAD = timedelta(hours=1)
# The general pool is spread over the month: by a share f of the month gone, what is not urgent may
# have spent (f + PACE_AHEAD) of it (a week ahead of an even pace, so early-month rows are not refused).
PACE_AHEAD = 0.25
DEFAULT_QUIET = "21:00-07:00"
DEFAULT_URGENT_RESERVE = 0.20
# The urgent reserve holds at least this many pushes to the network's largest group (a month has a late
# cancellation and an urgent announcement or two).
URGENT_PUSHES_RESERVED = 2
# The share of the month's budget that only pushes to one person may use (see :class:`Budget`).
PEOPLE_SHARE = 0.50

_QUIET_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """A nightly window in local time (``start`` > ``end`` wraps past midnight); ``None`` fields: off."""

    start: time | None
    end: time | None

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"21:00-07:00"`` or ``"off"``; raises ValueError with what was expected."""
        if text.strip().lower() in ("off", "ปิด", "none"):
            return cls(None, None)
        match = _QUIET_RE.match(text)
        if not match:
            raise ValueError("expected HH:MM-HH:MM, e.g. 21:00-07:00, or off")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if not (0 <= h1 <= 23 and 0 <= h2 <= 23 and 0 <= m1 <= 59 and 0 <= m2 <= 59):
            raise ValueError("hours are 00–23 and minutes 00–59")
        if (h1, m1) == (h2, m2):
            raise ValueError("the start and the end of quiet hours must differ")
        return cls(time(h1, m1), time(h2, m2))

    @property
    def off(self) -> bool:
        return self.start is None or self.end is None

    def text(self) -> str:
        if self.start is None or self.end is None:
            return "off"
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, when: datetime, tz: ZoneInfo) -> bool:
        """Is ``when`` (aware) inside the quiet window of its local day?"""
        if self.start is None or self.end is None:
            return False
        local = when.astimezone(tz).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, when: datetime, tz: ZoneInfo) -> datetime:
        """The first moment at or after ``when`` that is outside the window."""
        if not self.contains(when, tz) or self.end is None:
            return when
        local = when.astimezone(tz)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(when.tzinfo)

    def start_before(self, when: datetime, tz: ZoneInfo) -> datetime:
        """For ``when`` inside the window: the moment the window began (the last chance before it)."""
        if not self.contains(when, tz) or self.start is None:
            return when
        local = when.astimezone(tz)
        start = local.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        if start > local:
            start -= timedelta(days=1)
        return start.astimezone(when.tzinfo)


def quiet_hours_of(settings: Mapping[str, object], default: str = DEFAULT_QUIET) -> QuietHours:
    """A network's quiet hours from its settings (``"quiet"``), ``default`` when unset."""
    value = settings.get("quiet", default)
    return QuietHours.parse(value if isinstance(value, str) else default)


def before_quiet(when: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """When to run a reminder meant for ``when``: unchanged, or just before quiet hours begin if ``when``
    falls inside them (features schedule reminder tasks through this)."""
    if not quiet.contains(when, tz):
        return when
    return quiet.start_before(when, tz) - timedelta(minutes=1)


def deadline_for(urgency: Urgency, due: datetime, deadline: datetime | None) -> datetime:
    """The latest acceptable delivery time of a row queued at ``due``."""
    if urgency is Urgency.URGENT:
        return due
    if urgency is Urgency.TIMELY:
        return deadline if deadline is not None else due + timedelta(hours=1)
    return deadline if deadline is not None else due + DIGEST_PATIENCE


def month_gone(now: datetime, tz: tzinfo) -> float:
    """The share of ``now``'s calendar month (in ``tz``) already gone, 0 to 1."""
    local = now.astimezone(tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return (local - start) / (end - start)


def push_time(urgency: Urgency, *, now: datetime, due: datetime, deadline: datetime, quiet: QuietHours,
              tz: ZoneInfo, billed: bool) -> datetime:
    """When the row may be pushed by the clock (on a billed platform: when it stops waiting for a free
    chance and asks the budget).

    ``now`` is when it is queued, ``due`` when the feature wants it out, ``deadline`` from
    :func:`deadline_for`.

    * urgent: at ``due``, quiet hours or not;
    * timely: the target is ``due`` on a free platform, and ``deadline - margin`` on a billed one (it waits
      for a free chance until then). A target inside quiet hours moves to just before they begin, so a
      survey closing at 17:00 tomorrow never reminds anyone at 01:00; if that moment has passed (the row
      was queued during the quiet hours) it goes when they end, or at once if the deadline comes first;
    * digest: at ``due`` on a free platform, or when quiet hours end; on a billed platform at its last
      call, :data:`DIGEST_LAST_CALL` before ``deadline`` (moved before quiet hours like a timely row):
      until then only a free chance delivers it, and then the budget check decides (see :class:`Budget`).
    """
    if urgency is Urgency.URGENT:
        return due
    if urgency is Urgency.DIGEST and not billed:
        return quiet.end_after(due, tz)
    margin = DIGEST_LAST_CALL if urgency is Urgency.DIGEST else TIMELY_MARGIN
    target = max(due, deadline - margin) if billed else due
    if not quiet.contains(target, tz):
        return target
    before = quiet.start_before(target, tz) - timedelta(minutes=1)
    if before >= now:
        return before
    after = quiet.end_after(target, tz)
    if urgency is Urgency.DIGEST:  # never pushed in the quiet hours, even past its deadline
        return after
    return after if after <= deadline else max(now, due)


@dataclass(frozen=True)
class QuotaReading:
    """What a billed platform last said about the month: its limit (None: none) and what is used."""

    limit: int | None
    used: int
    at: datetime


@dataclass(frozen=True)
class Plan:
    """A paid plan: a monthly fee for ``included`` messages, then ``extra`` baht each (before VAT)."""

    name: str
    fee: int
    included: int
    extra: float

    def cost(self, messages: int) -> float:
        return self.fee + max(0, messages - self.included) * self.extra


# LINE Official Account plans in Thailand (the free plan has 300 messages and no overage).
LINE_PLANS = (Plan("Basic", 1280, 15_000, 0.10), Plan("Pro", 1780, 35_000, 0.06))


@dataclass(frozen=True)
class Budget:
    """A month's push budget on a billed platform, in billed messages (recipients).

    Three parts, so that what must go out still can late in the month:

    * the **urgent reserve**: ``urgent_reserve`` of the limit, and at least enough for
      :data:`URGENT_PUSHES_RESERVED` pushes to the network's largest group (``largest_push``), but never
      more than half the limit. A 300-message month of a network with 40-member groups keeps 80
      (a late cancellation and an urgent announcement). What urgent pushes spent this month comes off it:
      once they have had it, what is left of the month serves the others;
    * the **people's cushion**: :data:`PEOPLE_SHARE` of the limit that timely pushes to one person
      (1 message) may use and timely pushes to a group may not: a reminder to the ten members going to a
      meeting costs 10, the same reminder to their group 40, so the group's waits for a free reply first;
    * the **general pool** (the limit less the urgent reserve), spread over the month: a digest reaches
      the budget only at its last call (:data:`DIGEST_LAST_CALL` before its latest acceptable delivery,
      no free chance came). It is pushed when that leaves the urgent reserve, cheapest first: the rows to
      one person waiting for their own push within :data:`CHEAPER_AHEAD` (``ahead``, 1 each) are counted
      before a group's (its member count); a group's also leaves the part of the people's cushion the
      rest of the month needs (the cushion times the share of the month to come), and what is not urgent
      may have spent, by a share f of the month gone (``month_gone``), at most (f + :data:`PACE_AHEAD`) of
      the pool, so an early-month run of group digests cannot starve the reminders and urgent pushes of
      the last week.
    """

    limit: int
    used: int
    urgent_reserve: float = DEFAULT_URGENT_RESERVE
    largest_push: int = 0
    # What urgent pushes already cost this month: the reserve is theirs, so it shrinks by it.
    urgent_spent: int = 0
    # The share of the calendar month gone (0 at its first moment, 1 at its end).
    month_gone: float = 1.0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def full_reserve(self) -> int:
        """The urgent reserve before this month's urgent pushes spent any of it."""
        share = int(round(self.limit * self.urgent_reserve))
        return max(share, min(self.limit // 2, URGENT_PUSHES_RESERVED * self.largest_push))

    @property
    def reserve(self) -> int:
        return max(0, self.full_reserve - self.urgent_spent)

    @property
    def cushion(self) -> int:
        return int(round(self.limit * PEOPLE_SHARE))

    @property
    def paced(self) -> int:
        """What pushes that are not urgent may have spent by now (the pool spread over the month)."""
        pool = max(0, self.limit - self.full_reserve)
        return int(pool * min(1.0, max(0.0, self.month_gone) + PACE_AHEAD))

    def allows(self, urgency: Urgency, cost: int, *, ahead: int = 0) -> bool:
        """May a push costing ``cost`` go out now? Urgent rows may spend everything; timely rows leave
        the urgent reserve, and a push to more than one person also the people's cushion; a digest (at
        its last call) leaves the urgent reserve and, to more than one person, also the ``ahead``
        cheaper rows and the month's pace (see the class)."""
        if cost <= 0:
            return True
        if urgency is Urgency.URGENT:
            return cost <= self.remaining
        spare = self.remaining - self.reserve
        if urgency is Urgency.TIMELY:
            return cost <= spare - (self.cushion if cost > 1 else 0)
        if cost == 1:
            return cost <= spare
        not_urgent_spent = max(0, self.used - self.urgent_spent)
        return (cost + ahead <= spare - self.people_ahead
                and not_urgent_spent + cost + ahead <= self.paced)

    @property
    def people_ahead(self) -> int:
        """The part of the people's cushion the rest of the month still needs (it shrinks as the month
        goes): a group's digest leaves it to the timely reminders to come."""
        return int(self.cushion * (1.0 - min(1.0, max(0.0, self.month_gone))))

    def forecast(self, day_of_month: int, days_in_month: int) -> int:
        """Billed messages at month end if spending goes on at this month's pace."""
        if day_of_month <= 0:
            return self.used
        return round(self.used * days_in_month / day_of_month)
