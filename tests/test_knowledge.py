"""The practice library and offers matched to needs, told as conversations on both platforms:
/share (guided and one line, the same checks), /kb (Thai words inside compounds, English),
[มีประโยชน์] once per member, [ถามผู้เขียน] relayed without anyone's contact, the week's
practices in the summary, /offer and /offers, an offer proposed to a later need and pledged by
one tap, expiry, and bad input answered in Thai."""

from __future__ import annotations

import sqlalchemy as sa

import handlers.knowledge as knowledge_module
from storage.knowledge import offers, practice_reactions, practices
from storage.activities import pledges
from storage.tables import outbox
from tests.support.activities import bangkok_day, said, send, summary
from tests.support.conversation import Conversation

AI_MEDIA = ("/share การทำสื่อการสอนด้วย AI | นักเรียนสร้างใบงานวิทยาศาสตร์ด้วย AI แล้วนำเสนอหน้าชั้น | "
            "รู้เท่าทันสื่อ | วิทยาศาสตร์ ป.4 ป.5 | https://example.org/ai-media")


async def network_with_people(bot: Conversation) -> None:
    """alice coordinates, bob teaches at a school, pat is a partner, pim a parent."""
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot.add_member("pat", "partner")
    await bot.add_member("pim", "parent")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัว")
    await bot("pat@dm: /org บริษัทใจดี")


async def table(bot: Conversation, which: sa.Table) -> list[dict]:  # type: ignore[type-arg]
    async with bot.app.db.transaction() as conn:
        return [dict(r._mapping) for r in (await conn.execute(sa.select(which).order_by(*which.primary_key.columns))).all()]


# ------------------------------------------------------------------ the practice library


async def test_a_teacher_shares_step_by_step_and_thai_search_finds_a_word_inside_a_compound(bot: Conversation) -> None:
    await network_with_people(bot)
    assert "ชื่อเรื่องอะไร" in await bot("bob@dm: /share")
    assert "ไม่เกิน 200 ตัวอักษร" in await bot("bob@dm: " + "ก" * 201)
    assert "อธิบายสั้น ๆ" in await bot("bob@dm: การทำสื่อการสอนด้วย AI")
    assert "จุดประสงค์คืออะไร" in await bot("bob@dm: นักเรียนสร้างใบงานด้วย AI แล้วนำเสนอ")
    assert "วิชาและระดับชั้นใด" in await bot("bob@dm: รู้เท่าทันสื่อ")
    out = await bot("bob@dm: วิทยาศาสตร์ ป. 4")
    assert "มาจากหน่วยงานใด" in out and "[โรงเรียนบ้านหนองบัว]" in out
    assert "ส่งลิงก์" in await bot("bob@dm: [โรงเรียนบ้านหนองบัว]")
    assert "ขึ้นต้นด้วย https://" in await bot("bob@dm: ดูในกลุ่มไลน์")
    out = await bot("bob@dm: https://example.org/ai-media")
    assert "ตรวจสอบก่อนแบ่งปัน" in out and "วิชาและระดับชั้น: วิทยาศาสตร์ ป.4" in out
    out = await bot("bob@dm: [แบ่งปัน]")
    assert "แบ่งปันแนวปฏิบัติ #1 แล้ว" in out and "มีประโยชน์: 0 คน" in out and "[ถามผู้เขียน]" in out
    await bot("alice@dm: /share การสอนแบบ Active Learning | ให้นักเรียนลงมือทำ | | คณิตศาสตร์ ม.1")

    # "สื่อการสอน" sits inside the compound "การทำสื่อการสอนด้วย"; English words and grades are found too.
    for query in ("สื่อการสอน", "สื่อ", "AI", "ai", "ป.4"):
        out = await bot(f"pim@dm: /kb {query}")
        assert "#1 การทำสื่อการสอนด้วย AI" in out and "Active" not in out, query
    out = await bot("pim@teachers: /kb active learning")
    assert "#2 การสอนแบบ Active Learning" in out and "สื่อการสอน" not in out
    out = await bot("pim@dm: /kb")
    assert out.index("#2 การสอนแบบ") < out.index("#1 การทำสื่อ")  # the newest first
    out = await bot("pim@dm: /kb ดาราศาสตร์")
    assert "ไม่พบแนวปฏิบัติที่ตรงกับ “ดาราศาสตร์”" in out and "/kb" in out
    assert "ไม่มีคำที่ค้นหาได้" in await bot("pim@dm: /kb และ")
    assert "ไม่พบแนวปฏิบัติ #9" in await bot("pim@dm: /kb #9")
    out = await bot("pim@dm: /kb สื่อการสอน", "pim@dm: [#1]")
    assert "คำอธิบาย: นักเรียนสร้างใบงานด้วย AI แล้วนำเสนอ" in out and "โดย Bob" in out
    assert "จุดประสงค์: รู้เท่าทันสื่อ" in out


