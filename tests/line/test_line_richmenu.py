"""``edunet line setup-richmenu`` against FakeLineAPI (as a process, like an operator runs it)."""

from __future__ import annotations

import asyncio
import io
import os
import sys

import pytest
from PIL import Image

from bot.adapters.line.richmenu import HEIGHT, MENU_NAME, WIDTH, menu_image, tiles
from bot.i18n import Translator
from handlers import build_router
from tests.fakes.line_api import FakeLineAPI
from tests.line.harness import ROOT, TOKEN


async def edunet(fake: FakeLineAPI, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDUNET_", "LINE_"))}
    env.update(LINE_CHANNEL_ACCESS_TOKEN=TOKEN, LINE_API_BASE_URL=fake.url, LINE_DATA_API_BASE_URL=fake.url)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "edunet", *args, cwd=ROOT, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
    return process.returncode or 0, out.decode("utf-8", "replace")


def test_tiles_are_thai_and_for_everyone() -> None:
    items = tiles(build_router(), Translator("th"))
    assert 1 <= len(items) <= 6
    assert items[-1].text == "ช่วยเหลือ"  # help is always there, last
    assert all(any("\u0e00" <= c <= "\u0e7f" for c in t.label) for t in items)
    assert "สมาชิก" not in [t.text for t in items]  # coordinator-only commands are left out
    png = menu_image(items)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (WIDTH, HEIGHT)
    assert len(png) < 1024 * 1024


@pytest.mark.slow
async def test_setup_richmenu_creates_uploads_and_sets_the_default_replacing_the_old_one(
        fake: FakeLineAPI, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out = await edunet(fake, "line", "setup-richmenu", "--image", str(tmp_path / "menu.png"))
    assert code == 0, out
    [menu_id] = fake.rich_menus
    assert fake.default_rich_menu_id == menu_id and menu_id in out
    menu = fake.rich_menus[menu_id]
    assert menu["name"] == MENU_NAME and menu["chatBarText"] == "เมนู" and menu["selected"] is True
    texts = [a["action"]["text"] for a in menu["areas"]]
    assert "ช่วยเหลือ" in texts
    content_type, image = fake.rich_menu_images[menu_id]
    assert content_type == "image/png" and image == (tmp_path / "menu.png").read_bytes()

    code, out = await edunet(fake, "line", "setup-richmenu")
    assert code == 0, out
    assert len(fake.rich_menus) == 1 and fake.default_rich_menu_id != menu_id  # the old one was replaced
    assert fake.violations == []


@pytest.mark.slow
async def test_setup_richmenu_reports_an_api_failure(fake: FakeLineAPI) -> None:
    fake.inject_error("/v2/bot/richmenu", 500, method="POST")
    code, out = await edunet(fake, "line", "setup-richmenu")
    assert code == 1 and "could not set up the rich menu" in out
