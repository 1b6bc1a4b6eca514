"""Networks, organisations, members, chats and invites.

A member row is one person's membership of one network (their number and role there). One
platform identity may hold an active membership in several networks; ``current_networks``
says which one their private chat acts on (group chats act on the network they are linked to).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.deliveries import carried_by_reply
from storage.repo import Repo
from storage.runtime import FlowState
from storage.tables import chats, current_networks, flow_states, invites, members, networks, organisations
from storage.types import UTCDateTime

# 'active' written into the SQL, not bound: SQLite re-plans a statement on every run when a bound value
# could decide whether a partial index applies (uq_members_network_active_identity is WHERE status =
# 'active'); with a bound status each member lookup was prepared again, some 20 µs a time.
_ACTIVE = sa.literal_column("'active'", sa.String)


@dataclass(frozen=True)
class Network:
    id: int
    name: str
    timezone: str
    language: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Organisation:
    id: int
    network_id: int
    name: str
    kind: str


@dataclass(frozen=True)
class Member:
    id: int
    network_id: int
    number: int
    platform: str
    platform_user_id: str
    display_name: str
    role: str
    organisation_id: int | None
    language: str
    status: str
    reachable: bool
    joined_at: datetime


@dataclass(frozen=True)
class Chat:
    id: int
    platform: str
    platform_chat_id: str
    kind: str
    title: str | None
    network_id: int | None
    active: bool


@dataclass(frozen=True)
class Invite:
    id: int
    network_id: int
    code: str
    role: str
    max_uses: int
    uses: int
    expires_at: datetime


def _network(row: Any) -> Network:
    return Network(id=row.id, name=row.name, timezone=row.timezone, language=row.language,
                   settings=dict(row.settings or {}))


# A network's columns beside a member's in one row, under names of their own.
_NETWORK_COLUMNS = [networks.c.id.label("network_row_id"), networks.c.name.label("network_name"),
                    networks.c.timezone.label("network_timezone"), networks.c.language.label("network_language"),
                    networks.c.settings.label("network_settings")]


def _labelled_network(row: Any) -> Network:
    return Network(id=row.network_row_id, name=row.network_name, timezone=row.network_timezone,
                   language=row.network_language, settings=dict(row.network_settings or {}))


def _member(row: Any) -> Member:
    return Member(
        id=row.id, network_id=row.network_id, number=row.number, platform=row.platform,
        platform_user_id=row.platform_user_id, display_name=row.display_name, role=row.role,
        organisation_id=row.organisation_id, language=row.language, status=row.status,
        reachable=row.reachable, joined_at=row.joined_at,
    )


def _chat(row: Any) -> Chat:
    return Chat(id=row.id, platform=row.platform, platform_chat_id=row.platform_chat_id, kind=row.kind,
                title=row.title, network_id=row.network_id, active=row.active)


class NetworkRepo(Repo):
    async def create(self, name: str, *, timezone: str, language: str, now: datetime) -> Network:
        result = await self.conn.execute(
            networks.insert()
            .values(name=name, timezone=timezone, language=language, settings={}, created_at=now)
            .returning(*networks.c)
        )
        return _network(result.one())

    async def get(self, network_id: int) -> Network | None:
        row = (await self.conn.execute(_NETWORK_BY_ID, {"network_id": network_id})).first()
        return _network(row) if row else None

    async def with_member(self, network_id: int, platform: str,
                          platform_user_id: str) -> tuple[Network | None, Member | None]:
        """A network and this identity's active membership of it (None: not a member), in one statement."""
        row = (await self.conn.execute(_NETWORK_WITH_MEMBER, {"network_id": network_id, "platform": platform,
                                                              "platform_user_id": platform_user_id})).first()
        if row is None:
            return None, None
        return _labelled_network(row), _member(row) if row.id is not None else None

    async def all(self) -> list[Network]:
        rows = (await self.conn.execute(sa.select(networks).order_by(networks.c.id))).all()
        return [_network(r) for r in rows]

    async def update_settings(self, network_id: int, settings: dict[str, Any]) -> None:
        await self.conn.execute(networks.update().where(networks.c.id == network_id).values(settings=settings))


