"""`ChatSender`: how a chat request is built and sent, with or without a user key.

The generated `ChatOperations` call ``_request`` with the same arguments as the main
client's; here they go to the Chat API's base URL with ``x-user-key`` instead of a token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Mapping
from typing import Any, Final

from botpress_async._auth import check_header_value
from botpress_async._base_client import request_limits
from botpress_async._config import Redacted
from botpress_async._encoding import dumps, encode_path, encode_query
from botpress_async._errors import APIError, ConfigurationError
from botpress_async._retry import RetryPolicy
from botpress_async._session import Transport, _api_error
from botpress_async._types import NotGiven, RequestOptions, Timeout

__all__ = ["MAX_BODY_BYTES", "ChatSender", "is_auth_failure", "raise_for_error_body"]

# The Chat API refuses bodies over 1 MB; checked here so nothing that large is sent.
MAX_BODY_BYTES: Final = 1024 * 1024
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


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


class ChatSender:
    """Sends chat requests for one client, as one user (``key``) or as nobody.

    Args:
        transport: the client's transport (session, retries, size cap).
        base_url: the Chat API's URL for one webhook, without a trailing slash.
        headers: headers sent with every request (user agent and extra headers).
        timeout: the default time limits of a call.
        policy: the default retry policy.
        key: the user key sent as ``x-user-key``, if bound to a user.
    """

    __slots__ = ("_headers", "base_url", "policy", "timeout", "transport")

    def __init__(
        self,
        transport: Transport,
        base_url: str,
        headers: Mapping[str, str],
        timeout: Timeout,
        policy: RetryPolicy,
        key: str | None = None,
    ) -> None:
        self.transport = transport
        self.base_url = base_url
        self.timeout = timeout
        self.policy = policy
        self._headers = dict(headers)
        if key is not None:
            self._headers["x-user-key"] = Redacted(check_header_value("user key", key, secret=True))

    def __repr__(self) -> str:
        bound = "x-user-key" in self._headers
        return f"<ChatSender base_url={self.base_url!r} user_bound={bound}>"

    def with_key(self, key: str) -> ChatSender:
        """A sender of the same client bound to another user key."""
        headers = {k: v for k, v in self._headers.items() if k != "x-user-key"}
        return ChatSender(self.transport, self.base_url, headers, self.timeout, self.policy, key)

    def headers(self) -> dict[str, str]:
        """A copy of the headers every request of this sender carries (the key included)."""
        return dict(self._headers)

    def _request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, Any] | None = None,
        api: str = "chat",
        idempotent: bool | None = None,
        requires: tuple[str, ...] = (),
        options: RequestOptions | None = None,
    ) -> Coroutine[Any, Any, Any]:
        """Check and build one request (raising before anything is sent); return its sender."""
        send_headers = dict(self._headers)
        timeout, policy = self.timeout, self.policy
        extra_body: Mapping[str, Any] | None = None
        if options is not None:
            for name, value in (options.extra_headers or {}).items():
                lname = check_header_value("header name", name).lower()
                if value is None:
                    send_headers.pop(lname, None)
                else:
                    send_headers[lname] = check_header_value(f"header {name!r}", value)
            if options.extra_query:
                query = {**(query or {}), **options.extra_query}
            extra_body = options.extra_body
            timeout, policy = request_limits(options, timeout, policy, self.transport)
        for header in requires:
            if header not in send_headers:
                raise ConfigurationError(
                    f"{method} {path} needs a user key: call `await client.connect(...)` and "
                    "use the connected user it returns"
                )
        url_path = encode_path(path, path_params)
        qs = encode_query(query)
        body: bytes | None = None
        if method in _BODY_METHODS:
            payload = {} if json is None or isinstance(json, NotGiven) else dict(json)
            payload = {k: v for k, v in payload.items() if not isinstance(v, NotGiven)}
            if extra_body:
                payload.update(extra_body)
            try:
                body = dumps(payload)
            except (TypeError, ValueError) as exc:
                raise ConfigurationError(
                    f"the body of {method} {url_path} cannot be sent as JSON: {exc}"
                ) from None
            if len(body) > MAX_BODY_BYTES:
                raise ConfigurationError(
                    f"the body of {method} {url_path} is {len(body)} bytes, over the Chat API's "
                    f"limit of {MAX_BODY_BYTES} bytes (1 MB); send large content as a file URL"
                )
            send_headers["content-type"] = "application/json"
        url = self.base_url + url_path + ("?" + qs if qs else "")
        sending = self.transport.send(
            method,
            url,
            path=url_path,
            headers=send_headers,
            body=body,
            timeout=timeout,
            policy=policy,
            idempotent=method in _IDEMPOTENT if idempotent is None else idempotent,
        )
        return _answer(sending, method, url_path)


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
