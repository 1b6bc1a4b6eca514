"""The LINE Messaging API through our own client (:mod:`bot.adapters.line.client`), and the outbox
:class:`~bot.outbox.Sender` for LINE.

Pushes carry ``X-Line-Retry-Key``: the outbox row's stable UUID (further requests of a
long row get UUIDs derived from it), so a retried push is never delivered twice, and a
409 for an accepted key counts as delivered. 429 → retry later (``Retry-After`` when
LINE sends one); 5xx and timeouts → retry; 400 → not retryable; 403/404 → the user
blocked the bot or it left the chat (``chat_gone``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import aiohttp

from bot.adapters.line.client import LineApiError, MessagingClient
from bot.adapters.line.rate import RATE_PROFILE
from bot.adapters.line.render import (
    MAX_MESSAGES,
    Message,
    RenderOptions,
    message_count,
    pack,
    render_group,
    render_requests,
)
from bot.delivery_policy import (CHEAPER_AHEAD, Budget, QuotaReading, Urgency, WaitReason, month_gone,
                                 quiet_hours_of)
from bot.i18n import Translator
from bot.model import Reply
from bot.outbox import DeliveryError
from storage.deliveries import DeliveryRepo
from storage.delivery_stats import DeliveryStatsRepo
from storage.membership import Chat, MemberRepo, NetworkRepo

if TYPE_CHECKING:
    from bot.adapters.line.render import Publisher
    from bot.app import App
    from bot.adapters.line.settings import LineSettings

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 10.0
PROFILE_TIMEOUT = 3.0
PROFILE_TTL = 600.0  # seconds a LINE profile (name, language) and a group's name are trusted
MONTHLY_LIMIT_RETRY = 3600.0
GROUP_SIZE_MAX_AGE = 24 * 3600.0
QUOTA_MAX_AGE = 3600.0
# After this many pushes the quota is read again (LINE's own count wins over ours).
QUOTA_REFRESH_PUSHES = 10


def part_key(retry_key: str, index: int) -> str:
    """The retry key of request ``index`` of one outbox row (a UUID, stable across attempts)."""
    try:
        base = uuid.UUID(retry_key)
    except ValueError:
        base = uuid.uuid5(uuid.NAMESPACE_URL, f"edunet:{retry_key}")
    return str(base) if index == 0 else str(uuid.uuid5(base, f"part-{index}"))


def _error_message(exc: LineApiError) -> str:
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return str(body or exc.reason or "")[:300]
    if isinstance(data, dict):
        message = str(data.get("message", ""))
        details = data.get("details") or []
        if details:
            message += " " + "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in details
                                       if isinstance(d, dict))
        return message[:1000]
    return str(data)[:300]


def _header(exc: LineApiError, name: str) -> str | None:
    for key, value in exc.headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def classify(exc: BaseException) -> DeliveryError | None:
    """The outbox's view of a failed push; None means "delivered" (409: key already accepted)."""
    if isinstance(exc, LineApiError):
        status = exc.status or 0
        message = f"LINE {status}: {_error_message(exc)}"
        if status == 409:
            return None
        if status == 429:
            retry_after: float | None = None
            raw = _header(exc, "Retry-After")
            if raw and raw.strip().isdigit():
                retry_after = float(raw.strip())
            elif "monthly limit" in message.lower():
                # Not a rate limit: the month's quota is used up. The row waits (no retry burnt)
                # for a free reply or the next month.
                return DeliveryError(message, retryable=True, retry_after=MONTHLY_LIMIT_RETRY,
                                     wait_reason="monthly_limit")
            return DeliveryError(message, retryable=True, retry_after=retry_after, rate_limited=True)
        if status in (403, 404):
            return DeliveryError(message, retryable=False, chat_gone=True)
        if status == 401:
            return DeliveryError(message + " (check LINE_CHANNEL_ACCESS_TOKEN)", retryable=True, retry_after=60)
        if status >= 500:
            return DeliveryError(message, retryable=True)
        return DeliveryError(message, retryable=False)
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ClientError, OSError)):
        return DeliveryError(f"LINE unreachable: {type(exc).__name__}: {exc}", retryable=True)
    raise exc


