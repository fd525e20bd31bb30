"""/tailieu: browse the outreach library by topic, read an item, take its quiz.

Browsing buttons (topics, pages, items, opening a quiz) are stateless: reading is harmless,
so they work from an old message or after the session expired, and their data is checked
against the library. Quiz answers are not: the router accepts only the answer buttons the
session last offered, so a forged answer is refused.

Items not yet confirmed by an official (`reviewed: false`, the whole starter library) are
shown with a short note saying so, rather than hidden.
"""

from __future__ import annotations

from enum import StrEnum

import content
from bot.messages import Choice, Reply
from content import Item, Library, show_date
from handlers.base import EVERYONE, Context, Flow, make_choice, number
from handlers.onboarding import KEY as ONBOARDING

KEY = "tl"
PAGE_SIZE = 8  # item buttons per page: more do not fit a phone screen


class State(StrEnum):
    BROWSE = "tl.browse"
    QUIZ = "tl.quiz"


def _library(ctx: Context) -> Library:
    """The library as this commune shows it: its own facts filled in (content/facts.py)."""
    return content.get_library(ctx.commune.content_facts())


def _registered(ctx: Context) -> bool:
    """Send a newcomer who pressed an old or forged button to onboarding first."""
    if not ctx.person.registered:
        ctx.switch_to = ONBOARDING
    return ctx.person.registered


async def _answers(ctx: Context) -> dict[str, bool]:
    resident = ctx.person.resident
    return await ctx.store.content.answers(resident.id) if resident else {}


async def _known(ctx: Context, library: Library) -> set[str]:
    resident = ctx.person.resident
    if resident is None:
        return set()
    return await ctx.store.content.topics_known(resident.id, library.quizzes_by_topic())


def _progress(ctx: Context, library: Library, known: set[str]) -> list[str]:
    total = len(library.quizzes_by_topic())
    if ctx.person.resident is None or not total:
        return []
    return [ctx.t("library.progress", known=len(known), total=total)]


async def _topic_progress(ctx: Context, library: Library, topic: str) -> list[str]:
    """How many of a topic's quizzes the reader has answered right, the one just answered
    included: the topics count moves only once all are right."""
    quizzes = library.quizzes_by_topic().get(topic, ())
    if ctx.person.resident is None or not quizzes:
        return []
    answers = await _answers(ctx)
    right = sum(1 for item_id in quizzes if answers.get(item_id))
    title = library.topic(topic).title
    return [ctx.t("convo.topic_progress", topic=title, right=right, total=len(quizzes))]


async def show_topics(ctx: Context) -> str | None:
    """Lists the topics, marking the ones the reader knows, with their progress."""
    if not _registered(ctx):
        return None
    library = _library(ctx)
    if not library.topics:
        ctx.say("library.empty")
        ctx.show_menu = True
        return None
    known = await _known(ctx, library)
    buttons = tuple(
        make_choice(f"{KEY}:topic:{topic.id}", _done_label(ctx, topic.title, topic.id in known))
        for topic in library.topics
    )
    text = "\n\n".join([ctx.t("library.topics"), *_progress(ctx, library, known)])
    ctx.replies.append(ctx.reply(text, choices=buttons))
    return State.BROWSE


def _done_label(ctx: Context, title: str, done: bool) -> str:
    return ctx.t("library.done_label", title=title) if done else title


