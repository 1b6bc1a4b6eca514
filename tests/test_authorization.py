"""The authorization matrix: every command of the README's tables (and a sample of Thai
aliases) × every role × private/group chat, with numbers that point at the other network's
items; then forged buttons that point there too.

The expected table below is written from the README's "who" column, not read from the
router's rules, so a route declared too loosely (or too tightly) fails here. Each answer is
also checked for cross-network reads: nothing of network B (item titles, member names, the
network's name) in an answer to network A's people, and nothing of A in B's coordinator's.

A member of both networks (dan: a teacher in A, a parent in B) acts with the role of the network
the chat resolves to: A's group, or his private chat while A is his current network, as A's
teacher; B's group, or his private chat after switching to B, as B's parent; and nothing of the
other network shows either way.
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
B_PEOPLE = ["zed", "ben", "bud", "bea", "bob", "bax", "bon", "bim"]  # zed coordinates B; 8 members
DUAL = "dan"  # a teacher in A (5th member) and a parent in B (9th member)
A_GROUP, B_GROUP = "north", "south"
# Ids (what buttons carry) that exist only in network B (A's items were created first: ids 1). Typed numbers
# are per network: B_ONLY["survey"] is B's second poll (A has one), B_ONLY["need"] a need number neither has.
# A's members: 5, a stranger and B's coordinator registering in A's group: 7; B's member 8 is bim, only in B.
B_ONLY = {"activity": 2, "need": 2, "pledge": 2, "survey_id": 3, "survey": 2, "meeting": 2, "member": 8,
          "plc_group": 2, "plc_session_id": 3, "plc_session": 2, "goal": 2, "target": 2, "project": 2, "task": 2,
          "practice_id": 2, "practice": 2, "network": 2}  # B shares two practices (ids 2 and 3, numbers 1 and 2), A one
A_ONLY = {"activity": 1, "need": 1, "pledge": 1, "survey_id": 1, "meeting": 1, "plc_group": 1, "plc_session_id": 1,
          "practice_id": 1, "goal": 1, "target": 1, "project": 1, "task": 1, "network": 1}

# The coordinator of A goes last: some answers change the group (/unlinkgroup unlinks it).
ROLES = ("stranger", "parent", "partner", "teacher", "both networks", "other coordinator", "coordinator")
ANYONE = frozenset(ROLES)
MEMBER = frozenset({"parent", "partner", "teacher", "coordinator", "other coordinator"})
COORDINATOR = frozenset({"coordinator", "other coordinator"})
STAFF = frozenset({"teacher", "coordinator", "other coordinator"})
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
    # "anyone, in a linked group": a member of another network adds this one, as a parent.
    Row("/register", ANYONE, "group"),
    Row("/me", MEMBER), Row("/ฉัน", MEMBER), Row("/lang th", MEMBER), Row("/org โรงเรียนกลาง", MEMBER),
    Row("/network", MEMBER, "private"), Row("/เครือข่าย", MEMBER, "private"),
    Row("/members", COORDINATOR), Row("/สมาชิก", COORDINATOR),
    Row("/role {member} teacher", COORDINATOR), Row("/remove {member}", COORDINATOR),
    Row("/ลบสมาชิก {member}", COORDINATOR), Row("/unblock {member}", COORDINATOR),
    Row("/ปลดบล็อก {member}", COORDINATOR),
    Row("สมาชิก", COORDINATOR, chats=("dm",)), Row("เชิญ ผู้ปกครอง", COORDINATOR, chats=("dm",)),
    Row("ฉัน", MEMBER, chats=("dm",)), Row("ความต้องการ", MEMBER, chats=("dm",)),
    Row("ผลสำรวจ {survey}", COORDINATOR, chats=("dm",)), Row("เข้าร่วม ABCD-EFGH", ANYONE, chats=("dm",)),
    Row("/cancel", ANYONE), Row("/ยกเลิก", ANYONE),
    Row("/news", ANYONE), Row("/ข่าวล่าสุด", ANYONE), Row("/quota", COORDINATOR), Row("/โควตา", COORDINATOR),
    Row("/dashboard", people({"coordinator", "other coordinator", "teacher", "partner"})),
    Row("/แดชบอร์ด", people({"coordinator", "other coordinator", "teacher", "partner"})),
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
    # XLSX reports of issue 16: meetings, a survey and the review as workbooks, the SAR evidence pack.
    Row("/export meetings", COORDINATOR, "private"), Row("/export survey {survey} xlsx", COORDINATOR, "private"),
    Row("/export review 2569/1 xlsx", COORDINATOR, "private"), Row("/export sar 2569", COORDINATOR, "private"),
    Row("/announce report 1", COORDINATOR, "private"),
    # The PLC logbook: teachers and coordinators; exports privately; the yearly target is a coordinator's.
    Row("/plc", STAFF), Row("/พีแอลซี", STAFF), Row("ชุมชนการเรียนรู้", STAFF, chats=("dm",)),
    Row("/plc hours", STAFF, "private"), Row("/plc checkin {plc_session}", STAFF), Row("/plc present {plc_session}", STAFF),
    Row("/plc export", STAFF, "private"), Row("/plc target 40", COORDINATOR),
    # The practice library and offers (handlers/knowledge).
    Row("/share งานกลาง | คำอธิบายกลาง", people({"coordinator", "other coordinator", "teacher", "partner"})),
    Row("/แบ่งปัน งานกลาง | คำอธิบายกลาง", people({"coordinator", "other coordinator", "teacher", "partner"})),
    Row("/kb แนวปฏิบัติ", MEMBER), Row("/คลังความรู้ แนวปฏิบัติ", MEMBER), Row("/kb #{practice}", MEMBER),
    Row("/kb", MEMBER), Row("คลังความรู้ แนวปฏิบัติ", MEMBER, chats=("dm",)),
    Row("/offer", MEMBER, "private"), Row("/เสนอให้", MEMBER, "private"),
    Row("/offers", MEMBER), Row("/ข้อเสนอ", MEMBER),
    Row("/plan", MEMBER), Row("/แผนงาน 1", MEMBER), Row("/tasks", MEMBER), Row("/tasks all", MEMBER),
    Row("/รายการงาน org", MEMBER), Row("/minutes", COORDINATOR, "private"),
    Row("/บันทึกการประชุม 2", COORDINATOR, "private"),
    # Where the plan shows too: the summary's goal lines, the meetings' roll, the network's academic terms.
    Row("/summary", MEMBER), Row("/meetings", MEMBER), Row("/settings", COORDINATOR),
    # Personal data (PDPA): the notice for anyone; a member's own data privately; the log for coordinators.
    Row("/privacy", ANYONE), Row("/ความเป็นส่วนตัว", ANYONE), Row("/consent", MEMBER, "private"),
    Row("/mydata", MEMBER, "private"), Row("/ข้อมูลของฉัน", MEMBER, "private"), Row("/forget", MEMBER, "private"),
    Row("/privacyrequests", COORDINATOR, "private"), Row("/retention", COORDINATOR),
    Row("/ระยะเก็บข้อมูล", COORDINATOR),
    Row("/plchours", STAFF, "private"), Row("/plcexport csv", STAFF, "private"), Row("/plctarget 40", COORDINATOR),
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
        await bot(f"{coordinator}@dm: /join {bot.last_code()}", f"{coordinator}@dm: [Agree and register]",
                  f"{coordinator}@{group}: /linkgroup")
    await bot.add_member("tina", "teacher")
    await bot.add_member("pat", "partner")
    await bot(f"pim@{A_GROUP}: [Register]", "pim@dm: /start")
    for name in B_PEOPLE[1:]:
        await bot.add_member(name, "teacher" if name == "ben" else "parent", coordinator="zed")
    await bot.add_member(DUAL, "teacher")
    await bot.add_member(DUAL, "parent", coordinator="zed")
    await switch(bot, DUAL, A_NAME)
    for staff, teacher, group, mark in (("alice", "tina", A_GROUP, A_MARK), ("zed", "ben", B_GROUP, B_MARK)):
        await bot(f'{teacher}@dm: /log อบรม 20/11/2569 "อบรม{mark}" 10 คน 2 ชม.')
        await bot(f"{teacher}@dm: /org โรงเรียน{mark}")
        await bot(f"{teacher}@dm: /need", f"{teacher}@dm: [materials/equipment]", f"{teacher}@dm: แท็บเล็ต{mark}",
                  f"{teacher}@dm: 40 เครื่อง", f"{teacher}@dm: 15/1/2570", f"{teacher}@dm: [Post]")
        await bot(f"{staff}@dm: /pledge 1", f"{staff}@dm: 10 เครื่อง",  # numbers are per network
                  f"{staff}@dm: [private sector]", f"{staff}@dm: [Today]", f"{staff}@dm: [Confirm pledge]")
        await bot(f'{staff}@{group}: /poll "โพล{mark}" ก | ข')
        await bot(f"{teacher}@dm: /plc new กลุ่มพีแอลซี{mark}",
                  f'{teacher}@dm: /plc log 21/11/2569 08:00 1 ชม. วางแผน "พีแอลซี{mark}"')
        await bot(f"{teacher}@dm: /share แนวปฏิบัติ{mark} | คำอธิบาย{mark}")
        await bot(f"{staff}@{group}: /meeting ประชุม{mark}", f"{staff}@{group}: 23/11/2569 14:00",
                  f"{staff}@{group}: [1.5 ชั่วโมง]", f"{staff}@{group}: ห้อง{mark}", f"{staff}@{group}: วาระ{mark}",
                  f"{staff}@{group}: [ทุกกลุ่ม]", f"{staff}@{group}: [สร้าง]")
        await bot(f"{staff}@dm: /plan", f"{staff}@dm: [สร้างโครงการ]", f"{staff}@dm: โครงการ{mark}",
                  f"{staff}@dm: [ข้าม]", f"{staff}@dm: [ข้าม]", f"{staff}@dm: [ข้าม]", f"{staff}@dm: [บันทึก]",
                  f"{staff}@dm: [เพิ่มงาน]", f"{staff}@dm: งาน{mark}", f"{staff}@dm: 2", f"{staff}@dm: 15/12/2569",
                  f"{staff}@dm: [บันทึก]")  # member 2 is the teacher in both networks
    await bot(f'zed@{B_GROUP}: /poll "โพลที่สอง{B_MARK}" ก | ข')  # B's survey number 2: none in A
    await bot(f'ben@dm: /plc log 21/11/2569 08:30 1 ชม. สอน "พีแอลซีที่สอง{B_MARK}"')  # B's PLC session 2: none in A
    await bot(f"zed@dm: /share แนวปฏิบัติที่สอง{B_MARK} | คำอธิบายที่สอง{B_MARK}")  # B's practice #2: none in A
    for offerer, mark in (("pat", A_MARK), ("zed", B_MARK)):  # offer #1 in each network
        await bot(f"{offerer}@dm: /offer", f"{offerer}@dm: [materials/equipment]", f"{offerer}@dm: ข้อเสนอ{mark}",
                  f"{offerer}@dm: 5 เครื่อง", f"{offerer}@dm: [private sector]", f"{offerer}@dm: [Skip]",
                  f"{offerer}@dm: 31/12/2569", f"{offerer}@dm: [เสนอ]")
    for staff, mark in (("alice", A_MARK), ("zed", B_MARK)):  # goal and target ids: A's 1, B's 2
        await bot(f'{staff}@dm: /setgoal ด้านบุคลากร "เป้า{mark}" ตัวชี้วัด "ตัวชี้วัด{mark}" 10 แห่ง')
    transcript = bot.transcript
    assert APOLOGY not in transcript
    for text in (f"อบรม{A_MARK}", f"อบรม{B_MARK}", f"แท็บเล็ต{B_MARK}", f"โพลที่สอง{B_MARK}",
                 f"ประชุม{B_MARK}", f"พีแอลซีที่สอง{B_MARK}", f"แนวปฏิบัติที่สอง{B_MARK}", f"บันทึกข้อเสนอ #1 แล้ว",
                 f"ตัวชี้วัด{B_MARK}", f"📌 งาน #1: งาน{B_MARK}"):
        assert text in transcript, text


async def switch(bot: Conversation, user: str, network: str) -> None:
    """The member's private chat acts on ``network`` from now on (/network and its button)."""
    out = await bot(f"{user}@dm: /network", f"{user}@dm: [ใช้ “{network}”]")
    assert f"สลับไปใช้เครือข่าย “{network}” แล้ว" in out, out


