"""What the chat inbox's channel-neutral text builders (handlers/inbox_view.py,
handlers/supervision.py) need from a step's Context, made from a console visit, so the
console shows an item in the same words as the chat card instead of a copy of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.i18n import Translator
from handlers.base import Person

if TYPE_CHECKING:
    from bot.config import Commune
    from bot.web.console import Visit
    from storage import Storage


@dataclass
class Reading:
    """The part of handlers.base.Context that reading an item uses."""

    person: Person
    store: Storage
    commune: Commune
    t: Translator
    now: datetime
    draft: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.commune.zone).date()


def reading(visit: Visit) -> Reading:
    """Make the reading context of a signed-in visit."""
    assert visit.session is not None
    staff = visit.session.staff
    person = Person(staff.role, None, staff)
    return Reading(person, visit.store, visit.console.commune, visit.t, visit.now)