async def open_topic(ctx: Context) -> str | None:
    """Lists one page of a topic's items, marking the quizzes answered right."""
    if not _registered(ctx):
        return None
    topic_id, _, page_text = ctx.arg.partition(":")
    topic = _library(ctx).topic(topic_id)
    if topic is None:
        return await _gone(ctx)
    pages = max(1, -(-len(topic.items) // PAGE_SIZE))
    page = min(number(page_text) or 0, pages - 1)
    answers = await _answers(ctx)
    shown = topic.items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    buttons = [
        make_choice(
            f"{KEY}:item:{item.id}", _done_label(ctx, item.title, bool(answers.get(item.id)))
        )
        for item in shown
    ]
    if page > 0:
        buttons.append(ctx.button(f"{KEY}:topic:{topic.id}:{page - 1}", "library.prev_page"))
    if page < pages - 1:
        buttons.append(ctx.button(f"{KEY}:topic:{topic.id}:{page + 1}", "library.next_page"))
    buttons.append(ctx.button(f"{KEY}:topics", "library.all_topics"))
    if pages > 1:
        ctx.say(
            "library.items_page",
            topic=topic.title,
            page=page + 1,
            pages=pages,
            choices=tuple(buttons),
        )
    else:
        ctx.say("library.items", topic=topic.title, choices=tuple(buttons))
    return State.BROWSE


async def open_item(ctx: Context) -> str | None:
    """Shows an item with its source, counts the read and offers its quiz."""
    if not _registered(ctx):
        return None
    library = _library(ctx)
    item = library.item(ctx.arg)
    if item is None:
        return await _gone(ctx)
    if ctx.person.resident is not None:
        await ctx.store.content.record_read(ctx.person.resident.id, item.id, item.topic, ctx.now)
    parts = [item.title, item.body]
    citation = _citation(ctx, library, item)
    if citation:
        parts.append(citation)
    if item.link:
        parts.append(ctx.t("library.link", link=item.link))
    if not item.reviewed:
        parts.append(ctx.t("library.unreviewed"))
    buttons = [ctx.button(f"{KEY}:quiz:{item.id}", "library.take_quiz")] if item.quiz else []
    buttons += _onward(ctx, library, item)
    ctx.replies.append(ctx.reply("\n\n".join(parts), choices=tuple(buttons)))
    return State.BROWSE


def _citation(ctx: Context, library: Library, item: Item) -> str | None:
    doc = library.documents.get(item.source) if item.source else None
    if doc is None:
        return None
    newer = library.documents.get(item.superseded_by) if item.superseded_by else None
    if newer is not None:
        return ctx.t("library.source_replaced", cite=doc.cite, newer=newer.cite)
    starts = item.applies_from or doc.in_force
    if starts is not None:
        return ctx.t("library.source_from", cite=doc.cite, date=show_date(starts))
    return ctx.t("library.source", cite=doc.cite)


def _onward(ctx: Context, library: Library, item: Item) -> list[Choice]:
    """Buttons to go on from an item: the next item of its topic, the topic, all topics."""
    topic = library.topic(item.topic)
    ids = [i.id for i in topic.items]
    index = ids.index(item.id)
    buttons = []
    if index + 1 < len(ids):
        buttons.append(ctx.button(f"{KEY}:item:{ids[index + 1]}", "library.next_item"))
    buttons.append(
        ctx.button(f"{KEY}:topic:{topic.id}:{index // PAGE_SIZE}", "library.topic_items")
    )
    buttons.append(ctx.button(f"{KEY}:topics", "library.all_topics"))
    return buttons


async def ask_quiz(ctx: Context) -> str | None:
    """Asks an item's quiz question with its options as buttons."""
    if not _registered(ctx):
        return None
    item = _library(ctx).item(ctx.arg)
    if item is None or item.quiz is None:
        return await _gone(ctx)
    buttons = [
        make_choice(f"{KEY}:ans:{item.id}:{index}", option)
        for index, option in enumerate(item.quiz.options)
    ]
    buttons.append(ctx.button(f"{KEY}:item:{item.id}", "library.read_again"))
    ctx.say("library.question", question=item.quiz.question, choices=tuple(buttons))
    return State.QUIZ


async def check_answer(ctx: Context) -> str | None:
    """Says whether the answer is right, explains it and shows the reader's progress."""
    if ctx.action != "ans":
        return _unclear(ctx, State.QUIZ)
    library = _library(ctx)
    item_id, _, index = ctx.arg.rpartition(":")
    item = library.item(item_id)
    picked = number(index)
    if item is None or item.quiz is None or picked is None:
        return await _gone(ctx)
    quiz = item.quiz
    chosen = quiz.options[picked] if picked < len(quiz.options) else None
    if chosen is None:
        return await _gone(ctx)
    correct = chosen == quiz.answer
    before = await _known(ctx, library)
    if ctx.person.resident is not None:
        await ctx.store.content.record_answer(
            ctx.person.resident.id, item.id, item.topic, chosen, correct, ctx.now
        )
    known = await _known(ctx, library)
    if correct:
        lines = [ctx.t("library.right", explanation=quiz.explanation)]
    else:
        lines = [ctx.t("library.wrong", answer=quiz.answer, explanation=quiz.explanation)]
    if item.topic in known - before:
        lines.append(ctx.t("library.topic_learned", topic=library.topic(item.topic).title))
    elif item.topic not in known:
        lines += await _topic_progress(ctx, library, item.topic)
    lines += _progress(ctx, library, known)
    buttons = [] if correct else [ctx.button(f"{KEY}:quiz:{item.id}", "library.retry")]
    buttons += _onward(ctx, library, item)
    asked = [
        ctx.t("library.question", question=quiz.question),
        ctx.t("library.picked", option=chosen),
    ]
    text = "\n\n".join(["\n".join(asked), *lines])  # on the question's own message
    ctx.replies.append(Reply(text, choices=tuple(buttons), replaces=ctx.pressed))
    return State.BROWSE


async def not_understood(ctx: Context) -> str | None:
    """Asks again, with the buttons last shown, when a typed text matches none of them."""
    return _unclear(ctx, State.BROWSE)


def _unclear(ctx: Context, state: State) -> str:
    offered = tuple(Choice(data, label) for data, label in ctx.draft.get("_choices", ()))
    ctx.say("library.unclear", choices=offered)
    return state


async def _gone(ctx: Context) -> str | None:
    """Answers a button whose topic or item is no longer in the library, then lists topics."""
    ctx.say("library.gone")
    return await show_topics(ctx)


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=show_topics,
    steps={State.BROWSE: not_understood, State.QUIZ: check_answer},
    buttons_only=frozenset({State.BROWSE, State.QUIZ}),
    stateless={"topics": show_topics, "topic": open_topic, "item": open_item, "quiz": ask_quiz},
    commands=("tailieu",),
    menu="menu.library",
    menu_order=40,
)
