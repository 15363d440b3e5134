"""`ChatListener`: a conversation's live signals that survive disconnects.

The Chat API streams signals as Server-Sent Events without event ids, so a stream that drops
loses what was sent meanwhile. The listener notices a dead stream (no byte for twice the
keep-alive interval, or the connection ending), reconnects with jittered backoff (never
after a 401 or 403), then reads the conversation's messages back to the last one it saw and
yields those it missed, marked ``replayed`` and deduplicated by id.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from botpress_async._encoding import encode_path_param, loads
from botpress_async._errors import (
    APIConnectionError,
    BotpressError,
    ChatStreamError,
    ConfigurationError,
)
from botpress_async._lifecycle import AsyncContext
from botpress_async._retry import RetryPolicy, backoff_delay
from botpress_async._session import _api_error

from ._sender import ChatSender, is_auth_failure
from ._signals import MessageCreated, Reconnected, Signal, UnknownSignal, parse_signal

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DEFAULT_KEEPALIVE", "ChatListener", "ChatStreamError"]

logger: Final = logging.getLogger("botpress.chat")

#: The Chat API sends a ``ping`` this often (seconds).
DEFAULT_KEEPALIVE: Final = 30.0
_SEEN_LIMIT: Final = 10_000
# An event longer than this is no Chat API signal (bodies are at most 1 MB): the stream is bad.
_MAX_EVENT: Final = 4 * 1024 * 1024


class ChatListener(AsyncContext):
    """The signals of one conversation, as an async iterator and an async context manager.

    Made by `AsyncChatUser.listen`; ``async with user.listen(conv_id) as events:`` opens the
    stream, ``async for signal in events`` yields each signal, and leaving the block closes it.

    Args:
        sender: the user-bound sender.
        conversation_id: the conversation to follow.
        keepalive: the server's ping interval; no byte for twice as long means a dead stream.
        reconnect: reconnect after a lost stream (never after a 401 or 403).
        max_reconnect_attempts: connection attempts in a row before `ChatStreamError`.
        reconnect_delay: the first backoff before reconnecting, in seconds (jittered, doubling).
        max_reconnect_delay: the longest backoff, in seconds.
        catch_up: after a reconnect, read back and yield the messages missed meanwhile.
        report_reconnects: yield a `Reconnected` signal after each reconnect.
        on_reconnect: called with each `Reconnected`; what it raises ends the iteration.
        max_replay: the most messages read back after one reconnect.
        own_user_id: the listening user; a replayed message by anyone else counts as the
            bot's (the message list does not say who is a bot).
        read_history: on opening, read the newest page of messages so that a later catch-up
            starts after them; off when the caller marks its own starting point (`seen`).
    """

    def __init__(
        self,
        sender: ChatSender,
        conversation_id: str,
        *,
        keepalive: float = DEFAULT_KEEPALIVE,
        reconnect: bool = True,
        max_reconnect_attempts: int = 10,
        reconnect_delay: float = 0.5,
        max_reconnect_delay: float = 8.0,
        catch_up: bool = True,
        report_reconnects: bool = True,
        on_reconnect: Callable[[Reconnected], object] | None = None,
        max_replay: int = 1000,
        own_user_id: str | None = None,
        read_history: bool = True,
    ) -> None:
        if keepalive <= 0:
            raise ConfigurationError(f"keepalive must be positive, got {keepalive!r}")
        if max_reconnect_attempts < 1:
            raise ConfigurationError(
                f"max_reconnect_attempts must be 1 or more, got {max_reconnect_attempts!r}"
            )
        self._sender = sender
        self.conversation_id = conversation_id
        self.keepalive = float(keepalive)
        self.reconnect = reconnect
        self.max_reconnect_attempts = max_reconnect_attempts
        self._backoff = RetryPolicy(
            max_retries=max_reconnect_attempts,
            initial_delay=reconnect_delay,
            max_delay=max(reconnect_delay, max_reconnect_delay),
        )
        self.catch_up = catch_up
        self.report_reconnects = report_reconnects
        self.on_reconnect = on_reconnect
        self.max_replay = max_replay
        self.own_user_id = own_user_id
        self.read_history = read_history
        self.reconnects = 0
        encoded = encode_path_param("conversation_id", conversation_id)
        self._url = f"{sender.base_url}/conversations/{encoded}/listen"
        self._response: aiohttp.ClientResponse | None = None
        self._pending: collections.deque[Signal] = collections.deque()
        # The ids of the last messages yielded, oldest first, for constant-memory dedup.
        self._seen: set[str] = set()
        self._seen_order: collections.deque[str] = collections.deque()
        self._history: set[str] = set()
        self._anchor: str | None = None
        self._lost: str | None = None
        self._closed = False
        self._opened = False
        self._buffer = b""

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._response is not None else "idle"
        return f"<ChatListener conversation_id={self.conversation_id!r} {state}>"

    @property
    def connected(self) -> bool:
        """Whether a stream is open now."""
        return self._response is not None and not self._closed

    # -- lifecycle ------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the stream (once); a refused key or conversation raises here."""
        if self._opened:
            return
        self._opened = True
        await self._connect()
        if self.catch_up and self.read_history:
            await self._read_history()

    async def _astart(self) -> None:
        await self.open()

    async def _astop(self) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the stream; an iteration in progress ends. Idempotent."""
        self._closed = True
        self._drop()

    def _drop(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            response.close()
        self._buffer = b""

    # -- iteration --------------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Signal:
        if not self._opened:
            await self.open()
        pending = self._pending
        while True:
            if pending:
                return pending.popleft()
            if self._closed:
                raise StopAsyncIteration
            response = self._response
            if response is None:
                await self._recover(self._lost or "the stream was lost")
                continue
            try:
                # Whole chunks, split here: far cheaper than aiohttp's readline per line.
                chunk = await response.content.readany()
            except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
                self._lose(_describe_loss(exc, self.keepalive))
                continue
            if not chunk:
                self._lose("the server ended the stream")
                continue
            self._take(chunk)

    def _lose(self, reason: str) -> None:
        if self._closed:
            return
        logger.info("chat stream of %s lost: %s", self.conversation_id, reason)
        self._lost = reason
        self._drop()

    def _take(self, chunk: bytes) -> None:
        """Queue the signals of every event a chunk completes; keep the unfinished rest."""
        if b"\r" in chunk:
            # CR and CRLF line ends are valid SSE; the Chat API sends LF, so this is rare.
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buffer = self._buffer + chunk if self._buffer else chunk
        *events, rest = buffer.split(b"\n\n")
        if len(rest) > _MAX_EVENT:
            self._lose(f"an event of over {_MAX_EVENT} bytes")
            return
        self._buffer = rest
        for event in events:
            if event[:5] == b"data:" and b"\n" not in event:
                raw = event[5:]
            else:
                # comments, event: and id: lines carry nothing the Chat API uses
                lines = [line[5:] for line in event.split(b"\n") if line[:5] == b"data:"]
                if not lines:
                    continue
                raw = b"\n".join(lines)
            signal = self._decode(raw)
            if signal is not None:
                self._pending.append(signal)

    def _decode(self, raw: bytes) -> Signal | None:
        """The signal of one event's data; None for a ping or a message already seen."""
        try:
            obj = loads(raw)
        except ValueError:
            return UnknownSignal("", {"raw": raw.decode("utf-8", "replace")})
        signal = parse_signal(obj)
        if type(signal) is MessageCreated:
            if signal.id in self._seen:
                return None
            self._remember(signal)
        return signal

    def seen(self, message: MessageCreated) -> None:
        """Count ``message`` as seen: it is not yielded, and a catch-up starts after it.

        Args:
            message: a message the caller already has (one it just sent, say).
        """
        if message.id not in self._seen:
            self._remember(message)

    def _remember(self, signal: MessageCreated) -> None:
        self._seen.add(signal.id)
        order = self._seen_order
        order.append(signal.id)
        if len(order) > _SEEN_LIMIT:
            self._seen.discard(order.popleft())
        stamp = signal.data.get("createdAt")
        if isinstance(stamp, str) and (self._anchor is None or stamp > self._anchor):
            self._anchor = stamp

    # -- connecting and catching up --------------------------------------------------------

    async def _connect(self) -> None:
        session = self._sender.transport.session()
        timeout = self._sender.timeout
        client_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout.connect, sock_read=2 * self.keepalive
        )
        headers = self._sender.headers()
        headers["accept"] = "text/event-stream"
        try:
            response = await session.get(self._url, headers=headers, timeout=client_timeout)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise APIConnectionError(
                f"could not open the stream of conversation {self.conversation_id!r}: "
                f"{type(exc).__name__}: {exc}".rstrip(": "),
                method="GET",
                path="/conversations/{id}/listen",
            ) from None
        if response.status >= 300:
            try:
                raw = await response.read()
            except (asyncio.TimeoutError, aiohttp.ClientError):
                raw = b""
            finally:
                response.close()
            raise _api_error(
                response.status, raw, response.headers, "GET", "/conversations/{id}/listen"
            )
        self._response = response
        self._lost = None

    async def _recover(self, reason: str) -> None:
        """Reconnect after a lost stream, then queue the reconnect report and missed messages."""
        if not self.reconnect:
            self._closed = True
            raise ChatStreamError(
                f"the stream of conversation {self.conversation_id!r} was lost ({reason}) and "
                "reconnect=False",
                method="GET",
                path="/conversations/{id}/listen",
            )
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempts = 0
        last = reason
        while True:
            attempts += 1
            if attempts > self.max_reconnect_attempts:
                self._closed = True
                raise ChatStreamError(
                    f"the stream of conversation {self.conversation_id!r} was lost ({reason}) "
                    f"and {self.max_reconnect_attempts} reconnection attempts failed "
                    f"(last: {last})",
                    method="GET",
                    path="/conversations/{id}/listen",
                )
            await asyncio.sleep(backoff_delay(attempts, self._backoff))
            if self._closed:
                return
            try:
                await self._connect()
                missed = await self._replay() if self.catch_up else []
            except BotpressError as exc:
                self._drop()
                if is_auth_failure(exc):
                    self._closed = True
                    raise
                last = str(exc)
                continue
            break
        self.reconnects += 1
        report = Reconnected(
            attempts=attempts,
            downtime=loop.time() - started,
            replayed=len(missed),
            reason=reason,
        )
        if self.report_reconnects:
            self._pending.append(report)
        self._pending.extend(missed)
        if self.on_reconnect is not None:
            self.on_reconnect(report)

    async def _messages_newest_first(self) -> Any:
        from ._operations import ChatOperations

        return ChatOperations(self._sender).list_messages(conversation_id=self.conversation_id)

    async def _read_history(self) -> None:
        # What the conversation held when the stream opened: never replayed later.
        pager = await self._messages_newest_first()
        page = await pager.first_page()
        for message in page.messages:
            self._history.add(message.id)
            if self._anchor is None or message.created_at > self._anchor:
                self._anchor = message.created_at

    async def _replay(self) -> list[Signal]:
        """The messages created since the last one seen, oldest first, marked replayed."""
        pager = await self._messages_newest_first()
        found: list[dict[str, Any]] = []
        pages = 0
        async for page in pager.pages():
            pages += 1
            done = False
            for message in page.messages:
                if message.id in self._seen or message.id in self._history:
                    done = True
                    continue
                if self._anchor is not None and message.created_at < self._anchor:
                    done = True
                    continue
                data = message.to_dict()
                data["isBot"] = self.own_user_id is not None and message.user_id != self.own_user_id
                found.append(data)
            if done or len(found) >= self.max_replay or pages >= 100:
                break
        found.sort(key=lambda m: (str(m.get("createdAt", "")), str(m.get("id", ""))))
        out: list[Signal] = []
        for data in found[: self.max_replay]:
            signal = parse_signal({"type": MessageCreated.wire_type, "data": data})
            if isinstance(signal, MessageCreated) and signal.id not in self._seen:
                self._remember(signal)
                signal.replayed = True
                out.append(signal)
        return out


def _describe_loss(exc: BaseException, keepalive: float) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return f"no byte for {2 * keepalive:g}s (twice the keep-alive interval)"
    return f"{type(exc).__name__}: {exc}".rstrip(": ")
