"""Received files are fetched late and carefully (issue 14: items 5 and 10).

Telegram: a photo or document is downloaded (getFile) only when the step in progress takes
it, never for what a step does not want or what flood control drops. Zalo: a photo URL is
fetched only over https from Zalo's media hosts (LOAXA_ZALO_MEDIA_HOSTS; the emulator's
origin in tests), without following redirects elsewhere, and with a size cap.
"""

from __future__ import annotations

import pytest
from aiohttp import web

import tests.test_zalo_e2e as zalo_e2e
from bot.channels.files import FILE_LIMIT
from bot.config import ConfigError, load_settings
from bot.i18n import translator
from tests.test_feedback_e2e import png, start_feedback
from tests.test_onboarding_e2e import onboard
from tests.zalo_world import ZaloWorld, free_port

t = translator("vi")
commune, zemu = zalo_e2e.commune, zalo_e2e.zemu  # fixtures: a Zalo emulator, no quiet hours
PDF = b"%PDF-1.4\n" + b"0" * 2048


async def media_rows(world, channel: str, user_id) -> int:
    return await world.store.db.fetchval(
        "SELECT COUNT(*) FROM media WHERE channel = ? AND user_id = ?", (channel, str(user_id))
    )


# --- Telegram: nothing downloaded before a step takes it ----------------------------------


async def test_files_no_step_wants_are_never_downloaded(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.sends_photo(png(1))  # on the main menu
    await lan.sends_document(PDF, "don-de-nghi.pdf", "application/pdf")
    await lan.says("/phananh")
    await lan.taps("Phản ánh, kiến nghị")
    await lan.taps("Môi trường")
    await lan.sends_document(PDF, "don-de-nghi.pdf", "application/pdf")  # wants a text
    rules = world.commune.feedback
    asked = t("fb.ask_description_text", min=rules.min_length, max=rules.max_length)
    assert lan.last_text() == asked
    assert world.emu.call_counts["getFile"] == 0
    assert await media_rows(world, "telegram", lan.id) == 0


async def test_a_flood_of_photos_downloads_only_those_handled_and_kept(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await start_feedback(lan)  # now at the photos step, which keeps 5 at most
    world.bot.router.flood_limit = 20
    for n in range(30):  # sent at once, as a phone sends an album
        await world.emu.send_photo(lan.id, png(n))
    answers = await lan._answers()
    assert any(m.text == t("error.flood") for m in answers)
    kept = await media_rows(world, "telegram", lan.id)
    assert 1 <= kept <= world.commune.feedback.max_photos
    assert world.emu.call_counts["getFile"] == kept  # not 30: one download per photo kept


async def test_a_photo_taken_by_the_step_is_downloaded_once_and_stored(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await start_feedback(lan)
    answer = await lan.sends_photo(png(7))
    assert answer[0].text.startswith("Đã nhận ảnh")
    assert world.emu.call_counts["getFile"] == 1
    stored = await world.store.db.fetchval(
        "SELECT data FROM media WHERE user_id = ?", (str(lan.id),)
    )
    assert stored == png(7)


# --- Zalo: photo URLs from Zalo's media hosts only ----------------------------------------


class Server:
    """A small HTTP server on loopback that records what it was asked for."""

    def __init__(self, routes: dict[str, web.Response | str]) -> None:
        self.hits: list[str] = []
        self.port = free_port()
        self._routes = routes
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Server:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path)
        answer = self._routes.get(request.path)
        if isinstance(answer, str):  # a redirect
            raise web.HTTPFound(answer)
        return answer or web.Response(status=404)


@pytest.fixture
async def intranet():
    """What an attacker would like the bot to fetch: a service on the bot's own machine."""
    async with Server({"/admin": web.Response(body=png(9), content_type="image/png")}) as s:
        yield s


@pytest.fixture
async def zworld(emu, zemu, tmp_path, commune, monkeypatch, intranet):
    monkeypatch.chdir(tmp_path)
    world = ZaloWorld(emu, zemu, tmp_path, commune)
    async with Server({"/hop.png": f"{intranet.url}/admin"}) as cdn:
        world.media_hosts = f"{zemu.url},{cdn.url}"  # a redirecting host that is allowed
        world.cdn = cdn
        await world.start()
        try:
            yield world
        finally:
            await world.stop()


async def zalo_photo_step(world):
    lan = world.zalo_resident("Lan")
    await lan.says("/start")
    await lan.picks("Đồng ý")
    await lan.picks("Xóm 3")
    await lan.picks("Nhận tất cả (nên chọn)")
    await lan.says("/phananh")
    await lan.picks("Phản ánh, kiến nghị")
    await lan.says("moi truong")
    await lan.says("Cống thoát nước đầu xóm bị tắc, nước tràn ra đường")
    return lan


@pytest.mark.parametrize(
    "where",
    [
        "{intranet}/admin",  # plain http, loopback
        "https://127.0.0.1:{port}/admin",  # https, but not a Zalo host
        "{cdn}/hop.png",  # an allowed host redirecting to the intranet
    ],
)
async def test_a_zalo_photo_url_outside_zalo_media_hosts_is_never_fetched(zworld, intranet, where):
    lan = await zalo_photo_step(zworld)
    url = where.format(intranet=intranet.url, port=intranet.port, cdn=zworld.cdn.url)
    answer = await lan.sends_image(url)
    assert answer[0].text == t("fb.photo_failed")
    assert intranet.hits == []


async def test_a_zalo_photo_over_the_size_cap_is_not_kept(zworld):
    lan = await zalo_photo_step(zworld)
    answer = await lan.sends_image(b"\x89PNG" + bytes(FILE_LIMIT))
    assert answer[0].text == t("fb.photo_failed")
    stored = await zworld.store.db.fetchval("SELECT COUNT(data) FROM media")
    assert stored == 0


async def test_a_zalo_photo_from_the_allowed_host_is_kept(zworld):
    lan = await zalo_photo_step(zworld)
    answer = await lan.sends_image(png(3))
    assert answer[0].text.startswith("Đã nhận ảnh")
    assert await zworld.store.db.fetchval("SELECT data FROM media") == png(3)


@pytest.mark.parametrize("hosts", ["zdn.vn,http://127.0.0.1:1/files", "ftp://zdn.vn", "*.zdn.vn"])
def test_a_bad_media_hosts_setting_names_it(hosts):
    with pytest.raises(ConfigError, match="LOAXA_ZALO_MEDIA_HOSTS"):
        load_settings(zalo_media_hosts=hosts, _env_file=None)
