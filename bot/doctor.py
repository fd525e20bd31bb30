"""`loaxa doctor`: one table of what is right and what needs attention; exit 1 if anything does.

It reads and asks, and changes nothing: the database is opened without migrating, the
services are asked with getMe and getWebhookInfo only, so it is safe beside a running bot.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot import backups
from bot.backups import BackupPolicy
from bot.channels import probe
from bot.config import SAMPLE_COMMUNE, Commune, Settings
from bot.i18n import Translator, operator_language, translator
from bot.jobs import build_jobs
from bot.scheduler import Scheduler
from storage import Database, Storage
from storage.db import migrations, utcnow
from storage.files import DatabaseLock, schema_version, verify, wal_bytes
from storage.health import Health
from storage.oa_tokens import OaTokens

MIN_FREE = 512 * 1024**2  # bytes free on the database's disk below which it says so
BACKLOG_AFTER = timedelta(minutes=15)  # a due push older than this means sending is stuck
PENDING_AT_SERVICE = 100  # updates held by a service that the bot has not taken
WEBHOOK_ERROR_WINDOW = timedelta(hours=24)  # an older delivery error has been got over
NEXT_JOBS = 4  # scheduled jobs named in the table


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: what was checked, whether it is well, and what was found."""

    check: str
    ok: bool
    detail: str


