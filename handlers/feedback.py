"""/phananh: a resident sends feedback or a petition, step by step, and gets a tracking code.

kind -> category -> description -> photos -> place -> anonymous? -> review -> send.
Hamlet heads first say whether they send for themselves or on someone's behalf.
The tracking code is shown only after the item and its notifications are committed.

A complaint (khiếu nại) or a denunciation (tố cáo) asks for the sender's full name instead
of "anonymous?": Luật Khiếu nại 02/2011/QH13 needs a named complainant, and Luật Tố cáo
25/2018/QH14 (Điều 25) does not handle an anonymous denunciation as one, so the resident may
send it as anonymous feedback instead. Its acknowledgement shows no commune deadline but the
law's path: the time limits, a competent body that may not be the commune, and how to file
in writing or at the citizen reception.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from bot.conversation import says_any
from bot.messages import Kind
from bot.workdays import WorkCalendar
from handlers import notify, voice
from handlers.base import Context, Flow, make_choice
from storage.feedback import FORMAL_KINDS, NewFeedback
from storage.models import Role

KEY = "pa"
KINDS = ("petition", "question", "complaint", "denunciation")
FORMAL = FORMAL_KINDS
SENDERS = frozenset(Role)  # anyone may send; hamlet heads may also send for others
ADDRESS_LIMITS = (5, 300)
NAME_LIMITS = (4, 80)  # a full name: family name and given name, at least two words


class State(StrEnum):
    BEHALF = "pa.behalf"
    BEHALF_NAME = "pa.behalf_name"
    KIND = "pa.kind"
    CATEGORY = "pa.category"
    DESCRIBE = "pa.describe"
    PHOTOS = "pa.photos"
    PLACE = "pa.place"
    ADDRESS = "pa.address"
    ANONYMOUS = "pa.anonymous"
    NAME = "pa.name"
    REVIEW = "pa.review"


def _button(ctx: Context, action: str, label_key: str, **values):
    return ctx.button(f"{KEY}:{action}", label_key, **values)


async def start(ctx: Context) -> str | None:
    """Checks the sender's limits, then asks what kind of message it is."""
    if ctx.person.role is Role.HAMLET_HEAD:  # sends for many neighbours: no per-person limits
        return await _ask_behalf(ctx)
    if await over_limits(ctx):
        return None
    if ctx.msg.kind is Kind.COMMAND and ctx.msg.args in KINDS:  # "khiếu nại" typed as words
        ctx.draft["kind"] = ctx.msg.args
        return _ask_category(ctx, "fb.ask_category")
    return _ask_kind(ctx)


async def over_limits(ctx: Context) -> bool:
    """Tell (and say) whether the sender has too many open items or sent enough today."""
    rules = ctx.commune.feedback
    chat = (ctx.msg.channel, ctx.msg.chat_id)
    if await ctx.store.feedback.count_open_by_sender(*chat) >= rules.max_open_per_resident:
        ctx.say("fb.limit_open", limit=rules.max_open_per_resident)
        return True
    midnight = datetime.combine(
        ctx.now.astimezone(ctx.commune.zone).date(), time(), ctx.commune.zone
    )
    if await ctx.store.feedback.count_sent_since(*chat, midnight) >= rules.max_per_day:
        ctx.say("fb.limit_day", limit=rules.max_per_day)
        return True
    return False


async def _ask_behalf(ctx: Context) -> str:
    ctx.say("fb.ask_behalf", choices=(
        _button(ctx, "behalf:self", "fb.behalf_self"),
        _button(ctx, "behalf:other", "fb.behalf_other"),
    ))  # fmt: skip
    return State.BEHALF


async def choose_behalf(ctx: Context) -> str | None:
    """Records whether a hamlet head sends for someone else."""
    if ctx.action != "behalf":
        return await start(ctx)
    if ctx.arg == "other":
        ctx.say("fb.ask_behalf_name")
        return State.BEHALF_NAME
    return _ask_kind(ctx)


async def take_behalf_name(ctx: Context) -> str | None:
    """Stores who the hamlet head is sending for."""
    name = ctx.typed((2, 80), "fb.ask_behalf_name")
    if name is None:
        return State.BEHALF_NAME
    ctx.draft["behalf"] = name
    return _ask_kind(ctx)


def _ask_kind(ctx: Context) -> str:
    ctx.say("fb.ask_kind", choices=tuple(_button(ctx, f"kind:{k}", f"fb.kind_{k}") for k in KINDS))
    return State.KIND


