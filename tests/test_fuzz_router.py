"""Property-based fuzzing of the core: any inbound event, from anyone, in any order.

Events go straight into the real Router over a real SQLite file, as a channel adapter would
hand them over: arbitrary unicode (control characters, right-to-left marks, combining marks,
4,096 characters and more), commands with random arguments, forged button data (random, and
every real flow key and action with other people's ids, negative, huge, SQL-ish and
over-long arguments), buttons really offered, photos, documents, locations, stickers and
edits where text is expected. Each property holds for every example:

- `handle` never raises, and nothing fails inside it (no "failed to handle" in the log);
- every reply is something a person can be shown: no traceback, exception, file path or SQL,
  a non-empty text (or a file), within each channel's limits once the adapter splits it, and
  button data within Telegram's 64 bytes;
- no role escape: whatever a resident, a stranger, a hamlet head or a supervision board member
  sends, no state that only officials may change has changed (compared with a snapshot).

One database per test, shared by all its examples: state piles up (sessions, drafts, items),
which explores more, and the snapshots compare before and after each example.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.telegram import CAPTION_LIMIT, TEXT_LIMIT
from bot.channels.zalo import notes_for
from bot.channels.zalo_messages import TEXT_LIMIT as ZALO_LIMIT
from bot.channels.zalo_messages import render
from bot.config import load_commune
from bot.i18n import translator
from bot.messages import Document, Kind, Location, Photo, Reply
from bot.text import split_text
from handlers import FLOWS
from handlers.base import CALLBACK_LIMIT
from storage import Storage
from storage.db import utcnow
from storage.models import Role
from tests.desk import CHANNEL, JPEG, Caller, Desk, Town, seed_town

# What a reply must never show. Inputs containing any of these are not generated, because
# the bot may rightly echo what a person typed.
LEAKS = (
    "Traceback", "Error", "Exception", 'File "', ".py", "/tmp/", "/work/", "site-packages",
    "sqlite", "SELECT ", "INSERT ", "UPDATE ", "DELETE ", "no such", "constraint", "near \"",
)  # fmt: skip
GENERIC = translator("vi")("error.generic")
ZALO_NOTES = notes_for("vi")

# --- the events ----------------------------------------------------------------------------

ODD = (
    "\u202e", "\u202b", "\u200f", "\u200e", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff",
    "\u0301\u0323\u0309", "\x00", "\x07", "\x1b[31m", "\r\n", "\t", "\x85", "\u2028", "🙂",
    "👨‍👩‍👧", "🇻🇳", "ǅ", "ﷺ", "\U0010ffff", "\ue000", "²", "١٢", "Ⅻ", "０", "𝟗", "ﬀ",
)  # fmt: skip
CHARS = st.characters(codec="utf-8")  # everything but lone surrogates
NUMBERS = (
    "0", "1", "2", "3", "-1", "-0", "+1", "01", "1.5", "1e9", "²", "١", "٣", "０", "Ⅻ",
    "9" * 19, "9" * 40, str(2**63), str(2**63 - 1), str(2**64), "1" * 60,
)  # fmt: skip
SQLISH = ("' OR 1=1 --", "1; DROP TABLE staff", "1 OR 1=1", '"', "%", "_", "\\", "NULL", "*")
WORDS = (
    "start", "yes", "no", "all", "none", "done", "skip", "send", "restart", "other", "self",
    "quick", "full", "push", "cancel", "announcements", "outreach", "surveys", "petition",
    "complaint", "moi-truong", "budget", "hamlet", "type", "resolve", "assign", "reject",
)  # fmt: skip
KEYS = tuple(f.key for f in FLOWS)
# The actions of buttons that steps offer (stateless ones and step names are read from FLOWS).
STEP_BUTTONS = (
    "hs:act", "hs:view", "hs:to", "hs:page", "hs:ham", "hs:cat", "hs:f", "hs:remark", "hs:ack",
    "hs:list", "hs:menu", "hs:item", "tc:view", "tc:rate", "tc:comment", "lk:ham", "lk:hamall",
    "lk:hamdone", "lk:send", "lk:drop", "lk:standard", "lk:nocomment", "dt:send", "dt:drop",
    "tb:h", "tb:aud", "tb:t", "tb:noattach", "tb:send", "tb:later", "tb:confirm", "tb:abort",
    "ck:new", "ck:list", "ck:done", "ck:withdraw", "ck:cat", "ck:publish", "pa:kind", "pa:cat",
    "pa:send", "pa:behalf", "pa:photos", "pa:place", "pa:anon", "onb:hamlet", "onb:subs",
    "tl:ans", "rate:svc", "rate:mode", "rate:score", "rate:contact", "ks:a", "xoa:confirm",
)  # fmt: skip
ACTIONS = tuple(
    sorted(
        {a for f in FLOWS for a in f.stateless}
        | {s.split(".", 1)[-1] for f in FLOWS for s in f.steps}
        | {data.split(":", 1)[1] for data in STEP_BUTTONS}
        | {"start", "consent", "comment"}
    )
)
# Every action a flow really has: stateless presses, "start", and its steps' own buttons.
REAL = tuple(
    sorted({f"{f.key}:{a}" for f in FLOWS for a in (*f.stateless, "start")} | set(STEP_BUTTONS))
)
COMMANDS = (
    *sorted({c for f in FLOWS for c in f.commands}),
    *("stop", "START", "xyz", "a" * 40, "phananh@LoaXaBot", "", "dừng"),
)


def join(pieces: list[str]) -> str:
    return "".join(pieces)


def _clean(text: str) -> bool:
    folded = text.casefold()
    return not any(leak.casefold() in folded for leak in LEAKS)


short_text = st.one_of(
    st.text(CHARS, max_size=30),
    st.lists(st.one_of(st.sampled_from(ODD), st.text(CHARS, max_size=4)), max_size=8).map(join),
    st.sampled_from(NUMBERS + SQLISH + WORDS),
    st.sampled_from(("dừng", "Dừng!", "STOP", "huỷ", "Đồng ý", "Xóm 1", "xom 2", "1", "2")),
).filter(_clean)
long_text = st.builds(
    lambda piece, size: (piece * size)[:size],
    st.text(CHARS, min_size=1, max_size=6).filter(_clean),
    st.sampled_from((4095, 4096, 4097, 5000, 20_000)),
).filter(_clean)
any_text = st.one_of(short_text, short_text, short_text, long_text)


@dataclass(frozen=True)
class Offered:
    """Press the n-th button the person was last shown (if any), maybe with a new argument."""

    n: int
    arg: str | None = None


def _segment(town_ids: list[str]):
    return st.one_of(
        st.sampled_from(NUMBERS + SQLISH + WORDS),
        st.sampled_from(town_ids),
        st.text(CHARS, max_size=12),
    )


def choices(town_ids: list[str]):
    """Forged button data of every shape, and presses of the buttons really shown."""
    segment = _segment(town_ids)
    forged = st.builds(
        lambda key, action, args: ":".join([key, action, *args]),
        st.one_of(st.sampled_from(KEYS), st.text(CHARS, max_size=4)),
        st.one_of(st.sampled_from(ACTIONS), st.text(CHARS, max_size=6)),
        st.lists(segment, max_size=3),
    )
    real = st.builds(
        lambda pair, args: ":".join([pair, *args]),
        st.sampled_from(REAL),
        st.lists(segment, min_size=1, max_size=2),
    )
    return st.one_of(
        real.filter(_clean),
        real.filter(_clean),
        forged.filter(_clean),
        st.text(CHARS, max_size=80).filter(_clean),
        st.builds(lambda k: "x" * k, st.sampled_from((64, 65, 200))),
        st.builds(Offered, st.integers(0, 12)),
        st.builds(Offered, st.integers(0, 12), segment.filter(_clean)),
        st.builds(Offered, st.integers(0, 12)),
    )


def events(town_ids: list[str]):
    """One inbound event: (kind, payload)."""
    command = st.tuples(
        st.sampled_from(COMMANDS),
        st.one_of(st.just(""), st.sampled_from(town_ids), short_text, long_text),
    )
    location = st.tuples(
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(allow_nan=False, allow_infinity=False),
    )
    return st.one_of(
        st.tuples(st.just("text"), any_text),
        st.tuples(st.just("command"), command),
        st.tuples(st.just("choice"), choices(town_ids)),
        st.tuples(st.just("choice"), choices(town_ids)),
        st.tuples(st.just("photo"), st.tuples(st.one_of(st.just(""), short_text), st.booleans())),
        st.tuples(st.just("document"), st.tuples(short_text, st.booleans())),
        st.tuples(st.just("location"), location),
        st.tuples(st.just("contact"), short_text),
        st.tuples(st.just("sticker"), st.just(None)),
        st.tuples(st.just("edited"), any_text),
    )


def inbound(caller: Caller, event: tuple):
    """Build the Inbound for an event, reading "press a shown button" against the chat."""
    kind, payload = event
    if kind == "text":
        return caller.inbound(Kind.TEXT, text=payload)
    if kind == "command":
        word, args = payload
        return caller.inbound(Kind.COMMAND, command=word, args=args, text=f"/{word} {args}")
    if kind == "choice":
        if isinstance(payload, Offered):
            if not caller.buttons:
                return caller.inbound(Kind.CHOICE, choice="menu:start")
            data = caller.buttons[payload.n % len(caller.buttons)].id
            if payload.arg is not None:
                data = data.rsplit(":", 1)[0] + ":" + payload.arg
            return caller.inbound(Kind.CHOICE, choice=data)
        return caller.inbound(Kind.CHOICE, choice=payload)
    if kind == "photo":
        caption, has_data = payload
        photo = Photo("photo-ref", len(JPEG), JPEG if has_data else None)
        return caller.inbound(Kind.PHOTO, photos=(photo,), text=caption)
    if kind == "document":
        name, has_data = payload
        data = b"%PDF-1.4\n%%EOF\n" if has_data else None
        doc = Document("doc-ref", name, len(data) if data else None, data)
        return caller.inbound(Kind.DOCUMENT, documents=(doc,))
    if kind == "location":
        return caller.inbound(Kind.LOCATION, location=Location(*payload))
    if kind == "contact":
        return caller.inbound(Kind.CONTACT, text=payload)
    if kind == "sticker":
        return caller.inbound(Kind.UNSUPPORTED)
    return caller.inbound(Kind.EDITED, text=payload)


# --- the properties ------------------------------------------------------------------------


def check_reply(reply: Reply, db_path: str) -> None:
    """A reply a person may be shown, on either channel."""
    text = reply.text
    assert isinstance(text, str)
    assert text.strip() or reply.media is not None, "an empty message"
    for leak in (*LEAKS, db_path):
        assert leak not in text, f"{leak!r} shown to a person: {text[:300]!r}"
    assert text != GENERIC, "a step failed (see the log)"
    room = TEXT_LIMIT - len(reply.title) - 1 if reply.title else TEXT_LIMIT
    assert room > 0
    if reply.media is None:
        pieces = split_text(text, room)
        assert pieces and all(0 < len(p) <= room for p in pieces)
    else:
        assert len(text) <= CAPTION_LIMIT, "a caption Telegram would cut"
    assert all(0 < len(piece) <= ZALO_LIMIT for piece in render(reply, ZALO_NOTES))
    for choice in reply.choices:
        assert 1 <= len(choice.id.encode()) <= CALLBACK_LIMIT, choice.id
        assert choice.label.strip(), f"a button without a label: {choice.id}"


class Failures(logging.Handler):
    """Collects the errors logged while the router handles events."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# Staff-only state, and who else's rows must not move. Each query returns (key, row) pairs;
