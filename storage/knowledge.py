"""Knowledge exchange: the practice library (practices, "useful" reactions, Thai search)
and offers of resources matched to needs (tables and repositories).

Search: each practice's words (:func:`storage.thai_text.index_terms` of its title,
description, aim, subjects and grades) are rows of ``practice_terms``, keyed by network
and term. A query reads only the index ``(network_id, term, practice_id)``: a GROUP BY
counts the query terms each practice matches, ranked exactly as the library promises
(more matched terms first, then newer); a one-term query needs no counting and reads its
newest hits off the index. The same SQL runs on SQLite and PostgreSQL. Neither engine can
segment Thai itself (FTS5's and tsvector's tokenizers split at spaces and punctuation), so
segmentation happens in Python either way; a terms table then keeps one code path (rather
than FTS5 plus tsvector, whose bm25/ts_rank orderings differ from each other and from the
promise), and deleting a practice's rows hides it from search at once.

Offers reuse the vocabulary of needs and pledges by value: ``resource_type`` is one of
the resource types, ``source_sector`` (the channel) one of the sectors, amounts are
integer hundredths with a unit ("THB" for funding). Practices and offers are numbered per
network (:mod:`storage.counters`), and a number is never given twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa

from storage.counters import next_number
from storage.repo import Repo
from storage.resource_repo import Need, NeedRepo, from_x100, to_x100
from storage.tables import members, metadata, organisations
from storage.thai_text import index_terms, query_terms
from storage.types import UTCDateTime

practices = sa.Table(
    "practices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("author_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("organisation_id", sa.ForeignKey("organisations.id", ondelete="SET NULL")),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("aim", sa.String(500), nullable=False, server_default=""),
    sa.Column("subjects", sa.JSON, nullable=False),
    sa.Column("grades", sa.JSON, nullable=False),
    sa.Column("link", sa.String(1000)),
    # Where the photo is kept (a media token or a platform file id), never the bytes.
    sa.Column("photo_ref", sa.String(200)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime),
    sa.UniqueConstraint("network_id", "number", name="uq_practices_network_number"),
    sa.Index("ix_practices_network_created", "network_id", "created_at"),
    sa.Index("ix_practices_network_author", "network_id", "author_id"),
)

practice_terms = sa.Table(
    "practice_terms",
    metadata,
    sa.Column("practice_id", sa.ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("term", sa.String(64), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    # A search reads only this index: the practices of one network that have a term.
    sa.Index("ix_practice_terms_network_term", "network_id", "term", "practice_id"),
)

practice_reactions = sa.Table(
    "practice_reactions",
    metadata,
    sa.Column("practice_id", sa.ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

offers = sa.Table(
    "offers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("organisation_id", sa.ForeignKey("organisations.id", ondelete="SET NULL")),
    sa.Column("resource_type", sa.String(16), nullable=False),
    sa.Column("source_sector", sa.String(16), nullable=False),
    sa.Column("description", sa.String(500), nullable=False, server_default=""),
    sa.Column("quantity_x100", sa.BigInteger, nullable=False),
    sa.Column("unit", sa.String(32), nullable=False),
    sa.Column("skill", sa.String(200)),
    sa.Column("place", sa.String(200)),
    sa.Column("available_from", sa.Date),  # None: from the day it is offered
    sa.Column("available_until", sa.Date, nullable=False),
    # "open" until the offerer pledges it ("used") or its last day passes ("expired").
    sa.Column("status", sa.String(12), nullable=False, server_default="open"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_offers_network_number"),
    sa.Index("ix_offers_network_status_type", "network_id", "status", "resource_type", "available_until"),
)

MAX_QUERY_TERMS = 10  # a pasted paragraph must not become a hundred-term lookup
PRACTICE_FIELDS = frozenset({"title", "description", "aim", "subjects", "grades", "link", "photo_ref",
                             "organisation_id"})
_SEARCHED_FIELDS = ("title", "description", "aim", "subjects", "grades")


# ------------------------------------------------------------------ practices


@dataclass(frozen=True)
class Practice:
    id: int
    network_id: int
    number: int
    author_id: int | None
    author_name: str
    organisation_id: int | None
    organisation_name: str
    title: str
    description: str
    aim: str
    subjects: list[str]
    grades: list[str]
    link: str | None
    photo_ref: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PracticeHit:
    practice: Practice
    matched: int  # how many of the query's terms it has


_PRACTICE_COLUMNS = (*practices.c, members.c.display_name.label("author_name"),
                     organisations.c.name.label("organisation_name"))


def _practice_select() -> sa.Select[Any]:
    return sa.select(*_PRACTICE_COLUMNS).select_from(
        practices.outerjoin(members, members.c.id == practices.c.author_id)
        .outerjoin(organisations, organisations.c.id == practices.c.organisation_id))


def _practice(row: Any) -> Practice:
    return Practice(id=row.id, network_id=row.network_id, number=row.number, author_id=row.author_id,
                    author_name=row.author_name or "", organisation_id=row.organisation_id,
                    organisation_name=row.organisation_name or "", title=row.title, description=row.description,
                    aim=row.aim, subjects=[str(s) for s in row.subjects], grades=[str(g) for g in row.grades],
                    link=row.link, photo_ref=row.photo_ref, created_at=row.created_at, updated_at=row.updated_at)


def practice_text(values: dict[str, Any]) -> str:
    """The searchable text of a practice's fields, one chunk per field so words never join."""
    parts: list[Any] = []
    for field in _SEARCHED_FIELDS:
        value = values.get(field) or ""
        parts.extend(value if isinstance(value, list) else [value])
    return "\n".join(str(p) for p in parts)


