"""Conversation flows, one module each; FLOWS is what the router serves.

FLOWS is built on first use, not when the package is imported: the action layer below the
fronts (bot/actions/) uses handlers.notify and handlers.feedback_status, and importing
those must not import every flow (which use the action layer in turn).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name != "FLOWS":
        raise AttributeError(f"module 'handlers' has no attribute {name!r}")
    from handlers import (
        basics,
        broadcast,
        consult,
        dialogue,
        feedback,
        inbox,
        library,
        onboarding,
        privacy,
        publications,
        publications_browse,
        question,
        rating,
        reports,
        stats,
        subscriptions,
        survey,
        tracking,
        web,
    )

    FLOWS = (
        onboarding.FLOW,
        basics.MENU,
        feedback.FLOW,
        tracking.FLOW,
        rating.FLOW,
        survey.FLOW,
        consult.FLOW,
        dialogue.FLOW,
        inbox.FLOW,
        library.FLOW,
        subscriptions.FLOW,
        broadcast.FLOW,
        stats.FLOW,
        reports.FLOW,
        publications.FLOW,
        publications_browse.FLOW,
        privacy.FLOW,
        question.FLOW,
        web.FLOW,
        basics.HELP,
        basics.CANCEL,
        basics.STOP,
    )
    globals()["FLOWS"] = FLOWS  # built once
    return FLOWS
