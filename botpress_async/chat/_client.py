"""`AsyncChatClient`: the Chat API's configuration, connection pool and ways to connect."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import aiohttp

from botpress_async._auth import check_header_value
from botpress_async._base_client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, USER_AGENT
from botpress_async._config import Redacted, _is_loopback
from botpress_async._converter import structure
from botpress_async._encoding import encode_path_param
from botpress_async._errors import ArgumentTypeError, ConfigurationError, ResponseDecodeError
from botpress_async._lifecycle import TransportOwner
from botpress_async._retry import RetryBudget, RetryPolicy
from botpress_async._session import Transport
from botpress_async._types import NOT_GIVEN, NotGivenOr, Timeout

from ._listener import DEFAULT_KEEPALIVE
from ._sender import ChatSender
from ._signing import _nonempty_text, check_chat_id, sign_user_key
from ._user import AsyncChatUser

if TYPE_CHECKING:
    from typing_extensions import Self

    from botpress_async._client import AsyncClient
    from botpress_async.models.chat import CreateUserResponse

__all__ = ["DEFAULT_CHAT_URL", "AsyncChatClient"]

DEFAULT_CHAT_URL: Final = "https://chat.botpress.cloud"
ENV_WEBHOOK_ID: Final = "BP_CHAT_WEBHOOK_ID"
ENV_URL: Final = "BP_CHAT_URL"


def _check_base(url: str, *, allow_insecure_http: bool) -> str:
    check_header_value("url", url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsed on read: a port that is not a number, or too large
    except ValueError as exc:  # unbalanced brackets, a bad port
        raise ConfigurationError(f"the chat url {url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            f"the chat url must be an absolute http(s) URL such as {DEFAULT_CHAT_URL!r}, "
            f"got {url!r}"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigurationError("the chat url must have no credentials, query or fragment")
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"the chat url {url!r} is plain http to a non-loopback host, which would send user "
            "keys unencrypted; use https, or pass allow_insecure_http=True if you mean it"
        )
    return url.rstrip("/")


class AsyncChatClient(TransportOwner):
    """Asynchronous client of the Chat API, the way programs talk to a bot as a user.

    The Chat API lives at ``{url}/{webhook_id}``, where ``webhook_id`` is the webhook id of
    the bot's Chat integration (`for_bot` finds it). `connect` returns a user-bound
    `AsyncChatUser` whose methods send that user's key. Use it as ``async with
    AsyncChatClient(...) as chat:`` or close it with `aclose`.

    Args:
        webhook_id: the Chat integration's webhook id (default: ``BP_CHAT_WEBHOOK_ID``).
        url: the Chat API's base URL (default: ``BP_CHAT_URL``, else
            ``https://chat.botpress.cloud``); the webhook id is appended to it.
        timeout: seconds per attempt, or a `Timeout` with connect, read and total limits.
        max_retries: retries after a failed attempt, when repeating is safe (creating a
            message or an event never is, once the request may have arrived).
        headers: extra headers sent with every request.
        keepalive: the server's ping interval in seconds; listeners call a stream dead after
            twice as long without a byte.
        max_connections: the size of the connection pool.
        allow_insecure_http: allow an ``http://`` URL to a host that is not loopback.
        session: an ``aiohttp.ClientSession`` to borrow; the client will not close it.
    """

    def __init__(
        self,
        webhook_id: str | None = None,
        *,
        url: str | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        headers: Mapping[str, str] | None = None,
        keepalive: float = DEFAULT_KEEPALIVE,
        max_connections: int = 100,
        allow_insecure_http: bool = False,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        webhook_id = webhook_id if webhook_id is not None else os.environ.get(ENV_WEBHOOK_ID)
        if not webhook_id:
            raise ConfigurationError(
                f"no webhook id: pass webhook_id= or set {ENV_WEBHOOK_ID} (the webhook id of "
                "the bot's Chat integration; AsyncChatClient.for_bot(admin_client, bot_id) "
                "finds it)"
            )
        check_header_value("webhook_id", webhook_id)
        for name, number, kinds in (
            ("keepalive", keepalive, (int, float)),
            ("max_connections", max_connections, (int,)),
        ):
            if isinstance(number, bool) or not isinstance(number, kinds):
                raise ArgumentTypeError(
                    f"{name} must be a number, not {type(number).__name__}", argument=name
                )
        if not keepalive > 0:  # also refuses NaN
            raise ConfigurationError(f"keepalive must be positive, got {keepalive!r}")
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be 1 or more, got {max_connections}")
        base = _check_base(
            url if url is not None else os.environ.get(ENV_URL) or DEFAULT_CHAT_URL,
            allow_insecure_http=allow_insecure_http,
        )
        self.webhook_id = webhook_id
        self.base_url = base + "/" + encode_path_param("webhook_id", webhook_id)
        self.keepalive = float(keepalive)
        parts = urlsplit(base)
        try:
            policy = RetryPolicy(max_retries=max_retries)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(str(exc)) from None
        self._transport = Transport(
            origin=(parts.scheme, (parts.hostname or "").lower(), parts.port),
            policy=policy,
            budget=RetryBudget(500.0),
            max_connections=max_connections,
            max_response_size=100 * 1024 * 1024,
            session=session,
        )
        base_headers = {"user-agent": USER_AGENT}
        given: object = headers
        if given is not None and not isinstance(given, Mapping):
            raise ArgumentTypeError(
                f"headers must be a mapping of header name to value, not {type(given).__name__}",
                argument="headers",
            )
        for name, value in (headers or {}).items():
            lname = check_header_value("header name", name).lower()
            if lname == "x-user-key":
                raise ConfigurationError("pass the user key to connect(user_key=...), not headers")
            base_headers[lname] = check_header_value(f"header {name!r}", value)
        self._sender = ChatSender(
            self._transport, self.base_url, base_headers, Timeout.coerce(timeout), policy
        )

    def __repr__(self) -> str:
        if "_sender" not in self.__dict__:
            return "<AsyncChatClient (not constructed)>"
        state = " closed" if self._transport.closed else ""
        return f"<AsyncChatClient{state} base_url={self.base_url!r}>"

    def __reduce__(self) -> Any:
        from botpress_async._errors import ClientPicklingError

        raise ClientPicklingError(
            "AsyncChatClient holds a connection pool and a user key and cannot be pickled; "
            "make a chat client in each process (keys come from the environment or a secret store)"
        )

    # -- finding the API and connecting -------------------------------------------------------

    @classmethod
    async def for_bot(cls, admin_client: AsyncClient, bot_id: str, **kwargs: Any) -> Self:
        """A chat client for a bot's Chat integration, its webhook id read with the admin API.

        Args:
            admin_client: a client with a Personal Access Token and the bot's workspace id.
            bot_id: the bot, which must have the Chat integration installed.
            **kwargs: the other arguments of `AsyncChatClient` (``url=``, ``timeout=``...).
        """
        data = await admin_client.call("getBot", {"id": bot_id})
        integrations = (data.get("bot") or {}).get("integrations") or {}
        for instance in integrations.values() if isinstance(integrations, Mapping) else ():
            if isinstance(instance, Mapping) and instance.get("name") == "chat":
                webhook_id = instance.get("webhookId")
                if isinstance(webhook_id, str) and webhook_id:
                    return cls(webhook_id, **kwargs)
        raise ConfigurationError(
            f"bot {bot_id!r} has no Chat integration installed (no integration named 'chat' "
            "with a webhook id); install it on the bot first"
        )

    async def create_user(
        self,
        *,
        id: NotGivenOr[str] = NOT_GIVEN,
        name: NotGivenOr[str] = NOT_GIVEN,
        picture_url: NotGivenOr[str] = NOT_GIVEN,
        profile: NotGivenOr[str] = NOT_GIVEN,
    ) -> CreateUserResponse:
        """POST /users (``createUser``): a new user and the key Botpress signed for it.

        Refused by a Chat integration that has an encryption key (sign keys yourself then).

        Args:
            id: the user's id (1 to 70 letters, digits, ``_``, ``-``, ``/`` or backslashes);
                Botpress picks one if left out.
            name: the user's display name.
            picture_url: the URL of the user's picture.
            profile: free text about the user (at most 1000 characters).
        """
        from ._operations import ChatOperations

        if not isinstance(id, type(NOT_GIVEN)):
            check_chat_id("user id", id)
        return await ChatOperations(self._sender).create_user(
            id=id, name=name, picture_url=picture_url, profile=profile
        )

    def user(self, user_key: str, user: Any) -> AsyncChatUser:
        """A user-bound client for a key already known, without asking the API (no check).

        Args:
            user_key: the user's ``x-user-key``.
            user: the user record (``GetOrCreateUserResponseUser`` or its JSON).
        """
        from botpress_async.models.chat import GetOrCreateUserResponseUser

        if isinstance(user, Mapping):
            user = structure(dict(user), GetOrCreateUserResponseUser)
        elif not isinstance(getattr(user, "id", None), str):
            raise ArgumentTypeError(
                f"user must be the user's record (from create_user or connect) or its JSON, "
                f"not {type(user).__name__}",
                argument="user",
            )
        return AsyncChatUser(self._sender.with_key(user_key), user, keepalive=self.keepalive)

    async def connect(
        self,
        *,
        user_key: str | None = None,
        encryption_key: str | None = None,
        user_id: str | None = None,
        name: NotGivenOr[str] = NOT_GIVEN,
        picture_url: NotGivenOr[str] = NOT_GIVEN,
        profile: NotGivenOr[str] = NOT_GIVEN,
    ) -> AsyncChatUser:
        """Connect as a user and return the user-bound client.

        Three ways: with a ``user_key`` (from an earlier `create_user` or signed elsewhere);
        with the integration's ``encryption_key`` and a ``user_id`` of your choice (the key is
        signed here); or with neither, which creates a new user (``user_id`` optional).

        Args:
            user_key: a key the API issued or that was signed with the encryption key.
            encryption_key: the Chat integration's encryption key, to sign the user's key.
            user_id: the user's id: required with ``encryption_key``, optional otherwise.
            name: the user's display name, set when the user is created.
            picture_url: the URL of the user's picture, set when the user is created.
            profile: free text about the user, set when the user is created.
        """
        secret = Redacted(user_key) if user_key is not None else None
        del user_key
        if secret is not None and encryption_key is not None:
            raise ConfigurationError("pass user_key= or encryption_key=, not both")
        if encryption_key is not None:
            if user_id is None:
                raise ConfigurationError(
                    "user_id is required with encryption_key: pick any id for the user "
                    "(1 to 70 of letters, digits, '_', '-', '\\' and '/')"
                )
            secret = Redacted(sign_user_key(user_id, encryption_key))
        if secret is None:
            created = await self.create_user(
                id=user_id if user_id is not None else NOT_GIVEN,
                name=name,
                picture_url=picture_url,
                profile=profile,
            )
            if not _nonempty_text(created.key):
                raise ResponseDecodeError("createUser answered without a user key")
            secret = Redacted(created.key)
        bound = self._sender.with_key(secret)
        from ._operations import ChatOperations

        answer = await ChatOperations(bound).get_or_create_user(
            name=name, picture_url=picture_url, profile=profile
        )
        return AsyncChatUser(bound, answer.user, keepalive=self.keepalive)
