"""The reports benchmark of issue 6: the weekly digest and the yearly report on a large commune.

Builds (once, kept in --db) a commune of 100,000 residents, 1,000,000 feedback items and
5,000,000 ratings spread over two years ending Monday 30/11/2026, then times on it:

- the weekly digest's data (week 2026-W48 and the week before, the 8-week trend, overdue
  items, low ratings): target 2 s;
- the yearly report's data (01/12/2025 to 30/11/2026): target 10 s;
- the whole digest (text, chart, workbook) and the whole .docx, for information.

Each is timed cold (the first run after opening the database) and warm (best of three).
Every statement the digest runs is then shown with SQLite's query plan (EXPLAIN QUERY PLAN on
the statements traced while it ran), so a missing index shows up as a SCAN.

    .venv/bin/python benchmarks/bench_reports.py                       # ~5 min the first time
    .venv/bin/python benchmarks/bench_reports.py --feedback 100000 --ratings 500000  # quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_commune  # noqa: E402
from bot.digest.build import build_digest  # noqa: E402
from bot.digest.data import figures, gather  # noqa: E402
from bot.digest.period import Period  # noqa: E402
from bot.report.build import build_report  # noqa: E402
from storage import Storage  # noqa: E402
from storage.models import Role  # noqa: E402
from storage.synthetic_bulk import BulkCommune  # noqa: E402

WEEK = (2026, 48)
YEAR = (date(2025, 12, 1), date(2026, 11, 30))
TARGETS = {"digest_data": 2.0, "report_data": 10.0}
TABLES = {
    "residents",
    "subscriptions",
    "staff",
    "sessions",
    "outbox",
    "media",
    "feedback",
    "feedback_events",
    "content_reads",
    "content_answers",
    "ratings",
    "survey_answers",
    "survey_done",
    "job_runs",
    "publications",
    "publication_files",
    "publication_views",
}


async def build(path: Path, args) -> float:
    """Create the large commune in `path`; return the seconds it took."""
    commune = load_commune(None)[0]
    began = time.perf_counter()
    store = await Storage.open(path)
    try:
        staff = [
            (await store.staff.upsert("telegram", f"90{k}", f"Official {k}", Role.OFFICIAL)).id
            for k in range(5)
        ]
        end = datetime(2026, 11, 30, tzinfo=commune.zone)
        await BulkCommune(store.db).build(
            residents=args.residents,
            feedback=args.feedback,
            ratings=args.ratings,
            start=end - timedelta(days=730),
            end=end,
            hamlets=commune.hamlets,
            categories=[c.id for c in commune.categories],
            services=[s.id for s in commune.services],
            staff_ids=staff,
        )
    finally:
        await store.close()
    return time.perf_counter() - began


async def timed(work) -> float:
    began = time.perf_counter()
    await work()
    return time.perf_counter() - began


async def measure(path: Path) -> dict:
    """Time each piece cold (first) then warm (best of three)."""
    commune = load_commune(None)[0]
    week = Period.week(*WEEK, commune.zone)
    year = Period(*YEAR, commune.zone)
    pieces = {
        "digest_data": lambda store: gather(store, commune, week),
        "report_data": lambda store: figures(store, commune, year),
        "digest_whole": lambda store: build_digest(store, commune, week),
        "report_whole": lambda store: build_report(store, commune, *YEAR, today=YEAR[1]),
    }
    results = {}
    for name, work in pieces.items():
        store = await Storage.open(path)
        try:
            cold = await timed(lambda: work(store))  # noqa: B023
            warm = min([await timed(lambda: work(store)) for _ in range(3)])  # noqa: B023
        finally:
            await store.close()
        results[name] = {"cold": round(cold, 3), "warm": round(warm, 3)}
    return results


async def plans(path: Path) -> list[tuple[str, list[str]]]:
    """Trace the statements the digest's data runs, and show each one's query plan."""
    commune = load_commune(None)[0]
    store = await Storage.open(path)
    seen: list[str] = []
    try:
        await store.db.set_trace_callback(seen.append)
        await gather(store, commune, Period.week(*WEEK, commune.zone))
        await store.db.set_trace_callback(None)
        shown, unique = [], []
        for sql in seen:
            if sql.lstrip().upper().startswith("SELECT") and sql not in unique:
                unique.append(sql)
        for sql in unique:
            rows = await store.db.fetchall("EXPLAIN QUERY PLAN " + sql)
            shown.append((sql, [row["detail"] for row in rows]))
    finally:
        await store.close()
    return shown


def _scans_a_table(step: str) -> bool:
    """Tell a full scan of a table from the scan of a subquery's own rows."""
    words = step.split()
    return len(words) > 1 and words[0] == "SCAN" and words[1] in TABLES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "benchmarks" / "results" / "reports.db")
    parser.add_argument("--feedback", type=int, default=1_000_000)
    parser.add_argument("--ratings", type=int, default=5_000_000)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--plans", action="store_true", help="print every query plan")
    parser.add_argument("--json", type=Path, help="write the figures to this file too")
    args = parser.parse_args()
    if args.rebuild and args.db.exists():
        args.db.unlink()
    report: dict = {"size": vars(args) | {"db": str(args.db), "json": None}}
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        report["build_seconds"] = round(asyncio.run(build(args.db, args)), 1)
        print(f"built {args.db} in {report['build_seconds']} s")
    report["file_mb"] = round(args.db.stat().st_size / 1e6)
    report["load_before"] = [round(x, 2) for x in os.getloadavg()]
    report["timings"] = asyncio.run(measure(args.db))
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(
        f"load average (1, 5, 15 min) before {report['load_before']}, after {report['load_after']}"
        f" on {os.cpu_count()} CPUs"
    )
    for name, t in report["timings"].items():
        target = TARGETS.get(name)
        verdict = "" if target is None else (" ok" if t["cold"] <= target else " OVER TARGET")
        limit = f" (target {target} s)" if target else ""
        print(f"{name:14} cold {t['cold']:7.3f} s  warm {t['warm']:7.3f} s{limit}{verdict}")
    shown = asyncio.run(plans(args.db))
    scans = [(sql, plan) for sql, plan in shown if any(_scans_a_table(p) for p in plan)]
    report["statements"], report["full_scans"] = len(shown), len(scans)
    print(f"{len(shown)} statements in the digest's data, {len(scans)} with a SCAN in the plan")
    for sql, plan in shown if args.plans else scans:
        print(f"\n{sql}\n  " + "\n  ".join(plan))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
