"""The authorization matrix: every command of the README's tables (and a sample of Thai
aliases) × every role × private/group chat, with numbers that point at the other network's
items; then forged buttons that point there too.

The expected table below is written from the README's "who" column, not read from the
router's rules, so a route declared too loosely (or too tightly) fails here. Each answer is
also checked for cross-network reads: nothing of network B (item titles, member names, the
network's name) in an answer to network A's people, and nothing of A in B's coordinator's.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from bot.payload import encode
from tests.support.activities import said, send
from tests.support.conversation import Conversation, make_conversation

# ------------------------------------------------------------------ the two networks

# Network A (เครือข่ายเหนือ): its items carry the word อรุณ. Network B (เครือข่ายใต้): บูรพา.
A_NAME, B_NAME = "เครือข่ายเหนือ", "เครือข่ายใต้"
A_MARK, B_MARK = "อรุณ", "บูรพา"
A_PEOPLE = {"coordinator": "alice", "teacher": "tina", "partner": "pat", "parent": "pim"}
B_PEOPLE = ["zed", "ben", "bud", "bea", "bob", "bax", "bon"]  # zed coordinates B; 7 members
A_GROUP, B_GROUP = "north", "south"
# Ids (what buttons carry) that exist only in network B (A's items were created first: ids 1). Typed numbers
# are per network: B_ONLY["survey"] is B's second poll (A has one), B_ONLY["need"] a need number neither has.
B_ONLY = {"activity": 2, "need": 2, "pledge": 2, "survey_id": 3, "survey": 2, "meeting": 2, "member": 7, "goal": 2,
          "target": 2}
A_ONLY = {"activity": 1, "need": 1, "pledge": 1, "survey_id": 1, "meeting": 1, "goal": 1, "target": 1}

# The coordinator of A goes last: some answers change the group (/unlinkgroup unlinks it).
ROLES = ("stranger", "parent", "partner", "teacher", "other coordinator", "coordinator")
ANYONE = frozenset(ROLES)
MEMBER = frozenset({"parent", "partner", "teacher", "coordinator", "other coordinator"})
COORDINATOR = frozenset({"coordinator", "other coordinator"})
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Row:
    """One command of the README: who may use it, and where (any, private, group)."""

    text: str
    who: frozenset[str]
    where: str = "any"
    # A Thai word without the slash is a command only in a private chat (README), so such rows run only there.
    chats: tuple[str, ...] = ("dm", "group")


def people(roles: Iterable[str]) -> frozenset[str]:
    return frozenset(roles)


# The README's "who" column, as written there.
EXPECTED: list[Row] = [
    Row("/start", ANYONE), Row("/เริ่ม", ANYONE),
    Row("/help", ANYONE), Row("/ช่วยเหลือ", ANYONE),
    # "admins (EDUNET_ADMINS; the console user)": none of these people is an admin here.
    Row("/newnetwork เครือข่ายใหม่", NOBODY, "private"),
    Row("/invite teacher", COORDINATOR), Row("/เชิญ ครู", COORDINATOR),
    Row("/join ABCD-EFGH", ANYONE, "private"), Row("/เข้าร่วม ABCD-EFGH", ANYONE, "private"),
    Row("/linkgroup", COORDINATOR, "group"),
    # "anyone, in a linked group"; a member of another network stays there (one identity, one network).
    Row("/register", ANYONE - {"other coordinator"}, "group"),
    Row("/me", MEMBER), Row("/ฉัน", MEMBER), Row("/lang th", MEMBER), Row("/org โรงเรียนกลาง", MEMBER),
    Row("/members", COORDINATOR), Row("/สมาชิก", COORDINATOR),
    Row("/role {member} teacher", COORDINATOR), Row("/remove {member}", COORDINATOR),
    Row("/ลบสมาชิก {member}", COORDINATOR), Row("/unblock {member}", COORDINATOR),
    Row("/ปลดบล็อก {member}", COORDINATOR),
    Row("สมาชิก", COORDINATOR, chats=("dm",)), Row("เชิญ ผู้ปกครอง", COORDINATOR, chats=("dm",)),
    Row("ฉัน", MEMBER, chats=("dm",)), Row("ความต้องการ", MEMBER, chats=("dm",)),
    Row("ผลสำรวจ {survey}", COORDINATOR, chats=("dm",)), Row("เข้าร่วม ABCD-EFGH", ANYONE, chats=("dm",)),
    Row("/cancel", ANYONE), Row("/ยกเลิก", ANYONE),
    Row("/news", ANYONE), Row("/ข่าวล่าสุด", ANYONE), Row("/quota", COORDINATOR), Row("/โควตา", COORDINATOR),
    Row('/log อบรม 20/11/2569 "งานกลาง" 5 คน 1 ชม.', people({"coordinator", "other coordinator", "teacher",
                                                            "partner"})),
    Row("/activities", MEMBER), Row("/กิจกรรม", MEMBER),
    Row("/need", people({"teacher", "coordinator", "other coordinator"}), "private"),
    Row("/needs", MEMBER), Row("/ความต้องการ", MEMBER),
    Row("/pledge {need}", MEMBER, "private"), Row("/สนับสนุน {need}", MEMBER, "private"),
    Row("/pledges", MEMBER),
    Row("/export activities", COORDINATOR, "private"), Row("/export pledges", COORDINATOR, "private"),
    Row("/survey", COORDINATOR, "private"),
    Row('/poll "โพลกลาง" ก | ข', people({"coordinator", "other coordinator", "teacher"}), "group"),
    Row("/results {survey}", COORDINATOR), Row("/ผลสำรวจ {survey}", COORDINATOR),
    # "creator or coordinator": teachers may create polls; that this one did not is checked below.
    Row("/closesurvey {survey}", people({"coordinator", "other coordinator", "teacher"})),
    Row("/exportsurvey {survey}", COORDINATOR, "private"), Row("/export survey {survey}", COORDINATOR, "private"),
    # From the README's prose: "Coordinators call a meeting", "/announce (private chat, coordinators)".
    Row("/meeting งานกลาง", COORDINATOR), Row("/announce", COORDINATOR, "private"),
    # Goals: "everyone in the network reads; coordinators edit"; a manual indicator is reported by its owner or a
    # coordinator (each network's indicator 1.1 belongs to its coordinator).
    Row("/goals", MEMBER), Row("/เป้าหมาย 2569", MEMBER), Row("เป้าหมาย", MEMBER, chats=("dm",)),
    Row("/goals report 1.1 5", COORDINATOR),
    Row("/setgoal", COORDINATOR), Row('/ตั้งเป้าหมาย ด้านนวัตกรรม "เป้ากลาง" ประชุม 3', COORDINATOR),
    Row("/setgoal target 1 ประชุม 4", COORDINATOR),
    Row("/review", COORDINATOR), Row("/ทบทวน 2569/1", COORDINATOR),
    Row("/export review 2569/1", COORDINATOR, "private"), Row("/export goals", COORDINATOR, "private"),
    Row("/announce report 1", COORDINATOR, "private"),
    Row("/unlinkgroup", COORDINATOR, "group"),  # last: it unlinks network A's group
]

REFUSALS = re.compile("|".join([
    "กรุณาส่งคำสั่งนี้ในแชตส่วนตัวกับบอต",  # private only
    "กรุณาใช้คำสั่งนี้ในกลุ่มแชต",  # group only
    "กลุ่มนี้เชื่อมกับเครือข่ายอื่น",  # a member of another network in this group
    "ยังไม่ได้ลงทะเบียน",  # not a member
    "เฉพาะ.+เท่านั้น",  # the wrong role, or not an administrator
]))
APOLOGY = "ขออภัย ระบบขัดข้อง"


@pytest.fixture(params=["line", "telegram"])
async def bot(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Conversation]:
    """A conversation where only ``root`` is an administrator (the console makes everyone one)."""
    conversation, app = await make_conversation(sqlite_url, request.param, admins="line:root,telegram:root")
    app.operators_are_admins = False
    yield conversation
    await app.close()


async def two_networks(bot: Conversation) -> None:
    """Network A and B with people, a linked group each, and one of every item; B's come second."""
    for name, coordinator, group in ((A_NAME, "alice", A_GROUP), (B_NAME, "zed", B_GROUP)):
        await bot(f"root@dm: /newnetwork {name}")
        await bot(f"{coordinator}@dm: /join {bot.last_code()}", f"{coordinator}@{group}: /linkgroup")
    await bot.add_member("tina", "teacher")
    await bot.add_member("pat", "partner")
    await bot(f"pim@{A_GROUP}: [Register]", "pim@dm: /start")
    for name in B_PEOPLE[1:]:
        await bot.add_member(name, "teacher" if name == "ben" else "parent", coordinator="zed")
    for staff, teacher, group, mark in (("alice", "tina", A_GROUP, A_MARK), ("zed", "ben", B_GROUP, B_MARK)):
        await bot(f'{teacher}@dm: /log อบรม 20/11/2569 "อบรม{mark}" 10 คน 2 ชม.')
        await bot(f"{teacher}@dm: /org โรงเรียน{mark}")
        await bot(f"{teacher}@dm: /need", f"{teacher}@dm: [materials/equipment]", f"{teacher}@dm: แท็บเล็ต{mark}",
                  f"{teacher}@dm: 40 เครื่อง", f"{teacher}@dm: 15/1/2570", f"{teacher}@dm: [Post]")
        await bot(f"{staff}@dm: /pledge 1", f"{staff}@dm: 10 เครื่อง",  # numbers are per network
                  f"{staff}@dm: [private sector]", f"{staff}@dm: [Today]", f"{staff}@dm: [Confirm pledge]")
        await bot(f'{staff}@{group}: /poll "โพล{mark}" ก | ข')
        await bot(f"{staff}@{group}: /meeting ประชุม{mark}", f"{staff}@{group}: 23/11/2569 14:00",
                  f"{staff}@{group}: [1.5 ชั่วโมง]", f"{staff}@{group}: ห้อง{mark}", f"{staff}@{group}: วาระ{mark}",
                  f"{staff}@{group}: [ทุกกลุ่ม]", f"{staff}@{group}: [สร้าง]")
    await bot(f'zed@{B_GROUP}: /poll "โพลที่สอง{B_MARK}" ก | ข')  # B's survey number 2: none in A
    for staff, mark in (("alice", A_MARK), ("zed", B_MARK)):  # goal and target ids: A's 1, B's 2
        await bot(f'{staff}@dm: /setgoal ด้านบุคลากร "เป้า{mark}" ตัวชี้วัด "ตัวชี้วัด{mark}" 10 แห่ง')
    transcript = bot.transcript
    assert APOLOGY not in transcript
    for text in (f"อบรม{A_MARK}", f"อบรม{B_MARK}", f"แท็บเล็ต{B_MARK}", f"โพลที่สอง{B_MARK}",
                 f"ประชุม{B_MARK}", f"ตัวชี้วัด{B_MARK}"):
        assert text in transcript, text


