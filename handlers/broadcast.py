"""/thongbao: an official broadcasts an announcement to residents.

compose (text; a photo or a document optional) -> audience (everyone, some hamlets, a
topic's subscribers) -> preview with the recipient count -> send now, or at a typed time
and confirm. The start screen lists scheduled broadcasts with a button to cancel each.

Only officials, leaders and admins may use it (the router checks every press); every button
but "cancel" must be one the session last offered. Cancelling is allowed to the author, a
leader or an admin. What is composed lives in a draft broadcast row (attachments are bytes);
sending, scheduling and cancelling are in handlers/broadcast_send.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bot.actions import permissions
from bot.messages import Kind, Reply
from bot.outreach import parse_send_time
from handlers import broadcast_send as sending
from handlers.base import Context, Flow, make_choice, number
from storage.models import Topic

KEY = "tb"
MAX_TEXT = 3000
MAX_AHEAD = timedelta(days=60)


class State(StrEnum):
    COMPOSE = "tb.compose"
    AUDIENCE = "tb.audience"
    HAMLETS = "tb.hamlets"
    TOPIC = "tb.topic"
    PREVIEW = "tb.preview"
    WHEN = "tb.when"
    CONFIRM = "tb.confirm"


def _local(ctx: Context, moment: datetime) -> str:
    return moment.astimezone(ctx.commune.zone).strftime("%H:%M %d/%m/%Y")


async def start(ctx: Context) -> str | None:
    """Lists scheduled broadcasts (each with a cancel button) and asks for the text."""
    scheduled = await ctx.store.broadcasts.scheduled(ctx.now)
    if scheduled:
        lines = [ctx.t("outreach.bc_scheduled_title")]
        lines += [
            ctx.t("outreach.bc_scheduled_line", id=b.id, at=_local(ctx, b.send_at),
                  count=b.recipients, excerpt=sending.excerpt(b.text, 40))
            for b in scheduled
        ]  # fmt: skip
        buttons = tuple(
            ctx.button(f"{KEY}:cancel:{b.id}", "outreach.bc_cancel_button", id=b.id)
            for b in scheduled[:10]
        )
        ctx.replies.append(ctx.reply("\n".join(lines), choices=buttons))
    ctx.say("outreach.bc_compose", limit=MAX_TEXT)
    return State.COMPOSE


async def _draft_id(ctx: Context) -> int:
    if "bc" not in ctx.draft:
        staff = ctx.person.staff
        ctx.draft["bc"] = await ctx.store.broadcasts.create_draft(
            staff.id if staff else None, staff.name if staff else ctx.msg.display_name,
            ctx.msg.channel, ctx.msg.chat_id, ctx.t.language,
        )  # fmt: skip
    return ctx.draft["bc"]


async def _keep_attachment(ctx: Context) -> bool:
    """Store a received photo or document in the draft; False when there is none usable."""
    msg = ctx.msg
    if msg.kind is Kind.PHOTO and msg.photos:
        kind, name, data = "photo", "photo.jpg", await msg.photos[0].load()
    elif msg.kind is Kind.DOCUMENT and msg.documents:
        doc = msg.documents[0]
        kind, name, data = "document", doc.filename or "document", await doc.load()
    else:
        return False
    if not data:
        ctx.say("outreach.bc_attach_failed")
        return False
    await ctx.store.broadcasts.set_media(await _draft_id(ctx), kind, name[:100], data)
    ctx.draft["media"] = kind
    return True


async def _keep_text(ctx: Context, text: str) -> bool:
    limit = sending.CAPTION_LIMIT if ctx.draft.get("media") else MAX_TEXT
    if not text.strip() or len(text) > limit:
        ctx.say("outreach.bc_text_length", limit=limit)
        return False
    await ctx.store.broadcasts.set_text(await _draft_id(ctx), text.strip())
    ctx.draft["text"] = True
    return True


async def compose(ctx: Context) -> str | None:
    """Keeps the text and the attachment as they come, then asks for what is still missing."""
    kind = ctx.msg.kind
    if ctx.action == "noattach":
        ctx.draft["noattach"] = True
    elif kind in (Kind.PHOTO, Kind.DOCUMENT) and not await _keep_attachment(ctx):
        return State.COMPOSE
    typed = ctx.msg.text if kind in (Kind.TEXT, Kind.PHOTO, Kind.DOCUMENT) else ""
    if typed.strip() and not await _keep_text(ctx, typed):
        return State.COMPOSE
    if not ctx.draft.get("text"):
        media = ctx.draft.get("media")
        ctx.say("outreach.bc_ask_text" if media else "outreach.bc_compose",
                limit=sending.CAPTION_LIMIT if media else MAX_TEXT)  # fmt: skip
        return State.COMPOSE
    if ctx.draft.get("media") and len(await _text(ctx)) > sending.CAPTION_LIMIT:
        ctx.say("outreach.bc_text_length", limit=sending.CAPTION_LIMIT)
        return State.COMPOSE
    if ctx.draft.get("media") or ctx.draft.get("noattach"):
        return _ask_audience(ctx)
    skip = ctx.button(f"{KEY}:noattach", "outreach.bc_no_attach")
    ctx.say("outreach.bc_ask_attach", choices=(skip,))
    return State.COMPOSE


async def _text(ctx: Context) -> str:
    broadcast = await ctx.store.broadcasts.get(ctx.draft["bc"])
    return broadcast.text if broadcast else ""


def _ask_audience(ctx: Context) -> str:
    ctx.say("outreach.bc_ask_audience", choices=(
        ctx.button(f"{KEY}:aud:all", "outreach.bc_aud_all"),
        ctx.button(f"{KEY}:aud:hamlets", "outreach.bc_aud_hamlets"),
        ctx.button(f"{KEY}:aud:topic", "outreach.bc_aud_topic"),
    ))  # fmt: skip
    return State.AUDIENCE


async def choose_audience(ctx: Context) -> str | None:
    """Takes everyone to the preview, or asks which hamlets or which topic."""
    if ctx.action != "aud":
        return _ask_audience(ctx)
    ctx.draft["aud"] = ctx.arg
    if ctx.arg == "hamlets":
        ctx.draft["hamlets"] = []
        return _ask_hamlets(ctx, "outreach.bc_ask_hamlets")
    if ctx.arg == "topic":
        ctx.say("outreach.bc_ask_topic", choices=tuple(
            make_choice(f"{KEY}:t:{topic}", ctx.t(f"outreach.topic_{topic}")) for topic in Topic
        ))  # fmt: skip
        return State.TOPIC
    ctx.draft["aud"] = "all"
    return await _preview(ctx)


def _ask_hamlets(ctx: Context, key: str) -> str:
    chosen = set(ctx.draft.get("hamlets", ()))
    buttons = [
        make_choice(f"{KEY}:h:{i}", ctx.t("outreach.subs_on", topic=name) if i in chosen else name)
        for i, name in enumerate(ctx.commune.hamlets)
    ]
    buttons.append(ctx.button(f"{KEY}:h:done", "outreach.bc_hamlets_done"))
    ctx.replies.append(Reply(ctx.t(key), choices=tuple(buttons), columns=2, replaces=ctx.pressed))
    return State.HAMLETS


async def toggle_hamlet(ctx: Context) -> str | None:
    """Adds or removes a hamlet; "done" goes to the preview once one is chosen."""
    chosen = set(ctx.draft.get("hamlets", ()))
    if ctx.action == "h" and ctx.arg == "done":
        if chosen:
            return await _preview(ctx)
        return _ask_hamlets(ctx, "outreach.bc_hamlets_none")
    index = number(ctx.arg)
    if ctx.action == "h" and index is not None and index < len(ctx.commune.hamlets):
        chosen ^= {index}
        ctx.draft["hamlets"] = sorted(chosen)
    return _ask_hamlets(ctx, "outreach.bc_ask_hamlets")


async def choose_topic(ctx: Context) -> str | None:
    """Takes the chosen topic's subscribers to the preview."""
    if ctx.action != "t" or ctx.arg not in {t.value for t in Topic}:
        return _ask_audience(ctx)
    ctx.draft["topic"] = ctx.arg
    return await _preview(ctx)


