"""Conversation flows, one module each; FLOWS is what the router serves."""

from handlers import basics, onboarding, privacy, stats

FLOWS = (
    onboarding.FLOW,
    basics.MENU,
    stats.FLOW,
    privacy.FLOW,
    basics.HELP,
    basics.CANCEL,
    basics.STOP,
)
