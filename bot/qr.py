"""Printable QR codes for the desks: scanning one opens the rating flow for that desk."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import qrcode
from PIL import Image, ImageDraw, ImageFont

from bot.conversation import command_words

# DejaVu Sans ships with matplotlib and has every Vietnamese letter.
FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
FONT_BOLD = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"


def rating_link(bot_username: str, desk_id: str) -> str:
    """Return the Telegram deep link that opens the rating flow for a desk."""
    return f"https://t.me/{bot_username.lstrip('@')}?start=rate_{desk_id}"


def zalo_link(link: str) -> str | None:
    """Return the bot's Zalo link as the operator copied it, or None if it is no https link.

    Zalo's Bot Platform documents no deep link, so no URL is built: the poster carries the
    link the operator gives and the words to type once the chat is open.
    """
    link = link.strip()
    if not link.startswith("https://") or len(link) > 300 or any(c.isspace() for c in link):
        return None
    return link


def typed_code(language: str, desk_id: str) -> str:
    """Return what a Zalo resident types to rate a desk: the rating's first word and the desk."""
    return f"{command_words(language, 'danhgia')[0]} {desk_id}"


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if draw.textlength(candidate, font=font) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def desk_poster(link: str, title: str, caption: str, out: Path) -> Path:
    """Draw a printable PNG: a title, the QR code of `link`, and a caption under it."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=16, border=4)
    code.add_data(link)
    code.make(fit=True)
    matrix = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    width = max(matrix.width, 900)
    title_font = ImageFont.truetype(str(FONT_BOLD), 44)
    body_font = ImageFont.truetype(str(FONT), 30)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    title_lines = _wrap(probe, title, title_font, width - 80)
    body_lines = _wrap(probe, caption, body_font, width - 80)
    height = 60 + 56 * len(title_lines) + matrix.height + 40 + 40 * len(body_lines) + 40
    poster = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(poster)
    y = 40
    for line in title_lines:
        draw.text((width / 2, y), line, font=title_font, fill="black", anchor="ma")
        y += 56
    poster.paste(matrix, ((width - matrix.width) // 2, y))
    y += matrix.height + 20
    for line in body_lines:
        draw.text((width / 2, y), line, font=body_font, fill="black", anchor="ma")
        y += 40
    out.parent.mkdir(parents=True, exist_ok=True)
    poster.save(out, format="PNG")
    return out
