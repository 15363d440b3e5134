"""What a conversation's listener yields: one class per signal type of the Chat API.

A signal is a thin view over the JSON it came from (``data``): its fields are read from it
when asked for, so a listener pays for typing a signal only what the caller reads. A type
this SDK does not know arrives as `UnknownSignal`, and a field of an unexpected shape reads
as ``None``: a newer server never breaks a listener.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from botpress_async._converter import structure

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


class Signal:
    """A signal of a conversation's stream.

    Args:
        type: the signal's wire type, e.g. ``"message_created"``.
        data: the signal's JSON ``data`` as received.
    """

    __slots__ = ("data", "type")
    wire_type: ClassVar[str] = ""
    _shown: ClassVar[tuple[str, ...]] = ()

    def __init__(self, type: str, data: Mapping[str, Any]) -> None:
        self.type = type
        self.data = data

    def _text(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) else None

    @property
    def conversation_id(self) -> str | None:
        """The conversation the signal is about (``None`` when it does not say)."""
        return self._text("conversationId")

    @property
    def user_id(self) -> str | None:
        """The user the signal comes from (``None`` when it does not say)."""
        return self._text("userId")

    def __repr__(self) -> str:
        shown = "".join(f", {name}={getattr(self, name)!r}" for name in self._shown)
        return f"{type(self).__name__}(type={self.type!r}{shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Signal)
        return self.type == other.type and self.data == other.data

    __hash__ = None  # type: ignore[assignment]  # data is a mutable mapping


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

    __slots__ = ("id", "replayed")
    wire_type: ClassVar[str] = "message_created"
    _shown = ("id", "user_id", "is_bot", "replayed")

    def __init__(self, type: str, data: Mapping[str, Any], *, replayed: bool = False) -> None:
        self.type = type
        self.data = data
        self.id: str = data["id"]
        self.replayed = replayed

    @property
    def payload(self) -> Any:
        """The message's content, as sent."""
        return self.data.get("payload")

    @property
    def is_bot(self) -> bool:
        """Whether the bot wrote it."""
        return self.data.get("isBot") is True

    @property
    def created_at(self) -> str | None:
        """The ISO-8601 creation time."""
        return self._text("createdAt")

    @property
    def metadata(self) -> Mapping[str, Any] | None:
        """The message's metadata, if any."""
        value = self.data.get("metadata")
        return value if isinstance(value, Mapping) else None

    @property
    def text(self) -> str | None:
        """The text of a ``text`` payload (or a markdown one), else ``None``."""
        payload = self.data.get("payload")
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

        return structure({k: v for k, v in self.data.items() if k != "isBot"}, Message)


class MessageDeleted(Signal):
    """A message was deleted. Attributes: ``id``, ``conversation_id``, ``user_id``."""

    __slots__ = ()
    wire_type: ClassVar[str] = "message_deleted"
    _shown = ("id",)

    @property
    def id(self) -> str | None:
        """The deleted message's id."""
        return self._text("id")


class EventCreated(MessageDeleted):
    """A custom event was sent in the conversation.

    Attributes:
        id: the event's id.
        conversation_id: its conversation.
        user_id: who sent it.
        payload: its free-form JSON payload.
        is_bot: whether the bot sent it.
    """

    __slots__ = ()
    wire_type: ClassVar[str] = "event_created"

    @property
    def payload(self) -> Any:
        """The event's payload."""
        return self.data.get("payload")

    @property
    def is_bot(self) -> bool:
        """Whether the bot sent it."""
        return self.data.get("isBot") is True


class ParticipantAdded(Signal):
    """A user joined the conversation. Attributes: ``conversation_id``, ``participant_id``."""

    __slots__ = ()
    wire_type: ClassVar[str] = "participant_added"
    _shown = ("participant_id",)

    @property
    def participant_id(self) -> str | None:
        """The user who joined or left."""
        return self._text("participantId")


class ParticipantRemoved(ParticipantAdded):
    """A user left the conversation. Attributes: ``conversation_id``, ``participant_id``."""

    __slots__ = ()
    wire_type: ClassVar[str] = "participant_removed"


