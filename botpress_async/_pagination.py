"""`AsyncPager`: walk a list operation's pages lazily, one page in memory at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from typing import Any, Generic, TypeVar

from botpress_async._errors import ArgumentTypeError, ConfigurationError
from botpress_async._types import NOT_GIVEN, NotGivenOr

__all__ = ["AsyncPager"]

_Item = TypeVar("_Item")
_Page = TypeVar("_Page")


class AsyncPager(Generic[_Item, _Page]):
    """The result of a list operation: iterate its items, its pages, or await the first page.

    Nothing is sent until it is used. ``async for item in pager`` fetches each next page only
    when the items of the current one are used up, so memory stays at one page for any
    number of items. ``await pager`` (or `first_page`) gives the first page's response.

    Args:
        fetch: sends the request for the page after ``page_token`` (NOT_GIVEN: the first).
        first_token: where the walk starts (a ``next_token`` the caller passed), if anywhere.
        items: the items of a page.
        next_token: the token of the page after a page, empty or ``None`` on the last one.
    """

    __slots__ = ("_fetch", "_first", "_first_token", "_items", "_next_token")

    def __init__(
        self,
        fetch: Callable[[NotGivenOr[str]], Awaitable[_Page]],
        *,
        first_token: NotGivenOr[str] = NOT_GIVEN,
        items: Callable[[_Page], Sequence[_Item]],
        next_token: Callable[[_Page], str | Any | None],
    ) -> None:
        self._fetch = fetch
        self._first_token = first_token
        self._items = items
        self._next_token = next_token
        self._first: _Page | None = None

    def __repr__(self) -> str:
        return f"<AsyncPager started={self._first is not None}>"

    async def first_page(self) -> _Page:
        """The first page's response (fetched once, then kept)."""
        if self._first is None:
            self._first = await self._fetch(self._first_token)
        return self._first

    def __await__(self) -> Generator[Any, None, _Page]:
        return self.first_page().__await__()

    def _token_after(self, page: _Page, previous: str | None) -> str | None:
        """The token of the page after ``page``, or None when ``page`` is the last one."""
        token = self._next_token(page)
        if not token or not isinstance(token, str) or token == previous:
            # A server answering the same token again would loop forever: stop there.
            return None
        return token

    async def pages(self) -> AsyncIterator[_Page]:
        """Yield every page's response in order, fetching each only when asked for."""
        page = await self.first_page()
        token: str | None = None
        while True:
            yield page
            token = self._token_after(page, token)
            if token is None:
                return
            page = await self._fetch(token)

    async def __aiter__(self) -> AsyncIterator[_Item]:
        # The walk of pages() written out again rather than iterated: one generator less to
        # resume per page, and each page is let go before the next one is fetched and
        # decoded, so that a collection during the decode does not find the items of the page
        # before still alive (items that survive collections are what brings on the full
        # collections of a long walk). The first page stays: `first_page` keeps it.
        page: _Page | None = await self.first_page()
        token: str | None = None
        while page is not None:
            for item in self._items(page):
                yield item
            token = self._token_after(page, token)
            page = None
            if token is not None:
                page = await self._fetch(token)

    async def collect(self, limit: int | None = None) -> list[_Item]:
        """Return the items of every page in a list, or the first ``limit`` of them.

        Args:
            limit: the most items to return; pages after the one that reaches it are not fetched.
        """
        given: object = limit
        if given is not None and (isinstance(given, bool) or not isinstance(given, int)):
            raise ArgumentTypeError(
                f"limit must be an int or None, not {type(given).__name__}", argument="limit"
            )
        if limit is not None and limit < 0:
            raise ConfigurationError(f"limit must be >= 0, got {limit}", argument="limit")
        out: list[_Item] = []
        if limit == 0:
            return out
        async for page in self.pages():
            for item in self._items(page):
                out.append(item)
                if limit is not None and len(out) >= limit:
                    return out
        return out