async def _preview(ctx: Context) -> str:
    """Shows the message as residents will see it, who gets it and how many."""
    audience = sending.audience_from(ctx.draft, ctx.commune.hamlets)
    count = await sending.count(ctx.store, audience)
    if count == 0:
        ctx.say("outreach.bc_nobody")
        return _ask_audience(ctx)
    media, dropped = await sending.attachment(ctx.store, ctx.draft["bc"], count)
    ctx.replies.append(Reply(await _text(ctx), media=media))
    lines = [ctx.t("outreach.bc_preview", audience=sending.describe(ctx.t, audience), count=count)]
    if dropped:
        lines.append(ctx.t("outreach.bc_attachment_dropped"))
    ctx.replies.append(ctx.reply("\n".join(lines), choices=(
        ctx.button(f"{KEY}:send", "outreach.bc_send_now"),
        ctx.button(f"{KEY}:later", "outreach.bc_send_later"),
        ctx.button(f"{KEY}:abort", "outreach.bc_abort"),
    )))  # fmt: skip
    return State.PREVIEW


async def decide(ctx: Context) -> str | None:
    """Sends now, asks for a time, or drops the broadcast."""
    if ctx.action == "send":
        return await _send(ctx, ctx.now)
    if ctx.action == "later":
        ctx.say("outreach.bc_ask_when")
        return State.WHEN
    if ctx.action == "abort":
        return _aborted(ctx)
    return await _preview(ctx)