def person(role: str, index: int) -> tuple[str, str]:
    """(console user, the other network's marker) for a role; strangers are new each time."""
    if role == "stranger":
        return f"stranger{index}", ""
    if role == "other coordinator":
        return "zed", A_MARK
    if role == "both networks":
        return DUAL, B_MARK
    return A_PEOPLE[role], B_MARK


def leaks(out: str, role: str, private: bool, *, member_of_a: bool = False) -> list[str]:
    """What of the other network an answer shows (``member_of_a``: B's coordinator registered in A's
    group, a parent of A since: A's things are his to see there, and he is one of A's people)."""
    if role == "other coordinator" and member_of_a and not private:
        return [word for word in (B_MARK, B_NAME, *(n.capitalize() for n in B_PEOPLE[1:])) if word in out]
    if member_of_a and role != "other coordinator":
        return [word for word in (B_MARK, B_NAME, *(n.capitalize() for n in B_PEOPLE[1:])) if word in out]
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
        # A's numbers all exist in B as well; B's PLC session 1 is another member's (refused as such): 9 is nobody's.
        return {"member": 4, "need": A_ONLY["need"], "survey": 1, "plc_session": 9, "practice": 1}
    return {"member": B_ONLY["member"], "need": B_ONLY["need"], "survey": B_ONLY["survey"],
            "plc_session": B_ONLY["plc_session"], "practice": B_ONLY["practice"]}