class OrganisationRepo(Repo):
    async def get_or_create(self, network_id: int, name: str, *, now: datetime, kind: str = "other") -> Organisation:
        await self.insert_ignore(
            organisations,
            {"network_id": network_id, "name": name, "kind": kind, "created_at": now},
            ["network_id", "name"],
        )
        row = (
            await self.conn.execute(
                sa.select(organisations).where(organisations.c.network_id == network_id,
                                               organisations.c.name == name)
            )
        ).one()
        return Organisation(id=row.id, network_id=row.network_id, name=row.name, kind=row.kind)

    async def get(self, network_id: int, organisation_id: int) -> Organisation | None:
        row = (
            await self.conn.execute(
                sa.select(organisations).where(organisations.c.id == organisation_id,
                                               organisations.c.network_id == network_id)
            )
        ).first()
        return Organisation(id=row.id, network_id=row.network_id, name=row.name, kind=row.kind) if row else None

    async def list(self, network_id: int) -> list[Organisation]:
        rows = (
            await self.conn.execute(
                sa.select(organisations).where(organisations.c.network_id == network_id).order_by(organisations.c.name)
            )
        ).all()
        return [Organisation(id=r.id, network_id=r.network_id, name=r.name, kind=r.kind) for r in rows]

    async def set_kind(self, organisation_id: int, kind: str) -> None:
        await self.conn.execute(organisations.update().where(organisations.c.id == organisation_id).values(kind=kind))


class MemberRepo(Repo):
    async def active_by_identity(self, platform: str, platform_user_id: str) -> Member | None:
        """The membership this identity's private chat acts on: the current network's, or (when
        that one ended) the earliest of their other active memberships."""
        return await self.current(platform, platform_user_id)

    async def current(self, platform: str, platform_user_id: str) -> Member | None:
        row = (await self.conn.execute(_CURRENT_MEMBER, {"platform": platform,
                                                         "platform_user_id": platform_user_id})).first()
        return _member(row) if row else None

    async def current_with_network(self, platform: str, platform_user_id: str) -> tuple[Member, Network] | None:
        """:meth:`current` and its network, in one statement."""
        row = (await self.conn.execute(_CURRENT_MEMBER_WITH_NETWORK, {"platform": platform,
                                                                      "platform_user_id": platform_user_id})).first()
        return (_member(row), _labelled_network(row)) if row else None

    async def active_in(self, network_id: int, platform: str, platform_user_id: str) -> Member | None:
        """This identity's active membership of one network."""
        row = (await self.conn.execute(_ACTIVE_IN, {"network_id": network_id, "platform": platform,
                                                    "platform_user_id": platform_user_id})).first()
        return _member(row) if row else None

    async def memberships(self, platform: str, platform_user_id: str) -> list[tuple[Member, Network]]:
        """Every active membership of this identity with its network, oldest first."""
        rows = (
            await self.conn.execute(
                sa.select(members, *_NETWORK_COLUMNS)
                .join(networks, networks.c.id == members.c.network_id)
                .where(members.c.platform == platform, members.c.platform_user_id == platform_user_id,
                       members.c.status == _ACTIVE)
                .order_by(members.c.id)
            )
        ).all()
        return [(_member(r), _labelled_network(r)) for r in rows]

    async def active_identities(self, platform: str, platform_user_ids: set[str]) -> set[str]:
        """Which of these identities are active members of some network (one statement)."""
        if not platform_user_ids:
            return set()
        rows = await self.conn.execute(
            sa.select(members.c.platform_user_id).distinct()
            .where(members.c.platform == platform, members.c.platform_user_id.in_(sorted(platform_user_ids)),
                   members.c.status == _ACTIVE))
        return {str(r.platform_user_id) for r in rows}

    async def count_memberships(self, platform: str, platform_user_id: str) -> int:
        return int((await self.conn.execute(_COUNT_MEMBERSHIPS, {"platform": platform,
                                                                 "platform_user_id": platform_user_id})).scalar_one())

    async def set_current(self, platform: str, platform_user_id: str, network_id: int, *, now: datetime) -> None:
        """Make ``network_id`` the network this identity's private chat acts on."""
        inserted = await self.insert_ignore(
            current_networks,
            {"platform": platform, "platform_user_id": platform_user_id, "network_id": network_id, "chosen_at": now},
            ["platform", "platform_user_id"],
        )
        if not inserted:
            await self.conn.execute(
                current_networks.update()
                .where(current_networks.c.platform == platform, current_networks.c.platform_user_id == platform_user_id)
                .values(network_id=network_id, chosen_at=now)
            )

    async def set_language_by_identity(self, platform: str, platform_user_id: str, language: str) -> None:
        """A person's language, in every network they belong to (one private chat, one language)."""
        await self.conn.execute(
            members.update()
            .where(members.c.platform == platform, members.c.platform_user_id == platform_user_id)
            .values(language=language)
        )

    async def add(self, network_id: int, *, platform: str, platform_user_id: str, display_name: str,
                  role: str, language: str, now: datetime) -> Member:
        """Register an identity in a network, numbering members 1, 2, 3… within it (the caller
        checks that the identity is not an active member there already)."""
        # Serialise numbering per network on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
        await self.conn.execute(sa.select(networks.c.id).where(networks.c.id == network_id).with_for_update())
        next_number = (
            await self.conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(members.c.number), 0) + 1).where(
                    members.c.network_id == network_id
                )
            )
        ).scalar_one()
        result = await self.conn.execute(
            members.insert()
            .values(network_id=network_id, number=next_number, platform=platform,
                    platform_user_id=platform_user_id, display_name=display_name, role=role,
                    language=language, status="active", reachable=True, joined_at=now)
            .returning(*members.c)
        )
        # A first membership is the current one; later ones are added beside it (the caller may switch).
        await self.insert_ignore(
            current_networks,
            {"platform": platform, "platform_user_id": platform_user_id, "network_id": network_id, "chosen_at": now},
            ["platform", "platform_user_id"],
        )
        return _member(result.one())

    async def by_number(self, network_id: int, number: int) -> Member | None:
        row = (
            await self.conn.execute(
                sa.select(members).where(members.c.network_id == network_id, members.c.number == number,
                                         members.c.status == _ACTIVE)
            )
        ).first()
        return _member(row) if row else None

    async def get(self, network_id: int, member_id: int) -> Member | None:
        row = (
            await self.conn.execute(
                sa.select(members).where(members.c.network_id == network_id, members.c.id == member_id)
            )
        ).first()
        return _member(row) if row else None

    async def count(self, network_id: int, *, roles: list[str] | None = None,
                    organisation_ids: list[int] | None = None) -> int:
        """How many :meth:`list` would give, counted in the database."""
        query = sa.select(sa.func.count()).select_from(members).where(members.c.network_id == network_id,
                                                                      members.c.status == _ACTIVE)
        if roles:
            query = query.where(members.c.role.in_(roles))
        if organisation_ids:
            query = query.where(members.c.organisation_id.in_(organisation_ids))
        return int((await self.conn.execute(query)).scalar_one())

    async def list(self, network_id: int, *, roles: list[str] | None = None,
                   organisation_ids: list[int] | None = None) -> list[Member]:
        query = sa.select(members).where(members.c.network_id == network_id, members.c.status == _ACTIVE)
        if roles:
            query = query.where(members.c.role.in_(roles))
        if organisation_ids:
            query = query.where(members.c.organisation_id.in_(organisation_ids))
        rows = (await self.conn.execute(query.order_by(members.c.number))).all()
        return [_member(r) for r in rows]

    async def update(self, member_id: int, **values: Any) -> None:
        allowed = {"role", "organisation_id", "language", "display_name", "status", "reachable"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"cannot update member columns {unknown}")
        await self.conn.execute(members.update().where(members.c.id == member_id).values(**values))

    async def set_reachable_by_identity(self, platform: str, platform_user_id: str, reachable: bool) -> None:
        await self.conn.execute(
            members.update()
            .where(members.c.platform == platform, members.c.platform_user_id == platform_user_id)
            .values(reachable=reachable)
        )


