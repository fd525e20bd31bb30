"""The `loaxa` command line: run, demo, staff, db, and the other operators' tools.

Its help and messages come from the locale catalogs (cli.toml): Vietnamese unless
LOAXA_LANGUAGE says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from bot import logs
from bot.app import secrets_of
from bot.channels.base import ServiceUnreachable
from bot.config import ConfigError, load
from bot.i18n import explained
from bot.i18n import operator_text as say
from bot.service import run_forever, run_loop
from bot.text import match_choice
from storage import Storage, StorageError
from storage.models import STAFF_ROLES, Role

EXIT_CONFIG = 2


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, with its "usage:" in the operator's language."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(
            usage, actions, groups, say("cli.help.usage") if prefix is None else prefix
        )


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose own words (headings, -h, errors) come from the catalogs.

    Subcommands' parsers are made of the same class (argparse's add_subparsers default).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs |= {"add_help": False, "formatter_class": _Formatter}
        super().__init__(*args, **kwargs)
        self._positionals.title = say("cli.help.positionals")
        self._optionals.title = say("cli.help.options")
        self.add_argument("-h", "--help", action="help", help=say("cli.help.help"))

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, say("cli.help.error", prog=self.prog, message=message) + "\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="loaxa", description=say("cli.help.loaxa"))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help=say("cli.help.run"))
    run.add_argument("--allow-sample", action="store_true", help=say("cli.help.allow_sample"))
    demo = sub.add_parser("demo", help=say("cli.help.demo"))
    demo.add_argument("--port", type=int, default=8765, help=say("cli.help.demo_port"))
    demo.add_argument("--no-browser", action="store_true", help=say("cli.help.demo_no_browser"))
    demo.add_argument("--terminal", action="store_true", help=say("cli.help.demo_terminal"))
    demo.add_argument("--script", action="store_true", help=say("cli.help.demo_script"))
    demo.add_argument("--db", help=say("cli.help.demo_db"))

    staff = sub.add_parser("staff", help=say("cli.help.staff")).add_subparsers(
        dest="action", required=True
    )
    add = staff.add_parser("add", help=say("cli.help.staff_add"))
    channels = ("telegram", "zalo")
    add.add_argument(
        "--channel", choices=channels, default="telegram", help=say("cli.help.channel")
    )
    add.add_argument("--id", required=True, help=say("cli.help.staff_id"))
    roles = sorted(r.value for r in STAFF_ROLES)
    add.add_argument("--role", required=True, choices=roles, help=say("cli.help.role"))
    add.add_argument("--name", required=True, help=say("cli.help.name"))
    add.add_argument("--hamlet", help=say("cli.help.staff_hamlet"))
    staff.add_parser("list", help=say("cli.help.staff_list"))
    remove = staff.add_parser("remove", help=say("cli.help.staff_remove"))
    remove.add_argument(
        "--channel", choices=channels, default="telegram", help=say("cli.help.channel")
    )
    remove.add_argument("--id", required=True, help=say("cli.help.staff_id"))

    from bot import export as xlsx

    xlsx.add_arguments(
        sub.add_parser("export", help=say("cli.help.export")).add_subparsers(
            dest="what", required=True
        )
    )

    qr = sub.add_parser("qr", help=say("cli.help.qr"))
    qr.add_argument("--desk", required=True, help=say("cli.help.qr_desk"))
    qr.add_argument("--out", required=True, help=say("cli.help.qr_out"))
    qr.add_argument("--bot", help=say("cli.help.qr_bot"))
    qr.add_argument("--zalo-link", help=say("cli.help.qr_zalo_link"))

    from content import cli as content_cli

    content_cli.add_arguments(sub.add_parser("content", help=say("cli.help.content")))

    from bot.digest import cli as digest_cli
    from bot.report import cli as report_cli

    digest_cli.add_arguments(sub)
    report_cli.add_arguments(sub)

    from bot import broadcasts_cli

    broadcasts_cli.add_arguments(sub)

    from bot import zalo_oa_cli

    zalo_oa_cli.add_arguments(sub)

    from bot.web import cli as web_cli

    web_cli.add_arguments(sub)

    db = sub.add_parser("db", help=say("cli.help.db")).add_subparsers(dest="action", required=True)
    db.add_parser("migrate", help=say("cli.help.db_migrate"))
    backup = db.add_parser("backup", help=say("cli.help.db_backup"))
    backup.add_argument("path")
    # The operator's tools (bot/doctor.py, bot/backups.py).
    restore = db.add_parser("restore", help=say("restore.help"))
    restore.add_argument("file", help=say("restore.help_file"))
    sub.add_parser("doctor", help=say("doctor.help"))
    return parser


async def _with_store(settings, work):
    store = await Storage.open(settings.db, busy_timeout_ms=settings.db_busy_timeout_ms)
    try:
        return await work(store)
    finally:
        await store.close()


def _check_staff_args(args, commune) -> None:
    """Check --name and --id, and read --hamlet the way residents' answers are read."""
    name, user_id = args.name.strip(), args.id.strip()
    if not name or len(name) > 80:
        raise ConfigError("staff add: --name must be 1-80 characters", "cli.staff_name")
    if not user_id or len(user_id) > 64:
        raise ConfigError("staff add: --id must be 1-64 characters", "cli.staff_id")
    if args.channel == "telegram" and not (user_id.isascii() and user_id.isdigit()):
        raise ConfigError(
            f"staff add: --id {user_id}: a Telegram id is a number", "cli.staff_telegram_id",
            id=user_id,
        )  # fmt: skip
    if args.hamlet:
        found = match_choice(args.hamlet, commune.hamlets)
        if found is None:
            known = ", ".join(commune.hamlets)
            raise ConfigError(
                f"staff add: --hamlet {args.hamlet!r} is not in the commune file ({known})",
                "cli.staff_hamlet",
                hamlet=args.hamlet,
                known=known,
            )
        args.hamlet = commune.hamlets[found]


