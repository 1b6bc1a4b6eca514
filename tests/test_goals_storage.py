"""Goals, targets and the work plan on SQLite and PostgreSQL: the migration matches the tables, numbers
are never reused, and every target kind's actual value moves with the data the bot keeps, for the
academic year, without anyone typing a number."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.academic import DEFAULT_CALENDAR
from storage.activity_repo import ActivityRepo
from storage.db import Database
from storage.goals import GoalRepo, MeasureRepo, Measured, PlanRepo, Target, TargetError
from storage.meetings import MeetingRepo
from storage.membership import MemberRepo, NetworkRepo, OrganisationRepo
from storage.resource_repo import NeedRepo, PledgeRepo
from storage.surveys import SurveyRepo

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
BANGKOK = ZoneInfo("Asia/Bangkok")
YEAR = DEFAULT_CALENDAR.year(2569)  # 16 May 2026 – 15 May 2027


async def setting(conn):  # type: ignore[no-untyped-def]
    a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=NOW)
    b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=NOW)
    school = await OrganisationRepo(conn).get_or_create(a.id, "โรงเรียน ก", now=NOW)
    members = MemberRepo(conn)
    bob = await members.add(a.id, platform="line", platform_user_id="U1", display_name="Bob", role="teacher",
                            language="th", now=NOW)
    zed = await members.add(b.id, platform="line", platform_user_id="U2", display_name="Zed", role="teacher",
                            language="th", now=NOW)
    return a, b, school, bob, zed


async def actual(conn, target: Target, now: datetime = NOW) -> Decimal | None:  # type: ignore[no-untyped-def]
    return (await MeasureRepo(conn).actual(target, YEAR.start, YEAR.end, tz=BANGKOK, now=now)).value


async def test_the_migration_creates_what_the_tables_say(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import storage.all_tables  # noqa: F401
    from storage.tables import metadata

    async with db.transaction() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(
            MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
    mine = ("goal", "indicator_reports", "plan_")
    assert [d for d in diff if any(name in repr(d) for name in mine)] == []


async def test_goals_are_numbered_per_network_and_a_number_is_never_reused(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, _school, bob, _zed = await setting(conn)
        repo = GoalRepo(conn)
        first = await repo.create(a.id, academic_year=2569, aim="personnel", title="ครูได้รับการพัฒนา",
                                  created_by=bob.id, now=NOW)
        second = await repo.create(a.id, academic_year=2569, aim="equity", title="ลดความเหลื่อมล้ำ", created_by=None,
                                   now=NOW)
        other = await repo.create(b.id, academic_year=2569, aim="equity", title="B", created_by=None, now=NOW)
        assert (first.number, second.number, other.number) == (1, 2, 1)
        assert await repo.remove(a.id, second.id, NOW) and not await repo.remove(a.id, second.id, NOW)
        third = await repo.create(a.id, academic_year=2570, aim="innovation", title="นวัตกรรม", created_by=None,
                                  now=NOW)
        assert third.number == 3  # 2 was removed, and stays taken
        assert [g.number for g in await repo.of_year(a.id, 2569)] == [1]
        assert await repo.by_number(a.id, 2) is None and await repo.by_number(b.id, 3) is None
        with pytest.raises(ValueError):
            await repo.create(a.id, academic_year=2569, aim="happiness", title="?", created_by=None, now=NOW)
        t1 = await repo.add_target(first, kind="participants", params={"category": "workshop"},
                                   value=Decimal(300), unit="คน", owner_id=None, now=NOW)
        t2 = await repo.add_target(first, kind="manual", params={}, value=Decimal(50), unit="%", owner_id=bob.id,
                                   now=NOW)
        assert (t1.position, t2.position) == (1, 2)
        loaded = await repo.by_number(a.id, 1)
        assert loaded is not None and [t.kind for t in loaded.targets] == ["participants", "manual"]
        for kind, params, value in [("tea", {}, 1), ("activities", {}, 0), ("activities", {"colour": "red"}, 1),
                                    ("activities", {"aim": "equity", "category": "workshop"}, 1),
                                    ("resources", {"stage": "pledged", "measure": "quantity"}, 1),
                                    ("survey_mean", {"survey": 1}, 4),
                                    ("survey_response_rate", {"survey": 1, "question": "1"}, 80),
                                    ("meetings", {"kind": "leaders"}, 1),
                                    ("attendance", {"meeting_kind": "picnic"}, 1),
                                    ("attendance", {"meeting_kind": "leaders", "project": 1}, 1)]:
            with pytest.raises(TargetError):
                await repo.add_target(first, kind=kind, params=params, value=Decimal(value), unit="", owner_id=None,
                                      now=NOW)
        with pytest.raises(TargetError):
            await repo.report(t1, value=Decimal(1), reported_by=bob.id, note=None, now=NOW)


async def test_activity_targets_move_with_activities_logged_in_the_year(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, bob, zed = await setting(conn)
        goal = await GoalRepo(conn).create(a.id, academic_year=2569, aim="personnel", title="g", created_by=None,
                                           now=NOW)
        add = GoalRepo(conn).add_target
        workshops = await add(goal, kind="activities", params={"category": "workshop"}, value=Decimal(24),
                              unit="ครั้ง", owner_id=None, now=NOW)
        innovation = await add(goal, kind="activities", params={"aim": "innovation"}, value=Decimal(30), unit="ครั้ง",
                               owner_id=None, now=NOW)
        people = await add(goal, kind="participants", params={}, value=Decimal(300), unit="คน", owner_id=None,
                           now=NOW)
        hours = await add(goal, kind="hours", params={"category": "workshop"}, value=Decimal(100), unit="ชม.",
                          owner_id=None, now=NOW)
        assert [await actual(conn, t) for t in (workshops, innovation, people, hours)] == [0, 0, 0, 0]
        log = ActivityRepo(conn).add
        for day, category, aim, n, minutes in [
                (date(2026, 6, 1), "workshop", "innovation", 35, 180),
                (date(2026, 11, 20), "exchange", "innovation", 12, 90),
                (date(2026, 8, 3), "meeting", "efficiency", 20, None),
                (date(2026, 5, 15), "workshop", "innovation", 99, 600),  # the year before
                (date(2027, 5, 16), "workshop", "innovation", 99, 600)]:  # the year after
            await log(a.id, author_id=bob.id, organisation_id=school.id, title="t", category=category, aim=aim,
                      activity_date=day, participants=n, minutes=minutes, notes=None, now=NOW)
        await log(b.id, author_id=zed.id, organisation_id=None, title="other network", category="workshop",
                  aim="innovation", activity_date=date(2026, 6, 1), participants=500, minutes=600, notes=None, now=NOW)
        assert await actual(conn, workshops) == 1
        assert await actual(conn, innovation) == 2
        assert await actual(conn, people) == 67
        assert await actual(conn, hours) == Decimal("3.00")
        # A screen of goals reads the period's totals once and finds the same values.
        measure = MeasureRepo(conn)
        year = measure.period(a.id, YEAR.start, YEAR.end, tz=BANGKOK)
        together = await measure.actuals([hours, workshops, people], year, now=NOW)
        assert together == [Measured(Decimal("3.00")), Measured(Decimal(1)), Measured(Decimal(67))]
        assert sum(g.count for g in await year.activities()) == 3
        with pytest.raises(ValueError):
            await measure.actuals([hours], measure.period(b.id, YEAR.start, YEAR.end, tz=BANGKOK), now=NOW)


async def test_resource_targets_count_pledged_or_delivered_baht_or_quantity_by_channel_and_sector(
        db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, bob, zed = await setting(conn)
        goal = await GoalRepo(conn).create(a.id, academic_year=2569, aim="efficiency", title="g", created_by=None,
                                           now=NOW)
        add = GoalRepo(conn).add_target
        pledged = await add(goal, kind="resources", params={"stage": "pledged", "measure": "baht"},
                            value=Decimal(500_000), unit="บาท", owner_id=None, now=NOW)
        private = await add(goal, kind="resources", params={"stage": "delivered", "measure": "baht",
                                                            "sector": "private"},
                            value=Decimal(100_000), unit="บาท", owner_id=None, now=NOW)
        tablets = await add(goal, kind="resources", params={"stage": "delivered", "measure": "quantity",
                                                            "resource_type": "technology", "unit": "เครื่อง"},
                            value=Decimal(40), unit="เครื่อง", owner_id=None, now=NOW)
        fulfilled = await add(goal, kind="needs_fulfilled", params={}, value=Decimal(5), unit="รายการ",
                              owner_id=None, now=NOW)
        need = await NeedRepo(conn).add(a.id, organisation_id=school.id, posted_by=bob.id, resource_type="funding",
                                        description="ค่าเดินทาง", target=Decimal("1500.50"), unit="THB",
                                        needed_by=date(2027, 1, 15), now=NOW)
        pledges = PledgeRepo(conn)
        company = await pledges.add(a.id, need_id=need.id, pledger_id=bob.id, resource_type="funding",
                                    source_sector="private", amount=Decimal("1000.25"), unit="THB",
                                    expected_date=date(2026, 12, 1), note=None, now=NOW)
        parent = await pledges.add(a.id, need_id=need.id, pledger_id=bob.id, resource_type="funding",
                                   source_sector="individual", amount=Decimal("500.25"), unit="THB",
                                   expected_date=date(2026, 12, 1), note=None, now=NOW)
        dropped = await pledges.add(a.id, need_id=None, pledger_id=bob.id, resource_type="funding",
                                    source_sector="private", amount=Decimal(9999), unit="THB",
                                    expected_date=date(2026, 12, 1), note=None, now=NOW)
        devices = await pledges.add(a.id, need_id=None, pledger_id=bob.id, resource_type="technology",
                                    source_sector="private", amount=Decimal(10), unit="เครื่อง",
                                    expected_date=date(2026, 12, 1), note=None, now=NOW)
        await pledges.add(b.id, need_id=None, pledger_id=zed.id, resource_type="funding", source_sector="private",
                          amount=Decimal(77777), unit="THB", expected_date=date(2026, 12, 1), note=None, now=NOW)
        # Made on 15 May 2026 at 23:30 Bangkok time: the year before, though it is 16:30 UTC.
        await pledges.add(a.id, need_id=None, pledger_id=bob.id, resource_type="funding", source_sector="private",
                          amount=Decimal(5555), unit="THB", expected_date=date(2026, 6, 1), note=None,
                          now=datetime(2026, 5, 15, 16, 30, tzinfo=timezone.utc))
        assert await pledges.cancel(a.id, dropped.id, by=bob.id, now=NOW)
        assert await actual(conn, pledged) == Decimal("1500.50")
        assert [await actual(conn, t) for t in (private, tablets, fulfilled)] == [0, 0, 0]
        later = NOW + timedelta(days=3)
        for pledge in (company, parent, devices):
            assert await pledges.deliver(a.id, pledge.id, by=bob.id, note=None, has_photo=False, now=later)
        assert await NeedRepo(conn).mark_fulfilled_if_reached(a.id, need.id, now=later)
        assert await actual(conn, private) == Decimal("1000.25")
        assert await actual(conn, tablets) == 10
        assert await actual(conn, fulfilled) == 1


async def test_survey_targets_are_aggregates_hidden_below_five_anonymous_answers(db: Database) -> None:
    async with db.transaction() as conn:
        a, _b, _school, bob, _zed = await setting(conn)
        goal = await GoalRepo(conn).create(a.id, academic_year=2569, aim="equity", title="g", created_by=None,
                                           now=NOW)
        add = GoalRepo(conn).add_target
        surveys = SurveyRepo(conn)
        questions = [{"kind": "rating", "text": "พอใจไหม", "options": []},
                     {"kind": "single", "text": "ช่องทาง", "options": ["LINE", "Telegram"]}]
        anonymous = await surveys.create(a.id, kind="survey", title="ความพึงพอใจ", anonymous=True, roles=[],
                                         organisations=[], chats=[], chat_id=None, created_by=bob.id, closes_at=None,
                                         questions=questions, now=NOW)
        named = await surveys.create(a.id, kind="survey", title="named", anonymous=False, roles=[], organisations=[],
                                     chats=[], chat_id=None, created_by=bob.id, closes_at=None, questions=questions,
                                     now=NOW)
        mean = await add(goal, kind="survey_mean", params={"survey": anonymous.number, "question": 1},
                         value=Decimal(4), unit="คะแนน", owner_id=None, now=NOW)
        named_mean = await add(goal, kind="survey_mean", params={"survey": named.number, "question": 1},
                               value=Decimal(4), unit="คะแนน", owner_id=None, now=NOW)
        not_rating = await add(goal, kind="survey_mean", params={"survey": named.number, "question": 2},
                               value=Decimal(4), unit="คะแนน", owner_id=None, now=NOW)
        rate = await add(goal, kind="survey_response_rate", params={"survey": anonymous.number}, value=Decimal(80),
                         unit="%", owner_id=None, now=NOW)
        measure = MeasureRepo(conn)
        first = await measure.actual(mean, YEAR.start, YEAR.end, tz=BANGKOK, now=NOW)
        assert first.value is None and first.suppressed
        rating = anonymous.questions[0]
        for i, choice in enumerate([0, 1, 1, 2]):  # scores 5, 4, 4, 3
            response = await surveys.ensure_response(anonymous, f"k{i}", None)
            await surveys.set_answer(anonymous, response.id, rating, choice)
        four = await measure.actual(mean, YEAR.start, YEAR.end, tz=BANGKOK, now=NOW)
        assert four.value is None and four.suppressed  # four answers could point at someone
        response = await surveys.ensure_response(anonymous, "k4", None)
        await surveys.set_answer(anonymous, response.id, rating, 0)  # 5
        assert await actual(conn, mean) == Decimal("4.20")
        response = await surveys.ensure_response(named, "m1", bob.id)
        await surveys.set_answer(named, response.id, named.questions[0], 3)  # 2
        assert await actual(conn, named_mean) == Decimal("2.00")  # named: shown from the first answer
        assert await actual(conn, not_rating) is None  # a choice question has no mean
        assert await actual(conn, rate) is None  # open: the audience is not known in storage
        assert (await measure.survey_response_rate(a.id, anonymous.number, audience=8)).value == Decimal("62.50")
        assert await surveys.close(a.id, anonymous.id, audience_size=10, now=NOW)
        assert await actual(conn, rate) == Decimal("50.00")


async def test_meetings_held_tasks_on_time_and_manual_indicators(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, bob, _zed = await setting(conn)
        goal = await GoalRepo(conn).create(a.id, academic_year=2569, aim="efficiency", title="g", created_by=None,
                                           now=NOW)
        add = GoalRepo(conn).add_target
        held = await add(goal, kind="meetings", params={}, value=Decimal(4), unit="ครั้ง", owner_id=None, now=NOW)
        on_time = await add(goal, kind="tasks_on_time", params={}, value=Decimal(10), unit="งาน", owner_id=None,
                            now=NOW)
        of_project = await add(goal, kind="tasks_on_time", params={"project": 2}, value=Decimal(1), unit="งาน",
                               owner_id=None, now=NOW)
        manual = await add(goal, kind="manual", params={}, value=Decimal(300), unit="คน", owner_id=bob.id, now=NOW)
        meetings = MeetingRepo(conn)
        for starts, in [(NOW - timedelta(days=30),), (NOW - timedelta(hours=1),), (NOW + timedelta(days=7),)]:
            await meetings.create(a.id, title="ประชุม", starts_at=starts, duration_minutes=60, place="", agenda="",
                                  target_chat_ids=[], created_by=bob.id, now=NOW)
        cancelled = await meetings.create(a.id, title="ยกเลิก", starts_at=NOW - timedelta(days=2), duration_minutes=60,
                                          place="", agenda="", target_chat_ids=[], created_by=bob.id, now=NOW)
        assert await meetings.cancel(a.id, cancelled.id, NOW)
        assert await actual(conn, held) == 2  # the one next week has not been held yet
        assert await actual(conn, held, now=NOW + timedelta(days=8)) == 3

        plan = PlanRepo(conn)
        project = await plan.create_project(a.id, title="อบรมครู", goal_id=goal.id, lead_organisation_id=school.id,
                                            starts_on=date(2026, 6, 1), ends_on=date(2027, 3, 31), created_by=bob.id,
                                            now=NOW)
        other = await plan.create_project(a.id, title="ห้องสมุด", goal_id=None, lead_organisation_id=None,
                                          starts_on=None, ends_on=None, created_by=bob.id, now=NOW)
        assert (project.number, other.number) == (1, 2)
        early = await plan.add_task(project, title="จองห้อง", due_on=date(2026, 11, 25), owner_member_id=bob.id,
                                    owner_organisation_id=None, created_by=bob.id, now=NOW)
        late = await plan.add_task(project, title="ส่งรายงาน", due_on=date(2026, 11, 10), owner_member_id=None,
                                   owner_organisation_id=school.id, created_by=bob.id, now=NOW)
        stuck = await plan.add_task(other, title="หาหนังสือ", due_on=date(2026, 12, 20), owner_member_id=bob.id,
                                    owner_organisation_id=None, created_by=bob.id, now=NOW)
        assert [t.number for t in (early, late, stuck)] == [1, 2, 3]
        today = date(2026, 11, 21)
        assert [t.number for t in await plan.overdue(a.id, today)] == [2]
        assert [t.number for t in await plan.tasks(a.id, owner_member_id=bob.id)] == [1, 3]
        started = await plan.set_status(early, "started", now=NOW, today=today)
        assert started.status == "started" and started.done_at is None
        done = await plan.set_status(started, "done", now=NOW, today=today)
        assert (done.done_at, done.done_on) == (NOW, today)
        await plan.set_status(late, "done", now=NOW, today=today)
        with pytest.raises(ValueError):
            await plan.set_status(stuck, "blocked", now=NOW, today=today)
        blocked = await plan.set_status(stuck, "blocked", now=NOW, today=today, reason="ไม่มีงบ")
        assert blocked.blocked_reason == "ไม่มีงบ"
        assert await actual(conn, on_time) == 1  # the report came in late
        assert await actual(conn, of_project) == 0
        await plan.set_status(blocked, "done", now=NOW, today=today)
        assert await actual(conn, of_project) == 1
        finished = await plan.task(a.id, 3)
        assert finished is not None and finished.status == "done"
        reopened = await plan.set_status(finished, "started", now=NOW, today=today)
        assert reopened.done_on is None and reopened.blocked_reason is None
        assert await actual(conn, of_project) == 0
        counts = await plan.counts(a.id, YEAR.start, YEAR.end, today)
        assert (counts.done_on_time, counts.done_late, counts.open, counts.blocked, counts.overdue) == (1, 1, 1, 0, 0)

        activity = await ActivityRepo(conn).add(a.id, author_id=bob.id, organisation_id=school.id, title="อบรม",
                                                category="workshop", aim="innovation", activity_date=today,
                                                participants=30, minutes=180, notes=None, now=NOW)
        assert await plan.link(done, "activity", activity.id) and not await plan.link(done, "activity", activity.id)
        assert await plan.links(done) == [("activity", activity.id)]
        assert [t.number for t in await plan.tasks_linked_to(a.id, "activity", activity.id)] == [1]
        assert await plan.unlink(done, "activity", activity.id) and await plan.links(done) == []

        assert await actual(conn, manual) is None
        goals = GoalRepo(conn)
        await goals.report(manual, value=Decimal(120), reported_by=bob.id, note="ภาคเรียนที่ 1", now=NOW)
        await goals.report(manual, value=Decimal(150), reported_by=bob.id, note=None, now=NOW + timedelta(days=1))
        assert await actual(conn, manual) == 150
        assert [r.value for r in await goals.reports(manual)] == [150, 120]


async def test_attendance_targets_count_who_came_to_the_network_s_meetings_of_a_kind(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, _school, bob, zed = await setting(conn)
        cara = await MemberRepo(conn).add(a.id, platform="telegram", platform_user_id="T3", display_name="Cara",
                                          role="teacher", language="th", now=NOW)
        goal = await GoalRepo(conn).create(a.id, academic_year=2569, aim="efficiency", title="g", created_by=None,
                                           now=NOW)
        add = GoalRepo(conn).add_target
        every = await add(goal, kind="attendance", params={}, value=Decimal(60), unit="", owner_id=None, now=NOW)
        leaders = await add(goal, kind="attendance", params={"meeting_kind": "leaders"}, value=Decimal(10), unit="",
                            owner_id=None, now=NOW)
        leaders_held = await add(goal, kind="meetings", params={"meeting_kind": "leaders"}, value=Decimal(4),
                                 unit="", owner_id=None, now=NOW)
        meetings = MeetingRepo(conn)

        async def held(network, kind: str, starts: datetime, *present):  # type: ignore[no-untyped-def]
            meeting = await meetings.create(network.id, title="ประชุม", starts_at=starts, duration_minutes=90,
                                            place="", agenda="", target_chat_ids=[], created_by=None, now=NOW,
                                            kind=kind)
            for member in present:
                await meetings.attend(network.id, meeting.id, member.id, by=member.id, now=starts)
            return meeting

        await held(a, "members", NOW - timedelta(days=60), bob, cara)
        await held(a, "leaders", NOW - timedelta(days=3), bob)
        cancelled = await held(a, "leaders", NOW - timedelta(days=2), bob, cara)
        assert await meetings.cancel(a.id, cancelled.id, NOW)
        await held(a, "assignment", datetime(2026, 5, 14, 3, 0, tzinfo=timezone.utc), bob, cara)  # the year before
        await held(b, "leaders", NOW - timedelta(days=3), zed)  # another network
        # Taken from 30 minutes before the start: an attendance at a meeting about to begin counts already.
        await held(a, "leaders", NOW + timedelta(minutes=20), cara)
        assert await actual(conn, every) == 4
        assert await actual(conn, leaders) == 2
        assert await actual(conn, leaders_held) == 1  # the one in 20 minutes has not started yet
        assert await actual(conn, leaders_held, now=NOW + timedelta(hours=1)) == 2
        term = DEFAULT_CALENDAR.term(2569, 2).span  # 1 Nov 2569 -
        measured = await MeasureRepo(conn).actual(every, term.start, term.end, tz=BANGKOK, now=NOW)
        assert measured.value == 2
