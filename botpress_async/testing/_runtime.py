"""Stateful handlers of the runtime API: users, conversations, participants, messages, events,
states, workflows and tag values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._delivery import message_created, send_event
from ._pages import paginate
from ._schema import iso_now
from ._store import BotData, Context, handler, invalid, not_found, tags_match

__all__: list[str] = []


def _merge_tags(current: dict[str, Any], update: Mapping[str, Any] | None) -> dict[str, Any]:
    # A null or empty value removes a tag, as in the API.
    merged = dict(current)
    for key, value in (update or {}).items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _record_tags(bot: BotData, kind: str, tags: Mapping[str, Any]) -> None:
    for key, value in tags.items():
        if isinstance(value, str):
            bot.tag_values.setdefault(f"{kind}:{key}", set()).add(value)


def _discriminated(
    existing: Mapping[str, Any], tags: Mapping[str, Any], keys: list[str] | None
) -> bool:
    """Whether ``existing`` is the object a getOrCreate call with ``tags`` refers to."""
    chosen = keys if keys is not None else list(tags)
    current = existing.get("tags", {})
    return all(current.get(key) == tags.get(key) for key in chosen)


def _in_range(item: Mapping[str, Any], query: Mapping[str, Any], field: str = "createdAt") -> bool:
    after, before = query.get("afterDate"), query.get("beforeDate")
    stamp = item.get(field, "")
    return (not after or stamp > after) and (not before or stamp < before)


def _sorted(items: list[dict[str, Any]], query: Mapping[str, Any]) -> list[dict[str, Any]]:
    field = query.get("sortField") or "createdAt"
    reverse = query.get("sortDirection") == "desc"
    return sorted(items, key=lambda item: str(item.get(field, "")), reverse=reverse)


def _integration_name(ctx: Context, given: str | None) -> str:
    if given:
        return given
    if ctx.token.kind == "iak":
        record = ctx.store.integrations.get(ctx.token.owner)
        if record is not None:
            return str(record["name"])
    return "unknown"


# --- users -------------------------------------------------------------------------------


def _new_user(ctx: Context, bot: BotData, body: Mapping[str, Any]) -> dict[str, Any]:
    now = iso_now()
    user: dict[str, Any] = {"id": ctx.store.new_id("user"), "createdAt": now, "updatedAt": now}
    user["tags"] = dict(body.get("tags") or {})
    for key in ("name", "pictureUrl", "properties", "attributes"):
        if body.get(key) is not None:
            user[key] = body[key]
    bot.users[user["id"]] = user
    _record_tags(bot, "user", user["tags"])
    return user


def _user(bot: BotData, user_id: str) -> dict[str, Any]:
    user = bot.users.get(user_id)
    if user is None:
        raise not_found("user", user_id)
    return user


@handler("createUser")
def create_user(ctx: Context) -> Any:
    """Create a user."""
    return {"user": _new_user(ctx, ctx.require_bot(), ctx.body)}


@handler("getOrCreateUser")
def get_or_create_user(ctx: Context) -> Any:
    """Return the user with the same discriminating tags, or create it."""
    bot = ctx.require_bot()
    tags = ctx.body.get("tags") or {}
    if tags:
        keys = ctx.body.get("discriminateByTags")
        for user in bot.users.values():
            if _discriminated(user, tags, keys):
                return {"user": user, "meta": {"created": False}}
    return {"user": _new_user(ctx, bot, ctx.body), "meta": {"created": True}}


@handler("getUser")
def get_user(ctx: Context) -> Any:
    """Return one user."""
    return {"user": _user(ctx.require_bot(), ctx.path["id"])}


@handler("listUsers")
def list_users(ctx: Context) -> Any:
    """List users, filtered by conversation, tags and dates."""
    bot = ctx.require_bot()
    q = ctx.query
    users = list(bot.users.values())
    if q.get("conversationId"):
        members = set(bot.participants.get(q["conversationId"], []))
        users = [u for u in users if u["id"] in members]
    users = [u for u in users if tags_match(u["tags"], q.get("tags"))]
    users = [u for u in users if _in_range(u, q, q.get("rangeField") or "createdAt")]
    page, meta = paginate(ctx, _sorted(users, q))
    return {"users": page, "meta": meta}


@handler("updateUser")
def update_user(ctx: Context) -> Any:
    """Change a user's tags, name, picture, attributes or properties."""
    bot = ctx.require_bot()
    user = _user(bot, ctx.path["id"])
    body = ctx.body
    if "tags" in body:
        user["tags"] = _merge_tags(user["tags"], body["tags"])
        _record_tags(bot, "user", user["tags"])
    for key in ("name", "pictureUrl", "attributes", "properties"):
        if key in body:
            if body[key] is None:
                user.pop(key, None)
            else:
                user[key] = body[key]
    user["updatedAt"] = iso_now()
    return {"user": user}