# `mine` says which keys belong to the actor (their own rows may change: their answers,
# their session, their /dung cancelling their own pending broadcasts).
TABLES = {
    "feedback": "SELECT id, status, assignee_id, transferred_to, last_answer, escalated,"
    " resolved_at, rating, rating_comment, anonymous, description FROM feedback",
    "feedback_events": "SELECT * FROM feedback_events",
    "consultations": "SELECT * FROM consultations",
    "consultation_answers": "SELECT * FROM consultation_answers",
    "dialogues": "SELECT * FROM dialogues",
    "dialogue_questions": "SELECT * FROM dialogue_questions",
    "broadcasts": "SELECT * FROM broadcasts",
    "publications": "SELECT * FROM publications",
    "publication_files": "SELECT id, publication_id, uploader, kind, filename, size"
    " FROM publication_files",
    "outbox": "SELECT * FROM outbox WHERE kind IN ('broadcast', 'campaign')",
    "staff": "SELECT * FROM staff",
    "supervision_remarks": "SELECT * FROM supervision_remarks",
    "residents": "SELECT * FROM residents",
    "sessions": "SELECT * FROM sessions",
}


async def snapshot(store: Storage) -> dict[str, list[dict]]:
    return {
        table: [dict(row) for row in await store.db.fetchall(sql)] for table, sql in TABLES.items()
    }


