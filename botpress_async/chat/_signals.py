"""What a conversation's listener yields: one frozen class per signal type of the Chat API.

Every signal keeps the JSON it came from (``data``). A type this SDK does not know arrives
as `UnknownSignal`, and a known type with fields of unexpected shapes keeps what it can:
a newer server never breaks a listener.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs

from botpress_async._converter import structure
from botpress_async._errors import BotpressError

__all__ = [
    "SIGNAL_TYPES",
    "EventCreated",
    "MessageCreated",
    "MessageDeleted",
    "MessageStreamAbort",
    "MessageStreamComplete",
    "MessageStreamDelta",
    "ParticipantAdded",
    "ParticipantRemoved",
    "Reconnected",
    "Signal",
    "UnknownSignal",
    "parse_signal",
]


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


@attrs.frozen(kw_only=True)
class Signal:
    """A signal of a conversation's stream.

    Attributes:
        type: the signal's wire type, e.g. ``"message_created"``.
        data: the signal's JSON ``data`` as received.
    """

    type: str
    data: Mapping[str, Any] = attrs.field(repr=False)
    wire_type: ClassVar[str] = ""


@attrs.frozen(kw_only=True)
class MessageCreated(Signal):
    """A message was added to the conversation.

    Attributes:
        id: the message's id.
        conversation_id: its conversation.
        user_id: its author.
        payload: its content (``{"type": "text", "text": ...}`` and so on; unknown types kept).
        is_bot: whether the bot wrote it.
        created_at: its ISO-8601 creation time.
        metadata: its metadata (a streamed message's final form has ``streamId`` here).
        replayed: true when it was read back after a reconnect rather than received live.
    """

    id: str
    conversation_id: str | None
    user_id: str | None
    payload: Any
    is_bot: bool
    created_at: str | None
    metadata: Mapping[str, Any] | None = None
    replayed: bool = False
    wire_type: ClassVar[str] = "message_created"

    @property
    def text(self) -> str | None:
        """The text of a ``text`` payload (or a markdown one), else ``None``."""
        payload = self.payload
        if isinstance(payload, Mapping):
            for key in ("text", "markdown"):
                value = payload.get(key)
                if isinstance(value, str):
                    return value
        return None

    @property
    def message(self) -> Any:
        """The message as a `botpress_async.models.chat.Message`."""
        from botpress_async.models.chat import Message

        fields = {k: v for k, v in self.data.items() if k != "isBot"}
        return structure(fields, Message)


@attrs.frozen(kw_only=True)
class MessageDeleted(Signal):
    """A message was deleted. Attributes: ``id``, ``conversation_id``, ``user_id``."""

    id: str | None
    conversation_id: str | None
    user_id: str | None
    wire_type: ClassVar[str] = "message_deleted"


@attrs.frozen(kw_only=True)
class EventCreated(Signal):
    """A custom event was sent in the conversation.

    Attributes:
        id: the event's id.
        conversation_id: its conversation.
        user_id: who sent it.
        payload: its free-form JSON payload.
        is_bot: whether the bot sent it.
    """

    id: str | None
    conversation_id: str | None
    user_id: str | None
    payload: Any
    is_bot: bool
    wire_type: ClassVar[str] = "event_created"


@attrs.frozen(kw_only=True)
class ParticipantAdded(Signal):
    """A user joined the conversation. Attributes: ``conversation_id``, ``participant_id``."""

    conversation_id: str | None
    participant_id: str | None
    wire_type: ClassVar[str] = "participant_added"


@attrs.frozen(kw_only=True)
class ParticipantRemoved(Signal):
    """A user left the conversation. Attributes: ``conversation_id``, ``participant_id``."""

    conversation_id: str | None
    participant_id: str | None
    wire_type: ClassVar[str] = "participant_removed"


@attrs.frozen(kw_only=True)
class MessageStreamDelta(Signal):
    """One piece of a message the bot is still writing.

    Attributes:
        stream_id: identifies the streamed message.
        sequence: the piece's position; pieces may arrive out of order.
        delta: the piece (usually text), as sent.
        conversation_id: the conversation.
        user_id: the bot user writing it.
    """

    stream_id: str
    sequence: int
    delta: Any
    conversation_id: str | None
    user_id: str | None
    wire_type: ClassVar[str] = "message_stream_delta"


@attrs.frozen(kw_only=True)
class MessageStreamComplete(Signal):
    """A streamed message is finished; ``message`` is its final form (raw JSON)."""

    stream_id: str
    message: Mapping[str, Any] | None
    wire_type: ClassVar[str] = "message_stream_complete"


@attrs.frozen(kw_only=True)
class MessageStreamAbort(Signal):
    """A streamed message was given up; no final message follows for ``stream_id``."""

    stream_id: str
    conversation_id: str | None
    wire_type: ClassVar[str] = "message_stream_abort"


@attrs.frozen(kw_only=True)
class UnknownSignal(Signal):
    """A signal of a type this SDK does not know, passed through with its ``data``."""


@attrs.frozen(kw_only=True)
class Reconnected(Signal):
    """The listener lost its stream and got it back (not a signal of the API).

    Attributes:
        attempts: the connection attempts it took.
        downtime: seconds without a stream.
        replayed: how many missed messages were read back and yielded (marked ``replayed``).
        reason: what ended the previous stream.
    """

    attempts: int
    downtime: float
    replayed: int
    reason: str


def _flag(data: Mapping[str, Any], key: str) -> bool:
    return data.get(key) is True


def _message_created(kind: str, data: Mapping[str, Any]) -> Signal:
    msg_id = _text(data, "id")
    if msg_id is None:
        return UnknownSignal(type=kind, data=data)
    metadata = data.get("metadata")
    return MessageCreated(
        type=kind,
        data=data,
        id=msg_id,
        conversation_id=_text(data, "conversationId"),
        user_id=_text(data, "userId"),
        payload=data.get("payload"),
        is_bot=_flag(data, "isBot"),
        created_at=_text(data, "createdAt"),
        metadata=metadata if isinstance(metadata, Mapping) else None,
    )


def _stream_delta(kind: str, data: Mapping[str, Any]) -> Signal:
    stream_id, sequence = _text(data, "streamId"), data.get("sequence")
    if stream_id is None or not isinstance(sequence, int) or isinstance(sequence, bool):
        return UnknownSignal(type=kind, data=data)
    return MessageStreamDelta(
        type=kind,
        data=data,
        stream_id=stream_id,
        sequence=sequence,
        delta=data.get("delta"),
        conversation_id=_text(data, "conversationId"),
        user_id=_text(data, "userId"),
    )


def _stream_end(kind: str, data: Mapping[str, Any]) -> Signal:
    stream_id = _text(data, "streamId")
    if stream_id is None:
        return UnknownSignal(type=kind, data=data)
    if kind == MessageStreamAbort.wire_type:
        return MessageStreamAbort(
            type=kind, data=data, stream_id=stream_id, conversation_id=_text(data, "conversationId")
        )
    message = data.get("message")
    return MessageStreamComplete(
        type=kind,
        data=data,
        stream_id=stream_id,
        message=message if isinstance(message, Mapping) else None,
    )


def _simple(kind: str, data: Mapping[str, Any]) -> Signal:
    if kind == MessageDeleted.wire_type:
        return MessageDeleted(
            type=kind,
            data=data,
            id=_text(data, "id"),
            conversation_id=_text(data, "conversationId"),
            user_id=_text(data, "userId"),
        )
    if kind == EventCreated.wire_type:
        return EventCreated(
            type=kind,
            data=data,
            id=_text(data, "id"),
            conversation_id=_text(data, "conversationId"),
            user_id=_text(data, "userId"),
            payload=data.get("payload"),
            is_bot=_flag(data, "isBot"),
        )
    cls = ParticipantAdded if kind == ParticipantAdded.wire_type else ParticipantRemoved
    return cls(
        type=kind,
        data=data,
        conversation_id=_text(data, "conversationId"),
        participant_id=_text(data, "participantId"),
    )


_PARSERS: Final = {
    MessageCreated.wire_type: _message_created,
    MessageDeleted.wire_type: _simple,
    EventCreated.wire_type: _simple,
    ParticipantAdded.wire_type: _simple,
    ParticipantRemoved.wire_type: _simple,
    MessageStreamDelta.wire_type: _stream_delta,
    MessageStreamComplete.wire_type: _stream_end,
    MessageStreamAbort.wire_type: _stream_end,
}
#: The signal types of the Chat API this SDK knows.
SIGNAL_TYPES: Final = frozenset(_PARSERS)


def parse_signal(obj: Any) -> Signal | None:
    """Turn one decoded ``{"type", "data"}`` object into a signal; ``None`` for a ``ping``.

    Anything malformed becomes an `UnknownSignal` rather than an error.

    Args:
        obj: the decoded JSON of one event's ``data:`` lines.
    """
    if not isinstance(obj, Mapping):
        return UnknownSignal(type="", data={"value": obj})
    kind = obj.get("type")
    data = obj.get("data")
    if not isinstance(kind, str):
        return UnknownSignal(type="", data=obj)
    if kind == "ping":
        return None
    if not isinstance(data, Mapping):
        data = {} if data is None else {"value": data}
    parser = _PARSERS.get(kind)
    if parser is None:
        return UnknownSignal(type=kind, data=data)
    try:
        return parser(kind, data)
    except (BotpressError, TypeError, ValueError):
        return UnknownSignal(type=kind, data=data)
