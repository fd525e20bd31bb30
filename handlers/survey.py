"""/khaosat: PAPI pulse surveys. A round is pushed to residents who opted in, answered one
question at a time (each answer stored at once, so a resident can stop and resume), and
closed with the results sent back to the people who answered ("you said, we will ...").
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bot.config import Commune
from bot.i18n import Translator, translator
from bot.messages import Reply
from bot.outreach import push_to_residents
from bot.quiet import next_allowed
from content.pulse import NO, UNKNOWN, YES, Question, Round, bank
from handlers.base import EVERYONE, Context, Flow, make_choice
from handlers.pulse_results import RoundResults, Score, compute
from storage import Storage
from storage.models import Topic
from storage.outbox import Push
from storage.surveys import RoundClosed

KEY = "ks"


class State(StrEnum):
    ANSWER = "ks.answer"


def _choices(ctx: Context, question: Question) -> tuple:
    if question.scale == "yes_no":
        return (
            make_choice(f"{KEY}:a:{YES}", ctx.t("survey.yes")),
            make_choice(f"{KEY}:a:{NO}", ctx.t("survey.no")),
            make_choice(f"{KEY}:a:{UNKNOWN}", ctx.t("survey.unknown")),
        )
    return tuple(make_choice(f"{KEY}:a:{n}", ctx.t(f"survey.scale_{n}")) for n in range(1, 6))


async def _opened(ctx: Context, round_id: str) -> bool:
    """Tell whether the scheduler opened this round (bot/jobs.py: survey-open@<round>)."""
    return await ctx.store.jobs.fired(f"survey-open@{round_id}")


async def start(ctx: Context) -> str | None:
    """Opens the current round where the resident left it, or says why it cannot."""
    resident = ctx.person.resident
    today = ctx.now.astimezone(ctx.commune.zone).date()
    survey = bank().current(today, examples=True)
    if survey is not None and survey.example and not await _opened(ctx, survey.id):
        survey = None  # the shipped example is live only where the demo opened it
    if resident is None:
        ctx.say("survey.residents_only")
        return None
    if survey is None:
        ctx.say("survey.none_open")
        return None
    if not survey.reaches(resident.hamlet):
        ctx.say("survey.not_for_you")
        return None
    if await ctx.store.surveys.is_done(survey.id, resident.id):
        ctx.say("survey.already_done", end=survey.end.strftime("%d/%m/%Y"))
        return None
    answered = await ctx.store.surveys.answered(survey.id, resident.id)
    if answered:
        ctx.say("survey.resume", done=len(answered), total=len(survey.questions))
    else:
        ctx.say("survey.intro", title=survey.title, total=len(survey.questions))
    ctx.draft["round"] = survey.id
    return await _ask_next(ctx, survey, answered)


async def _ask_next(ctx: Context, survey: Round, answered: dict[str, int]) -> str | None:
    remaining = [q for q in survey.questions if q not in answered]
    if not remaining:
        await ctx.store.surveys.complete(survey.id, ctx.person.resident.id)
        ctx.say("survey.thanks", end=survey.end.strftime("%d/%m/%Y"))
        ctx.show_menu = True
        return None
    question = bank().questions[remaining[0]]
    ctx.draft["q"] = question.id
    number = len(survey.questions) - len(remaining) + 1
    ctx.say("survey.question", number=number, total=len(survey.questions),
            text=ctx.t.fill(question.text), choices=_choices(ctx, question))  # fmt: skip
    return State.ANSWER


async def answer(ctx: Context) -> str | None:
    """Stores one answer at once and asks the next question."""
    survey = bank().round(ctx.draft.get("round", ""))
    question = bank().questions.get(ctx.draft.get("q", ""))
    resident = ctx.person.resident
    if survey is None or question is None or resident is None:
        ctx.say("survey.none_open")
        return None
    allowed = {"1", "0", "-1"} if question.scale == "yes_no" else {"1", "2", "3", "4", "5"}
    if ctx.action != "a" or ctx.arg not in allowed:
        ctx.say("survey.tap_an_answer", choices=_choices(ctx, question))
        return State.ANSWER
    try:
        await ctx.store.surveys.record(
            survey.id, resident.id, question.id, resident.hamlet, int(ctx.arg)
        )
    except RoundClosed:
        ctx.say("survey.already_done", end=survey.end.strftime("%d/%m/%Y"))
        return None
    return await _ask_next(ctx, survey, await ctx.store.surveys.answered(survey.id, resident.id))


async def open_round(store: Storage, commune: Commune, survey: Round, now: datetime) -> int:
    """Push a round's invitation to the residents who opted in to surveys; return how many."""
    hamlets = None if survey.audience == "all" else survey.audience
    quiet = commune.quiet_hours
    when = next_allowed(now, quiet.start, quiet.end, commune.zone)

    def reply_for(t: Translator) -> Reply:
        return Reply(
            t("survey.invite", title=survey.title, total=len(survey.questions),
              end=survey.end.strftime("%d/%m/%Y")),
            choices=(make_choice(f"{KEY}:start", t("survey.invite_button")),),
        )  # fmt: skip

    return await push_to_residents(store, Topic.SURVEYS, hamlets, reply_for, kind="survey",
                                   source=f"survey:{survey.id}:open", priority=7,
                                   address=commune.address,
                                   not_before=when)  # fmt: skip


async def results(store: Storage, commune: Commune, survey: Round) -> RoundResults:
    """Compute a round's results from the completed answers."""
    return compute(
        bank(),
        survey,
        await store.surveys.tallies(survey.id),
        await store.surveys.completions_by_hamlet(survey.id),
        commune.survey_min_cell,
    )


def _lines(t, scores: dict[int, Score]) -> list[str]:
    return [
        t(
            "survey.result_line",
            dimension=t(f"papi.d{d}"),
            share=round(100 * s.share),
            count=s.count,
        )
        for d, s in sorted(scores.items())
        if s.share is not None
    ]


async def close_round(store: Storage, commune: Commune, survey: Round, now: datetime) -> int:
    """Send every respondent the results for the commune and their hamlet; return how many."""
    outcome = await results(store, commune, survey)
    quiet = commune.quiet_hours
    when = next_allowed(now, quiet.start, quiet.end, commune.zone)
    pushes = []
    for person in await store.surveys.respondents(survey.id):
        t = translator(person.language, commune.address)
        parts = [t("survey.results_title", title=survey.title,
                   count=sum(outcome.respondents.values()))]  # fmt: skip
        parts += _lines(t, outcome.commune)
        if person.hamlet in outcome.hamlets:
            parts.append(t("survey.results_hamlet", hamlet=person.hamlet))
            parts += _lines(t, outcome.hamlets[person.hamlet])
        elif person.hamlet:
            parts.append(
                t("survey.hamlet_hidden", hamlet=person.hamlet, min=commune.survey_min_cell)
            )
        parts.append(t.fill(survey.response) or t("survey.response_pending"))
        pushes.append(Push(person.channel, person.chat_id, Reply("\n".join(parts)), kind="survey",
                           source=f"survey:{survey.id}:results", priority=7,
                           resident_id=person.resident_id, not_before=when))  # fmt: skip
    return await store.outbox.enqueue(pushes)


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=start,
    steps={State.ANSWER: answer},
    buttons_only=frozenset({State.ANSWER}),
    commands=("khaosat",),
    menu="menu.survey",
    menu_order=40,
)