@handler("deleteUser")
def delete_user(ctx: Context) -> Any:
    """Delete a user."""
    bot = ctx.require_bot()
    _user(bot, ctx.path["id"])
    del bot.users[ctx.path["id"]]
    return {}


# --- conversations and participants ------------------------------------------------------


def _new_conversation(ctx: Context, bot: BotData, body: Mapping[str, Any]) -> dict[str, Any]:
    now = iso_now()
    conv = {
        "id": ctx.store.new_id("conv"),
        "createdAt": now,
        "updatedAt": now,
        "channel": body["channel"],
        "integration": _integration_name(ctx, body.get("integrationName")),
        "tags": dict(body.get("tags") or {}),
        "messageCount": 0,
    }
    bot.conversations[conv["id"]] = conv
    bot.participants[conv["id"]] = []
    _record_tags(bot, "conversation", conv["tags"])
    return conv


def _conversation(bot: BotData, conv_id: str) -> dict[str, Any]:
    conv = bot.conversations.get(conv_id)
    if conv is None:
        raise not_found("conversation", conv_id)
    return conv


@handler("createConversation")
def create_conversation(ctx: Context) -> Any:
    """Create a conversation."""
    return {"conversation": _new_conversation(ctx, ctx.require_bot(), ctx.body)}


def _find_conversation(ctx: Context, bot: BotData, body: Mapping[str, Any]) -> Any:
    integration = _integration_name(ctx, body.get("integrationName"))
    for conv in bot.conversations.values():
        if conv["channel"] != body["channel"] or conv["integration"] != integration:
            continue
        if _discriminated(conv, body.get("tags") or {}, body.get("discriminateByTags")):
            return conv
    return None


@handler("getOrCreateConversation")
def get_or_create_conversation(ctx: Context) -> Any:
    """Return the conversation with the same channel and discriminating tags, or create it."""
    bot = ctx.require_bot()
    found = _find_conversation(ctx, bot, ctx.body)
    if found is not None:
        return {"conversation": found, "meta": {"created": False}}
    return {"conversation": _new_conversation(ctx, bot, ctx.body), "meta": {"created": True}}


@handler("getConversation")
def get_conversation(ctx: Context) -> Any:
    """Return one conversation."""
    return {"conversation": _conversation(ctx.require_bot(), ctx.path["id"])}


@handler("listConversations")
def list_conversations(ctx: Context) -> Any:
    """List conversations, filtered by tags, participants, channel, integration and dates."""
    bot = ctx.require_bot()
    q = ctx.query
    convs = [c for c in bot.conversations.values() if tags_match(c["tags"], q.get("tags"))]
    if q.get("participantIds"):
        wanted = set(q["participantIds"])
        convs = [c for c in convs if wanted <= set(bot.participants.get(c["id"], []))]
    if q.get("channel"):
        convs = [c for c in convs if c["channel"] == q["channel"]]
    if q.get("integrationName"):
        convs = [c for c in convs if c["integration"] == q["integrationName"]]
    convs = [c for c in convs if _in_range(c, q)]
    page, meta = paginate(ctx, _sorted(convs, q))
    return {"conversations": page, "meta": meta}


@handler("updateConversation")
def update_conversation(ctx: Context) -> Any:
    """Change a conversation's tags or current task."""
    bot = ctx.require_bot()
    conv = _conversation(bot, ctx.path["id"])
    if "tags" in ctx.body:
        conv["tags"] = _merge_tags(conv["tags"], ctx.body["tags"])
        _record_tags(bot, "conversation", conv["tags"])
    if ctx.body.get("currentTaskId"):
        conv["currentTaskId"] = ctx.body["currentTaskId"]
    conv["updatedAt"] = iso_now()
    return {"conversation": conv}


@handler("deleteConversation")
def delete_conversation(ctx: Context) -> Any:
    """Delete a conversation and its messages."""
    bot = ctx.require_bot()
    conv_id = ctx.path["id"]
    _conversation(bot, conv_id)
    del bot.conversations[conv_id]
    bot.participants.pop(conv_id, None)
    for msg_id in [m["id"] for m in bot.messages.values() if m["conversationId"] == conv_id]:
        del bot.messages[msg_id]
    return {}


