"""`AsyncChatUser`: a Chat API client bound to one user, with ``listen`` and ``ask``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botpress_async._errors import ConfigurationError

from ._listener import DEFAULT_KEEPALIVE, ChatListener
from ._operations import ChatOperations
from ._signals import (
    MessageCreated,
    MessageStreamAbort,
    MessageStreamComplete,
    MessageStreamDelta,
    Reconnected,
)
from ._signing import _nonempty_text

if TYPE_CHECKING:
    from botpress_async.models.chat import GetOrCreateUserResponseUser

    from ._sender import ChatSender

__all__ = ["AsyncChatUser"]


class AsyncChatUser(ChatOperations):
    """A connected chat user: every operation of the Chat API, sent with this user's key.

    Made by `AsyncChatClient.connect`; it shares the client's connection pool, so closing
    the client ends it too.

    Args:
        sender: the sender bound to the user's key.
        user: the user, as the API returned it.
        keepalive: the default keep-alive interval of this user's listeners.
    """

    __slots__ = ("_keepalive", "user")

    def __init__(
        self,
        sender: ChatSender,
        user: GetOrCreateUserResponseUser,
        *,
        keepalive: float = DEFAULT_KEEPALIVE,
    ) -> None:
        super().__init__(sender)
        self.user = user
        self._keepalive = keepalive

    def __repr__(self) -> str:
        return f"<AsyncChatUser id={self.user_id!r} base_url={self._client.base_url!r}>"

    @property
    def user_id(self) -> str:
        """The user's id."""
        return str(self.user.id)

    @property
    def user_key(self) -> str:
        """The user's key (``x-user-key``); store it to connect as the same user later."""
        return self._client.headers()["x-user-key"]

    def listen(
        self,
        conversation_id: str,
        *,
        keepalive: float | None = None,
        reconnect: bool = True,
        max_reconnect_attempts: int = 10,
        reconnect_delay: float = 0.5,
        catch_up: bool = True,
        report_reconnects: bool = True,
        on_reconnect: Callable[[Reconnected], object] | None = None,
    ) -> ChatListener:
        """Follow a conversation's signals: ``async with user.listen(conv_id) as events:``.

        Args:
            conversation_id: the conversation, which the user must take part in.
            keepalive: the server's ping interval (default: the client's, 30 s on the API).
            reconnect: reconnect after a lost stream (never after a 401 or 403).
            max_reconnect_attempts: connection attempts in a row before giving up.
            reconnect_delay: the first backoff before reconnecting, in seconds.
            catch_up: after a reconnect, read back and yield the missed messages.
            report_reconnects: yield a `Reconnected` signal after each reconnect.
            on_reconnect: called with each `Reconnected`, on the event loop's thread; what it
                raises reaches the caller.
        """
        if not _nonempty_text(conversation_id):
            raise ConfigurationError("conversation_id must be a non-empty string")
        return ChatListener(
            self._client,
            conversation_id,
            keepalive=self._keepalive if keepalive is None else keepalive,
            reconnect=reconnect,
            max_reconnect_attempts=max_reconnect_attempts,
            reconnect_delay=reconnect_delay,
            catch_up=catch_up,
            report_reconnects=report_reconnects,
            on_reconnect=on_reconnect,
            own_user_id=self.user_id,
        )

    async def ask(
        self,
        conversation_id: str,
        message: str | Mapping[str, Any],
        *,
        timeout: float = 30.0,
        quiet: float = 1.0,
        max_replies: int = 100,
    ) -> list[MessageCreated]:
        """Send a message and return the bot's replies, the one call of tests and scripts.

        The stream is opened before the message is sent, so no reply can be missed. Replies
        are collected until ``quiet`` seconds pass without a new one after the first (a
        message still being streamed keeps the wait going), or ``timeout`` seconds in all.
        A streamed reply is assembled from its pieces in ``sequence`` order and ends as the
        final message; one still unfinished at the timeout is returned as far as it got,
        with ``metadata["partial"]`` set.

        Args:
            conversation_id: the conversation, which the user must take part in.
            message: a text, or a whole payload such as ``{"type": "image", ...}``.
            timeout: the most seconds to wait for replies; what arrived by then is returned.
            quiet: seconds without a new reply that end the wait once one has arrived.
            max_replies: return as soon as this many replies arrived.
        """
        payload = _payload(message)
        if not _nonempty_text(conversation_id):
            raise ConfigurationError("conversation_id must be a non-empty string")
        if timeout <= 0 or quiet <= 0:
            raise ConfigurationError("timeout and quiet must be positive numbers of seconds")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        replies: list[MessageCreated] = []
        streams: dict[str, dict[int, Any]] = {}
        # No history read: the message sent is where a catch-up after a reconnect starts.
        listener = ChatListener(
            self._client,
            conversation_id,
            keepalive=self._keepalive,
            report_reconnects=False,
            own_user_id=self.user_id,
            read_history=False,
        )
        async with listener as events:
            sent = await self.create_message(conversation_id=conversation_id, payload=payload)
            sent_id = sent.message.id
            events.seen(MessageCreated(MessageCreated.wire_type, sent.message.to_dict()))
            last_reply: float | None = None
            iterator = events.__aiter__()
            while len(replies) < max_replies:
                now = loop.time()
                wait = deadline - now
                if last_reply is not None and not streams:
                    wait = min(wait, last_reply + quiet - now)
                if wait <= 0:
                    break
                try:
                    signal = await asyncio.wait_for(iterator.__anext__(), wait)
                except (asyncio.TimeoutError, StopAsyncIteration):
                    break
                if isinstance(signal, MessageStreamDelta):
                    streams.setdefault(signal.stream_id, {})[signal.sequence] = signal.delta
                    last_reply = loop.time()
                elif isinstance(signal, (MessageStreamComplete, MessageStreamAbort)):
                    streams.pop(signal.stream_id, None)
                elif (
                    isinstance(signal, MessageCreated)
                    and signal.id != sent_id
                    and (signal.user_id != self.user_id or signal.is_bot)
                ):
                    replies.append(signal)
                    last_reply = loop.time()
        replies += [_partial(stream_id, pieces) for stream_id, pieces in streams.items()]
        return replies


def _payload(message: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(message, str):
        if not message:
            raise ConfigurationError("the message text is empty")
        return {"type": "text", "text": message}
    given: Any = message  # checked at run time: callers may pass anything
    if isinstance(given, Mapping) and _nonempty_text(given.get("type")):
        return dict(given)
    raise ConfigurationError(
        "message must be a text or a payload mapping with a 'type' "
        f"(such as {{'type': 'text', 'text': 'hi'}}), not {type(message).__name__}"
    )


def _partial(stream_id: str, pieces: Mapping[int, Any]) -> MessageCreated:
    """The message a stream had assembled so far, in ``sequence`` order."""
    text = "".join(str(pieces[n]) for n in sorted(pieces) if isinstance(pieces[n], str))
    data = {
        "id": stream_id,
        "payload": {"type": "text", "text": text},
        "isBot": True,
        "metadata": {"streamId": stream_id, "partial": True},
    }
    return MessageCreated(MessageCreated.wire_type, data)
