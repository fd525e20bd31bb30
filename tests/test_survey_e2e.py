"""PAPI pulse surveys: a round pushed, answered partly, resumed, completed, closed with results."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

import bot.jobs as jobs_module
import handlers.survey as survey_flow
from bot.config import QuietHours
from bot.i18n import translator
from content.pulse import bank as shipped_bank
from content.pulse import parse
from handlers.pulse_results import compute
from tests.test_onboarding_e2e import onboard

QUESTIONS = """
- id: q-hop
  dimension: 1
  scale: yes_no
  good: "yes"
  text: "Năm nay, {address} có được mời họp xóm không?"
- {id: q-rac, dimension: 7, scale: "1-5", text: "Rác có được thu gom tốt không?"}
- {id: q-tt, dimension: 5, scale: "1-5", text: "Thủ tục có nhanh không?"}
"""


def rounds(
    start: date,
    end: date,
    response: str = "Cảm ơn {address} đã góp ý. Xã sẽ thêm một chuyến thu gom rác mỗi tuần.",
) -> str:
    return f"""
- id: test-round
  title: "Khảo sát thử"
  start: {start.isoformat()}
  end: {end.isoformat()}
  audience: all
  questions: [q-hop, q-rac, q-tt]
  response: "{response}"
"""


@pytest.fixture
def bank(monkeypatch):
    today = datetime.now(UTC).date()
    test_bank = parse(QUESTIONS, rounds(today - timedelta(days=3), today + timedelta(days=3)))
    monkeypatch.setattr(survey_flow, "bank", lambda: test_bank)
    return test_bank


@pytest.fixture
def commune(commune):
    # Quiet hours that never apply, so pushes go out whatever time the tests run.
    return commune.model_copy(update={"quiet_hours": QuietHours(start=time(0, 0), end=time(0, 0))})


async def test_round_reaches_only_residents_who_opted_in(world, bank):
    lan, hoa = world.resident("Lan"), world.resident("Hoa")
    await onboard(lan)
    await hoa.says("/start")
    await hoa.taps("Đồng ý")
    await hoa.taps("Xóm 3")
    await hoa.taps("Chỉ thông báo quan trọng")
    sent = await survey_flow.open_round(
        world.store, world.commune, bank.rounds[0], datetime.now(UTC)
    )
    assert sent == 1
    await world.drain()
    assert lan.last_text().startswith("Xã mời ông/bà trả lời khảo sát “Khảo sát thử”")
    assert not any("khảo sát" in m.text for m in world.emu.messages(hoa.id)[-1:])
    again = await survey_flow.open_round(
        world.store, world.commune, bank.rounds[0], datetime.now(UTC)
    )
    assert again == 0  # the same round is never pushed twice


async def test_answer_partly_resume_after_restart_and_complete(world, bank):
    lan = world.resident("Lan")
    await onboard(lan)
    await survey_flow.open_round(world.store, world.commune, bank.rounds[0], datetime.now(UTC))
    await world.drain()
    await lan._answers()
    answer = await lan.taps("Trả lời khảo sát")
    assert answer[-1].text == "Câu 1/3. Năm nay, ông/bà có được mời họp xóm không?"
    await lan.taps("Có")
    await lan.says("4")  # typed number picks "4 - Tốt"
    await world.restart()
    answer = await lan.says("/khaosat")
    assert "đã trả lời 2/3" in answer[0].text and "Câu 3/3" in answer[-1].text
    answer = await lan.taps("2 - Kém")
    assert answer[0].text.startswith("Cảm ơn ông/bà đã trả lời")
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    assert await world.store.surveys.answered("test-round", resident.id) == {
        "q-hop": 1,
        "q-rac": 4,
        "q-tt": 2,
    }
    answer = await lan.says("/khaosat")
    assert "đã trả lời đợt khảo sát này" in answer[0].text


async def test_close_sends_results_and_hides_thin_hamlets(world, bank):
    people = []
    for n in range(6):
        person = world.resident(f"Xóm1-{n}")
        await onboard(person, hamlet="Xóm 1")
        people.append(person)
    for n in range(2):
        person = world.resident(f"Xóm2-{n}")
        await onboard(person, hamlet="Xóm 2")
        people.append(person)
    for index, person in enumerate(people):
        await person.says("/khaosat")
        await person.taps("Có" if index % 2 == 0 else "Không")
        await person.taps("5 - Rất tốt" if index < 3 else "3 - Bình thường")
        await person.taps("4 - Tốt")

    outcome = await survey_flow.results(world.store, world.commune, bank.rounds[0])
    assert outcome.respondents == {"Xóm 1": 6, "Xóm 2": 2}
    assert outcome.hidden == ("Xóm 2",) and set(outcome.hamlets) == {"Xóm 1"}
    # Dimension 7 (rubbish): 3 of 8 answered 5, the rest 3 -> 3 good of 8.
    assert (outcome.commune[7].count, outcome.commune[7].good) == (8, 3)
    # Dimension 1 (meetings): "yes" is good; indexes 0, 2, 4, 6 said yes -> 4 of 8.
    assert (outcome.commune[1].count, outcome.commune[1].good) == (8, 4)
    assert (outcome.hamlets["Xóm 1"][7].count, outcome.hamlets["Xóm 1"][7].good) == (6, 3)

    sent = await survey_flow.close_round(
        world.store, world.commune, bank.rounds[0], datetime.now(UTC)
    )
    assert sent == 8
    await world.drain()
    first = world.emu.messages(people[0].id)[-1].text
    assert (
        "8 người trả lời" in first
        and "Riêng Xóm 1" in first
        and "Quản trị môi trường: 38%" in first
    )
    assert "Cảm ơn ông/bà đã góp ý. Xã sẽ thêm một chuyến thu gom rác" in first
    thin = world.emu.messages(people[-1].id)[-1].text
    assert "Riêng Xóm 2" not in thin and "dưới 5 người" in thin


def test_min_cell_rule_in_isolation():
    today = date(2026, 11, 26)
    test_bank = parse(QUESTIONS, rounds(today, today))
    tallies = [("q-rac", "Xóm 1", 5, 4), ("q-rac", "Xóm 1", 1, 1), ("q-rac", "Xóm 2", 5, 1)]
    outcome = compute(test_bank, test_bank.rounds[0], tallies, {"Xóm 1": 5, "Xóm 2": 1}, 5)
    assert set(outcome.hamlets) == {"Xóm 1"} and outcome.hidden == ("Xóm 2",)
    assert outcome.commune[7].share == 5 / 6


async def test_the_example_round_is_not_live_unless_the_demo_opens_it(world, monkeypatch):
    """`loaxa run` never opens a round marked `example: true` (the shipped one is): nobody is
    invited and /khaosat finds nothing open; the demo's jobs open it, and then it is live."""
    assert [r.example for r in shipped_bank().rounds] == [True] * len(shipped_bank().rounds)
    today = datetime.now(UTC).date()
    texts = rounds(today - timedelta(days=3), today + timedelta(days=3)) + "  example: true\n"
    example = parse(QUESTIONS, texts)
    monkeypatch.setattr(survey_flow, "bank", lambda: example)
    monkeypatch.setattr(jobs_module, "bank", lambda: example)
    lan = world.resident("Lan")
    await onboard(lan)
    none_open = translator("vi")("survey.none_open")
    assert (await lan.says("/khaosat"))[0].text == none_open
    now = datetime.now(UTC)
    [run] = [j for j in jobs_module.build_jobs(world.store, world.commune) if j.name == "surveys"]
    assert await run.run(now) == {}
    await world.drain()
    assert not [m for m in world.emu.messages(lan.id) if "Khảo sát thử" in (m.text or "")]
    assert (await lan.says("/khaosat"))[0].text == none_open
    demo_jobs = jobs_module.build_jobs(world.store, world.commune, demo=True)
    [demo] = [j for j in demo_jobs if j.name == "surveys"]
    assert await demo.run(now) == {"survey-open@test-round": 1}
    answer = await lan.says("/khaosat")
    assert answer[-1].text != none_open
    assert "Năm nay, ông/bà có được mời họp xóm không?" in answer[-1].text


async def test_a_yes_no_question_offers_dont_know_which_counts_in_no_share(world, bank):
    lan, hoa = world.resident("Lan"), world.resident("Hoa")
    for person, answer in ((lan, "Không rõ"), (hoa, "Có")):
        await onboard(person)
        await person.says("/khaosat")
        assert person.buttons() == ["Có", "Không", "Không rõ"]
        await person.taps(answer)
        await person.taps("4 - Tốt")
        await person.taps("4 - Tốt")
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    assert (await world.store.surveys.answered("test-round", resident.id))["q-hop"] == -1
    outcome = await survey_flow.results(world.store, world.commune, bank.rounds[0])
    # Dimension 1: one "yes", one "không rõ" -> one answer that takes a side, and it is good.
    assert (outcome.commune[1].count, outcome.commune[1].good) == (1, 1)


def test_question_text_names_the_resident_as_the_commune_does():
    from bot.i18n import Translator
    from content.pulse import bank as real_bank

    question = real_bank().questions["d7-o-nhiem"]
    assert question.text == "Nơi {address} ở có bị ô nhiễm (nước, không khí, tiếng ồn) không?"
    assert Translator("vi", "bà con").fill(question.text).startswith("Nơi bà con ở")
