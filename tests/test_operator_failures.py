"""Broken set-ups an operator can make, each run as the real `loaxa` command.

Every one must end in one plain line on stderr (at most three), exit code 2, no traceback,
no token or secret, and the process must finish: a subprocess timeout of 10 s (not a timed
assertion on speed) catches a hang.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.simulator import TelegramEmulator
from bot.simulator.zalo import ZaloEmulator
from tests.world import TOKEN

ROOT = Path(__file__).resolve().parent.parent
WRONG_TOKEN = "987654:WRONG-token-that-must-never-be-printed"
ZALO_TOKEN = "3141592653:zalo-TEST-token-for-the-emulator"
WRONG_ZALO_TOKEN = "2718281828:zalo-WRONG-token-never-printed"
SECRET = "webhook-secret-never-printed-0123456789"  # 32+: issue 14
SECRETS = (TOKEN, WRONG_TOKEN, ZALO_TOKEN, WRONG_ZALO_TOKEN, SECRET)
NOT_SQLITE = b"name,hamlet\nNguyen Van A,Xom 3\n" * 40


def closed_port() -> int:
    """Return a loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Done:
    code: int
    out: str
    err: str


async def loaxa(cwd: Path, *args: str, **env: str) -> Done:
    """Run `python -m bot ARGS` in `cwd` with only these LOAXA_* variables; 10 s at most."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    base |= {"PYTHONPATH": str(ROOT), "PYTHONUTF8": "1", "LOAXA_DB": str(cwd / "loaxa.db")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=cwd, env=base | env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), 10)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"loaxa {' '.join(args)} did not finish within 10 s")
    return Done(process.returncode, out.decode(), err.decode())


@dataclass
class Case:
    """One broken set-up: the command, its environment, what is prepared, what is said."""

    args: tuple[str, ...]
    says: str  # a piece of the one line on stderr (LOAXA_LANGUAGE=en)
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path], None] = lambda _: None


def file_in_the_way(tmp: Path) -> None:
    (tmp / "blocked").write_text("a file where a folder should be", encoding="utf-8")


def not_sqlite(tmp: Path) -> None:
    (tmp / "residents.db").write_bytes(NOT_SQLITE)


def commune_file(text: str) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        (tmp / "xa.toml").write_text(text, encoding="utf-8")

    return write


SAMPLE = (ROOT / "bot" / "sample_commune.toml").read_text(encoding="utf-8")
TELEGRAM = {"LOAXA_TELEGRAM_TOKEN": TOKEN}
TRIAL = {"LOAXA_ALLOW_SAMPLE": "1"}

CASES = {
    "revoked telegram token": Case(
        ("run", "--allow-sample"), "LOAXA_TELEGRAM_TOKEN", {"LOAXA_TELEGRAM_TOKEN": WRONG_TOKEN}
    ),
    "revoked zalo token": Case(
        ("run", "--allow-sample"), "LOAXA_ZALO_TOKEN", {"LOAXA_ZALO_TOKEN": WRONG_ZALO_TOKEN}
    ),
    "qr without network": Case(
        ("qr", "--desk", "mot-cua", "--out", "desk.png"), "could not reach Telegram",
        {**TELEGRAM, "LOAXA_TELEGRAM_API_URL": "http://127.0.0.1:{closed}/bot"},
    ),
    "qr with a revoked token": Case(
        ("qr", "--desk", "mot-cua", "--out", "desk.png"), "LOAXA_TELEGRAM_TOKEN",
        {"LOAXA_TELEGRAM_TOKEN": WRONG_TOKEN},
    ),
    "LOAXA_DB not sqlite, staff list": Case(
        ("staff", "list"), "residents.db", {"LOAXA_DB": "residents.db"}, not_sqlite
    ),
    "LOAXA_DB not sqlite, run": Case(
        ("run",), "residents.db", {**TELEGRAM, **TRIAL, "LOAXA_DB": "residents.db"}, not_sqlite
    ),
    "database folder blocked, run": Case(
        ("run",), "blocked", {**TELEGRAM, **TRIAL, "LOAXA_DB": "blocked/loaxa.db"}, file_in_the_way
    ),
    "database folder cannot be made": Case(
        ("staff", "list"), "/proc/loaxa", {"LOAXA_DB": "/proc/loaxa/loaxa.db"}
    ),
    "db backup into a blocked folder": Case(
        ("db", "backup", "blocked/copy.db"), "blocked", prepare=file_in_the_way
    ),
    "db backup to a path it cannot write": Case(("db", "backup", "/proc/copy.db"), "/proc/copy.db"),
    "report into a blocked folder": Case(
        ("report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "blocked/r.docx"),
        "blocked", prepare=file_in_the_way,
    ),
    "export into a blocked folder": Case(
        ("export", "feedback", "--from", "2026-11-01", "--to", "2026-11-30",
         "--out", "blocked/f.xlsx"), "blocked", prepare=file_in_the_way,
    ),
    "digest into a blocked folder": Case(
        ("digest", "--out", "blocked/digest"), "blocked", prepare=file_in_the_way
    ),
    "qr into a blocked folder": Case(
        ("qr", "--desk", "mot-cua", "--bot", "xa_bot", "--out", "blocked/q.png"), "blocked",
        prepare=file_in_the_way,
    ),
    "telegram id given as a username": Case(
        ("staff", "add", "--id", "@nguyenvana", "--role", "official", "--name", "Nguyễn Văn A"),
        "@userinfobot",
    ),
    "hamlet not in the commune file": Case(
        ("staff", "add", "--id", "42", "--role", "hamlet_head", "--name", "Lan",
         "--hamlet", "Ấp Bắc"), "Xóm 1, Xóm 2",
    ),
    "run on the sample commune": Case(("run",), "hamlets_are_examples", TELEGRAM),
    "run without a token": Case(("run",), "LOAXA_ZALO_TOKEN", TRIAL),
    "HTTP port already in use": Case(
        ("run",), "{busy}",
        {**TELEGRAM, **TRIAL, "LOAXA_HTTP_PORT": "{busy}",
         "LOAXA_TELEGRAM_WEBHOOK_URL": "https://xa.example/telegram",
         "LOAXA_TELEGRAM_WEBHOOK_SECRET": SECRET},
    ),
    "commune file entry counted from 1": Case(
        ("staff", "list"), "categories (entry 1).deadline_days",
        {"LOAXA_CONFIG": "xa.toml"},
        commune_file(SAMPLE.replace("deadline_days = 10", "deadline_days = 0", 1)),
    ),
    "broken webhook secret": Case(
        ("run",), "LOAXA_TELEGRAM_WEBHOOK_SECRET",
        {**TELEGRAM, "LOAXA_TELEGRAM_WEBHOOK_URL": "https://x/t",
         "LOAXA_TELEGRAM_WEBHOOK_SECRET": "has spaces " + SECRET},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
async def test_a_broken_set_up_ends_in_one_plain_line(name, tmp_path):
    case = CASES[name]
    async with (
        TelegramEmulator(token=TOKEN) as emu,
        ZaloEmulator(token=ZALO_TOKEN) as zemu,
    ):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            ports = {"closed": closed_port(), "busy": busy.getsockname()[1]}
            env = {
                "LOAXA_LANGUAGE": "en",
                "LOAXA_TELEGRAM_API_URL": emu.base_url,
                "LOAXA_TELEGRAM_FILE_URL": emu.file_url,
                "LOAXA_ZALO_API_URL": zemu.base_url,
                "LOAXA_HTTP_PORT": str(closed_port()),
            }
            env |= {k: v.format(**ports) for k, v in case.env.items()}
            case.prepare(tmp_path)
            done = await loaxa(tmp_path, *case.args, **env)
    lines = done.err.splitlines()
    assert done.code == 2, done.err
    assert 1 <= len(lines) <= 3, done.err
    assert "Traceback" not in done.err and "Unclosed" not in done.err
    assert not [s for s in SECRETS if s in done.err + done.out]
    assert case.says.format(**ports) in lines[-1]
    assert lines[-1].startswith("loaxa: ")


# --- what is not a failure: a service waits for the network, a token answers getMe -----------


async def test_run_without_network_keeps_trying_and_healthz_says_not_connected(tmp_path):
    """`loaxa run` is a service: Telegram unreachable is said in one line, /healthz is 503."""
    import aiohttp

    port = closed_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "LOAXA_LANGUAGE": "en",
        "LOAXA_DB": str(tmp_path / "loaxa.db"),
        "LOAXA_ALLOW_SAMPLE": "1",
        "LOAXA_TELEGRAM_TOKEN": TOKEN,
        "LOAXA_TELEGRAM_API_URL": f"http://127.0.0.1:{closed_port()}/bot",
        "LOAXA_TELEGRAM_WEBHOOK_URL": "https://xa.example/telegram",
        "LOAXA_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "LOAXA_HTTP_PORT": str(port),
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        line = await asyncio.wait_for(bot.stderr.readline(), 30)
        while b"could not reach Telegram" not in line:
            line = await asyncio.wait_for(bot.stderr.readline(), 30)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as health,
        ):
            status, body = health.status, await health.json()
        assert bot.returncode is None, "the service gave up"
    finally:
        bot.terminate()
        rest = await asyncio.wait_for(bot.stderr.read(), 30)
    assert await bot.wait() == 0
    assert status == 503
    assert body.pop("backup")["stale"] is True  # none yet: the daily job has not run
    assert body == {"ok": False, "connected": False, "channels": {"telegram": False}}
    assert b"trying again" in line and TOKEN.encode() not in line + rest
    assert b"Traceback" not in rest and b"Unclosed" not in rest


async def test_qr_asks_telegram_for_the_bot_username(tmp_path):
    import zxingcpp
    from PIL import Image

    async with TelegramEmulator(token=TOKEN, bot_username="ubnd_thanhdinh_bot") as emu:
        done = await loaxa(
            tmp_path, "qr", "--desk", "mot-cua", "--out", "desk.png",
            LOAXA_TELEGRAM_TOKEN=TOKEN, LOAXA_TELEGRAM_API_URL=emu.base_url,
        )  # fmt: skip
    assert done.code == 0, done.err
    assert done.err == ""  # no warning, no unclosed session
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(tmp_path / "desk.png"))]
    assert decoded == ["https://t.me/ubnd_thanhdinh_bot?start=rate_mot-cua"]
