"""The life of a feedback item: which action is allowed in which status, and where it leads.

Pure rules, no I/O: the repository applies them and the tests explore them exhaustively.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    TRANSFERRED = "transferred"
    REJECTED = "rejected"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    ANSWER = "answer"
    NOTE = "note"
    RESOLVE = "resolve"
    TRANSFER = "transfer"
    REJECT = "reject"
    REOPEN = "reopen"  # by the resident: "not solved"
    CONFIRM = "confirm"  # by the resident: "solved", with a rating
    REMARK = "remark"  # by a supervision board member


OPEN = frozenset(
    {Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.ANSWERED, Status.REOPENED}
)
CLOSED = frozenset(Status) - OPEN

# Actions that need a text from the staff member (answer, reason, agency, note).
NEEDS_TEXT = frozenset(
    {Action.ANSWER, Action.NOTE, Action.RESOLVE, Action.TRANSFER, Action.REJECT, Action.REMARK}
)
# Actions the resident is told about.
NOTIFIES_RESIDENT = frozenset(
    {
        Action.ACKNOWLEDGE,
        Action.ASSIGN,
        Action.ANSWER,
        Action.RESOLVE,
        Action.TRANSFER,
        Action.REJECT,
    }
)
STAFF_ACTIONS = (
    Action.ACKNOWLEDGE,
    Action.ASSIGN,
    Action.ANSWER,
    Action.NOTE,
    Action.RESOLVE,
    Action.TRANSFER,
    Action.REJECT,
)

_MOVES: dict[Action, dict[Status, Status]] = {
    Action.ACKNOWLEDGE: {Status.NEW: Status.ACKNOWLEDGED, Status.REOPENED: Status.ACKNOWLEDGED},
    Action.ASSIGN: {s: Status.IN_PROGRESS for s in OPEN},
    Action.ANSWER: {s: Status.ANSWERED for s in OPEN},
    Action.NOTE: {s: s for s in Status},
    Action.REMARK: {s: s for s in Status},
    Action.RESOLVE: {s: Status.RESOLVED for s in OPEN},
    Action.TRANSFER: {s: Status.TRANSFERRED for s in OPEN},
    Action.REJECT: {s: Status.REJECTED for s in OPEN},
    Action.REOPEN: {Status.RESOLVED: Status.REOPENED},
    Action.CONFIRM: {Status.RESOLVED: Status.RESOLVED},
}


class InvalidMove(ValueError):
    """An action that the item's status does not allow."""


def allowed(action: Action, status: Status) -> bool:
    """Tell whether `action` may be taken on an item in `status`."""
    return status in _MOVES[action]


def next_status(action: Action, status: Status) -> Status:
    """Return the status an action leads to, or raise InvalidMove."""
    try:
        return _MOVES[action][status]
    except KeyError:
        raise InvalidMove(f"{action} is not allowed when the item is {status}") from None


def staff_actions_for(status: Status) -> list[Action]:
    """List the staff actions available on an item in `status`, in menu order."""
    return [a for a in STAFF_ACTIONS if allowed(a, status)]