class Doctor:
    """Examines the set-up that `settings` and the commune file describe."""

    def __init__(self, settings: Settings, commune: Commune, now: datetime | None = None) -> None:
        self.settings = settings
        self.commune = commune
        self.now = now or utcnow()
        self.t: Translator = translator(operator_language())

    async def examine(self) -> list[Row]:
        """Run every check, in the table's order."""
        rows = [self.config()]
        db_row, sound = await self.database()
        rows += [db_row, self.process()]
        rows += [self.channel(found) for found in await self._probes()]
        if self.settings.zalo_oa_on:
            rows.append(await self.zalo_oa(sound))
        rows.append(self.scheduler())
        if sound:
            rows.append(await self.outbox())
        rows.append(await self.backup())
        return rows

    # --- the checks ------------------------------------------------------------------------

    def config(self) -> Row:
        t, commune = self.t, self.commune
        file = str(self.settings.config or _default_commune_file())
        if commune.hamlets_are_examples:
            return Row(t("doctor.config"), False, t("doctor.config_sample", file=file))
        channels = [
            f"{name} ({t('doctor.mode_webhook' if hook else 'doctor.mode_polling')})"
            for name, token, hook in (
                ("Telegram", self.settings.telegram_token, self.settings.telegram_webhook_url),
                ("Zalo", self.settings.zalo_token, self.settings.zalo_webhook_url),
                ("Zalo OA", self.settings.zalo_oa_app_id or None, True),
            )
            if token is not None
        ]
        if not channels:
            return Row(t("doctor.config"), False, t("doctor.config_no_channel"))
        detail = t(
            "doctor.config_ok",
            file=file,
            commune=commune.display_name,
            hamlets=len(commune.hamlets),
            channels=", ".join(channels),
        )
        return Row(t("doctor.config"), True, detail)

    async def database(self) -> tuple[Row, bool]:
        """Check the file: there, sound, migrated, room on its disk. Return (row, sound)."""
        t, path = self.t, self.settings.db
        label = t("doctor.database")
        if not path.exists():
            return Row(label, False, t("doctor.database_missing", path=path)), False
        problem = await asyncio.to_thread(verify, path)
        version = await asyncio.to_thread(schema_version, path) if problem == "ok" else None
        if problem != "ok" or version is None:
            problem = problem if problem != "ok" else "no schema_version"
            return Row(label, False, t("doctor.database_broken", path=path, problem=problem)), False
        newest = migrations()[-1][0]
        if version < newest:
            detail = t("doctor.database_behind", path=path, version=version, newest=newest)
            return Row(label, False, detail), True
        free = shutil.disk_usage(path.parent).free
        if free < MIN_FREE:
            return Row(
                label, False, t("doctor.database_low_disk", path=path, free=_size(free))
            ), True
        detail = t(
            "doctor.database_ok",
            path=path,
            size=_size(path.stat().st_size),
            wal=_size(wal_bytes(path)),
            free=_size(free),
        )
        return Row(label, True, detail), True

    def process(self) -> Row:
        lock = DatabaseLock(self.settings.db)
        if lock.held_elsewhere():
            return Row(
                self.t("doctor.process"), True, self.t("doctor.process_running", pid=lock.holder())
            )
        return Row(self.t("doctor.process"), False, self.t("doctor.process_stopped"))

    async def _probes(self) -> list[probe.Probe]:
        asks = []
        if self.settings.telegram_token is not None:
            asks.append(probe.telegram(self.settings))
        if self.settings.zalo_token is not None:
            asks.append(probe.zalo(self.settings))
        return list(await asyncio.gather(*asks))

    def channel(self, found: probe.Probe) -> Row:
        """Judge what a service said against what the settings expect."""
        t = self.t
        service, setting, expected = (
            ("Telegram", "LOAXA_TELEGRAM_TOKEN", self.settings.telegram_webhook_url)
            if found.channel == "telegram"
            else ("Zalo", "LOAXA_ZALO_TOKEN", self.settings.zalo_webhook_url)
        )
        if found.state == "token_refused":
            return Row(
                service, False, t("doctor.channel_token_refused", service=service, setting=setting)
            )
        if found.state != "ok":
            return Row(
                service,
                False,
                t("doctor.channel_unreachable", service=service, reason=found.reason),
            )
        name, registered, pending = found.name or service, found.webhook_url, found.pending or 0
        problems = []
        if expected and registered != expected:
            problems.append(t("doctor.channel_webhook_other", name=name, service=service,
                              registered=registered or "—", url=expected))  # fmt: skip
        if not expected and registered:
            problems.append(t("doctor.channel_webhook_left", name=name, service=service,
                              registered=registered))  # fmt: skip
        at = found.last_error_at
        if found.last_error and at is not None and self.now - at < WEBHOOK_ERROR_WINDOW:
            problems.append(t("doctor.channel_webhook_error", name=name,
                              age=self._age(self.now - at), error=found.last_error))  # fmt: skip
        if pending >= PENDING_AT_SERVICE:
            problems.append(
                t("doctor.channel_backlog", name=name, pending=pending, service=service)
            )
        if problems:
            return Row(service, False, "; ".join(problems))
        if expected:
            detail = t("doctor.channel_webhook_ok", name=name, url=registered, pending=pending)
        else:
            detail = t("doctor.channel_ok", name=name, mode=t("doctor.mode_polling"))
        return Row(service, True, detail)

    async def zalo_oa(self, sound: bool) -> Row:
        """Check the OA: its stored token pair, Zalo's answer to it, the webhook's key."""
        t, settings, label = self.t, self.settings, "Zalo OA"
        pair = None
        if sound:
            db = Database(settings.db, busy_timeout_ms=settings.db_busy_timeout_ms)
            try:
                await db.connect()
                pair = await OaTokens(db).get(settings.zalo_oa_app_id or "")
            finally:
                await db.close()
        live = pair is not None and pair.expires_at is not None and pair.expires_at > self.now
        found = await probe.zalo_oa(settings, pair.access_token if live else "")
        if found.state == "unreachable":
            reason = found.reason
            return Row(label, False, t("doctor.channel_unreachable", service=label, reason=reason))
        if pair is None or not pair.refresh_token:
            if settings.zalo_oa_refresh_token is None:
                return Row(label, False, t("doctor.oa_not_connected"))
            return Row(label, True, t("doctor.oa_seed", path=settings.zalo_oa_webhook_path))
        if not live:
            when = pair.expires_at.astimezone(self.commune.zone) if pair.expires_at else None
            at = f"{when:%d/%m/%Y %H:%M}" if when else "—"
            return Row(label, False, t("doctor.oa_expired", when=at))
        if found.state == "token_refused":
            return Row(label, False, t("doctor.oa_refused"))
        until = f"{pair.expires_at.astimezone(self.commune.zone):%d/%m/%Y %H:%M}"
        detail = t("doctor.oa_ok", name=found.name or label, until=until,
                   path=settings.zalo_oa_webhook_path)  # fmt: skip
        return Row(label, True, detail)

    def scheduler(self) -> Row:
        """Name the next few scheduled jobs and when they run (commune time)."""
        idle = Storage(Database(self.settings.db))  # never connected: the jobs are not run
        policy = BackupPolicy.from_settings(self.settings)
        scheduler = Scheduler(idle, self.commune.zone, build_jobs(idle, self.commune, policy))
        upcoming = sorted(
            (when, name)
            for name, job in scheduler.jobs.items()
            if (when := scheduler.trigger(job).get_next_fire_time(None, self.now)) is not None
        )
        shown = [f"{name} {when.astimezone(self.commune.zone):%d/%m %H:%M}"
                 for when, name in upcoming[:NEXT_JOBS]]  # fmt: skip
        if len(upcoming) > NEXT_JOBS:
            shown.append(self.t("doctor.scheduler_more", count=len(upcoming) - NEXT_JOBS))
        return Row(
            self.t("doctor.scheduler"), True, self.t("doctor.scheduler_next", jobs=", ".join(shown))
        )

    async def outbox(self) -> Row:
        t = self.t
        db = Database(self.settings.db, busy_timeout_ms=self.settings.db_busy_timeout_ms)
        try:
            await db.connect()
            summary = await Health(db).outbox(self.now)
        finally:
            await db.close()
        problems = []
        oldest = summary.oldest_due
        if oldest is not None and self.now - oldest > BACKLOG_AFTER:
            problems.append(
                t("doctor.outbox_backlog", depth=summary.depth, age=self._age(self.now - oldest))
            )
        if summary.failed_last_day:
            problems.append(t("doctor.outbox_failed", count=summary.failed_last_day))
        if problems:
            return Row(t("doctor.outbox"), False, "; ".join(problems))
        return Row(t("doctor.outbox"), True, t("doctor.outbox_ok", depth=summary.depth))

    async def backup(self) -> Row:
        t = self.t
        folder = BackupPolicy.from_settings(self.settings).folder
        newest = backups.newest(folder)
        if newest is None:
            return Row(t("doctor.backup"), False, t("doctor.backup_none", folder=folder))
        taken, path = newest
        age = self._age(self.now - taken)
        if self.now - taken > backups.STALE_AFTER:
            return Row(t("doctor.backup"), False, t("doctor.backup_stale", name=path.name, age=age))
        problem = await asyncio.to_thread(verify, path)
        if problem != "ok":
            detail = t("doctor.backup_broken", name=path.name, problem=problem)
            return Row(t("doctor.backup"), False, detail)
        return Row(t("doctor.backup"), True, t("doctor.backup_ok", name=path.name, age=age))

    # --- output ----------------------------------------------------------------------------

    def _age(self, span: timedelta) -> str:
        minutes = max(0, int(span.total_seconds() // 60))
        if minutes < 120:
            return self.t("doctor.minutes", n=minutes)
        if minutes < 48 * 60:
            return self.t("doctor.hours", n=minutes // 60)
        return self.t("doctor.days", n=minutes // (24 * 60))

    def render(self, rows: list[Row]) -> str:
        """Lay the rows out as a plain-text table, with a closing verdict."""
        t = self.t
        states = [t("doctor.ok") if row.ok else t("doctor.attention") for row in rows]
        head = (t("doctor.col_check"), t("doctor.col_state"), t("doctor.col_detail"))
        width_check = max(len(head[0]), *(len(row.check) for row in rows))
        width_state = max(len(head[1]), *(len(state) for state in states))
        lines = [
            t("doctor.title", when=f"{self.now.astimezone(self.commune.zone):%d/%m/%Y %H:%M}"),
            "",
        ]
        for check, state, detail in [
            head,
            *((r.check, s, r.detail) for r, s in zip(rows, states, strict=True)),
        ]:
            lines.append(f"{check:<{width_check}}  {state:<{width_state}}  {detail}")
        bad = sum(not row.ok for row in rows)
        lines += ["", t("doctor.needs_attention", count=bad) if bad else t("doctor.all_well")]
        return "\n".join(lines)


def _default_commune_file() -> str:
    return "loaxa.toml" if Path("loaxa.toml").exists() else f"(bundled) {SAMPLE_COMMUNE}"


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


async def run(settings: Settings, commune: Commune) -> int:
    """Print the table; return 0 when all is well, 1 when something needs attention."""
    doctor = Doctor(settings, commune)
    rows = await doctor.examine()
    print(doctor.render(rows))
    return 0 if all(row.ok for row in rows) else 1
