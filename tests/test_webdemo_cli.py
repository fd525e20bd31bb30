"""`loaxa demo` as a person runs it: the web demo by default, the terminal one on request."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"http://127\.0\.0\.1:\d+/")


@pytest.fixture
def env(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    return base | {"PYTHONPATH": str(ROOT), "PYTHONUTF8": "1", "CI": "true"}


def _demo(tmp_path, env, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def test_demo_serves_the_page_prints_its_url_and_stops_on_ctrl_c(tmp_path, env):
    process = _demo(tmp_path, env, "--no-browser", "--port", "0")
    try:
        lines, deadline = [], time.monotonic() + 45
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if URL.search(line):
                break
        found = URL.search("".join(lines))
        assert found, "".join(lines)
        state = httpx.get(found.group(0) + "api/state", timeout=10).json()
        assert state["commune"] == "xã Ví Dụ" and len(state["personas"]) > 5
        assert "dữ liệu mẫu" in "".join(lines).lower()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_demo_refuses_an_existing_database_file(tmp_path, env):
    existing = tmp_path / "old.db"
    existing.write_bytes(b"")
    process = _demo(tmp_path, env, "--no-browser", "--port", "0", "--db", str(existing))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert err.strip().startswith("loaxa: demo: --db") and "Traceback" not in err


def test_demo_port_in_use_is_one_clear_line(tmp_path, env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = _demo(tmp_path, env, "--no-browser", "--port", str(port))
        _, err = process.communicate(timeout=45)
    assert process.returncode == 2
    assert f"127.0.0.1:{port}" in err and "--port" in err and "Traceback" not in err


def test_terminal_demo_still_plays_its_scripted_tour(tmp_path, env):
    process = _demo(tmp_path, env, "--terminal", "--script")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "/start" in out and "/thongke" in out
