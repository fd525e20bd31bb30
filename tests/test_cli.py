"""The `loaxa` command line, run for real in a subprocess against a database in tmp_path."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from storage import Storage
from storage.db import migrations
from storage.models import Role
from tests.world import TOKEN

ROOT = Path(__file__).resolve().parent.parent
ADD_A = ["staff", "add", "--channel", "telegram", "--id", "42", "--role", "official"]
NAME_A = "Nguyễn Văn A"


@pytest.fixture
def loaxa(tmp_path):
    """Run `python -m bot ARGS` in tmp_path with only the LOAXA_* variables given."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    base |= {"PYTHONPATH": str(ROOT), "PYTHONUTF8": "1", "LOAXA_DB": str(tmp_path / "loaxa.db")}
    base["LOAXA_LANGUAGE"] = "en"  # the assertions read English; Vietnamese is tested below

    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=base | env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=30,
        )

    return run


def seed(path: Path, *staff: tuple[str, str]) -> None:
    """Create and migrate the database in-process, with (id, name) officials on Telegram."""

    async def work() -> None:
        store = await Storage.open(path)
        try:
            for user_id, name in staff:
                await store.staff.upsert("telegram", user_id, name, Role.OFFICIAL)
        finally:
            await store.close()

    asyncio.run(work())


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_staff_add_on_a_fresh_database(loaxa, tmp_path):
    done = loaxa(*ADD_A, "--name", NAME_A)
    assert done.returncode == 0, done.stderr
    assert NAME_A in done.stdout
    with sqlite3.connect(tmp_path / "loaxa.db") as conn:
        rows = conn.execute("SELECT channel, user_id, name, role, source FROM staff").fetchall()
    assert rows == [("telegram", "42", NAME_A, "official", "cli")]


def test_staff_list_shows_added_staff(loaxa, tmp_path):
    seed(tmp_path / "loaxa.db", ("42", NAME_A))
    done = loaxa("staff", "list")
    assert done.returncode == 0, done.stderr
    assert "telegram\t42\tofficial\tNguyễn Văn A\t(cli)" in done.stdout


def test_staff_list_on_an_empty_database_says_how_to_add(loaxa):
    done = loaxa("staff", "list")
    assert done.returncode == 0, done.stderr
    assert "loaxa staff add" in done.stdout


def test_staff_remove_then_remove_again_fails(loaxa, tmp_path):
    seed(tmp_path / "loaxa.db", ("42", NAME_A), ("43", "Trần Thị B"))
    removed = loaxa("staff", "remove", "--id", "42")
    assert removed.returncode == 0, removed.stderr
    assert "removed telegram id 42" in removed.stdout
    with sqlite3.connect(tmp_path / "loaxa.db") as conn:
        assert conn.execute("SELECT user_id FROM staff").fetchall() == [("43",)]
    again = loaxa("staff", "remove", "--id", "42")
    assert again.returncode == 1
    assert "no staff member" in one_line(again.stderr)


def test_staff_add_refuses_a_blank_id(loaxa, tmp_path):
    seed(tmp_path / "loaxa.db")
    done = loaxa("staff", "add", "--id", "  ", "--role", "official", "--name", NAME_A)
    assert done.returncode == 2
    assert "--id" in one_line(done.stderr)


def test_staff_add_refuses_a_hamlet_not_in_the_commune_file(loaxa, tmp_path):
    seed(tmp_path / "loaxa.db")
    done = loaxa(*ADD_A, "--name", NAME_A, "--hamlet", "Xóm 99")
    assert done.returncode == 2
    assert "Xóm 99" in one_line(done.stderr)


def test_invalid_role_is_refused_by_argparse(loaxa):
    done = loaxa("staff", "add", "--id", "42", "--role", "mayor", "--name", NAME_A)
    assert done.returncode == 2
    assert "invalid choice" in done.stderr
    assert "Traceback" not in done.stderr


def test_db_migrate_prints_the_schema_version(loaxa):
    done = loaxa("db", "migrate")
    assert done.returncode == 0, done.stderr
    newest = migrations()[-1][0]
    assert f"schema version {newest}" in done.stdout


