"""The emulator's chat front: the Chat API of its bot's Chat integration, SSE stream included.

Served under ``{emu.url}/_chat/{webhookId}`` (``emu.chat_url`` is the base, the webhook id
is ``emu.chat_webhook_id``). Users, conversations, participants, messages and events are the
runtime API's own records, made through the same handlers as the runtime API's calls (as the
Chat integration would), so the bot side sees them. Chat ids (chosen by the caller or
generated) map to runtime ids, as in Botpress.

Test knobs on ``emu.chat``: ``encryption_key`` (the integration's key mode), ``keepalive``
(the ping interval), ``echo`` / ``echo_stream`` (a bot that answers each text with its text,
streamed in pieces with ``echo_stream``), and the stream faults `drop_streams`,
`silence_streams` and `error_body_next`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

from aiohttp import web

from botpress_async._encoding import dumps, loads
from botpress_async.chat._signing import decode_user_key, sign_jwt

from ._schema import iso_now
from ._store import HANDLERS, ApiError, BotData, Context, Store, Token

if TYPE_CHECKING:
    from ._spec import Operation

__all__ = ["CHAT_PREFIX", "ChatFront", "ChatRouter"]

CHAT_PREFIX: Final = "/_chat/"
_ID_RULE: Final = re.compile(r"[a-zA-Z0-9_\-\\/]{1,70}")
_RULE_TEXT: Final = "1 to 70 of [a-zA-Z0-9_-\\/]"
_MAX_BODY: Final = 1024 * 1024
_DROP: Final = object()


@dataclass
class _ChatUser:
    chat_id: str
    runtime_id: str
    profile: str | None = None


@dataclass(eq=False)
class _Stream:
    queue: asyncio.Queue[Any] = field(default_factory=lambda: asyncio.Queue(maxsize=10_000))
    silenced: bool = False
    # Set when the stream's handler has returned.
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass
class _ChatConversation:
    chat_id: str
    runtime_id: str
    owner: str  # chat user id
    streams: set[_Stream] = field(default_factory=set)


@dataclass
class _Request:
    method: str
    parts: list[str]
    body: dict[str, Any]
    query: Mapping[str, str]
    user: _ChatUser | None = None


class ChatFront:
    """The Chat API of one bot's Chat integration, in memory.

    Args:
        store: the emulator's store.
        bot: the bot the Chat integration is installed on.
        operations: the runtime operations by id (handlers get them in their context).
        echo: start with the echo bot on.
        keepalive: seconds between pings on each stream.
    """

    def __init__(
        self,
        store: Store,
        bot: BotData,
        operations: Mapping[str, Operation],
        *,
        echo: bool = False,
        keepalive: float = 30.0,
    ) -> None:
        self.store = store
        self.bot = bot
        self._ops = operations
        self.echo = echo
        self.echo_stream = False
        self.keepalive = keepalive
        self.encryption_key: str | None = None
        self.page_size = 20
        integration = store.add_integration(bot.workspace_id, "chat")
        store.install(bot, integration)
        self.webhook_id = store.secret(24).lower()
        instance = bot.record["integrations"][integration["id"]]
        instance["webhookId"] = self.webhook_id
        instance["webhookUrl"] = f"https://webhook.botpress.cloud/{self.webhook_id}"
        self._iak: Token = store.mint("iak", integration["id"], "chat")
        self._bak: Token = store.mint("bak", bot.id, "chat echo bot")
        # Keys issued by createUser in the mode without an encryption key.
        self._own_secret = store.secret(40)
        self._users: dict[str, _ChatUser] = {}
        self._by_runtime_user: dict[str, str] = {}
        self._conversations: dict[str, _ChatConversation] = {}
        self._by_runtime_conv: dict[str, str] = {}
        self._metadata: dict[str, dict[str, Any]] = {}
        self._error_bodies: list[tuple[int, str]] = []
        self._bot_user: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending_metadata: dict[str, Any] = {}
        self._rng = random.Random(f"chat:{store.secret(8)}")  # noqa: S311 - test data
        store.message_observers.append(self._on_runtime_message)

    # --- test knobs ----------------------------------------------------------------------

    def drop_streams(self) -> int:
        """Cut every open stream's connection; return how many were cut."""
        return self._to_streams(_DROP)

    def silence_streams(self) -> int:
        """Make every open stream go quiet (no ping, no signal) while its connection stays up."""
        count = 0
        for conv in self._conversations.values():
            for stream in conv.streams:
                stream.silenced = True
                count += 1
        return count

    def error_body_next(self, count: int = 1, code: int = 500, type_: str = "Internal") -> None:
        """Answer the next ``count`` chat calls with status 200 and an error body of ``code``."""
        self._error_bodies.extend([(code, type_)] * count)

    async def close(self) -> None:
        """End every stream and the echo bot's pending replies (the emulator is stopping)."""
        for task in list(self._tasks):
            task.cancel()
        handlers = [stream.done for conv in self._conversations.values() for stream in conv.streams]
        self._to_streams(_DROP)
        if handlers:
            await asyncio.wait(handlers, timeout=2.0)

    @property
    def stream_count(self) -> int:
        """How many streams are open now."""
        return sum(len(c.streams) for c in self._conversations.values())

    def _to_streams(self, item: Any, conversation: str | None = None) -> int:
        count = 0
        for conv in self._conversations.values():
            if conversation is not None and conv.chat_id != conversation:
                continue
            for stream in list(conv.streams):
                with contextlib.suppress(asyncio.QueueFull):
                    stream.queue.put_nowait(item)
                count += 1
        return count

    # --- the runtime side ---------------------------------------------------------------

    def _context(
        self,
        body: dict[str, Any],
        op_id: str,
        *,
        bot_side: bool = False,
        path: dict[str, str] | None = None,
    ) -> Context:
        return Context(
            store=self.store,
            op=self._ops[op_id],
            path=path or {},
            query={},
            headers={},
            body=body,
            token=self._bak if bot_side else self._iak,
            bot=self.bot,
            workspace_id=self.bot.workspace_id,
            base_url="",
            page_size=self.page_size,
        )

    def _runtime(
        self,
        op_id: str,
        body: dict[str, Any],
        *,
        bot_side: bool = False,
        path: dict[str, str] | None = None,
    ) -> Any:
        return HANDLERS[op_id](self._context(body, op_id, bot_side=bot_side, path=path))

    def _on_runtime_message(self, bot: BotData, message: dict[str, Any]) -> None:
        """Every message the runtime makes: those of chat conversations become signals."""
        if bot is not self.bot:
            return
        conv_id = self._by_runtime_conv.get(message["conversationId"])
        if conv_id is None:
            return
        data = self._public_message(message)
        data["isBot"] = message.get("direction") == "outgoing"
        stream_id = (data.get("metadata") or {}).get("streamId")
        if isinstance(stream_id, str):
            signal = {"streamId": stream_id, "message": self._public_message(message)}
            self._to_streams({"type": "message_stream_complete", "data": signal}, conv_id)
        self._to_streams({"type": "message_created", "data": data}, conv_id)
        if self.echo and not data["isBot"]:
            payload = message.get("payload") or {}
            if payload.get("type") == "text" and isinstance(payload.get("text"), str):
                self._later(self._echo(message["conversationId"], conv_id, payload["text"]))

    def _later(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _echo_user(self) -> str:
        if self._bot_user is None:
            created = self._runtime("createUser", {"name": "echo bot"}, bot_side=True)
            self._bot_user = str(created["user"]["id"])
        return self._bot_user

    async def _echo(self, runtime_conv: str, conv_id: str, text: str) -> None:
        await asyncio.sleep(0)  # after the user's own message has been answered
        bot_user = self._echo_user()
        metadata: dict[str, Any] = {}
        if self.echo_stream:
            stream_id = "stream_" + self.store.secret(12)
            words = re.findall(r"\S+\s*", text) or [text]
            order = list(range(len(words)))
            self._rng.shuffle(order)  # pieces may arrive out of order: sequence says where
            for n in order:
                delta = {
                    "streamId": stream_id,
                    "conversationId": conv_id,
                    "userId": bot_user,
                    "createdAt": iso_now(),
                    "sequence": n,
                    "delta": words[n],
                }
                self._to_streams({"type": "message_stream_delta", "data": delta}, conv_id)
                await asyncio.sleep(0)
            metadata = {"streamId": stream_id}
        body = {
            "conversationId": runtime_conv,
            "userId": bot_user,
            "type": "text",
            "payload": {"type": "text", "text": text},
            "tags": {},
        }
        self._pending_metadata = metadata
        try:
            self._runtime("createMessage", body, bot_side=True)
        finally:
            self._pending_metadata = {}

    def _public_message(self, message: Mapping[str, Any]) -> dict[str, Any]:
        msg_id = str(message["id"])
        if msg_id not in self._metadata and self._pending_metadata:
            self._metadata[msg_id] = dict(self._pending_metadata)
        out: dict[str, Any] = {
            "id": msg_id,
            "createdAt": message["createdAt"],
            "payload": message.get("payload") or {},
            "userId": self._chat_user_id(str(message["userId"])),
            "conversationId": self._by_runtime_conv.get(str(message["conversationId"]), ""),
        }
        if msg_id in self._metadata:
            out["metadata"] = self._metadata[msg_id]
        return out

    def _chat_user_id(self, runtime_id: str) -> str:
        return self._by_runtime_user.get(runtime_id, runtime_id)

    # --- HTTP ------------------------------------------------------------------------------

    async def handle(self, request: web.BaseRequest, raw_path: str) -> web.StreamResponse:
        """Answer one request under ``/_chat/``."""
        parts = [unquote(p) for p in raw_path[len(CHAT_PREFIX) :].strip("/").split("/")]
        if not parts or parts[0] != self.webhook_id:
            return _error(404, "ResourceNotFound", "no Chat integration has this webhook id")
        parts = parts[1:]
        if not parts or not parts[0]:
            return _error(404, "ResourceNotFound", "no operation at the webhook's root")
        try:
            body = await self._read_body(request)
            req = _Request(request.method, parts, body, request.query)
            is_listen = len(parts) == 3 and parts[0] == "conversations" and parts[2] == "listen"
            if not (req.method == "POST" and parts == ["users"]):
                req.user = self._authenticate(request, req)
            if is_listen and req.method == "GET":
                return await self._listen(request, req)
            status, answer = self._route(req)
        except ApiError as exc:
            return _error(exc.status, exc.type, exc.message)
        if self._error_bodies:
            code, type_ = self._error_bodies.pop(0)
            return _error(code, type_, "injected error body", http_status=200)
        return web.Response(status=status, body=dumps(answer), content_type="application/json")

    async def _read_body(self, request: web.BaseRequest) -> dict[str, Any]:
        if request.method not in ("POST", "PUT"):
            return {}
        raw = await request.content.read(_MAX_BODY + 1)
        if len(raw) > _MAX_BODY:
            raise ApiError(413, "PayloadTooLarge", "the body is over the Chat API's 1 MB limit")
        if not raw.strip():
            return {}
        try:
            body = loads(raw)
        except ValueError:
            raise ApiError(400, "InvalidPayload", "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "InvalidPayload", "the body must be a JSON object")
        return body

    def _authenticate(self, request: web.BaseRequest, req: _Request) -> _ChatUser | None:
        key = request.headers.get("x-user-key")
        if not key:
            raise ApiError(401, "Unauthorized", "the x-user-key header is required")
        secret = self.encryption_key or self._own_secret
        claims = decode_user_key(key, secret)
        if claims is None:
            raise ApiError(401, "Unauthorized", "Invalid user key")
        user_id = str(claims["id"])
        user = self._users.get(user_id)
        if user is None and req.parts == ["users", "get-or-create"]:
            if not _ID_RULE.fullmatch(user_id):
                raise ApiError(400, "InvalidPayload", f"user id {user_id!r} is not valid")
            user = self._new_user(user_id, req.body)
        if user is None:
            raise ApiError(404, "ResourceNotFound", f"user {user_id!r} does not exist")
        return user

    def _route(self, req: _Request) -> tuple[int, Any]:
        m, p = req.method, req.parts
        if p[0] == "users":
            return self._users_route(req)
        if p[0] == "conversations":
            if len(p) >= 3 and p[2] == "participants":
                return self._participants_route(req)
            if len(p) == 3 and p[2] == "messages" and m == "GET":
                return 200, self._list_messages(req, p[1])
            return self._conversations_route(req)
        if p[0] == "messages":
            return self._messages_route(req)
        if p[0] == "events":
            return self._events_route(req)
        raise ApiError(404, "ResourceNotFound", f"no operation {m} /{'/'.join(p)}")

    # users

    def _new_user(self, chat_id: str | None, body: Mapping[str, Any]) -> _ChatUser:
        fields = {k: body[k] for k in ("name", "pictureUrl") if isinstance(body.get(k), str)}
        created = self._runtime("createUser", {**fields, "tags": {}})
        runtime_id = str(created["user"]["id"])
        chat_id = chat_id or runtime_id
        profile = body.get("profile") if isinstance(body.get("profile"), str) else None
        user = _ChatUser(chat_id, runtime_id, profile)
        self._users[chat_id] = user
        self._by_runtime_user[runtime_id] = chat_id
        return user

    def _user_json(self, user: _ChatUser) -> dict[str, Any]:
        record = self.bot.users.get(user.runtime_id, {})
        out = {"id": user.chat_id, "createdAt": record.get("createdAt", iso_now())}
        out["updatedAt"] = record.get("updatedAt", out["createdAt"])
        for key in ("name", "pictureUrl"):
            if record.get(key) is not None:
                out[key] = record[key]
        if user.profile is not None:
            out["profile"] = user.profile
        return out

    def _users_route(self, req: _Request) -> tuple[int, Any]:
        m, p, body = req.method, req.parts, req.body
        if m == "POST" and p == ["users"]:
            if self.encryption_key:
                raise ApiError(
                    403, "Forbidden", "createUser is refused: this integration signs its own keys"
                )
            chat_id = body.get("id")
            if chat_id is not None:
                if not isinstance(chat_id, str) or not _ID_RULE.fullmatch(chat_id):
                    raise ApiError(400, "InvalidPayload", f"user id must match {_RULE_TEXT}")
                if chat_id in self._users:
                    raise ApiError(409, "AlreadyExists", f"user {chat_id!r} already exists")
            user = self._new_user(chat_id, body)
            key = sign_jwt({"id": user.chat_id}, self._own_secret)
            return 201, {"user": self._user_json(user), "key": key}
        user = _need(req.user)
        if p == ["users", "get-or-create"] and m == "POST":
            return 201, {"user": self._user_json(user)}
        if p == ["users", "me"]:
            if m == "GET":
                return 200, {"user": self._user_json(user)}
            if m == "PUT":
                record = self.bot.users[user.runtime_id]
                for key in ("name", "pictureUrl"):
                    if isinstance(body.get(key), str):
                        record[key] = body[key]
                if isinstance(body.get("profile"), str):
                    user.profile = body["profile"]
                record["updatedAt"] = iso_now()
                return 200, {"user": self._user_json(user)}
            if m == "DELETE":
                del self._users[user.chat_id]
                self.bot.users.pop(user.runtime_id, None)
                return 200, {}
        raise ApiError(404, "ResourceNotFound", f"no operation {m} /{'/'.join(p)}")

    # conversations and participants

    def _conversation(self, conv_id: str, user: _ChatUser) -> _ChatConversation:
        conv = self._conversations.get(conv_id)
        if conv is None or conv.runtime_id not in self.bot.conversations:
            raise ApiError(404, "ResourceNotFound", f"conversation {conv_id!r} does not exist")
        if user.runtime_id not in self.bot.participants.get(conv.runtime_id, []):
            raise ApiError(403, "Forbidden", f"you are not a participant of {conv_id!r}")
        return conv

    def _new_conversation(self, chat_id: str | None, user: _ChatUser) -> _ChatConversation:
        created = self._runtime("createConversation", {"channel": "channel", "tags": {}})
        runtime_id = str(created["conversation"]["id"])
        conv = _ChatConversation(chat_id or runtime_id, runtime_id, user.chat_id)
        self._conversations[conv.chat_id] = conv
        self._by_runtime_conv[runtime_id] = conv.chat_id
        self._runtime("addParticipant", {"userId": user.runtime_id}, path={"id": runtime_id})
        return conv

    def _conv_json(self, conv: _ChatConversation) -> dict[str, Any]:
        record = self.bot.conversations[conv.runtime_id]
        return {
            "id": conv.chat_id,
            "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"],
        }

    def _conversations_route(self, req: _Request) -> tuple[int, Any]:
        m, p, body, user = req.method, req.parts, req.body, _need(req.user)
        if (len(p) == 1 and m == "POST") or p == ["conversations", "get-or-create"]:
            chat_id = body.get("id")
            if chat_id is not None and (
                not isinstance(chat_id, str) or not _ID_RULE.fullmatch(chat_id)
            ):
                raise ApiError(400, "InvalidPayload", f"conversation id must match {_RULE_TEXT}")
            if len(p) == 2:
                if chat_id is None:
                    raise ApiError(400, "InvalidPayload", "id is required")
                if chat_id in self._conversations:
                    return 201, {"conversation": self._conv_json(self._conversation(chat_id, user))}
            elif chat_id in self._conversations:
                raise ApiError(409, "AlreadyExists", f"conversation {chat_id!r} already exists")
            return 201, {"conversation": self._conv_json(self._new_conversation(chat_id, user))}
        if len(p) == 1 and m == "GET":
            mine = [
                c
                for c in self._conversations.values()
                if c.runtime_id in self.bot.conversations
                and user.runtime_id in self.bot.participants.get(c.runtime_id, [])
            ]
            page, meta = self._page(req, mine)
            return 200, {"conversations": [self._conv_json(c) for c in page], "meta": meta}
        if len(p) == 2:
            conv = self._conversation(p[1], user)
            if m == "GET":
                return 200, {"conversation": self._conv_json(conv)}
            if m == "DELETE":
                if conv.owner != user.chat_id:
                    raise ApiError(403, "Forbidden", "only the conversation's owner may delete it")
                self._to_streams(_DROP, conv.chat_id)
                self._runtime_delete_conversation(conv)
                return 200, {}
        raise ApiError(404, "ResourceNotFound", f"no operation {m} /{'/'.join(p)}")

    def _runtime_delete_conversation(self, conv: _ChatConversation) -> None:
        self._runtime("deleteConversation", {}, path={"id": conv.runtime_id})
        del self._conversations[conv.chat_id]
        self._by_runtime_conv.pop(conv.runtime_id, None)

    def _page(self, req: _Request, items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        token = req.query.get("nextToken")
        start = int(token[1:]) if token and token[1:].isdigit() else 0
        page = items[start : start + self.page_size]
        meta = (
            {"nextToken": f"p{start + self.page_size}"}
            if start + self.page_size < len(items)
            else {}
        )
        return page, meta

    def _participants_route(self, req: _Request) -> tuple[int, Any]:
        m, p, user = req.method, req.parts, _need(req.user)
        conv = self._conversation(p[1], user)
        members = self.bot.participants[conv.runtime_id]
        if len(p) == 3 and m == "GET":
            users = [
                self._users[self._chat_user_id(r)]
                for r in members
                if self._chat_user_id(r) in self._users
            ]
            page, meta = self._page(req, users)
            return 200, {"participants": [self._user_json(u) for u in page], "meta": meta}
        if len(p) == 3 and m == "POST":
            if conv.owner != user.chat_id:
                raise ApiError(403, "Forbidden", "only the conversation's owner may add users")
            other = self._users.get(str(req.body.get("userId")))
            if other is None:
                raise ApiError(404, "ResourceNotFound", "that user does not exist")
            if other.runtime_id not in members:
                members.append(other.runtime_id)
                signal = {"conversationId": conv.chat_id, "participantId": other.chat_id}
                self._to_streams({"type": "participant_added", "data": signal}, conv.chat_id)
            return 200, {"participant": self._user_json(other)}
        if len(p) == 4:
            other = self._users.get(p[3])
            if other is None or other.runtime_id not in members:
                raise ApiError(404, "ResourceNotFound", f"participant {p[3]!r} does not exist")
            if m == "GET":
                return 200, {"participant": self._user_json(other)}
            if m == "DELETE":
                if conv.owner != user.chat_id and other is not user:
                    raise ApiError(403, "Forbidden", "only the owner may remove others")
                members.remove(other.runtime_id)
                signal = {"conversationId": conv.chat_id, "participantId": other.chat_id}
                self._to_streams({"type": "participant_removed", "data": signal}, conv.chat_id)
                return 200, {}
        raise ApiError(404, "ResourceNotFound", f"no operation {m} /{'/'.join(p)}")

    # messages and events

    def _list_messages(self, req: _Request, conv_id: str) -> dict[str, Any]:
        conv = self._conversation(conv_id, _need(req.user))
        msgs = [m for m in self.bot.messages.values() if m["conversationId"] == conv.runtime_id]
        # Newest first, as the Chat API lists them.
        msgs.sort(key=lambda m: (m["createdAt"], m["id"]), reverse=True)
        page, meta = self._page(req, msgs)
        return {"messages": [self._public_message(m) for m in page], "meta": meta}

    def _messages_route(self, req: _Request) -> tuple[int, Any]:
        m, p, body, user = req.method, req.parts, req.body, _need(req.user)
        if p == ["messages"] and m == "POST":
            payload = body.get("payload")
            if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
                raise ApiError(400, "InvalidPayload", "payload must be an object with a type")
            conv = self._conversation(str(body.get("conversationId")), user)
            metadata = body.get("metadata")
            self._pending_metadata = dict(metadata) if isinstance(metadata, dict) else {}
            try:
                created = self._runtime(
                    "createMessage",
                    {
                        "conversationId": conv.runtime_id,
                        "userId": user.runtime_id,
                        "type": payload["type"],
                        "payload": payload,
                        "tags": {},
                    },
                )
            finally:
                self._pending_metadata = {}
            return 201, {"message": self._public_message(created["message"])}
        if len(p) == 2:
            message = self.bot.messages.get(p[1])
            if message is None:
                raise ApiError(404, "ResourceNotFound", f"message {p[1]!r} does not exist")
            conv_id = self._by_runtime_conv.get(message["conversationId"], "")
            self._conversation(conv_id, user)
            if m == "GET":
                return 200, {"message": self._public_message(message)}
            if m == "DELETE":
                if message["userId"] != user.runtime_id:
                    raise ApiError(403, "Forbidden", "only the message's sender may delete it")
                self._runtime("deleteMessage", {}, path={"id": message["id"]})
                signal = {"id": message["id"], "conversationId": conv_id, "userId": user.chat_id}
                self._to_streams({"type": "message_deleted", "data": signal}, conv_id)
                return 200, {}
        raise ApiError(404, "ResourceNotFound", f"no operation {m} /{'/'.join(p)}")

    def _events_route(self, req: _Request) -> tuple[int, Any]:
        m, p, body, user = req.method, req.parts, req.body, _need(req.user)
        if p == ["events"] and m == "POST":
            if not isinstance(body.get("payload"), dict):
                raise ApiError(400, "InvalidPayload", "payload must be an object")
            conv = self._conversation(str(body.get("conversationId")), user)
            created = self._runtime(
                "createEvent",
                {
                    "type": "chat:custom",
                    "payload": body["payload"],
                    "conversationId": conv.runtime_id,
                    "userId": user.runtime_id,
                },
            )
            event = self._event_json(created["event"])
            self._to_streams(
                {"type": "event_created", "data": {**event, "isBot": False}}, conv.chat_id
            )
            return 201, {"event": event}
        if len(p) == 2 and m == "GET":
            found = self.bot.events.get(p[1])
            if found is None:
                raise ApiError(404, "ResourceNotFound", f"event {p[1]!r} does not exist")
            self._conversation(self._by_runtime_conv.get(found.get("conversationId", ""), ""), user)
            return 200, {"event": self._event_json(found)}
        raise ApiError(404, "ResourceNotFound", f"no operation {m} /{'/'.join(p)}")

    def _event_json(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": event["id"],
            "createdAt": event["createdAt"],
            "payload": event["payload"],
            "conversationId": self._by_runtime_conv.get(str(event.get("conversationId")), ""),
            "userId": self._chat_user_id(str(event.get("userId"))),
        }

    # the stream

    async def _listen(self, request: web.BaseRequest, req: _Request) -> web.StreamResponse:
        conv = self._conversation(req.parts[1], _need(req.user))
        response = web.StreamResponse(
            status=200, headers={"content-type": "text/event-stream", "cache-control": "no-cache"}
        )
        await response.prepare(request)
        stream = _Stream()
        queue = stream.queue
        conv.streams.add(stream)
        ping = b'data: {"type":"ping","data":{}}\n\n'
        try:
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), self.keepalive)
                except asyncio.TimeoutError:
                    item = None
                if item is _DROP:
                    if request.transport is not None:
                        request.transport.abort()
                    break
                if stream.silenced:
                    continue
                await response.write(ping if item is None else b"data: " + dumps(item) + b"\n\n")
        except ConnectionError:
            pass  # the client went away
        finally:
            conv.streams.discard(stream)
            if not stream.done.done():
                stream.done.set_result(None)
        return response


