"""Telegram updates → neutral events.

One update gives one event (``event_id`` = the update id; App de-duplicates on it),
except a service message announcing several new members (one event each), a group
migration (handled by the adapter itself) and updates we do not act on (None).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Chat as TgChat
from telegram import ChatMember, Message, MessageEntity, Update, User

from bot.model import ChatKind, ChatRef, Event, EventKind, Sender

PRESENT = {ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER, ChatMember.RESTRICTED}


@dataclass(frozen=True)
class Migration:
    """A basic group became a supergroup with a new id."""

    event_id: str
    old_chat_id: str
    new_chat_id: str


@dataclass
class Converted:
    events: list[Event]
    migration: Migration | None = None
    callback_query_id: str | None = None


def sender_of(user: User | None) -> Sender:
    if user is None:
        return Sender(None)
    return Sender(user_id=str(user.id), display_name=user.full_name, language_hint=user.language_code)


def chat_ref(chat: TgChat) -> ChatRef | None:
    if chat.type == TgChat.PRIVATE:
        return ChatRef("telegram", str(chat.id), ChatKind.PRIVATE, None)
    if chat.type in (TgChat.GROUP, TgChat.SUPERGROUP):
        return ChatRef("telegram", str(chat.id), ChatKind.GROUP, chat.title)
    return None  # channels: not ours


def addressed_elsewhere(message: Message, bot_username: str) -> bool:
    """``/cmd@OtherBot``: a command for another bot in the same group."""
    text = message.text or ""
    for entity in message.entities or ():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            command = message.parse_entity(entity)
            _, at, addressee = command.partition("@")
            return bool(at) and addressee.lower() != bot_username.lower()
    if text.startswith("/"):
        first = text.split(maxsplit=1)[0]
        _, at, addressee = first.partition("@")
        return bool(at) and addressee.lower() != bot_username.lower()
    return False


def convert(update: Update, *, bot_id: int, bot_username: str) -> Converted:
    """The neutral events for one update."""
    uid = str(update.update_id)
    if update.callback_query is not None:
        return _callback(update, uid)
    if update.my_chat_member is not None:
        return Converted(_membership(update, uid))
    message = update.message
    if message is None:
        return Converted([])
    ref = chat_ref(message.chat)
    if ref is None:
        return Converted([])
    if message.migrate_to_chat_id:
        return Converted([], Migration(uid, str(message.chat.id), str(message.migrate_to_chat_id)))
    if message.migrate_from_chat_id:
        return Converted([], Migration(uid, str(message.migrate_from_chat_id), str(message.chat.id)))
    base = dict(platform="telegram", chat=ref, received_at=message.date, reply_handle=message.message_id)
    if message.new_chat_members:
        joined = [u for u in message.new_chat_members if u.id != bot_id and not u.is_bot]
        return Converted([Event(event_id=uid if i == 0 else f"{uid}.{i}", sender=sender_of(user),
                                kind=EventKind.MEMBER_JOINED, **base)  # type: ignore[arg-type]
                          for i, user in enumerate(joined)])
    if message.left_chat_member:
        user = message.left_chat_member
        if user.id == bot_id or user.is_bot:
            return Converted([])  # my_chat_member tells us about ourselves
        return Converted([Event(event_id=uid, sender=sender_of(user), kind=EventKind.MEMBER_LEFT,
                                **base)])  # type: ignore[arg-type]
    sender = sender_of(message.from_user)
    if message.from_user is not None and message.from_user.is_bot:
        return Converted([])
    if message.text is not None:
        if addressed_elsewhere(message, bot_username):
            return Converted([])
        return Converted([Event(event_id=uid, sender=sender, kind=EventKind.TEXT, text=message.text,
                                **base)])  # type: ignore[arg-type]
    if message.photo:
        # The adapter downloads the photo bytes before handling.
        return Converted([Event(event_id=uid, sender=sender, kind=EventKind.PHOTO, text=message.caption or "",
                                raw={"file_id": message.photo[-1].file_id}, **base)])  # type: ignore[arg-type]
    return Converted([])


def _callback(update: Update, uid: str) -> Converted:
    query = update.callback_query
    assert query is not None
    message = query.message
    ref = chat_ref(message.chat) if message is not None else None
    if ref is None or query.data is None:
        return Converted([], callback_query_id=query.id)
    event = Event(platform="telegram", event_id=uid, chat=ref, sender=sender_of(query.from_user),
                  kind=EventKind.BUTTON, payload=query.data, reply_handle=query.id,
                  source_message_id=str(message.message_id))  # type: ignore[union-attr]
    return Converted([event], callback_query_id=query.id)


def _membership(update: Update, uid: str) -> list[Event]:
    change = update.my_chat_member
    assert change is not None
    ref = chat_ref(change.chat)
    if ref is None:
        return []
    was = change.old_chat_member.status in PRESENT
    now = change.new_chat_member.status in PRESENT
    if was == now:
        return []  # e.g. promoted to administrator
    if ref.kind is ChatKind.PRIVATE:
        kind = EventKind.FOLLOW if now else EventKind.UNFOLLOW  # unblocked / blocked the bot
    else:
        kind = EventKind.BOT_ADDED if now else EventKind.BOT_REMOVED
    return [Event(platform="telegram", event_id=uid, chat=ref, sender=sender_of(change.from_user),
                  kind=kind, received_at=change.date)]
