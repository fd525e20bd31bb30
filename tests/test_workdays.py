"""Working-day arithmetic on known dates: weekends, Tết, 30/4-1/5 and the commune's own days.

Vietnam's holidays come from the `holidays` package. For Tết Đinh Mùi 2027 it gives
Thu 4/2 to Wed 10/2 (29 Tết to mùng 5 Tết); 30/4/2027 is a Friday and 1/5/2027 a Saturday,
observed on Monday 3/5.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import load_commune
from bot.workdays import WorkCalendar
from handlers.inbox_view import work_calendar

PLAIN = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 2, 3), True),  # Wednesday before Tết
        *((date(2027, 2, n), False) for n in range(4, 11)),  # Tết, weekend inside
        (date(2027, 2, 11), True),  # first day back
        (date(2027, 4, 30), False),  # Liberation Day
        (date(2027, 5, 3), False),  # Labour Day (Sat 1/5) observed on Monday
        (date(2027, 5, 4), True),
        (date(2026, 3, 7), False),  # a Saturday
        (date(2026, 3, 8), False),  # a Sunday
        (date(2026, 3, 9), True),  # a Monday
        (date(2026, 9, 2), False),  # National Day
        (date(2027, 1, 1), False),  # New Year's Day
    ],
)
def test_known_days(day, working):
    assert PLAIN.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday + 1 skips the weekend
        (date(2026, 3, 6), 0, date(2026, 3, 6)),
        (date(2026, 3, 2), 5, date(2026, 3, 9)),  # a plain week
        (date(2027, 2, 3), 1, date(2027, 2, 11)),  # the day before Tết + 1: after Tết
        (date(2027, 2, 1), 5, date(2027, 2, 15)),  # 2 days before Tết, 2 after, a weekend
        (date(2027, 1, 29), 7, date(2027, 2, 16)),  # a 7-day category sent just before Tết
        (date(2027, 4, 29), 1, date(2027, 5, 4)),  # over 30/4, 1/5 and its observed Monday
        (date(2026, 4, 29), 1, date(2026, 5, 4)),  # 30/4 Thu, 1/5 Fri, then the weekend
        (date(2026, 4, 24), 1, date(2026, 4, 28)),  # Hùng Kings' Day (Sun) observed Monday
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day, then a weekend
    ],
)
def test_deadlines(start, days, deadline):
    assert PLAIN.add_working_days(start, days) == deadline


def test_working_days_between_counts_after_start_up_to_end():
    assert PLAIN.working_days_between(date(2027, 2, 3), date(2027, 2, 11)) == 1
    assert PLAIN.working_days_between(date(2027, 1, 29), date(2027, 2, 16)) == 7
    assert PLAIN.working_days_between(date(2027, 2, 11), date(2027, 2, 3)) == -1
    assert PLAIN.working_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0


def test_extra_day_off_pushes_the_deadline():
    calendar = WorkCalendar(extra_days_off=[date(2027, 2, 11)])
    assert not calendar.is_working_day(date(2027, 2, 11))
    assert calendar.add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 12)


def test_extra_working_day_on_a_saturday_counts():
    # 2026: the government moved a day off to Mon 31/8 and works Sat 22/8 instead.
    assert PLAIN.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 24)
    calendar = WorkCalendar(extra_working_days=[date(2026, 8, 22)])
    assert calendar.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    assert PLAIN.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)


def test_the_commune_files_days_reach_the_calendar(tmp_path):
    sample = load_commune(None)[0]
    path = tmp_path / "loaxa.toml"
    text = (
        f'name = "{sample.name}"\nprovince = "{sample.province}"\nhamlets = ["Xóm 1"]\n'
        "extra_days_off = [2027-02-11, 2027-02-12]\nextra_working_days = [2026-08-22]\n"
        '[[categories]]\nid = "khac"\nname = "Khác"\ndeadline_days = 3\n'
    )
    path.write_text(text, encoding="utf-8")
    commune, _ = load_commune(path)
    calendar = work_calendar(commune)
    assert calendar.add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 15)
    assert calendar.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
