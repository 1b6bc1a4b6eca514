"""The survey tallies the database keeps (storage/survey_tallies.py) give exactly what counting the
answers gives, on SQLite and PostgreSQL: after answers, changed answers, multiple choices added and
cleared, duplicates, multi-row statements, an edited row, a PDPA erasure and deletions of responses,
surveys and a network; after the migration's fill from answers given before it; and with two answers
of one response written at once. The tallies hold counts only."""

from __future__ import annotations

import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from storage.db import Database
from storage.goals.measures import MeasureRepo
from storage.membership import Member, MemberRepo, NetworkRepo
from storage.privacy import MemberDataRepo
from storage.survey_tallies import survey_tallies
from storage.surveys import (TEXT_CHOICE, Survey, SurveyRepo, survey_answers, survey_questions, survey_responses,
                             surveys)
from storage.tables import networks
from tests.test_neutral_storage_migration import empty_url  # noqa: F401  (the fixture, both engines)

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
QUESTIONS = [{"kind": "rating", "text": "พึงพอใจเพียงใด", "options": []},
             {"kind": "single", "text": "ระดับชั้น", "options": ["ประถม", "มัธยม", "อาชีวะ"]},
             {"kind": "multi", "text": "วิชาที่สนใจ", "options": ["ไทย", "คณิต", "วิทย์", "อังกฤษ"]},
             {"kind": "text", "text": "ข้อเสนอแนะ", "options": []}]


async def agree(conn, network_id: int) -> int:  # type: ignore[no-untyped-def]
    """The network's tallies against a count of its answers, for all its surveys and each alone; the
    number of figures compared."""
    repo = SurveyRepo(conn)
    ids = list((await conn.execute(sa.select(surveys.c.id).where(surveys.c.network_id == network_id)
                                   .order_by(surveys.c.id))).scalars())
    seen = 0
    for chosen in [ids, *([i] for i in ids)]:
        answered, counts, _ = await repo.answer_tallies(network_id, chosen, [])
        assert (answered, counts) == await repo.answer_counts_direct(network_id, chosen), chosen
        seen += len(answered) + len(counts)
    return seen


async def answer_at_random(repo: SurveyRepo, rng: random.Random, found: list[Survey], voters: list[Member],
                           steps: int) -> None:
    """Answers, changes of answer, added and cleared multiple choices, duplicates, free text."""
    for _ in range(steps):
        survey = rng.choice(found)
        member = rng.choice(voters)
        key = f"k{survey.id}-{member.id}" if survey.anonymous else f"m{member.id}"
        response = await repo.ensure_response(survey, key, member.id)
        question = rng.choice(survey.questions)
        roll = rng.random()
        if roll < 0.15:
            await repo.clear_answer(survey, response.id, question)  # several rows of a multiple choice at once
        elif question.kind == "multi":
            await repo.add_choice(survey, response.id, question, rng.randrange(len(question.options)))
        elif question.kind == "text":
            await repo.set_answer(survey, response.id, question, TEXT_CHOICE, f"ความเห็น {rng.randint(1, 9)}")
        else:
            size = 5 if question.kind == "rating" else len(question.options)
            await repo.set_answer(survey, response.id, question, rng.randrange(size))  # replaces the earlier one


async def make_network(conn, name: str, members: int) -> tuple[int, list[Member], list[Survey]]:  # type: ignore[no-untyped-def]
    network = await NetworkRepo(conn).create(name, timezone="Asia/Bangkok", language="th", now=NOW)
    people = [await MemberRepo(conn).add(network.id, platform="line", platform_user_id=f"U{name}{i}",
                                         display_name=f"ครู {i}", role="teacher", language="th", now=NOW)
              for i in range(members)]
    repo = SurveyRepo(conn)
    found = [await repo.create(network.id, kind="survey", title=f"แบบสำรวจ {n}", anonymous=n % 2 == 0, roles=[],
                               organisations=[], chats=[], chat_id=None, created_by=people[0].id, closes_at=None,
                               questions=QUESTIONS, now=NOW) for n in range(3)]
    return network.id, people, found


async def two_answered_networks(conn, seed: int, people: tuple[int, int], steps: tuple[int, int]  # type: ignore[no-untyped-def]
                                ) -> tuple[tuple[int, list[Member], list[Survey]], tuple[int, list[Member], list[Survey]]]:
    """Networks A and B (``people`` members each), their members' random answers (``steps`` writes each)."""
    rng = random.Random(seed)
    made = [await make_network(conn, name, size) for name, size in zip("AB", people)]
    for (_, voters, found), count in zip(made, steps):
        await answer_at_random(SurveyRepo(conn), rng, found, voters, count)
    return made[0], made[1]


