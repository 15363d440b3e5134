"""`ChatSender`: how a chat request is built and sent, with or without a user key.

The generated `ChatOperations` call ``_request`` with the same arguments as the main
client's; here they go to the Chat API's base URL with ``x-user-key`` instead of a token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Final

from botpress_async._auth import check_header_value
from botpress_async._config import Redacted
from botpress_async._encoding import dumps
from botpress_async._errors import APIError, ConfigurationError
from botpress_async._request_builder import RequestBuilder
from botpress_async._retry import RetryPolicy
from botpress_async._session import Transport, _api_error
from botpress_async._types import Timeout

__all__ = ["MAX_BODY_BYTES", "ChatSender", "is_auth_failure", "raise_for_error_body"]

# The Chat API refuses bodies over 1 MB; checked here so nothing that large is sent.
MAX_BODY_BYTES: Final = 1024 * 1024


def raise_for_error_body(data: Any, method: str, path: str) -> Any:
    """Return ``data``, unless it is an error body (``code`` 400-599) sent with a 2xx status.

    Args:
        data: the decoded success body.
        method: the request's method, for the error.
        path: the request's path, for the error.
    """
    if isinstance(data, dict):
        code = data.get("code")
        if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
            raise _api_error(code, dumps(data), {}, method, path)
    return data


class ChatSender(RequestBuilder):
    """Sends chat requests for one client, as one user (``key``) or as nobody.

    Requests are built and checked by `RequestBuilder`, as the main client's are; what
    differs is the base URL (one webhook's), the user key in place of a token, the Chat API's
    1 MB body limit, and answers whose body says they failed although the status is 2xx.

    Args:
        transport: the client's transport (session, retries, size cap).
        base_url: the Chat API's URL for one webhook, without a trailing slash.
        headers: headers sent with every request (user agent and extra headers).
        timeout: the default time limits of a call.
        policy: the default retry policy.
        key: the user key sent as ``x-user-key``, if bound to a user.
    """

    __slots__ = (
        "_api_url",
        "_base_headers",
        "_finish",
        "_policy",
        "_reachable",
        "_timeout",
        "_transport",
        "_valid_headers",
    )

    _body_limit = MAX_BODY_BYTES

    def __init__(
        self,
        transport: Transport,
        base_url: str,
        headers: Mapping[str, str],
        timeout: Timeout,
        policy: RetryPolicy,
        key: str | None = None,
    ) -> None:
        self._transport = transport
        self._api_url = base_url
        self._timeout = timeout
        self._policy = policy
        self._base_headers = dict(headers)
        if key is not None:
            secret = Redacted(check_header_value("user key", key, secret=True))
            self._base_headers["x-user-key"] = secret
        self._valid_headers: set[str] = set()
        # The Chat API needs no token or scope: nothing to check before reaching it.
        self._reachable: set[str | None] = {"chat"}
        # Errors the Chat API sends with a 2xx status are raised; see `_answer`.
        self._finish = _answer

    @property
    def transport(self) -> Transport:
        """The client's transport (session, retries, size cap)."""
        return self._transport

    @property
    def base_url(self) -> str:
        """The Chat API's URL for one webhook, without a trailing slash."""
        return self._api_url

    @property
    def timeout(self) -> Timeout:
        """The default time limits of a call."""
        return self._timeout

    @property
    def policy(self) -> RetryPolicy:
        """The default retry policy."""
        return self._policy

    def __repr__(self) -> str:
        bound = "x-user-key" in self._base_headers
        return f"<ChatSender base_url={self.base_url!r} user_bound={bound}>"

    def with_key(self, key: str) -> ChatSender:
        """A sender of the same client bound to another user key."""
        headers = {k: v for k, v in self._base_headers.items() if k != "x-user-key"}
        return ChatSender(self._transport, self._api_url, headers, self._timeout, self._policy, key)

    def headers(self) -> dict[str, str]:
        """A copy of the headers every request of this sender carries (the key included)."""
        return dict(self._base_headers)

    def _missing_header(self, header: str, method: str, path: str) -> ConfigurationError:
        return ConfigurationError(
            f"{method} {path} needs a user key: call `await client.connect(...)` and "
            "use the connected user it returns",
            header=header,
        )

    def _too_large(self, size: int, method: str, path: str) -> ConfigurationError:
        return ConfigurationError(
            f"the body of {method} {path} is {size} bytes, over the Chat API's "
            f"limit of {MAX_BODY_BYTES} bytes (1 MB); send large content as a file URL"
        )


async def _answer(sending: Awaitable[Any], method: str, path: str) -> Any:
    """The decoded answer of a chat request, with an error sent as a 2xx body raised."""
    data = raise_for_error_body(await sending, method, path)
    if path == "/users" and isinstance(data, dict) and isinstance(data.get("key"), str):
        # createUser's answer carries the new user's key: keep it out of every repr.
        data["key"] = Redacted(data["key"])
    return data


def is_auth_failure(error: BaseException) -> bool:
    """Whether ``error`` says the key is refused or the user may not do this (401 or 403)."""
    return isinstance(error, APIError) and error.status in (401, 403)
