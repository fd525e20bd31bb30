"""The weekly digest: every figure against the hand-worked dataset, its text, chart and workbook."""

from __future__ import annotations

import io
import logging
import struct
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

import content
from bot.digest.build import build_digest, send_digest
from bot.digest.data import gather
from bot.digest.papi import signals
from bot.digest.period import Period
from bot.jobs import build_jobs
from bot.scheduler import Scheduler
from storage import Storage
from tests.report_seed import SECRET, ZONE, seed

W48 = Period.week(2026, 48, ZONE)


@pytest.fixture
async def store(tmp_path):
    store = await Storage.open(tmp_path / "digest.db")
    yield store
    await store.close()


@pytest.fixture
async def seeded(store):
    return await seed(store)


def test_weeks_and_periods():
    assert (W48.first.isoformat(), W48.last.isoformat()) == ("2026-11-23", "2026-11-29")
    assert W48.start == datetime(2026, 11, 22, 17, tzinfo=UTC)
    assert W48.previous().iso_week == "2026-W47"
    assert Period.parse_week("2026w48", ZONE) == W48
    monday_morning = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # 07:30 in Vietnam
    assert Period.last_full_week(monday_morning, ZONE) == W48
    with pytest.raises(ValueError):
        Period.parse_week("2026-W54", ZONE)


async def test_feedback_figures(store, seeded, commune):
    data = await gather(store, commune, W48)
    now, before = data.current.feedback, data.previous.feedback
    assert (now.received, now.resolved, now.on_time, now.overdue) == (5, 3, 1, 2)
    assert (before.received, before.resolved, before.on_time, before.overdue) == (3, 2, 1, 3)
    assert now.by_category == {"moi-truong": 2, "dat-dai": 1, "thu-tuc": 1, "khac": 1}
    assert now.by_hamlet == {"Xóm 1": 2, "Xóm 2": 1, "Xóm 3": 1, None: 1}
    assert now.resolved_by_category == {"moi-truong": (2, 1), "giao-thong": (1, 0)}
    assert now.overdue_by_category == {"thu-tuc": 1, "can-bo": 1}
    assert before.overdue_by_category == {"can-bo": 1, "giao-thong": 1, "dat-dai": 1}
    # Working days, the unit deadlines are set in: f1 Mon 23/11 -> Thu 26/11 and f2 Tue 24/11
    # -> Fri 27/11 took 3, f7 Tue 17/11 -> Tue 24/11 took 5 (a weekend between).
    assert now.median_workdays == 3
    assert before.median_workdays == 8  # f6 3 and f10 Tue 03/11 -> Fri 20/11 13: (3 + 13) / 2
    overdue = [(i.code, i.assignee) for i in data.oldest_overdue]
    assert overdue == [(seeded.codes["f9"], "Cán bộ Hà"), (seeded.codes["f4"], None)]
    assert [(p.iso_week, r, s) for p, r, s in data.trend[-3:]] == [
        ("2026-W46", 0, 0), ("2026-W47", 3, 2), ("2026-W48", 5, 3),
    ]  # fmt: skip
    assert data.trend[0][0].iso_week == "2026-W41"