async def test_the_tallies_equal_a_count_of_the_answers_through_every_kind_of_write(db: Database) -> None:
    async with db.transaction() as conn:
        (a, people, found), (b, others, theirs) = await two_answered_networks(conn, 18, (12, 4), (400, 60))
        assert await agree(conn, a) > 40 and await agree(conn, b) > 10
        # No response id, voter key or text in the tallies: counts only.
        assert set(survey_tallies.c.keys()) == {"network_id", "survey_id", "question_id", "choice", "n"}

    async with db.transaction() as conn:
        repo, survey = SurveyRepo(conn), found[1]
        multi = survey.question(3)
        assert multi is not None
        # One statement inserting three choices of one response, then one deleting them: answered once.
        response = await repo.ensure_response(survey, "k-many", None)
        await repo.clear_answer(survey, response.id, multi)
        await conn.execute(survey_answers.insert().values([
            {"response_id": response.id, "question_id": multi.id, "choice": c, "network_id": a, "survey_id": survey.id,
             "text": None} for c in (0, 2, 3)]))
        assert await agree(conn, a)
        answered, counts, _ = await repo.answer_tallies(a, [survey.id], [])
        assert answered[multi.id] == len({x.response_id for x in await repo.all_answers(survey)
                                          if x.question_id == multi.id})
        await repo.clear_answer(survey, response.id, multi)
        assert await agree(conn, a)
        # An edited row (no code does it; the triggers still follow): a choice moved, a row moved to
        # another response's question.
        row = (await repo.all_answers(found[0]))[0]
        await conn.execute(survey_answers.update().where(
            survey_answers.c.response_id == row.response_id, survey_answers.c.question_id == row.question_id,
            survey_answers.c.choice == row.choice).values(choice=9))
        other = next(r for r in await repo.responses(found[0]) if r.id != row.response_id)
        await conn.execute(survey_answers.update().where(
            survey_answers.c.response_id == row.response_id, survey_answers.c.question_id == row.question_id,
            survey_answers.c.choice == 9).values(response_id=other.id, choice=8))
        assert await agree(conn, a)

    async with db.transaction() as conn:
        repo = SurveyRepo(conn)
        before = await repo.answer_tallies(a, [s.id for s in found], [])
        # A PDPA erasure keeps the member's answers (pointing at the nameless tombstone): same figures.
        await MemberDataRepo(conn).erase(people[1], now=NOW)
        assert await repo.answer_tallies(a, [s.id for s in found], []) == before
        # Deletions cascade from a response, a survey and a network; the figures follow.
        await conn.execute(survey_responses.delete().where(survey_responses.c.id == (await repo.responses(found[0]))[0].id))
        assert await agree(conn, a)
        await conn.execute(surveys.delete().where(surveys.c.id == found[2].id))
        assert await agree(conn, a)
        assert await repo.answer_tallies(a, [found[2].id], []) == ({}, {}, {})
        await conn.execute(networks.delete().where(networks.c.id == b))
        assert await repo.answer_tallies(b, [s.id for s in theirs], []) == ({}, {}, {})
        assert await agree(conn, a)


async def means_counted(conn, network_id: int, survey_ids: list[int]) -> dict[tuple[int, int], tuple[int, Decimal]]:  # type: ignore[no-untyped-def]
    """Each rating question's responses and mean score (1–5, two decimals) counted from every answer."""
    a, q = survey_answers.c, survey_questions.c
    rows = await conn.execute(
        sa.select(a.survey_id, a.question_id, sa.func.count(sa.distinct(a.response_id)).label("n"),
                  sa.func.sum(5 - a.choice).label("score"), sa.func.count().label("answers"))
        .select_from(survey_answers.join(survey_questions, q.id == a.question_id))
        .where(a.network_id == network_id, a.survey_id.in_(survey_ids), q.kind == "rating")
        .group_by(a.survey_id, a.question_id))
    return {(r.survey_id, r.question_id): (r.n, (Decimal(r.score) / r.answers).quantize(Decimal("0.01")))
            for r in rows}


