"""The digest as leaders read it: one short message, each figure beside last week's."""

from __future__ import annotations

from collections.abc import Iterable

from bot.config import Commune
from bot.digest.data import DigestData, Figures
from bot.digest.fmt import Numbers, day_month, full_date
from bot.digest.papi import trends
from bot.i18n import Translator
from bot.text import snippet
from content import Library
from storage.ratings import COMPONENTS

TOP = 3  # categories and hamlets named
LOWEST = 3  # low ratings quoted
COMMENT = 120  # characters of a quoted comment


def digest_text(data: DigestData, commune: Commune, library: Library, t: Translator) -> str:
    """Write the digest message."""
    n = Numbers(t)
    now, before = data.current, data.previous
    period = now.period
    lines = [
        t(
            "reports.digest_title",
            week=period.week_number[0],
            first=day_month(period.first),
            last=full_date(period.last),
            commune=commune.display_name,
        ),
    ]
    lines += _feedback(now, before, commune, n, t)
    lines += _overdue(data, commune, t)
    lines += _sipas(now, before, commune, n, t)
    lines += _pulse(now, before, commune, n, t)
    lines.append(_reach(now, before, n, t))
    lines += _oa_billing(now, n, t)
    lines += _lowest(data, commune, t)
    lines += _residents(now, before, n, t)
    lines += _papi(now, before, commune, library, n, t)
    lines.append(t("reports.digest_footer"))
    return "\n".join(lines)


def enough(commune: Commune, *counts: int | None) -> bool:
    """Tell whether every period's figure rests on enough answers for a change to mean
    something: the commune's survey minimum (`survey_min_cell`), the bar the pulse survey
    already sets before it shows a result at all."""
    return all((count or 0) >= commune.survey_min_cell for count in counts)


def _feedback(now: Figures, before: Figures, commune: Commune, n: Numbers, t) -> list[str]:
    fb, old = now.feedback, before.feedback
    if not (fb.received or fb.resolved or fb.overdue):
        lines = [t("reports.fb_none")]
    else:
        lines = [
            t(
                "reports.fb_line",
                received=n.count(fb.received),
                d_received=n.change(fb.received, old.received),
                resolved=n.count(fb.resolved),
                d_resolved=n.change(fb.resolved, old.resolved),
                overdue=n.count(fb.overdue),
                d_overdue=n.change(fb.overdue, old.overdue),
            ),
        ]
    if fb.resolved:
        comparable = enough(commune, fb.resolved, old.resolved)
        lines.append(
            t(
                "reports.fb_on_time",
                share=n.share(fb.on_time_share),
                d_share=n.change(
                    fb.on_time_share, old.on_time_share, share=True, enough=comparable
                ),
                median=n.days(fb.median_workdays),
                d_median=n.change(fb.median_workdays, old.median_workdays, enough=comparable),
            )
        )
    elif fb.received or fb.overdue:
        lines.append(t("reports.fb_none_resolved"))
    names = {c.id: c.name for c in commune.categories}
    top = _top(fb.by_category, old.by_category, lambda c: names.get(c, c), n, t)
    if top:
        lines.append(t("reports.top_categories", items=top))
    top = _top(fb.by_hamlet, old.by_hamlet, lambda h: h or t("reports.no_hamlet"), n, t)
    if top:
        lines.append(t("reports.top_hamlets", items=top))
    return lines


