"""/laykien results for staff: counts by hamlet, comments, closing, the conclusion.

Supervision board members read results; officials, leaders and admins close and conclude.
At closing the officials and leaders get the results; the conclusion goes to participants.
"""

from __future__ import annotations

from bot.actions import permissions
from bot.config import Commune
from bot.i18n import translator
from bot.messages import Reply
from handlers.base import Context, number
from handlers.consult_staff import LIMITS, _b, _text_step
from storage import Storage
from storage.models import Role
from storage.outbox import Push
from storage.participation import Consultation


def results_text(t, consultation: Consultation, tally: dict, comments: list) -> str:
    """Write the counts by hamlet and option, then the comments (never who wrote them)."""
    total = sum(sum(by.values()) for by in tally.values())
    lines = [
        t(
            "consult.results_title",
            title=consultation.title,
            total=total,
            status=t(f"consult.status_{consultation.status}"),
        )
    ]
    for hamlet in sorted(tally, key=lambda h: h or ""):
        counts = ", ".join(
            f"{label}: {tally[hamlet].get(i, 0)}" for i, label in enumerate(consultation.options)
        )
        lines.append(
            t("consult.results_line", hamlet=hamlet or t("consult.no_hamlet"), counts=counts)
        )
    if comments:
        lines.append(t("consult.comments_title"))
        lines += [f"- ({consultation.options[i]}) {text}" for i, text in comments[:30]]
    if consultation.conclusion:
        lines.append(t("consult.conclusion_line", text=consultation.conclusion))
    return "\n".join(lines)


async def list_results(ctx: Context) -> str | None:
    """Lists every consultation for staff to open."""
    if not permissions.may_read_consultations(ctx.person.staff):
        ctx.say("error.not_allowed")
        return None
    every = await ctx.store.participation.consultations("open", "closed", "concluded")
    if not every:
        ctx.say("consult.none_yet")
        return None
    buttons = tuple(
        _b(f"res:{c.id}", f"{c.title[:40]} ({ctx.t(f'consult.status_{c.status}')})")
        for c in every[:20]
    )
    ctx.say("consult.pick_results", choices=buttons)
    return None


async def show_results(ctx: Context) -> str | None:
    """Shows a consultation's results, with close or conclude for officials."""
    consultation = (
        await ctx.store.participation.consultation(number(ctx.arg)) if number(ctx.arg) else None
    )
    if consultation is None or not permissions.may_read_consultations(ctx.person.staff):
        ctx.say("error.not_allowed")
        return None
    repo = ctx.store.participation
    text = results_text(
        ctx.t, consultation, await repo.tally(consultation.id), await repo.comments(consultation.id)
    )
    buttons = []
    if permissions.may_consult(ctx.person.staff) and consultation.status == "open":
        buttons.append(_b(f"close:{consultation.id}", ctx.t("consult.close_button")))
    if permissions.may_consult(ctx.person.staff) and consultation.status == "closed":
        buttons.append(_b(f"conclude:{consultation.id}", ctx.t("consult.conclude_button")))
    ctx.replies.append(Reply(text, choices=tuple(buttons)))
    return None


async def close_now(ctx: Context) -> str | None:
    """Closes a consultation before its date and sends the results to officials and leaders."""
    if not permissions.may_consult(ctx.person.staff) or not number(ctx.arg):
        ctx.say("error.not_allowed")
        return None
    consultation = await ctx.store.participation.consultation(number(ctx.arg))
    if consultation is None or not await close(ctx.store, ctx.commune, consultation):
        ctx.say("consult.not_open")
        return None
    ctx.say("consult.closed_by_you", title=consultation.title)
    return None


async def close(store: Storage, commune: Commune, consultation: Consultation) -> bool:
    """Close a consultation and send its results to officials and leaders, once."""
    async with store.db.transaction():
        if not await store.participation.close_consultation(consultation.id):
            return False
        closed = await store.participation.consultation(consultation.id)
        t = translator(commune.language)
        repo = store.participation
        text = results_text(t, closed, await repo.tally(closed.id), await repo.comments(closed.id))
        staff = await store.staff.list_by_role(Role.OFFICIAL, Role.LEADER)
        await store.outbox.enqueue(
            Push(
                s.channel,
                s.user_id,
                Reply(text),
                kind="notify",
                source=f"consult:{closed.id}:closed",
            )
            for s in staff
        )
    return True


async def ask_conclusion(ctx: Context) -> str | None:
    """Asks an official for the commune's conclusion on a closed consultation."""
    consultation = (
        await ctx.store.participation.consultation(number(ctx.arg)) if number(ctx.arg) else None
    )
    allowed = permissions.may_consult(ctx.person.staff)
    if not allowed or consultation is None or consultation.status != "closed":
        ctx.say("error.not_allowed")
        return None
    ctx.draft = {"consultation": consultation.id}
    ctx.say("consult.ask_conclusion", min=LIMITS["conclusion"][0], max=LIMITS["conclusion"][1])
    return "lk.conclusion"


async def take_conclusion(ctx: Context) -> str | None:
    """Publishes the conclusion and sends it to every participant."""
    text = _text_step(ctx, "conclusion", "consult.ask_conclusion")
    if text is None:
        return "lk.conclusion"
    store, consultation_id = ctx.store, ctx.draft["consultation"]
    async with store.db.transaction():
        # checked again: the role may have changed meanwhile
        allowed = permissions.may_consult(ctx.person.staff)
        if not allowed or not await store.participation.conclude(consultation_id, text):
            ctx.say("consult.not_open")
            return None
        consultation = await store.participation.consultation(consultation_id)
        pushes = []
        participants = await store.participation.participants(consultation_id)
        for resident in (await store.residents.get_many(participants)).values():
            if not resident.chat_id:
                continue
            t = translator(resident.language, ctx.commune.address)
            message = t("consult.conclusion_for_residents", title=consultation.title, text=text)
            pushes.append(
                Push(
                    resident.channel,
                    resident.chat_id,
                    Reply(message),
                    kind="broadcast",
                    source=f"consult:{consultation_id}:conclusion",
                    resident_id=resident.id,
                )
            )
        sent = await store.outbox.enqueue(pushes)
    ctx.say("consult.concluded", count=sent)
    return None


PRESSES = {
    "results": list_results,
    "res": show_results,
    "close": close_now,
    "conclude": ask_conclusion,
}
STEPS = {"lk.conclusion": take_conclusion}