@handler("listParticipants")
def list_participants(ctx: Context) -> Any:
    """List the users taking part in a conversation."""
    bot = ctx.require_bot()
    _conversation(bot, ctx.path["id"])
    users = [bot.users[u] for u in bot.participants[ctx.path["id"]] if u in bot.users]
    page, meta = paginate(ctx, users)
    return {"participants": page, "meta": meta}


@handler("addParticipant")
def add_participant(ctx: Context) -> Any:
    """Add a user to a conversation (adding twice changes nothing)."""
    bot = ctx.require_bot()
    _conversation(bot, ctx.path["id"])
    user = _user(bot, ctx.body["userId"])
    members = bot.participants[ctx.path["id"]]
    if user["id"] not in members:
        members.append(user["id"])
    return {"participant": user}


@handler("getParticipant")
def get_participant(ctx: Context) -> Any:
    """Return one participant of a conversation."""
    bot = ctx.require_bot()
    _conversation(bot, ctx.path["id"])
    if ctx.path["userId"] not in bot.participants[ctx.path["id"]]:
        raise not_found("participant", ctx.path["userId"])
    return {"participant": _user(bot, ctx.path["userId"])}


@handler("removeParticipant")
def remove_participant(ctx: Context) -> Any:
    """Remove a user from a conversation."""
    bot = ctx.require_bot()
    _conversation(bot, ctx.path["id"])
    members = bot.participants[ctx.path["id"]]
    if ctx.path["userId"] not in members:
        raise not_found("participant", ctx.path["userId"])
    members.remove(ctx.path["userId"])
    return {}


# --- messages ------------------------------------------------------------------------------


def _new_message(ctx: Context, bot: BotData, body: Mapping[str, Any]) -> dict[str, Any]:
    conv = _conversation(bot, body["conversationId"])
    if body["userId"] != bot.id:  # the bot writes as itself
        _user(bot, body["userId"])
    now = iso_now()
    msg: dict[str, Any] = {
        "id": ctx.store.new_id("msg"),
        "createdAt": now,
        "updatedAt": now,
        "type": body["type"],
        "payload": body.get("payload") or {},
        "direction": "incoming" if ctx.token.kind == "iak" else "outgoing",
        "userId": body["userId"],
        "conversationId": body["conversationId"],
        "tags": dict(body.get("tags") or {}),
    }
    if body.get("origin"):
        msg["origin"] = body["origin"]
    bot.messages[msg["id"]] = msg
    conv["messageCount"] += 1
    _record_tags(bot, "message", msg["tags"])
    message_created(ctx.store, bot, msg)
    for observer in ctx.store.message_observers:
        observer(bot, msg)
    return msg


def _message(bot: BotData, msg_id: str) -> dict[str, Any]:
    msg = bot.messages.get(msg_id)
    if msg is None:
        raise not_found("message", msg_id)
    return msg


@handler("createMessage")
def create_message(ctx: Context) -> Any:
    """Create a message in an existing conversation."""
    return {"message": _new_message(ctx, ctx.require_bot(), ctx.body)}


@handler("getOrCreateMessage")
def get_or_create_message(ctx: Context) -> Any:
    """Return the message of the conversation with the same discriminating tags, or create it."""
    bot = ctx.require_bot()
    body = ctx.body
    tags = body.get("tags") or {}
    if tags:
        for msg in bot.messages.values():
            same_place = msg["conversationId"] == body["conversationId"]
            if same_place and _discriminated(msg, tags, body.get("discriminateByTags")):
                return {"message": msg, "meta": {"created": False}}
    return {"message": _new_message(ctx, bot, body), "meta": {"created": True}}


@handler("getMessage")
def get_message(ctx: Context) -> Any:
    """Return one message."""
    return {"message": _message(ctx.require_bot(), ctx.path["id"])}


@handler("updateMessage")
def update_message(ctx: Context) -> Any:
    """Change a message's tags or payload."""
    bot = ctx.require_bot()
    msg = _message(bot, ctx.path["id"])
    msg["tags"] = _merge_tags(msg["tags"], ctx.body.get("tags"))
    if ctx.body.get("payload") is not None:
        msg["payload"] = ctx.body["payload"]
    msg["updatedAt"] = iso_now()
    return {"message": msg}


@handler("listMessages")
def list_messages(ctx: Context) -> Any:
    """List messages, filtered by conversation, tags and dates."""
    bot = ctx.require_bot()
    q = ctx.query
    msgs = [m for m in bot.messages.values() if tags_match(m["tags"], q.get("tags"))]
    if q.get("conversationId"):
        msgs = [m for m in msgs if m["conversationId"] == q["conversationId"]]
    msgs = [m for m in msgs if _in_range(m, q)]
    page, meta = paginate(ctx, msgs)
    return {"messages": page, "meta": meta}