class PracticeRepo(Repo):
    async def add(self, network_id: int, *, author_id: int | None, organisation_id: int | None, title: str,
                  description: str, aim: str, subjects: list[str], grades: list[str], link: str | None,
                  photo_ref: str | None, now: datetime) -> Practice:
        values = {"title": title, "description": description, "aim": aim, "subjects": subjects, "grades": grades}
        number = await next_number(self.conn, network_id, "practice")
        practice_id = (await self.conn.execute(
            practices.insert().values(network_id=network_id, number=number, author_id=author_id,
                                      organisation_id=organisation_id, link=link, photo_ref=photo_ref,
                                      created_at=now, updated_at=now, **values)
            .returning(practices.c.id))).scalar_one()
        await self._index(network_id, practice_id, values)
        practice = await self._by_id(network_id, practice_id)
        assert practice is not None
        return practice

    async def get(self, network_id: int, number: int) -> Practice | None:
        """A practice by its number in the network; None when there is none or it was deleted."""
        row = (await self.conn.execute(
            _practice_select().where(practices.c.network_id == network_id, practices.c.number == number,
                                     practices.c.deleted_at.is_(None)))).first()
        return _practice(row) if row else None

    async def by_id(self, network_id: int, practice_id: int) -> Practice | None:
        """A practice by its id (what buttons carry), in this network only; None when deleted."""
        row = (await self.conn.execute(
            _practice_select().where(practices.c.network_id == network_id, practices.c.id == practice_id,
                                     practices.c.deleted_at.is_(None)))).first()
        return _practice(row) if row else None

    async def update(self, network_id: int, number: int, /, *, now: datetime, **values: Any) -> Practice | None:
        """Change some fields (``PRACTICE_FIELDS``) and re-index its words; None if it is gone."""
        if set(values) - PRACTICE_FIELDS:
            raise ValueError(f"cannot update practice columns {set(values) - PRACTICE_FIELDS}")
        current = await self.get(network_id, number)
        if current is None:
            return None
        await self.conn.execute(practices.update().where(practices.c.id == current.id)
                                .values(updated_at=now, **values))
        if set(values) & set(_SEARCHED_FIELDS):
            await self.conn.execute(practice_terms.delete().where(practice_terms.c.practice_id == current.id))
            merged = {field: values.get(field, getattr(current, field)) for field in _SEARCHED_FIELDS}
            await self._index(network_id, current.id, merged)
        return await self.get(network_id, number)

    async def delete(self, network_id: int, number: int, *, now: datetime) -> bool:
        """Hide a practice for good (its number stays taken); False if it was not there."""
        current = await self.get(network_id, number)
        if current is None:
            return False
        await self.conn.execute(practices.update().where(practices.c.id == current.id)
                                .values(deleted_at=now, updated_at=now))
        await self.conn.execute(practice_terms.delete().where(practice_terms.c.practice_id == current.id))
        return True

    async def search(self, network_id: int, query: str, *, limit: int = 5, offset: int = 0) -> list[PracticeHit]:
        """Practices of the network with any of the query's words: most words matched first, then newest."""
        terms = query_terms(query)[:MAX_QUERY_TERMS]
        if not terms:
            return []
        want = limit + offset
        if len(terms) == 1:
            # Every hit matches the one term: newest first straight off the index, nothing to count.
            page_rows = (await self.conn.execute(
                sa.select(practice_terms.c.practice_id)
                .where(practice_terms.c.network_id == network_id, practice_terms.c.term == terms[0])
                .order_by(practice_terms.c.practice_id.desc()).limit(limit).offset(offset))).scalars().all()
            ranked = [(int(pid), 1) for pid in page_rows]
        else:
            ranked = (await self._most_matched(network_id, terms, want))[offset:want]
        if not ranked:
            return []
        matched = dict(ranked)
        rows = (await self.conn.execute(
            _practice_select().where(practices.c.network_id == network_id, practices.c.deleted_at.is_(None),
                                     practices.c.id.in_(list(matched))))).all()
        hits = [PracticeHit(_practice(r), matched[r.id]) for r in rows]
        hits.sort(key=lambda h: (-h.matched, -h.practice.id))
        return hits

    async def _most_matched(self, network_id: int, terms: list[str], want: int) -> list[tuple[int, int]]:
        """The ``want`` practices with most of ``terms``, newest first among equals, as (id, matched).

        Counting every posting of common words ("นักเรียน ครู ใบงาน") over a large library is the slow
        part, so the index is read in windows of practice ids, newest first, each window giving only its
        own best ``want``: their union holds the overall best. Once ``want`` practices match every term,
        nothing older can rank above them and the reading stops."""
        t = practice_terms.c
        tops = [(await self.conn.execute(sa.select(sa.func.max(t.practice_id))
                                         .where(t.network_id == network_id, t.term == term))).scalar()
                for term in terms]
        newest = max((top for top in tops if top is not None), default=None)
        if newest is None:
            return []
        matched = sa.func.count().label("matched")
        best: dict[int, int] = {}
        every = len(set(terms))
        high, window = int(newest) + 1, 4096
        while high > 0:
            low = max(0, high - window)
            rows = (await self.conn.execute(
                sa.select(t.practice_id, matched)
                .where(t.network_id == network_id, t.term.in_(terms), t.practice_id >= low, t.practice_id < high)
                .group_by(t.practice_id).order_by(matched.desc(), t.practice_id.desc()).limit(want))).all()
            best.update((int(r.practice_id), int(r.matched)) for r in rows)
            if sum(1 for n in best.values() if n == every) >= want:
                break
            high, window = low, window * 2
        return sorted(best.items(), key=lambda item: (-item[1], -item[0]))[:want]


    async def recent(self, network_id: int, *, limit: int = 5, offset: int = 0,
                     author_id: int | None = None) -> list[Practice]:
        """Newest first; optionally one author's."""
        query = _practice_select().where(practices.c.network_id == network_id, practices.c.deleted_at.is_(None))
        if author_id is not None:
            query = query.where(practices.c.author_id == author_id)
        rows = (await self.conn.execute(
            query.order_by(practices.c.created_at.desc(), practices.c.id.desc()).limit(limit).offset(offset))).all()
        return [_practice(r) for r in rows]

    async def created_between(self, network_id: int, start: datetime, end: datetime, *, limit: int = 10
                              ) -> list[Practice]:
        """Practices shared in [start, end), oldest first (the weekly summary names them)."""
        rows = (await self.conn.execute(
            _practice_select().where(practices.c.network_id == network_id, practices.c.deleted_at.is_(None),
                                     practices.c.created_at >= start, practices.c.created_at < end)
            .order_by(practices.c.created_at, practices.c.id).limit(limit))).all()
        return [_practice(r) for r in rows]

    # ------------------------------------------------------------ "useful" reactions

    async def react(self, network_id: int, practice_id: int, member_id: int, *, now: datetime) -> bool:
        """Mark a practice useful; False if this member already had (one reaction per member)."""
        return await self.insert_ignore(
            practice_reactions, {"practice_id": practice_id, "member_id": member_id, "network_id": network_id,
                                 "created_at": now}, ["practice_id", "member_id"])

    async def unreact(self, network_id: int, practice_id: int, member_id: int) -> bool:
        result = await self.conn.execute(practice_reactions.delete().where(
            practice_reactions.c.network_id == network_id, practice_reactions.c.practice_id == practice_id,
            practice_reactions.c.member_id == member_id))
        return bool(result.rowcount)

    async def reactions(self, network_id: int, practice_ids: list[int], *, member_id: int | None = None
                        ) -> dict[int, tuple[int, bool]]:
        """practice id → (how many found it useful, whether ``member_id`` did)."""
        result = {i: (0, False) for i in practice_ids}
        if not practice_ids:
            return result
        mine = (sa.func.max(sa.case((practice_reactions.c.member_id == member_id, 1), else_=0))
                if member_id is not None else sa.literal(0))
        rows = (await self.conn.execute(
            sa.select(practice_reactions.c.practice_id, sa.func.count().label("n"), mine.label("mine"))
            .where(practice_reactions.c.network_id == network_id, practice_reactions.c.practice_id.in_(practice_ids))
            .group_by(practice_reactions.c.practice_id))).all()
        result.update({r.practice_id: (int(r.n), bool(r.mine)) for r in rows})
        return result

    # ------------------------------------------------------------ internals

    async def _by_id(self, network_id: int, practice_id: int) -> Practice | None:
        row = (await self.conn.execute(
            _practice_select().where(practices.c.network_id == network_id, practices.c.id == practice_id))).first()
        return _practice(row) if row else None

    async def _index(self, network_id: int, practice_id: int, values: dict[str, Any]) -> None:
        terms = sorted(index_terms(practice_text(values)))
        if terms:
            await self.conn.execute(practice_terms.insert(), [
                {"practice_id": practice_id, "term": term, "network_id": network_id} for term in terms])