async def test_satisfaction_pulse_reach_residents(store, seeded, commune):
    data = await gather(store, commune, W48)
    now, before = data.current, data.previous
    sipas = {c: (s.count, s.mean, s.satisfied_share) for c, s in now.sipas.items()}
    assert sipas == {1: (2, 4.5, 1.0), 2: (2, 3.0, 0.5), 3: (2, 2.0, 0.0), 4: (2, 4.5, 1.0),
                     5: (2, 3.0, 0.5)}  # fmt: skip
    assert (now.overall.count, now.overall.mean) == (2, 3.5)
    assert before.sipas[5].count == 2 and before.sipas[5].mean == 2.5
    assert [(r["low"], r["comment"]) for r in data.lowest] == [
        (1, "Phải chờ quá lâu"), (2, "Không hài lòng"), (2, None),
    ]  # fmt: skip
    pulse = now.pulse
    assert (pulse.respondents, pulse.hidden) == (5, False)
    assert {d: (s.count, s.good) for d, s in pulse.by_dimension.items()} == {
        1: (5, 3), 2: (5, 3), 4: (5, 4),
    }  # fmt: skip
    assert pulse.by_hamlet == {"Xóm 1": 2, "Xóm 2": 1, "Xóm 3": 2}
    assert (before.pulse.respondents, before.pulse.hidden, before.pulse.by_dimension) == (
        1,
        True,
        {},
    )
    reach = now.reach
    assert (reach.delivered, reach.residents_reached, reach.unreachable) == (5, 3, 1)
    assert (reach.readers, reach.quiz_right, reach.quiz_total, reach.disclosure_reach) == (
        2,
        1,
        2,
        2,
    )
    assert (before.reach.delivered, before.reach.unreachable) == (1, 0)
    assert (now.residents.new, now.residents.registered) == (2, 5)
    assert (before.residents.new, before.residents.registered) == (1, 3)
    assert now.publications == {"budget": 1, "land-use": 1} and now.withdrawn == 1


async def test_one_pass_satisfaction_matches_the_ratings_repository(store, seeded):
    for period in (W48, W48.previous(), Period(W48.first.replace(day=1), W48.last, ZONE)):
        components, overall = await store.reports.satisfaction(period.start, period.end)
        assert components == await store.ratings.by_component(period.start, period.end)
        assert overall == await store.ratings.overall(period.start, period.end)


async def test_papi_signals_follow_the_documented_mapping(store, seeded, commune):
    fig = (await gather(store, commune, W48)).current
    found = {d: {s.key: s.value for s in sig} for d, sig in
             signals(fig, commune, content.get_library()).items()}  # fmt: skip
    assert found[1]["pulse"] == 0.6 and found[1]["respondents"] == 5
    assert found[2]["reads"] == 2 and found[2]["quiz_right"] == 0.5
    assert found[2]["feedback_received"] == 1  # dat-dai is filed under dimension 2
    assert found[2]["feedback_on_time"] is None  # nothing of it resolved this week
    assert (found[2]["publications"], found[2]["disclosure_reach"]) == (2, 2)
    assert found[3]["on_time_all"] == pytest.approx(1 / 3) and found[3]["sipas"] == 0.5
    assert found[4]["pulse"] == 0.8
    assert found[5]["sipas"] == pytest.approx(5 / 8)  # components 1-4 pooled
    assert found[6]["feedback_on_time"] == 0.0  # f7, roads, resolved late
    assert (found[7]["feedback_received"], found[7]["feedback_on_time"]) == (2, 0.5)
    assert (found[8]["new_residents"], found[8]["registered"], found[8]["reads"]) == (2, 5, 1)