def _current_member(query: sa.Select[Any], platform: Any, platform_user_id: Any) -> sa.Select[Any]:
    """``query`` narrowed to the membership an identity's private chat acts on (see MemberRepo.current)."""
    # Correlated to the member row (same platform and user), so it also works nested in a select of chats.
    chosen = (
        sa.select(current_networks.c.network_id)
        .where(current_networks.c.platform == members.c.platform,
               current_networks.c.platform_user_id == members.c.platform_user_id)
        .scalar_subquery()
    )
    return (query.where(members.c.platform == platform, members.c.platform_user_id == platform_user_id,
                        members.c.status == _ACTIVE)
            .order_by(sa.case((members.c.network_id == chosen, 0), else_=1), members.c.id)
            .limit(1))


# The statements every event runs, built once with named parameters: SQLAlchemy then finds their
# compiled form by a cache key it computed once, instead of building and hashing them per call.
_p = sa.bindparam
_NETWORK_BY_ID = sa.select(networks).where(networks.c.id == _p("network_id"))
_CURRENT_MEMBER = _current_member(sa.select(members), _p("platform"), _p("platform_user_id"))
_ACTIVE_IN = sa.select(members).where(members.c.network_id == _p("network_id"), members.c.platform == _p("platform"),
                                      members.c.platform_user_id == _p("platform_user_id"),
                                      members.c.status == _ACTIVE)
_COUNT_MEMBERSHIPS = sa.select(sa.func.count()).select_from(members).where(
    members.c.platform == _p("platform"), members.c.platform_user_id == _p("platform_user_id"),
    members.c.status == _ACTIVE)