@dataclass
class BatchResult:
    """``delivered`` leading rows went out; ``error`` says why the next one did not."""

    delivered: int
    error: DeliveryError | None


def message_count_of(replies: Sequence[Reply]) -> int:
    return sum(message_count(r) for r in replies)


def _accepted_count(exc: BaseException) -> int | None:
    """How many messages the request LINE accepted under a retry key held (409's sentMessages)."""
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        sent = json.loads(body).get("sentMessages") if body else None
    except (ValueError, AttributeError):
        return None
    return len(sent) if isinstance(sent, list) else None


@dataclass
class Profile:
    display_name: str
    language: str | None


class LineApi:
    """The Messaging API for the process: one client (its session is opened on first use, inside the
    loop), with profiles and group names cached."""

    def __init__(self, settings: LineSettings) -> None:
        self.settings = settings
        self.client = MessagingClient(settings.channel_access_token, settings.api_base_url,
                                      settings.data_api_base_url)
        self._profiles: OrderedDict[tuple[str, str], tuple[float, Profile | None]] = OrderedDict()
        self._titles: dict[str, tuple[float, str | None]] = {}
        # LINE sends no event when a user renames themselves or changes their language, so a cached
        # profile is trusted for PROFILE_TTL only: a change shows within that, and a user who writes
        # every few seconds costs one look-up per PROFILE_TTL. (What it feeds: the name a member is
        # registered under and the language of someone not registered yet; see LineAdapter._enrich.)
        self.profile_ttl = PROFILE_TTL
        self.failure_ttl = 300.0
        self.clock = time.monotonic  # the caches' clock (tests move it)

    async def close(self) -> None:
        await self.client.close()

    # ------------------------------------------------------------ messages

    async def push(self, to: str, messages: list[Message], *, retry_key: str) -> None:
        await self.client.push(to, messages, retry_key=retry_key, timeout=REQUEST_TIMEOUT)

    async def reply(self, token: str, messages: list[Message]) -> None:
        await self.client.reply(token, messages, timeout=REQUEST_TIMEOUT)

    # ------------------------------------------------------------ people and groups

    async def profile(self, user_id: str, chat_id: str | None = None) -> Profile | None:
        """A user's display name and language (in a group: as a member, whose profile has no language),
        cached; None on failure. In a group, the name from the user's own profile when that is cached
        (LINE's display name is the user's, the same in every chat)."""
        now = self.clock()
        key = (chat_id or "", user_id)
        cached = self._profiles.get(key)
        if cached is not None and cached[0] > now:
            self._profiles.move_to_end(key)
            return cached[1]
        own = self._profiles.get(("", user_id)) if chat_id else None
        if own is not None and own[0] > now and own[1] is not None:
            return Profile(display_name=own[1].display_name, language=None)
        profile: Profile | None = None
        try:
            if chat_id and chat_id.startswith(("C", "R")):
                got = await self.client.member_profile(chat_id, user_id, timeout=PROFILE_TIMEOUT)
            else:
                got = await self.client.profile(user_id, timeout=PROFILE_TIMEOUT)
            name, language = got.get("displayName"), got.get("language")
            if not isinstance(name, str):
                raise ValueError("the profile has no displayName")
            profile = Profile(display_name=name, language=language if isinstance(language, str) else None)
        except Exception as exc:  # a profile is a nicety: never fail an event over it
            log.info("LINE profile of %s unavailable: %s", user_id, str(exc).splitlines()[0] if str(exc) else exc)
        self._profiles[key] = (now + (self.profile_ttl if profile else self.failure_ttl), profile)
        while len(self._profiles) > 5000:
            self._profiles.popitem(last=False)
        return profile

    async def group_title(self, group_id: str) -> str | None:
        """A group's name (rooms have none), cached; None on failure."""
        if not group_id.startswith("C"):
            return None
        now = self.clock()
        cached = self._titles.get(group_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        title = None
        try:
            summary = await self.client.group_summary(group_id, timeout=PROFILE_TIMEOUT)
            name = summary.get("groupName")
            title = name if isinstance(name, str) else None
        except Exception as exc:
            log.info("LINE group summary of %s unavailable: %s", group_id, exc.__class__.__name__)
        self._titles[group_id] = (now + (self.profile_ttl if title else self.failure_ttl), title)
        return title

    async def member_count(self, chat_id: str) -> int | None:
        try:
            if chat_id.startswith(("C", "R")):
                return await self.client.member_count(chat_id, timeout=PROFILE_TIMEOUT)
        except Exception as exc:
            log.info("LINE member count of %s unavailable: %s", chat_id, exc.__class__.__name__)
            return None
        return 1

    # ------------------------------------------------------------ quota

    async def quota(self) -> tuple[int | None, int]:
        """The month's message limit (None: no limit) and what is used so far (billed messages)."""
        limit = await self.client.message_quota(timeout=PROFILE_TIMEOUT)
        used = await self.client.message_quota_consumption(timeout=PROFILE_TIMEOUT)
        value = int(limit["value"]) if limit.get("type") == "limited" and limit.get("value") is not None else None
        return value, int(used.get("totalUsage") or 0)

    async def bot_info(self) -> dict[str, Any]:
        """The bot's info (``GET /v2/bot/info``); raises :class:`LineApiError` (401: a refused token)
        or a connection error."""
        return await self.client.bot_info(timeout=REQUEST_TIMEOUT)

    async def add_friend_url(self) -> str | None:
        """``https://line.me/R/ti/p/@basicid`` for the bot, or None."""
        try:
            info = await self.client.bot_info(timeout=PROFILE_TIMEOUT)
        except Exception as exc:
            log.info("LINE bot info unavailable: %s", exc.__class__.__name__)
            return None
        basic_id = info.get("basicId")
        return f"https://line.me/R/ti/p/{basic_id.replace('@', '%40')}" if isinstance(basic_id, str) and basic_id \
            else None


class LineSender:
    """Delivers outbox rows to LINE chats as pushes (the :class:`bot.outbox.Sender` for LINE)."""

    rate_profile = RATE_PROFILE  # the outbox dispatcher paces pushes by it
    batch_messages = MAX_MESSAGES  # message objects per push (the dispatcher's batch size)

    def __init__(self, app: App, api: LineApi, publish_for: Any) -> None:
        self.app = app
        self.api = api
        # publish_for(network_id) -> Publisher | None
        self.publish_for = publish_for
        # (fetched at, by the app's clock; limit or None; used): LINE's quota. Pushes in between are
        # added to "used" as they go; it is read again after an hour, in a new month, or after a run
        # of QUOTA_REFRESH_PUSHES pushes (what LINE counted may differ from our estimate).
        self._quota: tuple[datetime, int | None, int] | None = None
        self._pushes_since_quota = 0

    def _quota_stale(self, now: datetime) -> bool:
        if self._quota is None or self._pushes_since_quota >= QUOTA_REFRESH_PUSHES:
            return True
        fetched = self._quota[0]
        return now - fetched > timedelta(seconds=QUOTA_MAX_AGE) or f"{fetched:%Y-%m}" != f"{now:%Y-%m}"

    async def quota(self) -> tuple[int | None, int] | None:
        """The account's monthly limit and use (cached, see above); None when LINE does not say."""
        now = self.app.clock.now()
        if self._quota_stale(now):
            try:
                limit, used = await self.api.quota()
            except Exception as exc:  # the budget is a saving, not a gate on delivery: fail open
                log.info("LINE quota unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                return None if self._quota is None else self._quota[1:]
            self._quota = (now, limit, used)
            self._pushes_since_quota = 0
        assert self._quota is not None
        self.app.quotas["line"] = QuotaReading(limit=self._quota[1], used=self._quota[2], at=self._quota[0])
        return self._quota[1], self._quota[2]

    async def admit(self, chat: Chat, urgency: str) -> str | None:
        """Before a billed push: None when the month's budget allows it, else why it waits
        (``budget``). The budget is the network's /settings line-budget, capped by the account's limit."""
        if chat.platform not in self.app.billed_platforms:  # LINE_FREE_DELIVERY=0: pushed when due
            return None
        quota = await self.quota()
        async with self.app.db.transaction() as conn:
            network_id = chat.network_id
            if network_id is None and chat.kind == "private":  # a member's private chat: their network's
                member = await MemberRepo(conn).active_by_identity("line", chat.platform_chat_id)
                network_id = member.network_id if member else None
            network = await NetworkRepo(conn).get(network_id) if network_id else None
        own = (network.settings or {}).get("line_budget") if network else None
        limits = [v for v in (quota[0] if quota else None, own if isinstance(own, int) else None) if v is not None]
        if not limits:
            return None
        cost = await self.recipients(chat)
        now = self.app.clock.now().astimezone(timezone.utc)
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        async with self.app.db.transaction() as conn:
            largest = await DeliveryStatsRepo(conn, "line").largest_group(network.id) if network else 0
            urgent_spent = await DeliveryRepo(conn).urgent_billed_since("line", month_start)
        budget = Budget(limit=min(limits), used=quota[1] if quota else 0, largest_push=max(largest, cost),
                        urgent_spent=urgent_spent, month_gone=month_gone(now, timezone.utc))
        ahead = 0
        if urgency == Urgency.DIGEST.value:
            # A digest asks at its last call; never pushed in the quiet hours (it waits for their end).
            tz = ZoneInfo(network.timezone) if network else ZoneInfo("Asia/Bangkok")
            if quiet_hours_of(network.settings if network else {}, self.app.settings.quiet_hours).contains(now, tz):
                return WaitReason.QUIET_HOURS.value
            if cost > 1:  # cheapest first: the people waiting for their own push in the next hour
                async with self.app.db.transaction() as conn:
                    ahead = await DeliveryRepo(conn).people_waiting_for_push("line", now + CHEAPER_AHEAD)
        if budget.allows(Urgency(urgency), cost, ahead=ahead):
            return None
        return WaitReason.BUDGET.value

    def message_count(self, replies: Sequence[Reply]) -> int:
        """How many message objects a row becomes at most; a row that needs several pushes
        counts as more than one push holds (the dispatcher then sends it alone)."""
        if len(pack(replies)) > 1:
            return MAX_MESSAGES + 1
        return message_count_of(replies)

    async def send(self, chat: Chat, replies: list[Reply], *, retry_key: str) -> None:
        options = RenderOptions(translator=Translator(await self.language_of(chat)), private=chat.kind == "private",
                                publish=self.publish_for(chat.network_id))
        requests = await render_requests(replies, options)
        for index, messages in enumerate(requests):
            key = part_key(retry_key, index)
            try:
                await self.api.push(chat.platform_chat_id, messages, retry_key=key)
            except Exception as exc:  # noqa: BLE001 - classified below, unknown ones re-raised
                error = classify(exc)
                if error is not None:
                    raise error from exc
                log.info("LINE push %s to %s was already accepted (409): counted as delivered", key,
                         chat.platform_chat_id)
                continue
            await self.record_push(chat, len(messages))

    async def send_batch(self, chat: Chat, rows: Sequence[tuple[list[Reply], str]]) -> BatchResult:
        """Deliver several queued rows for one chat in as few pushes as possible (≤ 5 messages
        per push, one push billed per recipient); rows are taken in order.

        A request carrying rows A, B, C uses A's retry key. If LINE answers 409 (that key was
        accepted before, perhaps for fewer rows), its ``sentMessages`` tell how many messages
        the accepted request held, so exactly the leading rows it carried count as delivered;
        the rest go in the next request. A row too long for one request is sent alone.
        Returns how many leading rows were delivered and, if not all, why the next was not.
        """
        options = RenderOptions(translator=Translator(await self.language_of(chat)),
                                private=chat.kind == "private", publish=self.publish_for(chat.network_id))
        index = 0
        while index < len(rows):
            first_replies, first_key = rows[index]
            if len(pack(first_replies)) > 1 or message_count_of(first_replies) > MAX_MESSAGES:
                try:
                    await self.send(chat, first_replies, retry_key=first_key)
                except DeliveryError as error:
                    return BatchResult(index, error)
                index += 1
                continue
            count = 0
            end = index
            while end < len(rows):
                replies = rows[end][0]
                if len(pack(replies)) > 1 or count + message_count_of(replies) > MAX_MESSAGES:
                    break
                count += message_count_of(replies)
                end += 1
            taken: list[list[Message]] = []
            for position in range(index, end):  # quick replies only on the request's last message
                requests = await render_group(rows[position][0], options, final=position == end - 1)
                taken.append([m for request in requests for m in request])
            flat = [m for messages in taken for m in messages]
            try:
                await self.api.push(chat.platform_chat_id, flat, retry_key=part_key(first_key, 0))
            except Exception as exc:  # noqa: BLE001 - classified below, unknown ones re-raised
                failure = classify(exc)
                if failure is not None:
                    return BatchResult(index, failure)
                accepted = _accepted_count(exc)
                covered = 0
                sent = 0
                for messages in taken:
                    if accepted is None or sent + len(messages) > accepted:
                        break
                    sent += len(messages)
                    covered += 1
                if accepted is None:
                    covered = len(taken)
                index += max(1, covered)
                continue
            await self.record_push(chat, len(flat))
            index = end
        return BatchResult(len(rows), None)

    async def record_push(self, chat: Chat, messages: int) -> None:
        """Count one delivered push (and what it costs: one message per recipient)."""
        try:
            recipients = await self.recipients(chat)
            self._pushes_since_quota += 1
            if self._quota is not None:
                self._quota = (self._quota[0], self._quota[1], self._quota[2] + recipients)
                self.app.quotas["line"] = QuotaReading(limit=self._quota[1], used=self._quota[2],
                                                       at=self.app.clock.now())
            async with self.app.db.transaction() as conn:
                await DeliveryStatsRepo(conn, "line").count(chat.platform_chat_id, now=self.app.clock.now(),
                                                network_id=chat.network_id, pushes=1, push_messages=messages,
                                                recipients=recipients)
        except Exception:
            log.exception("could not record LINE push statistics for %s", chat.platform_chat_id)

    async def recipients(self, chat: Chat) -> int:
        """1 for a user; a group's or room's member count (cached for a day)."""
        if chat.kind == "private":
            return 1
        async with self.app.db.transaction() as conn:
            known = await DeliveryStatsRepo(conn, "line").group_size(chat.platform_chat_id)
        now = self.app.clock.now()
        if known is not None and (now - known[1]).total_seconds() < GROUP_SIZE_MAX_AGE:
            return max(1, known[0])
        count = await self.api.member_count(chat.platform_chat_id)
        if count is None:
            return max(1, known[0]) if known else 1
        async with self.app.db.transaction() as conn:
            await DeliveryStatsRepo(conn, "line").set_group_size(chat.platform_chat_id, count, now)
        return max(1, count)

    async def language_of(self, chat: Chat) -> str:
        """The chat's language: its member's own in private, the network's in groups."""
        async with self.app.db.read() as conn:  # no write lock: it runs for every answer
            if chat.kind == "private":
                member = await MemberRepo(conn).active_by_identity("line", chat.platform_chat_id)
                if member is not None:
                    return member.language
            if chat.network_id is not None:
                network = await NetworkRepo(conn).get(chat.network_id)
                if network is not None:
                    return network.language
        return self.app.settings.language


def publisher(store: Any, network_id: int | None) -> Publisher | None:
    """A render :data:`Publisher` over a :class:`bot.media.MediaStore` (None when it has no public URL)."""
    if store is None or not store.enabled:
        return None
    from bot.media import DOCUMENT_TTL, IMAGE_TTL

    async def publish(content: bytes, mime_type: str, filename: str, kind: str) -> str | None:
        ttl = DOCUMENT_TTL if kind == "document" else IMAGE_TTL
        try:
            url: str | None = await store.url_for(content, mime_type=mime_type, filename=filename,
                                                  network_id=network_id, ttl=ttl)
            return url
        except Exception:
            log.exception("could not publish %s for LINE", filename)
            return None

    return publish
