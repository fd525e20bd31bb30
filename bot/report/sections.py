"""The period report's body, as paragraphs and tables: every number from one period's Figures.

I. Kết quả thực hiện: outreach (delivered, reached, reads and quizzes by topic), feedback
   (received, resolved, on time, overdue by category), satisfaction by SIPAS component,
   pulse survey by PAPI dimension, publications, PAPI proxy signals.
II. Tồn tại, hạn chế, derived from the same figures (bot/report/issues.py).
III. Phương hướng: the commune file's paragraph (report.direction), else the catalog's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Commune
from bot.digest.data import Figures
from bot.digest.fmt import Numbers
from bot.digest.papi import signals
from bot.i18n import Translator
from bot.report.issues import issues
from content import Library
from storage.publications import CATEGORIES
from storage.ratings import COMPONENTS


@dataclass(frozen=True)
class Para:
    text: str
    kind: str = "body"  # "part" (I., II., III.), "section" (1., 2.), "body"


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    total: list[str] | None = None
    widths: list[float] = field(default_factory=list)  # centimetres
    text_columns: int = 1  # leading columns of words (left-aligned); the rest are numbers


Block = Para | Table


class Body:
    """Writes the report's three parts for one period."""

    def __init__(self, fig: Figures, commune: Commune, library: Library, t: Translator) -> None:
        self.fig, self.commune, self.library, self.t = fig, commune, library, t
        self.n = Numbers(t)

    def blocks(self) -> list[Block]:
        t = self.t
        out: list[Block] = [Para(t("reports.doc_part1"), "part")]
        out += self.outreach() + self.feedback() + self.sipas() + self.pulse()
        out += self.publications() + self.papi()
        out.append(Para(t("reports.doc_part2"), "part"))
        out += [Para(text) for text in self.issues()]
        out.append(Para(t("reports.doc_part3"), "part"))
        direction = self.commune.report.direction or t("reports.doc_direction_default")
        out += [Para(text.strip()) for text in direction.split("\n") if text.strip()]
        return out

    def outreach(self) -> list[Block]:
        t, n, r, res = self.t, self.n, self.fig.reach, self.fig.residents
        share = r.quiz_right / r.quiz_total if r.quiz_total else None
        out: list[Block] = [
            Para(t("reports.doc_s_outreach"), "section"),
            Para(
                t(
                    "reports.doc_delivered",
                    delivered=n.count(r.delivered),
                    reached=n.count(r.residents_reached),
                    unreachable=n.count(r.unreachable),
                )
            ),
            Para(
                t(
                    "reports.doc_registered",
                    registered=n.count(res.registered),
                    new=n.count(res.new),
                )
            ),
            Para(
                t(
                    "reports.doc_reads",
                    readers=n.count(r.readers),
                    right=n.count(r.quiz_right),
                    total=n.count(r.quiz_total),
                    share=n.share(share),
                )
            ),
        ]
        rows = []
        for topic in self.library.topics:
            ids = [item.id for item in topic.items]
            reads = sum(r.reads_by_item.get(i, 0) for i in ids)
            right = sum(r.answers_by_item.get(i, (0, 0))[0] for i in ids)
            total = sum(r.answers_by_item.get(i, (0, 0))[1] for i in ids)
            rows.append([topic.title, n.count(reads), n.count(right), n.count(total)])
        if rows:
            out.append(
                Table(
                    [
                        t("reports.doc_col_topic"),
                        t("reports.doc_col_reads"),
                        t("reports.doc_col_quiz_right"),
                        t("reports.doc_col_quiz_total"),
                    ],
                    rows,
                    widths=[8.5, 2.5, 2.5, 2.5],
                )
            )
        return out

    def feedback(self) -> list[Block]:
        t, n, fb = self.t, self.n, self.fig.feedback
        out: list[Block] = [
            Para(t("reports.doc_s_feedback"), "section"),
            Para(
                t(
                    "reports.doc_feedback",
                    received=n.count(fb.received),
                    resolved=n.count(fb.resolved),
                    on_time=n.count(fb.on_time),
                    share=n.share(fb.on_time_share),
                    median=n.days(fb.median_workdays),
                )
            ),
            Para(t("reports.doc_overdue", overdue=n.count(fb.overdue))),
        ]
        rows, sums = [], [0, 0, 0, 0]
        for category in self.commune.categories:
            resolved, on_time = fb.resolved_by_category.get(category.id, (0, 0))
            values = [
                fb.by_category.get(category.id, 0),
                resolved,
                on_time,
                fb.overdue_by_category.get(category.id, 0),
            ]
            sums = [a + b for a, b in zip(sums, values, strict=True)]
            rows.append([category.name, *(n.count(v) for v in values)])
        out.append(
            Table(
                [
                    t("reports.doc_col_category"),
                    t("reports.doc_col_received"),
                    t("reports.doc_col_resolved"),
                    t("reports.doc_col_on_time"),
                    t("reports.doc_col_overdue"),
                ],
                rows,
                total=[t("reports.doc_col_total"), *(n.count(v) for v in sums)],
                widths=[6.0, 2.5, 2.5, 2.5, 2.5],
            )
        )
        return out

    def sipas(self) -> list[Block]:
        t, n, fig = self.t, self.n, self.fig
        out: list[Block] = [Para(t("reports.doc_s_sipas"), "section")]
        rows_in = [(t(f"rate.c{c}_short"), fig.sipas[c]) for c in COMPONENTS]
        rows_in.append((t("reports.sipas_overall"), fig.overall))
        if not any(s.count for _, s in rows_in):
            return [*out, Para(t("reports.doc_no_ratings"))]
        rows = [
            [name, n.count(s.count), n.decimal1(s.mean), n.share(s.satisfied_share)]
            for name, s in rows_in
        ]
        out.append(
            Table(
                [
                    t("reports.doc_col_component"),
                    t("reports.doc_col_count"),
                    t("reports.doc_col_mean"),
                    t("reports.doc_col_share"),
                ],
                rows,
                widths=[7.5, 2.5, 3.0, 3.0],
            )
        )
        return out

    def pulse(self) -> list[Block]:
        t, n, pulse = self.t, self.n, self.fig.pulse
        out: list[Block] = [Para(t("reports.doc_s_pulse"), "section")]
        if not pulse.respondents:
            return [*out, Para(t("reports.doc_no_pulse"))]
        if pulse.hidden:
            return [
                *out,
                Para(
                    t(
                        "reports.doc_pulse_hidden",
                        respondents=n.count(pulse.respondents),
                        min=self.commune.survey_min_cell,
                    )
                ),
            ]
        out.append(Para(t("reports.doc_pulse", respondents=n.count(pulse.respondents))))
        rows = [
            [t(f"papi.d{d}"), n.count(s.count), n.share(s.share)]
            for d, s in pulse.by_dimension.items()
        ]
        out.append(
            Table(
                [
                    t("reports.doc_col_dimension"),
                    t("reports.doc_col_answers"),
                    t("reports.doc_col_good_share"),
                ],
                rows,
                widths=[9.5, 3.0, 3.5],
            )
        )
        return out

    def publications(self) -> list[Block]:
        t, n, fig = self.t, self.n, self.fig
        out: list[Block] = [Para(t("reports.doc_s_publications"), "section")]
        total = sum(fig.publications.values())
        if not total:
            out.append(Para(t("reports.doc_no_publications")))
        else:
            parts = [
                f"{t('pub.cat_' + c.replace('-', '_'))}: {n.count(fig.publications[c])}"
                for c in CATEGORIES
                if fig.publications.get(c)
            ]
            out.append(
                Para(t("reports.doc_publications", count=n.count(total), items="; ".join(parts)))
            )
        out.append(
            Para(t("reports.doc_disclosure_reach", reach=n.count(fig.reach.disclosure_reach)))
        )
        if fig.withdrawn:
            out.append(Para(t("reports.doc_withdrawn", count=n.count(fig.withdrawn))))
        return out

    def papi(self) -> list[Block]:
        t, n = self.t, self.n
        rows = []
        for d, found in signals(self.fig, self.commune, self.library).items():
            for s in found:
                if s.value is not None:
                    rows.append(
                        [
                            t(f"reports.papi_short_d{d}"),
                            t(f"reports.xl_sig_{s.key}"),
                            n.value(s.value, share=s.share),
                        ]
                    )
        return [
            Para(t("reports.doc_s_papi"), "section"),
            Para(t("reports.doc_papi_note")),
            Table(
                [
                    t("reports.doc_col_dimension"),
                    t("reports.doc_col_signal"),
                    t("reports.doc_col_value"),
                ],
                rows,
                widths=[4.5, 9.0, 2.5],
                text_columns=2,
            ),
        ]

    def issues(self) -> list[str]:
        """Name what the figures show is lacking (bot/report/issues.py)."""
        return issues(self.fig, self.commune, self.t)