async def actor_ids(store: Storage, caller: Caller) -> tuple[set[int], int | None]:
    resident = await store.residents.get_by_identity(CHANNEL, caller.user_id)
    staff = await store.staff.get_by_identity(CHANNEL, caller.user_id)
    return ({resident.id} if resident else set()), (staff.id if staff else None)


def assert_no_escape(
    before: dict, after: dict, caller: Caller, residents: set[int], staff_id: int | None
) -> None:
    """Nothing that only officials may change has changed, whatever the caller did."""

    def keyed(rows, key="id"):
        return {row[key]: row for row in rows}

    for table in ("consultations", "dialogues", "broadcasts", "publications",
                  "publication_files", "staff"):  # fmt: skip
        assert after[table] == before[table], f"{caller.name} changed {table}"

    old, new = keyed(before["feedback"]), keyed(after["feedback"])
    for item_id, row in old.items():
        assert new.get(item_id) == row, f"{caller.name} changed feedback {item_id}"
    for item_id in new.keys() - old.keys():
        assert new[item_id]["status"] == "new" and new[item_id]["assignee_id"] is None

    events_before = keyed(before["feedback_events"])
    for event in after["feedback_events"]:
        if event["id"] in events_before:
            assert event == events_before[event["id"]]
        else:
            assert event["actor"] == "resident" and event["action"] == "submit", event

    def others_unchanged(table: str, owner: str, mine: set) -> None:
        rows_after = {tuple(sorted(r.items())) for r in after[table] if r[owner] not in mine}
        rows_before = {tuple(sorted(r.items())) for r in before[table] if r[owner] not in mine}
        assert rows_after == rows_before, f"{caller.name} changed someone else's {table}"

    others_unchanged("consultation_answers", "resident_id", residents)
    others_unchanged("dialogue_questions", "resident_id", residents)
    others_unchanged("residents", "id", residents)
    others_unchanged("sessions", "user_id", {caller.user_id})
    for question in after["dialogue_questions"]:
        if question["resident_id"] in residents:
            assert question["answer"] is None

    outbox_before = keyed(before["outbox"])
    for row in after["outbox"]:
        assert row["id"] in outbox_before, f"{caller.name} queued a {row['kind']}"
        # Their own /dung may cancel their own rows, and /xoadulieu also unlinks them from
        # those rows: whose a row is, is read from before.
        if outbox_before[row["id"]]["resident_id"] not in residents:
            assert row == outbox_before[row["id"]]

    remarks_before = keyed(before["supervision_remarks"])
    for remark in after["supervision_remarks"]:
        if remark["id"] in remarks_before:
            assert remark == remarks_before[remark["id"]]
        else:
            assert staff_id is not None and remark["staff_id"] == staff_id


