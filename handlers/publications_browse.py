"""/xemcongkhai: residents browse the documents the commune made public, by category, and
receive the files.

Browsing buttons are stateless (reading is harmless, an old message keeps working), and
every one re-reads the publication: a withdrawn document is never sent, whatever button
led there. Opening a document counts the resident once ("residents reached with
disclosures" in the reports).
"""

from __future__ import annotations

from bot.i18n import Translator
from bot.messages import Media, Reply
from bot.text import snippet
from handlers.base import EVERYONE, Context, Flow, make_choice, number
from handlers.onboarding import KEY as ONBOARDING
from storage.publications import CATEGORIES, Publication, PublicationFile

KEY = "cb"
LIST_SIZE = 10


def category_label(t: Translator, category: str) -> str:
    """The catalog's name for a publication category."""
    return t(f"pub.cat_{category.replace('-', '_')}")


def show_day(pub: Publication, ctx: Context) -> str:
    return pub.published_at.astimezone(ctx.commune.zone).strftime("%d/%m/%Y")


def file_replies(files: list[PublicationFile]) -> list[Reply]:
    """One reply per file, as the file itself (a photo or a document)."""
    return [Reply("", media=Media(f.kind, f.filename, f.data)) for f in files]


def _registered(ctx: Context) -> bool:
    """Send a newcomer who pressed an old or forged button to onboarding first."""
    if not ctx.person.registered:
        ctx.switch_to = ONBOARDING
    return ctx.person.registered


async def show_categories(ctx: Context) -> str | None:
    """Lists the categories that have publications, with how many each."""
    if not _registered(ctx):
        return None
    counts = await ctx.store.publications.count_shown()
    buttons = tuple(
        make_choice(
            f"{KEY}:cat:{c}",
            ctx.t("pub.browse_category", category=category_label(ctx.t, c), count=counts[c]),
        )
        for c in CATEGORIES
        if counts.get(c)
    )
    if not buttons:
        ctx.say("pub.browse_empty")
        ctx.show_menu = True
        return None
    ctx.say("pub.browse_title", choices=buttons)
    return None


async def open_category(ctx: Context) -> str | None:
    """Lists a category's publications, newest first, as buttons."""
    if not _registered(ctx):
        return None
    if ctx.arg not in CATEGORIES:
        return await show_categories(ctx)
    category = ctx.arg
    found = await ctx.store.publications.list_shown(category, LIST_SIZE)
    label = category_label(ctx.t, category)
    back = ctx.button(f"{KEY}:cats", "pub.all_categories")
    if not found:
        ctx.say("pub.category_empty", category=label, choices=(back,))
        return None
    buttons = [make_choice(f"{KEY}:open:{p.id}", snippet(p.title, 60)) for p in found]
    ctx.say("pub.category_list", category=label, choices=(*buttons, back))
    return None


async def open_publication(ctx: Context) -> str | None:
    """Sends a publication's summary and its files, unless it was withdrawn."""
    if not _registered(ctx):
        return None
    pub = await ctx.store.publications.get(number(ctx.arg)) if number(ctx.arg) else None
    if pub is None or pub.withdrawn:
        ctx.say("pub.gone", choices=(ctx.button(f"{KEY}:cats", "pub.all_categories"),))
        return None
    if ctx.person.resident is not None:
        await ctx.store.publications.record_view(pub.id, ctx.person.resident.id)
    ctx.say(
        "pub.document",
        title=pub.title,
        category=category_label(ctx.t, pub.category),
        date=show_day(pub, ctx),
        summary=pub.summary,
    )
    ctx.replies.extend(file_replies(await ctx.store.publications.files(pub.id)))
    ctx.replies.append(
        Reply(
            ctx.t("pub.all_categories"),
            choices=(
                make_choice(f"{KEY}:cat:{pub.category}", category_label(ctx.t, pub.category)),
                ctx.button(f"{KEY}:cats", "pub.all_categories"),
            ),
        )
    )
    return None


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=show_categories,
    stateless={"cats": show_categories, "cat": open_category, "open": open_publication},
    commands=("xemcongkhai",),
    menu="menu.publications",
    menu_order=45,
)