def _top(counts: dict, before: dict, name, n: Numbers, t) -> str:
    """The largest counts as "Xóm 1: 2 (+1)": the colon keeps a count apart from a name
    that ends in a number."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, str(kv[0])))[:TOP]
    return ", ".join(
        t(
            "reports.top_item",
            name=name(key),
            count=n.count(count),
            change=n.change(count, before.get(key, 0)),
        )
        for key, count in ranked
    )


def _overdue(data: DigestData, commune: Commune, t) -> list[str]:
    if not data.oldest_overdue:
        return []
    names = {c.id: c.name for c in commune.categories}
    lines = [t("reports.overdue_title")]
    for item in data.oldest_overdue:
        lines.append(
            t(
                "reports.overdue_item",
                code=item.code,
                category=names.get(item.category, item.category),
                deadline=full_date(item.deadline),
                assignee=item.assignee or t("reports.nobody"),
            )
        )
    return lines


def _sipas(now: Figures, before: Figures, commune: Commune, n: Numbers, t) -> list[str]:
    rows = [(t(f"rate.c{c}_short"), now.sipas[c], before.sipas[c]) for c in COMPONENTS]
    rows.append((t("reports.sipas_overall"), now.overall, before.overall))
    if not any(s.count for _, s, _ in rows):
        return [t("reports.sipas_none")]
    lines = [t("reports.sipas_title")]
    for name, s, old in rows:
        if not s.count:
            continue
        lines.append(
            t(
                "reports.sipas_line",
                component=name,
                share=n.share(s.satisfied_share),
                mean=n.decimal1(s.mean),
                count=n.count(s.count),
                d_share=n.change(
                    s.satisfied_share,
                    old.satisfied_share,
                    share=True,
                    enough=enough(commune, s.count, old.count),
                ),
            )
        )
    return lines


def _pulse(now: Figures, before: Figures, commune: Commune, n: Numbers, t) -> list[str]:
    pulse = now.pulse
    if not pulse.respondents:
        return [t("reports.pulse_none")]
    if pulse.hidden:
        return [
            t("reports.pulse_hidden", respondents=pulse.respondents, min=commune.survey_min_cell)
        ]
    lines = [t("reports.pulse_title", respondents=n.count(pulse.respondents))]
    for d, score in pulse.by_dimension.items():
        old = before.pulse.by_dimension.get(d)
        lines.append(
            t(
                "reports.pulse_line",
                dimension=t(f"reports.papi_short_d{d}"),
                share=n.share(score.share),
                d_share=n.change(
                    score.share,
                    old.share if old else None,
                    share=True,
                    enough=enough(commune, pulse.respondents, before.pulse.respondents),
                ),
            )
        )
    return lines


def _reach(now: Figures, before: Figures, n: Numbers, t) -> str:
    """One line on outreach, naming only what happened: never "0 tin đã tới 0 người"."""
    r, old = now.reach, before.reach
    parts = []
    if r.delivered:
        parts.append(
            t(
                "reports.reach_delivered",
                delivered=n.count(r.delivered),
                reached=n.count(r.residents_reached),
                d_delivered=n.change(r.delivered, old.delivered),
            )
        )
    if r.unreachable:
        parts.append(
            t(
                "reports.reach_unreachable",
                unreachable=n.count(r.unreachable),
                d_unreachable=n.change(r.unreachable, old.unreachable),
            )
        )
    if r.readers:
        parts.append(t("reports.reach_readers", readers=n.count(r.readers)))
    if r.quiz_total:
        parts.append(
            t("reports.reach_quiz", right=n.count(r.quiz_right), total=n.count(r.quiz_total))
        )
    if not parts:
        return t("reports.reach_none")
    return t("reports.reach_line", parts="; ".join(parts))


def _oa_billing(now: Figures, n: Numbers, t) -> list[str]:
    """The Zalo OA's free and billable pushes; nothing when the OA sent none."""
    r = now.reach
    if not (r.oa_free or r.oa_paid):
        return []
    return [t("reports.oa_billing", free=n.count(r.oa_free), paid=n.count(r.oa_paid))]


def _residents(now: Figures, before: Figures, n: Numbers, t) -> list[str]:
    res = now.residents
    if not res.registered:
        return []
    if not res.new:
        return [t("reports.residents_no_new", registered=n.count(res.registered))]
    return [
        t(
            "reports.residents_line",
            new=n.count(res.new),
            d_new=n.change(res.new, before.residents.new),
            registered=n.count(res.registered),
        )
    ]


def _lowest(data: DigestData, commune: Commune, t) -> list[str]:
    rows = [r for r in data.lowest if r.get("comment")][:LOWEST]
    if not rows:
        return []
    lines = [t("reports.lowest_title")]
    for row in rows:
        service = commune.service(row["service"])
        lines.append(
            t(
                "reports.lowest_line",
                score=row["low"],
                comment=_clip(row["comment"]),
                service=service.name if service else row["service"],
            )
        )
    return lines


def _clip(text: str) -> str:
    return snippet(text, COMMENT)


def _papi(now, before, commune, library, n: Numbers, t) -> list[str]:
    lines = [t("reports.papi_title")]
    for d, signals in trends(now, before, commune, library).items():
        parts = _signal_texts(signals, commune, n, t)
        if parts:
            lines.append(
                t(
                    "reports.papi_line",
                    dimension=t(f"reports.papi_short_d{d}"),
                    signals="; ".join(parts),
                )
            )
    return lines


def _signal_texts(signals: Iterable, commune: Commune, n: Numbers, t) -> list[str]:
    """Word the signals that say something: counts zero in both periods, or shares with
    nothing to measure this period, are left out; a share's change only when both periods
    rest on enough answers."""
    parts = []
    for s in signals:
        empty = s.now is None if s.share else not (s.now or s.before)
        if empty:
            continue
        parts.append(
            t(
                f"reports.sig_{s.key}",
                value=n.value(s.now, share=s.share),
                change=n.change(
                    s.now,
                    s.before,
                    share=s.share,
                    enough=not s.share or enough(commune, s.basis_now, s.basis_before),
                ),
            )
        )
    return parts
