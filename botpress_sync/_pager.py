"""Blocking wrappers of the async pager and of async context managers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import Any, Generic, TypeVar

from botpress_async._pagination import AsyncPager

from . import _loop

__all__ = ["BlockingContextManager", "Pager"]

_Item = TypeVar("_Item")
_Page = TypeVar("_Page")
_T = TypeVar("_T")


class Pager(Generic[_Item, _Page]):
    """The result of a list operation, blocking: iterate its items, its pages, or collect them.

    Nothing is sent until it is used. ``for item in pager`` fetches each next page only when
    the items of the current one are used up; each page costs one round trip to the private
    event loop, never one per item.

    Args:
        pager: the `botpress_async.AsyncPager` it drives.
    """

    __slots__ = ("_pager",)

    def __init__(self, pager: AsyncPager[_Item, _Page]) -> None:
        self._pager = pager

    def __repr__(self) -> str:
        return repr(self._pager).replace("<AsyncPager", "<Pager", 1)

    def first_page(self) -> _Page:
        """The first page's response (fetched once, then kept)."""
        return _loop.run(self._pager.first_page())

    def pages(self) -> Iterator[_Page]:
        """Yield every page's response in order, fetching each only when asked for."""
        return _loop.iterate(self._pager.pages())

    def __iter__(self) -> Iterator[_Item]:
        items = self._pager._items
        for page in self.pages():
            yield from items(page)

    def collect(self, limit: int | None = None) -> list[_Item]:
        """Return the items of every page in a list, or the first ``limit`` of them.

        Args:
            limit: the most items to return; pages after the one that reaches it are not fetched.
        """
        return _loop.run(self._pager.collect(limit))


class BlockingContextManager(AbstractContextManager[_T]):
    """A blocking context manager over an async one; entering and leaving each run on the loop.

    Args:
        manager: the async context manager it drives.
    """

    def __init__(self, manager: AbstractAsyncContextManager[_T]) -> None:
        self._manager = manager

    def __enter__(self) -> _T:
        return _loop.run(_enter(self._manager))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return _loop.run(_exit(self._manager, exc_type, exc, tb))


async def _enter(manager: AbstractAsyncContextManager[_T]) -> _T:
    return await manager.__aenter__()


async def _exit(
    manager: AbstractAsyncContextManager[Any],
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    tb: TracebackType | None,
) -> bool | None:
    return await manager.__aexit__(exc_type, exc, tb)
