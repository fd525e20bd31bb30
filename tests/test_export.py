"""The Excel export: it opens, its rows and counts are right, and it names no sender."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.config import load_commune
from bot.export import export_feedback
from storage import Storage
from storage.feedback import NewFeedback
from storage.models import Role
from tests.test_cli import loaxa  # noqa: F401  (the fixture that runs `python -m bot`)

SECRETS = ("Bùi Thị Xuân", "Xuân", "Trần Văn Nam", "Lý Văn Tám", "Tám", "Trưởng xóm Tư",
           "Cán bộ Hà", "880001", "880002", "990001")  # fmt: skip


@pytest.fixture
def commune():
    return load_commune(None)[0]


def today(commune) -> date:
    return datetime.now(UTC).astimezone(commune.zone).date()


async def seed(store: Storage) -> dict[str, str]:
    """Store four items: anonymous and resolved, named and rejected, on behalf, and old."""
    xuan = await store.residents.register("telegram", "880001", "880001", "Bùi Thị Xuân", "vi")
    nam = await store.residents.register("telegram", "880002", "880002", "Trần Văn Nam", "vi")
    head = await store.staff.upsert(
        "telegram", "990001", "Trưởng xóm Tư", Role.HAMLET_HEAD, hamlet="Xóm 4"
    )
    ha = await store.staff.upsert("telegram", "990002", "Cán bộ Hà", Role.OFFICIAL)
    deadline = date(2030, 1, 10)

    def new(category, resident=None, **more):
        return NewFeedback(
            "telegram", "petition", category, "Nội dung phản ánh đủ dài", deadline,
            resident_id=resident.id if resident else None, notify_channel="telegram",
            notify_chat_id=resident.chat_id if resident else "990001", **more,
        )  # fmt: skip

    repo = store.feedback
    anon = await repo.create(new("moi-truong", xuan, hamlet="Xóm 3", anonymous=True))
    staff_kw = {"actor": "staff", "staff_id": ha.id, "staff_name": ha.name}
    await repo.apply(anon.id, action="assign", expect_status="new", to_status="in_progress",
                     assignee_id=ha.id, text=ha.name, **staff_kw)  # fmt: skip
    await repo.apply(anon.id, action="resolve", expect_status="in_progress",
                     to_status="resolved", text="Đã dọn sạch bãi rác.", **staff_kw)  # fmt: skip
    await repo.rate(anon.id, 5, "Cảm ơn xã, tôi là Bùi Thị Xuân")
    named = await repo.create(new("dat-dai", nam, hamlet="Xóm 1"))
    await repo.apply(named.id, action="reject", expect_status="new", to_status="rejected",
                     text="Không thuộc thẩm quyền của xã.", **staff_kw)  # fmt: skip
    behalf = await repo.create(
        new("moi-truong", None, hamlet="Xóm 4", submitted_by=head.id, on_behalf_of="Lý Văn Tám")
    )
    old = await repo.create(new("khac", nam, hamlet="Xóm 2"))
    await repo.backdate(old.id, [datetime(2020, 1, 1, 3, tzinfo=UTC)])  # before the period
    return {"anon": anon.code, "named": named.code, "behalf": behalf.code, "old": old.code}


def cells(book) -> list[str]:
    return [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]


async def test_the_workbook_has_the_items_and_the_counts_and_no_names(tmp_path, commune):
    store = await Storage.open(tmp_path / "loaxa.db")
    try:
        codes = await seed(store)
        out = tmp_path / "bao-cao" / "phan-anh.xlsx"
        day = today(commune)
        count = await export_feedback(store, commune, day - timedelta(days=1), day, out)
    finally:
        await store.close()
    assert count == 3

    book = load_workbook(out)
    assert book.sheetnames == ["Phản ánh", "Thống kê"]
    items, counts = book["Phản ánh"], book["Thống kê"]
    header = [c.value for c in items[1]]
    assert header == [
        "Mã", "Ngày gửi", "Loại", "Lĩnh vực", "Xóm", "Trạng thái", "Hạn trả lời",
        "Số ngày làm việc để giải quyết", "Trả lời gần nhất", "Điểm đánh giá (1-5)", "Cách gửi",
    ]  # fmt: skip
    assert all(c.font.bold for c in items[1]) and all(c.font.bold for c in counts[1])
    assert items.freeze_panes == "A2" and counts.freeze_panes == "B2"
    assert items.column_dimensions["I"].width == 60

    rows = {r[0]: r for r in items.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {codes["anon"], codes["named"], codes["behalf"]}
    anon = rows[codes["anon"]]
    assert anon[1].date() == today(commune) and anon[6].date() == date(2030, 1, 10)
    assert anon[2:6] == ("Phản ánh, kiến nghị", "Môi trường", "Xóm 3", "Đã giải quyết")
    assert anon[7:] == (0, "Đã dọn sạch bãi rác.", 5, "Ẩn danh")
    named = rows[codes["named"]]
    assert named[3:6] == ("Đất đai", "Xóm 1", "Không thụ lý")
    assert named[7:] == (None, "Không thuộc thẩm quyền của xã.", None, "Có tên")
    assert rows[codes["behalf"]][5] == "Mới nhận"

    table = {r[0]: r[1:] for r in counts.iter_rows(min_row=2, values_only=True)}
    statuses = [c.value for c in counts[1]][1:]
    environment = dict(zip(statuses, table["Môi trường"], strict=True))
    assert (environment["Mới nhận"], environment["Đã giải quyết"], environment["Tổng"]) == (1, 1, 2)
    assert dict(zip(statuses, table["Đất đai"], strict=True))["Không thụ lý"] == 1
    assert table["Khác"][-1] == 0  # the old item is outside the period
    assert table["Tổng"][-1] == 3
    assert len(table) == len(commune.categories) + 1

    everything = "\n".join(cells(book))
    for secret in SECRETS:
        assert secret not in everything


def test_cli_exports_and_refuses_bad_dates(loaxa, tmp_path):  # noqa: F811
    async def work():
        store = await Storage.open(tmp_path / "loaxa.db")
        try:
            await seed(store)
        finally:
            await store.close()

    asyncio.run(work())
    day = today(load_commune(None)[0])
    out = tmp_path / "x.xlsx"
    done = loaxa("export", "feedback", "--from", day.strftime("%d/%m/%Y"), "--to",
                 day.isoformat(), "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "exported 3 feedback items" in done.stdout
    assert load_workbook(out)["Phản ánh"].max_row == 4

    bad = loaxa("export", "feedback", "--from", "31/02/2027", "--to", "2027-03-01", "--out", "y")
    assert bad.returncode == 2 and "not a date" in bad.stderr
    backwards = loaxa("export", "feedback", "--from", "2027-03-02", "--to", "2027-03-01",
                      "--out", "y.xlsx")  # fmt: skip
    assert backwards.returncode == 2 and "is after --to" in backwards.stderr
    assert not (tmp_path / "y.xlsx").exists()


async def test_a_complaint_shows_its_laws_time_limits_and_not_its_sender(tmp_path, commune):
    store = await Storage.open(tmp_path / "loaxa.db")
    try:
        complaint = await store.feedback.create(
            NewFeedback(
                "telegram", "complaint", "dat-dai", "Khiếu nại quyết định thu hồi đất",
                date(2030, 1, 10), complainant_name="Hoàng Văn Sáu",
            )
        )  # fmt: skip
        out = tmp_path / "phan-anh.xlsx"
        day = today(commune)
        await export_feedback(store, commune, day - timedelta(days=1), day, out)
    finally:
        await store.close()
    book = load_workbook(out)
    row = next(r for r in book["Phản ánh"].iter_rows(min_row=2, values_only=True))
    assert row[0] == complaint.code and row[2] == "Khiếu nại"
    assert row[6] == "KHIẾU NẠI: thụ lý 10 ngày, giải quyết 30 ngày theo luật"
    assert "Hoàng Văn Sáu" not in "\n".join(cells(book))
