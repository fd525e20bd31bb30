"""The demo's web app: a static phone-chat page and the JSON API it calls.

    GET  /                               the page (static files under /static/)
    GET  /api/state                      commune, personas, hamlets, roles, scheduled jobs
    POST /api/personas                   {name, role, hamlet?} -> a new persona
    GET  /api/personas/{id}/chat         ?since=VERSION&wait=SECONDS: long poll of the chat
    POST /api/personas/{id}/text         {text}
    POST /api/personas/{id}/photo        multipart: photo (file), caption
    POST /api/personas/{id}/location     {latitude?, longitude?} (default: the demo point)
    POST /api/personas/{id}/press        {message_id, data}
    GET  /api/files/{file_id}            a photo or document the bot or a persona sent
    POST /api/jobs/{name}                fire a scheduled job now

Everything runs in one process on 127.0.0.1: no bot token, no network.

Any web page the demo's user visits could send requests to 127.0.0.1 (a form posting
text/plain, a DNS name rebound to 127.0.0.1). So every request must name the demo's own
address in Host (and in Origin, when the browser sends one), and every state-changing
request must carry the page token: a random value made at start, written into the page,
sent back by app.js in the X-Loaxa-Demo-Token header, which another site can neither read
nor set on a cross-site request without the CORS consent this server never gives.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import secrets
import signal
import sys
import tempfile
import webbrowser
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.config import Commune, ConfigError
from bot.i18n import Translator, translator
from bot.webdemo import controls
from bot.webdemo.seed import DEMO_LOCATION
from bot.webdemo.world import DemoError, DemoWorld
from storage.models import Role

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
STATIC = Path(__file__).resolve().parent / "static"
MAX_UPLOAD = 12 * 1024 * 1024  # Telegram takes photos up to 10 MB; the form adds a little
LONG_POLL_LIMIT = 25.0
WORLD = web.AppKey("world", DemoWorld)
TRANSLATOR = web.AppKey("translator", Translator)
PAGE_TOKEN = web.AppKey("page_token", str)
TOKEN_HEADER = "X-Loaxa-Demo-Token"
TOKEN_META = '<meta name="loaxa-demo-token" content="">'
OWN_NAMES = (HOST, "localhost")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ROLE_ORDER = (Role.RESIDENT, Role.OFFICIAL, Role.LEADER, Role.HAMLET_HEAD, Role.SUPERVISOR)


def make_app(world: DemoWorld) -> web.Application:
    """Build the web app around a started DemoWorld."""
    app = web.Application(client_max_size=MAX_UPLOAD, middlewares=[_same_site, _errors])
    app[WORLD] = world
    app[TRANSLATOR] = translator(world.commune.language)
    app[PAGE_TOKEN] = secrets.token_urlsafe(32)
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_get("/api/state", _state)
    app.router.add_post("/api/personas", _add_persona)
    app.router.add_get("/api/personas/{pid}/chat", _chat)
    app.router.add_post("/api/personas/{pid}/text", _text)
    app.router.add_post("/api/personas/{pid}/photo", _photo)
    app.router.add_post("/api/personas/{pid}/location", _location)
    app.router.add_post("/api/personas/{pid}/press", _press)
    app.router.add_get("/api/files/{file_id}", _file)
    app.router.add_post("/api/jobs/{name}", _job)
    return app


@web.middleware
async def _same_site(request: web.Request, handler):
    """Refuse a foreign Host or Origin, and a state-changing request without the page token."""
    port = _local_port(request)
    own = {f"{name}:{port}" for name in OWN_NAMES} if port else set()
    origin = request.headers.get("Origin")
    token = request.headers.get(TOKEN_HEADER, "")
    if (
        request.host not in own
        or (origin is not None and origin not in {f"http://{host}" for host in own})
        or (
            request.method not in SAFE_METHODS
            and not hmac.compare_digest(token.encode(), request.app[PAGE_TOKEN].encode())
        )
    ):
        log.warning("refused a %s %s not sent by the demo page", request.method, request.path)
        return _error(request, "forbidden", status=403)
    return await handler(request)


def _local_port(request: web.Request) -> int | None:
    """The port this connection reached: the only one the demo's own page can name."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return sockname[1] if sockname else None


