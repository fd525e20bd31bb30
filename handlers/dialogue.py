"""/doithoai: dialogues with residents. An official announces a session (date, place, topic);
residents send questions beforehand; officials see them grouped by hamlet, record the answer
given at the session, and publish: each asker then receives the answer to their question.
"""

from __future__ import annotations

from enum import StrEnum

from bot.actions import permissions
from bot.i18n import Translator, translator
from bot.messages import Reply
from bot.outreach import push_to_residents
from bot.text import snippet
from handlers.base import EVERYONE, Context, Flow, make_choice, number
from storage.models import Topic
from storage.outbox import Push

KEY = "dt"
LIMITS = {
    "topic": (5, 200),
    "place": (3, 200),
    "when": (5, 80),
    "question": (10, 1000),
    "answer": (2, 2000),
}


class State(StrEnum):
    TOPIC = "dt.topic"
    PLACE = "dt.place"
    WHEN = "dt.when"
    CONFIRM = "dt.confirm"
    QUESTION = "dt.question"
    ANSWER = "dt.answer"


def _b(data: str, label: str):
    return make_choice(f"{KEY}:{data}", label[:60])


async def start(ctx: Context) -> str | None:
    """Officials: announce a session or answer questions; residents: send a question."""
    dialogues = await ctx.store.dialogues.dialogues("announced")
    if permissions.may_consult(ctx.person.staff):
        buttons = [_b("new", ctx.t("dialogue.new_button"))]
        buttons += [
            _b(f"qs:{d.id}", ctx.t("dialogue.questions_button", topic=d.topic)) for d in dialogues
        ]
        ctx.say("dialogue.staff_menu", choices=tuple(buttons))
        return None
    if not dialogues or ctx.person.resident is None:
        ctx.say("dialogue.none")
        ctx.show_menu = True
        return None
    buttons = tuple(_b(f"ask:{d.id}", d.topic) for d in dialogues)
    lines = [ctx.t("dialogue.upcoming")]
    lines += [
        ctx.t("dialogue.line", topic=d.topic, place=d.place, when=d.held_at) for d in dialogues
    ]
    ctx.replies.append(Reply("\n".join(lines), choices=buttons))
    return None


async def new(ctx: Context) -> str | None:
    """Starts announcing a dialogue: asks for its topic."""
    if not permissions.may_consult(ctx.person.staff):
        ctx.say("error.not_allowed")
        return None
    ctx.say("dialogue.ask_topic", min=LIMITS["topic"][0], max=LIMITS["topic"][1])
    return State.TOPIC


async def take_topic(ctx: Context) -> str | None:
    """Stores the topic and asks where the session is held."""
    if (text := ctx.typed(LIMITS["topic"], "dialogue.ask_topic")) is None:
        return State.TOPIC
    ctx.draft["topic"] = text
    ctx.say("dialogue.ask_place", min=LIMITS["place"][0], max=LIMITS["place"][1])
    return State.PLACE


async def take_place(ctx: Context) -> str | None:
    """Stores the place and asks when."""
    if (text := ctx.typed(LIMITS["place"], "dialogue.ask_place")) is None:
        return State.PLACE
    ctx.draft["place"] = text
    ctx.say("dialogue.ask_when", min=LIMITS["when"][0], max=LIMITS["when"][1])
    return State.WHEN


async def take_when(ctx: Context) -> str | None:
    """Stores when, then shows what residents will receive."""
    if (text := ctx.typed(LIMITS["when"], "dialogue.ask_when")) is None:
        return State.WHEN
    ctx.draft["when"] = text
    count = await ctx.store.residents.count_audience(Topic.ANNOUNCEMENTS)
    ctx.say(
        "dialogue.preview",
        topic=ctx.draft["topic"],
        place=ctx.draft["place"],
        when=text,
        count=count,
        choices=(_b("send", ctx.t("dialogue.send")), _b("drop", ctx.t("dialogue.drop"))),
    )
    return State.CONFIRM


async def confirm(ctx: Context) -> str | None:
    """Commits the dialogue and its announcement to residents."""
    if ctx.action != "send" or not permissions.may_consult(ctx.person.staff):
        ctx.say("dialogue.dropped")
        return None
    d, store = ctx.draft, ctx.store
    async with store.db.transaction():
        dialogue = await store.dialogues.announce(
            d["topic"], d["place"], d["when"], ctx.person.staff.id
        )

        def reply_for(t: Translator) -> Reply:
            text = t("dialogue.announce", topic=dialogue.topic, place=dialogue.place,
                     when=dialogue.held_at)  # fmt: skip
            return Reply(text, choices=(_b(f"ask:{dialogue.id}", t("dialogue.ask_button")),))

        sent = await push_to_residents(
            store, Topic.ANNOUNCEMENTS, None, reply_for,
            kind="broadcast", source=f"dialogue:{dialogue.id}", address=ctx.commune.address,
        )  # fmt: skip
    ctx.say("dialogue.announced", count=sent)
    return None