async def test_the_message_shows_each_figure_with_its_change(store, seeded, commune, caplog):
    caplog.set_level(logging.ERROR, logger="bot.i18n")
    digest = await build_digest(store, commune, W48)
    lines = digest.text.splitlines()
    assert lines[0] == "BÁO CÁO TUẦN 48 (23/11 - 29/11/2026), xã Ví Dụ"
    expected = [
        "Phản ánh, kiến nghị: nhận 5 (+2), giải quyết xong 3 (+1), quá hạn 2 (-1).",
        # 3 and 2 items resolved: too few for a change in the share or the time to mean much.
        "Giải quyết đúng hạn: 33%. Thời gian giải quyết thường là 3 ngày làm việc.",
        "Lĩnh vực nhiều nhất: Môi trường: 2 (+1), Đất đai: 1, Khác: 1 (+1).",
        "Xóm gửi nhiều nhất: Xóm 1: 2 (+1), Xóm 2: 1, Xóm 3: 1.",
        f"- {seeded.codes['f9']}, Thái độ cán bộ, hạn 09/11/2026, người xử lý: Cán bộ Hà",
        f"- {seeded.codes['f4']}, Thủ tục hành chính, hạn 26/11/2026, người xử lý: chưa giao",
        "- Tiếp cận dịch vụ: 100%, 4,5 điểm, 2 ý kiến",  # 2 answers: no "+100 điểm"
        "- Sự phục vụ của công chức: 0%, 2,0 điểm, 2 ý kiến",
        "- Đánh giá chung (1 câu): 50%, 3,5 điểm, 2 ý kiến",
        "Khảo sát nhanh (5 người hoàn thành), tỷ lệ trả lời tích cực:",
        "- Kiểm soát tham nhũng: 80%",
        "Tuyên truyền: 5 tin đã tới 3 người dân (+4); 1 người không nhận được tin"
        " (+1); 2 người đọc tài liệu; câu hỏi tìm hiểu: 1/2 câu trả lời đúng.",
        "- 1/5, Hộ tịch (khai sinh, kết hôn, khai tử): “Phải chờ quá lâu”",
        "- 2/5, Chứng thực bản sao, chữ ký: “Không hài lòng”",
        "Người dân mới đăng ký: 2 (+1); đang dùng: 5.",
        "- Công khai, minh bạch: khảo sát 60%; 2 lượt đọc (+2); trả lời đúng 50%;"
        " 1 phản ánh; 2 văn bản công khai (+2); 2 người nhận, xem văn bản (+2)",
        "- Môi trường: 2 phản ánh (+1); đúng hạn 50%",  # from 2 items: no "-50 điểm"
    ]
    for line in expected:
        assert line in lines, f"{line!r} not in the digest:\n{digest.text}"
    assert len(digest.text) < 3500  # one message on a phone
    assert SECRET not in digest.text and "Xuân" not in digest.text
    assert not [r for r in caplog.records if "catalog key" in r.getMessage()]


async def test_the_chart_is_a_png_and_the_workbook_has_the_tables(store, seeded, commune):
    digest = await build_digest(store, commune, W48)
    assert digest.chart.startswith(b"\x89PNG\r\n\x1a\n") and len(digest.chart) > 20_000
    width, height = struct.unpack(">II", digest.chart[16:24])  # the PNG's IHDR
    assert (width, height) == (1080, 2340)  # a phone's width, the panels stacked, not side by side
    book = load_workbook(io.BytesIO(digest.workbook))
    summary = {row[0]: row[1:] for row in book["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Phản ánh tiếp nhận"] == (5, 3)
    assert summary["Quá hạn (cuối kỳ)"] == (2, 3)
    assert summary["Tin tuyên truyền đã tới người dân"] == (5, 1)
    categories = {r[0]: r[1:] for r in book["Theo lĩnh vực"].iter_rows(values_only=True)}
    assert categories["Môi trường"] == (2, 2, 1, 0, 1)
    overdue = list(book["Quá hạn"].iter_rows(values_only=True))[1:]
    assert [(r[0], r[4]) for r in overdue] == [(seeded.codes["f9"], "Cán bộ Hà"),
                                               (seeded.codes["f4"], "chưa giao")]  # fmt: skip
    weeks = [row[0] for row in book["8 tuần"].iter_rows(values_only=True)][1:]
    assert weeks[-2:] == ["Tuần 47", "Tuần 48"]
    assert {"Hài lòng SIPAS", "Khảo sát nhanh", "Tín hiệu PAPI", "Đánh giá thấp", "8 tuần"} <= set(
        book.sheetnames
    )


async def test_the_workbook_never_names_an_anonymous_sender(store, seeded, commune):
    digest = await build_digest(store, commune, W48)
    with zipfile.ZipFile(io.BytesIO(digest.workbook)) as xlsx:
        xml = "".join(xlsx.read(name).decode("utf-8") for name in xlsx.namelist())
    assert seeded.codes["f4"] in xml  # the overdue anonymous item is listed...
    assert SECRET not in xml and "Xuân" not in xml  # ...without who sent it


async def test_the_digest_goes_to_every_leader_once(store, seeded, commune):
    digest = await build_digest(store, commune, W48)
    now = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
    assert await send_digest(store, commune, digest, now) == 3
    assert await send_digest(store, commune, digest, now) == 0  # the same week: nothing new
    rows = await store.outbox.list_by_source("digest:2026-W48:workbook")
    assert [(r.chat_id, r.kind, r.reply.media.kind) for r in rows] == [
        ("7002", "digest", "document")
    ]
    chart = (await store.outbox.list_by_source("digest:2026-W48:chart"))[0].reply.media
    assert chart.kind == "photo" and chart.data == digest.chart


async def test_a_leadership_group_also_receives_it(store, seeded, commune):
    group = commune.model_copy(
        update={"digest": commune.digest.model_copy(update={"leadership_group_chat": "-100777"})}
    )
    digest = await build_digest(store, group, W48)
    assert await send_digest(store, group, digest, datetime(2026, 11, 30, 1, tzinfo=UTC)) == 6
    chats = {r.chat_id for r in await store.outbox.list_by_source("digest:2026-W48:text")}
    assert chats == {"7002", "-100777"}


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


async def test_the_scheduled_job_runs_once_a_week(store, seeded, commune):
    monday = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # Monday 07:30 in Vietnam
    clock = Clock(monday)
    jobs = [job for job in build_jobs(store, commune) if job.name == "digest"]
    assert jobs[0].cron == {"day_of_week": "mon", "hour": 7, "minute": 30}
    scheduler = Scheduler(store, commune.zone, jobs, clock)
    assert scheduler.latest_due(jobs[0], monday) == monday
    assert await scheduler.fire("digest", monday) is True
    assert await store.jobs.fired("digest@2026-W49")  # the key of the week it fires in
    clock.moment = datetime(2026, 12, 2, 3, tzinfo=UTC)  # a restart on Wednesday
    assert await scheduler.catch_up() == []
    assert await scheduler.fire("digest", monday) is False
    assert len(await store.outbox.list_by_source("digest:2026-W48:text")) == 1
    next_monday = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)
    clock.moment = next_monday
    assert await scheduler.fire("digest", next_monday) is True
    assert len(await store.outbox.list_by_source("digest:2026-W49:text")) == 1