def person(role: str, index: int) -> tuple[str, str]:
    """(console user, the other network's marker) for a role; strangers are new each time."""
    if role == "stranger":
        return f"stranger{index}", ""
    if role == "other coordinator":
        return "zed", A_MARK
    return A_PEOPLE[role], B_MARK


def leaks(out: str, role: str, private: bool) -> list[str]:
    """What of the other network an answer shows."""
    if role == "other coordinator":
        foreign = [A_MARK, *(n.capitalize() for n in A_PEOPLE.values())]
        if private:
            foreign.append(A_NAME)  # in A's group, the group's own network may be named
    else:
        foreign = [B_MARK, B_NAME, *(n.capitalize() for n in B_PEOPLE)]
    return [word for word in foreign if word in out]


def arguments(role: str) -> dict[str, int]:
    """Numbers pointing at the other network's items."""
    if role == "other coordinator":
        return {"member": 4, "need": A_ONLY["need"], "survey": 1}  # A's numbers all exist in B as well
    return {"member": B_ONLY["member"], "need": B_ONLY["need"], "survey": B_ONLY["survey"]}


async def test_every_command_by_every_role_in_every_chat(bot: Conversation) -> None:
    await two_networks(bot)
    violations: list[str] = []
    cell = 0
    for row in EXPECTED:
        for chat in (c if c == "dm" else A_GROUP for c in row.chats):
            for role in ROLES:
                cell += 1
                user, _ = person(role, cell)
                text = row.text.format(**arguments(role))
                out = await bot(f"{user}@{chat}: {text}")
                # In network A's group, B's coordinator is nobody's member: only "anyone" rows are his.
                as_who = "stranger" if chat != "dm" and role == "other coordinator" else role
                allowed = (role in row.who and as_who in row.who
                           and row.where in ("any", "private" if chat == "dm" else "group"))
                refused = bool(REFUSALS.search(out))
                where = f"{text!r} by {role} in {'a private chat' if chat == 'dm' else 'the group'}"
                if APOLOGY in out:
                    violations.append(f"{where}: crashed")
                elif allowed and (refused or not out.strip()):
                    violations.append(f"{where}: refused, README allows it:\n{out}")
                elif not allowed and not refused:
                    violations.append(f"{where}: answered, README does not allow it:\n{out}")
                if role != "stranger" and (found := leaks(out, role, chat == "dm")):
                    violations.append(f"{where}: shows the other network's {found}:\n{out}")
    assert not violations, f"{len(violations)} violations in {cell} cells:\n\n" + "\n\n".join(violations)