@handler("deleteMessage")
def delete_message(ctx: Context) -> Any:
    """Delete a message."""
    bot = ctx.require_bot()
    msg = _message(bot, ctx.path["id"])
    del bot.messages[msg["id"]]
    conv = bot.conversations.get(msg["conversationId"])
    if conv is not None:
        conv["messageCount"] = max(0, conv["messageCount"] - 1)
    return {}


@handler("importMessages")
def import_messages(ctx: Context) -> Any:
    """Create many messages at once."""
    bot = ctx.require_bot()
    out = []
    for item in ctx.body["messages"]:
        if not isinstance(item, dict) or not {"conversationId", "userId", "type"} <= set(item):
            raise invalid("messages items need conversationId, userId and type")
        out.append(_new_message(ctx, bot, item))
    return {"messages": out}


@handler("initializeIncomingMessage")
def initialize_incoming_message(ctx: Context) -> Any:
    """Find or create the user and the conversation of an incoming message, then add it."""
    bot = ctx.require_bot()
    body = ctx.body
    if body.get("userId"):
        user = _user(bot, body["userId"])
    else:
        spec = body.get("user") or {"tags": {}, "discriminateByTags": []}
        keys = spec.get("discriminateByTags")
        tags = spec.get("tags") or {}
        found = [u for u in bot.users.values() if tags and _discriminated(u, tags, keys)]
        user = found[0] if found else _new_user(ctx, bot, spec)
    if body.get("conversationId"):
        conv = _conversation(bot, body["conversationId"])
    else:
        spec = body.get("conversation") or {"channel": "channel", "tags": {}}
        conv = _find_conversation(ctx, bot, spec) or _new_conversation(ctx, bot, spec)
    if user["id"] not in bot.participants[conv["id"]]:
        bot.participants[conv["id"]].append(user["id"])
    out: dict[str, Any] = {"user": user, "conversation": conv}
    if body.get("message"):
        spec = dict(body["message"], userId=user["id"], conversationId=conv["id"])
        out["message"] = _new_message(ctx, bot, spec)
    return out


# --- events --------------------------------------------------------------------------------


@handler("createEvent")
def create_event(ctx: Context) -> Any:
    """Record an event; one with a schedule waits as ``scheduled`` until cancelled."""
    bot = ctx.require_bot()
    body = ctx.body
    event: dict[str, Any] = {
        "id": ctx.store.new_id("evt"),
        "createdAt": iso_now(),
        "type": body["type"],
        "payload": body["payload"],
        "status": "scheduled" if body.get("schedule") else "pending",
        "failureReason": None,
    }
    for key in ("conversationId", "userId", "messageId"):
        if body.get(key):
            event[key] = body[key]
    if body.get("workflowId"):
        event["_workflowId"] = body["workflowId"]
    bot.events[event["id"]] = event
    if ctx.token.kind == "iak" and event["status"] == "pending":
        # An integration's event is for the bot: Botpress hands it to the bot's URL.
        send_event(ctx.store, bot, _public_event(event))
    return {"event": event}


def _public_event(event: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if not k.startswith("_")}


@handler("getEvent")
def get_event(ctx: Context) -> Any:
    """Return one event."""
    event = ctx.require_bot().events.get(ctx.path["id"])
    if event is None:
        raise not_found("event", ctx.path["id"])
    return {"event": _public_event(event)}


@handler("listEvents")
def list_events(ctx: Context) -> Any:
    """List events, filtered by type, conversation, user, message, workflow and status."""
    q = ctx.query
    events = list(ctx.require_bot().events.values())
    fields = [(k, k) for k in ("type", "conversationId", "userId", "messageId", "status")]
    for key, field in [("workflowId", "_workflowId"), *fields]:
        if q.get(key):
            events = [e for e in events if e.get(field) == q[key]]
    page, meta = paginate(ctx, [_public_event(e) for e in events])
    return {"events": page, "meta": meta}


@handler("cancelScheduledEvent")
def cancel_scheduled_event(ctx: Context) -> Any:
    """Cancel an event that is still scheduled."""
    event = ctx.require_bot().events.get(ctx.path["id"])
    if event is None:
        raise not_found("event", ctx.path["id"])
    if event["status"] != "scheduled":
        raise invalid(f"event {event['id']!r} is not scheduled")
    event["status"] = "canceled"
    return {}
