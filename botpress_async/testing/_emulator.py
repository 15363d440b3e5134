"""``Emulator``: the server's lifecycle, in a running event loop or on a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from botpress_async import _served
from botpress_async._lifecycle import AsyncContext

from ._chat import CHAT_PREFIX, ChatFront, ChatRouter
from ._delivery import Outbound
from ._faults import Faults, RequestLog
from ._server import Dispatcher
from ._spec import load_operations
from ._store import Store

__all__ = ["Emulator"]


class Emulator(AsyncContext):
    """A local Botpress API on 127.0.0.1 with its state in memory.

    Use ``async with Emulator() as emu:`` inside an event loop, or ``with
    Emulator().run_in_thread() as emu:`` from blocking code. Ready tokens and ids are attributes:
    ``pat``, ``bak``, ``iak``, ``bot_id``, ``workspace_id``, ``integration_id``; ``other_bot_id``
    and ``other_workspace_id`` belong to another account, out of reach of those tokens.

    Args:
        host: the address to listen on.
        port: the port; 0 picks a free one.
        seed: ids, tokens and injected faults follow from it.
        page_size: items per page of list operations.
        faults: fault rules; by default none (add them later with ``emu.faults.add``).
        validate_responses: check every answer against the document (a 500 when one is off);
            meant for the emulator's own tests, it costs time.
        log_limit: how many requests the log keeps.
        chat_echo: switch on the echo bot of the chat front (each text gets its text back).
        chat_keepalive: seconds between pings on the chat front's streams.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        page_size: int = 20,
        faults: Faults | None = None,
        validate_responses: bool = False,
        log_limit: int = 100_000,
        chat_echo: bool = False,
        chat_keepalive: float = 30.0,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.host = host
        self.port = port
        self.seed = seed
        self.faults = faults if faults is not None else Faults(seed)
        self.log = RequestLog(log_limit)
        self.store = Store(seed)
        #: Delivers operations to the URLs of integrations and bots (``timeout`` is settable).
        self.outbound = Outbound(self.store, self.log)
        self.store.outbound = self.outbound
        self._dispatcher = Dispatcher(
            self.store,
            self.faults,
            self.log,
            page_size=page_size,
            validate_responses=validate_responses,
        )
        self._runner: web.ServerRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._seed_state()
        self.chat = self._install_chat(echo=chat_echo, keepalive=chat_keepalive)

    def _seed_state(self) -> None:
        store = self.store
        account = store.add_account("developer@example.com")
        workspace = store.add_workspace("Emulated workspace", account)
        bot = store.add_bot(workspace["id"], "emulated-bot")
        integration = store.add_integration(workspace["id"], "emulated-integration")
        store.install(bot, integration)
        stranger = store.add_account("stranger@example.com")
        other_ws = store.add_workspace("Someone else's workspace", stranger)
        other_bot = store.add_bot(other_ws["id"], "other-bot")
        self.account_id: str = account["id"]
        self.workspace_id: str = workspace["id"]
        self.bot_id: str = bot.id
        self.integration_id: str = integration["id"]
        self.other_workspace_id: str = other_ws["id"]
        self.other_bot_id: str = other_bot.id
        self.pat: str = store.mint("pat", account["id"], "emulator").value
        self.bak: str = store.mint("bak", bot.id, "emulator").value
        self.iak: str = store.mint("iak", integration["id"], "emulator").value

    def _install_chat(self, *, echo: bool, keepalive: float) -> ChatFront:
        # The emulated bot has the Chat integration installed; its front serves the Chat API.
        self._chat_router = ChatRouter()
        self._dispatcher.chat = self._chat_router
        self._chat_keepalive = keepalive
        return self.add_chat(self.bot_id, echo=echo)

    def add_chat(self, bot_id: str, *, echo: bool = False) -> ChatFront:
        """Install the Chat integration on another bot and serve its Chat API; return its front.

        Args:
            bot_id: a bot of the emulator (``emu.store.add_bot`` makes more).
            echo: switch this front's echo bot on.
        """
        bot = self.store.bots.get(bot_id)
        if bot is None:
            raise ValueError(f"the emulator has no bot {bot_id!r}")
        ops = {op.operation_id: op for op in load_operations() if op.api == "runtime"}
        front = ChatFront(self.store, bot, ops, echo=echo, keepalive=self._chat_keepalive)
        return self._chat_router.add(front)

    @property
    def chat_webhook_id(self) -> str:
        """The webhook id of the emulated bot's Chat integration."""
        return self.chat.webhook_id

    @property
    def chat_url(self) -> str:
        """The Chat API base to give a chat client as ``url=`` (with ``chat_webhook_id``)."""
        return self.url + CHAT_PREFIX.rstrip("/")

    def __repr__(self) -> str:
        return f"<Emulator url={self.url if self._runner else None!r}>"

    @property
    def page_size(self) -> int:
        """Items per page of list operations (changeable while running)."""
        return self._dispatcher.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        if value < 1:
            raise ValueError("page_size must be at least 1")
        self._dispatcher.page_size = value

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward (state expiry follows it; nothing sleeps)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._dispatcher.clock_offset += seconds

    def set_usage(self, owner_id: str, kind: str, value: float) -> None:
        """Seed a usage value that the usage and quota operations answer instead of their count.

        Args:
            owner_id: a workspace id or a bot id.
            kind: a usage type of the API (``invocation_calls``, ``ai_spend``, ``bot_count`` ...).
            value: the value for the current month.
        """
        from ._usage import set_usage

        set_usage(self.store, owner_id, kind, value)

    def add_issue(self, bot_id: str, code: str, title: str) -> str:
        """Open an issue on a bot, as the platform does when a bot keeps failing; returns its id.

        Args:
            bot_id: the bot the issue is about.
            code: the issue's code.
            title: the issue's title.
        """
        from ._versions import add_issue

        issue_id: str = add_issue(self.store, bot_id, code, title)["id"]
        return issue_id

    @property
    def url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:54321``."""
        if self._runner is None:
            raise RuntimeError("the emulator is not running")
        return f"http://{self.host}:{self.port}"

    # --- in a running loop ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving in the running event loop."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        server = web.Server(self._dispatcher, access_log=None)
        runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        self._runner = runner
        addresses: list[Any] = runner.addresses
        self.port = int(addresses[0][1])
        self._dispatcher.base_url = self.url
        self.outbound.base_url = self.url
        # A blocking client called from this loop's thread gets a clear error, not a hang.
        _served.serve(self.port, asyncio.get_running_loop())

    async def stop(self) -> None:
        """Stop serving and close every connection."""
        runner, self._runner = self._runner, None
        if runner is not None:
            _served.unserve(self.port)
            await self._chat_router.close()  # open chat streams would otherwise hold the shutdown
            await runner.cleanup()
        await self.outbound.aclose()

    async def _astart(self) -> None:
        await self.start()

    async def _astop(self) -> None:
        await self.stop()

    # --- on a thread, for blocking code ------------------------------------------------------

    def start_in_thread(self, timeout: float = 10.0) -> Emulator:
        """Serve from a daemon thread with its own event loop; returns once it listens."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running in a thread")
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # handed to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.stop())
                loop.close()

        self._thread = threading.Thread(target=main, name="botpress-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("the emulator did not start in time")
        if failure:
            self._thread = None
            raise failure[0]
        return self

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop a server started with ``start_in_thread`` and wait for its thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None
        self._loop = None

    @contextlib.contextmanager
    def run_in_thread(self) -> Iterator[Emulator]:
        """Context manager form of ``start_in_thread`` / ``stop_thread``."""
        self.start_in_thread()
        try:
            yield self
        finally:
            self.stop_thread()