async def choose_kind(ctx: Context) -> str | None:
    """Stores the kind and asks for the category."""
    if ctx.action != "kind" or ctx.arg not in KINDS:
        return _ask_kind(ctx)
    ctx.draft["kind"] = ctx.arg
    return _ask_category(ctx, "fb.ask_category")


def _ask_category(ctx: Context, key: str) -> str:
    buttons = tuple(make_choice(f"{KEY}:cat:{c.id}", c.name) for c in ctx.commune.categories)
    ctx.say(key, choices=buttons)
    return State.CATEGORY


async def choose_category(ctx: Context) -> str | None:
    """Stores the category and asks for the description."""
    if ctx.action != "cat" or ctx.commune.category(ctx.arg) is None:
        return _ask_category(ctx, "fb.category_again")
    ctx.draft["category"] = ctx.arg
    rules = ctx.commune.feedback
    ctx.say("fb.ask_description", min=rules.min_length, max=rules.max_length)
    return State.DESCRIBE


async def take_description(ctx: Context) -> str | None:
    """Stores a description of acceptable length; a photo with a caption counts too."""
    rules = ctx.commune.feedback
    if ctx.msg.kind is Kind.VOICE:  # spoken instead of typed: kept like a photo
        return _ask_photos(ctx, "fb.ask_photos") if await voice.keep(ctx) else State.DESCRIBE
    if ctx.msg.kind is Kind.PHOTO:
        await _keep_photo(ctx)
    text = ctx.msg.text.strip() if ctx.msg.kind in (Kind.TEXT, Kind.PHOTO) else ""
    if ctx.msg.kind not in (Kind.TEXT, Kind.PHOTO) or (ctx.msg.kind is Kind.PHOTO and not text):
        ctx.say("fb.ask_description_text", min=rules.min_length, max=rules.max_length)
        return State.DESCRIBE
    if len(text) < rules.min_length:
        ctx.say("fb.too_short", min=rules.min_length)
        return State.DESCRIBE
    if len(text) > rules.max_length:
        ctx.say("fb.too_long", max=rules.max_length, length=len(text))
        return State.DESCRIBE
    ctx.draft["description"] = text
    return _ask_photos(ctx, "fb.ask_photos")


def _ask_photos(ctx: Context, key: str) -> str:
    if voice.photos(ctx) >= ctx.commune.feedback.max_photos:
        return _ask_place(ctx)
    done = _button(ctx, "photos:done", "fb.photos_done") if voice.photos(ctx) else None
    none = _button(ctx, "photos:none", "fb.photos_none")
    ctx.say(key, max=ctx.commune.feedback.max_photos, choices=tuple(b for b in (done, none) if b))
    return State.PHOTOS