async def _staff_add(store: Storage, args) -> int:
    member = await store.staff.upsert(
        args.channel, args.id.strip(), args.name.strip(), Role(args.role), hamlet=args.hamlet
    )
    hamlet = f" [{member.hamlet}]" if member.hamlet else ""
    print(
        say(
            "cli.staff_added",
            name=member.name + hamlet,
            role=member.role,
            channel=member.channel,
            id=member.user_id,
        )
    )
    return 0


async def _staff_list(store: Storage) -> int:
    members = await store.staff.list_all()
    if not members:
        print(say("cli.staff_none"))
    for m in members:
        hamlet = f" [{m.hamlet}]" if m.hamlet else ""
        print(f"{m.channel}\t{m.user_id}\t{m.role}\t{m.name}{hamlet}\t({m.source})")
    return 0


async def _staff_remove(store: Storage, args) -> int:
    if await store.staff.remove(args.channel, args.id.strip()):
        print(say("cli.staff_removed", channel=args.channel, id=args.id))
        return 0
    print(say("cli.staff_unknown", channel=args.channel, id=args.id), file=sys.stderr)
    return 1


async def _db(store: Storage, args) -> int:
    if args.action == "migrate":
        version = await store.db.schema_version()
        print(say("cli.db_version", path=store.db.path, version=version))
        return 0
    target = await store.db.backup(args.path)
    print(say("cli.db_backed_up", path=store.db.path, target=target))
    return 0


def _qr(args, settings, commune) -> int:
    from pathlib import Path

    from bot.i18n import translator
    from bot.qr import desk_poster, rating_link

    desk = commune.desk(args.desk)
    if desk is None:
        known = ", ".join(d.id for d in commune.desks) or "-"
        raise ConfigError(
            f"qr: --desk {args.desk!r} is not in the commune file (desks: {known})",
            "cli.qr_desk",
            desk=args.desk,
            known=known,
        )
    t = translator(commune.language, commune.address)
    title = t("qr.title", desk=desk.name)
    if args.zalo_link is not None:
        return _zalo_poster(args, commune, desk, title)
    username = args.bot or settings.telegram_bot_username or _bot_username(settings)
    link = rating_link(username, desk.id)
    out = desk_poster(link, title, t("qr.caption", commune=commune.display_name), Path(args.out))
    print(say("cli.qr_written", path=out, link=link))
    return 0