def test_db_backup_writes_a_usable_copy(loaxa, tmp_path):
    seed(tmp_path / "loaxa.db", ("42", NAME_A))
    done = loaxa("db", "backup", "backups/copy.db")
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "backups" / "copy.db"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT name FROM staff").fetchall() == [(NAME_A,)]


def test_db_backup_refuses_to_overwrite(loaxa, tmp_path):
    seed(tmp_path / "loaxa.db")
    (tmp_path / "copy.db").write_bytes(b"keep me")
    done = loaxa("db", "backup", "copy.db")
    assert done.returncode == 2
    assert "already exists" in one_line(done.stderr)
    assert (tmp_path / "copy.db").read_bytes() == b"keep me"


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_database_backups_and_exports_are_the_owners_alone(loaxa, tmp_path):
    """Files 0600 in 0700 folders whatever umask the operator's shell has (022 here)."""
    previous = os.umask(0o022)
    try:
        db = tmp_path / "var" / "loaxa" / "loaxa.db"
        done = loaxa("db", "migrate", LOAXA_DB=str(db))
        assert done.returncode == 0, done.stderr
        done = loaxa("db", "backup", "backups/2026-12/copy.db", LOAXA_DB=str(db))
        assert done.returncode == 0, done.stderr
        done = loaxa(
            "export", "feedback", "--from", "2026-12-01", "--to", "2026-12-02", "--out", "out.xlsx",
            LOAXA_DB=str(db),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    finally:
        os.umask(previous)
    for folder in (db.parent.parent, db.parent, tmp_path / "backups", tmp_path / "backups/2026-12"):
        assert mode(folder) == 0o700, folder
    files = [db, tmp_path / "backups/2026-12/copy.db", tmp_path / "out.xlsx"]
    files += [p for p in db.parent.iterdir() if p.name.endswith(("-wal", "-shm"))]
    for file in files:
        assert mode(file) == 0o600, file


def test_broken_commune_file_exits_2_with_one_line_naming_it(loaxa, tmp_path):
    broken = tmp_path / "xa.toml"
    broken.write_text('[commune]\nname = "Ví Dụ\n', encoding="utf-8")
    done = loaxa("staff", "list", LOAXA_CONFIG=str(broken))
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith("loaxa: ")
    assert str(broken) in line


def test_database_newer_than_the_code_exits_2_with_one_line(loaxa, tmp_path):
    with sqlite3.connect(tmp_path / "loaxa.db") as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT)")
        conn.execute("INSERT INTO schema_version VALUES (999, 'later')")
    done = loaxa("db", "migrate")
    assert done.returncode == 2
    assert "newer" in one_line(done.stderr)


def test_run_without_a_token_exits_2_with_one_clear_line(loaxa):
    done = loaxa("run", "--allow-sample")
    assert done.returncode == 2
    assert "LOAXA_TELEGRAM_TOKEN" in one_line(done.stderr)


def test_bad_port_exits_2_naming_the_variable(loaxa):
    done = loaxa("staff", "list", LOAXA_HTTP_PORT="abc")
    assert done.returncode == 2
    assert "LOAXA_HTTP_PORT" in one_line(done.stderr)


def test_unknown_log_level_exits_2_naming_the_variable(loaxa):
    done = loaxa("staff", "list", LOAXA_LOG_LEVEL="loud")
    assert done.returncode == 2
    assert "LOAXA_LOG_LEVEL" in one_line(done.stderr)


def test_run_with_a_file_in_the_way_of_the_database_folder_exits_2(loaxa, tmp_path):
    (tmp_path / "data").write_text("a file where the folder should be", encoding="utf-8")
    done = loaxa(
        "run",
        LOAXA_DB=str(tmp_path / "data" / "loaxa.db"),
        LOAXA_TELEGRAM_TOKEN=TOKEN,
        LOAXA_ALLOW_SAMPLE="1",
    )
    assert done.returncode == 2
    assert "loaxa.db.lock" in one_line(done.stderr)
    assert TOKEN not in done.stderr