async def test_every_command_by_every_role_in_every_chat(bot: Conversation) -> None:
    await two_networks(bot)
    violations: list[str] = []
    cell = 0
    zed_in_a = False  # B's coordinator becomes a parent of A when he registers in A's group
    for row in EXPECTED:
        for chat in (c if c == "dm" else A_GROUP for c in row.chats):
            for role in ROLES:
                cell += 1
                user, _ = person(role, cell)
                text = row.text.format(**arguments(role))
                out = await bot(f"{user}@{chat}: {text}")
                # In network A's group, B's coordinator is nobody's member until he registers there (a
                # parent of A then); the member of both acts as A's teacher (his private chat is on A).
                as_who = ("parent" if zed_in_a else "stranger") if chat != "dm" and role == "other coordinator" \
                    else "teacher" if role == "both networks" else role
                who = "teacher" if role == "both networks" else role
                allowed = (who in row.who and as_who in row.who
                           and row.where in ("any", "private" if chat == "dm" else "group"))
                if role == "both networks" and row.text.startswith("/closesurvey"):
                    allowed = False  # A's poll #2 is tina's (the /poll row), and he is not its creator
                refused = bool(REFUSALS.search(out))
                where = f"{text!r} by {role} in {'a private chat' if chat == 'dm' else 'the group'}"
                if APOLOGY in out:
                    violations.append(f"{where}: crashed")
                elif allowed and (refused or not out.strip()):
                    violations.append(f"{where}: refused, README allows it:\n{out}")
                elif not allowed and not refused:
                    violations.append(f"{where}: answered, README does not allow it:\n{out}")
                # /network lists the person's own networks: for a member of both, both names are his.
                own_list = row.text in ("/network", "/เครือข่าย") and role in ("both networks", "other coordinator")
                if role != "stranger" and not own_list and (found := leaks(out, role, chat == "dm",
                                                                           member_of_a=zed_in_a)):
                    violations.append(f"{where}: shows the other network's {found}:\n{out}")
                if row.text == "/register" and role == "other coordinator" and chat != "dm" and not refused:
                    # Typed /register shows the privacy notice; the tap on its button registers (PDPA).
                    assert "ลงทะเบียนเป็นผู้ปกครอง" in await bot(f"{user}@{chat}: [Register]")
                    zed_in_a = True
    assert not violations, f"{len(violations)} violations in {cell} cells:\n\n" + "\n\n".join(violations)


