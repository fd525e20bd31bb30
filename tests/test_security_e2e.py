"""Secrets never reach the logs of a full run; a backup taken under load restores and runs."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from bot import logs
from bot.app import LoaXa, secrets_of
from storage import Storage
from tests.test_feedback_e2e import png, send_feedback
from tests.test_onboarding_e2e import onboard
from tests.test_webhook_e2e import SECRET, hooked  # noqa: F401  (the webhook fixture)
from tests.world import TOKEN


async def test_a_full_run_logs_no_token_and_no_secret(hooked, capsys):  # noqa: F811
    """Onboarding, feedback with a photo, a forged webhook call and a restart, logged at DEBUG."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("DEBUG", secrets_of(hooked.settings))
    try:
        lan = hooked.resident("Lan")
        await onboard(lan)
        await send_feedback(lan, photos=1)
        await hooked.restart()
        await lan.says("/tracuu")
        logging.getLogger("tests").error("a failing call to %s", hooked.emu.base_url + TOKEN)
    finally:
        root.handlers[:], root.level = saved
    output = capsys.readouterr().err
    assert "INFO" in output and "DEBUG" in output  # the run was really logged
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert SECRET not in output
    assert "bot***" in output  # the planted token-shaped URL was blanked


async def test_backup_under_load_restores_and_runs(world, tmp_path, emu):
    people = [world.resident(f"Dân {n}") for n in range(6)]
    for person in people[:3]:
        await onboard(person)
    load = asyncio.gather(*(onboard(person, hamlet="Xóm 2") for person in people[3:]))
    backup = tmp_path / "backup" / "loaxa-copy.db"
    await asyncio.sleep(0)  # the load is under way while the copy is taken
    await world.store.db.backup(backup)
    await load
    code = await send_feedback(people[0], photos=1)

    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        registered = copy.execute("SELECT COUNT(*) FROM residents").fetchone()[0]
    assert 3 <= registered <= 6  # consistent: whatever was committed when the copy was taken

    await world.stop()
    restored = Storage.open(backup)
    store = await restored
    assert await store.feedback.get_by_code(code) is None  # sent after the copy
    await store.close()
    world.db_path = backup
    await world.start()
    assert isinstance(world.bot, LoaXa)
    newcomer = world.resident("Người mới")
    await onboard(newcomer)
    assert await world.store.residents.get_by_identity("telegram", str(newcomer.id))
    code = await send_feedback(newcomer, photos=1)
    item = await world.store.feedback.get_by_code(code)
    assert await world.store.media.for_feedback(item.id) == [png(0)]
