"""Creating a network, inviting and registering members, linking groups, roles."""

from __future__ import annotations

from datetime import timedelta

from tests.support.conversation import Conversation


async def test_coordinator_creates_network_and_invites_a_teacher(bot: Conversation) -> None:
    out = await bot("alice@dm: /newnetwork เครือข่ายพัฒนาการศึกษาอำเภอเมือง")
    assert "สร้างเครือข่าย “เครือข่ายพัฒนาการศึกษาอำเภอเมือง” แล้ว" in out
    out = await bot("alice@dm: [Join as coordinator]")
    assert "ลงทะเบียนเป็นผู้ประสานงานแล้ว" in out

    out = await bot("alice@dm: /invite ครู 5 14")
    assert "รหัสเชิญสำหรับครู" in out
    assert "หมดอายุ 5 ธ.ค. 2569" in out  # 14 days after 21 Nov 2569, Buddhist Era
    out = await bot(f"bob@dm: /join {bot.last_code().lower()}", "bob@dm: [Agree and register]")
    assert "คุณลงทะเบียนเป็นครูแล้ว" in out
    out = await bot("bob@dm: /me")
    assert "บทบาท: ครู" in out and "เครือข่ายพัฒนาการศึกษาอำเภอเมือง" in out


async def test_thai_alias_without_slash_works_in_private_chat(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@dm: เชิญ ผู้ปกครอง")
    out = await bot(f"pim@dm: เข้าร่วม {bot.last_code()}", "pim@dm: [Agree and register]")
    assert "ลงทะเบียนเป็นผู้ปกครองแล้ว" in out


async def test_join_refuses_unknown_expired_and_used_up_codes(bot: Conversation) -> None:
    await bot.setup_network()
    assert "ไม่พบรหัส" in await bot("bob@dm: /join ABCD-EFGH")

    await bot("alice@dm: /invite teacher 1 1")
    one_use = bot.last_code()
    assert "ลงทะเบียนเป็นครู" in await bot(f"bob@dm: /join {one_use}", "bob@dm: [Agree and register]")
    assert "ถูกใช้ครบจำนวนแล้ว" in await bot(f"carol@dm: /join {one_use}")

    await bot("alice@dm: /invite teacher 3 1")
    short_lived = bot.last_code()
    await bot(":clock +1d1m")
    assert "หมดอายุแล้ว" in await bot(f"dave@dm: /join {short_lived}")


async def test_join_only_in_private_and_not_twice(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@dm: /invite teacher 2")
    code = bot.last_code()
    assert "แชตส่วนตัว" in await bot(f"bob@teachers: /join {code}")
    await bot(f"bob@dm: /join {code}", "bob@dm: [Agree and register]")
    assert "ลงทะเบียนใน" in await bot(f"bob@dm: /join {code}")  # already registered


async def test_join_flow_asks_for_the_code_and_cancel_leaves_it(bot: Conversation) -> None:
    await bot.setup_network()
    assert "กรุณาส่งรหัสเชิญ" in await bot("bob@dm: /join")
    assert "ยกเลิกแล้ว" in await bot("bob@dm: ยกเลิก")
    assert "ไม่มีรายการที่ต้องยกเลิก" in await bot("bob@dm: /cancel")
    await bot("alice@dm: /invite teacher")
    await bot("bob@dm: /join")
    assert "ลงทะเบียนเป็นครู" in await bot(f"bob@dm: {bot.last_code()}", "bob@dm: [Agree and register]")


async def test_parent_registers_with_one_tap_in_a_linked_group(bot: Conversation) -> None:
    out = await bot("alice@dm: /newnetwork เครือข่ายทดสอบ", "alice@dm: [Join as coordinator]",
                    "alice@parents: /linkgroup")
    assert "สวัสดีทุกคน" in out  # greeted when added
    assert "เชื่อมกลุ่มนี้กับเครือข่าย “เครือข่ายทดสอบ” แล้ว" in out
    out = await bot("pim@parents: [Register]")
    assert "Pim ลงทะเบียนเป็นผู้ปกครองของเครือข่าย “เครือข่ายทดสอบ” แล้ว" in out
    out = await bot("pim@parents: [Register]")
    assert "ลงทะเบียนเป็นผู้ปกครองอยู่แล้ว" in out
    out = await bot(":join noi parents", "noi@parents: [ลงทะเบียน]")
    assert "Noi ลงทะเบียนเป็นผู้ปกครอง" in out


async def test_unlinked_group_cannot_register_and_plain_chatter_is_ignored(bot: Conversation) -> None:
    await bot("alice@dm: /newnetwork เครือข่ายทดสอบ", "alice@dm: [Join as coordinator]")
    assert "ยังไม่ได้เชื่อม" in await bot("pim@random: /register")
    assert await bot("pim@random: สวัสดีค่ะ ทุกคน") == ""


async def test_roles_are_enforced_with_the_role_named(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    out = await bot("bob@dm: /invite teacher")
    assert "เฉพาะผู้ประสานงานเท่านั้น" in out and "บทบาทของคุณ: ครู" in out
    assert "เฉพาะผู้ประสานงาน" in await bot("bob@teachers: /linkgroup")
    assert "ยังไม่ได้ลงทะเบียน" in await bot("stranger@dm: /members")
    assert "ยังไม่ได้ลงทะเบียนในเครือข่ายนี้" in await bot("stranger@teachers: /me")


async def test_coordinator_lists_promotes_and_removes_members(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    out = await bot("alice@dm: /members")
    assert "1. Alice (ผู้ประสานงาน)" in out and "2. Bob (ครู)" in out
    out = await bot("alice@dm: /role 2 coordinator")
    assert "Bob เป็นผู้ประสานงานแล้ว" in out
    assert "บทบาทของคุณในเครือข่าย “เครือข่ายทดสอบ” ตอนนี้คือ: ผู้ประสานงาน" in out  # pushed to Bob privately
    assert "Alice เป็นครูแล้ว" in await bot("bob@dm: /role 1 teacher")
    assert "อย่างน้อย 1 คน" in await bot("bob@dm: /remove 2")  # the last coordinator stays
    assert "ไม่มีสมาชิกหมายเลข 9" in await bot("bob@dm: /remove 9")
    assert "ไม่ใช่หมายเลขสมาชิก" in await bot("bob@dm: /remove abc")
    assert "ลบ Alice ออกจากเครือข่ายแล้ว" in await bot("bob@dm: /remove 1")
    assert "ยังไม่ได้ลงทะเบียน" in await bot("alice@dm: /me")


async def test_language_organisation_and_english_dates(bot: Conversation) -> None:
    await bot.setup_network()
    assert "Language set to English." in await bot("alice@dm: /lang en")
    out = await bot("alice@dm: /org โรงเรียนบ้านหนองบัว")
    assert "Your organisation is now โรงเรียนบ้านหนองบัว." in out
    out = await bot("alice@dm: /invite parent 10 3")
    assert "valid until 24 Nov 2026" in out
    assert "Organisation: โรงเรียนบ้านหนองบัว" in await bot("alice@dm: /me")
    assert "ตั้งค่าเป็นภาษาไทยแล้ว" in await bot("alice@dm: /lang ไทย")
    assert "กรุณาเลือก th หรือ en" in await bot("alice@dm: /lang fr")


async def test_bad_invite_arguments_get_clear_messages(bot: Conversation) -> None:
    await bot.setup_network()
    assert "วิธีใช้: /invite" in await bot("alice@dm: /invite")
    assert "“principal” ไม่ใช่บทบาท" in await bot("alice@dm: /invite principal")
    assert "ตั้งแต่ 1 ถึง 1000" in await bot("alice@dm: /invite teacher 0")
    assert "ตั้งแต่ 1 ถึง 90" in await bot("alice@dm: /invite teacher 5 365")
    assert "วิธีใช้: /invite" in await bot("alice@dm: /invite teacher many")
    assert "รหัสเชิญสำหรับครู" in await bot("alice@dm: /invite teacher ๕ ๗")  # Thai digits


async def test_networks_are_isolated(bot: Conversation) -> None:
    await bot.setup_network("alice", "teachers")
    await bot("zed@dm: /newnetwork เครือข่ายอื่น", "zed@dm: [Join as coordinator]")
    out = await bot("zed@teachers: /linkgroup")
    assert "เครือข่ายอื่น" in out  # refused: alice's group belongs to another network
    out = await bot("zed@dm: /members")
    assert "Alice" not in out and "1. Zed" in out
    out = await bot("zed@teachers: /members")
    assert "Alice" not in out


async def test_newnetwork_flow_and_help_depends_on_role(bot: Conversation) -> None:
    assert "เครือข่ายชื่ออะไร" in await bot("alice@dm: /newnetwork")
    assert "สร้างเครือข่าย “เครือข่ายโรงเรียนคุณภาพ” แล้ว" in await bot("alice@dm: เครือข่ายโรงเรียนคุณภาพ")
    await bot("alice@dm: [Join as coordinator]")
    coordinator_help = await bot("alice@dm: /help")
    assert "/invite" in coordinator_help and "/members" in coordinator_help
    # every part of /settings is named, the academic terms and the catch-up interval too
    assert "ช่วงเวลางดส่ง งบข้อความ LINE ความถี่ในการส่งข่าวที่รอ และภาคเรียน" in coordinator_help
    stranger_help = await bot("stranger@dm: /help")
    assert "/join" in stranger_help and "/invite" not in stranger_help


async def test_unknown_text_and_commands_in_private_get_a_hint(bot: Conversation) -> None:
    assert "ไม่รู้จักคำสั่งนี้" in await bot("alice@dm: /frobnicate")
    assert "ไม่เข้าใจข้อความนี้" in await bot("alice@dm: hello there")


async def test_flow_expires_after_its_time(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("bob@dm: /join")
    await bot(":clock +2h")
    assert "ไม่เข้าใจข้อความนี้" in await bot("bob@dm: ABCD-EFGH")


async def test_a_redelivered_event_changes_nothing(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@dm: /invite teacher 1")
    await bot(f"bob@dm: /join {bot.last_code()}")
    assert "ลงทะเบียนเป็นครู" in await bot("bob@dm: [Agree and register]")
    assert await bot(":redeliver") == ""
    assert await bot("alice@dm: [Join as coordinator]") != ""  # fresh events still answered


async def test_expired_or_foreign_buttons_get_a_polite_message(bot: Conversation) -> None:
    from bot.model import Button

    await bot.setup_network()
    group_message = next(m for m in reversed(bot.console.history) if m.chat == "teachers" and m.buttons)
    group_message.buttons.append(Button("Old", payload="0|from-another-version"))
    group_message.buttons.append(Button("Gone", payload="1|no-such-action"))
    assert "ปุ่มนี้หมดอายุแล้ว" in await bot("alice@teachers: [Old]")
    assert "ปุ่มนี้หมดอายุแล้ว" in await bot("alice@teachers: [Gone]")