@web.middleware
async def _errors(request: web.Request, handler):
    """Answer DemoError and bad JSON as 400 with a code and a sentence from the catalog."""
    try:
        response = await handler(request)
    except DemoError as exc:
        return _error(request, exc.code)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        log.warning("bad demo request to %s: %r", request.path, exc)
        return _error(request, "bad_request")
    if request.path.startswith("/static/") or request.path == "/":
        response.headers["Cache-Control"] = "no-cache"
    return response


def _error(request: web.Request, code: str, status: int = 400) -> web.Response:
    t = request.app[TRANSLATOR]
    key = f"webdemo.error_{code}"
    message = t(key) if t.has(key) else t("webdemo.error_bad_request")
    return web.json_response({"error": code, "message": message}, status=status)


async def _index(request: web.Request) -> web.Response:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    token = f'<meta name="loaxa-demo-token" content="{request.app[PAGE_TOKEN]}">'
    return web.Response(text=page.replace(TOKEN_META, token), content_type="text/html")


async def _state(request: web.Request) -> web.Response:
    world, t = request.app[WORLD], request.app[TRANSLATOR]
    commune = world.commune
    for pid in list(world.personas):
        await world.refresh(pid)  # who signed up or deleted their data since the seed
    return web.json_response(
        {
            "commune": commune.display_name,
            "hamlets": commune.hamlets,
            "hamlets_are_examples": commune.hamlets_are_examples,
            "roles": [{"id": r.value, "label": t(f"role.{r}")} for r in ROLE_ORDER],
            "personas": [_persona_json(p, t) for p in world.personas.values()],
            "location": {"latitude": DEMO_LOCATION[0], "longitude": DEMO_LOCATION[1]},
            "jobs": [
                {"id": c.id, "label": c.label, "hint": c.hint}
                for c in controls.available(world.app, t)
            ],
            "seed": {
                "feedback": dict(world.seed_result.statuses),
                "overdue": world.seed_result.overdue,
                "ratings": world.seed_result.ratings,
                "reads": world.seed_result.reads,
                "survey_respondents": world.seed_result.survey_answers,
            },
        }
    )


def _persona_json(persona, t: Translator) -> dict[str, Any]:
    group = t("webdemo.oa_followers") if persona.on_oa else ""  # the page's list groups them
    return {**persona.describe(), "role_label": t(f"role.{persona.role}"), "group": group}


async def _add_persona(request: web.Request) -> web.Response:
    world, body = request.app[WORLD], await request.json()
    persona = await world.add_persona(
        str(body.get("name", "")), str(body.get("role", "")), body.get("hamlet") or None
    )
    return web.json_response(_persona_json(persona, request.app[TRANSLATOR]), status=201)


async def _chat(request: web.Request) -> web.Response:
    world, pid, t = request.app[WORLD], request.match_info["pid"], request.app[TRANSLATOR]
    world.persona(pid)
    since = request.query.get("since", "")
    wait = min(max(float(request.query.get("wait", "0")), 0.0), LONG_POLL_LIMIT)
    if since and wait:
        await world.wait_for_change(pid, since, wait)
    return web.json_response(
        {
            "version": world.version(pid),
            "messages": world.chat(pid),
            "commands": world.commands(pid),
            # The person as they are now: the page's picker follows a sign-up at once.
            "persona": _persona_json(await world.refresh(pid), t),
        }
    )


async def _text(request: web.Request) -> web.Response:
    body = await request.json()
    await request.app[WORLD].send_text(request.match_info["pid"], str(body.get("text", "")))
    return web.json_response({"ok": True})