# --- the harness ---------------------------------------------------------------------------


@dataclass
class Env:
    loop: asyncio.AbstractEventLoop
    store: Storage
    desk: Desk
    town: Town
    ids: list[str]
    failures: Failures
    db_path: str

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def play(self, caller: Caller, sequence: list[tuple], *, digest: bool = True) -> None:
        """Send the events one by one, checking every reply.

        `digest=False` skips what would draw the weekly digest (seconds of matplotlib each
        time; tests/test_digest.py covers it): officials' /baocao and its menu button.
        """
        for event in sequence:
            self.failures.records.clear()
            msg = inbound(caller, event)
            if not digest and (msg.command == "baocao" or msg.choice.startswith("bc:")):
                continue
            replies = await caller.send(msg)  # must not raise
            assert not self.failures.records, [r.getMessage() for r in self.failures.records]
            assert isinstance(replies, list)
            assert replies, f"no answer to {event!r}"
            for reply in replies:
                check_reply(reply, self.db_path)


@pytest.fixture
def env(tmp_path):
    loop = asyncio.new_event_loop()
    failures = Failures()
    router_log = logging.getLogger("bot.router")
    router_log.addHandler(failures)
    db_path = str(tmp_path / "fuzz.db")
    store = loop.run_until_complete(Storage.open(db_path))
    desk = Desk(store, load_commune(None)[0])
    town = loop.run_until_complete(seed_town(desk))
    ids = sorted(
        {str(i) for i in town.items.values()}
        | set(town.codes.values())
        | {str(i) for i in (*town.consultations, town.dialogue, town.question)}
        | {str(town.broadcast), str(town.publication), *map(str, town.staff_ids)}
        | {f"{town.consultations[0]}:0", f"{town.consultations[1]}:1", f"{town.items['new']}:9"}
        | {f"acknowledge:{town.items['new']}", f"resolve:{town.items['new']}"}
        | {f"reject:{town.items['anonymous']}", f"note:{town.items['resolved']}"}
        | {town.hoa.user_id, town.official.user_id, "-1", "-999999"}
    )
    try:
        yield Env(loop, store, desk, town, ids, failures, db_path)
    finally:
        router_log.removeHandler(failures)
        loop.run_until_complete(store.close())
        loop.close()