async def test_complaints_and_denunciations_are_not_measured_by_feedback_deadlines(
    store, seeded, commune
):
    """Their laws set their time limits: never overdue, not in on-time or time-to-resolve."""
    from storage.synthetic import FeedbackRow, Synthetic
    from tests.report_seed import at

    before = (await gather(store, commune, W48)).current.feedback
    await Synthetic(store.db).feedback([
        # A complaint open past its stored date, and a denunciation "resolved late" in W48.
        FeedbackRow("KN-TEST1", "can-bo", "Xóm 2", "new", W48.start.date(), at(11, 2),
                    kind="complaint"),
        FeedbackRow("TC-TEST2", "can-bo", "Xóm 2", "resolved", W48.start.date(), at(11, 2),
                    resolved_at=at(11, 25), kind="denunciation"),
    ])  # fmt: skip
    data = await gather(store, commune, W48)
    now = data.current.feedback
    assert (now.resolved, now.on_time, now.overdue) == (
        before.resolved, before.on_time, before.overdue
    )
    assert now.median_workdays == before.median_workdays
    assert now.overdue_by_category == before.overdue_by_category
    assert {i.code for i in data.oldest_overdue}.isdisjoint({"KN-TEST1", "TC-TEST2"})


async def test_a_dont_know_answer_takes_no_side_in_the_pulse(store, seeded, commune):
    """"Không rõ" counts in no share, in the digest as in the survey's own results."""
    from content.pulse import UNKNOWN
    from storage.synthetic import Synthetic
    from tests.report_seed import at

    syn = Synthetic(store.db)
    resident = await syn.resident("Gia", "Xóm 2", at(11, 20))
    await syn.survey("2026-q4", resident, "Xóm 2", {"d2-ngan-sach": UNKNOWN}, at(11, 26, 10))
    pulse = (await gather(store, commune, W48)).current.pulse
    assert pulse.respondents == 6
    assert (pulse.by_dimension[2].count, pulse.by_dimension[2].good) == (5, 3)
