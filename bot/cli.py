"""The `loaxa` command line: run, demo, staff, db."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from bot import logs
from bot.app import run_forever, run_loop, secrets_of
from bot.config import ConfigError, load
from storage import Storage, StorageError
from storage.models import STAFF_ROLES, Role

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loaxa", description="Loa Xã: the commune's chatbot.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="run the bot on every configured channel")
    demo = sub.add_parser(
        "demo", help="the bot on a built-in Telegram emulator, in a web page; no token needed"
    )
    demo.add_argument("--port", type=int, default=8765, help="web page port on 127.0.0.1")
    demo.add_argument("--no-browser", action="store_true", help="only print the page's URL")
    demo.add_argument("--terminal", action="store_true", help="chat in this terminal instead")
    demo.add_argument("--script", action="store_true", help="play a short scripted tour and exit")
    demo.add_argument("--db", help="keep the demo database in this file (default: temporary)")

    staff = sub.add_parser("staff", help="manage staff").add_subparsers(
        dest="action", required=True
    )
    add = staff.add_parser("add", help="add a staff member or change their role")
    add.add_argument("--channel", choices=("telegram", "zalo"), default="telegram")
    add.add_argument("--id", required=True, help="the person's user id on that channel")
    add.add_argument("--role", required=True, choices=sorted(r.value for r in STAFF_ROLES))
    add.add_argument("--name", required=True)
    add.add_argument("--hamlet", help="for hamlet heads: their hamlet")
    staff.add_parser("list", help="list staff")
    remove = staff.add_parser("remove", help="remove a staff member")
    remove.add_argument("--channel", choices=("telegram", "zalo"), default="telegram")
    remove.add_argument("--id", required=True)

    from bot import export as xlsx

    xlsx.add_arguments(
        sub.add_parser("export", help="export data to files").add_subparsers(
            dest="what", required=True
        )
    )

    qr = sub.add_parser("qr", help="make a printable QR code that opens the rating for a desk")
    qr.add_argument("--desk", required=True, help="a desk id from the commune file")
    qr.add_argument("--out", required=True, help="the PNG file to write")
    qr.add_argument("--bot", help="the bot's Telegram username (else LOAXA_TELEGRAM_BOT_USERNAME)")

    from content import cli as content_cli

    content_cli.add_arguments(
        sub.add_parser("content", help="check, list or review the outreach library")
    )

    from bot.digest import cli as digest_cli
    from bot.report import cli as report_cli

    digest_cli.add_arguments(sub)
    report_cli.add_arguments(sub)

    from bot import broadcasts_cli

    broadcasts_cli.add_arguments(sub)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("migrate", help="apply pending migrations")
    backup = db.add_parser("backup", help="copy the live database with SQLite's online backup")
    backup.add_argument("path")
    return parser


async def _with_store(settings, work):
    store = await Storage.open(settings.db, busy_timeout_ms=settings.db_busy_timeout_ms)
    try:
        return await work(store)
    finally:
        await store.close()


def _check_staff_args(args, commune) -> None:
    if not args.name.strip() or len(args.name.strip()) > 80:
        raise ConfigError("staff add: --name must be 1-80 characters")
    if not args.id.strip() or len(args.id.strip()) > 64:
        raise ConfigError("staff add: --id must be 1-64 characters (the person's user id)")
    if args.hamlet and args.hamlet not in commune.hamlets:
        raise ConfigError(f"staff add: --hamlet {args.hamlet!r} is not in the commune file")


async def _staff_add(store: Storage, args) -> int:
    member = await store.staff.upsert(
        args.channel, args.id.strip(), args.name.strip(), Role(args.role), hamlet=args.hamlet
    )
    print(f"staff: {member.name} ({member.role}) on {member.channel} id {member.user_id}")
    return 0


async def _staff_list(store: Storage) -> int:
    members = await store.staff.list_all()
    if not members:
        print("no staff yet: add one with `loaxa staff add`")
    for m in members:
        hamlet = f" [{m.hamlet}]" if m.hamlet else ""
        print(f"{m.channel}\t{m.user_id}\t{m.role}\t{m.name}{hamlet}\t({m.source})")
    return 0


async def _staff_remove(store: Storage, args) -> int:
    if await store.staff.remove(args.channel, args.id.strip()):
        print(f"removed {args.channel} id {args.id}")
        return 0
    print(f"no staff member with {args.channel} id {args.id}", file=sys.stderr)
    return 1


async def _db(store: Storage, args) -> int:
    if args.action == "migrate":
        print(f"database {store.db.path} is at schema version {await store.db.schema_version()}")
        return 0
    target = await store.db.backup(args.path)
    print(f"backed up {store.db.path} to {target}")
    return 0


def _qr(args, settings, commune) -> int:
    from pathlib import Path

    from bot.i18n import translator
    from bot.qr import desk_poster, rating_link

    desk = commune.desk(args.desk)
    if desk is None:
        known = ", ".join(d.id for d in commune.desks) or "none"
        raise ConfigError(f"qr: --desk {args.desk!r} is not in the commune file (desks: {known})")
    username = args.bot or settings.telegram_bot_username
    if not username:
        raise ConfigError("qr: give --bot USERNAME or set LOAXA_TELEGRAM_BOT_USERNAME")
    t = translator(commune.language)
    link = rating_link(username, desk.id)
    title = t("qr.title", desk=desk.name)
    out = desk_poster(link, title, t("qr.caption", commune=commune.display_name), Path(args.out))
    print(f"wrote {out} for {link}")
    return 0


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
    if args.command == "export":
        from bot import export as xlsx

        return asyncio.run(_with_store(settings, lambda store: xlsx.run_cli(store, commune, args)))
    return asyncio.run(_with_store(settings, lambda store: _db(store, args)))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command; configuration problems print one line and exit with code 2."""
    os.umask(0o077)  # the database, its backups and exports hold personal data: owner only
    args = _parser().parse_args(argv)
    try:
        settings, commune = load()
        # Maintenance commands print their result; only warnings belong beside it.
        quiet = args.command not in ("run", "demo") and settings.log_level == "INFO"
        logs.configure("WARNING" if quiet else settings.log_level, secrets_of(settings))
        return _dispatch(args, settings, commune)
    except (ConfigError, StorageError) as exc:
        print(f"loaxa: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
