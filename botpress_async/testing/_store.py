"""The emulator's in-memory state, the request context handlers see, and the handler registry.

Paging lives in ``_pages``, which reads this module's types; this module imports nothing back.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ._schema import iso_now
from ._spec import Operation

__all__ = [
    "HANDLERS",
    "ApiError",
    "BotData",
    "Context",
    "Store",
    "Token",
    "handler",
]

_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LETTERS_AND_DIGITS: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class ApiError(Exception):
    """An error answer in the API's shape; ``type`` is one of errors.json's types."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message


def not_found(kind: str, key: object) -> ApiError:
    """The 404 the API sends for a missing resource."""
    return ApiError(404, "ResourceNotFound", f"{kind} {key!r} does not exist")


def invalid(message: str) -> ApiError:
    """The 400 the API sends for a request it cannot accept."""
    return ApiError(400, "InvalidPayload", message)


@dataclass
class Token:
    """One API token. ``owner`` is an account id (PAT), a bot id (BAK) or an integration id."""

    value: str = field(repr=False)
    kind: str
    id: str
    owner: str
    note: str
    created_at: str


@dataclass
class BotData:
    """One bot: its admin record and everything the runtime, files and tables APIs keep for it."""

    record: dict[str, Any]
    workspace_id: str
    integrations: set[str] = field(default_factory=set)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    participants: dict[str, list[str]] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (type, id, name) -> (state, wall-clock expiry in seconds or None)
    states: dict[tuple[str, str, str], tuple[dict[str, Any], float | None]] = field(
        default_factory=dict
    )
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)
    # key -> file id: an upsert finds the file it replaces without scanning every file.
    file_ids: dict[str, str] = field(default_factory=dict)
    knowledge_bases: dict[str, dict[str, Any]] = field(default_factory=dict)
    tag_values: dict[str, set[str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The bot's id."""
        bot_id: str = self.record["id"]
        return bot_id


class Store:
    """Everything the emulator knows, seeded so that ids and tokens repeat from run to run."""

    def __init__(self, seed: int = 0) -> None:
        # Seeded on purpose: emulator tokens guard nothing and must repeat from run to run.
        self._rng = random.Random(f"store:{seed}")  # noqa: S311 - reproducible test data
        self.accounts: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, Token] = {}
        self.workspaces: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, dict[str, Any]]] = {}
        self.bots: dict[str, BotData] = {}
        self.integrations: dict[str, dict[str, Any]] = {}
        self.preferences: dict[tuple[str, str], Any] = {}
        self.uploads: dict[str, tuple[str, str]] = {}  # upload key -> (bot id, file id)
        self.downloads: dict[str, tuple[str, str]] = {}
        # Named tables of the later handler modules (hub, versions, usage, billing, activity).
        self.extra: dict[str, dict[str, Any]] = {}
        # Set by the emulator: what delivers operations to registered URLs (_delivery.Outbound).
        self.outbound: Any = None
        # Called with (bot, message) for each message the runtime creates (the chat front).
        self.message_observers: list[Callable[[BotData, dict[str, Any]], None]] = []

    def new_id(self, prefix: str) -> str:
        """A fresh id like the API's: a prefix and 26 Crockford base32 characters."""
        # One ``choices`` call, not a ``choice`` per character: a quarter cheaper, still seeded.
        return prefix + "_" + "".join(self._rng.choices(_ALPHABET, k=26))

    def new_uuid(self) -> str:
        """A fresh version-4 UUID (accounts are identified by UUIDs)."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def secret(self, length: int = 40) -> str:
        """Random letters and digits (token bodies, signing secrets, upload keys)."""
        return "".join(self._rng.choices(_LETTERS_AND_DIGITS, k=length))

    def mint(self, kind: str, owner: str, note: str = "") -> Token:
        """Create a token of ``kind`` (``pat``, ``bak`` or ``iak``) for ``owner``."""
        prefix = {"pat": "bp_pat_", "bak": "bp_bak_", "iak": "iak_"}[kind]
        token = Token(
            value=prefix + self.secret(),
            kind=kind,
            id=self.new_id(kind),
            owner=owner,
            note=note,
            created_at=iso_now(),
        )
        self.tokens[token.value] = token
        return token

    def revoke(self, kind: str, token_id: str) -> bool:
        """Delete the token of ``kind`` with id ``token_id``; false when there is none."""
        for value, token in list(self.tokens.items()):
            if token.kind == kind and token.id == token_id:
                del self.tokens[value]
                return True
        return False

    def tokens_of(self, kind: str, owner: str | None = None) -> list[Token]:
        """Tokens of one kind, optionally of one owner."""
        return [
            t
            for t in self.tokens.values()
            if t.kind == kind and (owner is None or t.owner == owner)
        ]

    def account_workspaces(self, account_id: str) -> list[str]:
        """Ids of the workspaces the account is a member of."""
        return [
            ws_id
            for ws_id, members in self.members.items()
            if any(m.get("userId") == account_id for m in members.values())
        ]

    def add_account(self, email: str) -> dict[str, Any]:
        """Create an account (the person a PAT belongs to)."""
        account: dict[str, Any] = {
            "id": self.new_uuid(),
            "email": email,
            "displayName": email.split("@", 1)[0],
            "emailVerified": True,
            "createdAt": iso_now(),
        }
        self.accounts[account["id"]] = account
        return account

    def add_workspace(self, name: str, owner: dict[str, Any]) -> dict[str, Any]:
        """Create a workspace owned (and joined) by ``owner``."""
        now = iso_now()
        ws = {
            "id": self.new_id("wkspace"),
            "name": name,
            "ownerId": owner["id"],
            "createdAt": now,
            "updatedAt": now,
            "botCount": 0,
            "billingVersion": "v4",
            "plan": "community",
            "blocked": False,
            "spendingLimit": 100,
            "activeTrialId": None,
        }
        self.workspaces[ws["id"]] = ws
        self.members[ws["id"]] = {}
        self.add_member(ws["id"], owner, "owner")
        return ws

    def add_member(self, ws_id: str, account: dict[str, Any], role: str) -> dict[str, Any]:
        """Make ``account`` a member of the workspace."""
        member = {
            "id": self.new_id("wkmember"),
            "userId": account["id"],
            "email": account["email"],
            "createdAt": iso_now(),
            "role": role,
        }
        self.members[ws_id][member["id"]] = member
        return member

    def add_bot(self, ws_id: str, name: str, fields: Mapping[str, Any] | None = None) -> BotData:
        """Create a bot in a workspace."""
        now = iso_now()
        record: dict[str, Any] = {
            "id": self.new_id("bot"),
            "createdAt": now,
            "updatedAt": now,
            "name": name,
            "signingSecret": self.secret(32),
            "integrations": {},
            "plugins": {},
            "tags": {},
            "dev": False,
            "alwaysAlive": False,
            "status": "active",
            "secrets": [],
            "medias": [],
        }
        record.update(fields or {})
        bot = BotData(record=record, workspace_id=ws_id)
        self.bots[record["id"]] = bot
        self.workspaces[ws_id]["botCount"] += 1
        return bot

    def add_integration(self, ws_id: str, name: str, version: str = "0.1.0") -> dict[str, Any]:
        """Create an integration owned by a workspace."""
        now = iso_now()
        integration: dict[str, Any] = {
            "id": self.new_id("intver"),
            "workspaceId": ws_id,
            "createdAt": now,
            "updatedAt": now,
            "name": name,
            "version": version,
            "title": name,
            "description": "",
            "url": "",
            "iconUrl": "",
            "readmeUrl": "",
            "signingSecret": self.secret(32),
            "dev": False,
            "public": False,
            "visibility": "private",
            "verificationStatus": "unapproved",
            "lifecycleStatus": "published",
            "secrets": [],
        }
        self.integrations[integration["id"]] = integration
        return integration

    def install(self, bot: BotData, integration: dict[str, Any]) -> None:
        """Install an integration in a bot, so its IAK reaches the bot."""
        bot.integrations.add(integration["id"])
        bot.record["integrations"][integration["id"]] = {
            "id": integration["id"],
            "name": integration["name"],
            "version": integration["version"],
            "enabled": True,
            "configuration": {},
            "status": "registered",
        }


@dataclass
class Context:
    """What a handler gets: the operation, the decoded request and who is calling."""

    store: Store
    op: Operation
    path: dict[str, str]
    query: dict[str, Any]
    headers: Mapping[str, str]
    body: Any
    token: Token
    bot: BotData | None
    workspace_id: str | None
    base_url: str
    page_size: int
    now: float = field(default_factory=time.time)

    @property
    def account_id(self) -> str | None:
        """The account behind a PAT; ``None`` for bot and integration keys."""
        return self.token.owner if self.token.kind == "pat" else None

    def require_bot(self) -> BotData:
        """The bot named by ``x-bot-id`` (runtime, files and tables always have one)."""
        if self.bot is None:
            raise invalid("the x-bot-id header is required")
        return self.bot

    def require_workspace(self) -> str:
        """The workspace named by ``x-workspace-id``."""
        if self.workspace_id is None:
            raise invalid("the x-workspace-id header is required")
        return self.workspace_id


Handler = Callable[[Context], Any]
HANDLERS: dict[str, Handler] = {}


def handler(*operation_ids: str) -> Callable[[Handler], Handler]:
    """Register a function as the stateful handler of one or more operations."""

    def register(func: Handler) -> Handler:
        for operation_id in operation_ids:
            HANDLERS[operation_id] = func
        return func

    return register


def tags_match(tags: Mapping[str, Any], wanted: Mapping[str, Any] | None) -> bool:
    """Whether ``tags`` carry every key and value of ``wanted`` (the list filters' rule)."""
    if not wanted:
        return True
    return all(tags.get(key) == value for key, value in wanted.items())