async def test_the_member_of_both_networks_acts_in_b_as_bs_parent_and_sees_nothing_of_a(bot: Conversation) -> None:
    await two_networks(bot)
    await switch(bot, DUAL, B_NAME)
    violations: list[str] = []
    cells = 0
    for row in EXPECTED:
        for chat in (c if c == "dm" else B_GROUP for c in row.chats):
            cells += 1
            # A's numbers: B has items with the same numbers (his own network's), A-only member numbers none.
            text = row.text.format(member=5, need=A_ONLY["need"], survey=1, plc_session=9, practice=1)
            if not text.startswith("/"):  # a bare word inside an earlier row's flow answers the flow
                await bot(f"{DUAL}@{chat}: /cancel")
            out = await bot(f"{DUAL}@{chat}: {text}")
            allowed = "parent" in row.who and row.where in ("any", "private" if chat == "dm" else "group")
            refused = bool(REFUSALS.search(out))
            where = f"{text!r} by the member of both in {'his private chat' if chat == 'dm' else 'B’s group'}"
            if APOLOGY in out:
                violations.append(f"{where}: crashed")
            elif allowed and (refused or not out.strip()):
                violations.append(f"{where}: refused, README allows a parent:\n{out}")
            elif not allowed and not refused:
                violations.append(f"{where}: answered, README does not allow a parent:\n{out}")
            own_list = row.text in ("/network", "/เครือข่าย")  # his own networks, A among them
            if not own_list and (found := [w for w in (A_MARK, A_NAME, *(n.capitalize() for n in A_PEOPLE.values()))
                                           if w in out]):
                violations.append(f"{where}: shows network A's {found}:\n{out}")
    assert not violations, f"{len(violations)} violations in {cells} cells:\n\n" + "\n\n".join(violations)