# ------------------------------------------------------------------ offers


@dataclass(frozen=True)
class Offer:
    id: int
    network_id: int
    number: int
    member_id: int | None
    member_name: str
    organisation_id: int | None
    organisation_name: str
    resource_type: str
    source_sector: str
    description: str
    quantity: Decimal
    unit: str
    skill: str | None
    place: str | None
    available_from: date | None
    available_until: date
    status: str
    created_at: datetime


@dataclass(frozen=True)
class Fit:
    """An offer that fits a need: ``covers`` of the ``remaining`` amount, all of it or part."""

    offer: Offer
    need: Need
    remaining: Decimal  # the need's target less what is already pledged
    covers: Decimal
    coverage: Literal["enough", "partial"]


def fit(offer: Offer, need: Need, *, remaining: Decimal, today: date) -> Fit | None:
    """Whether ``offer`` can answer ``need``, and how much of it.

    It fits when both are open, the resource type is the same, the unit is the same
    (amounts in other units cannot be compared: "2 days" of volunteering is not "20
    hours"), something is still missing, and the offer is available on some day from
    today up to the needed-by date (and not past its own end).
    """
    if offer.status != "open" or need.status != "open" or remaining <= 0:
        return None
    if offer.resource_type != need.resource_type or offer.unit.casefold() != need.unit.casefold():
        return None
    first_day = max(today, offer.available_from or today)
    if first_day > min(offer.available_until, need.needed_by):
        return None
    covers = min(offer.quantity, remaining)
    return Fit(offer=offer, need=need, remaining=remaining, covers=covers,
               coverage="enough" if covers >= remaining else "partial")


