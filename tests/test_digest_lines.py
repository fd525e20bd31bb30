"""The digest's lines as a leader reads them: names, changes, units and weeks said plainly.

Each test builds one week's figures by hand (the seeded store in test_digest.py checks how
they are counted) and reads the message the leaders receive.
"""

from __future__ import annotations

from dataclasses import replace

import content
from bot.digest.data import (
    DigestData,
    FeedbackFigures,
    Figures,
    PulseFigures,
    ReachFigures,
    ResidentFigures,
)
from bot.digest.period import Period
from bot.digest.text import digest_text
from bot.i18n import translator
from handlers.pulse_results import Score
from storage.ratings import COMPONENTS, Satisfaction
from tests.report_seed import ZONE

W48 = Period.week(2026, 48, ZONE)
NONE = Satisfaction(0, None, None)


def quiet_week(period: Period) -> Figures:
    """A week in which nothing happened."""
    return Figures(
        period=period,
        feedback=FeedbackFigures(0, {}, {}, 0, 0, {}, 0, {}, None),
        sipas={c: NONE for c in COMPONENTS},
        overall=NONE,
        pulse=PulseFigures(0, {}, {}, False),
        reach=ReachFigures(0, {}, 0, 0, {}, 0, {}, 0),
        residents=ResidentFigures(0, {}, 0, {}),
        publications={},
        withdrawn=0,
    )


def text(commune, now: Figures, before: Figures) -> list[str]:
    data = DigestData(now, before, [], [], [])
    return digest_text(data, commune, content.get_library(), translator("vi")).splitlines()


def feedback(received: dict, *, resolved: int = 0, on_time: int = 0, days: float | None = None):
    return FeedbackFigures(
        received=sum(received.values()),
        by_category={"moi-truong": sum(received.values())},
        by_hamlet=received,
        resolved=resolved,
        on_time=on_time,
        resolved_by_category={"moi-truong": (resolved, on_time)} if resolved else {},
        overdue=0,
        overdue_by_category={},
        median_workdays=days,
    )


def test_items_without_a_hamlet_are_not_read_as_a_hamlet_named_with_a_number(commune):
    now = replace(quiet_week(W48), feedback=feedback({None: 3, "Xóm 3": 1}))
    lines = text(commune, now, quiet_week(W48.previous()))
    assert "Xóm gửi nhiều nhất: Chưa rõ xóm: 3 (+3), Xóm 3: 1 (+1)." in lines
    assert not [line for line in lines if "Không rõ xóm" in line]


def test_no_change_is_written_as_nothing_not_plus_minus_zero(commune):
    same = replace(quiet_week(W48), feedback=feedback({"Xóm 1": 2}))
    before = replace(quiet_week(W48.previous()), feedback=feedback({"Xóm 1": 2}))
    lines = text(commune, same, before)
    assert "Xóm gửi nhiều nhất: Xóm 1: 2." in lines
    assert not [line for line in lines if "±" in line]


def test_a_change_of_a_share_needs_enough_answers_in_both_weeks(commune):
    few = Satisfaction(2, 4.5, 1.0)  # two answers this week, "100%"
    fewer = Satisfaction(2, 3.0, 0.5)
    now = replace(quiet_week(W48), sipas={**quiet_week(W48).sipas, 1: few})
    before = replace(quiet_week(W48.previous()), sipas={**quiet_week(W48).sipas, 1: fewer})
    assert "- Tiếp cận dịch vụ: 100%, 4,5 điểm, 2 ý kiến" in text(commune, now, before)
    many = Satisfaction(8, 4.5, 0.75)
    more = Satisfaction(6, 4.0, 0.5)
    now = replace(now, sipas={**now.sipas, 1: many})
    before = replace(before, sipas={**before.sipas, 1: more})
    assert "- Tiếp cận dịch vụ: 75%, 4,5 điểm, 8 ý kiến (+25 điểm)" in text(commune, now, before)


def test_a_pulse_change_needs_enough_respondents_in_the_week_before(commune):
    scores = {1: Score(10, 7)}
    now = replace(quiet_week(W48), pulse=PulseFigures(10, {}, scores, False))
    before = replace(quiet_week(W48.previous()), pulse=PulseFigures(2, {}, {}, True))
    assert "- Tham gia: 70%" in text(commune, now, before)


def test_a_quiet_week_has_no_line_of_zeros(commune):
    lines = text(commune, quiet_week(W48), quiet_week(W48.previous()))
    assert "Tuyên truyền: tuần này chưa có tin nào tới người dân." in lines
    nothing = "Phản ánh, kiến nghị: tuần này không có phản ánh mới, không có phản ánh quá hạn."
    assert nothing in lines
    zeros = [line for line in lines if " 0 " in f" {line} " or "0/0" in line]
    assert zeros == [], zeros


def test_outreach_names_only_what_happened(commune):
    reach = ReachFigures(12, {}, 9, 0, {}, 0, {}, 0)
    now = replace(quiet_week(W48), reach=reach)
    lines = text(commune, now, quiet_week(W48.previous()))
    assert "Tuyên truyền: 12 tin đã tới 9 người dân (+12)." in lines


def test_time_to_resolve_is_in_working_days_in_plain_words(commune):
    fb = feedback({"Xóm 1": 6}, resolved=6, on_time=5, days=3.5)
    old = feedback({"Xóm 1": 5}, resolved=5, on_time=5, days=2)
    now = replace(quiet_week(W48), feedback=fb)
    before = replace(quiet_week(W48.previous()), feedback=old)
    lines = text(commune, now, before)
    expected = (
        "Giải quyết đúng hạn: 83% (-17 điểm). Thời gian giải quyết thường là 3,5 ngày làm việc"
        " (+1,5)."
    )
    assert expected in lines
    assert "trung vị" not in "\n".join(lines)


def test_weeks_are_named_tuan_never_t_and_a_number(commune):
    lines = text(commune, quiet_week(W48), quiet_week(W48.previous()))
    assert lines[0] == "BÁO CÁO TUẦN 48 (23/11 - 29/11/2026), xã Ví Dụ"
    t = translator("vi")
    assert t("reports.chart_week", week=48) == "Tuần 48"
    assert t("reports.chart_caption", week=48, year=2026) == "Biểu đồ báo cáo tuần 48 năm 2026"
