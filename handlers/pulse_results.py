"""Pulse survey results: per question and dimension, for the commune and each hamlet.

A hamlet's figures are shown only when at least `min_cell` residents of it completed the
round, so that no answer can be traced back to a person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from content.pulse import Question, Round, SurveyBank


@dataclass(frozen=True, slots=True)
class Score:
    """Answers to a question or dimension: how many, and the share on the good side."""

    count: int
    good: int

    @property
    def share(self) -> float | None:
        return self.good / self.count if self.count else None


@dataclass(frozen=True)
class RoundResults:
    commune: dict[int, Score]  # dimension -> score
    hamlets: dict[str, dict[int, Score]]  # shown hamlets only
    respondents: dict[str | None, int]  # completions per hamlet (all, for counts)
    hidden: tuple[str, ...]  # hamlets below the minimum


def add_answer(scores: dict[int, Score], question: Question, value: int, count: int) -> None:
    """Count `count` answers `value` to `question` in its dimension's score."""
    if not question.takes_side(value):  # "không rõ" is neither good nor bad
        return
    old = scores.get(question.dimension, Score(0, 0))
    good = count if question.is_good(value) else 0
    scores[question.dimension] = Score(old.count + count, old.good + good)


def compute(
    bank: SurveyBank,
    survey: Round,
    tallies: Iterable[tuple[str, str | None, int, int]],
    respondents: dict[str | None, int],
    min_cell: int,
) -> RoundResults:
    """Aggregate tallies (question, hamlet, value, count) into results by dimension."""
    commune: dict[int, Score] = {}
    by_hamlet: dict[str, dict[int, Score]] = defaultdict(dict)
    for question_id, hamlet, value, count in tallies:
        question = bank.questions.get(question_id)
        if question is None or question_id not in survey.questions:
            continue
        add_answer(commune, question, value, count)
        if hamlet is not None:
            add_answer(by_hamlet[hamlet], question, value, count)
    shown = {h: s for h, s in by_hamlet.items() if respondents.get(h, 0) >= min_cell}
    hidden = tuple(sorted(h for h in by_hamlet if h not in shown))
    return RoundResults(commune, dict(shown), respondents, hidden)