async def ask(ctx: Context) -> str | None:
    """Asks a resident for their question to a dialogue that is still open to questions."""
    dialogue = await ctx.store.dialogues.dialogue(number(ctx.arg)) if number(ctx.arg) else None
    if dialogue is None or dialogue.status != "announced" or ctx.person.resident is None:
        ctx.say("dialogue.none")
        return None
    ctx.draft = {"dialogue": dialogue.id}
    ctx.say("dialogue.ask_question", topic=dialogue.topic, max=LIMITS["question"][1])
    return State.QUESTION


async def take_question(ctx: Context) -> str | None:
    """Stores the question; the resident will get the answer after the session."""
    if (text := ctx.typed(LIMITS["question"], "dialogue.ask_question_again")) is None:
        return State.QUESTION
    resident = ctx.person.resident
    if await ctx.store.dialogues.ask(ctx.draft["dialogue"], resident.id, resident.hamlet, text):
        ctx.say("dialogue.question_saved")
    else:  # the answers were published meanwhile
        ctx.say("dialogue.none")
    return None


async def questions(ctx: Context) -> str | None:
    """Shows officials a dialogue's questions, grouped by hamlet, to answer one by one."""
    dialogue = await ctx.store.dialogues.dialogue(number(ctx.arg)) if number(ctx.arg) else None
    if not permissions.may_consult(ctx.person.staff) or dialogue is None:
        ctx.say("error.not_allowed")
        return None
    asked = await ctx.store.dialogues.questions(dialogue.id)
    lines, buttons, hamlet = (
        [ctx.t("dialogue.questions_title", topic=dialogue.topic, count=len(asked))],
        [],
        object(),
    )
    for n, question in enumerate(asked, 1):
        if question.hamlet != hamlet:
            hamlet = question.hamlet
            lines.append(f"[{hamlet or ctx.t('dialogue.no_hamlet')}]")
        mark = "✓" if question.answer else "…"
        lines.append(f"{n}. {mark} {snippet(question.text, 300) or ctx.t('fb.erased_text')}")
        buttons.append(_b(f"q:{question.id}", ctx.t("dialogue.answer_button", n=n)))
    if dialogue.status == "announced" and any(q.answer for q in asked):
        buttons.append(_b(f"pub:{dialogue.id}", ctx.t("dialogue.publish_button")))
    ctx.replies.append(Reply("\n".join(lines), choices=tuple(buttons[:40]), columns=3))
    return None


async def pick_question(ctx: Context) -> str | None:
    """Asks the official for the answer given at the session to one question."""
    if not permissions.may_consult(ctx.person.staff) or not number(ctx.arg):
        ctx.say("error.not_allowed")
        return None
    ctx.draft = {"question": number(ctx.arg)}
    ctx.say("dialogue.ask_answer", max=LIMITS["answer"][1])
    return State.ANSWER


async def take_answer(ctx: Context) -> str | None:
    """Records the answer to the question."""
    if (text := ctx.typed(LIMITS["answer"], "dialogue.ask_answer")) is None:
        return State.ANSWER
    if not permissions.may_consult(ctx.person.staff):
        ctx.say("error.not_allowed")
        return None
    if await ctx.store.dialogues.answer(ctx.draft["question"], text, ctx.person.staff.id):
        ctx.say("dialogue.answer_saved")
    else:  # no such question, or its dialogue is already published
        ctx.say("dialogue.question_gone")
    return None


async def publish(ctx: Context) -> str | None:
    """Publishes the answers: each asker receives their own question's answer."""
    dialogue = await ctx.store.dialogues.dialogue(number(ctx.arg)) if number(ctx.arg) else None
    if not permissions.may_consult(ctx.person.staff) or dialogue is None:
        ctx.say("error.not_allowed")
        return None
    store = ctx.store
    async with store.db.transaction():
        if not await store.dialogues.publish(dialogue.id):
            ctx.say("dialogue.already_published")
            return None
        questions = await store.dialogues.questions(dialogue.id)
        askers = await store.residents.get_many(q.resident_id for q in questions if q.resident_id)
        pushes = []
        for question in questions:
            resident = askers.get(question.resident_id)
            if resident is None or not resident.chat_id or not question.answer:
                continue
            t = translator(resident.language, ctx.commune.address)
            text = t(
                "dialogue.answer_for_resident",
                topic=dialogue.topic,
                question=question.text[:300],
                answer=question.answer,
            )
            pushes.append(
                Push(
                    resident.channel,
                    resident.chat_id,
                    Reply(text),
                    kind="notify",
                    source=f"dialogue:{dialogue.id}:q:{question.id}",
                    resident_id=resident.id,
                )
            )
        sent = await store.outbox.enqueue(pushes)
    ctx.say("dialogue.published", count=sent)
    return None


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=start,
    steps={
        State.TOPIC: take_topic,
        State.PLACE: take_place,
        State.WHEN: take_when,
        State.CONFIRM: confirm,
        State.QUESTION: take_question,
        State.ANSWER: take_answer,
    },
    stateless={"new": new, "ask": ask, "qs": questions, "q": pick_question, "pub": publish},
    commands=("doithoai",),
    menu="menu.dialogue",
    menu_order=46,
)
