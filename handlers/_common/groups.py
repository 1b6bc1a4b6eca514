"""Shared pieces for features that push to groups: choosing target groups in a flow,
short button labels, and human durations."""

from __future__ import annotations

from bot.context import MemberContext
from bot.i18n import Translator
from bot.model import Button, Text
from storage.membership import Chat, ChatRepo

LABEL_MAX = 20  # LINE's limit for button labels; Telegram allows more


def short(label: str, limit: int = LABEL_MAX) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def chat_name(t: Translator, chat: Chat, platform: str) -> str:
    """A group as people recognise it: its title and its platform's display name."""
    title = chat.title or t("(untitled group)")
    return f"{title} [{platform}]"


async def linked_groups(ctx: MemberContext) -> list[Chat]:
    return await ctx.repo(ChatRepo).linked_groups(ctx.network.id)


async def group_picker(ctx: MemberContext, selected: list[int], prompt: str) -> Text:
    """A message listing the network's groups as toggle buttons (✓ = chosen) and Done."""
    rows: list[list[Button]] = []
    for chat in await linked_groups(ctx):
        mark = "✓ " if chat.id in selected else ""
        rows.append([ctx.flow_button(short(mark + (chat.title or str(chat.id))), f"g:{chat.id}")])
    rows.append([ctx.flow_button(ctx.t("Done"), "done"), ctx.flow_button(ctx.t("Cancel"), "cancel")])
    return Text(prompt, buttons=rows)


def toggle(selected: list[int], value: str) -> list[int]:
    """Apply a ``g:ID`` toggle from :func:`group_picker`."""
    try:
        chat_id = int(value.split(":", 1)[1])
    except (IndexError, ValueError):
        return selected
    return [c for c in selected if c != chat_id] if chat_id in selected else [*selected, chat_id]


def duration_text(t: Translator, minutes: int) -> str:
    """``1 day``, ``2 hours``, ``1 hour 30 minutes``, ``45 minutes``."""
    minutes = max(0, int(minutes))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(t("{n} day", n=days) if days == 1 else t("{n} days", n=days))
    if hours:
        parts.append(t("{n} hour", n=hours) if hours == 1 else t("{n} hours", n=hours))
    if mins or not parts:
        parts.append(t("{n} minute", n=mins) if mins == 1 else t("{n} minutes", n=mins))
    return " ".join(parts)