async def test_the_one_line_form_is_checked_like_the_guided_flow(bot: Conversation) -> None:
    await network_with_people(bot)
    out = await bot(AI_MEDIA.replace("/share", "bob@teachers: /share"))
    assert "แบ่งปันแนวปฏิบัติ #1 แล้ว" in out and "ลิงก์: https://example.org/ai-media" in out
    (row,) = await table(bot, practices)
    assert (row["subjects"], row["grades"], row["aim"]) == (["วิทยาศาสตร์"], ["ป.4", "ป.5"], "รู้เท่าทันสื่อ")
    assert "ใส่คำอธิบายสั้น ๆ ต่อจากชื่อเรื่อง" in await bot("bob@dm: /share การสอนแบบโครงงาน")
    assert "ชื่อเรื่องเป็นลิงก์" in await bot("bob@dm: /share https://example.org | คำอธิบาย")
    assert "ไม่เกิน 200 ตัวอักษร" in await bot("bob@dm: /share " + "ก" * 201 + " | คำอธิบาย")
    assert "มีมากกว่าห้าส่วน" in await bot("bob@dm: /share ก | ข | ค | ง | จ | ฉ")
    assert "ลิงก์เพียงลิงก์เดียว" in await bot("bob@dm: /share ก | ข | https://a.org/x | https://b.org/y")
    assert "ไม่เกิน 10 รายการ" in await bot("bob@dm: /share ก | ข | ค | " + " ".join(f"วิชา{i}" for i in range(11)))
    # Step by step only privately; parents do not post to the library.
    assert "ส่ง /share ในแชตส่วนตัว" in await bot("bob@teachers: /share")
    assert "บทบาทของคุณ: ผู้ปกครอง" in await bot("pim@dm: /share ก | ข")
    assert len(await table(bot, practices)) == 1  # nothing half-stored by a refusal


