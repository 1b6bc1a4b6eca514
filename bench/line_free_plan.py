"""LINE on the free plan: a simulated term with LINE's billing, free delivery first vs pushing naively.

``python -m bench.line_free_plan [--months 4] [--seed 1] [--k 0 0.5 2 10]``

The reference network: 10 LINE groups × 40 members and 60 members reachable privately. Per month:
4 meetings (card, reminders 1 day and 1 hour before to the invited group and privately to 10 attendees;
one of them moved within 24 hours: urgent, to its invited group), 2 surveys (cards to every group and
privately to the 60, live counts per group, a reminder to 30 non-responders, results), 4 announcements
(3 "deliver free as groups talk" within a day to every group, 1 urgent to one group), the weekly summary
to every group, 8 thank-you notes for pledges delivered and 4 new needs (one group each). Each group has
member chatter at random daytime times (07:00–21:00), a mean of k messages a day; each member writes to
the bot privately at a tenth of that rate.

Billing is LINE's: a push costs one message per recipient (40 for a group) however many message
objects it holds (≤ 5); replies are free; a push beyond the month's quota (300, the free plan) is refused
("monthly limit") and waits. The delivery rules are the product's: urgency classes, ``push_time`` and
quiet hours, ``Budget.allows`` before a push (20 % kept for urgent ones), the free catch-up on a chat's
next event (≤ 5 objects, once per chat per 30 minutes) and supersede by topic (bot/delivery_policy.py).
This script models the dispatcher and the catch-up on the simulated clock (no database, no HTTP), so
it can run a term per k in seconds; the mechanisms themselves are tested in tests/.

Honest arithmetic: with 40 members a group push is 40 billed messages, so a 300-message month holds
about seven group pushes; the workload's urgent items are sized for that (the urgent announcement and
the moved meeting go to one group each). The naive baseline pushes every notification when due.
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.delivery_policy import (DEFAULT_QUIET, TIMELY_MARGIN, Budget, QuietHours, Urgency, deadline_for,
                                 push_time)

TZ = ZoneInfo("Asia/Bangkok")
START = datetime(2026, 11, 1, 0, 0, tzinfo=TZ).astimezone(timezone.utc)
GROUPS, GROUP_SIZE, PRIVATE = 10, 40, 60
QUOTA = 300
MAX_OBJECTS = 5
CATCHUP = timedelta(minutes=30)


@dataclass
class Note:
    """One notification: to a chat (``g3`` a group, ``p17`` a private chat)."""

    id: int
    chat: str
    urgency: Urgency
    due: datetime
    deadline: datetime
    objects: int = 1
    topic: str | None = None
    delivered: list[datetime] = field(default_factory=list)
    superseded: bool = False

    @property
    def cost(self) -> int:
        return GROUP_SIZE if self.chat.startswith("g") else 1


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return (datetime(2026, 11, 1, tzinfo=TZ) + timedelta(days=day, hours=hour, minutes=minute)).astimezone(timezone.utc)


def workload(months: int, rng: random.Random) -> list[Note]:
    notes: list[Note] = []

    def add(chat: str, urgency: Urgency, due: datetime, deadline: datetime | None = None, *, objects: int = 1,
            topic: str | None = None) -> None:
        notes.append(Note(len(notes), chat, urgency, due, deadline_for(urgency, due, deadline), objects, topic))

    groups = [f"g{i}" for i in range(GROUPS)]
    people = [f"p{i}" for i in range(PRIVATE)]
    for month in range(months):
        base = month * 30
        for m in range(4):  # meetings: created a week ahead, reminders 1 day and 1 hour before
            group, start = groups[rng.randrange(GROUPS)], at(base + 7 * m + 8, 14)
            attendees = rng.sample(people, 10)
            add(group, Urgency.TIMELY, start - timedelta(days=7), start)
            for before in (timedelta(days=1), timedelta(hours=1)):
                for chat in [group, *attendees]:
                    add(chat, Urgency.TIMELY, start - before, start)
            if m == 1:  # moved within 24 hours: urgent, to its invited group
                add(group, Urgency.URGENT, start - timedelta(hours=20))
        for s in range(2):  # surveys: a week open
            opens, closes = at(base + 3 + 14 * s, 10), at(base + 10 + 14 * s, 17)
            for chat in groups:
                add(chat, Urgency.TIMELY, opens, closes, objects=3)
                for day in range(1, 7):  # live counts, one topic per card
                    add(chat, Urgency.DIGEST, opens + timedelta(days=day), topic=f"counts:{s}:{chat}")
                add(chat, Urgency.DIGEST, closes, objects=2)  # results
            for chat in people:
                add(chat, Urgency.TIMELY, opens, closes)
            for chat in rng.sample(people, 30):
                add(chat, Urgency.TIMELY, closes - timedelta(days=2), closes)
        for a in range(4):  # announcements: three free within a day, one urgent to one group
            when = at(base + 2 + 7 * a, 9 + a)
            if a == 2:
                add(groups[rng.randrange(GROUPS)], Urgency.URGENT, when)
            else:
                for chat in groups:
                    add(chat, Urgency.TIMELY, when, when + timedelta(hours=24))
        for week in range(4):  # the weekly summary: card and chart, a newer one replaces a waiting one
            for chat in groups:
                add(chat, Urgency.DIGEST, at(base + 7 * week + 1, 8), objects=2, topic=f"summary:{chat}")
        for n in range(8):  # thank-you notes for delivered pledges
            add(people[rng.randrange(PRIVATE)], Urgency.DIGEST, at(base + rng.randrange(30), rng.randrange(8, 18)))
        for n in range(4):  # new needs
            add(groups[rng.randrange(GROUPS)], Urgency.DIGEST, at(base + rng.randrange(30), rng.randrange(8, 18)))
    return notes


def chatter(months: int, k: float, rng: random.Random) -> list[tuple[datetime, str]]:
    """Free chances: members' messages at random daytime times, k a day per group, k/10 per private chat."""
    events = []
    days = months * 30
    for chats, rate in (([f"g{i}" for i in range(GROUPS)], k), ([f"p{i}" for i in range(PRIVATE)], k / 10)):
        for chat in chats:
            for day in range(days):
                count = _poisson(rate, rng)
                for _ in range(count):
                    events.append((at(day, 7) + timedelta(minutes=rng.uniform(0, 14 * 60)), chat))
    return sorted(events)


