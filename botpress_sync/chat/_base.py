"""The hand-written base of the blocking chat user, and its listener.

`ChatUser` (generated in ``_user.py``) adds one blocking method per method of
`botpress_async.chat.AsyncChatUser` to `ChatUserBase`, and `ChatClient` (generated in
``_client.py``, above both) one per method of `botpress_async.chat.AsyncChatClient` to
`ChatClientBase`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botpress_async._lifecycle import SyncContext
from botpress_async.chat import AsyncChatClient, AsyncChatUser, ChatListener, Signal
from botpress_sync import _loop

if TYPE_CHECKING:
    from typing_extensions import Self

    from botpress_sync import Client


__all__ = ["BlockingChatListener", "ChatClientBase", "ChatUserBase"]


class BlockingChatListener(SyncContext):
    """A conversation's signals for blocking code: ``with user.listen(conv_id) as events:``.

    Iterating blocks until the next signal. Ctrl-C ends the wait at once (the stream is closed
    when the ``with`` block exits), and `close` from any other thread ends the iteration.

    Args:
        listener: the async listener it drives on the private loop.
    """

    __slots__ = ("_async",)

    def __init__(self, listener: ChatListener) -> None:
        self._async = listener

    def __repr__(self) -> str:
        return repr(self._async).replace("<ChatListener", "<BlockingChatListener", 1)

    @property
    def reconnects(self) -> int:
        """How many times the stream was reconnected."""
        return self._async.reconnects

    def _start(self) -> None:
        _loop.run(self._async.open())

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Signal:
        try:
            return _loop.run(_next_signal(self._async))
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        """Close the stream; an iteration waiting in another thread ends. Idempotent."""
        _loop.run(self._async.aclose())


async def _next_signal(listener: ChatListener) -> Signal:
    return await listener.__anext__()


class ChatUserBase:
    """Holds the async user a blocking `ChatUser` forwards to."""

    __slots__ = ("_user",)

    def __init__(self, user: AsyncChatUser) -> None:
        self._user = user

    @property
    def _async(self) -> AsyncChatUser:
        return self._user

    @property
    def user(self) -> Any:
        """The user, as the API returned it (a `botpress_async.models.chat.User`)."""
        return self._user.user

    def __repr__(self) -> str:
        return repr(self._user).replace("<AsyncChatUser", "<ChatUser", 1)


class ChatClientBase(SyncContext):
    """Owns the `AsyncChatClient` a blocking `ChatClient` forwards to, and closes it."""

    def __init__(self, webhook_id: str | None = None, **kwargs: Any) -> None:
        if "session" in kwargs:
            from botpress_async import ConfigurationError

            raise ConfigurationError("the blocking client owns its session; drop session=")
        self._async = AsyncChatClient(webhook_id, **kwargs)
        self._closed = False

    def __repr__(self) -> str:
        return repr(self._async).replace("<AsyncChatClient", "<ChatClient", 1)

    @property
    def base_url(self) -> str:
        """The Chat API's URL for this webhook."""
        return self._async.base_url

    @property
    def is_closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed

    @classmethod
    def for_bot(cls, admin_client: Client, bot_id: str, **kwargs: Any) -> Self:
        """A chat client for a bot's Chat integration, its webhook id read with the admin API.

        Args:
            admin_client: a blocking client with a Personal Access Token and workspace id.
            bot_id: the bot, which must have the Chat integration installed.
            **kwargs: the other arguments of `ChatClient`.
        """
        probe = _loop.run(AsyncChatClient.for_bot(admin_client._async, bot_id, **kwargs))
        client = cls(probe.webhook_id, **kwargs)
        _loop.run(probe.aclose())
        return client

    def close(self) -> None:
        """Close the connection pool; idempotent."""
        if self._closed:
            return
        self._closed = True
        if _loop.started():
            _loop.run(self._async.aclose())
