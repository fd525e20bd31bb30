"""The digest's one chart: eight weeks of feedback, satisfaction and pulse scores, as a PNG.

Leaders open it on a phone, so the three panels are stacked in one tall image as wide as a
phone screen in pixels (1080), with text large enough to read without zooming. Drawn with
matplotlib's Agg canvas (no display, no pyplot global state) in DejaVu Sans, which has every
Vietnamese letter; labels come from the catalog.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: never a display

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.config import Commune
from bot.digest.data import DigestData
from bot.i18n import Translator
from storage.ratings import COMPONENTS

FONT = {"font.family": "DejaVu Sans", "font.size": 13, "axes.titlesize": 14}
NOW, BEFORE, THIRD = "#1f6fb2", "#a8c8e8", "#e07b39"
DPI = 180
SIZE = (6, 13)  # inches: 1080 x 2340 pixels, a phone screen's width and a tall scroll
TITLE_WIDTH = 28  # characters of a panel title per line: it must fit above the panel


def digest_chart(data: DigestData, commune: Commune, t: Translator) -> bytes:
    """Draw the digest chart and return PNG bytes."""
    with rc_context(FONT):
        figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        trend, sipas, pulse = figure.subplots(3, 1, height_ratios=[4, 4, 4])
        _trend(trend, data, t)
        _sipas(sipas, data, t)
        _pulse(pulse, data, t)
        period = data.current.period
        figure.suptitle(
            t("reports.chart_title", week=period.week_number[0], commune=commune.display_name),
            fontsize=15,
            fontweight="bold",
        )
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


def _trend(ax, data: DigestData, t: Translator) -> None:
    labels = [t("reports.chart_week", week=p.first.isocalendar()[1]) for p, _, _ in data.trend]
    positions = range(len(labels))
    received = [r for _, r, _ in data.trend]
    resolved = [s for _, _, s in data.trend]
    ax.bar(
        [x - 0.2 for x in positions], received, 0.4, label=t("reports.chart_received"), color=NOW
    )
    ax.bar(
        [x + 0.2 for x in positions], resolved, 0.4, label=t("reports.chart_resolved"), color=THIRD
    )
    ax.set_xticks(list(positions), labels, rotation=45, ha="right", rotation_mode="anchor")
    _title(ax, t("reports.chart_trend_title"))
    ax.legend(loc="upper left")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)


def _title(ax, text: str) -> None:
    """A panel title wrapped to the width of the panel it stands above."""
    ax.set_title(textwrap.fill(text, TITLE_WIDTH))


def _paired_bars(ax, names, now, before, t: Translator, title: str) -> None:
    """Horizontal bars of shares (percent): this period and the one before."""
    rows = range(len(names))
    ax.barh(
        [y + 0.2 for y in rows],
        [100 * (v or 0) for v in before],
        0.4,
        label=t("reports.chart_before"),
        color=BEFORE,
    )
    ax.barh(
        [y - 0.2 for y in rows],
        [100 * (v or 0) for v in now],
        0.4,
        label=t("reports.chart_now"),
        color=NOW,
    )
    for y, value in zip(rows, now, strict=True):
        text = f"{round(100 * value)}%" if value is not None else t("reports.no_data")
        ax.text(100 * (value or 0) + 1, y - 0.2, text, va="center", fontsize=12)
    ax.set_yticks(list(rows), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 118)
    _title(ax, title)
    ax.legend(loc="lower right", fontsize=11)
    ax.grid(axis="x", alpha=0.3)


def _sipas(ax, data: DigestData, t: Translator) -> None:
    now, before = data.current.sipas, data.previous.sipas
    names = [t(f"rate.c{c}_short") for c in COMPONENTS]
    _paired_bars(
        ax,
        names,
        [now[c].satisfied_share for c in COMPONENTS],
        [before[c].satisfied_share for c in COMPONENTS],
        t,
        t("reports.chart_sipas_title"),
    )


def _pulse(ax, data: DigestData, t: Translator) -> None:
    now, before = data.current.pulse.by_dimension, data.previous.pulse.by_dimension
    dimensions = sorted(set(now) | set(before))
    if not dimensions:
        ax.set_axis_off()
        _title(ax, t("reports.chart_pulse_title"))
        ax.text(0.5, 0.5, t("reports.chart_no_pulse"), ha="center", va="center", wrap=True)
        return
    _paired_bars(
        ax,
        [t(f"reports.papi_short_d{d}") for d in dimensions],
        [now[d].share if d in now else None for d in dimensions],
        [before[d].share if d in before else None for d in dimensions],
        t,
        t("reports.chart_pulse_title"),
    )
