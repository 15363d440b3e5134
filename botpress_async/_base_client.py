"""`BaseClient`: configuration, transport, lifecycle and request building, below every API."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

import aiohttp

from ._auth import TokenKind, api_of_path, check_scope
from ._config import ENV, HEADER_TO_ARG, ClientConfig, Redacted, resolve_config
from ._errors import ArgumentTypeError, ConfigurationError
from ._lifecycle import TransportOwner
from ._request_builder import RequestBuilder
from ._retry import RetryBudget, RetryPolicy
from ._session import Transport
from ._types import NOT_GIVEN, NotGivenOr, RequestOptions, Timeout
from ._version import __version__

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "BaseClient",
    "ResourceCache",
]

R = TypeVar("R")

DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_TIMEOUT: Final = Timeout(connect=10.0, read=60.0, total=None)
DEFAULT_MAX_CONNECTIONS: Final = 100
DEFAULT_MAX_RESPONSE_SIZE: Final = 100 * 1024 * 1024
USER_AGENT: Final = (
    f"botpress-sdk-python/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]} "
    f"aiohttp/{aiohttp.__version__}"
)
_NEEDS_BOT: Final = frozenset({"runtime", "files", "tables"})


class ResourceCache:
    """Builds each API object of a client once, on first use (async and blocking clients)."""

    _resources: dict[Callable[..., Any], Any]

    def _attach(self, api: Callable[[Self], R]) -> R:
        """The one object of the API class ``api`` bound to this client, built on first use."""
        resource = self._resources.get(api)
        if resource is None:
            resource = self._resources[api] = api(self)
        return resource


class BaseClient(RequestBuilder, TransportOwner, ResourceCache):
    """What every request needs: configuration, the transport, and `request`/`call`.

    `AsyncClient` subclasses it and adds the APIs. Resources and helpers are typed against
    this class, so no module below `AsyncClient` has to import the concrete client.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        token_kind: TokenKind | str | None = None,
        bot_id: str | None = None,
        workspace_id: str | None = None,
        integration_id: str | None = None,
        integration_alias: str | None = None,
        api_url: str | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        headers: Mapping[str, str] | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        retry_budget: float | None = 500.0,
        max_retry_after: float = 60.0,
        initial_retry_delay: float = 0.5,
        max_retry_delay: float = 8.0,
        allow_insecure_http: bool = False,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if token is not None and not isinstance(token, str):
            # Never quoted: a wrongly typed token may still be a secret (bytes, say).
            raise ConfigurationError(
                f"token must be a string, not {type(token).__name__}; pass the token text "
                "(bp_pat_..., bp_bak_... or an integration key) or set BP_TOKEN"
            )
        # Rebind at once: a traceback that renders this frame's locals must not show the token.
        token = Redacted(token) if token is not None else None
        for name, number in (
            ("max_connections", max_connections),
            ("max_response_size", max_response_size),
        ):
            # Compared below: a str or None would raise a bare TypeError there.
            if isinstance(number, bool) or not isinstance(number, int):
                raise ArgumentTypeError(
                    f"{name} must be an int, not {type(number).__name__}", argument=name
                )
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be 1 or more, got {max_connections}")
        if max_response_size < 1:
            raise ConfigurationError(f"max_response_size must be positive, got {max_response_size}")
        self._config = resolve_config(
            token=token,
            token_kind=token_kind,
            bot_id=bot_id,
            workspace_id=workspace_id,
            integration_id=integration_id,
            integration_alias=integration_alias,
            api_url=api_url,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            allow_insecure_http=allow_insecure_http,
        )
        del token
        self._policy = RetryPolicy(
            max_retries=max_retries,
            initial_delay=initial_retry_delay,
            max_delay=max_retry_delay,
            max_retry_after=max_retry_after,
        )
        self._transport = Transport(
            origin=self._config.origin(),
            policy=self._policy,
            budget=RetryBudget(retry_budget),
            max_connections=max_connections,
            max_response_size=max_response_size,
            session=session,
        )
        self._base_headers = self._build_base_headers(self._config)
        self._api_url = self._config.api_url
        self._timeout = self._config.timeout
        self._finish = None  # the transport's decoded answer is the call's
        # File transfers to the API's own origin identify themselves as API calls do.
        self._transport.identity = self._base_headers
        self._resources: dict[Callable[..., Any], Any] = {}
        #: The APIs this client's token was found to reach: the check depends only on the
        #: client's configuration, which does not change, so each API is checked once.
        self._reachable: set[str | None] = set()
        #: Header names and values this client already found valid (see `_merge_headers`).
        self._valid_headers: set[str] = set()

    @property
    def transport(self) -> Transport:
        """The client's transport, for transfers outside the API's request path.

        Its ``stream`` makes one plain request on the client's connection pool; its
        ``policy`` and ``budget`` are the client's retry policy and shared retry budget. File
        uploads and downloads use it; it belongs to the client's event loop.
        """
        return self._transport

    @staticmethod
    def _build_base_headers(config: ClientConfig) -> dict[str, str]:
        headers = {"user-agent": USER_AGENT}
        headers.update(config.context)
        headers.update(config.headers)
        if config.token is not None:
            headers["authorization"] = Redacted("Bearer " + config.token)
        return headers

    # -- configuration, read-only ----------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The API's base URL."""
        return self._config.api_url

    @property
    def token_kind(self) -> TokenKind:
        """The kind of the client's token, detected from its prefix or given."""
        return self._config.token_kind

    @property
    def bot_id(self) -> str | None:
        """The bot id sent as ``x-bot-id``, if any."""
        return self._config.context.get("x-bot-id")

    @property
    def workspace_id(self) -> str | None:
        """The workspace id sent as ``x-workspace-id``, if any."""
        return self._config.context.get("x-workspace-id")

    @property
    def integration_id(self) -> str | None:
        """The integration id sent as ``x-integration-id``, if any."""
        return self._config.context.get("x-integration-id")

    @property
    def timeout(self) -> Timeout:
        """The default time limits of a call."""
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        """The default number of retries of a call."""
        return self._config.max_retries

    @property
    def retry_budget(self) -> RetryBudget:
        """The retry budget shared by every call of this client."""
        return self._transport.budget

    def __repr__(self) -> str:
        if "_transport" not in self.__dict__:
            # A client whose constructor raised, as a traceback may show it.
            return "<AsyncClient (not constructed)>"
        ids = "".join(
            f", {HEADER_TO_ARG[h]}={v!r}"
            for h, v in self._config.context.items()
            if h in HEADER_TO_ARG
        )
        state = " closed" if self.is_closed else ""
        return (
            f"<AsyncClient{state} api_url={self._config.api_url!r} "
            f"token_kind={self._config.token_kind.value!r}{ids}>"
        )

    def __reduce__(self) -> Any:
        from ._errors import ClientPicklingError

        raise ClientPicklingError(
            "AsyncClient holds a connection pool and a secret token and cannot be pickled; "
            "send a botpress_async.distributed.ClientSpec (it holds no token) and call "
            "spec.worker_client() in the worker, or create a client in each process"
        )

    # -- requests ---------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> Any:
        """Send one API request and return its decoded JSON body.

        The request goes through the whole machinery: token and context headers, encoding,
        retries, timeouts and error mapping. Use it for what the typed methods lack.

        Args:
            method: the HTTP method (``"GET"``, ``"POST"``...).
            path: the path after the API URL, already encoded, e.g. ``"/v1/chat/users"``.
            query: query parameters; lists repeat the key, dicts use dotted keys.
            json: the JSON body; POST, PUT, PATCH and DELETE send ``{}`` when it is ``None``.
            headers: extra headers for this request; a ``None`` value removes a header.
        """
        if method.__class__ is not str or path.__class__ is not str:  # one test when right
            for name, given in (("method", method), ("path", path)):
                if not isinstance(given, str):
                    raise ArgumentTypeError(
                        f"{name} must be a str, not {type(given).__name__}", argument=name
                    )
        _check_raw_path(path)
        method = method.upper()
        api = api_of_path(path)
        requires: tuple[str, ...] = ("x-bot-id",) if api in _NEEDS_BOT else ()
        idempotent = None
        if method == "POST" or (api in ("admin", "billing") and not self.workspace_id):
            # Only then does the route matter: a POST may be a documented idempotent one
            # (getOrCreate...), and admin routes differ in whether they need a workspace.
            from ._call import route_of

            spec = route_of(method, path)
            if spec is not None:
                requires = spec.requires
                idempotent = spec.idempotent
        return await self._request(
            method,
            path,
            query=query,
            json=NOT_GIVEN if json is None else json,
            headers=headers,
            api=api,
            requires=requires,
            idempotent=idempotent,
            raw_path=True,
        )

    async def call(
        self,
        operation_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: NotGivenOr[Timeout | float | None] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call any operation by its official operationId and return the decoded JSON.

        Args:
            operation_id: the operation's id in the API documents, e.g. ``"getUser"``.
            params: the official input object: path, query, header and body fields together,
                in camelCase, as the TypeScript client takes them.
            timeout: overrides the client's timeout for this call.
            max_retries: overrides the client's retry count for this call.
            extra_headers: headers to add (or, with ``None``, remove).
            extra_query: query parameters the documents do not know yet.
            extra_body: body fields the documents do not know yet.
        """
        from ._call import prepare_call

        spec, parts = prepare_call(operation_id, params)
        options = RequestOptions(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return await self._request(
            spec.method,
            spec.path,
            path_params=parts["path"] or None,
            query=parts["query"] or None,
            headers=parts["header"] or None,
            json=parts["body"] if spec.has_body else NOT_GIVEN,
            api=spec.api,
            idempotent=spec.idempotent,
            requires=spec.requires,
            options=options,
        )

    def _check_reach(self, api: str | None, requires: tuple[str, ...] = ()) -> None:
        """Raise what every request to ``api`` would raise before sending: scope, no token,
        a missing context header the client itself lacks (no bot id)."""
        config = self._config
        check_scope(api, config.token_kind)
        if config.token is None:
            raise ConfigurationError(
                "no token (a Personal Access Token, Bot Access Key or Integration Access Key)",
                fix=f"pass token= to the client or set {ENV['token']}",
                argument="token",
                env_var=ENV["token"],
            )
        for header in requires:
            if header not in self._base_headers:
                raise _missing_context(header, "a request to", f"the {api} API")

    def _missing_header(self, header: str, method: str, path: str) -> ConfigurationError:
        return _missing_context(header, method, path)


_DOT_SEGMENTS: Final = frozenset({".", "..", "%2e", "%2e%2e", ".%2e", "%2e."})


def _check_raw_path(path: str) -> None:
    """Refuse raw paths that could reach another route than the one they name."""
    if not path.startswith("/"):
        raise ConfigurationError(f"path must start with '/', got {path!r}")
    if "?" in path or "#" in path:
        raise ConfigurationError(
            f"path {path!r} carries a query or fragment; pass query parameters as query="
        )
    # Dot segments would move the request to another API than the prefix (and the scope
    # check) says; percent-encoded dots are resolved by some servers too.
    if ("." in path or "%" in path) and any(
        segment.lower() in _DOT_SEGMENTS for segment in path.split("/")
    ):
        raise ConfigurationError(f"path {path!r} has a '.' or '..' segment; spell the route out")


def _missing_context(header: str, method: str, path: str) -> ConfigurationError:
    arg = HEADER_TO_ARG.get(header)
    if arg is None:
        return ConfigurationError(
            f"{method} {path} needs the {header} header",
            fix="pass it as an argument",
            header=header,
        )
    env = ENV.get(arg)
    hint = f" or set {env}" if env else ""
    return ConfigurationError(
        f"{method} {path} needs a {arg.replace('_', ' ')} (sent as {header})",
        fix=f"pass {arg}= to the client{hint}, or extra_headers={{'{header}': ...}} for this call",
        argument=arg,
        env_var=env,
        header=header,
    )
