"""``edunet line setup-richmenu``: the default rich menu of private chats.

Six tiles (3 × 2, 2500 × 843 px) for the main actions every member may use (first "ข่าวล่าสุด",
whose free reply carries what is waiting for the member), labelled in
Thai on an image drawn with Pillow and the shipped Sarabun font. Each tile sends the
command's Thai word (bare words work in private chats). Running it again replaces the
previous EduNet menu.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.i18n import N_, Translator
from bot.router import Router, Where

if TYPE_CHECKING:
    from bot.adapters.line.api import LineApi

log = logging.getLogger(__name__)

MENU_NAME = "EduNet main menu"
WIDTH, HEIGHT = 2500, 843
COLUMNS, ROWS = 3, 2
#: Commands in the order they get a tile, when this installation has them.
PREFERRED = ("news", "log", "activities", "needs", "pledge", "meetings", "summary", "survey", "me", "help", "org", "lang")
#: Labels nicer than the command's Thai word.
LABELS = {"me": N_("My profile"), "help": N_("Help")}
COLOURS = ("#06C755", "#0B8E4C", "#2E7D32", "#1565C0", "#6A1B9A", "#EF6C00")
MENU_BAR = N_("Menu")


@dataclass(frozen=True)
class Tile:
    label: str
    text: str  # what tapping it sends


def tiles(router: Router, tr: Translator) -> list[Tile]:
    """Up to six tiles for commands any member may use in a private chat, help last."""
    chosen: dict[str, Tile] = {}
    for name in PREFERRED:
        if not _usable(router, name):
            continue
        route = router.commands[name]
        word = route.aliases[0] if route.aliases else f"/{route.name}"
        label = tr(LABELS[name]) if name in LABELS else word.lstrip("/")
        chosen[name] = Tile(label=label[:20], text=word)
    helper = [chosen.pop("help")] if "help" in chosen else []
    return list(chosen.values())[: COLUMNS * ROWS - len(helper)] + helper


def _usable(router: Router, name: str) -> bool:
    route = router.commands.get(name)
    return route is not None and route.rule.roles is None and route.rule.where is not Where.GROUP


def _bounds(index: int, count: int) -> tuple[int, int, int, int]:
    """x, y, width, height of tile ``index``; a short last row stretches across."""
    row, column = divmod(index, COLUMNS)
    in_row = min(COLUMNS, count - row * COLUMNS)
    width = WIDTH // in_row
    height = HEIGHT // ROWS if count > COLUMNS else HEIGHT
    x = column * width
    return x, row * height, (WIDTH - x if column == in_row - 1 else width), height


@lru_cache(maxsize=1)
def _font_path() -> Path:
    import fontpkg_sarabun

    return Path(fontpkg_sarabun.__file__).resolve().parent / "files" / "Sarabun-Bold.ttf"


def menu_image(items: list[Tile]) -> bytes:
    """The menu picture: one coloured tile per action, its Thai label centred (PNG < 1 MB)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(_font_path()), 110)
    for index, tile in enumerate(items):
        x, y, w, h = _bounds(index, len(items))
        draw.rectangle((x + 6, y + 6, x + w - 6, y + h - 6), fill=COLOURS[index % len(COLOURS)])
        size = 110
        while size > 40 and draw.textlength(tile.label, font=font) > w - 80:
            size -= 10
            font = ImageFont.truetype(str(_font_path()), size)
        draw.text((x + w / 2, y + h / 2), tile.label, fill="white", font=font, anchor="mm")
        font = ImageFont.truetype(str(_font_path()), 110)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def menu_request(items: list[Tile], tr: Translator) -> dict[str, Any]:
    """The rich menu object (LINE's ``RichMenuRequest``) for these tiles."""
    areas = []
    for index, tile in enumerate(items):
        x, y, w, h = _bounds(index, len(items))
        areas.append({"bounds": {"x": x, "y": y, "width": w, "height": h},
                      "action": {"type": "message", "label": tile.label, "text": tile.text}})
    return {"size": {"width": WIDTH, "height": HEIGHT}, "selected": True, "name": MENU_NAME,
            "chatBarText": tr(MENU_BAR)[:14], "areas": areas}


async def setup_rich_menu(api: LineApi, router: Router, *, language: str = "th",
                          image_path: Path | None = None) -> str:
    """Create the menu, upload its image, make it the default, remove older EduNet menus.
    Returns the new rich menu id."""
    tr = Translator(language)
    items = tiles(router, tr)
    if not items:
        raise ValueError("no command is available for the rich menu")
    png = menu_image(items)
    if image_path is not None:
        image_path.write_bytes(png)
    old = [str(m["richMenuId"]) for m in await api.client.rich_menus() if m.get("name") == MENU_NAME]
    menu_id = await api.client.create_rich_menu(menu_request(items, tr))
    await api.client.upload_rich_menu_image(menu_id, png, "image/png")
    await api.client.set_default_rich_menu(menu_id)
    for stale in old:
        try:
            await api.client.delete_rich_menu(stale)
        except Exception as exc:  # an old menu that is already gone is fine
            log.info("could not delete the old rich menu %s: %s", stale, exc.__class__.__name__)
    return str(menu_id)
