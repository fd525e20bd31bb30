"""PAPI pulse surveys: the question bank and the rounds, loaded from content/surveys/*.yaml."""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,24}$")]
YES, NO, UNKNOWN = 1, 0, -1  # a yes/no question's answers; "không rõ" takes no side


class Question(BaseModel):
    """One short question, on a 1-5 scale (5 best) or yes/no (with "không rõ").

    `text` may write {address} / {Address} where it names the resident.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: QuestionId
    dimension: int = Field(ge=1, le=8)
    scale: Literal["1-5", "yes_no"]
    good: Literal["yes", "no"] | None = None
    text: Annotated[str, StringConstraints(min_length=5, max_length=300)]
    reviewed: bool = False

    @model_validator(mode="after")
    def _good_for_yes_no(self) -> Question:
        if (self.scale == "yes_no") != (self.good is not None):
            raise ValueError("`good` is required for yes_no questions and only for them")
        return self

    def is_good(self, value: int) -> bool:
        """Tell whether an answer is on the good side (4-5, or the good yes/no)."""
        if self.scale == "1-5":
            return value >= 4
        return value == (YES if self.good == "yes" else NO)

    def takes_side(self, value: int) -> bool:
        """Tell whether an answer counts in a share: "không rõ" (UNKNOWN) does not."""
        return self.scale == "1-5" or value in (YES, NO)


class Round(BaseModel):
    """A survey round: questions, dates (inclusive, commune time) and audience."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: QuestionId
    title: Annotated[str, StringConstraints(min_length=3, max_length=120)]
    start: date
    end: date
    audience: Literal["all"] | list[str] = "all"
    questions: list[QuestionId] = Field(min_length=1, max_length=15)
    response: Annotated[str, StringConstraints(max_length=1500)] = ""
    # An example shipped to show the format: never opened by `loaxa run`, only by the demo
    # (a commune sets up its own round, or removes `example: true` from one it has checked).
    example: bool = False

    @model_validator(mode="after")
    def _dates_in_order(self) -> Round:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self

    def open_on(self, day: date) -> bool:
        return self.start <= day <= self.end

    def reaches(self, hamlet: str | None) -> bool:
        return self.audience == "all" or hamlet in self.audience


class SurveyBank(BaseModel):
    """Every question and round, checked against each other."""

    questions: dict[str, Question]
    rounds: list[Round]

    @model_validator(mode="after")
    def _rounds_use_known_questions(self) -> SurveyBank:
        for r in self.rounds:
            unknown = [q for q in r.questions if q not in self.questions]
            if unknown:
                raise ValueError(f"round {r.id} uses unknown questions {unknown}")
        if len({r.id for r in self.rounds}) != len(self.rounds):
            raise ValueError("round ids must be distinct")
        return self

    def current(self, day: date, *, examples: bool = False) -> Round | None:
        """Return the round open on `day` (the latest started), or None; example rounds
        only when `examples` (the demo)."""
        open_rounds = [r for r in self.rounds if r.open_on(day) and (examples or not r.example)]
        return max(open_rounds, key=lambda r: r.start) if open_rounds else None

    def round(self, round_id: str) -> Round | None:
        return next((r for r in self.rounds if r.id == round_id), None)


def parse(questions_text: str, rounds_text: str) -> SurveyBank:
    """Build a bank from the two YAML texts (raises pydantic.ValidationError or yaml errors)."""
    questions = [Question.model_validate(q) for q in yaml.safe_load(questions_text) or []]
    if len({q.id for q in questions}) != len(questions):
        raise ValueError("question ids must be distinct")
    rounds = [Round.model_validate(r) for r in yaml.safe_load(rounds_text) or []]
    return SurveyBank(questions={q.id: q for q in questions}, rounds=rounds)


@cache
def bank() -> SurveyBank:
    """Return the bundled survey bank (loaded once)."""
    folder = resources.files("content").joinpath("surveys")
    return parse(
        folder.joinpath("questions.yaml").read_text(encoding="utf-8"),
        folder.joinpath("rounds.yaml").read_text(encoding="utf-8"),
    )
