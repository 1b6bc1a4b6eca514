"""The privacy notice: a short one in chat at registration, the full one at ``/privacy`` on the
bot's web server (Thai first, English second). Its version is recorded with every consent."""

from __future__ import annotations

import html

from bot.config import Settings
from bot.context import Context
from bot.i18n import N_, Translator

NOTICE_VERSION = "1"
NOTICE_TAG = "n1"  # in the payload of a button shown with the notice: pressing it is consent to it
NECESSARY, PHOTOS, CONTACT = "necessary", "photos", "contact"
PURPOSES = (NECESSARY, PHOTOS, CONTACT)
OPTIONAL = (PHOTOS, CONTACT)
PURPOSE_NAMES = {
    NECESSARY: N_("membership data needed to take part (name, chat account, role, organisation, what you record)"),
    PHOTOS: N_("photos of activities that may show you"),
    CONTACT: N_("sharing your contact with other members of the network"),
}
PAGE_PATH = "/privacy"


def notice_link(settings: Settings) -> str:
    base = settings.public_url.strip().rstrip("/")
    return f"{base}{PAGE_PATH}" if base else ""


def controller(t: Translator, settings: Settings) -> str:
    return settings.privacy_contact.strip() or t("the network's coordinators")


def short_notice(ctx: Context, network_name: str) -> str:
    """What is kept, why, how long and who answers for it, in a few lines."""
    t, settings = ctx.t, ctx.app.settings
    link = notice_link(settings)
    more = (t("Full notice: {link}", link=link) if link
            else t("Send /privacy to read the full notice."))
    return t("Personal data notice ({network}): the bot keeps your name and chat account, your role and "
             "organisation, and what you record (activities, needs, pledges, answers to named surveys), only "
             "to run the network's work. Kept while you are a member; after you leave or are removed, for the "
             "period the network sets. Controller: {controller}. You can see your data (/mydata), change your "
             "consent (/consent) or have it erased (/forget) at any time.\n{more}",
             network=network_name, controller=controller(t, settings), more=more)


_PAGE = """<!doctype html>
<html lang="th"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ประกาศความเป็นส่วนตัว EduNet · Privacy notice</title>
<link rel="stylesheet" href="/fonts/sarabun.css">
<style>
body{{font-family:"Noto Sans Thai","Sarabun",system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;
line-height:1.7;color:#1d2430;font-size:17px}}
h1{{font-size:1.4rem;margin:.5rem 0}} h2{{font-size:1.1rem;margin:1.4rem 0 .3rem}}
section{{border-top:1px solid #d8dee8;margin-top:1.5rem;padding-top:.5rem}}
.meta{{color:#5a6472;font-size:.9rem}} ul{{padding-left:1.2rem}}
</style></head><body>
<h1>ประกาศความเป็นส่วนตัวของบอต EduNet</h1>
<p class="meta">ฉบับที่ {version} · ตามพระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562</p>
<h2>ผู้ควบคุมข้อมูลส่วนบุคคล</h2>
<p>{controller_th}</p>
<h2>ข้อมูลที่เก็บ</h2>
<ul>
<li>ชื่อที่แสดงและรหัสบัญชี LINE หรือ Telegram ของคุณ</li>
<li>บทบาท หน่วยงาน และภาษาที่เลือก</li>
<li>สิ่งที่คุณบันทึกผ่านบอต ได้แก่ กิจกรรม ความต้องการ การสนับสนุน การตอบรับการประชุม และคำตอบแบบสำรวจที่ระบุชื่อ</li>
<li>ความยินยอมของคุณ พร้อมวันเวลาและฉบับของประกาศนี้</li>
</ul>
<p>บอตไม่มีบัญชีของนักเรียน และขอให้ไม่พิมพ์เลขประจำตัวประชาชนหรือเบอร์โทรศัพท์ของผู้อื่นลงในข้อความ</p>
<h2>วัตถุประสงค์</h2>
<ul>
<li><b>จำเป็น</b>: เพื่อให้คุณเข้าร่วมงานของเครือข่ายได้ เช่น รับข่าวสาร บันทึกกิจกรรม และสรุปผลของเครือข่าย</li>
<li><b>ไม่บังคับ</b>: รูปภาพกิจกรรมที่อาจมีคุณอยู่ในภาพ และการแบ่งปันช่องทางติดต่อของคุณกับสมาชิกคนอื่น</li>
</ul>
<h2>ระยะเวลาที่เก็บ</h2>
<p>เก็บไว้ตลอดเวลาที่คุณเป็นสมาชิก เมื่อออกหรือถูกลบออกจากเครือข่าย เก็บต่อไม่เกินระยะที่เครือข่ายกำหนด
(ค่าเริ่มต้น 365 วัน) แล้วลบชื่อและรหัสบัญชีออก ข้อมูลทางเทคนิค เช่น ข้อความที่ได้รับและไฟล์ดาวน์โหลด
ลบตามระยะที่เครือข่ายกำหนด</p>
<h2>สิทธิของคุณ</h2>
<ul>
<li>ดูและรับสำเนาข้อมูลของคุณ: ส่ง /mydata ในแชตส่วนตัวกับบอต</li>
<li>ให้หรือถอนความยินยอม: ส่ง /consent แล้วกดปุ่มของแต่ละเรื่อง</li>
<li>ขอให้ลบข้อมูล: ส่ง /forget แล้วกดปุ่ม “ลบข้อมูลของฉัน” ตัวเลขรวมของเครือข่ายยังคงอยู่ โดยแสดงเป็น “อดีตสมาชิก”</li>
<li>ร้องเรียนต่อสำนักงานคณะกรรมการคุ้มครองข้อมูลส่วนบุคคล</li>
</ul>
<p>ผู้ประสานงานจะดำเนินการตามคำขอภายใน 30 วัน</p>

<section lang="en">
<h1>EduNet bot privacy notice</h1>
<p class="meta">Version {version} · under Thailand's Personal Data Protection Act B.E. 2562 (2019)</p>
<h2>Data controller</h2>
<p>{controller_en}</p>
<h2>What is kept</h2>
<ul>
<li>Your display name and LINE or Telegram account id</li>
<li>Your role, organisation and language</li>
<li>What you record through the bot: activities, needs, pledges, meeting replies and answers to named surveys</li>
<li>Your consents, with their time and the version of this notice</li>
</ul>
<p>The bot holds no student accounts; please do not type anyone's national ID number or phone number.</p>
<h2>Why</h2>
<ul>
<li><b>Necessary</b>: to take part in the network's work (news, activity records, the network's summaries)</li>
<li><b>Optional</b>: activity photos that may show you, and sharing your contact with other members</li>
</ul>
<h2>How long</h2>
<p>While you are a member. After you leave or are removed, no longer than the period the network sets
(365 days by default), then your name and account id are erased. Technical data (received messages,
download files) is deleted after the periods the network sets.</p>
<h2>Your rights</h2>
<ul>
<li>See and get a copy of your data: send /mydata in a private chat with the bot</li>
<li>Give or withdraw consent: send /consent and tap a button</li>
<li>Erasure: send /forget and confirm; the network's totals stay, shown as “former member”</li>
<li>Complain to the Personal Data Protection Committee</li>
</ul>
<p>Coordinators act on requests within 30 days.</p>
</section>
</body></html>
"""


def notice_html(settings: Settings) -> str:
    """The full notice as a page for phones."""
    contact = settings.privacy_contact.strip()
    return _PAGE.format(version=NOTICE_VERSION,
                        controller_th=html.escape(contact or "ผู้ประสานงานของเครือข่าย"),
                        controller_en=html.escape(contact or "the network's coordinators"))
