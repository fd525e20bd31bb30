"""What every flow is made of: a Flow table of steps, and the Context a step works with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.actions import permissions
from bot.i18n import Translator
from bot.messages import Choice, Inbound, Kind, Reply
from storage.models import Role, Staff

if TYPE_CHECKING:
    from bot.config import Commune
    from storage import Storage
    from storage.models import Resident

CALLBACK_LIMIT = 64  # bytes: Telegram's limit for callback_data

Step = Callable[["Context"], Awaitable[str | None]]

EVERYONE = frozenset(Role)
STAFF = frozenset(Role) - {Role.RESIDENT}


@dataclass(frozen=True)
class Flow:
    """A conversation: its button namespace, who may use it, its entry and its step table.

    `start` runs on the flow's command or menu button and returns the first state.
    `steps` maps a state to the step that handles the next message in that state.
    `stateless` maps a button action to a step that needs no stored state (e.g. consent,
    which must work before anything about the person is stored).
    A step returns the next state, or None when the flow is over.
    `buttons_only` lists the states that wait for a button: text typed there that matches
    none of the buttons never reaches the step (the router says what is expected).
    """

    key: str
    roles: frozenset[Role]
    start: Step
    steps: Mapping[str, Step] = field(default_factory=dict)
    stateless: Mapping[str, Step] = field(default_factory=dict)
    commands: tuple[str, ...] = ()
    menu: str | None = None  # catalog key of the main-menu label
    menu_order: int = 100
    needs_registration: bool = True
    buttons_only: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Person:
    """Who sent a message, as far as the bot knows."""

    role: Role
    resident: Resident | None = None
    staff: Staff | None = None

    @property
    def registered(self) -> bool:
        return self.staff is not None or self.resident is not None

    @property
    def is_official(self) -> bool:
        """An official, leader or admin on the staff list: may act, not only read."""
        return permissions.is_official(self.staff)


@dataclass
class Context:
    """Everything one step may use, and what it answers."""

    msg: Inbound
    person: Person
    store: Storage
    commune: Commune
    t: Translator
    now: datetime
    draft: dict[str, Any] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    show_menu: bool = False
    switch_to: str | None = None  # start this flow (role-checked) once the step is done
    switch_args: str = ""  # ...as if its command had been typed with these arguments
    commands: tuple[str, ...] = ()  # the commands this person's role may use
    console_url: str = ""  # the staff console's base URL: sign-in links, links in staff pushes

    def say(self, key: str, *, choices: tuple[Choice, ...] = (), **values: Any) -> None:
        """Answer with the catalog sentence `key`, optionally with buttons."""
        self.replies.append(Reply(self.t(key, **values), choices=choices))

    def reply(self, text: str, *, choices: tuple[Choice, ...] = ()) -> Reply:
        """Make a reply from text already taken from the catalog."""
        return Reply(text, choices=choices)

    @property
    def pressed(self) -> bool:
        """Tell whether this step answers a button press (its answer may replace the
        message the button was on: Reply.replaces)."""
        return self.msg.kind is Kind.CHOICE

    def typed(self, limits: tuple[int, int], again: str) -> str | None:
        """Return the text typed, stripped, if its length is within `limits` (min, max);
        else answer why, then `again` (given min and max), and return None."""
        low, high = limits
        text = self.msg.text.strip() if self.msg.kind is Kind.TEXT else ""
        if low <= len(text) <= high:
            return text
        why = "again.not_text" if not text else "again.too_short" if len(text) < low else None
        self.say_again(why or "again.too_long", again, length=len(text), min=low, max=high)
        return None

    def say_again(
        self, why: str, ask: str, *, choices: tuple[Choice, ...] = (), **values: Any
    ) -> None:
        """Ask `ask` again in one message, after the sentence `why` that says what was wrong."""
        text = f"{self.t(why, **values)}\n{self.t(ask, **values)}"
        self.replies.append(Reply(text, choices=choices))

    def button(self, data: str, label_key: str, **values: Any) -> Choice:
        """Make a button whose label comes from the catalog."""
        return make_choice(data, self.t(label_key, **values))

    @property
    def action(self) -> str:
        """The action part of a pressed button ("onb:hamlet:3" -> "hamlet")."""
        parts = self.msg.choice.split(":")
        return parts[1] if self.msg.kind is Kind.CHOICE and len(parts) > 1 else ""

    @property
    def arg(self) -> str:
        """The argument part of a pressed button ("onb:hamlet:3" -> "3")."""
        parts = self.msg.choice.split(":", 2)
        return parts[2] if self.msg.kind is Kind.CHOICE and len(parts) > 2 else ""


def number(text: str) -> int | None:
    """Read an index, a page or a row id from button data; None unless it is one.

    `str.isdigit()` alone lets through "²" (which int() refuses) and numbers too big for
    SQLite's 64-bit integers (OverflowError when bound): forged data must never reach them.
    """
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def make_choice(data: str, label: str) -> Choice:
    """Make a button, refusing data that Telegram would reject."""
    if not 1 <= len(data.encode()) <= CALLBACK_LIMIT:
        raise ValueError(f"button data must be 1-{CALLBACK_LIMIT} bytes: {data!r}")
    return Choice(data, label)