class MessageStreamDelta(Signal):
    """One piece of a message the bot is still writing.

    Attributes:
        stream_id: identifies the streamed message.
        sequence: the piece's position; pieces may arrive out of order.
        delta: the piece (usually text), as sent.
        conversation_id: the conversation.
        user_id: the bot user writing it.
    """

    __slots__ = ()
    wire_type: ClassVar[str] = "message_stream_delta"
    _shown = ("stream_id", "sequence")

    @property
    def stream_id(self) -> str:
        """The streamed message's id."""
        return str(self.data["streamId"])

    @property
    def sequence(self) -> int:
        """The piece's position."""
        value: int = self.data["sequence"]
        return value

    @property
    def delta(self) -> Any:
        """The piece, as sent."""
        return self.data.get("delta")


class MessageStreamComplete(Signal):
    """A streamed message is finished; ``message`` is its final form (raw JSON)."""

    __slots__ = ()
    wire_type: ClassVar[str] = "message_stream_complete"
    _shown = ("stream_id",)

    @property
    def stream_id(self) -> str:
        """The streamed message's id."""
        return str(self.data["streamId"])

    @property
    def message(self) -> Mapping[str, Any] | None:
        """The final message's JSON."""
        value = self.data.get("message")
        return value if isinstance(value, Mapping) else None


class MessageStreamAbort(MessageStreamComplete):
    """A streamed message was given up; no final message follows for ``stream_id``."""

    __slots__ = ()
    wire_type: ClassVar[str] = "message_stream_abort"


class UnknownSignal(Signal):
    """A signal of a type this SDK does not know, passed through with its ``data``."""

    __slots__ = ()


class Reconnected(Signal):
    """The listener lost its stream and got it back (not a signal of the API).

    Args:
        attempts: the connection attempts it took.
        downtime: seconds without a stream.
        replayed: how many missed messages were read back and yielded (marked ``replayed``).
        reason: what ended the previous stream.
    """

    __slots__ = ("attempts", "downtime", "reason", "replayed")
    _shown = ("attempts", "replayed", "reason")

    def __init__(self, *, attempts: int, downtime: float, replayed: int, reason: str) -> None:
        super().__init__("reconnected", {})
        self.attempts = attempts
        self.downtime = downtime
        self.replayed = replayed
        self.reason = reason


def _valid(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether ``data`` has the fields a signal of ``kind`` cannot do without."""
    if kind == "message_created":
        return isinstance(data.get("id"), str)
    if kind == "message_stream_delta":
        seq = data.get("sequence")
        good_seq = isinstance(seq, int) and not isinstance(seq, bool)
        return good_seq and isinstance(data.get("streamId"), str)
    if kind in ("message_stream_complete", "message_stream_abort"):
        return isinstance(data.get("streamId"), str)
    return True


_CLASSES: Final[dict[str, type[Signal]]] = {
    cls.wire_type: cls
    for cls in (
        MessageCreated,
        MessageDeleted,
        EventCreated,
        ParticipantAdded,
        ParticipantRemoved,
        MessageStreamDelta,
        MessageStreamComplete,
        MessageStreamAbort,
    )
}
#: The signal types of the Chat API this SDK knows.
SIGNAL_TYPES: Final = frozenset(_CLASSES)


def parse_signal(obj: Any) -> Signal | None:
    """Turn one decoded ``{"type", "data"}`` object into a signal; ``None`` for a ``ping``.

    Anything malformed becomes an `UnknownSignal` rather than an error.

    Args:
        obj: the decoded JSON of one event's ``data:`` lines.
    """
    if type(obj) is dict:  # the common case first, with the cheapest checks
        kind, data = obj.get("type"), obj.get("data")
        if kind == "message_created" and type(data) is dict and type(data.get("id")) is str:
            return MessageCreated(kind, data)
    if not isinstance(obj, Mapping):
        return UnknownSignal("", {"value": obj})
    kind = obj.get("type")
    data = obj.get("data")
    if not isinstance(kind, str):
        return UnknownSignal("", obj)
    if kind == "ping":
        return None
    if not isinstance(data, Mapping):
        data = {} if data is None else {"value": data}
    cls = _CLASSES.get(kind)
    if cls is None or not _valid(kind, data):
        return UnknownSignal(kind, data)
    return cls(kind, data)
