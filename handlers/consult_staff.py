"""/laykien for officials: open a consultation, follow it, close it, publish the conclusion.

title -> description -> photo or document (optional) -> hamlets -> closing date ->
question -> preview -> send.
Supervision board members may read the results; only officials, leaders and admins act.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.actions import permissions
from bot.i18n import Translator
from bot.messages import Kind, Media, Reply
from bot.outreach import push_to_residents
from handlers.base import Context, make_choice, number
from storage import Storage
from storage.participation import Consultation

KEY = "lk"
LIMITS = {"title": (5, 120), "desc": (10, 1500), "conclusion": (10, 1500)}
MAX_OPTIONS = 6
MAX_OPEN = timedelta(days=366)  # a consultation stays open a year at most
FILE_BUDGET = 32 * 1024 * 1024  # bytes of attachment copies one consultation may queue


def _b(data: str, label: str):
    return make_choice(f"{KEY}:{data}", label)


async def menu(ctx: Context) -> str | None:
    """Shows the staff menu: open a new consultation (officials) and the results."""
    buttons = [_b("results", ctx.t("consult.results_button"))]
    if permissions.may_consult(ctx.person.staff):
        buttons.insert(0, _b("new", ctx.t("consult.new_button")))
    ctx.say("consult.staff_menu", choices=tuple(buttons))
    return None


def _text_step(ctx: Context, field: str, ask_key: str) -> str | None:
    """The typed text, kept in the draft as `field`, if its length is within limits."""
    text = ctx.typed(LIMITS[field], ask_key)
    if text is not None:
        ctx.draft[field] = text
    return text


async def new(ctx: Context) -> str | None:
    """Starts a new consultation: asks for its title."""
    if not permissions.may_consult(ctx.person.staff):
        ctx.say("error.not_allowed")
        return None
    ctx.draft = {}
    ctx.say("consult.ask_title", min=LIMITS["title"][0], max=LIMITS["title"][1])
    return "lk.title"


async def take_title(ctx: Context) -> str | None:
    """Stores the title and asks for a description of the project."""
    if _text_step(ctx, "title", "consult.ask_title") is None:
        return "lk.title"
    ctx.say("consult.ask_desc", min=LIMITS["desc"][0], max=LIMITS["desc"][1])
    return "lk.desc"


async def take_desc(ctx: Context) -> str | None:
    """Stores the description and offers to attach a photo or a document."""
    if _text_step(ctx, "desc", "consult.ask_desc") is None:
        return "lk.desc"
    return _ask_file(ctx)


def _ask_file(ctx: Context) -> str:
    ctx.say("consult.ask_file", choices=(_b("nofile", ctx.t("consult.no_file")),))
    return "lk.file"


async def take_file(ctx: Context) -> str | None:
    """Keeps an uploaded photo or document (stored at once), then asks for the hamlets."""
    msg = ctx.msg
    kind, name, file = "", "", None
    if msg.kind is Kind.PHOTO and msg.photos:
        kind, name, file = "photo", "anh.jpg", msg.photos[0]
    elif msg.documents:
        kind, name, file = "document", msg.documents[0].filename, msg.documents[0]
    data = await file.load() if file is not None else None  # downloaded only when taken
    if file is not None and data:
        media_id = await ctx.store.media.add(msg.channel, msg.user_id, file.ref, data)
        if media_id is None:  # over the cap on unsent files (storage/media.py)
            return _ask_file(ctx)
        ctx.draft["file"] = [kind, name, media_id]
        ctx.draft["media"] = [media_id]  # kept while the draft lives (storage/media.py)
    elif ctx.action != "nofile":
        return _ask_file(ctx)
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
    text = ctx.t("consult.ask_hamlets")
    ctx.replies.append(Reply(text, choices=tuple(buttons), columns=2, replaces=ctx.pressed))
    return "lk.hamlets"


async def toggle_hamlet(ctx: Context) -> str | None:
    """Adds or removes a hamlet; "all" selects every hamlet; "done" asks for the date."""
    hamlets = ctx.commune.hamlets
    chosen = ctx.draft.setdefault("hamlets", [])
    if ctx.action == "hamall":
        ctx.draft["hamlets"] = list(hamlets)
    elif ctx.action == "ham" and (index := number(ctx.arg)) is not None and index < len(hamlets):
        name = hamlets[index]
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
    today = ctx.now.astimezone(ctx.commune.zone).date()
    last = today + MAX_OPEN
    if closes is None or not today <= closes <= last:
        shown = {"date": closes.strftime("%d/%m/%Y") if closes else "", "last": f"{last:%d/%m/%Y}"}
        why = "again.date_unclear" if closes is None else "again.date_past"
        why = "again.date_too_far" if closes and closes > last else why
        ctx.say_again(why, "consult.ask_closes", **shown)
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
            standard = (_b("standard", ctx.t("consult.standard_options")),)
            ctx.say_again("again.options_count", "consult.ask_options", choices=standard,
                          count=len(options), max=MAX_OPTIONS)  # fmt: skip
            return "lk.options"
    ctx.draft["options"] = options
    count = await ctx.store.residents.count_audience(None, ctx.draft["hamlets"])
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
    if ctx.action != "send" or not permissions.may_consult(ctx.person.staff):
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
            tuple(d["file"]) if d.get("file") else None,
        )
        await ctx.store.media.discard(ctx.msg.channel, ctx.msg.user_id)
        sent = await invite(ctx.store, consultation, ctx.commune.address)
    ctx.say("consult.opened", title=consultation.title, count=sent)
    return None


async def attachment(store: Storage, consultation: Consultation) -> Media | None:
    """Return a consultation's photo or document as a Media to send, if it has one."""
    file = await store.participation.file(consultation.id)
    return Media(file[0], file[1], file[2]) if file else None


async def invite(store: Storage, consultation: Consultation, address: str) -> int:
    """Push a consultation to every active resident of its hamlets.

    Its photo or document rides along while its size times the recipients stays under
    FILE_BUDGET (each outbox row holds its own copy); otherwise residents see it when they
    open the consultation.
    """
    people = await store.residents.count_audience(None, consultation.hamlets)
    media = await attachment(store, consultation)
    if media is not None and len(media.data) * people > FILE_BUDGET:
        media = None

    def reply_for(t: Translator) -> Reply:
        closes = consultation.closes_on.strftime("%d/%m/%Y")
        return Reply(
            t("consult.invite", title=consultation.title, closes=closes),
            choices=(_b(f"see:{consultation.id}", t("consult.invite_button")),),
            media=media,
        )

    source = f"consult:{consultation.id}"
    return await push_to_residents(
        store, None, consultation.hamlets, reply_for, kind="broadcast", source=source,
        address=address,
    )  # fmt: skip


PRESSES = {"new": new}
STEPS = {
    "lk.title": take_title,
    "lk.desc": take_desc,
    "lk.file": take_file,
    "lk.hamlets": toggle_hamlet,
    "lk.closes": take_closes,
    "lk.options": take_options,
    "lk.confirm": confirm,
}