async def _keep_photo(ctx: Context) -> bool:
    """Store a received photo at once (durably); return False when it did not download
    or the person's unsent photos already reach the cap.

    The draft lists the photo's id under "media": that keeps the file while the draft
    lives, and lets it go when the draft ends or starts over (storage/media.py).
    """
    media = ctx.draft.setdefault("media", [])
    photo = ctx.msg.photos[0]
    if voice.photos(ctx) >= ctx.commune.feedback.max_photos:
        return True
    data = await photo.load()  # downloaded only now that the step takes it
    media_id = await ctx.store.media.add(ctx.msg.channel, ctx.msg.user_id, photo.ref, data)
    if media_id is None:
        ctx.say("fb.media_cap", mb=ctx.store.media.max_bytes // (1024 * 1024))
        return False
    if data is None:
        ctx.say("fb.photo_failed")
        return False
    media.append(media_id)
    return True


async def take_photos(ctx: Context) -> str | None:
    """Keeps up to the maximum of photos, then asks where the problem is."""
    if ctx.msg.kind is Kind.PHOTO:
        if await _keep_photo(ctx):
            count = voice.photos(ctx)
            if count >= ctx.commune.feedback.max_photos:
                ctx.say("fb.photos_full", max=count)
                return _ask_place(ctx)
            return _ask_photos(ctx, "fb.photo_received")
        return _ask_photos(ctx, "fb.ask_photos")
    if ctx.action == "photos":
        return _ask_place(ctx)
    return _ask_photos(ctx, "fb.photos_hint")


def _home_hamlet(ctx: Context) -> str | None:
    """The sender's hamlet: a resident's own, or the hamlet a hamlet head serves."""
    if ctx.person.resident and ctx.person.resident.hamlet:
        return ctx.person.resident.hamlet
    return ctx.person.staff.hamlet if ctx.person.staff else None


def _ask_place(ctx: Context) -> str:
    hamlet = _home_hamlet(ctx)
    buttons = [_button(ctx, "place:type", "fb.place_type")]
    if hamlet:
        buttons.insert(0, _button(ctx, "place:hamlet", "fb.place_hamlet", hamlet=hamlet))
    buttons.append(_button(ctx, "place:skip", "fb.place_skip"))
    ctx.say("fb.ask_place", choices=tuple(buttons))
    return State.PLACE


async def choose_place(ctx: Context) -> str | None:
    """Stores a location, the resident's hamlet or a typed address."""
    hamlet = _home_hamlet(ctx)
    if ctx.msg.kind is Kind.LOCATION:
        ctx.draft["location"] = [ctx.msg.location.latitude, ctx.msg.location.longitude]
        ctx.draft["hamlet"] = hamlet
        return _ask_sender(ctx)
    if ctx.action == "place" and ctx.arg == "hamlet" and hamlet:
        ctx.draft.update(hamlet=hamlet, place_is_hamlet=True)
        return _ask_sender(ctx)
    if ctx.action == "place" and ctx.arg == "skip":
        return _ask_sender(ctx)
    if ctx.action == "place" and ctx.arg == "type":
        ctx.say("fb.ask_address", max=ADDRESS_LIMITS[1])
        return State.ADDRESS
    if ctx.msg.kind is Kind.TEXT:
        return await take_address(ctx)
    return _ask_place(ctx)


async def take_address(ctx: Context) -> str | None:
    """Stores a typed address."""
    text = ctx.msg.text.strip() if ctx.msg.kind is Kind.TEXT else ""
    low, high = ADDRESS_LIMITS
    if not low <= len(text) <= high:
        ctx.say("fb.address_length", min=low, max=high)
        return State.ADDRESS
    ctx.draft["address"] = text
    ctx.draft["hamlet"] = _home_hamlet(ctx)
    return _ask_sender(ctx)


def _ask_sender(ctx: Context) -> str:
    """Asks who sends it: anonymous or not, or, for a complaint or a denunciation, the name."""
    kind = ctx.draft["kind"]
    if kind not in FORMAL:
        return _ask_anonymous(ctx)
    if ctx.draft.get("behalf"):  # a hamlet head sends for the person they named
        ctx.draft["name"] = ctx.draft["behalf"]
        return _review(ctx)
    return _ask_name(ctx)


def _ask_name(ctx: Context) -> str:
    ctx.say(f"fb.ask_name_{ctx.draft['kind']}", choices=(
        _button(ctx, "anon:feedback", "fb.send_as_feedback"),
    ))  # fmt: skip
    return State.NAME


async def take_name(ctx: Context) -> str | None:
    """Stores the sender's full name, or turns the item into anonymous feedback on request."""
    if ctx.action == "anon" and ctx.arg == "feedback":
        ctx.draft.pop("name", None)
        ctx.draft.update(kind="petition", anonymous=True)
        return _review(ctx)
    text = " ".join(ctx.msg.text.split()) if ctx.msg.kind is Kind.TEXT else ""
    if says_any(ctx.t.language, "anonymous", text):
        return _ask_name(ctx)  # the law's reason again, with the anonymous-feedback button
    low, high = NAME_LIMITS
    if not low <= len(text) <= high or len(text.split()) < 2:
        ctx.say("fb.name_again", min=low, max=high)
        return State.NAME
    ctx.draft.update(name=text, anonymous=False)
    return _review(ctx)


def _ask_anonymous(ctx: Context) -> str:
    ctx.say("fb.ask_anonymous", choices=(
        _button(ctx, "anon:no", "fb.anon_no"),
        _button(ctx, "anon:yes", "fb.anon_yes"),
    ))  # fmt: skip
    return State.ANONYMOUS


async def choose_anonymous(ctx: Context) -> str | None:
    """Stores the choice to stay anonymous and shows the review."""
    if ctx.action != "anon":
        return _ask_anonymous(ctx)
    if ctx.draft.get("kind") in FORMAL:  # never anonymous: ask for the name
        return _ask_sender(ctx)
    ctx.draft["anonymous"] = ctx.arg == "yes"
    return _review(ctx)


def _review(ctx: Context) -> str:
    d, t = ctx.draft, ctx.t
    category = ctx.commune.category(d["category"])
    if category is None:  # removed from the commune file while the draft waited
        return _ask_category(ctx, "fb.category_again")
    place = d.get("address") or d.get("hamlet") or t("fb.place_unknown")
    if d.get("location"):
        place = t("fb.place_location", place=place)
    voice.never_anonymous(ctx)
    ctx.say(
        "fb.review",
        kind=t(f"fb.kind_{d['kind']}"),
        category=category.name,
        text=d["description"],
        photos=voice.photos(ctx),
        place=place,
        who=_sender_line(ctx),
        choices=(
            _button(ctx, "send:yes", f"fb.send_{d['kind']}"),  # the kind's own word
            _button(ctx, "send:restart", "fb.restart"),
        ),
    )
    return State.REVIEW


def _sender_line(ctx: Context) -> str:
    d, t = ctx.draft, ctx.t
    if d["kind"] in FORMAL:
        return t("fb.review_named", name=d.get("name", ""))
    who = t("fb.anon_yes") if d.get("anonymous") else t("fb.anon_no")
    return who + (t("fb.review_behalf", name=d["behalf"]) if d.get("behalf") else "")


async def confirm(ctx: Context) -> str | None:
    """Sends the feedback: commits it with its notifications, then shows the code."""
    if ctx.action != "send":
        return _review(ctx)
    if ctx.arg == "restart":  # the new draft lists no photos: the old ones go with it
        ctx.draft = {"behalf": ctx.draft["behalf"]} if ctx.draft.get("behalf") else {}
        return _ask_kind(ctx)
    if ctx.commune.category(ctx.draft.get("category", "")) is None:
        return _ask_category(ctx, "fb.category_again")
    if ctx.draft["kind"] in FORMAL and not ctx.draft.get("name"):
        return _ask_sender(ctx)
    item = await _submit(ctx)
    # A complaint's or a denunciation's acknowledgement has no deadline: the law's path instead.
    ctx.say(f"fb.sent_{item.kind}", code=item.code, deadline=item.deadline.strftime("%d/%m/%Y"))
    if item.formal:
        schedule = ctx.commune.citizen_reception or ctx.t("fb.reception_unknown")
        ctx.say(f"fb.formal_{item.kind}", schedule=schedule)
    ctx.say("fb.track_hint", code=item.code)
    return None


async def _submit(ctx: Context):
    d, msg = ctx.draft, ctx.msg
    category = ctx.commune.category(d["category"])
    calendar = WorkCalendar(ctx.commune.extra_days_off, ctx.commune.extra_working_days)
    today = ctx.now.astimezone(ctx.commune.zone).date()
    location = d.get("location") or (None, None)
    new = NewFeedback(
        channel=msg.channel,
        kind=d["kind"],
        category=category.id,
        description=d["description"],
        deadline=calendar.add_working_days(today, category.deadline_days),
        resident_id=ctx.person.resident.id if ctx.person.resident else None,
        notify_channel=msg.channel,
        notify_chat_id=msg.chat_id,
        submitted_by=ctx.person.staff.id if d.get("behalf") and ctx.person.staff else None,
        on_behalf_of=d.get("behalf"),
        # An anonymous sender's own hamlet is kept only when they named it as the place:
        # in a small hamlet it would point at them.
        hamlet=d.get("hamlet") if d.get("place_is_hamlet") or not d.get("anonymous") else None,
        address=d.get("address"),
        latitude=location[0],
        longitude=location[1],
        anonymous=bool(d.get("anonymous")) and d["kind"] not in FORMAL,
        complainant_name=d.get("name") if d["kind"] in FORMAL else None,
    )
    officials = await notify.category_staff(ctx, category.id)
    async with ctx.store.db.transaction():
        item = await ctx.store.feedback.create(new, d.get("media", []), msg.user_id)
        await notify.announce_new(ctx, item, officials)
    return item


FLOW = Flow(
    key=KEY,
    roles=SENDERS,
    start=start,
    steps={
        State.BEHALF: choose_behalf,
        State.BEHALF_NAME: take_behalf_name,
        State.KIND: choose_kind,
        State.CATEGORY: choose_category,
        State.DESCRIBE: take_description,
        State.PHOTOS: take_photos,
        State.PLACE: choose_place,
        State.ADDRESS: take_address,
        State.ANONYMOUS: choose_anonymous,
        State.NAME: take_name,
        State.REVIEW: confirm,
    },
    commands=("phananh",),
    buttons_only=frozenset(
        {State.BEHALF, State.KIND, State.CATEGORY, State.ANONYMOUS, State.REVIEW}
    ),
    menu="menu.feedback",
    menu_order=10,
)
