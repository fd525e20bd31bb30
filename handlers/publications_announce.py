"""The announcement of a new publication to residents subscribed to announcements.

Pushed through the outbox (kind "broadcast", source "pub:<id>:announce", after the quiet
hours). It carries the file itself only when copying it into every recipient's outbox row
stays small (ATTACH_BUDGET: one file's size times the recipients); otherwise, and for
documents of several pages sent as photos, it carries a button that sends the files on
request (/xemcongkhai's "open").

Some lists are published for viewing only (VIEW_ONLY): a list of poor households names
families and where they live; it is posted (niêm yết) and shown to a resident who asks for
it in /xemcongkhai, never pushed into everyone's chats, where a copy can be forwarded
beyond the commune. Such a publication is never announced, whatever the button pressed.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Commune
from bot.i18n import Translator
from bot.messages import Media, Reply
from bot.outreach import push_to_residents
from bot.quiet import next_allowed
from handlers.base import make_choice
from handlers.publications_browse import KEY as BROWSE
from handlers.publications_browse import category_label
from storage import Storage
from storage.models import Topic

VIEW_ONLY = frozenset({"poor-households"})  # publication categories never announced
ATTACH_BUDGET = 32 * 1024 * 1024  # bytes: one file times its recipients, in the outbox
PRIORITY = 6


async def announce(store: Storage, commune: Commune, pub_id: int, now: datetime) -> int:
    """Queue a publication's announcement for every subscribed resident; return how many
    (none for a view-only list)."""
    pub = await store.publications.get(pub_id)
    if pub is None or pub.category in VIEW_ONLY:
        return 0
    files = await store.publications.files(pub_id)
    people = await store.residents.count_audience(Topic.ANNOUNCEMENTS)
    attach = len(files) == 1 and files[0].size * people <= ATTACH_BUDGET
    media = Media(files[0].kind, files[0].filename, files[0].data) if attach else None
    quiet = commune.quiet_hours
    when = next_allowed(now, quiet.start, quiet.end, commune.zone)

    def reply_for(t: Translator) -> Reply:
        text = t("pub.announce", title=pub.title, category=category_label(t, pub.category),
                 summary=pub.summary)  # fmt: skip
        return Reply(text, (make_choice(f"{BROWSE}:open:{pub.id}", t("pub.open")),), media=media)

    return await push_to_residents(
        store, Topic.ANNOUNCEMENTS, None, reply_for, kind="broadcast",
        source=f"pub:{pub.id}:announce", priority=PRIORITY, address=commune.address,
        not_before=when if when != now else None,
    )  # fmt: skip
