"""`loaxa doctor` run for real (a `loaxa` process) against the emulator and real files:
a healthy set-up exits 0; each failure it reports exits 1 and names itself in its row."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
import sys
from datetime import timedelta
from importlib import resources
from pathlib import Path

import httpx
import pytest

from bot import backups
from bot.backups import BackupPolicy
from bot.messages import Reply
from bot.simulator.zalo import ZaloEmulator
from storage import Storage
from storage.db import utcnow
from storage.outbox import Push, PushKind, stamp
from tests.test_emulator import _hook_server
from tests.world import TOKEN
from tests.zalo_world import SECRET as ZALO_SECRET
from tests.zalo_world import ZALO_TOKEN, ZaloWorld

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def commune_file(tmp_path) -> Path:
    """The sample commune with its hamlets declared real, as an edited loaxa.toml is."""
    text = resources.files("bot").joinpath("sample_commune.toml").read_text(encoding="utf-8")
    path = tmp_path / "loaxa.toml"
    path.write_text(text.replace("hamlets_are_examples = true", ""), encoding="utf-8")
    return path


@pytest.fixture
def doctor(emu, tmp_path, commune_file):
    """Run `loaxa doctor` as a process; return (exit code, {check: (state, detail)}, output)."""

    async def run(**env: str) -> tuple[int, dict[str, tuple[str, str]], str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
        base |= {
            "PYTHONPATH": str(ROOT),
            "PYTHONUTF8": "1",
            "LOAXA_DB": str(tmp_path / "loaxa.db"),
            "LOAXA_CONFIG": str(commune_file),
            "LOAXA_TELEGRAM_TOKEN": TOKEN,
            "LOAXA_TELEGRAM_API_URL": emu.base_url,
            "LOAXA_TELEGRAM_FILE_URL": emu.file_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "doctor", cwd=tmp_path, env=base | env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 30)
        text = out.decode("utf-8")
        assert "Traceback" not in text + err.decode("utf-8"), err
        rows = {}
        for line in text.splitlines()[3:]:
            parts = re.split(r"\s{2,}", line, maxsplit=2)
            if len(parts) == 3:
                rows[parts[0]] = (parts[1], parts[2])
        return process.returncode, rows, text

    return run


def attention(rows) -> set[str]:
    return {check for check, (state, _) in rows.items() if state != "tốt"}


async def backed_up(world, when=None) -> Path:
    done = await backups.take(
        world.store, BackupPolicy(world.db_path.parent / "backups"), when or utcnow()
    )
    return world.db_path.parent / "backups" / str(done["backup"])


async def test_a_healthy_set_up_is_all_well(world, doctor):
    await backed_up(world)
    code, rows, text = await doctor()
    assert attention(rows) == set(), text
    assert code == 0
    assert list(rows) == [
        "Cấu hình", "Cơ sở dữ liệu", "Tiến trình bot", "Telegram", "Lịch việc",
        "Hàng đợi tin gửi", "Sao lưu",
    ]  # fmt: skip
    assert "@" in rows["Telegram"][1] and "long polling" in rows["Telegram"][1]
    assert "nguyên vẹn" in rows["Cơ sở dữ liệu"][1]
    jobs = rows["Lịch việc"][1]  # the next few by time, then how many more: hour-dependent
    named = re.findall(r"([a-z][a-z-]+) \d\d/\d\d \d\d:\d\d", jobs)
    more = re.search(r"và (\d+) việc khác", jobs)
    assert jobs.startswith("sắp chạy:") and named, jobs
    assert ("backup" in named and "housekeeping" in named) or (more and int(more[1]) >= 2), jobs
    assert text.rstrip().endswith("Mọi thứ đều tốt.")


async def test_in_english_with_loaxa_language_en(world, doctor):
    await backed_up(world)
    code, _, text = await doctor(LOAXA_LANGUAGE="en")
    assert code == 0
    assert "Database" in text and text.rstrip().endswith("All is well.")


async def test_a_refused_token_is_named_without_the_token(world, doctor):
    await backed_up(world)
    wrong = "999999:not-the-emulators-token"
    code, rows, text = await doctor(LOAXA_TELEGRAM_TOKEN=wrong)
    assert code == 1
    assert attention(rows) == {"Telegram"}
    assert "LOAXA_TELEGRAM_TOKEN" in rows["Telegram"][1]
    assert wrong not in text and "not-the-emulators" not in text


async def test_a_failing_webhook_shows_its_last_error(emu, tmp_path, doctor):
    runner, hook, received = await _hook_server([500] * 1000)  # the endpoint answers 500
    try:
        async with httpx.AsyncClient() as http:
            await http.post(f"{emu.base_url}{TOKEN}/setWebhook", data={"url": hook})
            await emu.send_text(emu.add_user("Lan").id, "/start")
            await asyncio.wait_for(received.get(), 10)
            info: dict = {}
            while not info.get("last_error_message"):  # recorded once the 500 is read
                await asyncio.sleep(0.05)
                answer = await http.post(f"{emu.base_url}{TOKEN}/getWebhookInfo")
                info = answer.json()["result"]
        store = await Storage.open(tmp_path / "loaxa.db")
        await store.close()
        code, rows, text = await doctor(
            LOAXA_TELEGRAM_WEBHOOK_URL=hook,
            LOAXA_TELEGRAM_WEBHOOK_SECRET="s3cret-0123456789-0123456789-abcdef",
        )
    finally:
        await runner.cleanup()
    assert code == 1
    state, detail = rows["Telegram"]
    assert state == "CẦN XEM", text
    assert "lần gửi webhook gần nhất" in detail and "500 Internal Server Error" in detail
    assert "Tiến trình bot" in attention(rows)  # the bot is down: that is why


async def test_a_backup_older_than_two_days_is_reported(world, doctor):
    await backed_up(world, utcnow() - timedelta(days=3))
    code, rows, _ = await doctor()
    assert code == 1
    assert attention(rows) == {"Sao lưu"}
    assert "3 ngày" in rows["Sao lưu"][1]


async def test_no_backup_at_all_is_reported(world, doctor):
    code, rows, _ = await doctor()
    assert code == 1
    assert attention(rows) == {"Sao lưu"}


async def test_an_outbox_backlog_and_failures_are_reported(world, doctor):
    await backed_up(world)
    await world.bot.delivery.stop()  # the sending is stuck
    hour_ago = stamp(utcnow() - timedelta(hours=1))
    push = Push("telegram", "1", Reply("Xin chào"), PushKind.NOTIFY, "test:stuck")
    await world.store.outbox.enqueue([push])
    with sqlite3.connect(world.db_path) as conn:
        conn.execute("UPDATE outbox SET created_at = ?", (hour_ago,))
        conn.execute(
            "INSERT INTO outbox (channel, chat_id, kind, source, payload, status, created_at)"
            " SELECT channel, '2', kind, 'test:failed', payload, 'failed', created_at FROM outbox"
        )
    code, rows, _ = await doctor()
    assert code == 1
    assert attention(rows) == {"Hàng đợi tin gửi"}
    detail = rows["Hàng đợi tin gửi"][1]
    assert "1 tin đang chờ gửi, tin cũ nhất đã đợi 60 phút" in detail
    assert "1 tin gửi không được" in detail


async def test_a_corrupt_database_is_reported_not_crashed_on(world, tmp_path, doctor):
    await backed_up(world)
    broken = tmp_path / "broken.db"
    shutil.copy(
        world.db_path.parent / "backups" / backups.newest(tmp_path / "backups")[1].name, broken
    )
    data = bytearray(broken.read_bytes())
    page = 4096
    for at in range(2 * page, len(data), page):  # every page after the first two, scrambled
        data[at + 8 : at + 64] = bytes(range(56))
    broken.write_bytes(bytes(data))
    code, rows, _ = await doctor(LOAXA_DB=str(broken), LOAXA_BACKUP_DIR=str(tmp_path / "backups"))
    assert code == 1
    assert rows["Cơ sở dữ liệu"][0] == "CẦN XEM"
    assert "loaxa db restore" in rows["Cơ sở dữ liệu"][1]
    assert "Hàng đợi tin gửi" not in rows  # not read from a damaged file


async def test_a_file_that_is_not_a_database_is_reported(world, tmp_path, doctor):
    await backed_up(world)
    junk = tmp_path / "junk.db"
    junk.write_text("this is not SQLite\n" * 100, encoding="utf-8")
    code, rows, _ = await doctor(LOAXA_DB=str(junk), LOAXA_BACKUP_DIR=str(tmp_path / "backups"))
    assert code == 1
    assert rows["Cơ sở dữ liệu"][0] == "CẦN XEM"


async def test_zalo_in_webhook_mode_is_checked_too(emu, tmp_path, commune, monkeypatch, doctor):
    async with ZaloEmulator(token=ZALO_TOKEN, seed=7) as zemu:
        monkeypatch.chdir(tmp_path)
        world = ZaloWorld(emu, zemu, tmp_path, commune)
        await world.start()
        try:
            await backed_up(world)
            zalo = {
                "LOAXA_ZALO_TOKEN": ZALO_TOKEN,
                "LOAXA_ZALO_API_URL": zemu.base_url,
                "LOAXA_ZALO_WEBHOOK_URL": world.webhook_url,
                "LOAXA_ZALO_WEBHOOK_SECRET": ZALO_SECRET,
            }
            code, rows, text = await doctor(**zalo)
            wrong, wrong_rows, _ = await doctor(**(zalo | {"LOAXA_ZALO_TOKEN": "1:wrong"}))
        finally:
            await world.stop()
    assert code == 0, text
    assert f"webhook {world.webhook_url}, 0 tin đang chờ" in rows["Zalo"][1]
    assert wrong == 1 and attention(wrong_rows) == {"Zalo"}
    assert "LOAXA_ZALO_TOKEN" in wrong_rows["Zalo"][1]


async def test_the_sample_communes_placeholder_hamlets_need_attention(world, tmp_path, doctor):
    await backed_up(world)
    sample = tmp_path / "sample.toml"
    sample.write_text(
        resources.files("bot").joinpath("sample_commune.toml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    code, rows, _ = await doctor(LOAXA_CONFIG=str(sample))
    assert code == 1
    assert attention(rows) == {"Cấu hình"}
    assert "thôn/xóm mẫu" in rows["Cấu hình"][1]
