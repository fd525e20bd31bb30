"""The core entry point: who is this, which flow, is it allowed, then one step of it."""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.config import Commune
from bot.conversation import is_greeting, typed_command
from bot.i18n import translator
from bot.messages import Choice, Inbound, Kind, Reply
from bot.recent import RecentEvents
from bot.text import fold, match_choice
from handlers import FLOWS
from handlers.base import Context, Flow, Person, make_choice
from storage import Storage, is_transient
from storage.db import utcnow
from storage.models import ResidentStatus, Role, Session, SessionKey

log = logging.getLogger(__name__)

ONBOARDING = "onb"
QUESTION = "hoi"  # a sentence typed at the main menu, offered to the commune as a question
CANCEL_COMMAND = "huy"
FLOOD_WINDOW = 10.0  # seconds; Router(flood_limit=N) is how many messages per window
MAX_WAITING = 4  # messages from one person queued behind their own lock
STOP_COMMAND = "dung"
STOP_COMMANDS = frozenset({"dung", "stop"})  # /dung, /stop
# Typed alone, any case, punctuation ignored. Diacritics are kept on purpose: without them
# "dung" is also "đúng" ("right"), which people type as an answer.
STOP_WORDS = frozenset({"dừng", "stop"})


class Router:
    """Turns one Inbound into the replies for it, enforcing roles on every action."""

    def __init__(
        self,
        store: Storage,
        commune: Commune,
        flows: Iterable[Flow] = FLOWS,
        clock: Callable[[], datetime] = utcnow,
        flood_limit: int = 20,
        console_url: str = "",
    ) -> None:
        self.store = store
        self.commune = commune
        self.console_url = console_url  # the console's base URL (the app sets it once it listens)
        self.clock = clock
        self.flood_limit = flood_limit
        self.flows = {flow.key: flow for flow in flows}
        self.commands = {cmd: flow for flow in self.flows.values() for cmd in flow.commands}
        self._locks: dict[SessionKey, asyncio.Lock] = {}
        self._waiting: dict[SessionKey, int] = {}
        self._recent = RecentEvents(FLOOD_WINDOW)
        self._warned: dict[SessionKey, float] = {}
        self.errors = 0  # updates whose handling raised (answered with a plain sentence)

    def commands_for(self, role: Role) -> list[str]:
        """List the commands a role may use, in menu order."""
        flows = sorted(self.flows.values(), key=lambda f: f.menu_order)
        return [cmd for f in flows if role in f.roles for cmd in f.commands]

    async def handle(self, msg: Inbound) -> list[Reply]:
        """Handle one message under its conversation's lock; never raise to the channel."""
        key = msg.key
        flooding = self._flooding(key)
        if flooding is not None:
            t = translator(None, self.commune.address)
            return [Reply(t("error.flood"))] if flooding else []
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:  # taken before the session is loaded: double taps queue here
                return await self._handle_safely(msg)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    def _flooding(self, key: SessionKey) -> bool | None:
        """Return None to go on, True to warn once, False to drop silently.

        Checked before the lock, so one person's flood never holds the slots that
        everyone else's messages are handled in.
        """
        now = time.monotonic()
        recent = self._recent.of(key, now)
        recent.append(now)
        if len(self._warned) > 10_000:  # forget quiet people now and then
            self._warned = {k: t for k, t in self._warned.items() if now - t <= FLOOD_WINDOW}
        over = len(recent) > self.flood_limit or self._waiting.get(key, 0) >= MAX_WAITING
        if not over:
            return None
        log.warning("flood from one %s user: dropping a message", key.channel)
        if now - self._warned.get(key, -FLOOD_WINDOW) < FLOOD_WINDOW:
            return False
        self._warned[key] = now
        return True

    async def _handle_safely(self, msg: Inbound) -> list[Reply]:
        try:
            return await self._handle(msg)
        except Exception as exc:
            self.errors += 1
            log.exception("failed to handle a %s message on %s", msg.kind, msg.channel)
            t = translator(None, self.commune.address)
            return [Reply(t("error.busy" if is_transient(exc) else "error.generic"))]

    async def identify(self, channel: str, user_id: str) -> Person:
        """Return who a channel user is: staff first, then resident, else a newcomer."""
        staff = await self.store.staff.get_by_identity(channel, user_id)
        resident = await self.store.residents.get_by_identity(channel, user_id)
        if resident is not None and resident.status is ResidentStatus.BLOCKED:
            await self.store.residents.set_status(resident.id, ResidentStatus.ACTIVE)
        role = staff.role if staff else Role.RESIDENT
        return Person(role, resident, staff)

    async def _handle(self, msg: Inbound) -> list[Reply]:
        now = self.clock()
        person = await self.identify(msg.channel, msg.user_id)
        language = person.resident.language if person.resident else self.commune.language
        t = translator(language, self.commune.address)
        ctx = Context(msg, person, self.store, self.commune, t, now)
        ctx.commands = tuple(self.commands_for(person.role))
        ctx.console_url = self.console_url
        if msg.kind is Kind.EDITED:
            ctx.say("error.edited")
            return ctx.replies
        session = await self.store.sessions.get(msg.key, now)
        if _asks_to_stop(msg) and STOP_COMMAND in self.commands:
            await self._stop(ctx, session)
            return self._finish(ctx)
        msg = ctx.msg = self._typed_choice(msg, session)
        if msg.kind is Kind.COMMAND:
            await self._on_command(ctx, session)
        elif msg.kind is Kind.CHOICE:
            await self._on_choice(ctx, session)
        elif session is not None:
            await self._continue(ctx, session)
        elif not person.registered:
            ctx.msg = self._typed_link(ctx)  # "danh gia mot-cua" from a desk poster
            await self._start(ctx, self.flows[ONBOARDING], None)
        else:
            await self._outside_flow(ctx)
        return self._finish(ctx)

    async def _stop(self, ctx: Context, session: Session | None) -> None:
        """Stop pushes at any point; a flow in progress is kept (only /huy cancels it)."""
        flow = self.commands[STOP_COMMAND]
        if not self._allowed(flow, ctx.person):
            self._refuse(ctx)
            return
        await self._run(ctx, flow, flow.start, None)  # None: the session in progress stays
        if session is not None:
            ctx.say("outreach.stop_flow_kept")

    def _typed_choice(self, msg: Inbound, session: Session | None) -> Inbound:
        """Read a typed number or label as a press of one of the buttons last shown."""
        offered = session.draft.get("_choices") if session else None
        if msg.kind is not Kind.TEXT or not offered:
            return msg
        index = match_choice(msg.text, [label for _, label in offered])
        return msg if index is None else replace(msg, kind=Kind.CHOICE, choice=offered[index][0])

    async def _on_command(self, ctx: Context, session: Session | None) -> None:
        flow = self.commands.get(ctx.msg.command)
        if flow is None:
            ctx.say("error.unknown_command", command=ctx.msg.command[:32])
            ctx.show_menu = ctx.person.registered
        elif not self._allowed(flow, ctx.person):
            self._refuse(ctx)
        else:
            await self._start(ctx, flow, session)

    async def _on_choice(self, ctx: Context, session: Session | None) -> None:
        flow_key, _, rest = ctx.msg.choice.partition(":")
        action = rest.split(":", 1)[0]
        flow = self.flows.get(flow_key)
        if flow is None or not action:
            self._stale(ctx)
        elif not self._allowed(flow, ctx.person):
            self._refuse(ctx)
        elif action == "start":
            await self._start(ctx, flow, session)
        elif action in flow.stateless:
            await self._run(ctx, flow, flow.stateless[action], session)
        elif session is not None and session.flow == flow.key and self._offered(session, ctx):
            await self._continue(ctx, session)
        else:
            self._stale(ctx)

    @staticmethod
    def _offered(session: Session, ctx: Context) -> bool:
        return any(data == ctx.msg.choice for data, _ in session.draft.get("_choices", ()))

    async def _continue(self, ctx: Context, session: Session) -> None:
        flow = self.flows.get(session.flow)
        step = flow.steps.get(session.step) if flow else None
        if flow is None or step is None:
            log.warning("dropping a session in unknown state %s/%s", session.flow, session.step)
            await self.store.sessions.delete(session.key)
            await self._outside_flow(ctx)
        elif not self._allowed(flow, ctx.person):
            await self.store.sessions.delete(session.key)
            self._refuse(ctx)
        elif ctx.msg.kind is Kind.TEXT and await self._typed_in_flow(ctx, flow, session):
            return
        else:
            ctx.draft = dict(session.draft)
            await self._run(ctx, flow, step, session)

    async def _typed_in_flow(self, ctx: Context, flow: Flow, session: Session) -> bool:
        """Answer text that is not the step's: a cancel word, or text where a button is awaited.

        "hủy" (with its diacritics) cancels at any step; "huy" only where a button is awaited,
        since elsewhere it may be an answer (a name). Elsewhere a button is awaited, the first
        stray text hears what the step expects and how to leave it, later ones the short form.
        """
        waits = session.step in flow.buttons_only and session.draft.get("_choices")
        typed = typed_command(ctx.msg.text, ctx.t.language)
        if typed and typed.command == CANCEL_COMMAND and (typed.exact or waits):
            ctx.msg = replace(ctx.msg, kind=Kind.COMMAND, command=CANCEL_COMMAND, args="")
            await self._on_command(ctx, session)
            return True
        if not waits:
            return False
        offered = tuple(Choice(data, label) for data, label in session.draft["_choices"])
        again = session.draft.get("_nudged") == session.step
        ctx.say("convo.expects_button_short" if again else "convo.expects_button", choices=offered)
        draft = {**session.draft, "_nudged": session.step}
        expires = ctx.now + timedelta(minutes=self.commune.session_minutes)
        await self.store.sessions.save(replace(session, draft=draft), expires)
        return True

    async def _start(self, ctx: Context, flow: Flow, session: Session | None) -> None:
        if flow.needs_registration and not ctx.person.registered:
            flow = self.flows[ONBOARDING]
        ctx.draft = {}
        await self._run(ctx, flow, flow.start, session)

    async def _run(self, ctx: Context, flow: Flow, step, session: Session | None) -> None:
        """Run one step and store where the conversation now stands, before anyone is told."""
        next_state = await step(ctx)
        key = ctx.msg.key
        if next_state is None:
            # Only the flow that owns the conversation ends it: /help, /menu or a button of
            # another flow answered in passing leave a half-written feedback where it was.
            if session is not None and session.flow == flow.key:
                await self.store.sessions.delete(key)
        else:
            offered = next((r.choices for r in reversed(ctx.replies) if r.choices), ())
            ctx.draft["_choices"] = [(c.id, c.label) for c in offered]
            expires = ctx.now + timedelta(minutes=self.commune.session_minutes)
            await self.store.sessions.save(Session(key, flow.key, next_state, ctx.draft), expires)
        if ctx.switch_to:
            target, ctx.switch_to = self.flows.get(ctx.switch_to), None
            if target is not None and self._allowed(target, ctx.person):
                args, ctx.switch_args = ctx.switch_args, ""
                ctx.msg = replace(ctx.msg, kind=Kind.COMMAND, command=target.key, args=args)
                await self._start(ctx, target, None)
            else:
                ctx.show_menu = True

    async def _outside_flow(self, ctx: Context) -> None:
        """Answer a message that belongs to no flow: words for a command, a menu label, a
        greeting (the menu), a sentence (kept and offered as a question), else a hint."""
        text = ctx.msg.text.strip() if ctx.msg.kind is Kind.TEXT else ""
        typed = typed_command(text, ctx.t.language) if text else None
        if typed is not None and typed.command in self.commands:
            if typed.command == STOP_COMMAND and not typed.exact:  # "dung" may be "đúng"
                self._offer_stop(ctx)
                return
            ctx.msg = replace(ctx.msg, kind=Kind.COMMAND, command=typed.command, args=typed.args)
            await self._on_command(ctx, None)
            return
        entries = self._menu_flows(ctx.person.role)
        index = match_choice(text, [ctx.t(f.menu) for f in entries]) if text else None
        question = self.flows.get(QUESTION)
        if index is not None:
            await self._start(ctx, entries[index], None)
        elif text and is_greeting(text, ctx.t.language):
            ctx.show_menu = True
        elif (
            question is not None
            and self._allowed(question, ctx.person)
            and _sentence(text, self.commune.feedback.min_length, self.commune.feedback.max_length)
        ):
            await self._start(ctx, question, None)
        else:
            ctx.say("error.outside_flow" if ctx.msg.kind is Kind.TEXT else "error.unsupported")
            ctx.show_menu = True

    def _typed_link(self, ctx: Context) -> Inbound:
        """Read a newcomer's typed words with an argument ("danh gia mot-cua", the code on a
        desk's Zalo poster) as the deep link `/start rate_mot-cua`, kept through onboarding."""
        typed = typed_command(ctx.msg.text, ctx.t.language) if ctx.msg.kind is Kind.TEXT else None
        flow = self.commands.get(typed.command) if typed and typed.args else None
        if flow is None:
            return ctx.msg
        payload = f"{flow.key}_{typed.args}"
        return replace(ctx.msg, kind=Kind.COMMAND, command="start", args=payload)

    @staticmethod
    def _offer_stop(ctx: Context) -> None:
        """Ask before stopping: "dung" typed without diacritics may also be "đúng" (right)."""
        ctx.say("convo.stop_offer", choices=(
            ctx.button(f"{STOP_COMMAND}:start", "convo.stop_yes"),
            ctx.button("menu:start", "convo.stop_no"),
        ))  # fmt: skip

    def _menu_flows(self, role: Role) -> list[Flow]:
        flows = [f for f in self.flows.values() if f.menu and role in f.roles]
        return sorted(flows, key=lambda f: f.menu_order)

    def menu(self, ctx: Context) -> Reply:
        """Return the main menu for the person's role."""
        choices = tuple(
            make_choice(f"{f.key}:start", ctx.t(f.menu)) for f in self._menu_flows(ctx.person.role)
        )
        return Reply(ctx.t("menu.title"), choices=choices)

    def _finish(self, ctx: Context) -> list[Reply]:
        if ctx.show_menu and ctx.person.registered:
            ctx.replies.append(self.menu(ctx))
        return ctx.replies

    @staticmethod
    def _allowed(flow: Flow, person: Person) -> bool:
        return person.role in flow.roles

    @staticmethod
    def _refuse(ctx: Context) -> None:
        log.warning("refused a %s action by role %s", ctx.msg.kind, ctx.person.role)
        ctx.say("error.not_allowed")
        ctx.show_menu = ctx.person.registered

    @staticmethod
    def _stale(ctx: Context) -> None:
        ctx.say("error.stale_button")
        ctx.show_menu = ctx.person.registered


def _asks_to_stop(msg: Inbound) -> bool:
    """Tell whether a message asks to stop all pushes: /dung, /stop, or the word typed alone."""
    if msg.kind is Kind.COMMAND:
        return msg.command in STOP_COMMANDS
    word = unicodedata.normalize("NFC", msg.text).casefold().strip(" .!?,;:\n\t")
    return msg.kind is Kind.TEXT and word in STOP_WORDS


def _sentence(text: str, low: int, high: int) -> bool:
    """Tell whether typed text looks like something said: long enough, three words or more."""
    words = [word for word in fold(text).split() if any(c.isalpha() for c in word)]
    return low <= len(text) <= high and len(words) >= 3
