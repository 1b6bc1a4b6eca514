"""Personal data (PDPA): a parent registers after the notice and consents; /consent withdraws
with a button; /mydata sends their data and nothing of others, privately; /forget erases the
identity while the network's totals stay; the retention job removes old data; needs and
activities warn about ID numbers and phone numbers before storing them."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import sqlalchemy as sa

from bot.payload import encode
from bot.model import ChatKind, ChatRef, Document, Event, EventKind, Sender
from handlers.privacy.sensitive import has_phone, has_thai_id, thai_id_valid
from storage.privacy import privacy_consents
from tests.support.activities import said, send
from tests.support.conversation import Conversation

NOTICE = "ประกาศเรื่องข้อมูลส่วนบุคคล"


async def members_count(bot: Conversation) -> str:
    return await bot("alice@teachers: /members")


async def documents(bot: Conversation, user: str, text: str) -> list[Document]:
    """What the bot answers ``user`` in their private chat, as files."""
    platform = bot.console.platform
    event = Event(platform=platform, event_id=f"{user}-{text}-{bot.clock.now().timestamp()}",
                  chat=ChatRef(platform, user, ChatKind.PRIVATE, None), sender=Sender(user, user.capitalize()),
                  kind=EventKind.TEXT, text=text)
    outcome = await bot.app.handle(event)
    return [r for r in outcome.replies if isinstance(r, Document)]


async def consents(bot: Conversation) -> list[tuple[str, bool, str, str]]:
    async with bot.app.db.transaction() as conn:
        rows = (await conn.execute(sa.select(privacy_consents).order_by(privacy_consents.c.id))).all()
    return [(r.purpose, r.granted, r.notice_version, r.via) for r in rows]


async def test_a_parent_sees_the_notice_and_registration_waits_for_consent(bot: Conversation) -> None:
    await bot("alice@dm: /newnetwork เครือข่ายทดสอบ")
    assert NOTICE in bot.transcript  # shown with the Join button the coordinator presses
    await bot("alice@dm: [Join as coordinator]")
    out = await bot("alice@teachers: /linkgroup")
    assert NOTICE in out and "ผู้ควบคุมข้อมูล" in out and "/mydata" in out
    # One tap on the card that shows the notice registers and records the necessary consent.
    assert "ลงทะเบียนเป็นผู้ปกครอง" in await bot("pim@teachers: [Register]")
    # Typed /register: the notice first, nothing stored until the tap.
    out = await bot("dao@teachers: /register")
    assert NOTICE in out and "ลงทะเบียนเป็นผู้ปกครองของ" not in out
    assert "สมาชิก 2 คน" in await members_count(bot)
    assert "ลงทะเบียนเป็นผู้ปกครอง" in await bot("dao@teachers: [Register]")
    assert "สมาชิก 3 คน" in await members_count(bot)

    # Joining by code: the notice, then the choice; declining keeps nothing and leaves the code unused.
    await bot("alice@dm: /invite teacher 1")
    code = bot.last_code()
    out = await bot(f"bob@dm: /join {code}")
    assert NOTICE in out and "[ยินยอมและลงทะเบียน]" in out and "[ไม่ยินยอม]" in out
    assert "ไม่ได้เก็บข้อมูลใด" in await bot("bob@dm: [ไม่ยินยอม]")
    assert "สมาชิก 3 คน" in await members_count(bot)
    await bot(f"bob@dm: /join {code}")
    assert "ลงทะเบียนเป็นครู" in await bot("bob@dm: [Agree, also to photos and contact sharing]")
    recorded = await consents(bot)
    assert ("necessary", True, "1", "group") in recorded
    assert [c for c in recorded if c[3] == "join" and c[0] != "necessary" or c[:2] == ("necessary", True)][-3:] == [
        ("necessary", True, "1", "join"), ("photos", True, "1", "join"), ("contact", True, "1", "join")]

    # /consent shows it, and withdrawing is one button, as giving it was.
    out = await bot("bob@dm: /consent")
    assert "รูปภาพกิจกรรมที่อาจมีคุณอยู่ในภาพ: ให้แล้วเมื่อ" in out
    out = await bot("bob@dm: [ถอนความยินยอม: รูปภาพ]")
    assert "รูปภาพกิจกรรมที่อาจมีคุณอยู่ในภาพ: ถอนแล้วเมื่อ" in out and "[ยินยอม: รูปภาพ]" in out
    assert (await consents(bot))[-1] == ("photos", False, "1", "consent")
    assert "แชตส่วนตัว" in await bot("bob@teachers: /consent")  # personal: private chat only


async def test_mydata_sends_my_data_and_nothing_of_others_privately(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot.add_member("tina", "teacher")
    await bot('bob@dm: /log อบรม 20/11/2569 "อบรมของบ็อบ" 10 คน 2 ชม.')
    await bot('tina@dm: /log อบรม 20/11/2569 "อบรมของทีน่า" 5 คน 1 ชม.')
    assert "แชตส่วนตัว" in await bot("bob@teachers: /mydata")  # never in a group

    files = await documents(bot, "bob", "/mydata")
    assert [f.filename.rsplit(".", 1)[1] for f in files] == ["json", "csv"]
    data = json.loads(files[0].content)["data"]
    text = files[0].content.decode("utf-8")
    assert data["members"][0]["display_name"] == "Bob" and data["members"][0]["platform_user_id"] == "bob"
    assert [a["title"] for a in data["activities"]] == ["อบรมของบ็อบ"]
    assert any(c["purpose"] == "necessary" and c["granted"] for c in data["privacy_consents"])
    assert "ทีน่า" not in text and "Tina" not in text and "Alice" not in text
    table = list(csv.reader(io.StringIO(files[1].content.decode("utf-8-sig"))))
    assert table[0] == ["table", "row", "field", "value"] and ["activities", "1", "title", "อบรมของบ็อบ"] in table
    assert "สำเนาข้อมูล" in await bot("alice@dm: /privacyrequests")  # the coordinators' log


async def test_forget_erases_the_identity_and_the_totals_stay(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot('bob@dm: /log อบรม 20/11/2569 "อบรมครูคณิต" 10 คน 2 ชม.')
    assert "แชตส่วนตัว" in await bot("bob@teachers: /forget")
    # A forged confirm button in a group erases nothing: erasure is asked and confirmed privately.
    forged = await send(bot, "bob", payload=encode("pdf", "ok"), group="teachers")
    assert "แชตส่วนตัว" in said(forged) and "Bob" in await bot("alice@dm: /members")
    out = await bot("bob@dm: /forget")
    assert "ทำย้อนกลับไม่ได้" in out and "[ลบข้อมูลของฉัน]" in out
    assert "ไม่ได้ลบข้อมูลใด" in await bot("bob@dm: [ไม่ลบ]")
    await bot("bob@dm: /forget")
    assert "ลบข้อมูลส่วนบุคคลของคุณแล้ว" in await bot("bob@dm: [ลบข้อมูลของฉัน]")

    assert "ยังไม่ได้ลงทะเบียน" in await bot("bob@dm: /me")  # no longer a member
    members = await bot("alice@dm: /members")
    assert "Bob" not in members and "สมาชิก 1 คน" not in members or "Bob" not in members
    activities = await bot("alice@dm: /activities")
    assert "อบรมครูคณิต" in activities and "Bob" not in activities  # the record stays, without the name
    summary = await bot("alice@dm: /summary week")
    assert "Bob" not in summary
    async with bot.app.db.transaction() as conn:
        row = (await conn.execute(sa.text("SELECT display_name, platform_user_id, status FROM members "
                                          "WHERE number = 2"))).one()
        assert tuple(row) == ("อดีตสมาชิก / former member", row.platform_user_id, "erased")
        assert "bob" not in row.platform_user_id
    assert [c for c in await consents(bot) if c[1]] == [("necessary", True, "1", "join")]  # alice's only
    requests = await bot("alice@dm: /privacyrequests")
    assert "ขอลบข้อมูล" in requests and "ดำเนินการแล้วเมื่อ" in requests and "สมาชิกยกเลิกคำขอแล้ว" in requests
    # The private chat goes an hour later, once the answer has been delivered.
    await bot(":clock +2h")
    async with bot.app.db.transaction() as conn:
        left = (await conn.execute(sa.text("SELECT count(*) FROM chats WHERE platform_chat_id = 'bob'"))).scalar()
    assert left == 0
    # The last coordinator cannot leave the network without one.
    await bot("alice@dm: /forget")
    assert "ผู้ประสานงานคนเดียว" in await bot("alice@dm: [ลบข้อมูลของฉัน]")


async def test_a_request_left_open_shows_its_30_day_clock(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("bob@dm: /forget")
    await bot(":clock +10d")
    assert "เหลือ 20 วัน" in await bot("alice@dm: /privacyrequests")
    await bot(":clock +25d")
    assert "เกินกำหนด" in await bot("alice@dm: /privacyrequests")
    assert "เฉพาะ" in await bot("bob@dm: /privacyrequests")  # coordinators only


async def test_the_retention_job_removes_old_data(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "parent")
    assert "365 วัน" in await bot("alice@dm: /retention")
    assert "จำนวนวันต้องเป็นจำนวนเต็มตั้งแต่ 1 ถึง 3650" in await bot("alice@dm: /retention members 99999")
    assert "วิธีใช้" in await bot("alice@dm: /retention forever 5")
    assert "members): 30 วัน" in await bot("alice@dm: /retention members 30")
    assert "เฉพาะ" in await bot("bob@dm: /retention members 1")
    await bot("alice@dm: /remove 2")
    async with bot.app.db.transaction() as conn:
        await conn.execute(sa.text("INSERT INTO media_files (token, network_id, mime_type, filename, content, "
                                   "created_at, expires_at) VALUES ('oldtoken1234567890', 1, 'text/csv', 'x.csv', "
                                   "x'00', :at, :until)"), {"at": bot.clock.now(), "until":
                                                            bot.clock.now() + timedelta(days=400)})
        events_before = (await conn.execute(sa.text("SELECT count(*) FROM processed_events"))).scalar()
    assert events_before
    await bot(":clock +31d")  # the daily job has run
    async with bot.app.db.transaction() as conn:
        name = (await conn.execute(sa.text("SELECT display_name FROM members WHERE number = 2"))).scalar()
        media = (await conn.execute(sa.text("SELECT count(*) FROM media_files"))).scalar()
        old_events = (await conn.execute(sa.text("SELECT count(*) FROM processed_events WHERE processed_at < :t"),
                                         {"t": bot.clock.now() - timedelta(days=30)})).scalar()
    assert name == "อดีตสมาชิก / former member" and media == 0 and old_events == 0
    # The block stays: the erased member still cannot register again from a group.
    assert "ถูกลบออกจากเครือข่าย" in await bot("bob@teachers: [Register]")


async def test_needs_and_activities_warn_about_id_numbers_and_phone_numbers(bot: Conversation) -> None:
    assert thai_id_valid("1101700230708") and not thai_id_valid("1101700230709")
    assert has_thai_id("เด็กชาย ก เลข 1-1017-00230-70-8") and not has_thai_id("รหัส 1101700230709")
    assert has_phone("โทร 081-234-5678") and has_phone("ติดต่อ ๐๘๑๒๓๔๕๖๗๘") and has_phone("02 123 4567")
    assert not has_phone("ครู 35 คน 20/11/2569") and not has_phone("งบ 150000 บาท")
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("bob@dm: /org โรงเรียนกลาง", "bob@dm: /need", "bob@dm: [materials/equipment]")
    out = await bot("bob@dm: แว่นตาให้เด็กชายเอ เลข 1101700230708")
    assert "เลขประจำตัวประชาชน" in out and "[เก็บไว้ตามเดิม]" in out
    assert "เลขประจำตัวประชาชน" not in await bot("bob@dm: แว่นตาสำหรับนักเรียน ป.4")  # edited: goes on
    await bot("bob@dm: /cancel")
    await bot("bob@dm: /log")
    out = await bot("bob@dm: ประชุมผู้ปกครอง โทร 081-234-5678")
    assert "เบอร์โทรศัพท์" in out
    await bot("bob@dm: [เก็บไว้ตามเดิม]")  # confirmed: kept as typed
    await bot("bob@dm: /cancel")
    out = await bot('bob@dm: /log อบรม 20/11/2569 "อบรม โทร 0812345678" 10 คน 2 ชม.')
    assert "เบอร์โทรศัพท์" in out
    assert "อบรม โทร" not in await bot("bob@dm: /activities")  # the one-line form stored nothing


async def test_consent_mydata_forget_and_retention_on_each_engine(db_url: str) -> None:
    """The same SQL on SQLite and PostgreSQL (EDUNET_TEST_POSTGRES_URL)."""
    from tests.support.conversation import make_conversation

    bot, app = await make_conversation(db_url, "telegram")
    try:
        await bot.setup_network()
        await bot.add_member("bob", "teacher")
        await bot.add_member("noi", "parent")
        await bot('bob@dm: /log อบรม 20/11/2569 "อบรมบนสองฐานข้อมูล" 10 คน 2 ชม.')
        data = json.loads((await documents(bot, "bob", "/mydata"))[0].content)["data"]
        assert [a["title"] for a in data["activities"]] == ["อบรมบนสองฐานข้อมูล"]
        await bot("bob@dm: /forget", "bob@dm: [ลบข้อมูลของฉัน]")
        assert "อบรมบนสองฐานข้อมูล" in await bot("alice@dm: /activities")
        await bot("alice@dm: /retention members 1", "alice@dm: /remove 3")
        await bot(":clock +2d")
        async with app.db.transaction() as conn:
            rows = (await conn.execute(sa.text("SELECT number, display_name, status FROM members ORDER BY number"))).all()
        assert [tuple(r) for r in rows][1:] == [(2, "อดีตสมาชิก / former member", "erased"),
                                                 (3, "อดีตสมาชิก / former member", "erased")]
    finally:
        await app.close()
