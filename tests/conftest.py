"""Shared fixtures: the Telegram emulator and a running bot around it."""

from __future__ import annotations

import pytest

from bot.config import load_commune
from bot.simulator import TelegramEmulator
from tests.world import TOKEN, World


@pytest.fixture
def commune():
    return load_commune(None)[0]


@pytest.fixture
async def emu():
    async with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def world(emu, tmp_path, commune, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray loaxa.toml or .env from the developer's folder
    w = World(emu, tmp_path, commune)
    await w.start()
    try:
        yield w
    finally:
        await w.stop()
