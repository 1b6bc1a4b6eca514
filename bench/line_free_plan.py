"""LINE on the free plan: a simulated term of the real bot against a fake LINE that bills like LINE.

``python -m bench.line_free_plan [--months 4] [--seed 1] [--k 0 0.5 2 10]``

What runs is the product: ``build_app`` (every feature, SQLite, a :class:`bot.clock.ManualClock`), the
real LINE adapter's answer path (:meth:`LineAdapter.respond`: the free reply and the catch-up it
carries) and the real outbox dispatcher with the real :class:`LineSender` (budget check, retry keys,
batching, 429 handling), talking HTTP to ``tests/fakes/line_api.py``. The fake bills like LINE: a push
costs one message per recipient (40 for a 40-member group), replies are free, and past the month's
quota (300, the free plan) a push is refused with 429 "You have reached your monthly limit.".
The users are driven like the console (``bot/adapters/console/simulator.py``): they type commands and
press buttons on what LINE actually delivered to their chat.

The reference network: 10 LINE groups × 40 members, 60 members reachable privately (parents who joined
with an invite code), a coordinator (alice) and a teacher (bob). Per month: 4 meetings, each called in
one group a week ahead (reminders 1 day and 1 hour before, to the group and privately to the 10 members
who answer Going; one of them cancelled 20 hours before: urgent), 2 surveys to every group and the 60
parents (a week open: live counts, a reminder to non-responders, results), 4 announcements (3 to every
group "free as groups talk", 1 urgent "push now" to one group), the weekly summary to every group (an
activity is logged each week so no week is quiet), a need posted each month and 2 pledges delivered
(thank-you notes, the school told). Each group has member chatter at random daytime times
(07:00–21:00), a mean of k messages a day; group members answer the survey card when they have it; each
parent writes to the bot privately at a tenth of that rate.

The naive baseline is the same run's workload pushed when due: every notification the features queued
(including those later superseded), batched per chat when queued together, billed per recipient and
without a monthly cap (LINE would refuse everything past 300); it is also shown without the rows a newer
one replaced (live survey counts: one card per answer). Lateness is against the time the
feature queued the row; "on time" is: urgent within a minute, timely by its deadline, digest within
24 hours. Lost: rows dead-lettered (a row still waiting at the end is shown apart); duplicated: a notification delivered to
a chat twice (a message object, other than a direct answer to a command, seen twice in one chat).

Speed: chatter in a chat with nothing waiting and nothing to answer does nothing in the product (no
reply, no catch-up), so the driver skips those events instead of sending them; everything else goes
through the whole pipeline. A term of 4 months at k = 10 takes a few minutes on a small machine.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import hashlib
import json
import logging
import random
import re
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.adapters.console.simulator import Console
from bot.adapters.line.adapter import LineAdapter
from bot.adapters.line.settings import LineSettings
from bot.app import App, Outcome
from bot.clock import ManualClock
from bot.config import Settings
from bot.model import ChatKind, ChatRef, Event, Reply, Sender
from bot.outbox import OutboxDispatcher
from edunet import build_app
from handlers._common.groups import short  # the label the bot shows (LINE: 20 characters at most)
from storage.tables import chats, outbox, scheduled_tasks
from tests.contracts.line_openapi import load_line_spec
from tests.fakes.line_api import FakeLineAPI

TZ = ZoneInfo("Asia/Bangkok")
START = datetime(2026, 11, 1, 7, 0, tzinfo=TZ)  # a Sunday; the term runs November to February
GROUPS, GROUP_SIZE, PRIVATE = 10, 40, 60
QUOTA = 300
TOKEN = "bench-channel-access-token"
DEBUG = bool(__import__("os").environ.get("BENCH_DEBUG"))


def line_id(prefix: str, name: str) -> str:
    return prefix + hashlib.md5(name.encode()).hexdigest()


class _NoWeb:
    """The adapter registers its routes; the benchmark calls the adapter directly."""

    def add_route(self, *_args: Any) -> None:
        pass


class ShowingSender:
    """The real LineSender; what it delivers is also remembered by the console (for button presses)."""

    def __init__(self, inner: Any, console: LineConsole) -> None:
        self.inner, self.console = inner, console
        self.batch_messages = inner.batch_messages

    def message_count(self, replies: list[Reply]) -> int:
        return int(self.inner.message_count(replies))

    async def admit(self, chat: Any, urgency: str) -> str | None:
        reason: str | None = await self.inner.admit(chat, urgency)
        return reason

    async def send(self, chat: Any, replies: list[Reply], *, retry_key: str) -> None:
        await self.inner.send(chat, replies, retry_key=retry_key)
        self.console.remember(chat.platform_chat_id, replies)

    async def send_batch(self, chat: Any, rows: Any) -> Any:
        result = await self.inner.send_batch(chat, rows)
        for replies, _key in list(rows)[:result.delivered]:
            self.console.remember(chat.platform_chat_id, replies)
        return result


class LineConsole(Console):
    """The console's users and script grammar, on LINE: realistic ids, a reply token per event from the
    fake, answers through :meth:`LineAdapter.respond`, pushes through the real LineSender."""

    def __init__(self, app: App, clock: ManualClock, adapter: LineAdapter, fake: FakeLineAPI) -> None:
        super().__init__(app, clock, ["line"], out=lambda _line: None)
        self.adapter, self.fake = adapter, fake
        self.dispatcher = OutboxDispatcher(app, {"line": ShowingSender(adapter.sender, self)})
        self.names: dict[str, str] = {}
        self.direct: Counter[tuple[str, str]] = Counter()  # direct answers seen per chat (not duplicates)
        original = adapter._reply_now

        async def reply_now(event: Event, chat: Any, replies: list[Reply], **options: Any) -> list[Reply]:
            mark = len(fake.requests)
            rest = await original(event, chat, replies, **options)
            self.remember(chat.platform_chat_id, [r for r in replies if id(r) not in self._own and r not in rest])
            n_own = sum(1 for r in replies if id(r) in self._own and r not in rest)
            for request in fake.requests[mark:]:
                if request.ok and request.path.endswith("/reply"):
                    for message in request.json["messages"][:n_own]:
                        self.direct[(chat.platform_chat_id, fingerprint(message))] += 1
            return rest

        adapter._reply_now = reply_now  # type: ignore[method-assign]
        self._own: set[int] = set()

    def remember(self, platform_chat_id: str, replies: list[Reply]) -> None:
        name = self.names.get(platform_chat_id, platform_chat_id)
        for reply in replies:
            self.show(name, reply)

    def _chat(self, user: str, chat: str) -> tuple[ChatRef, str]:
        if chat == "dm":
            ref, name = ChatRef("line", line_id("U", user), ChatKind.PRIVATE, None), f"dm:{user}"
        else:
            ref, name = ChatRef("line", line_id("C", chat), ChatKind.GROUP, chat), chat
        self.chat_names[("line", ref.chat_id)] = name
        self.names[ref.chat_id] = name
        return ref, name

    def _sender(self, user: str) -> Sender:
        return Sender(user_id=line_id("U", user), display_name=user.capitalize(), language_hint="th")

    async def _send_event(self, event: Event, chat_name: str) -> None:
        self.last_event = event
        event.reply_handle = self.fake.issue_reply_token(event.chat.chat_id)
        outcome: Outcome = await self.app.handle(event)
        self._own = {id(r) for r in outcome.replies}
        for reply in outcome.replies:
            self.show(chat_name, reply)
        await self.adapter.respond(event, outcome)
        self._own = set()
        await self.settle()


def fingerprint(message: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in message.items() if k != "quickReply"}, sort_keys=True, ensure_ascii=False)


def local(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def be_date(when: datetime) -> str:
    return f"{when.day}/{when.month}/{when.year + 543} {when:%H:%M}"


@dataclass(order=True)
class Action:
    at: datetime
    order: int
    lines: list[str] = field(compare=False)
    kind: str = field(compare=False, default="script")  # script | chatter | answer


class Term:
    """One simulated term at chatter rate ``k``."""

    def __init__(self, k: float, months: int, seed: int, workdir: Path, days: int | None = None) -> None:
        self.k, self.months, self.rng = k, months, random.Random(seed)
        self.days = days  # a shorter run (the smoke test): only the first ``days`` days of the workload
        self.workdir = workdir
        self.clock = ManualClock(START.astimezone(timezone.utc))
        self.actions: list[Action] = []
        self.skipped = 0
        self.answered: set[tuple[str, str | None]] = set()
        self.failures: list[str] = []
        # (when the next task or push is due, chats with something pending) while the bot has not acted
        self._known: tuple[datetime | None, set[str]] | None = None

    # ------------------------------------------------------------ set-up

    async def start(self) -> None:
        self.fake = await FakeLineAPI(TOKEN, spec=load_line_spec(), quota=QUOTA, clock=self.clock.now).start()
        for i in range(GROUPS):
            self.fake.add_group(line_id("C", f"g{i}"), f"กลุ่ม {i}",
                                members=[line_id("U", f"m{i}-{j}") for j in range(GROUP_SIZE)])
        url = f"sqlite+aiosqlite:///{self.workdir / 'term.db'}"
        self.app = build_app(Settings(database_url=url), clock=self.clock, operators_are_admins=True,
                             billed_platforms=frozenset({"line"}))
        await self.app.start()
        line = LineSettings(channel_secret="bench-secret", channel_access_token=TOKEN, api_base_url=self.fake.url,
                            data_api_base_url=self.fake.url)
        self.adapter = LineAdapter(self.app, line, _NoWeb())  # type: ignore[arg-type]
        self.console = LineConsole(self.app, self.clock, self.adapter, self.fake)

    async def close(self) -> None:
        await self.adapter.api.close()
        await self.app.close()
        await self.fake.close()

    async def run_lines(self, lines: list[str]) -> str:
        self._known = None  # the bot acts: what is due and what waits may change
        mark = len(self.console.transcript)
        for text in lines:
            await self.console.run_line(text)
        return "\n".join(self.console.transcript[mark:])

    def last_code(self) -> str:
        return re.findall(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b", "\n".join(self.console.transcript))[-1]

    async def network(self) -> None:
        await self.run_lines(["alice@dm: /newnetwork เครือข่ายพัฒนาคุณภาพการศึกษาอำเภอเมือง",
                              "alice@dm: [Join as coordinator]"])
        for i in range(GROUPS):
            await self.run_lines([f"alice@g{i}: /linkgroup"])
        await self.run_lines(["alice@dm: /invite teacher"])
        await self.run_lines([f"bob@dm: /join {self.last_code()}", "bob@dm: [Agree and register]",
                              "bob@dm: /org โรงเรียนบ้านหนองบัว"])
        await self.run_lines([f"alice@dm: /invite parent {PRIVATE} 30"])
        code = self.last_code()
        for p in range(PRIVATE):
            await self.run_lines([f"p{p}@dm: /join {code}", f"p{p}@dm: [Agree and register]"])
        await self.app.ensure_periodic()

    # ------------------------------------------------------------ the workload

    def add(self, at: datetime, lines: list[str], kind: str = "script") -> None:
        self.actions.append(Action(at.astimezone(timezone.utc), len(self.actions), lines, kind))

    def workload(self) -> None:
        rng = self.rng
        meeting = survey = announcement = 0
        for month in range(self.months):
            base = START + timedelta(days=30 * month + 1)  # Mondays and so on: days from the 2nd
            for j in range(4):  # meetings, called a week ahead in one group
                meeting += 1
                group = f"g{(4 * month + j) % GROUPS}"
                created = local(base + timedelta(days=7 * j), 10)
                starts = local(created + timedelta(days=7), 14)
                self.add(created, [f"alice@{group}: /meeting ประชุมครั้งที่ {meeting}", f"alice@{group}: {be_date(starts)}",
                                   f"alice@{group}: [1 ชั่วโมง]", f"alice@{group}: ห้องประชุม {meeting}",
                                   f"alice@{group}: [ไม่มีวาระ]", f"alice@{group}: [กลุ่มนี้]",
                                   f"alice@{group}: [สร้าง]"])
                for n, p in enumerate(rng.sample(range(PRIVATE), 10)):  # they answer Going on the card
                    self.add(created + timedelta(minutes=5 + n), [f"p{p}@{group}: [ไป]"], "answer")
                if j == 1:  # cancelled 20 hours before it starts: urgent
                    self.add(starts - timedelta(hours=20), ["alice@dm: /meetings",
                                                           f"alice@dm: [{short(f'#{meeting} ประชุมครั้งที่ {meeting}')}]",
                                                           "alice@dm: [ยกเลิกประชุม]", "alice@dm: [Yes, cancel it]"], "cancel")
            for s in range(2):  # surveys: a week open
                survey += 1
                opens = local(base + timedelta(days=2 + 14 * s), 10)
                closes = local(opens + timedelta(days=7), 17)
                self.add(opens, ["alice@dm: /survey", f"alice@dm: แบบสำรวจครั้งที่ {survey}",
                                 "alice@dm: [Rating (5 levels)]", "alice@dm: ท่านพึงพอใจการสื่อสารของโรงเรียนเพียงใด",
                                 "alice@dm: [Done adding questions]", "alice@dm: [Parents]", "alice@dm: [ทุกหน่วยงาน]",
                                 "alice@dm: [All groups]",
                                 "alice@dm: [Named]", f"alice@dm: {be_date(closes)}", "alice@dm: [Publish]"])
            for a in range(4):  # announcements: three free as groups talk, one pushed now to one group
                announcement += 1
                when = local(base + timedelta(days=1 + 7 * a), 9 + a)
                text = f"alice@dm: ประกาศครั้งที่ {announcement}: ขอเชิญผู้ปกครองร่วมกิจกรรม"
                if a == 2:
                    self.add(when, ["alice@dm: /announce", text, "alice@dm: [ไม่มีภาพ]", "alice@dm: [เลือกกลุ่ม]",
                                    f"alice@dm: [g{rng.randrange(GROUPS)}]", "alice@dm: [เสร็จแล้ว]", "alice@dm: [2]"],
                             "urgent")
                else:
                    self.add(when, ["alice@dm: /announce", text, "alice@dm: [ไม่มีภาพ]", "alice@dm: [ทุกกลุ่ม]",
                                    "alice@dm: [1]"])
            for w in range(5):  # an activity a week, so no weekly summary is quiet
                day = local(base + timedelta(days=7 * w + 2), 15)
                self.add(day, [f'alice@g{w % GROUPS}: /log อบรม {be_date(day).split()[0]} "อบรมครูครั้งที่ {month}-{w}" '
                               "30 คน 3 ชม."])
            need = local(base + timedelta(days=3), 11)  # a need, two pledges, their deliveries
            due = need + timedelta(days=60)
            self.add(need, ["bob@dm: /need", "bob@dm: [materials/equipment]", f"bob@dm: หนังสือห้องสมุด เดือนที่ {month}",
                            "bob@dm: 100 เล่ม", f"bob@dm: {be_date(due).split()[0]}", "bob@dm: [Post]"])
            for n in range(2):
                p, pledge = rng.randrange(PRIVATE), 2 * month + n + 1
                self.add(need + timedelta(days=2 + n), [f"p{p}@dm: /pledge {month + 1}", f"p{p}@dm: 10",
                                                        f"p{p}@dm: [individual/parent]", f"p{p}@dm: [In a week]",
                                                        f"p{p}@dm: [Confirm pledge]"], "pledge")
                self.add(need + timedelta(days=9 + n), ["bob@dm: /pledges", f"bob@dm: [#{pledge}]",
                                                        "bob@dm: [Mark delivered]", "bob@dm: [Skip]"], "delivery")
        self.chatter()
        if self.days is not None:
            horizon = (START + timedelta(days=self.days)).astimezone(timezone.utc)
            tail = horizon + timedelta(days=3)  # members keep talking a few days after the last action
            self.actions = [a for a in self.actions if a.at < (tail if a.kind == "chatter" else horizon)]
        self.actions.sort()

    def chatter(self) -> None:
        rng, days = self.rng, 30 * self.months + 3
        for chats_, rate in (([f"g{i}" for i in range(GROUPS)], self.k), ([f"p{i}" for i in range(PRIVATE)],
                                                                             self.k / 10)):
            for chat in chats_:
                for day in range(days):
                    for _ in range(poisson(rate, rng)):
                        at = START + timedelta(days=day, minutes=rng.uniform(0, 14 * 60))
                        if chat.startswith("g"):
                            who = f"m{chat[1:]}-{rng.randrange(GROUP_SIZE)}"
                            self.add(at, [f"{who}@{chat}: วันนี้ฝนตกไหมคะ"], "chatter")
                        else:
                            self.add(at, [f"{chat}@dm: สวัสดีค่ะ"], "chatter")

    # ------------------------------------------------------------ running

    async def next_due(self) -> datetime | None:
        """When the next task or push is due (read again only after the bot did something: a skipped
        chatter message changes nothing, so a run of them costs no query)."""
        if self._known is None:
            self._known = await self._read_state()
        return self._known[0]

    async def _read_state(self) -> tuple[datetime | None, set[str]]:
        async with self.app.db.transaction() as conn:
            waiting = set((await conn.execute(sa.select(chats.c.platform_chat_id).select_from(outbox.join(chats))
                                               .where(outbox.c.status == "pending").distinct())).scalars())
            task = (await conn.execute(sa.select(sa.func.min(scheduled_tasks.c.run_at))
                                       .where(scheduled_tasks.c.status == "pending"))).scalar_one_or_none()
            row = (await conn.execute(sa.select(sa.func.min(outbox.c.not_before))
                                      .where(outbox.c.status == "pending"))).scalar_one_or_none()
        times = [t for t in (task, row) if t is not None]
        return (min(times) if times else None), waiting

    async def advance_to(self, when: datetime) -> None:
        """Move the clock to ``when``, running every task and push at its own time on the way."""
        for _ in range(100_000):
            due = await self.next_due()
            now = self.clock.now()
            if due is None or due > when:
                break
            self.clock.set(max(due, now + timedelta(seconds=1)) if due <= now else due)
            await self.settle()
        if when > self.clock.now():
            self.clock.set(when)
            if self._known is None or self._known[0] is not None and self._known[0] <= when:
                await self.settle()

    async def settle(self) -> None:
        self._known = None
        await self.console.settle()

    async def waiting(self, platform_chat_id: str) -> bool:
        if self._known is None:
            self._known = await self._read_state()
        return platform_chat_id in self._known[1]

    async def act(self, action: Action) -> None:
        if action.kind == "chatter":
            user, _, chat = action.lines[0].partition(":")[0].partition("@")
            ref, name = self.console._chat(user, chat)
            # Members answer a survey they have (once): on the card in a group, through "Answer" privately.
            label = "มากที่สุด" if chat.startswith("g") else "Answer"
            button = self.console._find_button(name, label)
            if button is not None and (user, button.payload) not in self.answered and self.rng.random() < 0.5:
                self.answered.add((user, button.payload))
                action.lines = [f"{user}@{chat}: [{label}]"]
                if not chat.startswith("g"):  # the question follows, unless the survey has closed
                    await self.run_lines(action.lines)
                    if self.console._find_button(name, "มากที่สุด") is None:
                        return
                    action.lines = [f"{user}@{chat}: [มากที่สุด]"]
            elif not await self.waiting(ref.chat_id):
                self.skipped += 1  # nothing waits, nothing to answer: the product would do nothing
                return
        try:
            await self.run_lines(action.lines)
        except Exception as exc:  # a button not there (yet): the user could not do it; say so in the figures
            self.failures.append(f"{action.kind} at {action.at.astimezone(TZ):%Y-%m-%d %H:%M}: {exc}")
            if DEBUG:
                print(self.failures[-1], "\n".join(self.console.transcript[-12:]), sep="\n")
            await self.settle()

    async def run(self) -> dict[str, Any]:
        await self.network()
        self.workload()
        for action in self.actions:
            await self.advance_to(action.at)
            await self.act(action)
        end = START + timedelta(days=30 * self.months + 3 if self.days is None else self.days + 3)
        await self.advance_to(end.astimezone(timezone.utc))
        return await self.figures()

    # ------------------------------------------------------------ figures

    async def figures(self) -> dict[str, Any]:
        async with self.app.db.transaction() as conn:
            rows = (await conn.execute(
                sa.select(outbox.c.key, outbox.c.status, outbox.c.urgency, outbox.c.created_at, outbox.c.deliver_by,
                          outbox.c.sent_at, outbox.c.via, chats.c.kind, chats.c.platform_chat_id)
                .join(chats, chats.c.id == outbox.c.chat_id))).all()
        months = [f"{(START + timedelta(days=31 * m)).astimezone(timezone.utc):%Y-%m}" for m in range(self.months)]
        billed = self.fake.billed_by_month()
        naive: Counter[str] = Counter()
        for (chat_id, created), _ in Counter((r.platform_chat_id, r.created_at) for r in rows).items():
            naive[f"{created.astimezone(timezone.utc):%Y-%m}"] += self.fake.recipients(chat_id)
        # The same without the rows a newer one replaced (mostly live survey counts, one per answer).
        kept: Counter[str] = Counter()
        for (chat_id, created), _ in Counter((r.platform_chat_id, r.created_at) for r in rows
                                             if r.status != "superseded").items():
            kept[f"{created.astimezone(timezone.utc):%Y-%m}"] += self.fake.recipients(chat_id)
        lateness: dict[str, list[float]] = {"urgent": [], "timely": [], "digest": []}
        on_time: dict[str, list[bool]] = {"urgent": [], "timely": [], "digest": []}
        for r in rows:
            if r.status != "sent" or r.urgency not in lateness:
                continue
            late = r.sent_at - r.created_at
            lateness[r.urgency].append(late.total_seconds() / 60)
            on_time[r.urgency].append(late <= timedelta(minutes=1) if r.urgency == "urgent"
                                      else r.sent_at <= r.deliver_by if r.urgency == "timely"
                                      else late <= timedelta(hours=24))
        seen: Counter[tuple[str, str]] = Counter()
        for request in self.fake.requests:
            if request.ok and request.path.endswith(("/push", "/reply")):
                for message in request.json["messages"]:
                    seen[(request.delivered_to[0], fingerprint(message))] += 1
        # A message seen n times in a chat, d of them as direct answers (the same "Saved." twice is fine).
        duplicated = sum(max(0, n - self.console.direct.get(key, 0) - 1) for key, n in seen.items())
        status = Counter(r.status for r in rows)
        late_kinds = Counter(f"{r.urgency}:{r.key.split(':')[0]}:{r.kind}:{r.via}" for r in rows if r.status == "sent" and (
            (r.urgency == "timely" and r.sent_at > r.deliver_by)
            or (r.urgency == "digest" and r.sent_at - r.created_at > timedelta(hours=24))
            or (r.urgency == "urgent" and r.sent_at - r.created_at > timedelta(minutes=1))))
        if DEBUG:
            async with self.app.db.transaction() as conn:
                for r in (await conn.execute(sa.select(outbox).where(outbox.c.urgency == "timely",
                                                                     outbox.c.sent_at > outbox.c.deliver_by)
                                             .limit(8))).all():
                    print(r.key, r.created_at, r.deliver_by, r.not_before, r.sent_at, r.wait_reason, r.attempts,
                          r.last_error, r.via)
            print("late:", dict(late_kinds))
            print("all:", dict(Counter(f"{r.urgency}:{r.key.split(':')[0]}:{r.kind}:{r.status}:{r.via}" for r in rows)))
        return {
            "billed_per_month": [billed.get(m, 0) for m in months],
            "naive_billed_per_month": [naive.get(m, 0) for m in months],
            "naive_kept_per_month": [kept.get(m, 0) for m in months],
            "lateness_minutes": {u: percentiles(v) for u, v in lateness.items()},
            "on_time_share": {u: (sum(v) / len(v) if v else 1.0) for u, v in on_time.items()},
            "rows": len(rows), "sent": status["sent"], "via_reply": sum(1 for r in rows if r.via == "reply"),
            "riders": self.console.dispatcher.stats["riders"],
            "superseded": status["superseded"], "waiting_at_end": status["pending"], "dead": status["dead"],
            "lost": status["dead"], "duplicated": duplicated,
            "violations": len(self.fake.violations), "skipped_chatter": self.skipped,
            "failed_actions": self.failures,
        }


def poisson(rate: float, rng: random.Random) -> int:
    if rate <= 0:
        return 0
    limit, n, p = pow(2.718281828459045, -rate), 0, rng.random()
    while p > limit:
        n += 1
        p *= rng.random()
    return n


def percentiles(values: list[float]) -> tuple[float, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# The term's SQLite database lives in memory-backed storage where there is some (no disk syncs).
SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None


async def run_term(k: float, months: int, seed: int, days: int | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=SCRATCH) as workdir:
        term = Term(k, months, seed, Path(workdir), days)
        await term.start()
        try:
            figures = await term.run()
        finally:
            await term.close()
    figures["seconds"] = time.perf_counter() - started
    return figures


def run(months: int = 4, seed: int = 1, ks: tuple[float, ...] = (0, 0.5, 2, 10),
        jobs: int = 1) -> dict[float, dict[str, Any]]:
    """One term per k; with ``jobs`` > 1 the terms run side by side, each in a process of its own (they
    share nothing: each has its own database, fake LINE and simulated clock)."""
    if jobs <= 1 or len(ks) <= 1:
        return {k: _run_one(k, months, seed) for k in ks}
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(ks))) as pool:
        futures = {k: pool.submit(_run_one, k, months, seed) for k in ks}
        return {k: future.result() for k, future in futures.items()}


def _run_one(k: float, months: int, seed: int) -> dict[str, Any]:
    logging.getLogger().setLevel(logging.ERROR)
    return asyncio.run(run_term(k, months, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--months", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k", type=float, nargs="+", default=[0, 0.5, 2, 10])
    parser.add_argument("--jobs", type=int, default=1, help="terms run side by side (one process each)")
    args = parser.parse_args()
    print(f"reference network: {GROUPS} LINE groups × {GROUP_SIZE} members, {PRIVATE} members privately; quota "
          f"{QUOTA}/month (free plan); one group push = {GROUP_SIZE} billed messages; {args.months} months")
    results = run(args.months, args.seed, tuple(args.k), jobs=args.jobs)
    for k in args.k:
        r = results[k]
        print(f"\nk = {k:g} messages/day per group ({r['seconds'] / 60:.1f} min of wall time)")
        print(f"  billed per month   free-first {r['billed_per_month']}   naive {r['naive_billed_per_month']} "
              f"(without the replaced live counts {r['naive_kept_per_month']})")
        for urgency in ("urgent", "timely", "digest"):
            late, share = r["lateness_minutes"][urgency], r["on_time_share"][urgency]
            target = {"urgent": "within 1 min", "timely": "before deadline", "digest": "within 24 h"}[urgency]
            text = "no rows" if late is None else f"median {late[0]:.0f} min, p95 {late[1]:.0f} min"
            print(f"  {urgency:<7} lateness vs due: {text}; {share:.0%} {target}")
        print(f"  {r['rows']} notifications: {r['sent']} sent ({r['via_reply']} free in replies, "
              f"{r['riders']} free riders on paid pushes), "
              f"{r['superseded']} superseded, waiting at the end {r['waiting_at_end']}, dead {r['dead']}; "
              f"lost {r['lost']}, duplicated {r['duplicated']}; spec violations {r['violations']}")
        if r["failed_actions"]:
            print(f"  {len(r['failed_actions'])} user actions could not be done, e.g. {r['failed_actions'][:3]}")


if __name__ == "__main__":
    main()
