"""A short run of benchmarks/fault_soak.py: kill -9 the bot during onboarding, feedback and
a broadcast, then check codes, photos, the outbox, duplicates and the database file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parent.parent / "benchmarks" / "fault_soak.py"


def load_soak():
    spec = importlib.util.spec_from_file_location("fault_soak", SOAK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "faults",
    [
        [],
        ["--failure-rate", "0.05", "--rate-limit"],
    ],
    ids=["kills", "kills-and-flaky-api"],
)
async def test_kill_9_during_mixed_load_loses_nothing(tmp_path, faults):
    soak = load_soak()
    short = ["--kills", "3", "--residents", "8", "--recipients", "40", "--patience", "2"]
    args = soak.parse([*short, "--timeout", "90", *faults])
    result = await soak.soak(args, tmp_path)
    assert result["violations"] == []
    assert result["finished"] == 8 and result["codes"] >= 8
    assert result["lost"] == 0 and result["integrity"] == "ok"