# ------------------------------------------------------------------ forged buttons

# Every button action whose payload carries an item id: (action, which id, extra arguments).
BUTTONS = [
    ("aco", "activity", ()), ("ace", "activity", ()), ("acd", "activity", ()), ("acx", "activity", ()),
    ("plv", "need", ()), ("pln", "need", ()), ("plo", "pledge", ()), ("pld", "pledge", ()), ("plc", "pledge", ()),
    ("sva", "survey_id", ()), ("sv", "survey_id", (1, 0)), ("svc", "survey_id", (1,)), ("svn", "survey_id", (1,)),
    ("rsvp", "meeting", ("y",)), ("ics", "meeting", ()), ("mtg", "meeting", ()), ("mtgmove", "meeting", ()),
    ("mtgcxl", "meeting", ()), ("mtgcxlok", "meeting", ()),
    ("ggt", "goal", ()), ("grp", "target", ()), ("rva", "goal", (2, 2569, 1)),
]


async def test_forged_buttons_never_reach_the_other_networks_items(bot: Conversation) -> None:
    await two_networks(bot)
    violations: list[str] = []
    presses = 0
    for action, item, extra in BUTTONS:
        for role in ("parent", "teacher", "coordinator", "other coordinator"):
            user, _ = person(role, 0)
            ids = A_ONLY if role == "other coordinator" else B_ONLY
            for group in (None, A_GROUP if role != "other coordinator" else B_GROUP):
                presses += 1
                outcome = await send(bot, user, payload=encode(action, ids[item], *extra), group=group)
                out = said(outcome)
                where = f"button {action} on the other network's {item} by {role} in {group or 'a private chat'}"
                if outcome.failed:
                    violations.append(f"{where}: crashed")
                if found := leaks(out, role, group is None):
                    violations.append(f"{where}: shows the other network's {found}:\n{out}")
    assert not violations, f"{len(violations)} violations in {presses} presses:\n\n" + "\n\n".join(violations)
    # Nothing of either network changed: the activities, pledges and meetings are all still there.
    async with bot.app.db.transaction() as conn:
        from storage.activities import activities, pledges
        from storage.meetings import meetings

        assert (await conn.execute(sa.select(sa.func.count()).select_from(activities))).scalar_one() == 2
        statuses = (await conn.execute(sa.select(pledges.c.status).order_by(pledges.c.id))).scalars().all()
        assert len(set(statuses)) == 1 and len(statuses) == 2, statuses
        states = (await conn.execute(sa.select(meetings.c.status).order_by(meetings.c.id))).scalars().all()
        assert states == ["scheduled", "scheduled"], states
        from storage.goals import goals
        from storage.goals.reviews import goal_review_acts

        assert (await conn.execute(sa.select(goals.c.status))).scalars().all() == ["active", "active"]
        assert (await conn.execute(sa.select(sa.func.count()).select_from(goal_review_acts))).scalar_one() == 0


async def test_a_teacher_cannot_close_a_survey_someone_else_created(bot: Conversation) -> None:
    await two_networks(bot)
    assert "เฉพาะผู้สร้าง" in await bot("tina@dm: /closesurvey 1")