# ------------------------------------------------------------------ forged buttons

# Every button action whose payload carries an item id: (action, which id, extra arguments).
BUTTONS = [
    ("aco", "activity", ()), ("ace", "activity", ()), ("acd", "activity", ()), ("acx", "activity", ()),
    ("plv", "need", ()), ("pln", "need", ()), ("plo", "pledge", ()), ("pld", "pledge", ()), ("plc", "pledge", ()),
    ("sva", "survey_id", ()), ("sv", "survey_id", (1, 0)), ("svc", "survey_id", (1,)), ("svn", "survey_id", (1,)),
    ("rsvp", "meeting", ("y",)), ("ics", "meeting", ()), ("mtg", "meeting", ()), ("mtgmove", "meeting", ()),
    ("mtgcxl", "meeting", ()), ("mtgcxlok", "meeting", ()),
    ("plcin", "plc_session_id", ()), ("plcatt", "plc_session_id", ()), ("plcmk", "plc_session_id", (1,)),
    ("plcj", "plc_group", ()), ("plcpick", "plc_group", ()), ("plcinv", "plc_group", (1,)),
    ("kbo", "practice_id", ()), ("kbu", "practice_id", ()), ("kba", "practice_id", ()),
    ("kbr", "practice_id", (1,)), ("kbc", "practice_id", (1,)),
    ("ggt", "goal", ()), ("grp", "target", ()), ("rva", "goal", (2, 2569, 1)),
    ("mtatt", "meeting", ()), ("mtroll", "meeting", ()),
    ("mttick", "meeting", (2,)), ("mtmin", "meeting", ()), ("pjv", "project", ()), ("pjt", "project", ()),
    ("tks", "task", ("d",)), ("tks", "task", ("b",)), ("tkv", "task", ()),
    ("netsw", "network", ()),  # a switch to a network one is not in (the member of both is in both: skipped)
]


async def test_forged_buttons_never_reach_the_other_networks_items(bot: Conversation) -> None:
    await two_networks(bot)
    violations: list[str] = []
    presses = 0
    for action, item, extra in BUTTONS:
        for role in ("parent", "teacher", "both networks", "coordinator", "other coordinator"):
            if action == "netsw" and role == "both networks":
                continue
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
    # The member of both, his private chat switched to B: A's items stay out of reach from B's side too.
    await switch(bot, DUAL, B_NAME)
    for action, item, extra in BUTTONS:
        if action == "netsw":
            continue  # he is in A: switching there is his right
        for group in (None, B_GROUP):
            presses += 1
            outcome = await send(bot, DUAL, payload=encode(action, A_ONLY[item], *extra), group=group)
            out = said(outcome)
            where = f"button {action} on network A's {item} by the member of both in {group or 'his private chat'} (B)"
            if outcome.failed:
                violations.append(f"{where}: crashed")
            if found := [w for w in (A_MARK, A_NAME, *(n.capitalize() for n in A_PEOPLE.values())) if w in out]:
                violations.append(f"{where}: shows network A's {found}:\n{out}")
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
        from storage.plc import plc_attendance, plc_members

        present = (await conn.execute(sa.select(plc_attendance.c.session_id, plc_attendance.c.how)
                                      .order_by(plc_attendance.c.session_id))).all()
        assert [tuple(r) for r in present] == [(1, "facilitator"), (2, "facilitator"), (3, "facilitator")], present
        assert (await conn.execute(sa.select(sa.func.count()).select_from(plc_members))).scalar_one() == 2
        from storage.knowledge import offers, practice_reactions

        assert (await conn.execute(sa.select(sa.func.count()).select_from(practice_reactions))).scalar_one() == 0
        assert (await conn.execute(sa.select(offers.c.status))).scalars().all() == ["open", "open"]

        from storage.goals import goals
        from storage.goals.reviews import goal_review_acts

        assert (await conn.execute(sa.select(goals.c.status))).scalars().all() == ["active", "active"]
        assert (await conn.execute(sa.select(sa.func.count()).select_from(goal_review_acts))).scalar_one() == 0

        from storage.goals import plan_tasks
        from storage.meetings import meeting_attendance

        tasks = (await conn.execute(sa.select(plan_tasks.c.status).order_by(plan_tasks.c.id))).scalars().all()
        assert tasks == ["todo", "todo"], tasks
        assert (await conn.execute(sa.select(sa.func.count()).select_from(meeting_attendance))).scalar_one() == 0


