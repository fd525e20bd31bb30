"""Section II of the report (Tồn tại, hạn chế): shortcomings read off the period's figures.

- overdue items at the end of the period, and items resolved after their deadline;
- SIPAS factors with fewer than SIPAS_LOW of answers satisfied (4-5 of 5), named only from
  the commune's `survey_min_cell` answers up (the bar the pulse survey sets before it shows a
  result): two answers are no finding; factors with fewer are said to have too few answers;
- PAPI dimensions with fewer than PULSE_LOW good answers in the pulse survey;
- hamlets with nobody registered, or whose participation (feedback items plus residents who
  completed a survey, per registered resident) is under HAMLET_LOW of the commune's rate;
- measures with no data at all (no ratings, no completed survey).
"""

from __future__ import annotations

from bot.config import Commune
from bot.digest.data import Figures
from bot.digest.fmt import Numbers
from bot.i18n import Translator
from storage.ratings import COMPONENTS

SIPAS_LOW = 0.80
PULSE_LOW = 0.60
HAMLET_LOW = 0.5


def issues(fig: Figures, commune: Commune, t: Translator) -> list[str]:
    """Name what the figures show is lacking, one sentence each."""
    n = Numbers(t)
    found = []
    fb = fig.feedback
    if fb.overdue or fb.resolved > fb.on_time:
        found.append(
            t(
                "reports.doc_issue_overdue",
                overdue=n.count(fb.overdue),
                late=n.count(fb.resolved - fb.on_time),
            )
        )
    least = commune.survey_min_cell
    rated = [c for c in COMPONENTS if fig.sipas[c].count >= least]
    low = [
        f"{t(f'rate.c{c}_short')} ({n.share(fig.sipas[c].satisfied_share)})"
        for c in rated
        if fig.sipas[c].satisfied_share < SIPAS_LOW
    ]
    if low:
        found.append(
            t("reports.doc_issue_sipas", items="; ".join(low), threshold=n.share(SIPAS_LOW))
        )
    few = [t(f"rate.c{c}_short") for c in COMPONENTS if 0 < fig.sipas[c].count < least]
    if few:
        found.append(t("reports.doc_issue_few_ratings", items="; ".join(few), min=least))
    if not any(fig.sipas[c].count for c in COMPONENTS) and not fig.overall.count:
        found.append(t("reports.doc_issue_no_ratings"))
    weak = [
        f"{t(f'papi.d{d}')} ({n.share(s.share)})"
        for d, s in fig.pulse.by_dimension.items()
        if s.share < PULSE_LOW
    ]
    if weak:
        found.append(
            t("reports.doc_issue_pulse", items="; ".join(weak), threshold=n.share(PULSE_LOW))
        )
    if not fig.pulse.respondents:
        found.append(t("reports.doc_issue_no_pulse"))
    quiet = quiet_hamlets(fig, commune, t)
    if quiet:
        found.append(t("reports.doc_issue_hamlets", items="; ".join(quiet)))
    return found or [t("reports.doc_issue_none")]


def quiet_hamlets(fig: Figures, commune: Commune, t: Translator) -> list[str]:
    """Describe the hamlets with little participation, in the commune file's order."""
    n = Numbers(t)
    registered = fig.residents.registered_by_hamlet
    activity = {
        h: fig.feedback.by_hamlet.get(h, 0) + fig.pulse.by_hamlet.get(h, 0) for h in commune.hamlets
    }
    people = sum(registered.get(h, 0) for h in commune.hamlets)
    rate = sum(activity.values()) / people if people else 0
    named = []
    for hamlet in commune.hamlets:
        count = registered.get(hamlet, 0)
        if count == 0 or (rate and activity[hamlet] / count < HAMLET_LOW * rate):
            named.append(
                t(
                    "reports.doc_hamlet_item",
                    hamlet=hamlet,
                    registered=n.count(count),
                    activity=n.count(activity[hamlet]),
                )
            )
    return named
