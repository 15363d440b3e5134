"""Serve a user's `Integration` or `Bot` next to an emulator, each registered with the other."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from botpress_async._errors import ClientStateError

from ._delivery import collect, registered, settle

if TYPE_CHECKING:
    from botpress_async._serve import Service

    from ._emulator import Emulator

__all__ = ["Wired", "wire", "wire_in_thread"]


class Wired:
    """An emulator and the apps served for it, registered at their URLs.

    Attributes:
        emulator: the emulator.
        apps: the apps, in the order given.
        urls: each app's URL, by position.
        integration_ids: the emulator's integration id for each `Integration`, by name.
        keys: the key each app was given (an IAK for an integration, a BAK for a bot), by position.
    """

    def __init__(
        self,
        emulator: Emulator,
        apps: Sequence[Service],
        configurations: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.emulator = emulator
        self._configurations = dict(configurations or {})
        self.apps = list(apps)
        self.urls: list[str] = []
        self.integration_ids: dict[str, str] = {}
        self.keys: list[str] = []
        self._runners: list[web.AppRunner] = []

    def __repr__(self) -> str:
        return f"<Wired apps={self.apps!r}>"

    async def start(self) -> None:
        """Serve every app on 127.0.0.1, register its URL and send the integrations ``register``."""
        from botpress_async.integration import Integration

        emu = self.emulator
        store = emu.store
        bot = store.bots[emu.bot_id]
        for app in self.apps:
            # An unguessable path, as a real deployment should use.
            path = "/" + secrets.token_urlsafe(12)
            runner = web.AppRunner(app.aiohttp_app(path=path), handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self._runners.append(runner)
            addresses: list[Any] = runner.addresses
            url = f"http://127.0.0.1:{int(addresses[0][1])}{path}"
            self.urls.append(url)
            if isinstance(app, Integration):
                name = app.name or "emulated-integration"
                record = next(
                    (
                        r
                        for r in store.integrations.values()
                        if r["name"] == name and r["workspaceId"] == emu.workspace_id
                    ),
                    None,
                )
                if record is None:
                    record = store.add_integration(emu.workspace_id, name)
                if record["id"] not in bot.integrations:
                    store.install(bot, record)
                entry = bot.record["integrations"][record["id"]]
                entry["configuration"] = dict(self._configurations.get(name, {}))
                record["url"] = url
                key = store.mint("iak", record["id"], "self-hosted").value
                self.integration_ids[name] = record["id"]
                app.bind(token=key, api_url=emu.url)
                self.keys.append(key)
                with collect({}) as pending:
                    registered(store, bot, record["id"])
                await settle(pending)
            else:
                bot.record["url"] = url
                app.bind(token=emu.bak, api_url=emu.url)
                self.keys.append(emu.bak)

    async def stop(self) -> None:
        """Stop serving the apps and close their connection pools."""
        runners, self._runners = self._runners, []
        for runner in reversed(runners):
            await runner.cleanup()


@contextlib.asynccontextmanager
async def wire(
    emulator: Emulator,
    *apps: Service,
    configurations: Mapping[str, Mapping[str, Any]] | None = None,
) -> AsyncIterator[Wired]:
    """Serve ``apps`` in the running loop, wired to a running ``emulator``.

    Args:
        emulator: a started emulator (in this loop).
        apps: `Integration` and `Bot` instances.
        configurations: integration name → the configuration its installation starts with
            (sent with ``register``); empty otherwise.
    """
    wired = Wired(emulator, apps, configurations)
    try:
        await wired.start()
        yield wired
    finally:
        await wired.stop()


@contextlib.contextmanager
def wire_in_thread(
    emulator: Emulator,
    *apps: Service,
    configurations: Mapping[str, Mapping[str, Any]] | None = None,
    timeout: float = 30.0,
) -> Iterator[Wired]:
    """Serve ``apps`` on the loop of an emulator started with ``run_in_thread``.

    Args:
        emulator: an emulator serving from its own thread.
        apps: `Integration` and `Bot` instances.
        configurations: integration name → its installation's first configuration.
        timeout: seconds starting or stopping may take.
    """
    loop = emulator._loop
    if loop is None:
        raise ClientStateError("start the emulator with run_in_thread() before wiring apps to it")
    wired = Wired(emulator, apps, configurations)
    try:
        asyncio.run_coroutine_threadsafe(wired.start(), loop).result(timeout)
        yield wired
    finally:
        asyncio.run_coroutine_threadsafe(wired.stop(), loop).result(timeout)