async def test_the_term_reviews_mean_scores_read_from_the_tallies_equal_the_answers_own(db: Database) -> None:
    """The Check of /review shows each rating question's mean from the tallies: after answers, changed
    answers and cleared ones, the same responses and mean as the answers give, network by network."""
    async with db.transaction() as conn:
        (a, _, found), (b, _, theirs) = await two_answered_networks(conn, 25, (9, 3), (300, 40))
        repo, measures = SurveyRepo(conn), MeasureRepo(conn)
        for network_id, mine in ((a, found), (b, theirs)):
            ids = [s.id for s in mine]
            means = await measures.survey_means(network_id, ids)
            assert means == await means_counted(conn, network_id, ids) and means
            assert all(1 <= mean <= 5 and n > 0 for n, mean in means.values())
        assert await measures.survey_means(a, [s.id for s in theirs]) == {}  # another network's surveys
        # Every rating answer cleared: the question has no mean, not a mean of nothing.
        survey = found[0]
        rating = survey.question(1)
        assert rating is not None and rating.kind == "rating"
        for response in await repo.responses(survey):
            await repo.clear_answer(survey, response.id, rating)
        assert (survey.id, rating.id) not in await measures.survey_means(a, [survey.id])


@pytest.mark.postgres
async def test_two_answers_of_one_response_at_once_count_it_once(postgres_server_url: str) -> None:
    """Two transactions adding choices of one response's multiple-choice question at the same time (the
    second waits for the first): the question counts the response once. (Another response answered it
    before, so the question's count is a row both update, not one the first creates.)"""
    from tests.conftest import _truncate_all

    await _truncate_all(postgres_server_url)
    db = Database(postgres_server_url)
    try:
        async with db.transaction() as conn:
            a, people, found = await make_network(conn, "A", 2)
            survey = found[1]
            multi = survey.question(3)
            assert multi is not None
            earlier = await SurveyRepo(conn).ensure_response(survey, "k-earlier", None)
            await SurveyRepo(conn).add_choice(survey, earlier.id, multi, 2)
            response = await SurveyRepo(conn).ensure_response(survey, "k-both", None)
        first_done = asyncio.Event()

        async def first() -> None:
            async with db.transaction() as conn:
                await SurveyRepo(conn).add_choice(survey, response.id, multi, 0)
                first_done.set()
                await asyncio.sleep(0.3)  # the second is waiting meanwhile

        async def second() -> None:
            await first_done.wait()
            async with db.transaction() as conn:
                await SurveyRepo(conn).add_choice(survey, response.id, multi, 1)

        await asyncio.gather(first(), second())
        async with db.transaction() as conn:
            answered, counts, _ = await SurveyRepo(conn).answer_tallies(a, [survey.id], [])
            assert answered[multi.id] == 2 and counts[(multi.id, 0)] == counts[(multi.id, 1)] == 1
            assert await agree(conn, a)
    finally:
        await db.dispose()


async def test_the_migration_fills_the_tallies_from_earlier_answers_and_its_downgrade_drops_them(
        empty_url: str) -> None:  # noqa: F811
    from alembic import command

    from storage.migrations.runner import alembic_config, current_heads, upgrade_to_heads

    loop = asyncio.get_running_loop()
    cfg = alembic_config(empty_url)
    with ThreadPoolExecutor(1) as pool:  # Alembic runs its own event loop
        heads = await loop.run_in_executor(pool, current_heads, empty_url)
        later = {"0015_sar_indexes"}  # the head that follows the tallies
        assert later <= heads and "0014_survey_tallies" not in heads
        for head in sorted(heads - later):
            await loop.run_in_executor(pool, command.upgrade, cfg, head)
        await loop.run_in_executor(pool, command.upgrade, cfg, "0013_inbox_chat")  # the tallies' parent
    db = Database(empty_url)
    try:
        async with db.transaction() as conn:  # answers given before the tallies existed
            a, people, found = await make_network(conn, "A", 10)
            await answer_at_random(SurveyRepo(conn), random.Random(5), found, people, 200)
    finally:
        await db.dispose()
    with ThreadPoolExecutor(1) as pool:
        await loop.run_in_executor(pool, upgrade_to_heads, empty_url)
    db = Database(empty_url)
    try:
        async with db.transaction() as conn:
            assert await agree(conn, a) > 20  # filled by the migration
            await answer_at_random(SurveyRepo(conn), random.Random(6), found, people, 100)
            assert await agree(conn, a)  # and kept from then on
    finally:
        await db.dispose()
    with ThreadPoolExecutor(1) as pool:
        await loop.run_in_executor(pool, command.downgrade, cfg, "0013_inbox_chat")
    db = Database(empty_url)
    try:
        async with db.transaction() as conn:
            tables = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            assert "survey_tallies" not in tables
            # Without the table or its triggers, answers are still written.
            response = await SurveyRepo(conn).ensure_response(found[0], "k-after", None)
            await SurveyRepo(conn).set_answer(found[0], response.id, found[0].questions[0], 2)
    finally:
        await db.dispose()