_CHAT_BY_PLATFORM_ID = sa.select(chats).where(chats.c.platform == _p("platform"),
                                              chats.c.platform_chat_id == _p("platform_chat_id"))
_CHAT_BY_ID = sa.select(chats).where(chats.c.id == _p("chat_id"))
# Every event reads its chat and its sender's flow there: one statement (FlowRepo.get reads the same row).
_CHAT_WITH_FLOW = (
    sa.select(chats, flow_states.c.flow.label("flow_name"), flow_states.c.step.label("flow_step"),
              flow_states.c.data.label("flow_data"), flow_states.c.expires_at.label("flow_expires_at"))
    .select_from(chats.outerjoin(flow_states, sa.and_(flow_states.c.platform == chats.c.platform,
                                                      flow_states.c.chat_id == chats.c.platform_chat_id,
                                                      flow_states.c.user_id == _p("user_id"))))
    .where(chats.c.platform == _p("platform"), chats.c.platform_chat_id == _p("platform_chat_id")))
_CURRENT_MEMBER_WITH_NETWORK = _current_member(
    sa.select(members, *_NETWORK_COLUMNS).join(networks, networks.c.id == members.c.network_id),
    _p("platform"), _p("platform_user_id"))
_NETWORK_WITH_MEMBER = (
    sa.select(*_NETWORK_COLUMNS, members)
    .select_from(networks.outerjoin(members, sa.and_(members.c.network_id == networks.c.id,
                                                     members.c.platform == _p("platform"),
                                                     members.c.platform_user_id == _p("platform_user_id"),
                                                     members.c.status == _ACTIVE)))
    .where(networks.c.id == _p("network_id")))  # one row: one active membership per network (the unique index)
_CHAT_AFTER_EVENT = (
    sa.select(chats,
              sa.case((chats.c.kind == "private",
                       _current_member(sa.select(members.c.language), chats.c.platform,
                                       chats.c.platform_chat_id).scalar_subquery()),
                      else_=None).label("member_language"),
              sa.select(networks.c.language).where(networks.c.id == chats.c.network_id)
              .scalar_subquery().label("network_language"),
              sa.exists().where(carried_by_reply(chats.c.id, _p("lease_now", type_=UTCDateTime))).label("waiting"))
    .where(chats.c.id == _p("chat_id")))


@dataclass(frozen=True)
class ChatAfterEvent:
    """A chat read again after a handler ran: the handler may have linked it or changed its member's language."""

    chat: Chat
    member_language: str | None  # of the membership its private chat acts on (None: a group, or none active)
    network_language: str | None  # None: not linked to a network
    waiting: bool  # outbox rows a free reply to it may carry (carried_by_reply)


