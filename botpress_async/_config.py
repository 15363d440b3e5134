"""Client settings: arguments merged over environment variables, checked once."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import attrs

from ._auth import TokenKind, check_header_value, detect_token_kind
from ._errors import ArgumentTypeError, ConfigurationError
from ._types import Timeout

__all__ = ["DEFAULT_API_URL", "ENV", "ClientConfig", "Redacted", "resolve_config"]

DEFAULT_API_URL: Final = "https://api.botpress.cloud"

#: Client argument → the environment variable it falls back to.
ENV: Final = {
    "token": "BP_TOKEN",
    "bot_id": "BP_BOT_ID",
    "workspace_id": "BP_WORKSPACE_ID",
    "integration_id": "BP_INTEGRATION_ID",
    "api_url": "BP_API_URL",
}

#: Client argument → the context header it is sent as.
CONTEXT_HEADERS: Final = {
    "bot_id": "x-bot-id",
    "workspace_id": "x-workspace-id",
    "integration_id": "x-integration-id",
    "integration_alias": "x-integration-alias",
}
HEADER_TO_ARG: Final = {header: arg for arg, header in CONTEXT_HEADERS.items()}


class Redacted(str):
    """A string whose ``repr`` hides it, for secrets that must still be sent as-is.

    Debuggers, ``repr()`` of containers and tracebacks that render locals show
    ``'<redacted>'``; the value itself is unchanged for the code that sends it.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"

    def __reduce__(self) -> Any:
        from ._errors import ClientPicklingError

        raise ClientPicklingError(
            "a secret token is not picklable; pass it again in the other process"
        )


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_url(url: str, *, allow_insecure_http: bool) -> str:
    check_header_value("api_url", url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsed on read: a port that is not a number, or too large
    except ValueError as exc:  # unbalanced brackets, a bad port
        raise ConfigurationError(
            f"api_url {url!r} is not a valid URL ({exc})",
            argument="api_url",
            env_var=ENV["api_url"],
        ) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            f"api_url must be an absolute http(s) URL such as {DEFAULT_API_URL!r}, got {url!r}",
            argument="api_url",
            env_var=ENV["api_url"],
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            "api_url must not carry credentials",
            fix="pass token= instead",
            argument="api_url",
            env_var=ENV["api_url"],
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"api_url must not have a query or fragment, got {url!r}",
            argument="api_url",
            env_var=ENV["api_url"],
        )
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"api_url {url!r} is plain http to a non-loopback host, which would send the token "
            "unencrypted; use https",
            fix="or pass allow_insecure_http=True if you really mean it",
            argument="api_url",
            env_var=ENV["api_url"],
        )
    return url.rstrip("/")


def _from_env(arg: str) -> str | None:
    # A function of its own, so no frame that can fail holds os.environ (and BP_TOKEN in it)
    # among the locals a traceback may render.
    return os.environ.get(ENV[arg]) or None


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Resolved, validated settings of a client; the token is never in its ``repr``."""

    token: Redacted | None = attrs.field(repr=False)
    token_kind: TokenKind
    api_url: str
    context: Mapping[str, str]  # header name → value, for the context headers that are set
    headers: Mapping[str, str]  # extra headers sent with every request
    timeout: Timeout
    max_retries: int

    def origin(self) -> tuple[str, str, int | None]:
        """Scheme, host and port of the API, the only place the token is sent."""
        parts = urlsplit(self.api_url)
        return parts.scheme, (parts.hostname or "").lower(), parts.port


def resolve_config(
    *,
    token: str | None,
    token_kind: TokenKind | str | None,
    bot_id: str | None,
    workspace_id: str | None,
    integration_id: str | None,
    integration_alias: str | None,
    api_url: str | None,
    timeout: Timeout | float | None,
    max_retries: int,
    headers: Mapping[str, str] | None,
    allow_insecure_http: bool,
) -> ClientConfig:
    """Merge explicit arguments over ``BP_*`` environment variables and validate the result."""
    # Wrap at once so a traceback rendering this frame's locals never shows the token.
    raw_token = token if token is not None else _from_env("token")
    secret = Redacted(raw_token) if raw_token is not None else None
    del raw_token, token
    if secret is not None:
        if not secret:
            raise ConfigurationError(
                "token is empty",
                fix="pass token= or set BP_TOKEN",
                argument="token",
                env_var=ENV["token"],
            )
        check_header_value("token", secret, secret=True)
        kind = detect_token_kind(secret, token_kind)
    else:
        kind = detect_token_kind("", token_kind)

    explicit = {
        "bot_id": bot_id,
        "workspace_id": workspace_id,
        "integration_id": integration_id,
        "integration_alias": integration_alias,
    }
    context: dict[str, str] = {}
    for arg, value in explicit.items():
        if value is None and arg in ENV:
            value = _from_env(arg)
        if value is None:
            continue
        if not value:
            raise ConfigurationError(
                f"{arg} is empty; leave it out or pass a real id",
                argument=arg,
                env_var=ENV.get(arg),
                header=CONTEXT_HEADERS[arg],
            )
        context[CONTEXT_HEADERS[arg]] = check_header_value(arg, value)

    url = api_url if api_url is not None else _from_env("api_url") or DEFAULT_API_URL
    url = _check_url(url, allow_insecure_http=allow_insecure_http)

    extra: dict[str, str] = {}
    given: object = headers
    if given is not None and not isinstance(given, Mapping):
        raise ArgumentTypeError(
            f"headers must be a mapping of header name to value, not {type(given).__name__}",
            argument="headers",
        )
    for name, value in (headers or {}).items():
        check_header_value(f"header name {name!r}", name)
        lname = name.lower()
        if lname == "authorization":
            raise ConfigurationError(
                "the token is not an Authorization header",
                fix="pass it as token=",
                argument="headers",
                header="authorization",
            )
        extra[lname] = check_header_value(f"header {name!r}", value)

    return ClientConfig(
        token=secret,
        token_kind=kind,
        api_url=url,
        context=context,
        headers=extra,
        timeout=Timeout.coerce(timeout),
        max_retries=max_retries,
    )
