"""PDPA over real HTTP on LINE: the full notice at /privacy on the bot's web server, and /mydata as
expiring download links (LINE bots cannot send files) that serve this member's data only."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.contracts.line_openapi import load_line_spec
from tests.fakes.line_api import FakeLineAPI, join_event, postback_event, text_event
from tests.line.harness import ADMIN, TOKEN, LineBot, all_text, postback

pytestmark = pytest.mark.slow

PARENT = "U" + "0b" * 16


@pytest.fixture
async def fake() -> AsyncIterator[FakeLineAPI]:
    async with FakeLineAPI(access_token=TOKEN, spec=load_line_spec()) as server:
        server.add_profile(ADMIN, "Alice", language="th")
        server.add_profile(PARENT, "Somsri", language="th")
        yield server


@pytest.fixture
async def line(fake: FakeLineAPI, sqlite_url: str, tmp_path: Path) -> AsyncIterator[LineBot]:
    bot = LineBot(fake, sqlite_url, tmp_path, EDUNET_PRIVACY_CONTACT="สพป.ทดสอบ เขต 1 โทร 02 000 0000")
    try:
        await bot.start()
        yield bot
    finally:
        await bot.stop()


async def test_the_notice_page_and_mydata_links_on_line(line: LineBot) -> None:
    fake = line.fake
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{line.url}/privacy") as response:
            page = await response.text()
            assert response.status == 200 and response.content_type == "text/html"
    assert page.index("ประกาศความเป็นส่วนตัว") < page.index("privacy notice")  # Thai first, English second
    assert "สพป.ทดสอบ เขต 1" in page and 'name="viewport"' in page

    created = await line.send(text_event(ADMIN, "/newnetwork เครือข่ายทดสอบ", fake=fake))
    assert f"{line.url}/privacy" in all_text(created)  # the short notice links to the full one
    await line.send(postback_event(ADMIN, postback(created, "เข้าร่วมเป็นผู้ประสานงาน"), fake=fake))
    group = "C" + "0c" * 16
    await line.send(join_event(group, fake=fake))
    linked = await line.send(text_event(ADMIN, "/linkgroup", group, fake=fake))
    said = all_text(await line.send(postback_event(PARENT, postback(linked, "ลงทะเบียน"), group, fake=fake)))
    assert "Somsri" in said and "ผู้ปกครอง" in said, said

    # In the group: refused; privately: two links, the JSON one holds Somsri's data and nobody else's.
    assert "แชตส่วนตัว" in all_text(await line.send(text_event(PARENT, "/mydata", group, fake=fake)))
    answer = all_text(await line.send(text_event(PARENT, "/mydata", fake=fake), count=1))
    urls = re.findall(rf"{re.escape(line.url)}/media/\S+", answer)
    assert len(urls) == 2, answer
    async with aiohttp.ClientSession() as session:
        async with session.get(urls[0]) as response:
            assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
            data = json.loads(await response.read())["data"]
        head, token = urls[0].rsplit("/", 1)
        forged = f"{head}/{'A' if token[0] != 'A' else 'B'}{token[1:]}"
        async with session.get(forged) as response:
            assert response.status == 404  # unguessable: a changed token serves nothing
    assert data["members"][0]["display_name"] == "Somsri" and data["members"][0]["platform_user_id"] == PARENT
    assert "Alice" not in json.dumps(data, ensure_ascii=False)
