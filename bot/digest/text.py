"""The digest as leaders read it: one short message, each figure beside last week's."""

from __future__ import annotations

from collections.abc import Iterable

from bot.config import Commune
from bot.digest.data import DigestData, Figures
from bot.digest.fmt import Numbers, day_month, full_date
from bot.digest.papi import trends
from bot.i18n import Translator
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
            week=period.iso_week,
            first=day_month(period.first),
            last=full_date(period.last),
            commune=commune.display_name,
        ),
    ]
    lines += _feedback(now, before, commune, n, t)
    lines += _overdue(data, commune, t)
    lines += _sipas(now, before, n, t)
    lines += _pulse(now, before, commune, n, t)
    lines.append(_reach(now, before, n, t))
    lines += _lowest(data, commune, t)
    lines.append(
        t(
            "reports.residents_line",
            new=n.count(now.residents.new),
            d_new=n.change(now.residents.new, before.residents.new),
            registered=n.count(now.residents.registered),
        )
    )
    lines += _papi(now, before, commune, library, n, t)
    lines.append(t("reports.digest_footer"))
    return "\n".join(lines)


def _feedback(now: Figures, before: Figures, commune: Commune, n: Numbers, t) -> list[str]:
    fb, old = now.feedback, before.feedback
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
        lines.append(
            t(
                "reports.fb_on_time",
                share=n.share(fb.on_time_share),
                d_share=n.change(fb.on_time_share, old.on_time_share, share=True),
                median=n.decimal1(fb.median_days),
                d_median=n.change(fb.median_days, old.median_days),
            )
        )
    else:
        lines.append(t("reports.fb_none_resolved"))
    names = {c.id: c.name for c in commune.categories}
    top = _top(fb.by_category, old.by_category, lambda c: names.get(c, c), n)
    if top:
        lines.append(t("reports.top_categories", items=top))
    top = _top(fb.by_hamlet, old.by_hamlet, lambda h: h or t("reports.no_hamlet"), n)
    if top:
        lines.append(t("reports.top_hamlets", items=top))
    return lines


def _top(counts: dict, before: dict, name, n: Numbers) -> str:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, str(kv[0])))[:TOP]
    return ", ".join(
        f"{name(key)} {n.count(count)}{n.change(count, before.get(key, 0))}"
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


def _sipas(now: Figures, before: Figures, n: Numbers, t) -> list[str]:
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
                d_share=n.change(s.satisfied_share, old.satisfied_share, share=True),
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
                d_share=n.change(score.share, old.share if old else None, share=True),
            )
        )
    return lines


def _reach(now: Figures, before: Figures, n: Numbers, t) -> str:
    r, old = now.reach, before.reach
    return t(
        "reports.reach_line",
        delivered=n.count(r.delivered),
        d_delivered=n.change(r.delivered, old.delivered),
        reached=n.count(r.residents_reached),
        unreachable=n.count(r.unreachable),
        d_unreachable=n.change(r.unreachable, old.unreachable),
        readers=n.count(r.readers),
        right=n.count(r.quiz_right),
        total=n.count(r.quiz_total),
    )


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
    text = " ".join(text.split())
    return text if len(text) <= COMMENT else text[: COMMENT - 1] + "…"


def _papi(now, before, commune, library, n: Numbers, t) -> list[str]:
    lines = [t("reports.papi_title")]
    for d, signals in trends(now, before, commune, library).items():
        parts = _signal_texts(signals, n, t)
        if parts:
            lines.append(
                t(
                    "reports.papi_line",
                    dimension=t(f"reports.papi_short_d{d}"),
                    signals="; ".join(parts),
                )
            )
    return lines


def _signal_texts(signals: Iterable, n: Numbers, t) -> list[str]:
    """Word the signals that say something: counts zero in both periods, or shares with
    nothing to measure in either, are left out."""
    parts = []
    for s in signals:
        empty = (s.now is None and s.before is None) if s.share else not (s.now or s.before)
        if empty:
            continue
        parts.append(
            t(
                f"reports.sig_{s.key}",
                value=n.value(s.now, share=s.share),
                change=n.change(s.now, s.before, share=s.share),
            )
        )
    return parts
