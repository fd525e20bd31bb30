"""`loaxa web link --channel C --id ID`: a one-time sign-in link to the console, for an
operator to hand to a staff member (the same link /web sends in chat)."""

from __future__ import annotations

import argparse

from bot.actions.permissions import may_use_console
from bot.config import ConfigError, Settings
from bot.i18n import operator_text as say
from bot.web import urls
from storage import Storage
from storage.db import utcnow


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the `web` command."""
    web = sub.add_parser("web", help=say("web.cli_help")).add_subparsers(
        dest="action", required=True
    )
    link = web.add_parser("link", help=say("web.cli_link_help"))
    link.add_argument(
        "--channel", choices=("telegram", "zalo"), default="telegram", help=say("cli.help.channel")
    )
    link.add_argument("--id", required=True, help=say("cli.help.staff_id"))


async def run_cli(store: Storage, settings: Settings, args) -> int:
    """Print a sign-in link; one line on stderr and exit 2 for someone not on the console."""
    staff = await store.staff.get_by_identity(args.channel, args.id.strip())
    if staff is None or not may_use_console(staff):
        raise ConfigError(
            f"{args.channel} {args.id} is not a staff member who may use the console",
            "web.cli_not_staff",
            channel=args.channel,
            id=args.id,
        )
    token = await store.web_sessions.issue_token(staff.id, utcnow())
    print(urls.login_url(settings.console_url, token))
    return 0
