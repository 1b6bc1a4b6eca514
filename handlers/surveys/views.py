"""Surveys: how cards, questions and results look (functions of a Translator, so pushes
render in each recipient's language)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.charts import LikertRow, choice_counts, likert_chart
from bot.i18n import Translator
from bot.model import Button, Card, Image, ProgressBar, Reply, Text
from bot.payload import encode
from handlers.surveys.logic import BUTTON_LABEL_CHARS, RATING_LABELS, QuestionStats, SurveyStats, rating_level
from storage.surveys import Answer, Question, Survey

CHECK = "✓ "
MOST_CHARTS = 4  # with the results card, the five messages a LINE push may carry


def when(t: Translator, tz: ZoneInfo, moment: datetime | None) -> str:
    return t.datetime(moment.astimezone(tz)) if moment else t("no deadline")


def update_key(survey: Survey) -> str:
    return f"poll:{survey.id}" if survey.is_poll else f"survey:{survey.id}"


def option_labels(t: Translator, question: Question) -> list[str]:
    if question.kind == "rating":
        return [t(label) for label in RATING_LABELS]
    return list(question.options)


def kind_label(t: Translator, kind: str) -> str:
    return {"single": t("single choice"), "multi": t("multiple choice"), "rating": t("rating (5 levels)"),
            "text": t("free text")}[kind]


def audience_text(t: Translator, survey: Survey, org_names: dict[int, str]) -> str:
    roles = t.join(t(r) for r in survey.roles) if survey.roles else t("everyone")
    if survey.organisations:
        roles += " · " + t.join(org_names.get(o, "?") for o in survey.organisations)
    return roles


# ------------------------------------------------------------------ cards


def open_status(t: Translator, tz: ZoneInfo, survey: Survey) -> str:
    """"open until …", or "open (no deadline)" for a poll that closes when its creator says."""
    if survey.closes_at is None:
        return t("open (no deadline)")
    return t("open until {when}", when=when(t, tz, survey.closes_at))


def survey_card(t: Translator, survey: Survey, tz: ZoneInfo, answered: int, audience: int,
                org_names: dict[int, str]) -> Card:
    """The card in groups and private chats: what, for whom, until when, and how many answered."""
    status = open_status(t, tz, survey) if survey.is_open else t("closed")
    fields = [(t("Survey no."), str(survey.number)), (t("Questions"), str(len(survey.questions))),
              (t("For"), audience_text(t, survey, org_names)),
              (t("Anonymous"), t("yes") if survey.anonymous else t("no — names are recorded")),
              (t("Status"), status),
              (t("Answered"), t("{answered}/{audience} people", answered=answered, audience=audience))]
    buttons = [[Button(t("Answer"), encode("sva", survey.id))]] if survey.is_open else []
    return Card(title=f"📋 {survey.title}", fields=fields,
                progress=[ProgressBar(t("Answered"), answered, audience)] if audience else [],
                buttons=buttons, alt_text=survey.title, update_key=update_key(survey))


def poll_card(t: Translator, survey: Survey, tz: ZoneInfo, counts: list[int], voters: int) -> Card:
    """A poll: the question, one button per option and the live counts."""
    question = survey.questions[0]
    numbered = needs_numbers(question.options)
    body = "\n".join(f"{i}. {o}" for i, o in enumerate(question.options, start=1)) if numbered else ""
    progress = [ProgressBar(f"{i}." if numbered else o, counts[i - 1], voters)
                for i, o in enumerate(question.options, start=1)]
    status = open_status(t, tz, survey) if survey.is_open else t("closed")
    buttons = [[Button(str(i) if numbered else o, encode("sv", survey.id, question.position, i - 1))]
               for i, o in enumerate(question.options, start=1)] if survey.is_open else []
    return Card(title=f"📊 {question.text}", body=body,
                fields=[(t("Poll no."), str(survey.number)), (t("Votes"), t("{n} people", n=voters)),
                        (t("Status"), status)],
                progress=progress, buttons=buttons, alt_text=question.text, update_key=update_key(survey))


def answer_button_for(t: Translator, survey: Survey) -> Button:
    return Button(t("Answer"), encode("sva", survey.id))


def invitation(t: Translator, survey: Survey, tz: ZoneInfo) -> Text:
    """The private message that brings a survey to an audience member."""
    lines = [t("📋 New survey: {title}", title=survey.title),
             t("{n} question(s) · closes {when}", n=len(survey.questions), when=when(t, tz, survey.closes_at))]
    if survey.anonymous:
        lines.append(t("Anonymous: nobody can see who answered what."))
    return Text("\n".join(lines), buttons=[[answer_button_for(t, survey)]])


def reminder(t: Translator, survey: Survey, tz: ZoneInfo) -> Text:
    return Text(t("⏰ Reminder: please answer “{title}” before {when}.", title=survey.title,
                  when=when(t, tz, survey.closes_at)), buttons=[[answer_button_for(t, survey)]])


def needs_numbers(options: tuple[str, ...] | list[str]) -> bool:
    return any(len(o) > BUTTON_LABEL_CHARS for o in options)


# ------------------------------------------------------------------ questions


def question_message(t: Translator, survey: Survey, question: Question, *, mine: list[Answer] | None = None,
                     private: bool = True) -> Text:
    """One question with its answer buttons. In private chats the member's current answer is ticked."""
    chosen = {a.choice for a in (mine or [])}
    total = len(survey.questions)
    lines = [f"📋 {survey.title}", f"{question.position}/{total}. {question.text}"]
    labels = option_labels(t, question)
    numbered = question.kind != "rating" and needs_numbers(labels)
    if numbered:
        lines += [f"{i}. {o}" for i, o in enumerate(labels, start=1)]
    rows: list[list[Button]] = []
    if question.kind == "text":
        if mine and mine[0].text:
            lines.append(t("Your answer: {text}", text=mine[0].text))
        lines.append(t("Type your answer and send it to me."))
        rows.append([Button(t("Skip"), encode("svn", survey.id, question.position))])
    else:
        if question.kind == "multi":
            lines.append(t("Choose all that apply, then tap Next."))
        for i, label in enumerate(labels):
            shown = str(i + 1) if numbered else label
            rows.append([Button((CHECK if private and i in chosen else "") + shown,
                                encode("sv", survey.id, question.position, i))])
        if question.kind == "multi":
            extra = [Button(t("Clear my choices"), encode("svc", survey.id, question.position))]
            if private:
                extra.append(Button(t("Next"), encode("svn", survey.id, question.position)))
            rows.append(extra)
        elif private and not survey.is_poll:
            rows.append([Button(t("Skip"), encode("svn", survey.id, question.position))])
    return Text("\n".join(lines), buttons=rows)