class ChatRepo(Repo):
    async def upsert(self, platform: str, platform_chat_id: str, kind: str, title: str | None,
                     *, now: datetime) -> Chat:
        """The chat row for a platform chat, created on first sight. Read first: nearly every
        event comes from a chat seen before, so that is one statement, not an insert and a read."""
        chat = await self.by_platform_id(platform, platform_chat_id)
        if chat is None:
            return await self._create(platform, platform_chat_id, kind, title, now=now)
        return await self._retitled(chat, title)

    async def _create(self, platform: str, platform_chat_id: str, kind: str, title: str | None, *,
                      now: datetime) -> Chat:
        """A chat not found a moment ago: inserted, or (another transaction was first) read and retitled."""
        row = await self.insert_ignore_returning(
            chats,
            {"platform": platform, "platform_chat_id": platform_chat_id, "kind": kind, "title": title,
             "active": True, "created_at": now},
            ["platform", "platform_chat_id"],
        )
        if row is not None:
            return _chat(row)
        chat = await self.by_platform_id(platform, platform_chat_id)
        assert chat is not None
        return await self._retitled(chat, title)

    async def _retitled(self, chat: Chat, title: str | None) -> Chat:
        """The chat with the title the platform gives it now (a group renamed)."""
        if not title or chat.title == title:
            return chat
        await self.conn.execute(chats.update().where(chats.c.id == chat.id).values(title=title))
        return await self.get(chat.id) or chat

    async def upsert_with_flow(self, platform: str, platform_chat_id: str, kind: str, title: str | None, *,
                               user_id: str, now: datetime) -> tuple[Chat, FlowState | None]:
        """:meth:`upsert`, and the stored flow of ``user_id`` in the chat read with it: (chat, flow or None;
        it may have expired: ``FlowRepo.live`` judges it). A chat seen for the first time has none: a chat's flows are saved once
        it has a row and deleted with it (migration 0016_orphan_flows)."""
        row = (await self.conn.execute(_CHAT_WITH_FLOW, {"platform": platform, "platform_chat_id": platform_chat_id,
                                                         "user_id": user_id})).first()
        if row is None:
            return await self._create(platform, platform_chat_id, kind, title, now=now), None
        chat = await self._retitled(_chat(row), title)
        flow = None
        if row.flow_name is not None:
            flow = FlowState(row.flow_name, row.flow_step, dict(row.flow_data), row.flow_expires_at)
        return chat, flow

    async def by_platform_id(self, platform: str, platform_chat_id: str) -> Chat | None:
        row = (await self.conn.execute(_CHAT_BY_PLATFORM_ID, {"platform": platform,
                                                              "platform_chat_id": platform_chat_id})).first()
        return _chat(row) if row else None

    async def get(self, chat_id: int) -> Chat | None:
        row = (await self.conn.execute(_CHAT_BY_ID, {"chat_id": chat_id})).first()
        return _chat(row) if row else None

    async def after_event(self, chat_id: int, *, lease_now: datetime) -> ChatAfterEvent | None:
        """The chat as a handler left it, with what its answers need, in one statement (see ChatAfterEvent);
        ``lease_now``: the time outbox leases are judged by."""
        row = (await self.conn.execute(_CHAT_AFTER_EVENT, {"chat_id": chat_id, "lease_now": lease_now})).first()
        if row is None:
            return None
        return ChatAfterEvent(_chat(row), row.member_language, row.network_language, bool(row.waiting))

    async def link(self, chat_id: int, network_id: int, *, by_member_id: int | None, now: datetime) -> None:
        await self.conn.execute(
            chats.update().where(chats.c.id == chat_id).values(
                network_id=network_id, linked_at=now, linked_by=by_member_id, active=True, inactive_reason=None
            )
        )

    async def unlink(self, chat_id: int) -> None:
        await self.conn.execute(chats.update().where(chats.c.id == chat_id).values(network_id=None))

    async def set_active(self, chat_id: int, active: bool, reason: str | None = None) -> None:
        await self.conn.execute(
            chats.update().where(chats.c.id == chat_id).values(active=active, inactive_reason=reason)
        )

    async def linked_groups(self, network_id: int, *, active_only: bool = True) -> list[Chat]:
        query = sa.select(chats).where(chats.c.network_id == network_id, chats.c.kind == "group")
        if active_only:
            query = query.where(chats.c.active == sa.true())
        rows = (await self.conn.execute(query.order_by(chats.c.id))).all()
        return [_chat(r) for r in rows]

    async def private_chat_of(self, platform: str, platform_user_id: str) -> Chat | None:
        """The private chat with a user. On both platforms its id is the user's id."""
        row = (
            await self.conn.execute(
                sa.select(chats).where(chats.c.platform == platform, chats.c.platform_chat_id == platform_user_id,
                                       chats.c.kind == "private")
            )
        ).first()
        return _chat(row) if row else None

    async def replace_platform_id(self, chat_id: int, new_platform_chat_id: str) -> None:
        """Telegram migrates a group to a supergroup under a new id."""
        await self.conn.execute(
            chats.update().where(chats.c.id == chat_id).values(platform_chat_id=new_platform_chat_id)
        )


class InviteRepo(Repo):
    async def create(self, network_id: int, *, code: str, role: str, max_uses: int, expires_at: datetime,
                     created_by: int | None, now: datetime) -> Invite:
        result = await self.conn.execute(
            invites.insert()
            .values(network_id=network_id, code=code, role=role, max_uses=max_uses, uses=0,
                    expires_at=expires_at, created_by=created_by, created_at=now)
            .returning(*invites.c)
        )
        return _invite(result.one())

    async def code_exists(self, code: str) -> bool:
        return (await self.conn.execute(sa.select(invites.c.id).where(invites.c.code == code))).first() is not None

    async def by_code(self, code: str) -> Invite | None:
        row = (await self.conn.execute(sa.select(invites).where(invites.c.code == code))).first()
        return _invite(row) if row else None

    async def consume(self, invite_id: int) -> bool:
        """Take one use, atomically; False if it was used up meanwhile."""
        result = await self.conn.execute(
            invites.update()
            .where(invites.c.id == invite_id, invites.c.uses < invites.c.max_uses)
            .values(uses=invites.c.uses + 1)
        )
        return bool(result.rowcount)


def _invite(row: Any) -> Invite:
    return Invite(id=row.id, network_id=row.network_id, code=row.code, role=row.role, max_uses=row.max_uses,
                  uses=row.uses, expires_at=row.expires_at)