def _zalo_poster(args, commune, desk, title: str) -> int:
    """The desk's poster for Zalo: the bot's Zalo link as given, and the words to type."""
    from pathlib import Path

    from bot.i18n import translator
    from bot.qr import desk_poster, typed_code, zalo_link

    link, code = zalo_link(args.zalo_link), typed_code(commune.language, desk.id)
    if link is None:
        raise ConfigError(
            "qr: --zalo-link must be the https:// link Zalo shows for the bot", "cli.qr_zalo_link"
        )
    t = translator(commune.language, commune.address)
    caption = t("qr_zalo.caption", commune=commune.display_name, code=code)
    out = desk_poster(link, title, caption, Path(args.out))
    print(say("cli.qr_zalo_written", path=out, link=link, code=code))
    return 0


def _bot_username(settings) -> str:
    """Ask Telegram for the bot's username (getMe), when a token is set."""
    if settings.telegram_token is None:
        raise ConfigError(
            "qr: give --bot USERNAME, or set LOAXA_TELEGRAM_BOT_USERNAME or LOAXA_TELEGRAM_TOKEN",
            "cli.qr_bot",
        )
    from bot.channels.telegram import TelegramChannel

    channel = TelegramChannel(settings, handle=None, notices={})
    return asyncio.run(channel.get_username())


def _dispatch(args, settings, commune) -> int:
    if args.command == "run":
        run_loop(run_forever(settings, commune))
        return 0
    if args.command == "demo":
        if args.terminal or args.script:
            from bot.demo import run_demo

            return asyncio.run(run_demo(commune, script=args.script, db_path=args.db))
        from bot.webdemo.server import serve

        return asyncio.run(
            serve(commune, port=args.port, open_browser=not args.no_browser, db_path=args.db)
        )
    if args.command == "qr":
        return _qr(args, settings, commune)
    if args.command == "doctor":
        from bot import doctor

        return asyncio.run(doctor.run(settings, commune))
    if args.command == "db" and args.action == "restore":
        from pathlib import Path

        from bot import backups

        print("\n".join(backups.restore(Path(args.file), settings)))
        return 0
    if args.command == "content":
        from content import cli as content_cli

        return content_cli.run(args, commune)
    if args.command == "staff":
        if args.action == "add":
            _check_staff_args(args, commune)
        actions = {
            "add": lambda store: _staff_add(store, args),
            "list": _staff_list,
            "remove": lambda store: _staff_remove(store, args),
        }
        return asyncio.run(_with_store(settings, actions[args.action]))
    if args.command in ("digest", "report"):
        from bot.digest import cli as digest_cli
        from bot.report import cli as report_cli

        tool = digest_cli if args.command == "digest" else report_cli
        return asyncio.run(_with_store(settings, lambda store: tool.run_cli(store, commune, args)))
    if args.command == "broadcasts":
        from bot import broadcasts_cli

        work = broadcasts_cli.run_cli
        return asyncio.run(_with_store(settings, lambda store: work(store, commune, args)))
    if args.command == "zalo-oa":
        from bot import zalo_oa_cli

        return zalo_oa_cli.run_cli(settings, args)
    if args.command == "web":
        from bot.web import cli as web_cli

        return asyncio.run(
            _with_store(settings, lambda store: web_cli.run_cli(store, settings, args))
        )
    if args.command == "export":
        from bot import export as xlsx

        return asyncio.run(_with_store(settings, lambda store: xlsx.run_cli(store, commune, args)))
    return asyncio.run(_with_store(settings, lambda store: _db(store, args)))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command; an operator's mistake prints one line and exits with code 2."""
    os.umask(0o077)  # the database, its backups and exports hold personal data: owner only
    args = _parser().parse_args(argv)
    try:
        settings, commune = load(**({"allow_sample": True} if _allow_sample(args) else {}))
        # Maintenance commands print their result; only warnings belong beside it.
        quiet = args.command not in ("run", "demo") and settings.log_level == "INFO"
        logs.configure("WARNING" if quiet else settings.log_level, secrets_of(settings))
        return _dispatch(args, settings, commune)
    except (ConfigError, StorageError, ServiceUnreachable) as exc:
        print(f"loaxa: {explained(exc)}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:  # a file or folder that cannot be written, a port in use
        print(f"loaxa: {_os_error(exc)}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _allow_sample(args) -> bool:
    return getattr(args, "allow_sample", False)


def _os_error(exc: OSError) -> str:
    """Say which file failed and why, in one line, without the traceback."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return say("cli.os_error", reason=reason)
    return say("cli.os_error_path", path=exc.filename, reason=reason)


if __name__ == "__main__":
    sys.exit(main())
