"""Pushes about feedback: to the sender, to the officials in charge, to leaders.

Every push goes through the outbox (durable, rate-limited, retried); nothing here sends.
Texts shown to staff never name the sender of an anonymous item. Each staff member is told
on their own channel (Telegram, Zalo, the Zalo OA), with a link to the item in the web console;
the texts are plain, and the open button becomes a numbered line on Zalo.

The helpers take anything with a `store` and a `commune`: a step's Context, or a `Scope`
built by code that runs without a conversation (the scheduler's deadline checks).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.i18n import Translator, translator
from bot.messages import Choice, Reply
from bot.web.urls import item_url
from handlers.base import make_choice
from storage.feedback import FeedbackItem
from storage.models import Role, Staff
from storage.outbox import Push

if TYPE_CHECKING:
    from bot.config import Commune
    from storage import Storage

TELEGRAM = "telegram"
URGENT = 0


class HasStore(Protocol):
    """What the helpers need: the storage, the commune and the console's base URL (a Context
    has all three; an empty URL leaves the console link out)."""

    store: Storage
    commune: Commune
    console_url: str


@dataclass(frozen=True, slots=True)
class Scope:
    """The storage and the commune, for code that runs outside a conversation."""

    store: Storage
    commune: Commune
    console_url: str = ""


def text_of(t: Translator, item: FeedbackItem) -> str:
    """The item's text as staff see it: a marker once its sender erased their data."""
    return t("fb.erased_text") if item.erased_at else item.description


def summary(env: HasStore, item: FeedbackItem) -> str:
    """Describe an item for staff, without the sender's identity."""
    t = translator(env.commune.language)
    category = env.commune.category(item.category)
    place = item.address or item.hamlet or t("fb.place_unknown")
    return t(
        "fb.staff_summary",
        code=item.code,
        kind=t(f"fb.kind_{item.kind}"),
        category=category.name if category else item.category,
        place=place,
        due=t(f"inbox.due_{item.kind}")
        if item.formal
        else t("fb.staff_due", deadline=item.deadline.strftime("%d/%m/%Y")),
        text=text_of(t, item)[:600],
    )


def open_button(env: HasStore, item: FeedbackItem) -> Choice:
    """Make the button that opens an item in the staff inbox (/hopthu)."""
    return make_choice(f"hs:open:{item.id}", translator(env.commune.language)("fb.open_item"))


async def announce_new(env: HasStore, item: FeedbackItem, staff: Iterable[Staff]) -> int:
    """Tell the staff group and the officials in charge of the category about a new item.

    `staff` are those officials (`category_staff`), read before the item's transaction so
    that the transaction holds the write lock no longer than it writes.
    """
    t = translator(env.commune.language)
    text = t("fb.new_for_staff") + "\n" + summary(env, item)
    pushes = _staff_pushes(env, staff, item, text, kind="notify", source=f"fb:{item.id}:new")
    group = env.commune.feedback.staff_group_chat
    if group:
        group_reply = Reply(text)  # buttons in a group would let anyone press them
        pushes.append(
            Push(
                TELEGRAM,
                group,
                group_reply,
                kind="notify",
                source=f"fb:{item.id}:new",
                priority=URGENT,
            )
        )
    return await env.store.outbox.enqueue(pushes)


async def category_staff(env: HasStore, category_id: str) -> list[Staff]:
    """Return the officials in charge of a category, on whatever channel each one uses.

    The officials the commune file names for it; else every official; else the leaders.
    """
    category = env.commune.category(category_id)
    officials = await env.store.staff.list_by_role(Role.OFFICIAL)
    named = [s for s in officials if category and s.user_id in category.staff]
    return named or officials or await env.store.staff.list_by_role(Role.LEADER)


async def handlers_of(env: HasStore, item: FeedbackItem) -> list[Staff]:
    """Return who handles an item: its assignee if still on staff, else the category's."""
    assignee = await env.store.staff.get(item.assignee_id) if item.assignee_id else None
    return [assignee] if assignee is not None else await category_staff(env, item.category)


def _staff_pushes(
    env: HasStore, staff: Iterable[Staff], item: FeedbackItem, text: str, *, kind: str, source: str
) -> list[Push]:
    """One push per staff member, on their own channel: the text, the console link, a button."""
    t = translator(env.commune.language)
    if env.console_url:
        text += "\n" + t("fb.console_link", url=item_url(env.console_url, item.code))
    reply = Reply(text, choices=(open_button(env, item),))
    chats = sorted({(s.channel, s.user_id) for s in staff})
    return [
        Push(channel, chat, reply, kind=kind, source=source, priority=URGENT)
        for channel, chat in chats
    ]


async def tell_staff(
    env: HasStore,
    staff: Iterable[Staff],
    item: FeedbackItem,
    key: str,
    source: str,
    *,
    kind: str = "notify",
    **values: Any,
) -> int:
    """Tell staff about an item: a sentence, the item's summary, its link and an open button."""
    t = translator(env.commune.language)
    text = t(key, code=item.code, **values) + "\n" + summary(env, item)
    return await env.store.outbox.enqueue(
        _staff_pushes(env, staff, item, text, kind=kind, source=source)
    )


async def tell_leaders(
    env: HasStore, item: FeedbackItem, key: str, source: str, **values: Any
) -> int:
    """Alert every leader about an item (reopened, overdue), with a button to open it."""
    leaders = await env.store.staff.list_by_role(Role.LEADER)
    return await tell_staff(env, leaders, item, key, source, kind="alert", **values)


async def tell_sender(
    env: HasStore,
    item: FeedbackItem,
    key: str,
    source: str,
    choices: tuple = (),
    *,
    buttons: tuple[tuple[str, str], ...] = (),
    **values: Any,
) -> int:
    """Tell the person who sent an item what happened to it, in their language.

    `buttons` are (data, catalog key) pairs, labelled in the sender's language.
    """
    target = await env.store.feedback.notify_target(item.id)
    if target is None:
        return 0
    resident = await env.store.residents.get(item.resident_id) if item.resident_id else None
    t = translator(resident.language if resident else env.commune.language, env.commune.address)
    labelled = tuple(make_choice(data, t(label_key)) for data, label_key in buttons)
    reply = Reply(t(key, code=item.code, **values), choices=(*choices, *labelled))
    push = Push(
        target[0], target[1], reply, kind="notify", source=source, priority=URGENT,
        resident_id=item.resident_id,
    )  # fmt: skip
    return await env.store.outbox.enqueue([push])
