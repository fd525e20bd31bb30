"""/congkhai: officials publish documents (công khai) and withdraw them, never silently.

menu -> files (PDF or photos) -> title -> category -> summary -> review -> publish
(optionally announced to subscribers); menu -> list -> withdraw (reason) keeps the record.

Files are stored as they arrive (drafts of the official), attached when the document is
published; the publication and its announcements are committed in one transaction before
the official is told (the announcement: handlers/publications_announce.py).
"""

from __future__ import annotations

from enum import StrEnum

from bot.actions import permissions
from bot.messages import Kind, Reply
from handlers.base import Context, Flow, make_choice, number
from handlers.publications_announce import VIEW_ONLY, announce
from handlers.publications_browse import category_label, show_day
from storage.publications import CATEGORIES, NotWithdrawable, uploader_key

KEY = "ck"
MAX_FILES = 10
TITLE = (5, 200)
SUMMARY = (10, 800)
REASON = (5, 300)
PDF, JPEG, PNG = b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"


class State(StrEnum):
    MENU = "ck.menu"
    FILES = "ck.files"
    TITLE = "ck.title"
    CATEGORY = "ck.category"
    SUMMARY = "ck.summary"
    REVIEW = "ck.review"
    REASON = "ck.reason"


def _uploader(ctx: Context) -> str:
    return uploader_key(ctx.msg.channel, ctx.msg.user_id)


async def start(ctx: Context) -> str | None:
    """Drops any unfinished draft and offers to publish or to list what was published."""
    await ctx.store.publications.discard_drafts(_uploader(ctx))
    ctx.say(
        "pub.staff_menu",
        choices=(ctx.button(f"{KEY}:new", "pub.new"), ctx.button(f"{KEY}:list", "pub.list")),
    )
    return State.MENU


async def choose(ctx: Context) -> str | None:
    """Starts a new publication or lists the published ones."""
    if ctx.action == "list":
        return await _list(ctx)
    if ctx.action != "new":
        return await start(ctx)
    ctx.say("pub.ask_files", max=MAX_FILES)
    return State.FILES


def _done_button(ctx: Context):
    return ctx.button(f"{KEY}:done", "pub.files_done")


async def take_file(ctx: Context) -> str | None:
    """Keeps a PDF or an image sent as a document or a photo; "Done" moves on."""
    uploader = _uploader(ctx)
    files = await ctx.store.publications.draft_files(uploader)
    if ctx.action == "done":
        if not files:
            ctx.say("pub.need_a_file")
            return State.FILES
        ctx.say("pub.ask_title")
        return State.TITLE
    if ctx.msg.kind not in (Kind.DOCUMENT, Kind.PHOTO):
        if files:
            ctx.say("pub.send_or_done", choices=(_done_button(ctx),))
        else:
            ctx.say("pub.need_a_file")
        return State.FILES
    if len(files) >= MAX_FILES:
        ctx.say("pub.too_many_files", max=MAX_FILES, choices=(_done_button(ctx),))
        return State.FILES
    if ctx.msg.kind is Kind.DOCUMENT:
        doc = ctx.msg.documents[0]
        name = doc.filename or f"van-ban-{len(files) + 1}.pdf"
        kind, data = "document", await doc.load()
    else:
        kind, name, data = "photo", f"trang-{len(files) + 1}.jpg", await ctx.msg.photos[0].load()
    if data is None:
        ctx.say("pub.file_failed")
        return State.FILES
    if not data.startswith((PDF, JPEG, PNG)):
        ctx.say("pub.file_not_allowed")
        return State.FILES
    _, count = await ctx.store.publications.add_draft_file(uploader, kind, name, data)
    ctx.say("pub.file_received", count=count, name=name, choices=(_done_button(ctx),))
    return State.FILES


def _text(ctx: Context, limits: tuple[int, int], again: str) -> str | None:
    """The typed text if its length is within limits; else say why and return None."""
    if ctx.msg.kind is not Kind.TEXT or not ctx.msg.text.strip():
        ctx.say("pub.type_text")
        return None
    return ctx.typed(limits, again)


async def take_title(ctx: Context) -> str | None:
    """Stores the title and asks for the category."""
    title = _text(ctx, TITLE, "pub.title_length")
    if title is None:
        return State.TITLE
    ctx.draft["title"] = title
    return _ask_category(ctx, "pub.ask_category")


def _ask_category(ctx: Context, key: str) -> str:
    buttons = tuple(make_choice(f"{KEY}:cat:{c}", category_label(ctx.t, c)) for c in CATEGORIES)
    ctx.say(key, choices=buttons)
    return State.CATEGORY


async def choose_category(ctx: Context) -> str | None:
    """Stores the category and asks for the summary."""
    if ctx.action != "cat" or ctx.arg not in CATEGORIES:
        return _ask_category(ctx, "pub.category_again")
    ctx.draft["category"] = ctx.arg
    ctx.say("pub.ask_summary", min=SUMMARY[0], max=SUMMARY[1])
    return State.SUMMARY


async def take_summary(ctx: Context) -> str | None:
    """Stores the summary and shows everything for a last check."""
    summary = _text(ctx, SUMMARY, "pub.summary_length")
    if summary is None:
        return State.SUMMARY
    ctx.draft["summary"] = summary
    return await _review(ctx)


