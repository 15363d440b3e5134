"""`ChatClient`: the blocking Chat API client, which makes `ChatUser` objects.

It sits above the generated ``_user.py`` (and the base that module builds on), so it can
import `ChatUser` at the top.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botpress_async._lifecycle import SyncContext
from botpress_async._types import NOT_GIVEN, NotGivenOr
from botpress_async.chat import AsyncChatClient
from botpress_sync import _loop

from ._user import ChatUser

if TYPE_CHECKING:
    from botpress_async.models.chat import CreateUserResponse
    from botpress_sync import Client

__all__ = ["ChatClient"]


class ChatClient(SyncContext):
    """Blocking client of the Chat API: `botpress_async.chat.AsyncChatClient` for plain code.

    Takes the arguments of `AsyncChatClient` (except ``session``). Use it as ``with
    ChatClient(...) as chat:`` or close it with `close`.

    Args:
        webhook_id: the Chat integration's webhook id (default: ``BP_CHAT_WEBHOOK_ID``).
        **kwargs: the other arguments of `AsyncChatClient` (``url=``, ``timeout=``...).
    """

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

    @classmethod
    def for_bot(cls, admin_client: Client, bot_id: str, **kwargs: Any) -> ChatClient:
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

    def create_user(
        self,
        *,
        id: NotGivenOr[str] = NOT_GIVEN,
        name: NotGivenOr[str] = NOT_GIVEN,
        picture_url: NotGivenOr[str] = NOT_GIVEN,
        profile: NotGivenOr[str] = NOT_GIVEN,
    ) -> CreateUserResponse:
        """POST /users (``createUser``): a new user and the key Botpress signed for it.

        Args:
            id: the user's id; Botpress picks one if left out.
            name: the user's display name.
            picture_url: the URL of the user's picture.
            profile: free text about the user.
        """
        return _loop.run(
            self._async.create_user(id=id, name=name, picture_url=picture_url, profile=profile)
        )

    def connect(
        self,
        *,
        user_key: str | None = None,
        encryption_key: str | None = None,
        user_id: str | None = None,
        name: NotGivenOr[str] = NOT_GIVEN,
        picture_url: NotGivenOr[str] = NOT_GIVEN,
        profile: NotGivenOr[str] = NOT_GIVEN,
    ) -> ChatUser:
        """Connect as a user (key, encryption key and id, or a new user); see the async twin.

        Args:
            user_key: a key the API issued or that was signed with the encryption key.
            encryption_key: the Chat integration's encryption key, to sign the user's key.
            user_id: the user's id: required with ``encryption_key``, optional otherwise.
            name: the user's display name, set when the user is created.
            picture_url: the URL of the user's picture, set when the user is created.
            profile: free text about the user, set when the user is created.
        """
        user = _loop.run(
            self._async.connect(
                user_key=user_key,
                encryption_key=encryption_key,
                user_id=user_id,
                name=name,
                picture_url=picture_url,
                profile=profile,
            )
        )
        return ChatUser(user)

    def user(self, user_key: str, user: Mapping[str, Any] | Any) -> ChatUser:
        """A user-bound client for a key already known, without asking the API.

        Args:
            user_key: the user's ``x-user-key``.
            user: the user record or its JSON.
        """
        return ChatUser(self._async.user(user_key, user))

    def close(self) -> None:
        """Close the connection pool; idempotent."""
        if self._closed:
            return
        self._closed = True
        if _loop.started():
            _loop.run(self._async.aclose())