async def test_an_offer_never_pledges_toward_the_other_network_s_need(bot: Conversation) -> None:
    """[สนับสนุน] carries the offer's number (per network) and the need's id (global): each offerer
    pressing their own offer #1 with the other network's need id is refused, and nothing is pledged."""
    await two_networks(bot)
    for user, foreign_need_id, mark in (("pat", B_ONLY["need"], B_MARK), ("zed", A_ONLY["need"], A_MARK)):
        for group in (None, A_GROUP if user == "pat" else B_GROUP):
            outcome = await send(bot, user, payload=encode("ofs", 1, foreign_need_id), group=group)
            out = said(outcome)
            assert not outcome.failed and mark not in out, out
            assert "ไม่พบข้อเสนอหรือความต้องการนี้" in out or "แชตส่วนตัว" in out, out
    async with bot.app.db.transaction() as conn:
        from storage.activities import pledges
        from storage.knowledge import offers

        assert (await conn.execute(sa.select(sa.func.count()).select_from(pledges))).scalar_one() == 2
        assert (await conn.execute(sa.select(offers.c.status))).scalars().all() == ["open", "open"]


async def test_a_teacher_cannot_close_a_survey_someone_else_created(bot: Conversation) -> None:
    await two_networks(bot)
    assert "เฉพาะผู้สร้าง" in await bot("tina@dm: /closesurvey 1")


# ------------------------------------------------------------------ buttons kept for some roles

# Arguments a real card would carry, for the buttons above and those that carry no item id.
BUTTON_ARGS: dict[str, tuple[object, ...]] = {action: (A_ONLY[item], *extra) for action, item, extra in BUTTONS}
BUTTON_ARGS.update({"rvc": (2569, 2), "pjn": ()})


async def test_buttons_kept_for_some_roles_refuse_the_others_of_the_same_network(bot: Conversation) -> None:
    """Every button whose route names roles (read from the router, so a new one is covered too) refuses the
    network's own parent, partner and teacher when the role is not among them, in a private chat and in the
    group, and changes nothing."""
    from bot.roles import Role

    await two_networks(bot)
    limited = {action: route.rule.roles for action, route in bot.app.router.buttons.items() if route.rule.roles}
    # The plan's (issue 14) at least: a goal's target, the review's Act and close, a project, the roll, minutes.
    assert {"ggt", "rva", "rvc", "pjn", "pjt", "mtroll", "mttick", "mtmin"} <= set(limited)
    violations: list[str] = []
    presses = 0
    for action, roles in sorted(limited.items()):
        for role in ("parent", "partner", "teacher"):
            if Role(role) in roles:
                continue
            for group in (None, A_GROUP):
                presses += 1
                outcome = await send(bot, A_PEOPLE[role], payload=encode(action, *BUTTON_ARGS.get(action, (1,))),
                                     group=group)
                out = said(outcome)
                where = f"button {action} by network A's {role} in {group or 'a private chat'}"
                if outcome.failed or APOLOGY in out:
                    violations.append(f"{where}: crashed")
                elif not REFUSALS.search(out):
                    violations.append(f"{where}: not refused:\n{out}")
    assert not violations, f"{len(violations)} violations in {presses} presses:\n\n" + "\n\n".join(violations)
    async with bot.app.db.transaction() as conn:
        from storage.goals import goal_targets, plan_projects, plan_tasks
        from storage.goals.reviews import goal_review_acts, goal_reviews
        from storage.meetings import meeting_attendance

        assert (await conn.execute(sa.select(sa.func.count()).select_from(goal_targets))).scalar_one() == 2
        assert (await conn.execute(sa.select(sa.func.count()).select_from(goal_review_acts))).scalar_one() == 0
        assert (await conn.execute(sa.select(sa.func.count()).select_from(goal_reviews))).scalar_one() == 0
        assert (await conn.execute(sa.select(sa.func.count()).select_from(plan_projects))).scalar_one() == 2
        assert (await conn.execute(sa.select(sa.func.count()).select_from(plan_tasks))).scalar_one() == 2
        assert (await conn.execute(sa.select(sa.func.count()).select_from(meeting_attendance))).scalar_one() == 0
