"""``async with`` and ``with`` for the SDK's objects that hold a connection, written once.

The clients, the chat listener, the emulator and their blocking twins all open something when a
block starts and close it when the block ends, whatever ended it. Each says what its start and
its end are (two hooks); the dunder methods, and for the clients that own a `Transport` the
closing, the ``is_closed`` flag and the warning about a client left open, live here.
"""

from __future__ import annotations

import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._session import Transport

__all__ = ["AsyncContext", "SyncContext", "TransportOwner"]


class AsyncContext:
    """``async with obj:`` runs `_astart` before the block and `_astop` after it."""

    __slots__ = ()

    async def _astart(self) -> None:
        """Get ready for the block; nothing unless a class needs it."""

    async def _astop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self._astart()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._astop()


class TransportOwner(AsyncContext):
    """A client whose connection pool is the `Transport` it keeps as ``_transport``."""

    __slots__ = ()
    _transport: Transport

    async def _astart(self) -> None:
        # Made here, inside the running loop, as aiohttp wants its sessions made.
        self._transport.session()

    async def _astop(self) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (and what was made from the client); idempotent.

        A borrowed ``session`` is left open.
        """
        await self._transport.aclose()

    @property
    def is_closed(self) -> bool:
        """Whether `aclose` was called."""
        return self._transport.closed

    def __del__(self, _warn: Any = warnings.warn) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None and transport.has_open_session:
            name = type(self).__name__
            _warn(
                f"unclosed {self!r}: use 'async with {name}(...)' or 'await client.aclose()'",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )


class SyncContext:
    """``with obj:`` runs `_start` before the block and ``close`` after it."""

    __slots__ = ()

    def _start(self) -> None:
        """Get ready for the block; nothing unless a class needs it."""

    def close(self) -> None:
        """Release what the object holds; idempotent."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