async def ask_when(ctx: Context) -> str | None:
    """Reads the typed send time and asks to confirm it."""
    if ctx.action == "abort":
        return _aborted(ctx)
    at = parse_send_time(ctx.msg.text, ctx.now, ctx.commune.zone)
    if at is None or ctx.msg.kind is not Kind.TEXT:
        ctx.say("outreach.bc_when_unclear")
        return State.WHEN
    if not ctx.now + timedelta(minutes=1) < at <= ctx.now + MAX_AHEAD:
        ctx.say("outreach.bc_when_range", days=MAX_AHEAD.days)
        return State.WHEN
    ctx.draft["at"] = at.isoformat()
    audience = sending.audience_from(ctx.draft, ctx.commune.hamlets)
    count = await sending.count(ctx.store, audience)
    ctx.say("outreach.bc_confirm_when", at=_local(ctx, at), count=count, choices=(
        ctx.button(f"{KEY}:confirm", "outreach.bc_confirm"),
        ctx.button(f"{KEY}:abort", "outreach.bc_abort"),
    ))  # fmt: skip
    return State.CONFIRM


async def confirm_when(ctx: Context) -> str | None:
    """Schedules the broadcast at the confirmed time."""
    if ctx.action == "confirm" and "at" in ctx.draft:
        return await _send(ctx, datetime.fromisoformat(ctx.draft["at"]))
    if ctx.action == "abort":
        return _aborted(ctx)
    ctx.say("outreach.bc_ask_when")
    return State.WHEN


async def _send(ctx: Context, at: datetime) -> str | None:
    """Commits the rows, then (only then) tells the official."""
    audience = sending.audience_from(ctx.draft, ctx.commune.hamlets)
    sent = await sending.send(ctx.store, ctx.commune, ctx.draft["bc"], audience, at, ctx.now)
    if sent is None:
        ctx.say("outreach.bc_already_sent")
    elif at > ctx.now:
        ctx.say(
            "outreach.bc_scheduled", id=ctx.draft["bc"], at=_local(ctx, at), count=sent.recipients
        )
    else:
        ctx.say("outreach.bc_sent", id=ctx.draft["bc"], count=sent.recipients)
    if sent is not None and sent.held:
        ctx.say("outreach.bc_held", count=sent.held)
    ctx.show_menu = True
    return None


def _aborted(ctx: Context) -> None:
    ctx.say("outreach.bc_aborted")
    ctx.show_menu = True
    return None


async def cancel_scheduled(ctx: Context) -> str | None:
    """Cancels a scheduled broadcast before its time (its author, a leader or an admin)."""
    broadcast_id = number(ctx.arg)
    broadcast = await ctx.store.broadcasts.get(broadcast_id) if broadcast_id else None
    if broadcast is None or not permissions.may_manage_broadcast(
        ctx.person.staff, broadcast.author_id
    ):
        ctx.say("outreach.bc_cannot_cancel")
        return None
    if broadcast.status != "queued" or broadcast.send_at <= ctx.now:
        ctx.say("outreach.bc_too_late", id=broadcast.id)
        return None
    cancelled = await sending.cancel(ctx.store, broadcast.id, ctx.now)
    ctx.say("outreach.bc_cancelled" if cancelled is not None else "outreach.bc_too_late",
            id=broadcast.id)  # fmt: skip
    ctx.show_menu = True
    return None


FLOW = Flow(
    key=KEY,
    roles=permissions.OFFICIALS,
    start=start,
    steps={
        State.COMPOSE: compose,
        State.AUDIENCE: choose_audience,
        State.HAMLETS: toggle_hamlet,
        State.TOPIC: choose_topic,
        State.PREVIEW: decide,
        State.WHEN: ask_when,
        State.CONFIRM: confirm_when,
    },
    stateless={"cancel": cancel_scheduled},
    commands=("thongbao",),
    menu="menu.broadcast",
    menu_order=35,
)
