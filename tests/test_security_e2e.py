"""Secrets never reach the logs of a full run; a backup taken under load restores and runs."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import contextmanager

from pydantic import SecretStr

from bot import logs
from bot.app import LoaXa, secrets_of
from bot.config import Settings
from bot.simulator import TelegramEmulator
from storage import Storage
from tests.test_feedback_e2e import png, send_feedback
from tests.test_onboarding_e2e import onboard
from tests.test_webhook_e2e import (
    SECRET,
    WebhookWorld,
    free_port,
    hooked,  # noqa: F401  (the webhook fixture)
)
from tests.world import TOKEN

SHORT_TOKEN = "7:k7Q"  # a 5-character secret: the redactor used to skip those
NAME = "Trịnh Quỳnh Hoa"
TEXT = "Cống thoát nước ngõ Mười Bảy tắc đã ba tuần, nước tràn vào nhà bà Tư"


class ShortTokenWorld(WebhookWorld):
    @property
    def settings(self) -> Settings:
        return super().settings.model_copy(update={"telegram_token": SecretStr(SHORT_TOKEN)})


@contextmanager
def logged_at(level: str, secrets: list[str]):
    """Configure logging as `loaxa run` does; put the test's logging back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in logs.PAYLOAD_LOGGERS}
    logs.configure(level, secrets)
    try:
        yield
    finally:
        root.handlers[:], root.level = saved
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


async def test_a_full_run_logs_no_token_and_no_secret(hooked, capsys):  # noqa: F811
    """Onboarding, feedback with a photo, a forged webhook call and a restart, logged at DEBUG."""
    with logged_at("DEBUG", secrets_of(hooked.settings)):
        lan = hooked.resident("Lan")
        await onboard(lan)
        await send_feedback(lan, photos=1)
        await hooked.restart()
        await lan.says("/tracuu")
        logging.getLogger("tests").debug("debug lines are written")
        logging.getLogger("tests").error("a failing call to %s", hooked.emu.base_url + TOKEN)
    output = capsys.readouterr().err
    assert "INFO" in output and "debug lines are written" in output  # really logged
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert SECRET not in output
    assert "bot***" in output  # the planted token-shaped URL was blanked


async def test_debug_logs_carry_no_names_no_texts_and_no_short_secret(
    tmp_path, commune, monkeypatch, capsys
):
    """A resident's name and message, and a 5-character token, never reach a DEBUG log."""
    monkeypatch.chdir(tmp_path)
    async with TelegramEmulator(token=SHORT_TOKEN) as emu:
        world = ShortTokenWorld(emu, tmp_path, commune, port=free_port())
        with logged_at("DEBUG", secrets_of(world.settings)):
            await world.start()
            try:
                hoa = world.resident(NAME)
                await onboard(hoa)
                code = await send_feedback(hoa, photos=1, text=TEXT)
                await hoa.says("/tracuu")
                assert (await world.store.feedback.get_by_code(code)).description == TEXT
                log = logging.getLogger("tests")
                log.debug("a failing call to %s", emu.base_url + SHORT_TOKEN + "/getMe")
                log.debug("the token %s was refused", SHORT_TOKEN)
            finally:
                await world.stop()
    output = capsys.readouterr().err
    for private in (NAME, "Quỳnh", TEXT, "Mười Bảy", SHORT_TOKEN, "k7Q"):
        assert private not in output, private
    assert "DEBUG" in output and "aiosqlite" not in output  # logged, without SQL parameters
    assert "bot***/getMe" in output and "the token *** was refused" in output


def test_a_short_secret_is_blanked_where_it_stands_alone_not_inside_words(capsys):
    with logged_at("INFO", ["a"]):
        logging.getLogger("tests").warning("secret=a; a banana, a")
    line = capsys.readouterr().err.strip()
    assert line.endswith("tests: secret=***; *** banana, ***")


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
