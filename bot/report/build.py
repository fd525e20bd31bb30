"""Gather a period's figures and write the report's .docx bytes."""

from __future__ import annotations

from datetime import date

import content
from bot.config import Commune
from bot.digest.data import figures
from bot.digest.period import Period
from bot.i18n import translator
from bot.report.document import report_docx
from storage import Storage


async def build_report(
    store: Storage,
    commune: Commune,
    first: date,
    last: date,
    *,
    today: date,
    signed_on: date | None = None,
) -> bytes:
    """Gather the figures of [first, last] (commune days) and write the report's .docx bytes."""
    period = Period(first, last, commune.zone)
    fig = await figures(store, commune, period)
    return report_docx(
        fig,
        commune,
        content.get_library(commune.content_facts()),
        translator(commune.language),
        today=today,
        signed_on=signed_on,
    )
