"""The demo's seeded commune: a few weeks of history, through the real repositories."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest

from bot.webdemo.seed import load_data, seed
from content.pulse import bank as pulse_bank
from handlers.feedback_status import OPEN, Status
from storage import Storage
from storage.db import utcnow
from storage.models import Role

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.fixture
async def seeded(tmp_path, commune):
    store = await Storage.open(tmp_path / "demo.db")
    ids = itertools.count(7_100_000_001)
    result = await seed(store, commune, lambda name: str(next(ids)))
    try:
        yield store, result
    finally:
        await store.close()


async def test_feedback_in_every_status_with_overdue_items(seeded, commune):
    store, result = seeded
    assert set(result.statuses) == {s.value for s in Status}
    today = utcnow().astimezone(commune.zone).date()
    overdue = [i for i in await store.feedback.open_due_by(today) if i.deadline < today]
    assert len(overdue) == result.overdue >= 2
    assert {i.status for i in overdue} <= {s.value for s in OPEN}


async def test_history_spans_weeks_and_is_in_order(seeded):
    store, _ = seeded
    now = utcnow()
    items = await store.feedback.created_between(now - timedelta(days=60), now + timedelta(1))
    assert len(items) == len(load_data()["feedback"])
    assert min(i.created_at for i in items) < now - timedelta(days=21)
    for item in items:
        events = await store.feedback.events(item.id, include_internal=True)
        moments = [e.at for e in events]
        assert moments == sorted(moments) and moments[-1] <= now
        assert moments[0] == item.created_at
        if item.status == Status.RESOLVED:
            assert item.resolved_at is not None and item.resolved_at <= now
    rated = [i for i in items if i.rating is not None]
    assert len(rated) >= 3 and {i.rating for i in rated} >= {2, 5}


async def test_people_live_in_every_hamlet_and_staff_have_roles(seeded, commune):
    store, result = seeded
    counts = await store.residents.count_by_hamlet()
    assert set(commune.hamlets) <= set(counts)
    staff = {s.role for s in await store.staff.list_all()}
    assert {Role.OFFICIAL, Role.LEADER, Role.HAMLET_HEAD} <= staff
    newcomer = result.people[0]
    assert not newcomer.registered
    assert await store.residents.get_by_identity("telegram", newcomer.user_id) is None


async def test_special_cases_are_present(seeded):
    store, _ = seeded
    now = utcnow()
    items = await store.feedback.created_between(now - timedelta(days=60), now + timedelta(1))
    assert any(i.anonymous for i in items)
    assert any(i.on_behalf_of and i.submitted_by for i in items)
    complaints = [i for i in items if i.formal]
    assert complaints and all(i.complainant_name and not i.anonymous for i in complaints)
    assert any(i.latitude is not None for i in items)
    assert [i for i in items if await store.media.count_for_feedback(i.id)]
    reopened = next(i for i in items if i.status == Status.REOPENED)
    assert reopened.escalated
    notes = [
        e
        for i in items
        for e in await store.feedback.events(i.id, include_internal=True)
        if e.internal
    ]
    assert notes


async def test_the_seed_pushes_nothing_and_leaves_room_to_send_today(seeded, commune):
    store, result = seeded
    assert await store.db.fetchval("SELECT COUNT(*) FROM outbox") == 0
    day_ago = utcnow() - timedelta(days=1)
    for person in result.people:
        sent = await store.feedback.count_sent_since("telegram", person.user_id, day_ago)
        assert sent < commune.feedback.max_per_day
        assert (
            await store.feedback.count_open_by_sender("telegram", person.user_id)
            < commune.feedback.max_open_per_resident
        )


async def test_backdate_needs_one_moment_per_event(seeded):
    store, _ = seeded
    with pytest.raises(ValueError):
        await store.feedback.backdate(1, [utcnow()] * 50)


async def test_ratings_library_reads_and_survey_answers_are_recorded(seeded, commune):
    store, result = seeded
    now = utcnow()
    entries = load_data()["ratings"]
    assert result.ratings == len(entries)
    quick = await store.ratings.overall(now - timedelta(days=1), now + timedelta(days=1))
    assert quick.count == len([e for e in entries if e.get("mode") == "quick"])
    reads = 0
    for person in result.people:
        resident = await store.residents.get_by_identity("telegram", person.user_id)
        if resident is not None:
            reads += len(await store.content.items_read(resident.id))
    assert reads == result.reads > 0
    current = pulse_bank().current(now.astimezone(commune.zone).date(), examples=True)
    if current is None:
        assert result.survey_answers == 0
    else:
        assert result.survey_answers >= commune.survey_min_cell
        assert len(await store.surveys.respondents(current.id)) == result.survey_answers


async def test_the_readme_counts_the_residents_the_demo_seeds(tmp_path, commune):
    """18 residents signed up, three in each of the first six hamlets, and a newcomer: with
    a commune file of eight hamlets, two have nobody, as the README says."""
    paragraph = " ".join(README.split())
    assert "18 residents who signed up over the past weeks, three in each of the" in paragraph
    assert "commune file's first six hamlets" in paragraph and "one newcomer" in paragraph
    eight = [f"Thôn {n}" for n in range(1, 9)]
    store = await Storage.open(tmp_path / "eight.db")
    ids = itertools.count(7_200_000_001)
    try:
        result = await seed(
            store, commune.model_copy(update={"hamlets": eight}), lambda _: str(next(ids))
        )
        residents = [p for p in result.people if p.role is Role.RESIDENT]
        assert sum(p.registered for p in residents) == 18
        assert [p.name for p in residents if not p.registered] == [load_data()["newcomer"]["name"]]
        counts = await store.residents.count_by_hamlet()
        assert [counts.get(h, 0) for h in eight] == [3, 3, 3, 3, 3, 3, 0, 0]
    finally:
        await store.close()
