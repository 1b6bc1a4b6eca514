"""[ถามผู้เขียน]: a question about a practice is relayed to its author privately; the author
answers, or shares a way to be reached, only by tapping (nobody's contact is shown otherwise).
The asker's name goes with the question: asking is their own choice."""

from __future__ import annotations

from typing import Any

from bot.context import MemberContext
from bot.delivery_policy import Urgency
from bot.flows import Data, Retry, Step
from bot.i18n import Translator
from bot.model import Button, Reply, Text
from bot.payload import encode
from bot.router import Router, Where
from handlers.knowledge.practices import load_practice
from storage.knowledge import Practice, PracticeRepo
from storage.membership import MemberRepo
from storage.runtime import AuditRepo

router = Router()

MAX_QUESTION = 500


@router.button("kba")
async def ask_pressed(ctx: MemberContext) -> None:
    practice = await load_practice(ctx)
    if practice is None:
        return
    if practice.author_id == ctx.member.id:
        await ctx.say(ctx.t("You are the author of #{id}.", id=practice.number))
        return
    author = await ctx.repo(MemberRepo).get(ctx.network.id, practice.author_id) if practice.author_id else None
    if author is None or author.status != "active":
        await ctx.say(ctx.t("The author of #{id} is no longer a member, so the question cannot be passed on.",
                            id=practice.number))
        return
    if not ctx.event.is_private:
        # Nothing pushed: the asker continues in the private chat for free.
        await ctx.say(ctx.t("To ask the author privately, send /kb #{id} to me in a private chat and tap "
                            "“Ask the author”.", id=practice.number))
        return
    await ctx.start_flow("kbask", "question", {"practice": practice.id})
    await ctx.reply(ctx.t("Your question about #{id} {title}: I will pass it to the author privately. The author "
                          "sees your name; their contact stays private unless they choose to share it. "
                          "Send your question (or /cancel).", id=practice.number, title=practice.title))


async def read_question(ctx: MemberContext, value: str) -> Data | Retry | None:
    assert ctx.flow is not None
    if not value or len(value) > MAX_QUESTION:
        return Retry(ctx.t("Please send a question of 1 to {max} characters.", max=MAX_QUESTION))
    practice = await ctx.repo(PracticeRepo).by_id(ctx.network.id, int(ctx.flow.data["practice"]))
    await ctx.end_flow()
    author = (await ctx.repo(MemberRepo).get(ctx.network.id, practice.author_id)
              if practice and practice.author_id else None)
    if practice is None or author is None or author.status != "active":
        await ctx.reply(ctx.t("That practice or its author is gone, so nothing was sent."))
        return None
    asker = ctx.member

    def relay(t: Translator) -> list[Reply]:
        return [Text(t("A question about your practice #{id} {title} from {name}:", id=practice.number,
                       title=practice.title, name=asker.display_name) + "\n" + value,
                     buttons=[[Button(t("Reply to the question"), encode("kbr", practice.id, asker.id)),
                               Button(t("Share my contact"), encode("kbc", practice.id, asker.id))]])]

    pushed = await ctx.push_member(author, relay, key=f"practice:{practice.id}:ask:{ctx.event.event_id}",
                                   urgency=Urgency.DIGEST)
    if not pushed:
        await ctx.reply(ctx.t("I cannot reach the author privately right now, so nothing was sent."))
        return None
    await ctx.audit("ask", "practice", practice.id, author_id=author.id)  # lets the author answer this asker
    await ctx.reply(ctx.t("Your question was passed to the author of #{id}. Their answer will come to you here.",
                          id=practice.number))
    return None


async def ask_question(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Please send your question (or /cancel)."))


router.steps("kbask", {"question": Step(ask_question, read_question)})  # started by ask_pressed


async def _author_and_asker(ctx: MemberContext) -> tuple[Practice, Any] | None:
    """For the author's buttons: the practice (the presser must be its author) and the asker."""
    practice = await load_practice(ctx)
    if practice is None:
        return None
    if practice.author_id != ctx.member.id:
        await ctx.say(ctx.t("Only the author of #{id} can answer its questions.", id=practice.number))
        return None
    try:
        asker_id = ctx.payload.int_arg(1)
    except ValueError:
        asker_id = 0
    asker = await ctx.repo(MemberRepo).get(ctx.network.id, asker_id)
    if asker is None or asker.status != "active":
        await ctx.say(ctx.t("The person who asked is no longer a member."))
        return None
    # The button names the asker; only someone who really asked may be written to (a forged id may not).
    history = await ctx.repo(AuditRepo).for_entity(ctx.network.id, "practice", practice.id)
    if not any(row["action"] == "ask" and row["member_id"] == asker.id for row in history):
        await ctx.say(ctx.t("You can answer only people who asked about #{id}.", id=practice.number))
        return None
    return practice, asker


@router.button("kbr", where=Where.PRIVATE)
async def answer_pressed(ctx: MemberContext) -> None:
    found = await _author_and_asker(ctx)
    if found is None:
        return
    practice, asker = found
    await ctx.start_flow("kbanswer", "text", {"practice": practice.id, "asker": asker.id, "kind": "answer"})
    await ctx.reply(ctx.t("Send your answer to {name} (or /cancel). Only your answer is passed on.",
                          name=asker.display_name))


@router.button("kbc", where=Where.PRIVATE)
async def contact_pressed(ctx: MemberContext) -> None:
    found = await _author_and_asker(ctx)
    if found is None:
        return
    practice, asker = found
    await ctx.start_flow("kbanswer", "text", {"practice": practice.id, "asker": asker.id, "kind": "contact"})
    await ctx.reply(ctx.t("How may {name} reach you? Send a phone number, a LINE ID or an e-mail address "
                          "(or /cancel). Only what you send is passed on.", name=asker.display_name))


async def read_answer(ctx: MemberContext, value: str) -> Data | Retry | None:
    assert ctx.flow is not None
    if not value or len(value) > MAX_QUESTION:
        return Retry(ctx.t("Please send 1 to {max} characters.", max=MAX_QUESTION))
    data = dict(ctx.flow.data)
    await ctx.end_flow()
    practice = await ctx.repo(PracticeRepo).by_id(ctx.network.id, int(data["practice"]))
    asker = await ctx.repo(MemberRepo).get(ctx.network.id, int(data["asker"]))
    if practice is None or asker is None or asker.status != "active":
        await ctx.reply(ctx.t("That practice or the person who asked is gone, so nothing was sent."))
        return None
    author = ctx.member
    contact = data.get("kind") == "contact"

    def relay(t: Translator) -> list[Reply]:
        heading = (t("{name}, the author of #{id} {title}, shares how to reach them:", name=author.display_name,
                     id=practice.number, title=practice.title) if contact else
                   t("{name}, the author of #{id} {title}, answers:", name=author.display_name, id=practice.number,
                     title=practice.title))
        return [Text(heading + "\n" + value)]

    pushed = await ctx.push_member(asker, relay, key=f"practice:{practice.id}:answer:{ctx.event.event_id}",
                                   urgency=Urgency.DIGEST)
    await ctx.audit("contact" if contact else "answer", "practice", practice.id, asker_id=asker.id)
    await ctx.reply(ctx.t("Sent to {name}.", name=asker.display_name) if pushed else
                    ctx.t("I cannot reach {name} privately right now, so nothing was sent.", name=asker.display_name))
    return None


async def ask_answer(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Please send your answer (or /cancel)."))


router.steps("kbanswer", {"text": Step(ask_answer, read_answer)})