def rank_fits(fits: list[Fit]) -> list[Fit]:
    """Enough before partial, then the larger share, then the offer or need that runs out sooner."""
    return sorted(fits, key=lambda f: (f.coverage != "enough", -f.covers,
                                       min(f.offer.available_until, f.need.needed_by), f.offer.number, f.need.id))


_OFFER_COLUMNS = (*offers.c, members.c.display_name.label("member_name"),
                  organisations.c.name.label("organisation_name"))


def _offer_select() -> sa.Select[Any]:
    return sa.select(*_OFFER_COLUMNS).select_from(
        offers.outerjoin(members, members.c.id == offers.c.member_id)
        .outerjoin(organisations, organisations.c.id == offers.c.organisation_id))


def _offer(row: Any) -> Offer:
    return Offer(id=row.id, network_id=row.network_id, number=row.number, member_id=row.member_id,
                 member_name=row.member_name or "", organisation_id=row.organisation_id,
                 organisation_name=row.organisation_name or "", resource_type=row.resource_type,
                 source_sector=row.source_sector, description=row.description,
                 quantity=from_x100(row.quantity_x100), unit=row.unit, skill=row.skill, place=row.place,
                 available_from=row.available_from, available_until=row.available_until, status=row.status,
                 created_at=row.created_at)


