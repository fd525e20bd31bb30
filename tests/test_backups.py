"""Backups on their own: the daily job's copy, its retention, /healthz's view of it, and
`loaxa db restore` (a real process) putting it back, never under a running bot."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot import backups
from bot.app import LoaXa
from bot.backups import BackupPolicy
from storage import StorageError
from storage.db import utcnow
from tests.test_onboarding_e2e import onboard

ROOT = Path(__file__).resolve().parent.parent


async def loaxa(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run `loaxa ARGS` as a process on tmp_path's database, without blocking the loop."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    env |= {"PYTHONPATH": str(ROOT), "PYTHONUTF8": "1", "LOAXA_DB": str(tmp_path / "loaxa.db")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, out.decode("utf-8"), err.decode("utf-8")


def names(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT display_name FROM residents")}


async def test_the_jobs_copy_is_restored_and_the_bot_starts_on_it(world, tmp_path):
    lan = world.resident("Lan")
    await onboard(lan)
    assert await world.bot.scheduler.fire("backup")
    [(_, copy)] = backups.copies(tmp_path / "backups")
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    mai = world.resident("Mai")
    await onboard(mai)  # after the backup: the restore forgets her

    code, out, err = await loaxa(tmp_path, "db", "restore", str(copy))
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert "bot đang chạy" in line and str(os.getpid()) in line
    assert names(tmp_path / "loaxa.db") == {"Lan", "Mai"}  # untouched

    await world.stop()
    code, out, err = await loaxa(tmp_path, "db", "restore", str(copy))
    assert code == 0, err
    assert out.startswith(f"Đã khôi phục {copy} vào ")
    kept = next(tmp_path.glob("loaxa.db.before-restore-*"))
    assert names(kept) == {"Lan", "Mai"}  # what it replaced is kept

    await world.start()
    assert names(tmp_path / "loaxa.db") == {"Lan"}
    assert await world.store.residents.get_by_identity("telegram", str(mai.id)) is None
    answer = await lan.says("/menu")  # Lan is known: the menu, not the consent again
    assert "Đồng ý" not in [label for m in answer for label, _ in m.buttons]
    assert await world.store.residents.get_by_identity("telegram", str(lan.id)) is not None


async def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n" * 50, encoding="utf-8")
    code, _, err = await loaxa(tmp_path, "db", "restore", str(junk))
    assert code == 2
    [line] = err.splitlines()
    assert "không phải bản sao lưu nguyên vẹn" in line
    assert not (tmp_path / "loaxa.db").exists()
    code, _, err = await loaxa(tmp_path, "db", "restore", str(tmp_path / "missing.db"))
    assert code == 2 and "không có tệp này" in err and "Traceback" not in err


def test_retention_keeps_the_newest_of_each_day_and_each_week(tmp_path):
    policy = BackupPolicy(tmp_path, keep_days=7, keep_weeks=4)
    now = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    for day in range(60):
        for hour in (2, 14):
            moment = now - timedelta(days=day, hours=3 - hour)
            (tmp_path / f"loaxa-{moment:%Y%m%d-%H%M%S}.db").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("kept: not a backup", encoding="utf-8")
    backups.prune(policy, now)
    kept = [taken for taken, _ in backups.copies(tmp_path)]
    days = {taken.date() for taken in kept if now - taken < timedelta(days=7)}
    assert len(days) == 7  # one for each of the last 7 days ...
    assert len(kept) == len({taken.date() for taken in kept})  # ... the newest of each
    assert all(taken.hour == 14 or taken.date() == now.date() for taken in kept)
    weeks = {taken.isocalendar()[:2] for taken in kept}
    assert len(weeks) == 4 and min(kept) > now - timedelta(weeks=4)
    assert (tmp_path / "notes.txt").exists()


async def test_healthz_reports_a_backup_older_than_two_days(world, tmp_path):
    url = f"http://127.0.0.1:{world.bot.http_port}/healthz"
    policy = BackupPolicy(tmp_path / "backups")
    async with httpx.AsyncClient() as http:
        none = (await http.get(url)).json()
        await backups.take(world.store, policy, utcnow() - timedelta(days=2, hours=1))
        stale = (await http.get(url)).json()
        await backups.take(world.store, policy, utcnow())
        fresh = (await http.get(url)).json()
    assert none["backup"] == {"newest": None, "age_hours": None, "stale": True}
    assert stale["backup"]["stale"] is True and stale["backup"]["age_hours"] >= 49
    assert fresh["backup"]["stale"] is False and fresh["backup"]["age_hours"] < 1
    assert fresh["ok"] is True


async def test_a_second_bot_on_the_same_database_is_refused(world, commune):
    with pytest.raises(StorageError, match=r"another Loa Xã .* is running on this database"):
        async with LoaXa(world.settings, commune):
            pass
    lan = world.resident("Lan")
    assert await lan.says("/start")  # the first one goes on