async def test_run_serves_on_uvloop_and_stops_cleanly_on_sigterm(emu, tmp_path):
    """`loaxa run` for real: a resident is answered, /healthz answers while it long-polls,
    and SIGTERM stops it with the database checkpointed and exit code 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "LOAXA_DB": str(tmp_path / "loaxa.db"),
        "LOAXA_TELEGRAM_TOKEN": TOKEN,
        "LOAXA_TELEGRAM_API_URL": emu.base_url,
        "LOAXA_TELEGRAM_FILE_URL": emu.file_url,
        "LOAXA_ALLOW_SAMPLE": "1",
        "LOAXA_HTTP_PORT": "0",
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    said = []
    try:
        started = await asyncio.wait_for(bot.stderr.readline(), 30)
        while b"is running" not in started:
            said.append(started)
            started = await asyncio.wait_for(bot.stderr.readline(), 30)
        found = [re.search(rb"HTTP server on [\d.]+:(\d+)", line) for line in said]
        port = next((match for match in found if match), None)
        assert port is not None, "no HTTP server while long polling"
        async with httpx.AsyncClient() as http:
            health = (await http.get(f"http://127.0.0.1:{int(port.group(1))}/healthz")).json()
        user = emu.add_user("Lan")
        await emu.send_text(user.id, "/start")
        for _ in range(100):
            if emu.messages(user.id):
                break
            await asyncio.sleep(0.1)
        assert emu.messages(user.id), "the resident got no answer"
    finally:
        bot.terminate()
        rest = await asyncio.wait_for(bot.stderr.read(), 30)
    assert await bot.wait() == 0
    assert b"uvloop" in started
    assert b"stopped" in rest and b"Traceback" not in rest
    assert b"checkpointed the database" in rest
    assert (
        not (tmp_path / "loaxa.db-wal").exists() or (tmp_path / "loaxa.db-wal").stat().st_size == 0
    )
    # The daily backup caught up at start (none had run yet), and /healthz saw it.
    assert len(list((tmp_path / "backups").glob("loaxa-*.db"))) == 1
    assert health["ok"] is True


def test_staff_add_reads_the_hamlet_as_residents_type_it(loaxa, tmp_path):
    done = loaxa("staff", "add", "--id", "7", "--role", "hamlet_head", "--name", "Lan",
                 "--hamlet", "xom 3")  # fmt: skip
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "loaxa.db") as conn:
        assert conn.execute("SELECT hamlet FROM staff").fetchall() == [("Xóm 3",)]


def test_staff_add_keeps_zalo_ids_as_given(loaxa, tmp_path):
    done = loaxa("staff", "add", "--channel", "zalo", "--id", "a1b2c3d4", "--role", "official",
                 "--name", NAME_A)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_help_and_messages_are_vietnamese_by_default_english_on_request(loaxa):
    vietnamese = loaxa("--help", LOAXA_LANGUAGE="")
    assert "chạy bot trên mọi kênh đã cấu hình" in vietnamese.stdout
    english = loaxa("--help")
    assert "run the bot on every configured channel" in english.stdout
    listed = loaxa("staff", "list", LOAXA_LANGUAGE="vi")
    assert "chưa có cán bộ nào" in listed.stdout


def test_web_link_prints_a_one_time_link_for_an_official(loaxa, tmp_path):
    seed(tmp_path / "loaxa.db", ("42", NAME_A))
    done = loaxa("web", "link", "--channel", "telegram", "--id", "42",
                 LOAXA_WEB_URL="https://xa.example.vn/")  # fmt: skip
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip()
    assert link.startswith("https://xa.example.vn/web/login/") and len(link) > 60

    async def usable() -> bool:
        from storage.db import utcnow

        store = await Storage.open(tmp_path / "loaxa.db")
        try:
            return await store.web_sessions.token_usable(link.rsplit("/", 1)[1], utcnow())
        finally:
            await store.close()

    assert asyncio.run(usable())


def test_web_link_for_someone_not_on_the_console_is_one_line_and_exit_2(loaxa, tmp_path):
    seed(tmp_path / "loaxa.db", ("42", NAME_A))
    done = loaxa("web", "link", "--channel", "zalo", "--id", "42")
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        "loaxa: zalo 42 is not a staff member who may use the console (see: loaxa staff list)"
    )