class ChatRouter:
    """The chat fronts of the emulator, one per bot with the Chat integration, by webhook id."""

    def __init__(self) -> None:
        self.fronts: dict[str, ChatFront] = {}

    def add(self, front: ChatFront) -> ChatFront:
        """Serve ``front`` under its webhook id; return it."""
        self.fronts[front.webhook_id] = front
        return front

    async def handle(self, request: web.BaseRequest, raw_path: str) -> web.StreamResponse:
        """Hand a request under ``/_chat/{webhookId}`` to that webhook's front."""
        webhook_id = unquote(raw_path[len(CHAT_PREFIX) :].split("/", 1)[0])
        front = self.fronts.get(webhook_id)
        if front is None:
            return _error(404, "ResourceNotFound", "no Chat integration has this webhook id")
        return await front.handle(request, raw_path)

    async def close(self) -> None:
        """End the streams of every front."""
        for front in self.fronts.values():
            await front.close()


def _need(user: _ChatUser | None) -> _ChatUser:
    if user is None:
        raise ApiError(401, "Unauthorized", "the x-user-key header is required")
    return user


def _error(
    status: int, type_: str, message: str, *, http_status: int | None = None
) -> web.Response:
    body = {"id": "err_chat", "code": status, "type": type_, "message": message}
    return web.Response(
        status=http_status or status, body=dumps(body), content_type="application/json"
    )
