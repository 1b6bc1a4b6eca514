"""The figures the SAR pack and /results show, computed the fast way, equal those of the plain way: a rating's
mean and standard deviation from its per-score counts equal statistics.fmean/stdev over every score; the
voter keys' HMAC with its pads hashed once equals hmac.digest; a year's surveys read without their texts give
the same figures, breakdowns and answered counts as each survey read alone."""

from __future__ import annotations

import hmac
import random
import statistics

import pytest

from handlers.surveys.keyed_hash import KeyedHash
from handlers.surveys.scores import mean_and_sd
from tests.support.conversation import Conversation
from tests.test_surveys import anonymous_survey_with_answers, create_survey


def plain(counts: dict[int, int]) -> tuple[float, float] | None:
    scores = [score for score, n in counts.items() for _ in range(n)]
    random.Random(len(scores)).shuffle(scores)  # the order of answering never matters
    if not scores:
        return None
    return statistics.fmean(scores), statistics.stdev(scores) if len(scores) > 1 else 0.0


@pytest.mark.parametrize("counts", [
    {}, {3: 0}, {4: 1}, {1: 1}, {5: 2}, {2: 7}, {5: 1, 1: 1}, {5: 3, 4: 1}, {1: 1, 2: 1, 3: 1, 4: 1, 5: 1},
    {5: 10_000, 4: 1}, {1: 1, 5: 99_999}, {3: 12_345, 4: 6_789, 5: 1}, {0: 2, 5: 3},
])
def test_mean_and_sd_from_counts_equal_statistics_over_the_scores(counts: dict[int, int]) -> None:
    assert mean_and_sd(counts) == plain(counts)


def test_mean_and_sd_equal_statistics_for_many_random_ratings() -> None:
    rng = random.Random(18)
    for _ in range(400):
        counts = {score: rng.choice([0, 1, 2, rng.randint(0, 60), rng.randint(0, 3000)]) for score in range(1, 6)}
        assert mean_and_sd(counts) == plain(counts), counts


def test_no_answers_no_figures_one_answer_no_spread_all_equal_no_spread() -> None:
    assert mean_and_sd({}) is None and mean_and_sd({4: 0, 2: 0}) is None
    assert mean_and_sd({4: 1}) == (4.0, 0.0)
    assert mean_and_sd({3: 500}) == (3.0, 0.0)


@pytest.mark.parametrize("size", [0, 1, 16, 32, 63, 64, 65, 128, 300])
def test_the_keyed_hash_equals_hmac_sha256(size: int) -> None:
    rng = random.Random(size)
    key = bytes(rng.randrange(256) for _ in range(size))
    keyed = KeyedHash(key)
    for message in [b"", b"edunet-survey-voter|1|2|3", bytes(range(256)) * 3,
                    *(f"edunet-survey-voter|{rng.randint(1, 9)}|{rng.randint(1, 99)}|{m}".encode() for m in range(50))]:
        assert keyed.hexdigest(message) == hmac.digest(key, message, "sha256").hex()


async def test_a_year_s_surveys_without_texts_show_what_each_survey_shows(bot: Conversation) -> None:
    from bot.context import BaseContext
    from handlers.surveys.logic import survey_stats, surveys_stats
    from storage.membership import NetworkRepo
    from storage.surveys import SurveyRepo

    await anonymous_survey_with_answers(bot)
    await create_survey(bot)  # a named one beside it
    await bot("noi@dm: [Answer]", "noi@dm: [มาก]", "noi@dm: [วันเสาร์]", "noi@dm: ขอบคุณครับ")
    await bot("dao@dm: [Answer]", "dao@dm: [น้อย]")
    async with bot.app.db.transaction() as conn:
        network = await NetworkRepo(conn).get(1)
        assert network is not None
        ctx = BaseContext(bot.app, conn, network, network.language)
        found = [s for s in [await SurveyRepo(conn).by_number(1, n) for n in (1, 2)] if s is not None]
        assert [s.anonymous for s in found] == [True, False]
        alone = [await survey_stats(ctx, s) for s in found]
        together = await surveys_stats(ctx, found, texts=False)
    anonymous = alone[0]
    assert anonymous.responses == 5 and not anonymous.suppressed and alone[1].responses == 2
    assert [(b.label, b.answered, b.total) for b in anonymous.breakdowns if b.kind == "role"] == [("parent", 5, 6)]
    text = next(q for q in anonymous.questions if q.question.kind == "text")
    assert text.answered == len(text.texts) == 2  # a free-text question's answered count is its texts
    rating = next(q for q in anonymous.questions if q.question.kind == "rating")
    assert rating.mean is not None and (rating.mean, rating.sd) == plain(
        {5 - i: n for i, n in enumerate(rating.counts)})
    for one, both in zip(alone, together):
        assert both.breakdowns == one.breakdowns and both.responses == one.responses
        for q_one, q_both in zip(one.questions, both.questions):
            assert q_both.texts == []
            assert (q_both.answered, q_both.counts, q_both.mean, q_both.sd, q_both.suppressed) == (
                q_one.answered, q_one.counts, q_one.mean, q_one.sd, q_one.suppressed)


async def test_one_organisation_s_breakdown_alone_is_the_one_every_breakdown_shows(bot: Conversation) -> None:
    """The SAR pack asks for its school's breakdown only (and passes the members it read): that breakdown,
    the audience and the responses are those of the survey read with every breakdown."""
    from bot.context import BaseContext
    from handlers.surveys.logic import survey_stats, surveys_stats
    from storage.membership import MemberRepo, NetworkRepo, OrganisationRepo
    from storage.surveys import SurveyRepo

    await anonymous_survey_with_answers(bot)  # noi, dao and mali answered privately
    await bot("noi@dm: /org โรงเรียนบ้านหนองบัว", "dao@dm: /org โรงเรียนบ้านหนองบัว", "mali@dm: /org โรงเรียนวัดป่า")
    async with bot.app.db.transaction() as conn:
        network = await NetworkRepo(conn).get(1)
        assert network is not None
        ctx = BaseContext(bot.app, conn, network, network.language)
        survey = await SurveyRepo(conn).by_number(1, 1)
        assert survey is not None and survey.anonymous
        members = await MemberRepo(conn).list(1)
        every = await survey_stats(ctx, survey)
        for school in await OrganisationRepo(conn).list(1):
            (alone,) = await surveys_stats(ctx, [survey], texts=False, members=members, organisation=school.id)
            own = [b for b in every.breakdowns if b.kind == "organisation" and b.label == school.name]
            assert alone.breakdowns == own
            assert (alone.audience, alone.responses, alone.suppressed) == (every.audience, every.responses,
                                                                           every.suppressed)
    by_school = {b.label: (b.answered, b.total) for b in every.breakdowns if b.kind == "organisation"}
    assert by_school["โรงเรียนบ้านหนองบัว"] == (2, 2) and by_school["โรงเรียนวัดป่า"] == (1, 1)