FUZZ = settings(
    max_examples=70,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
OUTSIDERS = ("resident", "stranger", "hamlet_head", "supervisor")


@FUZZ
@given(data=st.data())
def test_no_failure_no_leak_no_role_escape_for_residents_and_boards(env, data):
    town = env.town
    who = data.draw(st.sampled_from(OUTSIDERS), label="who")
    sequence = data.draw(st.lists(events(env.ids), min_size=1, max_size=10), label="events")
    name = data.draw(st.one_of(short_text, st.text(CHARS, max_size=300).filter(_clean)))
    caller = {
        "resident": town.lan,
        "stranger": env.desk.person(name),  # a display name is whatever the app allows
        "hamlet_head": town.hamlet_head,
        "supervisor": town.supervisor,
    }[who]

    async def go():
        before = await snapshot(env.store)
        residents, staff_id = await actor_ids(env.store, caller)
        await env.play(caller, sequence)
        more, _ = await actor_ids(env.store, caller)
        after = await snapshot(env.store)
        assert_no_escape(before, after, caller, residents | more, staff_id)

    env.run(go())


@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_no_failure_and_no_leak_for_officials(env, data):
    who = data.draw(st.sampled_from((Role.OFFICIAL, Role.LEADER, Role.ADMIN)), label="who")
    sequence = data.draw(st.lists(events(env.ids), min_size=1, max_size=10), label="events")
    env.run(env.play(env.town.staff_by_role()[who], sequence, digest=False))


@settings(FUZZ, max_examples=80)
@given(data=st.data())
def test_forged_presses_on_every_flow_from_every_role(env, data):
    """Every flow key and action with the town's real ids and odd arguments, from anyone."""
    town = env.town
    who = data.draw(st.sampled_from((*OUTSIDERS, "official", "leader", "admin")))
    caller = {
        "resident": town.lan,
        "stranger": env.desk.person("Người lạ"),
        **{role.value: person for role, person in town.staff_by_role().items()},
    }[who]
    segment = st.one_of(st.sampled_from(env.ids), st.sampled_from(NUMBERS + SQLISH + WORDS))
    presses = data.draw(
        st.lists(
            st.builds(
                lambda pair, args: ":".join([pair, *args]),
                st.sampled_from(REAL),
                st.lists(segment, max_size=2),
            ),
            min_size=1,
            max_size=12,
        )
    )

    async def go():
        before = await snapshot(env.store)
        residents, staff_id = await actor_ids(env.store, caller)
        await env.play(caller, [("choice", p) for p in presses], digest=who in OUTSIDERS)
        more, _ = await actor_ids(env.store, caller)
        if who in OUTSIDERS:
            assert_no_escape(before, await snapshot(env.store), caller, residents | more, staff_id)

    env.run(go())


def test_every_real_action_with_odd_arguments_from_four_roles(env):
    """Not sampled: each flow action with each argument that once broke a step."""
    town = env.town
    odd = ("²", "9" * 19, "-1", "' OR 1=1 --", "", f"1:²:{'9' * 30}")
    presses = [("choice", f"{pair}:{arg}" if arg else pair) for pair in REAL for arg in odd]

    async def go():
        for caller in (town.lan, env.desk.person("Người lạ"), town.supervisor):
            before = await snapshot(env.store)
            residents, staff_id = await actor_ids(env.store, caller)
            await env.play(caller, presses)
            more, _ = await actor_ids(env.store, caller)
            after = await snapshot(env.store)
            assert_no_escape(before, after, caller, residents | more, staff_id)
        await env.play(town.official, presses, digest=False)

    env.run(go())


def test_odd_digits_typed_at_a_list_of_buttons_are_not_numbers(env):
    """A typed answer is read against the buttons shown; "²" or 5,000 nines press nothing."""
    lan = env.town.lan

    async def go():
        await lan.says("/phananh")
        for typed in ("²", "١٢", "𝟗", "9" * 5000, "０", "99"):
            await env.play(lan, [("text", typed)])
            assert "pa:kind:petition" in [c.id for c in lan.heard[-1].choices]  # still offered
            session = await env.store.sessions.get(lan.inbound(Kind.TEXT).key, utcnow())
            assert (session.flow, session.step) == ("pa", "pa.kind")
        await env.play(lan, [("text", "1")])  # the first button, typed as its number
        assert (await env.store.sessions.get(lan.inbound(Kind.TEXT).key, utcnow())).step == (
            "pa.category"
        )

    env.run(go())