def _poisson(rate: float, rng: random.Random) -> int:
    if rate <= 0:
        return 0
    limit, n, p = pow(2.718281828459045, -rate), 0, rng.random()
    while p > limit:
        n += 1
        p *= rng.random()
    return n


@dataclass
class Month:
    billed: int = 0
    refused: int = 0


def simulate(notes: list[Note], events: list[tuple[datetime, str]], months: int, *, naive: bool) -> dict[str, object]:
    """Run the term; returns billed messages per month, lateness per class, lost and duplicated."""
    quiet = QuietHours.parse(DEFAULT_QUIET)
    billing = [Month() for _ in range(months + 1)]
    pending: dict[str, list[Note]] = {}
    last_catchup: dict[str, datetime] = {}
    queue: list[tuple[datetime, int, str, int]] = []  # (when, order, what, note id)
    order = 0

    def schedule(when: datetime, what: str, note_id: int) -> None:
        nonlocal order
        heapq.heappush(queue, (when, order, what, note_id))
        order += 1

    for note in notes:
        schedule(note.due, "queue", note.id)
    for when, chat in events:
        if not naive:
            heapq.heappush(queue, (when, order, "chat:" + chat, -1))
            order += 1
    end = START + timedelta(days=30 * months + 30)

    def month_of(when: datetime) -> Month:
        return billing[min(months, (when - START).days // 30)]

    def push(chat: str, batch: list[Note], now: datetime) -> bool:
        """One push of ``batch`` (≤ 5 objects, one chat): billed like LINE, refused past the quota."""
        month = month_of(now)
        cost = batch[0].cost
        if month.billed + cost > QUOTA:
            month.refused += 1
            return False
        month.billed += cost
        for note in batch:
            note.delivered.append(now)
            pending[chat].remove(note)
        return True

    while queue:
        now, _, what, note_id = heapq.heappop(queue)
        if now > end:
            break
        if what == "queue":
            note = notes[note_id]
            chat_rows = pending.setdefault(note.chat, [])
            if note.topic and not naive:
                for older in [n for n in chat_rows if n.topic == note.topic]:
                    older.superseded = True
                    chat_rows.remove(older)
            chat_rows.append(note)
            if naive:
                schedule(now, "push", note_id)
                continue
            when = push_time(note.urgency, now=now, due=note.due, deadline=note.deadline, quiet=quiet, tz=TZ,
                             billed=True)
            schedule(when or note.deadline, "push", note_id)
        elif what == "push":
            note = notes[note_id]
            if note.delivered or note.superseded:
                continue
            chat_rows = pending[note.chat]
            batch, objects = [], 0
            for row in sorted(chat_rows, key=lambda n: list(Urgency).index(n.urgency)):
                if objects + row.objects <= MAX_OBJECTS and (row is note or naive or row.due <= now):
                    batch.append(row)
                    objects += row.objects
            if note not in batch:
                batch = [note]
            month = month_of(now)
            # What is spent only grows within a month: a refused push is looked at again (hourly in
            # the product) to no avail until the quota resets; a free reply may carry it before.
            next_month = START + timedelta(days=30 * ((now - START).days // 30 + 1))
            if not naive:
                budget = Budget(limit=QUOTA, used=month.billed)
                if not budget.allows(note.urgency, note.cost):
                    schedule(next_month, "push", note_id)
                    continue
            if not push(note.chat, batch, now) and not naive:
                schedule(next_month, "push", note_id)  # monthly limit: waits, no retry burnt
        else:  # a member wrote in the chat: the free reply carries what waits (once per interval)
            chat = what.removeprefix("chat:")
            rows = pending.get(chat)
            if not rows or now - last_catchup.get(chat, START - CATCHUP) < CATCHUP:
                continue
            objects = 0
            carried = []
            for row in list(rows):
                if objects + row.objects > MAX_OBJECTS:
                    break
                objects += row.objects
                carried.append(row)
            for row in carried:
                row.delivered.append(now)
                rows.remove(row)
            last_catchup[chat] = now

    waiting = {n.id for rows in pending.values() for n in rows}
    return summarise(notes, billing[:months], waiting)


def summarise(notes: list[Note], billing: list[Month], waiting: set[int]) -> dict[str, object]:
    """Figures of one run; ``waiting``: notes still queued at the end (next month's quota or chatter)."""
    lateness: dict[str, list[float]] = {u.value: [] for u in Urgency}
    on_time: dict[str, list[bool]] = {u.value: [] for u in Urgency}
    for note in notes:
        if note.superseded or not note.delivered:
            continue
        delivered = note.delivered[0]
        lateness[note.urgency.value].append((delivered - note.due).total_seconds() / 60)
        if note.urgency is Urgency.URGENT:
            on_time["urgent"].append(delivered - note.due <= timedelta(minutes=1))
        elif note.urgency is Urgency.TIMELY:
            on_time["timely"].append(delivered <= note.deadline)
        else:
            on_time["digest"].append(delivered - note.due <= timedelta(hours=24))
    return {
        "billed_per_month": [m.billed for m in billing],
        "refused_pushes": sum(m.refused for m in billing),
        "lateness_minutes": {u: _percentiles(v) for u, v in lateness.items()},
        "on_time_share": {u: (sum(v) / len(v) if v else 1.0) for u, v in on_time.items()},
        "waiting_at_end": len(waiting),
        "superseded": sum(1 for n in notes if n.superseded),
        # Neither delivered, nor still queued, nor replaced by a newer one of its topic: gone.
        "lost": sum(1 for n in notes if not n.delivered and not n.superseded and n.id not in waiting),
        "duplicated": sum(1 for n in notes if len(n.delivered) > 1),
        "notes": len(notes),
    }


def _percentiles(values: list[float]) -> tuple[float, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run(months: int = 4, seed: int = 1, ks: tuple[float, ...] = (0, 0.5, 2, 10)) -> dict[float, dict[str, object]]:
    results: dict[float, dict[str, object]] = {}
    for k in ks:
        rng = random.Random(seed)
        notes = workload(months, rng)
        events = chatter(months, k, rng)
        free = simulate([_copy(n) for n in notes], events, months, naive=False)
        naive = simulate([_copy(n) for n in notes], events, months, naive=True)
        free["naive_billed_per_month"] = naive["billed_per_month"]
        free["naive_refused_pushes"] = naive["refused_pushes"]
        results[k] = free
    return results


def _copy(note: Note) -> Note:
    return Note(note.id, note.chat, note.urgency, note.due, note.deadline, note.objects, note.topic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--months", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k", type=float, nargs="+", default=[0, 0.5, 2, 10])
    args = parser.parse_args()
    print(f"reference network: {GROUPS} LINE groups × {GROUP_SIZE} members, {PRIVATE} members privately; "
          f"quota {QUOTA}/month (free plan); one group push = {GROUP_SIZE} billed messages, so a month "
          f"holds about {QUOTA // GROUP_SIZE} group pushes")
    for k, r in run(args.months, args.seed, tuple(args.k)).items():
        print(f"\nk = {k:g} messages/day per group")
        print(f"  billed per month      free-first {r['billed_per_month']}   naive {r['naive_billed_per_month']} "
              f"(naive pushes refused at the limit: {r['naive_refused_pushes']})")
        for urgency in ("urgent", "timely", "digest"):
            late = r["lateness_minutes"][urgency]  # type: ignore[index]
            share = r["on_time_share"][urgency]  # type: ignore[index]
            target = {"urgent": "within 1 min", "timely": "before deadline", "digest": "within 24 h"}[urgency]
            text = "no rows" if late is None else f"median {late[0]:.0f} min, p95 {late[1]:.0f} min"
            print(f"  {urgency:<7} lateness vs due: {text}; {share:.0%} {target}")
        print(f"  waiting at the end {r['waiting_at_end']}, superseded {r['superseded']}, "
              f"lost {r['lost']}, duplicated {r['duplicated']} (of {r['notes']} notifications)")


if __name__ == "__main__":
    main()