def describe_choices(t: Translator, question: Question, chosen: list[int]) -> str:
    labels = option_labels(t, question)
    return t.join(labels[c] for c in chosen if 0 <= c < len(labels)) or t("nothing")


# ------------------------------------------------------------------ results


def results_replies(t: Translator, stats: SurveyStats, tz: ZoneInfo, *, final: bool) -> list[Reply]:
    """The results card (and a chart image): counts and percentages, mean and S.D. for ratings."""
    survey = stats.survey
    title = (t("Results: {title}", title=survey.title) if final
             else t("Results so far: {title}", title=survey.title))
    fields: list[tuple[str, str]] = []
    if stats.audience is not None:
        rate = round(100 * stats.responses / stats.audience) if stats.audience else 0
        fields.append((t("Responses"), t("{answered}/{audience} people ({rate}%)", answered=stats.responses,
                                         audience=stats.audience, rate=rate)))
    else:
        fields.append((t("Votes"), t("{n} people", n=stats.responses)))
    if survey.closed_at:
        fields.append((t("Closed"), when(t, tz, survey.closed_at)))
    lines: list[str] = []
    progress: list[ProgressBar] = []
    if stats.suppressed:
        lines.append(t("Answers are hidden: an anonymous survey shows results only from {n} answers on.", n=5))
    else:
        for q in stats.questions:
            lines += question_lines(t, q)
            if survey.is_poll:
                progress = [ProgressBar(label, q.counts[i], q.answered)
                            for i, label in enumerate(option_labels(t, q.question))]
    if stats.breakdowns:
        lines.append(t("Response rate by role and organisation:"))
        for b in stats.breakdowns:
            label = t(b.label) if b.kind == "role" else (b.label or t("no organisation"))
            if b.suppressed:
                lines.append(f"  • {label}: " + t("hidden (fewer than {n} answers)", n=5))
            else:
                lines.append(f"  • {label}: {b.answered}/{b.total} ({round(100 * b.answered / b.total)}%)")
    card = Card(title=title, fields=fields, body="\n".join(lines), progress=progress, alt_text=title)
    replies: list[Reply] = [card]
    if not stats.suppressed:
        replies.extend(chart_images(t, stats, title))
    return replies


def question_lines(t: Translator, q: QuestionStats) -> list[str]:
    head = f"{q.question.position}. {q.question.text} ({kind_label(t, q.question.kind)} · n = {q.answered})"
    if q.suppressed:
        return [head, "   " + t("hidden (fewer than {n} answers)", n=5)]
    lines = [head]
    if q.question.kind == "text":
        lines += [f"   • {text}" for text in q.texts[:10]]
        if len(q.texts) > 10:
            lines.append("   " + t("…and {n} more (see the export)", n=len(q.texts) - 10))
        return lines
    if q.mean is not None and q.sd is not None:
        level = t(RATING_LABELS[rating_level(q.mean)])
        lines.append("   " + t("Mean {mean}, S.D. {sd} ({level})", mean=f"{q.mean:.2f}", sd=f"{q.sd:.2f}",
                                  level=level))
    for i, label in enumerate(option_labels(t, q.question)):
        lines.append(f"   • {label}: {q.counts[i]} ({q.percent(i):.0f}%)")
    return lines


def chart_images(t: Translator, stats: SurveyStats, heading: str) -> list[Image]:
    """One diverging Likert chart for all rating questions, then a chart of counts per choice
    question; questions with too few answers to show are left out, and with the card the answer
    stays within the five messages a LINE push may carry. ``heading`` (the card's title) begins
    each image's alternative text."""
    shown = [q for q in stats.questions if q.answered and not q.suppressed]
    ratings = [q for q in shown if q.question.kind == "rating" and q.mean is not None]
    title = stats.survey.title
    images: list[Image] = []
    if ratings:
        rows = [LikertRow(f"{q.question.position}. {q.question.text}", q.counts,
                          level=t(RATING_LABELS[rating_level(q.mean)]) if q.mean is not None else "")
                for q in ratings]
        png = likert_chart(title, rows, levels=[t(label) for label in RATING_LABELS], t=t,
                           subtitle=t("Rating questions"))
        images.append(Image(png=png, alt_text=f"{heading} · {t('Rating questions')}", caption=title))
    for q in [q for q in shown if q.question.kind in ("single", "multi")][:MOST_CHARTS - len(images)]:
        question = f"{q.question.position}. {q.question.text}"
        png = choice_counts(title, question, dict(zip(option_labels(t, q.question), q.counts)),
                            respondents=q.answered, unit=t("Number of people who chose it"))
        images.append(Image(png=png, alt_text=f"{heading} · {question}", caption=title))
    return images
