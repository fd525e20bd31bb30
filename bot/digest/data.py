"""The figures of one period, gathered through the repositories; no SQL here.

The weekly digest shows a week's figures beside the week before; the period report shows
one range of days. Both read the same `Figures`, so a number means the same in each.

Definitions (what leaders and the report read):
- received: items created in the period; resolved: items whose (latest) resolution falls in
  the period and that are resolved now; on time: resolved on or before their deadline day.
- overdue: open at the end of the period with a deadline before its last day's end
  (storage/reports.py says how a past moment is reconstructed).
- time to resolve: working days (bot/workdays.py, the unit deadlines are set in) from the
  local day of receipt to the local day of resolution; the median over the items resolved.
- pulse survey: answers of the residents who completed a round in the period, per PAPI
  dimension (share on the good side); hidden below the commune's `survey_min_cell`
  respondents, so that nobody's answers can be read off a small count.
- outreach delivered: pushes of the outreach kinds (campaigns, broadcasts, survey invitations)
  the channel confirmed in the period; unreachable: chats that pushes queued in the period
  could not reach (blocked the bot, left); quiz answers: current answers given in the period.
- Zalo OA: pushes sent to OA followers in the period, in the free hours after the follower's
  last interaction, and after them (billable); the line is left out when the OA sent none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from bot.config import Commune
from bot.digest.period import Period
from bot.workdays import WorkCalendar
from content.pulse import bank
from handlers.pulse_results import Score, add_answer
from storage import Storage
from storage.ratings import Satisfaction
from storage.reports import OverdueItem

OUTREACH_KINDS = ("campaign", "broadcast", "survey")
TREND_WEEKS = 8


@dataclass(frozen=True)
class FeedbackFigures:
    received: int
    by_category: dict[str, int]
    by_hamlet: dict[str | None, int]
    resolved: int
    on_time: int
    resolved_by_category: dict[str, tuple[int, int]]
    overdue: int
    overdue_by_category: dict[str, int]
    median_workdays: float | None

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None


@dataclass(frozen=True)
class PulseFigures:
    respondents: int
    by_hamlet: dict[str | None, int]
    by_dimension: dict[int, Score]  # empty when hidden
    hidden: bool  # fewer respondents than the commune's minimum


@dataclass(frozen=True)
class ReachFigures:
    delivered: int  # outreach pushes delivered
    delivered_by_kind: dict[str, tuple[int, int]]  # every kind: (messages, residents)
    residents_reached: int  # distinct residents who received outreach
    unreachable: int
    reads_by_item: dict[str, int]
    readers: int
    answers_by_item: dict[str, tuple[int, int]]  # item -> (right, total)
    disclosure_reach: int  # residents who received or opened a publication
    oa_free: int = 0  # pushes to Zalo OA followers sent in the free hours after they wrote
    oa_paid: int = 0  # and after them, within the window (billable)

    @property
    def quiz_right(self) -> int:
        return sum(right for right, _ in self.answers_by_item.values())

    @property
    def quiz_total(self) -> int:
        return sum(total for _, total in self.answers_by_item.values())


@dataclass(frozen=True)
class ResidentFigures:
    new: int
    new_by_hamlet: dict[str | None, int]
    registered: int  # at the end of the period
    registered_by_hamlet: dict[str | None, int]


@dataclass(frozen=True)
class Figures:
    """Everything reports count for one period."""

    period: Period
    feedback: FeedbackFigures
    sipas: dict[int, Satisfaction]  # component 1-5
    overall: Satisfaction  # one-question (quick) ratings
    pulse: PulseFigures
    reach: ReachFigures
    residents: ResidentFigures
    publications: dict[str, int]  # category -> published in the period
    withdrawn: int


@dataclass(frozen=True)
class DigestData:
    """A week, the week before, and the lists leaders read."""

    current: Figures
    previous: Figures
    oldest_overdue: list[OverdueItem]
    lowest: list[dict]  # lowest service ratings with their comments (no identity)
    trend: list[tuple[Period, int, int]]  # (week, received, resolved), oldest first


async def figures(store: Storage, commune: Commune, period: Period) -> Figures:
    """Gather every figure of one period."""
    start, end = period.start, period.end
    sipas, overall = await store.reports.satisfaction(start, end)
    return Figures(
        period=period,
        feedback=await _feedback(store, commune, period),
        sipas=sipas,
        overall=overall,
        pulse=await _pulse(store, commune, start, end),
        reach=await _reach(store, start, end),
        residents=await _residents(store, start, end),
        publications=await store.publications.published_between(start, end),
        withdrawn=await store.publications.withdrawn_between(start, end),
    )


async def _reach(store: Storage, start: datetime, end: datetime) -> ReachFigures:
    reports = store.reports
    delivered = await reports.delivered(start, end)
    oa = await store.oa_window.billed_between(start, end)
    return ReachFigures(
        delivered=sum(n for kind, (n, _) in delivered.items() if kind in OUTREACH_KINDS),
        delivered_by_kind=delivered,
        residents_reached=await reports.residents_reached(start, end, OUTREACH_KINDS),
        unreachable=await reports.unreachable(start, end),
        reads_by_item=await reports.reads_by_item(start, end),
        readers=await reports.readers(start, end),
        answers_by_item=await reports.answers_by_item(start, end),
        disclosure_reach=await reports.disclosure_reach(start, end),
        oa_free=oa["free"],
        oa_paid=oa["paid"],
    )


def median_workdays(spans: dict[tuple[date, date], int], calendar: WorkCalendar) -> float | None:
    """The median number of working days from receipt to resolution (None when none)."""
    days = sorted(
        (calendar.working_days_between(received, resolved), count)
        for (received, resolved), count in spans.items()
    )
    total = sum(count for _, count in days)
    if not total:
        return None
    middle, seen = [], 0
    for value, count in days:
        for rank in ((total - 1) // 2, total // 2):
            if seen <= rank < seen + count:
                middle.append(value)
        seen += count
    return sum(middle) / len(middle)


async def _feedback(store: Storage, commune: Commune, period: Period) -> FeedbackFigures:
    reports = store.reports
    rows = await reports.received(period.start, period.end)
    by_category: Counter[str] = Counter()
    by_hamlet: Counter[str | None] = Counter()
    for category, hamlet, count in rows:
        by_category[category] += count
        by_hamlet[hamlet] += count
    resolved = await reports.resolved(period.start, period.end, period.offset)
    overdue = await reports.overdue_at(period.end, period.end_day)
    return FeedbackFigures(
        received=sum(by_category.values()),
        by_category=dict(by_category),
        by_hamlet=dict(by_hamlet),
        resolved=resolved.count,
        on_time=resolved.on_time,
        resolved_by_category=resolved.by_category,
        overdue=sum(overdue.values()),
        overdue_by_category=overdue,
        median_workdays=median_workdays(
            resolved.spans, WorkCalendar(commune.extra_days_off, commune.extra_working_days)
        ),
    )


async def _pulse(store: Storage, commune: Commune, start: datetime, end: datetime) -> PulseFigures:
    by_hamlet = await store.reports.survey_respondents(start, end)
    respondents = sum(by_hamlet.values())
    hidden = 0 < respondents < commune.survey_min_cell
    scores: dict[int, Score] = {}
    if respondents and not hidden:
        questions = bank().questions
        for question_id, value, count in await store.reports.survey_tallies(start, end):
            question = questions.get(question_id)
            if question is not None:
                add_answer(scores, question, value, count)
    return PulseFigures(respondents, by_hamlet, dict(sorted(scores.items())), hidden)


async def _residents(store: Storage, start: datetime, end: datetime) -> ResidentFigures:
    new = await store.reports.new_residents(start, end)
    registered = await store.reports.registered_at(end)
    return ResidentFigures(sum(new.values()), new, sum(registered.values()), registered)


async def gather(store: Storage, commune: Commune, week: Period) -> DigestData:
    """Gather a week's digest: its figures, the week before, overdue and low ratings."""
    previous = week.previous()
    weeks = [week]
    while len(weeks) < TREND_WEEKS:
        weeks.insert(0, weeks[0].previous())
    flow = await store.reports.weekly_flow(weeks[0].start, TREND_WEEKS)
    trend = [(w, received, resolved) for w, (received, resolved) in zip(weeks, flow, strict=True)]
    return DigestData(
        current=await figures(store, commune, week),
        previous=await figures(store, commune, previous),
        oldest_overdue=await store.reports.oldest_overdue(week.end, week.end_day),
        lowest=await store.ratings.lowest(week.start, week.end),
        trend=trend,
    )