async def test_a_photo_stands_in_for_the_link_and_is_shown_with_the_practice(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot("bob@dm: /share", "bob@dm: ห้องเรียนกลับด้าน", "bob@dm: นักเรียนดูคลิปก่อนเรียน", "bob@dm: [Skip]",
              "bob@dm: [Skip]", "bob@dm: [Skip]")
    out = said(await send(bot, "bob", photo=b"a photo of the class"))
    assert "ได้รับรูปภาพแล้ว" in out and "รูปภาพ: แนบแล้ว 📷" in out and "ลิงก์:" not in out
    assert "แบ่งปันแนวปฏิบัติ #1 แล้ว" in await bot("bob@dm: ยืนยัน")  # the photo's draft came outside the console
    (row,) = await table(bot, practices)
    assert (row["photo_ref"], row["link"]) == ("photo", None)
    assert "[image: ห้องเรียนกลับด้าน" in await bot("pat@dm: /kb #1")
    assert "[image:" not in await bot("pat@teachers: /kb #1")  # in a group, the card only


async def test_useful_once_per_member_and_a_question_is_relayed_without_anyone_s_contact(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot(AI_MEDIA.replace("/share", "bob@dm: /share"))
    await bot("pim@teachers: /kb สื่อ")
    out = await bot("pim@teachers: [#1]")
    assert "มีประโยชน์: 0 คน" in out
    assert "มีผู้เห็นว่า #1 มีประโยชน์ 1 คน" in await bot("pim@teachers: [มีประโยชน์]")
    assert "บอกไว้แล้วว่า #1 มีประโยชน์ (มีผู้เห็นว่ามีประโยชน์ 1 คน)" in await bot("pim@teachers: [มีประโยชน์]")
    await bot("pat@dm: /kb #1")
    await bot("pat@dm: [มีประโยชน์]")
    assert "มีประโยชน์: 2 คน" in await bot("pat@dm: /kb #1")
    assert len(await table(bot, practice_reactions)) == 2

    # Asking in the group is continued privately, for free (nothing pushed).
    out = await bot("pim@teachers: [ถามผู้เขียน]")
    assert "ส่ง /kb #1 ในแชตส่วนตัว" in out and "bot@dm:" not in out
    await bot("pim@dm: /kb #1")
    assert "ผู้เขียนจะเห็นชื่อของคุณ" in await bot("pim@dm: [ถามผู้เขียน]")
    out = await bot("pim@dm: ใช้แอปอะไรสร้างใบงานคะ")
    assert "ส่งคำถามถึงผู้เขียน #1 แล้ว" in out
    assert "bot@dm:bob → คำถามเกี่ยวกับแนวปฏิบัติ #1 การทำสื่อการสอนด้วย AI ของคุณ จาก Pim:" in out
    assert "[ตอบกลับ] [ให้ช่องทางติดต่อ]" in out
    # The author answers by tapping; only what the author sends reaches the asker.
    assert "ส่งคำตอบถึง Pim" in await bot("bob@dm: [ตอบกลับ]")
    out = await bot("bob@dm: ใช้ Canva ครับ")
    assert "ส่งถึง Pim แล้ว" in out and "bot@dm:pim → Bob ผู้เขียน #1 การทำสื่อการสอนด้วย AI ตอบว่า:" in out
    assert "ต้องการให้ Pim ติดต่อทางใด" in await bot("bob@dm: [ให้ช่องทางติดต่อ]")
    out = await bot("bob@dm: LINE ID bob.teacher")
    assert "bot@dm:pim → Bob ผู้เขียน #1 การทำสื่อการสอนด้วย AI ให้ช่องทางติดต่อ:" in out
    # Someone else cannot answer in the author's name (a forged button).
    assert "เฉพาะผู้เขียน #1" in said(await send(bot, "pat", payload="1|kbr|1|4"))
    # Nor can the author write to someone who never asked (pat is member 3): a forged asker id.
    assert "ตอบได้เฉพาะผู้ที่ถามเกี่ยวกับ #1" in said(await send(bot, "bob", payload="1|kbr|1|3"))
    assert "คุณเป็นผู้เขียน #1" in said(await send(bot, "bob", payload="1|kba|1"))


async def test_the_weekly_summary_names_the_week_s_new_practices(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot(AI_MEDIA.replace("/share", "bob@dm: /share"))
    await bot("alice@dm: /share การสอนแบบ Active Learning | ให้นักเรียนลงมือทำ")
    network_id = 1
    section = await summary(bot.app, knowledge_module.router, network_id, bangkok_day(2026, 11, 16),
                            bangkok_day(2026, 11, 23))
    assert section is not None and section.title == "คลังความรู้"
    assert section.lines[0] == "แนวปฏิบัติใหม่: #1 การทำสื่อการสอนด้วย AI และ #2 การสอนแบบ Active Learning"
    assert await summary(bot.app, knowledge_module.router, network_id, bangkok_day(2026, 11, 23),
                         bangkok_day(2026, 11, 30)) is None  # a week without new practices says nothing
    out = await bot("alice@dm: /summary week")
    assert "คลังความรู้" in out and "#1 การทำสื่อการสอนด้วย AI" in out
    # Monday 08:00: the weekly summary pushed to the group names them.
    out = await bot(":clock 2026-11-23 08:00")
    assert "bot@teachers → 📊" in out and "▸ คลังความรู้" in out
    assert "แนวปฏิบัติใหม่: #1 การทำสื่อการสอนด้วย AI และ #2 การสอนแบบ Active Learning" in out


# ------------------------------------------------------------------ offers matched to needs


async def offer_volunteers(bot: Conversation, who: str = "pat") -> str:
    await bot(f"{who}@dm: /offer", f"{who}@dm: [human resources / volunteer time]",
              f"{who}@dm: ครูอาสาสอนภาษาอังกฤษวันเสาร์", f"{who}@dm: สอนภาษาอังกฤษ", f"{who}@dm: 30 ชั่วโมง",
              f"{who}@dm: [private sector]", f"{who}@dm: ขอนแก่น", f"{who}@dm: 31/1/2570")
    return await bot(f"{who}@dm: [เสนอ]")


async def test_an_offer_is_proposed_to_a_later_need_and_becomes_a_pledge_by_one_tap(bot: Conversation) -> None:
    await network_with_people(bot)
    out = await offer_volunteers(bot)
    assert "บันทึกข้อเสนอ #1 แล้ว" in out and "ยังไม่มีความต้องการที่ตรงกัน" in out
    out = await bot("pim@dm: /offers")
    assert "【บุคลากร/เวลาอาสาสมัคร】" in out and "#1 · บุคลากร/เวลาอาสาสมัคร · 30 ชั่วโมง · สอนภาษาอังกฤษ" in out
    assert "ถึง 31 ม.ค. 2570" in out and "Pat" not in out  # no name, no contact

    # A school posts a need that fits: the poster sees the offer, the offerer is asked privately.
    await bot("bob@dm: /need", "bob@dm: [human resources / volunteer time]", "bob@dm: ครูสอนภาษาอังกฤษ ป.6",
              "bob@dm: 20 ชั่วโมง", "bob@dm: 15/1/2570")
    out = await bot("bob@dm: [Post]")
    assert "ประกาศความต้องการ #1 แล้ว" in out
    assert "ข้อเสนอในเครือข่ายที่ตรงกับความต้องการนี้:" in out and "ครบตามที่ยังขาด (20 ชั่วโมง)" in out
    assert "bot@dm:pat → มีความต้องการใหม่ที่ตรงกับข้อเสนอ #1 ของคุณ" in out and "[สนับสนุน]" in out
    assert "bot@dm:pim" not in out and "bot@teachers" not in out  # nobody else is told
    # Someone else cannot pledge another's offer; the offerer pledges with one tap.
    assert "เฉพาะผู้เสนอ #1" in said(await send(bot, "pim", payload="1|ofs|1|1"))
    out = await bot("pat@dm: [สนับสนุน]")
    assert "บันทึกการแจ้งความประสงค์สนับสนุน #1 แล้ว: 20 ชั่วโมง สำหรับความต้องการ #1" in out
    assert "ยอดที่แจ้งสนับสนุน 20 ชั่วโมง ▓▓▓▓▓▓▓▓▓▓ 100%" in out
    assert "bot@dm:bob → ข้อเสนอ #1 เป็นการแจ้งสนับสนุน #1 สำหรับความต้องการ #1 ของคุณแล้ว" in out
    (pledge,) = await table(bot, pledges)
    assert (pledge["need_id"], pledge["amount_x100"], pledge["unit"], pledge["source_sector"]) == (
        1, 2000, "hours", "private")
    assert "ข้อเสนอ #1 ยังเหลือ 10 ชั่วโมง สำหรับความต้องการอื่น" in out
    (offer,) = await table(bot, offers)
    assert (offer["status"], offer["quantity_x100"]) == ("open", 1000)
    # A double tap pledges nothing more: the need lacks nothing now.
    assert "ไม่ขาดสิ่งที่ข้อเสนอ #1 ให้แล้ว" in await bot("pat@dm: [สนับสนุน]")
    assert len(await table(bot, pledges)) == 1
    assert "#1 · บุคลากร/เวลาอาสาสมัคร · 10 ชั่วโมง" in await bot("pat@dm: /offers")
    out = await bot("bob@dm: /pledges")
    assert "#1 · 20 ชั่วโมง · บุคลากร/เวลาอาสาสมัคร · ภาคเอกชน" in out
    # The offerer's question and the poster's news are digests (LINE's free plan), one of each.
    queued = [(r["key"], r["urgency"]) for r in await table(bot, outbox) if r["key"].startswith("offer:")]
    assert queued == [("offer:1:need:1:ask", "digest"), ("offer:1:need:1:pledged", "digest")]


async def test_a_new_offer_is_shown_the_open_needs_it_fits(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot("bob@dm: /need", "bob@dm: [materials/equipment]", "bob@dm: แท็บเล็ตสำหรับชั้น ป.6",
              "bob@dm: 40 เครื่อง", "bob@dm: 15/1/2570", "bob@dm: [Post]")
    out = await bot("pat@dm: /offer วัสดุ", "pat@dm: แท็บเล็ตมือสอง", "pat@dm: 25 เครื่อง", "pat@dm: [private sector]",
                    "pat@dm: [Skip]", "pat@dm: 31/12/2569")
    assert "ทักษะ" not in out  # only volunteers are asked for a skill
    out = await bot("pat@dm: [เสนอ]")
    assert "ความต้องการที่เปิดอยู่ซึ่งตรงกับข้อเสนอนี้:" in out
    assert "#1 แท็บเล็ตสำหรับชั้น ป.6 ( โรงเรียนบ้านหนองบัว ) ต้องการภายใน 15 ม.ค. 2570: ได้ 25 เครื่อง จากที่ยังขาด 40 เครื่อง" in out
    assert "bot@dm:bob" not in out  # the school hears only of a pledge
    out = await bot("pat@dm: [สนับสนุน #1]")
    assert "บันทึกการแจ้งความประสงค์สนับสนุน #1 แล้ว: 25 เครื่อง" in out and "bot@dm:bob →" in out
    assert "ข้อเสนอ #1 แจ้งสนับสนุนครบทั้งหมดแล้ว" in out
    assert (await table(bot, offers))[0]["status"] == "used"
    assert "แจ้งสนับสนุนไปแล้ว" in await bot("pat@dm: [สนับสนุน #1]")  # a double tap pledges nothing more
    assert len(await table(bot, pledges)) == 1
    assert "ยังไม่มีข้อเสนอที่เปิดอยู่" in await bot("pat@dm: /offers")


async def test_offers_expire_and_bad_input_gets_a_clear_thai_message(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot("pat@dm: /offer")
    assert "กรุณากดเลือกประเภททรัพยากร" in await bot("pat@dm: ดาวอังคาร")
    await bot("pat@dm: เงิน", "pat@dm: ทุนการศึกษา")
    assert "มากกว่าศูนย์" in await bot("pat@dm: 0")
    assert "นับเป็นบาท" in await bot("pat@dm: 500 dollars")
    await bot("pat@dm: 5,000 บาท", "pat@dm: [private sector]", "pat@dm: [Skip]")
    assert "เป็นวันที่ผ่านมาแล้ว" in await bot("pat@dm: 1/11/2569")
    assert "เกินสองปีข้างหน้า" in await bot("pat@dm: 1/1/2575")
    out = await bot("pat@dm: 30/11/2569")
    assert "จำนวน: 5,000 บาท" in out and "ให้ได้ถึง: 30 พ.ย. 2569" in out
    await bot("pat@dm: [เสนอ]")
    assert "ไม่รู้จักประเภททรัพยากร “ยานอวกาศ”" in await bot("pim@dm: /offers ยานอวกาศ")
    assert "ยังไม่มีข้อเสนอประเภท วัสดุอุปกรณ์" in await bot("pim@dm: /offers วัสดุ")
    assert "#1 · เงินทุน · 5,000 บาท" in await bot("pim@dm: /offers เงิน")
    assert "แชตส่วนตัว" in await bot("pat@teachers: /offer")

    # After its last day the offer is neither listed nor matched, and the daily sweep marks it expired.
    await bot(":clock +10d")
    assert "ยังไม่มีข้อเสนอที่เปิดอยู่" in await bot("pim@dm: /offers")
    out = await bot("bob@dm: /need", "bob@dm: เงิน", "bob@dm: ค่าอาหารกลางวัน", "bob@dm: 3,000 บาท",
                    "bob@dm: 31/12/2569", "bob@dm: [Post]")
    assert "ประกาศความต้องการ #1 แล้ว" in out and "ข้อเสนอในเครือข่าย" not in out and "bot@dm:pat" not in out
    assert (await table(bot, offers))[0]["status"] == "expired"
    assert "หมดอายุแล้ว" in said(await send(bot, "pat", payload="1|ofs|1|1"))
    assert not await table(bot, pledges)


async def test_one_network_never_sees_another_s_practices_or_offers(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot(AI_MEDIA.replace("/share", "bob@dm: /share"))
    await offer_volunteers(bot)
    await bot("zed@dm: /newnetwork เครือข่ายใต้", "zed@dm: [Join as coordinator]")
    assert "ไม่พบแนวปฏิบัติที่ตรงกับ" in await bot("zed@dm: /kb สื่อการสอน")
    assert "คลังความรู้ยังว่างอยู่" in await bot("zed@dm: /kb")
    assert "ไม่พบแนวปฏิบัติ #1" in await bot("zed@dm: /kb #1")
    assert "ยังไม่มีข้อเสนอที่เปิดอยู่" in await bot("zed@dm: /offers")
    assert "ไม่พบแนวปฏิบัตินี้ในเครือข่าย" in said(await send(bot, "zed", payload="1|kbu|1"))
    assert "ไม่พบข้อเสนอหรือความต้องการนี้" in said(await send(bot, "zed", payload="1|ofs|1|1"))
    await bot("zed@dm: /org โรงเรียนใต้")
    await bot("zed@dm: /need", "zed@dm: [human resources / volunteer time]", "zed@dm: ครูอาสา",
              "zed@dm: 10 ชั่วโมง", "zed@dm: 15/1/2570")
    out = await bot("zed@dm: [Post]")
    assert "ข้อเสนอในเครือข่าย" not in out and "bot@dm:pat" not in out
    assert not await table(bot, practice_reactions)