async def _review(ctx: Context) -> str:
    files = await ctx.store.publications.draft_files(_uploader(ctx))
    view_only = ctx.draft["category"] in VIEW_ONLY
    push = () if view_only else (ctx.button(f"{KEY}:publish:push", "pub.publish_push"),)
    if view_only:
        ctx.say("pub_rules.view_only")
    ctx.say(
        "pub.review",
        title=ctx.draft["title"],
        summary=ctx.draft["summary"],
        files=len(files),
        category=category_label(ctx.t, ctx.draft["category"]),
        choices=(
            *push,
            ctx.button(f"{KEY}:publish:quiet", "pub.publish_quiet"),
            ctx.button(f"{KEY}:cancel", "pub.cancel"),
        ),
    )
    return State.REVIEW


async def publish(ctx: Context) -> str | None:
    """Publishes (and announces) in one transaction, then tells the official."""
    if ctx.action == "cancel":
        await ctx.store.publications.discard_drafts(_uploader(ctx))
        ctx.say("pub.cancelled")
        ctx.show_menu = True
        return None
    if ctx.action != "publish":
        return await _review(ctx)
    push = ctx.arg == "push" and ctx.draft["category"] not in VIEW_ONLY  # an old button too
    staff = ctx.person.staff
    async with ctx.store.db.transaction():
        pub_id = await ctx.store.publications.publish(
            _uploader(ctx),
            category=ctx.draft["category"],
            title=ctx.draft["title"],
            summary=ctx.draft["summary"],
            staff_id=staff.id if staff else None,
            staff_name=staff.name if staff else ctx.msg.display_name,
            pushed=push,
        )
        queued = await announce(ctx.store, ctx.commune, pub_id, ctx.now) if push else 0
    if push:
        ctx.say("pub.published_pushed", id=pub_id, count=queued)
    else:
        ctx.say("pub.published", id=pub_id)
    ctx.show_menu = True
    return None


async def _list(ctx: Context) -> str | None:
    """Lists every publication, withdrawn ones with who, when and why, and withdraw buttons."""
    found = await ctx.store.publications.list_all()
    if not found:
        ctx.say("pub.list_empty")
        ctx.show_menu = True
        return None
    lines, buttons = [ctx.t("pub.list_title")], []
    for pub in found:
        lines.append(
            ctx.t(
                "pub.list_item",
                id=pub.id,
                title=pub.title,
                date=show_day(pub, ctx),
                category=category_label(ctx.t, pub.category),
                by=pub.published_by_name,
            )
        )
        if pub.withdrawn:
            day = pub.withdrawn_at.astimezone(ctx.commune.zone).strftime("%d/%m/%Y")
            lines.append(
                ctx.t(
                    "pub.list_withdrawn",
                    date=day,
                    by=pub.withdrawn_by_name,
                    reason=pub.withdraw_reason,
                )
            )
        else:
            buttons.append(ctx.button(f"{KEY}:withdraw:{pub.id}", "pub.withdraw_button", id=pub.id))
    ctx.replies.append(Reply("\n".join(lines), choices=tuple(buttons)))
    return State.MENU if buttons else None


async def ask_reason(ctx: Context) -> str | None:
    """Asks why a publication is withdrawn (the menu state's withdraw buttons)."""
    if ctx.action != "withdraw" or not number(ctx.arg):
        return await choose(ctx)
    pub = await ctx.store.publications.get(number(ctx.arg))
    if pub is None or pub.withdrawn:
        ctx.say("pub.already_withdrawn", id=ctx.arg)
        return None
    ctx.draft["withdraw"] = pub.id
    ctx.say("pub.ask_reason", id=pub.id, title=pub.title)
    return State.REASON


async def withdraw(ctx: Context) -> str | None:
    """Withdraws the publication with the reason given, and cancels unsent announcements."""
    reason = _text(ctx, REASON, "pub.reason_length")
    if reason is None:
        return State.REASON
    pub_id = ctx.draft["withdraw"]
    staff = ctx.person.staff
    try:
        async with ctx.store.db.transaction():
            await ctx.store.publications.withdraw(
                pub_id,
                staff_id=staff.id if staff else None,
                staff_name=staff.name if staff else ctx.msg.display_name,
                reason=reason,
            )
            await ctx.store.outbox.cancel(f"pub:{pub_id}:announce")
    except NotWithdrawable:
        ctx.say("pub.already_withdrawn", id=pub_id)
        return None
    ctx.say("pub.withdrawn", id=pub_id)
    ctx.show_menu = True
    return None


async def in_menu(ctx: Context) -> str | None:
    """Routes the menu's buttons: new, list, or withdraw one."""
    if ctx.action == "withdraw":
        return await ask_reason(ctx)
    return await choose(ctx)


FLOW = Flow(
    key=KEY,
    roles=permissions.OFFICIALS,
    start=start,
    steps={
        State.MENU: in_menu,
        State.FILES: take_file,
        State.TITLE: take_title,
        State.CATEGORY: choose_category,
        State.SUMMARY: take_summary,
        State.REVIEW: publish,
        State.REASON: withdraw,
    },
    commands=("congkhai",),
    menu="menu.publish",
    menu_order=60,
)