async def _photo(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    world.persona(request.match_info["pid"])
    data, caption = b"", ""
    reader = await request.multipart()
    async for part in reader:
        if part.name == "photo":
            data = bytes(await part.read(decode=False))
        elif part.name == "caption":
            caption = (await part.text()).strip()
    await world.send_photo(request.match_info["pid"], data, caption or None)
    return web.json_response({"ok": True})


async def _location(request: web.Request) -> web.Response:
    body = await request.json() if request.can_read_body else {}
    await request.app[WORLD].send_location(
        request.match_info["pid"], body.get("latitude"), body.get("longitude")
    )
    return web.json_response({"ok": True})


async def _press(request: web.Request) -> web.Response:
    body = await request.json()
    await request.app[WORLD].press(
        request.match_info["pid"], int(body["message_id"]), str(body["data"])
    )
    return web.json_response({"ok": True})


async def _file(request: web.Request) -> web.Response:
    found = request.app[WORLD].file(request.match_info["file_id"])
    if found is None:
        return _error(request, "no_file", status=404)
    data, stored = found
    headers = {"Cache-Control": "max-age=3600"}
    if not stored.mime.startswith("image/"):
        name = quote(stored.name, safe="")
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return web.Response(body=data, content_type=stored.mime, headers=headers)


async def _job(request: web.Request) -> web.Response:
    world, t = request.app[WORLD], request.app[TRANSLATOR]
    name = request.match_info["name"]
    if name not in {c.id for c in controls.available(world.app, t)}:
        return _error(request, "unknown_job", status=404)
    try:
        message = await controls.fire(world.app, name, t)
    except Exception:  # the job's own failure: show it on the page, keep the demo running
        log.exception("the %s job failed in the demo", name)
        return _error(request, "job_failed", status=500)
    return web.json_response({"ok": True, "message": message})


# --- the `loaxa demo` command -------------------------------------------------------------


def can_open_browser() -> bool:
    """Tell whether a graphical browser can be opened here (never in CI)."""
    if os.environ.get("CI"):
        return False
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    return type(browser) is not webbrowser.GenericBrowser  # a text browser would take the tty


async def serve(
    commune: Commune,
    *,
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    db_path: str | None = None,
    ready=None,
    stop: asyncio.Event | None = None,
) -> int:
    """Run the web demo until Ctrl+C (or `stop` is set); print its URL when it is ready."""
    logging.getLogger().setLevel(logging.WARNING)  # the page is the demo, not the log
    t = translator(commune.language)
    with tempfile.TemporaryDirectory(prefix="loaxa-demo-") as tmp:
        database = Path(db_path) if db_path else Path(tmp) / "demo.db"
        if database.exists():
            raise ConfigError(f"demo: --db {database} already exists; the demo needs a new file")
        async with DemoWorld(commune, database) as world:
            runner = web.AppRunner(make_app(world), access_log=None, shutdown_timeout=1.0)
            await runner.setup()
            try:
                site = web.TCPSite(runner, HOST, port)
                await site.start()
            except OSError as exc:
                await runner.cleanup()
                raise ConfigError(
                    f"demo: cannot listen on {HOST}:{port} ({exc.strerror}); choose another --port"
                ) from None
            url = f"http://{HOST}:{runner.addresses[0][1]}/"
            seeded = world.seed_result
            print(
                t(
                    "webdemo.seeded",
                    people=len(seeded.people),
                    items=sum(seeded.statuses.values()),
                    overdue=seeded.overdue,
                    ratings=seeded.ratings,
                    reads=seeded.reads,
                    survey=seeded.survey_answers,
                ),
                flush=True,
            )
            print(t("webdemo.ready", url=url), flush=True)
            if ready is not None:
                ready(url)
            if open_browser and can_open_browser():
                with suppress(webbrowser.Error):
                    webbrowser.open(url)
            try:
                await _until_stopped(stop)
            finally:
                await runner.cleanup()
    print(t("webdemo.stopped"), flush=True)
    return 0


async def _until_stopped(stop: asyncio.Event | None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