class OfferRepo(Repo):
    async def add(self, network_id: int, *, member_id: int | None, organisation_id: int | None,
                  resource_type: str, source_sector: str, description: str, quantity: Decimal, unit: str,
                  skill: str | None, place: str | None, available_from: date | None, available_until: date,
                  now: datetime) -> Offer:
        number = await next_number(self.conn, network_id, "offer")
        await self.conn.execute(
            offers.insert().values(network_id=network_id, number=number, member_id=member_id,
                                   organisation_id=organisation_id, resource_type=resource_type,
                                   source_sector=source_sector, description=description,
                                   quantity_x100=to_x100(quantity), unit=unit, skill=skill, place=place,
                                   available_from=available_from, available_until=available_until, status="open",
                                   created_at=now, updated_at=now))
        offer = await self.get(network_id, number)
        assert offer is not None
        return offer

    async def get(self, network_id: int, number: int) -> Offer | None:
        row = (await self.conn.execute(
            _offer_select().where(offers.c.network_id == network_id, offers.c.number == number))).first()
        return _offer(row) if row else None

    async def open_offers(self, network_id: int, today: date, *, resource_type: str | None = None,
                          limit: int = 10, offset: int = 0) -> list[Offer]:
        """Open offers not past their end, by resource type, the soonest to end first."""
        query = _offer_select().where(offers.c.network_id == network_id, offers.c.status == "open",
                                      offers.c.available_until >= today)
        if resource_type is not None:
            query = query.where(offers.c.resource_type == resource_type)
        rows = (await self.conn.execute(
            query.order_by(offers.c.resource_type, offers.c.available_until, offers.c.number)
            .limit(limit).offset(offset))).all()
        return [_offer(r) for r in rows]

    async def mark_used(self, network_id: int, number: int, *, now: datetime) -> bool:
        """open → used (the offerer pledged it); False if it was not open (a double tap)."""
        result = await self.conn.execute(
            offers.update().where(offers.c.network_id == network_id, offers.c.number == number,
                                  offers.c.status == "open")
            .values(status="used", updated_at=now))
        return bool(result.rowcount)

    async def take(self, network_id: int, number: int, amount: Decimal, *, now: datetime) -> Decimal | None:
        """Take ``amount`` of an open offer (its offerer pledged that much): what is left of it, or
        None if it is not open or holds less (a double tap). It is "used" once nothing is left."""
        taken = to_x100(amount)
        left = (await self.conn.execute(
            offers.update().where(offers.c.network_id == network_id, offers.c.number == number,
                                  offers.c.status == "open", offers.c.quantity_x100 >= taken)
            .values(quantity_x100=offers.c.quantity_x100 - taken,
                    status=sa.case((offers.c.quantity_x100 - taken <= 0, "used"), else_="open"), updated_at=now)
            .returning(offers.c.quantity_x100))).scalar_one_or_none()
        return None if left is None else from_x100(int(left))

    async def expire_due(self, network_id: int, today: date, *, now: datetime) -> list[int]:
        """Mark the network's open offers that ended before today expired; their numbers."""
        rows = (await self.conn.execute(
            offers.update().where(offers.c.network_id == network_id, offers.c.status == "open",
                                  offers.c.available_until < today)
            .values(status="expired", updated_at=now).returning(offers.c.number))).scalars()
        return sorted(int(n) for n in rows)

    async def for_need(self, network_id: int, need: Need, today: date) -> list[Fit]:
        """The open offers that fit a need, best first."""
        if need.network_id != network_id:
            return []
        remaining = await self._remaining([need])
        rows = (await self.conn.execute(
            _offer_select().where(offers.c.network_id == network_id, offers.c.status == "open",
                                  offers.c.resource_type == need.resource_type,
                                  offers.c.available_until >= today))).all()
        fits = (fit(_offer(r), need, remaining=remaining[need.id], today=today) for r in rows)
        return rank_fits([f for f in fits if f is not None])

    async def needs_for(self, offer: Offer, today: date) -> list[Fit]:
        """The open needs of the offer's network that it fits, best first."""
        found = await NeedRepo(self.conn).open_of_type(
            offer.network_id, offer.resource_type, needed_by_from=max(today, offer.available_from or today))
        remaining = await self._remaining(found)
        fits = (fit(offer, need, remaining=remaining[need.id], today=today) for need in found)
        return rank_fits([f for f in fits if f is not None])

    async def _remaining(self, needs_list: list[Need]) -> dict[int, Decimal]:
        progress = await NeedRepo(self.conn).progress([n.id for n in needs_list])
        return {n.id: n.target - progress[n.id][0] for n in needs_list}
