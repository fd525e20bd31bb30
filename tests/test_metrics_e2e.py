"""GET /metrics over real HTTP: one feedback and one broadcast move the counters."""

from __future__ import annotations

import socket
from datetime import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import LoaXa
from bot.config import ConfigError, QuietHours, Settings
from bot.simulator import TelegramEmulator
from storage.models import Role
from tests.test_broadcast_e2e import TEXT, compose, got
from tests.test_campaigns_e2e import sign_up
from tests.test_feedback_e2e import send_feedback
from tests.world import TOKEN, World


@pytest.fixture
def commune(commune):
    # Quiet hours that never apply, so the broadcast goes out whatever time the test runs.
    return commune.model_copy(update={"quiet_hours": QuietHours(start=time(0, 0), end=time(0, 0))})


async def scrape(world: World) -> tuple[str, dict[tuple[str, tuple], float]]:
    """Read /metrics as Prometheus would; return the content type and every sample."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{world.bot.http_port}/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return response.headers["content-type"], samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_feedback_and_a_broadcast_move_the_counters(world):
    _, before = await scrape(world)
    assert value(before, "loaxa_updates_total", channel="telegram") == 0
    lan = await sign_up(world, "Lan", "Xóm 3")
    minh = await world.staff("Minh", Role.OFFICIAL)

    await send_feedback(lan)  # the officials are told through the outbox
    await world.drain()
    await compose(minh)
    await minh.taps("Chọn xóm")
    await minh.taps("Xóm 3")
    await minh.taps("Xong")
    await minh.taps("Gửi ngay")
    await world.drain()
    assert got(world, lan, TEXT)
    assert await world.bot.scheduler.fire("housekeeping")

    content_type, after = await scrape(world)
    assert content_type.startswith("text/plain; version=0.0.4")
    updates = value(after, "loaxa_updates_total", channel="telegram")
    assert updates == world.emu.updates_sent  # every press and message was counted
    assert value(after, "loaxa_update_seconds_count", channel="telegram") == updates
    assert value(after, "loaxa_update_seconds_sum", channel="telegram") > 0
    # The official's notification of the feedback and Lan's broadcast, at least.
    assert value(after, "loaxa_deliveries_total", outcome="sent") >= 2
    assert value(after, "loaxa_deliveries_total", outcome="failed") == 0
    assert value(after, "loaxa_rate_limited_total") == 0
    assert value(after, "loaxa_jobs_total", job="housekeeping", result="ok") == 1
    assert value(after, "loaxa_errors_total", where="update") == 0
    assert value(after, "loaxa_outbox_depth") == 0
    assert value(after, "loaxa_outbox_oldest_due_seconds") == 0
    assert value(after, "loaxa_backup_age_seconds") == float("inf")  # no backup yet


async def test_a_push_waiting_shows_as_outbox_depth_and_age(world):
    await sign_up(world, "Lan", "Xóm 3")
    await world.bot.delivery.stop()  # nothing is sent: the push waits in the outbox
    minh = await world.staff("Minh", Role.OFFICIAL)
    await compose(minh)
    await minh.taps("Chọn xóm")
    await minh.taps("Xóm 3")
    await minh.taps("Xong")
    await minh.taps("Gửi ngay")
    _, samples = await scrape(world)
    assert value(samples, "loaxa_outbox_depth") == 1
    assert value(samples, "loaxa_outbox_oldest_due_seconds") >= 0


async def test_two_bots_in_one_process_keep_their_own_numbers(world, tmp_path, commune):
    (tmp_path / "other").mkdir()
    async with TelegramEmulator(token=TOKEN) as emu:
        other = World(emu, tmp_path / "other", commune)
        await other.start()
        try:
            lan = world.resident("Lan")
            await lan.says("/start")
            _, mine = await scrape(world)
            _, theirs = await scrape(other)
        finally:
            await other.stop()
    assert value(mine, "loaxa_updates_total", channel="telegram") == 1
    assert value(theirs, "loaxa_updates_total", channel="telegram") == 0


async def test_a_taken_port_stops_start_up_naming_the_setting(emu, tmp_path, commune):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        settings = Settings(
            telegram_token=TOKEN,
            telegram_api_url=emu.base_url,
            telegram_file_url=emu.file_url,
            db=tmp_path / "loaxa.db",
            http_port=taken.getsockname()[1],
            allow_sample=True,
            _env_file=None,
        )
        with pytest.raises(ConfigError, match=r"LOAXA_HTTP_PORT: cannot listen on 127\.0\.0\.1"):
            async with LoaXa(settings, commune, poll_timeout=1, run_jobs=False):
                pass
    finally:
        taken.close()


async def test_a_failing_job_counts_as_an_error(world, tmp_path):
    (tmp_path / "backups").write_text("a file where the backup folder should be", encoding="utf-8")
    assert not await world.bot.scheduler.fire("backup")
    _, samples = await scrape(world)
    assert value(samples, "loaxa_jobs_total", job="backup", result="failed") == 1
    assert value(samples, "loaxa_errors_total", where="job") == 1
    assert value(samples, "loaxa_backup_age_seconds") == float("inf")
