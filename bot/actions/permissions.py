"""Who may see and do what: one function per question, for the router, the chat steps and
every web route. Each takes the person's staff record (None for a resident or a stranger),
so the answer never depends on which front asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from storage.models import STAFF_ROLES, Role, Staff

if TYPE_CHECKING:
    from bot.config import Commune

OFFICIALS = frozenset({Role.OFFICIAL, Role.LEADER, Role.ADMIN})
READERS = OFFICIALS | {Role.SUPERVISOR}
SENIORS = frozenset({Role.LEADER, Role.ADMIN})
ASSIGNABLE = frozenset({Role.OFFICIAL, Role.LEADER})  # who an item may be given to


def _role(staff: Staff | None) -> Role | None:
    return staff.role if staff is not None else None


def is_official(staff: Staff | None) -> bool:
    """An official, leader or admin on the staff list: may act, not only read."""
    return _role(staff) in OFFICIALS


def may_use_console(staff: Staff | None) -> bool:
    """The web console is for those who read the inbox: officials and supervisors."""
    return _role(staff) in READERS


def may_read_items(staff: Staff | None) -> bool:
    """Read feedback items and statistics (supervisors read, never change)."""
    return _role(staff) in READERS


def may_act_on_items(staff: Staff | None) -> bool:
    """Acknowledge, assign, answer, note, resolve, transfer, reject."""
    return is_official(staff)


def may_be_assigned(staff: Staff | None) -> bool:
    """Be given an item to handle: officials and leaders (an admin only assigns to self)."""
    return _role(staff) in ASSIGNABLE


def may_acknowledge_remarks(staff: Staff | None) -> bool:
    """Record that the supervision remarks on an item were read: those who act on items."""
    return is_official(staff)


def may_remark(staff: Staff | None) -> bool:
    """Add a supervision remark to an item: members of the people's supervision boards."""
    return _role(staff) is Role.SUPERVISOR


def sees_internal_notes(staff: Staff | None, commune: Commune) -> bool:
    """Officials see internal notes; supervisors only if the commune file allows it."""
    return is_official(staff) or (may_remark(staff) and commune.supervisors_see_internal_notes)


def may_broadcast(staff: Staff | None) -> bool:
    return is_official(staff)


def may_manage_broadcast(staff: Staff | None, author_id: int | None) -> bool:
    """Cancel a scheduled broadcast or read its report: its author, leaders and admins."""
    return staff is not None and (
        (is_official(staff) and staff.id == author_id) or _role(staff) in SENIORS
    )


def may_publish(staff: Staff | None) -> bool:
    return is_official(staff)


def may_consult(staff: Staff | None) -> bool:
    """Open, close and answer consultations and dialogues."""
    return is_official(staff)


def may_read_consultations(staff: Staff | None) -> bool:
    return _role(staff) in READERS


def may_read_reports(staff: Staff | None) -> bool:
    """The digest, the workbook and the period report."""
    return is_official(staff)


def may_review_content(staff: Staff | None) -> bool:
    """Mark library items reviewed: the commune's leaders and admins."""
    return _role(staff) in SENIORS


def may_manage_staff(staff: Staff | None) -> bool:
    return _role(staff) is Role.ADMIN


def roles_where(question: Callable[[Staff | None], bool]) -> frozenset[Role]:
    """The roles for which `question` says yes, for a chat flow's role table."""
    return frozenset(role for role in STAFF_ROLES if question(Staff(0, "", "", "", role, None, "")))
