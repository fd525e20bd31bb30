"""/laykien for officials: open a consultation, follow it, close it, publish the conclusion.

title -> description -> hamlets -> closing date -> question -> preview -> send.
Supervision board members may read the results; only officials, leaders and admins act.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.config import Commune
from bot.i18n import translator
from bot.messages import Kind, Reply
from handlers.base import OFFICIALS, Context, make_choice
from storage import Storage
from storage.models import Role
from storage.outbox import Push
from storage.participation import Consultation

KEY = "lk"
LIMITS = {"title": (5, 120), "desc": (10, 1500), "conclusion": (10, 1500)}
MAX_OPTIONS = 6


def may_consult(ctx: Context) -> bool:
    return ctx.person.role in OFFICIALS and ctx.person.staff is not None


def may_read(ctx: Context) -> bool:
    return may_consult(ctx) or ctx.person.role is Role.SUPERVISOR


def _b(data: str, label: str):
    return make_choice(f"{KEY}:{data}", label)


async def menu(ctx: Context) -> str | None:
    """Shows the staff menu: open a new consultation (officials) and the results."""
    buttons = [_b("results", ctx.t("consult.results_button"))]
    if may_consult(ctx):
        buttons.insert(0, _b("new", ctx.t("consult.new_button")))
    ctx.say("consult.staff_menu", choices=tuple(buttons))
    return None


def _text_step(ctx: Context, field: str, ask_key: str, state: str, next_key: str | None = None):
    low, high = LIMITS[field]
    text = ctx.msg.text.strip() if ctx.msg.kind is Kind.TEXT else ""
    if not low <= len(text) <= high:
        ctx.say(ask_key, min=low, max=high)
        return None
    ctx.draft[field] = text
    return text


async def new(ctx: Context) -> str | None:
    """Starts a new consultation: asks for its title."""
    if not may_consult(ctx):
        ctx.say("error.not_allowed")
        return None
    ctx.draft = {}
    ctx.say("consult.ask_title", min=LIMITS["title"][0], max=LIMITS["title"][1])
    return "lk.title"


async def take_title(ctx: Context) -> str | None:
    """Stores the title and asks for a description of the project."""
    if _text_step(ctx, "title", "consult.ask_title", "lk.title") is None:
        return "lk.title"
    ctx.say("consult.ask_desc", min=LIMITS["desc"][0], max=LIMITS["desc"][1])
    return "lk.desc"


async def take_desc(ctx: Context) -> str | None:
    """Stores the description and asks which hamlets it concerns."""
    if _text_step(ctx, "desc", "consult.ask_desc", "lk.desc") is None:
        return "lk.desc"
    ctx.draft["hamlets"] = []
    return _ask_hamlets(ctx)


def _ask_hamlets(ctx: Context) -> str:
    chosen = set(ctx.draft.get("hamlets", []))
    buttons = [
        _b(f"ham:{i}", ("✓ " if name in chosen else "") + name)
        for i, name in enumerate(ctx.commune.hamlets)
    ]
    buttons.append(_b("hamall", ctx.t("consult.all_hamlets")))
    if chosen:
        buttons.append(_b("hamdone", ctx.t("consult.hamlets_done")))
    ctx.replies.append(Reply(ctx.t("consult.ask_hamlets"), choices=tuple(buttons), columns=2))
    return "lk.hamlets"


async def toggle_hamlet(ctx: Context) -> str | None:
    """Adds or removes a hamlet; "all" selects every hamlet; "done" asks for the date."""
    hamlets = ctx.commune.hamlets
    chosen = ctx.draft.setdefault("hamlets", [])
    if ctx.action == "hamall":
        ctx.draft["hamlets"] = list(hamlets)
    elif ctx.action == "ham" and ctx.arg.isdigit() and int(ctx.arg) < len(hamlets):
        name = hamlets[int(ctx.arg)]
        if name in chosen:
            chosen.remove(name)
        else:
            chosen.append(name)
    elif ctx.action == "hamdone" and chosen:
        ctx.say("consult.ask_closes")
        return "lk.closes"
    return _ask_hamlets(ctx)


async def take_closes(ctx: Context) -> str | None:
    """Stores the closing date (DD/MM/YYYY, today or later) and asks for the question."""
    try:
        closes = datetime.strptime(ctx.msg.text.strip(), "%d/%m/%Y").date()
    except ValueError:
        closes = None
    if closes is None or closes < ctx.now.astimezone(ctx.commune.zone).date():
        ctx.say("consult.ask_closes")
        return "lk.closes"
    ctx.draft["closes"] = closes.isoformat()
    ctx.say(
        "consult.ask_options",
        max=MAX_OPTIONS,
        choices=(_b("standard", ctx.t("consult.standard_options")),),
    )
    return "lk.options"


async def take_options(ctx: Context) -> str | None:
    """Stores the answer options (standard, or typed separated by ";") and shows a preview."""
    if ctx.action == "standard":
        options = [ctx.t("consult.agree"), ctx.t("consult.disagree"), ctx.t("consult.other")]
    else:
        options = [o.strip()[:60] for o in ctx.msg.text.split(";") if o.strip()]
        if not 2 <= len(options) <= MAX_OPTIONS:
            ctx.say(
                "consult.ask_options",
                max=MAX_OPTIONS,
                choices=(_b("standard", ctx.t("consult.standard_options")),),
            )
            return "lk.options"
    ctx.draft["options"] = options
    count = len(await ctx.store.residents.audience(None, ctx.draft["hamlets"]))
    ctx.say(
        "consult.preview",
        title=ctx.draft["title"],
        text=ctx.draft["desc"],
        hamlets=", ".join(ctx.draft["hamlets"]),
        options=" / ".join(options),
        closes=date.fromisoformat(ctx.draft["closes"]).strftime("%d/%m/%Y"),
        count=count,
        choices=(_b("send", ctx.t("consult.send")), _b("drop", ctx.t("consult.drop"))),
    )
    return "lk.confirm"


async def confirm(ctx: Context) -> str | None:
    """Commits the consultation and its invitations, then says how many residents it reaches."""
    if ctx.action == "drop":
        ctx.say("consult.dropped")
        return None
    if ctx.action != "send" or not may_consult(ctx):
        ctx.say("error.not_allowed")
        return None
    d = ctx.draft
    async with ctx.store.db.transaction():
        consultation = await ctx.store.participation.open_consultation(
            d["title"],
            d["desc"],
            d["hamlets"],
            d["options"],
            date.fromisoformat(d["closes"]),
            ctx.person.staff.id,
        )
        sent = await invite(ctx.store, consultation)
    ctx.say("consult.opened", title=consultation.title, count=sent)
    return None


async def invite(store: Storage, consultation: Consultation) -> int:
    """Push a consultation to every active resident of its hamlets."""
    pushes = []
    for resident in await store.residents.audience(None, consultation.hamlets):
        t = translator(resident.language)
        reply = Reply(
            t(
                "consult.invite",
                title=consultation.title,
                closes=consultation.closes_on.strftime("%d/%m/%Y"),
            ),
            choices=(_b(f"see:{consultation.id}", t("consult.invite_button")),),
        )
        pushes.append(
            Push(
                resident.channel,
                resident.chat_id,
                reply,
                kind="broadcast",
                source=f"consult:{consultation.id}",
                resident_id=resident.id,
            )
        )
    return await store.outbox.enqueue(pushes)


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
    if not may_read(ctx):
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
        await ctx.store.participation.consultation(int(ctx.arg)) if ctx.arg.isdigit() else None
    )
    if consultation is None or not may_read(ctx):
        ctx.say("error.not_allowed")
        return None
    repo = ctx.store.participation
    text = results_text(
        ctx.t, consultation, await repo.tally(consultation.id), await repo.comments(consultation.id)
    )
    buttons = []
    if may_consult(ctx) and consultation.status == "open":
        buttons.append(_b(f"close:{consultation.id}", ctx.t("consult.close_button")))
    if may_consult(ctx) and consultation.status == "closed":
        buttons.append(_b(f"conclude:{consultation.id}", ctx.t("consult.conclude_button")))
    ctx.replies.append(Reply(text, choices=tuple(buttons)))
    return None


async def close_now(ctx: Context) -> str | None:
    """Closes a consultation before its date and sends the results to officials and leaders."""
    if not may_consult(ctx) or not ctx.arg.isdigit():
        ctx.say("error.not_allowed")
        return None
    consultation = await ctx.store.participation.consultation(int(ctx.arg))
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
        await ctx.store.participation.consultation(int(ctx.arg)) if ctx.arg.isdigit() else None
    )
    if not may_consult(ctx) or consultation is None or consultation.status != "closed":
        ctx.say("error.not_allowed")
        return None
    ctx.draft = {"consultation": consultation.id}
    ctx.say("consult.ask_conclusion", min=LIMITS["conclusion"][0], max=LIMITS["conclusion"][1])
    return "lk.conclusion"


async def take_conclusion(ctx: Context) -> str | None:
    """Publishes the conclusion and sends it to every participant."""
    text = _text_step(ctx, "conclusion", "consult.ask_conclusion", "lk.conclusion")
    if text is None:
        return "lk.conclusion"
    store, consultation_id = ctx.store, ctx.draft["consultation"]
    async with store.db.transaction():
        if not may_consult(ctx) or not await store.participation.conclude(consultation_id, text):
            ctx.say("consult.not_open")
            return None
        consultation = await store.participation.consultation(consultation_id)
        pushes = []
        for resident_id in await store.participation.participants(consultation_id):
            resident = await store.residents.get(resident_id)
            if resident is None or not resident.chat_id:
                continue
            t = translator(resident.language)
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
    "new": new,
    "results": list_results,
    "res": show_results,
    "close": close_now,
    "conclude": ask_conclusion,
}
STEPS = {
    "lk.title": take_title,
    "lk.desc": take_desc,
    "lk.hamlets": toggle_hamlet,
    "lk.closes": take_closes,
    "lk.options": take_options,
    "lk.confirm": confirm,
    "lk.conclusion": take_conclusion,
}
