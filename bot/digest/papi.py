"""PAPI proxy indicators: the commune's own signals, grouped by the PAPI dimension they bear on.

These are not PAPI scores (PAPI is CECODES' yearly survey of citizens); they are what the
bot itself can count, filed under the dimension each source declares:

- outreach items (content/library): reads and quiz answers count for every dimension in
  the item's `papi` list;
- pulse survey questions (content/surveys): the share of good answers, for the question's
  `dimension`;
- feedback categories (commune file): items received and the share resolved on time, for
  the category's `papi_dimension`;
- all feedback, the share resolved on time: 3, vertical accountability (the commune
  answering its residents);
- SIPAS components 1-4 (access, procedure, officials, result), the share satisfied:
  5, public administrative procedures, because the ratings are given at the one-stop desk,
  where procedures are done;
- SIPAS component 5 (receiving and handling feedback): 3, vertical accountability;
- publications made, residents who received or opened one: 2, transparency;
- residents who completed a pulse survey: 1, participation;
- new and registered residents: 8, e-governance (residents dealing with the commune
  through a digital channel).

Dimension 6 (public services) is fed by the pulse questions and the categories mapped to it
(roads, security in the sample commune file), not by SIPAS, which rates procedures.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Commune
from bot.digest.data import Figures
from content import Library

DIMENSIONS = range(1, 9)
SIPAS_DIMENSION = {1: 5, 2: 5, 3: 5, 4: 5, 5: 3}
ALL_FEEDBACK_DIMENSION = 3


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal of a dimension: catalog key `reports.sig_<key>`, value, and its kind."""

    key: str
    value: float | int | None  # None: nothing to measure in the period
    share: bool = False  # a share in 0..1 rather than a count
    basis: int | None = None  # a share: how many answers or items it rests on


@dataclass(frozen=True, slots=True)
class Trend:
    """A signal now and in the period before."""

    key: str
    now: float | int | None
    before: float | int | None
    share: bool
    basis_now: int | None = None
    basis_before: int | None = None


def _share(good: float, total: float) -> float | None:
    return good / total if total else None


def signals(fig: Figures, commune: Commune, library: Library) -> dict[int, list[Signal]]:
    """Compute every dimension's signals for one period's figures."""
    found: dict[int, list[Signal]] = {d: [] for d in DIMENSIONS}
    for d in DIMENSIONS:
        score = fig.pulse.by_dimension.get(d)
        if score is not None:
            found[d].append(Signal("pulse", score.share, True, fig.pulse.respondents))
    _outreach(found, fig, library)
    _feedback(found, fig, commune)
    _sipas(found, fig)
    found[1].append(Signal("respondents", fig.pulse.respondents))
    found[2].append(Signal("publications", sum(fig.publications.values())))
    found[2].append(Signal("disclosure_reach", fig.reach.disclosure_reach))
    found[8].append(Signal("new_residents", fig.residents.new))
    found[8].append(Signal("registered", fig.residents.registered))
    return found


def _outreach(found: dict[int, list[Signal]], fig: Figures, library: Library) -> None:
    for d in DIMENSIONS:
        items = [item.id for item in library.items if d in item.papi]
        if not items:
            continue
        reads = sum(fig.reach.reads_by_item.get(i, 0) for i in items)
        right = sum(fig.reach.answers_by_item.get(i, (0, 0))[0] for i in items)
        total = sum(fig.reach.answers_by_item.get(i, (0, 0))[1] for i in items)
        found[d].append(Signal("reads", reads))
        found[d].append(Signal("quiz_right", _share(right, total), True, total))


def _feedback(found: dict[int, list[Signal]], fig: Figures, commune: Commune) -> None:
    fb = fig.feedback
    found[ALL_FEEDBACK_DIMENSION].append(Signal("on_time_all", fb.on_time_share, True, fb.resolved))
    for d in DIMENSIONS:
        categories = [c.id for c in commune.categories if c.papi_dimension == d]
        if not categories:
            continue
        received = sum(fb.by_category.get(c, 0) for c in categories)
        resolved = sum(fb.resolved_by_category.get(c, (0, 0))[0] for c in categories)
        on_time = sum(fb.resolved_by_category.get(c, (0, 0))[1] for c in categories)
        found[d].append(Signal("feedback_received", received))
        found[d].append(Signal("feedback_on_time", _share(on_time, resolved), True, resolved))


def _sipas(found: dict[int, list[Signal]], fig: Figures) -> None:
    for d in sorted(set(SIPAS_DIMENSION.values())):
        parts = [fig.sipas[c] for c, dim in SIPAS_DIMENSION.items() if dim == d and c in fig.sipas]
        count = sum(p.count for p in parts)
        top = sum(p.satisfied_share * p.count for p in parts if p.count)
        found[d].append(Signal("sipas", _share(top, count), True, count))


def trends(
    now: Figures, before: Figures, commune: Commune, library: Library
) -> dict[int, list[Trend]]:
    """Pair each dimension's signals now with the same signals in the period before."""
    current, previous = signals(now, commune, library), signals(before, commune, library)
    paired: dict[int, list[Trend]] = {}
    for d in DIMENSIONS:
        earlier = {s.key: s for s in previous[d]}
        paired[d] = [
            Trend(
                s.key,
                s.value,
                earlier[s.key].value if s.key in earlier else None,
                s.share,
                s.basis,
                earlier[s.key].basis if s.key in earlier else None,
            )
            for s in current[d]
        ]
    return paired
