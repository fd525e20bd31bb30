"""/danhgia: a resident rates a public service on the five SIPAS components, or quickly.

Opened by the QR code at a desk (deep link `rate_<desk>`) or from the menu. One rating per
visit (resident, desk, service, day). A score of 1-2 alerts the leaders at once.
"""

from __future__ import annotations

from enum import StrEnum

from bot.i18n import translator
from bot.messages import Kind, Reply
from handlers.base import EVERYONE, Context, Flow, make_choice
from storage.models import Role
from storage.outbox import Push
from storage.ratings import COMPONENTS, AlreadyRated, NewRating

KEY = "rate"
COMMENT_LIMIT = 500
LOW = 2


class State(StrEnum):
    SERVICE = "rate.service"
    MODE = "rate.mode"
    SCORE = "rate.score"
    COMMENT = "rate.comment"
    CONTACT = "rate.contact"


def _named_desk(ctx: Context) -> str | None:
    """The desk named by `/start rate_<desk>` (its QR code) or `/danhgia <desk>`, if any."""
    words = ctx.msg.args.split() if ctx.msg.kind is Kind.COMMAND else []
    wanted = words[0].removeprefix("rate_") if words else ""
    return wanted if ctx.commune.desk(wanted) else None


def _desk_from(ctx: Context) -> str:
    """Read the desk the resident came from; else the first desk."""
    return _named_desk(ctx) or (ctx.commune.desks[0].id if ctx.commune.desks else "xa")


def _scale(ctx: Context, skip: bool = False) -> tuple:
    buttons = [make_choice(f"{KEY}:score:{n}", ctx.t(f"rate.score_{n}")) for n in range(1, 6)]
    if skip:
        buttons.append(make_choice(f"{KEY}:score:skip", ctx.t("rate.skip_c5")))
    return tuple(buttons)


async def start(ctx: Context) -> str | None:
    """Asks which service the resident received."""
    if not ctx.commune.services:
        ctx.say("rate.no_services")
        return None
    named = _named_desk(ctx)  # thanked for coming only when they came (scanned its code)
    ctx.draft["desk"] = _desk_from(ctx)
    desk = ctx.commune.desk(ctx.draft["desk"])
    buttons = tuple(make_choice(f"{KEY}:svc:{s.id}", s.name) for s in ctx.commune.services)
    ctx.say(
        "rate.ask_service" if named else "rate_menu.ask_service",
        desk=desk.name if desk else ctx.commune.display_name,
        choices=buttons,
    )
    return State.SERVICE


async def choose_service(ctx: Context) -> str | None:
    """Stores the service, refuses a second rating of the same visit, asks how to rate."""
    if ctx.action != "svc" or ctx.commune.service(ctx.arg) is None:
        return await start(ctx)
    resident = ctx.person.resident
    if resident and await ctx.store.ratings.has_rated(
        resident.id, ctx.draft["desk"], ctx.arg, _today(ctx)
    ):
        ctx.say("rate.already")
        return None
    ctx.draft["service"] = ctx.arg
    ctx.say("rate.ask_mode", choices=(
        make_choice(f"{KEY}:mode:quick", ctx.t("rate.mode_quick")),
        make_choice(f"{KEY}:mode:full", ctx.t("rate.mode_full")),
    ))  # fmt: skip
    return State.MODE


async def choose_mode(ctx: Context) -> str | None:
    """Starts the quick (one score) or full (five components) questions."""
    if ctx.action != "mode" or ctx.arg not in ("quick", "full"):
        ctx.say("rate.mode_again")
        return State.MODE
    ctx.draft.update(mode=ctx.arg, scores={}, asked=0)
    return _ask_next_score(ctx)


def _ask_next_score(ctx: Context) -> str:
    if ctx.draft["mode"] == "quick":
        ctx.say("rate.ask_overall", choices=_scale(ctx))
        return State.SCORE
    component = COMPONENTS[ctx.draft["asked"]]
    ctx.say(
        f"rate.ask_c{component}",
        number=component,
        total=len(COMPONENTS),
        choices=_scale(ctx, skip=component == 5),
    )
    return State.SCORE


async def take_score(ctx: Context) -> str | None:
    """Stores one score and asks the next question, or for a comment after the last."""
    if ctx.action != "score" or ctx.arg not in {"1", "2", "3", "4", "5", "skip"}:
        return _ask_next_score(ctx)
    if ctx.draft["mode"] == "quick":
        ctx.draft["overall"] = int(ctx.arg)
    else:
        component = COMPONENTS[ctx.draft["asked"]]
        if ctx.arg != "skip":
            ctx.draft["scores"][str(component)] = int(ctx.arg)
        ctx.draft["asked"] += 1
        if ctx.draft["asked"] < len(COMPONENTS):
            return _ask_next_score(ctx)
    ctx.say(
        "rate.ask_comment", choices=(make_choice(f"{KEY}:comment:skip", ctx.t("rate.no_comment")),)
    )
    return State.COMMENT


