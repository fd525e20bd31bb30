"""SQLite storage: the database, its migrations and one repository per aggregate."""

from __future__ import annotations

from pathlib import Path

from storage.audit import AuditLog
from storage.broadcasts import Broadcasts
from storage.connections import is_transient
from storage.content import ContentRepo
from storage.db import Database, StorageError
from storage.deliveries import ContentDeliveries
from storage.dialogues import DialoguesRepo
from storage.erasure import Erasure
from storage.feedback import FeedbackRepo
from storage.inbox_pages import InboxPages
from storage.jobs import JobRuns
from storage.media import MediaRepo
from storage.oa_window import OaWindowStore
from storage.outbox import Outbox
from storage.participation import ParticipationRepo
from storage.preferences import Preferences
from storage.publications import PublicationsRepo
from storage.ratings import RatingsRepo
from storage.reports import ReportsRepo
from storage.residents import Residents
from storage.sessions import Sessions
from storage.staff import StaffRepo
from storage.surveys import SurveysRepo
from storage.web_sessions import WebSessions


class Storage:
    """The database with its repositories, opened and migrated."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.residents = Residents(db)
        self.staff = StaffRepo(db)
        self.sessions = Sessions(db)
        self.content = ContentRepo(db)
        self.outbox = Outbox(db)
        self.feedback = FeedbackRepo(db)
        self.media = MediaRepo(db)
        self.ratings = RatingsRepo(db)
        self.surveys = SurveysRepo(db)
        self.jobs = JobRuns(db)
        self.participation = ParticipationRepo(db)
        self.dialogues = DialoguesRepo(db)
        self.publications = PublicationsRepo(db)
        self.reports = ReportsRepo(db)
        self.preferences = Preferences(db)
        self.deliveries = ContentDeliveries(db)
        self.broadcasts = Broadcasts(db)
        self.oa_window = OaWindowStore(db)
        self.audit = AuditLog(db)
        self.web_sessions = WebSessions(db)
        self.inbox_pages = InboxPages(db)
        self.erasure = Erasure(db, self.residents, self.outbox)

    @classmethod
    async def open(cls, path: str | Path, *, busy_timeout_ms: int = 5000) -> Storage:
        """Connect to `path` and apply pending migrations."""
        db = Database(path, busy_timeout_ms=busy_timeout_ms)
        await db.connect()
        try:
            await db.migrate()
        except BaseException:
            await db.close()
            raise
        return cls(db)

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()


__all__ = ["Database", "Storage", "StorageError", "is_transient"]
