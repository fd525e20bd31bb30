"""The feedback status machine, alone and played against a real SQLite FeedbackRepo.

Property: whatever sequence of actions staff and residents try, an item only ever takes
allowed moves, each accepted action adds exactly one history entry, history never shrinks
or changes, and refused moves (not allowed, or on a status that is no longer current)
change nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.feedback_status import (
    CLOSED,
    NEEDS_TEXT,
    OPEN,
    STAFF_ACTIONS,
    Action,
    InvalidMove,
    Status,
    allowed,
    next_status,
    staff_actions_for,
)
from storage import Storage
from storage.feedback import FeedbackItem, NewFeedback, StaleItem

RESIDENT_ACTIONS = frozenset({Action.REOPEN, Action.CONFIRM})
ANSWERS = frozenset({Action.ANSWER, Action.RESOLVE, Action.TRANSFER, Action.REJECT})
NEW = NewFeedback(
    channel="telegram",
    kind="petition",
    category="moi-truong",
    description="Bãi rác tự phát cạnh đường liên xóm",
    deadline=date(2027, 2, 16),
)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(Status))
def test_allowed_and_next_status_agree(action, status):
    if allowed(action, status):
        assert next_status(action, status) in Status
    else:
        with pytest.raises(InvalidMove):
            next_status(action, status)


def test_closed_items_only_take_notes_and_remarks_except_reopening_a_resolved_one():
    for status in CLOSED:
        moves = {a for a in Action if allowed(a, status) and next_status(a, status) != status}
        assert moves == ({Action.REOPEN} if status is Status.RESOLVED else set())
        assert staff_actions_for(status) == [Action.NOTE]


def test_every_open_status_offers_every_staff_action_but_acknowledge_only_when_fresh():
    for status in OPEN:
        expected = [a for a in STAFF_ACTIONS if a is not Action.ACKNOWLEDGE]
        if status in (Status.NEW, Status.REOPENED):
            expected.insert(0, Action.ACKNOWLEDGE)
        assert staff_actions_for(status) == expected


async def _try(store: Storage, item: FeedbackItem, action: Action, n: int) -> FeedbackItem:
    """Attempt one action the way the handlers do; check what the repository did."""
    repo = store.feedback
    before = await repo.events(item.id, include_internal=True)
    status = Status(item.status)
    text = f"text {n}" if action in NEEDS_TEXT else None
    if not allowed(action, status):
        with pytest.raises(InvalidMove):
            next_status(action, status)
        assert await repo.get(item.id) == item
        return item
    # The same move from a status the item is no longer in is refused and changes nothing.
    stale = next(s for s in Status if s != status)
    with pytest.raises(StaleItem):
        await repo.apply(
            item.id, action=action, expect_status=stale, to_status=next_status(action, status),
            actor="staff", text=text,
        )  # fmt: skip
    assert await repo.get(item.id) == item
    after = await repo.apply(
        item.id,
        action=action,
        expect_status=status,
        to_status=next_status(action, status),
        actor="resident" if action in RESIDENT_ACTIONS else "staff",
        staff_id=None,
        staff_name=None if action in RESIDENT_ACTIONS else "Cán bộ Hà",
        text=text,
        internal=action is Action.NOTE,
        transferred_to=text if action is Action.TRANSFER else None,
    )
    events = await repo.events(item.id, include_internal=True)
    assert len(events) == len(before) + 1
    assert events[: len(before)] == before
    last = events[-1]
    assert (last.action, last.from_status, last.to_status) == (action, status, after.status)
    assert after.status == next_status(action, status)
    return after


async def _check_invariants(store: Storage, item: FeedbackItem) -> None:
    events = await store.feedback.events(item.id, include_internal=True)
    assert Status(item.status) in Status
    assert events[0].action == "submit"
    moves = [e for e in events if e.to_status is not None]
    assert item.status == moves[-1].to_status
    for earlier, later in itertools.pairwise(moves):
        assert later.from_status == earlier.to_status  # no gap, no jump
    ever_resolved = any(e.to_status == Status.RESOLVED for e in events)
    assert (item.resolved_at is not None) == ever_resolved
    answers = [e.text for e in events if e.action in ANSWERS and not e.internal]
    assert item.last_answer == (answers[-1] if answers else None)
    notes = [e for e in events if e.action == Action.NOTE]
    assert all(e.internal for e in notes)
    public = await store.feedback.events(item.id, include_internal=False)
    assert public == [e for e in events if not e.internal]


async def _play(actions: list[Action]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = await Storage.open(Path(folder) / "loaxa.db")
        try:
            item = await store.feedback.create(NEW)
            accepted = 0
            for n, action in enumerate(actions):
                accepted += allowed(action, Status(item.status))
                item = await _try(store, item, action, n)
                await _check_invariants(store, item)
            assert await store.feedback.count_events(item.id) == 1 + accepted
        finally:
            await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list(Action)), max_size=14))
def test_random_action_sequences_never_reach_an_invalid_state_or_lose_history(actions):
    asyncio.run(_play(actions))