async def take_comment(ctx: Context) -> str | None:
    """Stores an optional comment; after a low score asks whether the commune may call back."""
    if ctx.msg.kind is Kind.TEXT and ctx.action != "comment":
        if len(ctx.msg.text) > COMMENT_LIMIT:
            ctx.say("rate.comment_too_long", max=COMMENT_LIMIT)
            return State.COMMENT
        ctx.draft["comment"] = ctx.msg.text.strip()
    elif ctx.action != "comment":
        skip = (make_choice(f"{KEY}:comment:skip", ctx.t("rate.no_comment")),)
        ctx.say_again("again.not_text", "rate.ask_comment", choices=skip)
        return State.COMMENT
    if _lowest(ctx) <= LOW:
        ctx.say("rate.ask_contact", choices=(
            make_choice(f"{KEY}:contact:yes", ctx.t("rate.contact_yes")),
            make_choice(f"{KEY}:contact:no", ctx.t("rate.contact_no")),
        ))  # fmt: skip
        return State.CONTACT
    return await _save(ctx, contact_ok=False)


async def choose_contact(ctx: Context) -> str | None:
    """Records whether the resident agrees to be contacted, then saves."""
    if ctx.action != "contact":
        ctx.say("rate.contact_again")
        return State.CONTACT
    return await _save(ctx, contact_ok=ctx.arg == "yes")


def _lowest(ctx: Context) -> int:
    values = [*ctx.draft.get("scores", {}).values(), ctx.draft.get("overall") or 5]
    return min(values)


def _today(ctx: Context):
    return ctx.now.astimezone(ctx.commune.zone).date()


async def _save(ctx: Context, contact_ok: bool) -> str | None:
    """Commits the rating (and the leaders' alert for a low one), then thanks the resident."""
    d = ctx.draft
    rating = NewRating(
        resident_id=ctx.person.resident.id if ctx.person.resident else None,
        channel=ctx.msg.channel,
        desk=d["desk"],
        service=d["service"],
        visit_day=_today(ctx),
        mode=d["mode"],
        scores={int(k): v for k, v in d.get("scores", {}).items()},
        overall=d.get("overall"),
        comment=d.get("comment") or None,
        contact_ok=contact_ok,
    )
    try:
        async with ctx.store.db.transaction():
            rating_id = await ctx.store.ratings.add(rating)
            if _lowest(ctx) <= LOW:
                await _alert_leaders(ctx, rating, rating_id)
    except AlreadyRated:
        ctx.say("rate.already")
        return None
    ctx.say("rate.thanks")
    ctx.show_menu = True
    return None


async def _alert_leaders(ctx: Context, rating: NewRating, rating_id: int) -> None:
    t = translator(ctx.commune.language)
    service = ctx.commune.service(rating.service)
    desk = ctx.commune.desk(rating.desk)
    names = {c: t(f"rate.c{c}_short") for c in COMPONENTS}
    scores = ", ".join(f"{names[c]}: {v}" for c, v in sorted(rating.scores.items()))
    if rating.overall is not None:
        scores = t("rate.overall_short", score=rating.overall)
    contact = t("rate.alert_contact", name=ctx.msg.display_name) if rating.contact_ok else ""
    text = t(
        "rate.alert",
        desk=desk.name if desk else rating.desk,
        service=service.name if service else rating.service,
        scores=scores,
        comment=rating.comment or t("rate.alert_no_comment"),
        contact=contact,
    )
    leaders = await ctx.store.staff.list_by_role(Role.LEADER)
    pushes = [  # each leader on their own channel (Telegram or Zalo)
        Push(s.channel, s.user_id, Reply(text), kind="alert", source=f"rating:{rating_id}",
             priority=0)
        for s in leaders
    ]  # fmt: skip
    await ctx.store.outbox.enqueue(pushes)


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=start,
    steps={
        State.SERVICE: choose_service,
        State.MODE: choose_mode,
        State.SCORE: take_score,
        State.COMMENT: take_comment,
        State.CONTACT: choose_contact,
    },
    buttons_only=frozenset({State.SERVICE, State.MODE, State.SCORE, State.CONTACT}),
    commands=("danhgia",),
    menu="menu.rate",
    menu_order=30,
)
