"""What an integration and a bot server share: reading Botpress's requests, calling handlers,
answering in Botpress's error shape, and serving through aiohttp, ASGI or ``run``.

Botpress sends each operation as a ``POST`` with ``x-bp-*`` headers and a JSON body. The
classes in ``botpress_async.integration`` and ``botpress_async.bot`` only say which headers are
required and how each operation is dispatched; everything else lives here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar

import anyio.to_thread
from aiohttp import web

from ._config import ENV, Redacted
from ._encoding import dumps, loads
from ._errors import APIError, ConfigurationError, InvalidPayloadError

if TYPE_CHECKING:
    import aiohttp

    from ._client import AsyncClient

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "Answer",
    "BadRequest",
    "BaseContext",
    "Service",
    "call_handler",
    "decode_configuration",
    "error_answer",
]

DEFAULT_MAX_BODY_SIZE: Final = 8 * 1024 * 1024
#: Tracing headers copied from Botpress's request onto every API call made while handling it.
TRACE_HEADERS: Final = ("traceparent", "tracestate")
_JSON_HEADERS: Final = {"content-type": "application/json"}
_GENERIC_FAILURE: Final = (
    "the handler failed unexpectedly; its owner can find the details in the server's log "
    "(raise botpress_async.RuntimeFailureError to answer with a message of your own)"
)

F = TypeVar("F", bound=Callable[..., Any])
Answer = tuple[int, Mapping[str, str], bytes]
"""What a server answers: status, headers and body."""


class BadRequest(Exception):
    """A request Botpress should not have sent; answered with a 400 naming what is wrong."""

    def __init__(self, message: str, *, status: int = 400, type_: str = "InvalidPayload") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type_


def error_answer(status: int, type_: str, message: str) -> Answer:
    """An answer with Botpress's error body ``{id, code, type, message}``."""
    body = {"id": "err_" + secrets.token_hex(10), "code": status, "type": type_, "message": message}
    return status, _JSON_HEADERS, dumps(body)


def json_answer(value: Any, status: int = 200) -> Answer:
    """A 200 answer carrying ``value`` as JSON (``None``: an empty body)."""
    if value is None:
        return status, {}, b""
    return status, _JSON_HEADERS, dumps(value)


def check_name(what: str, value: Any) -> None:
    """Refuse a handler key that is not a non-empty string."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"the {what} must be a non-empty string, got {value!r}")


def header(headers: Mapping[str, str], name: str) -> str:
    """The value of a required header, or a `BadRequest` naming it."""
    value = headers.get(name)
    if not value:
        raise BadRequest(f"the {name} header is missing; Botpress sends it with every operation")
    return value


def decode_configuration(raw: str | None, into: type[Any] | None) -> Any:
    """Decode the base64 JSON of ``x-bp-configuration``, optionally into an attrs class.

    Args:
        raw: the header's value; missing or empty means an empty configuration.
        into: an attrs class to build from the decoded object, or ``None`` for the plain dict.
    """
    data: Any = {}
    if raw:
        try:
            data = loads(base64.b64decode(raw.encode("ascii"), validate=True))
        except (ValueError, UnicodeError, binascii.Error):
            # The value itself may hold the bot owner's secrets: never quote it.
            raise BadRequest("the x-bp-configuration header is not base64-encoded JSON") from None
    if into is None:
        return data
    import cattrs

    try:
        return cattrs.structure(data, into)
    except Exception as exc:  # cattrs raises several types; all mean the same to the sender
        # Paths and expected types only: the values may be secrets.
        details = (
            "; ".join(cattrs.transform_error(exc))
            if isinstance(exc, cattrs.BaseValidationError)
            else type(exc).__name__
        )
        raise BadRequest(f"the configuration does not fit {into.__name__}: {details}") from None


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request body (an empty body is an empty object)."""
    if not raw.strip():
        return {}
    try:
        data = loads(raw)
    except (ValueError, UnicodeError):
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest(f"the request body must be a JSON object, not {type(data).__name__}")
    return data


def field(body: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    """A body field of the expected JSON type, or a `BadRequest` naming it."""
    value = body.get(name)
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise BadRequest(f"the body's {name!r} field must be a {names}")
    return value


async def call_handler(func: Callable[..., Any], *args: Any) -> Any:
    """Call a handler: awaited when it is async, in a worker thread when it is a plain function."""
    if inspect.iscoroutinefunction(func):
        return await func(*args)
    result = await anyio.to_thread.run_sync(functools.partial(func, *args))
    if inspect.isawaitable(result):
        return await result
    return result


class Service:
    """The server machinery of `Integration` and `Bot`: one connection pool, one error policy.

    Subclasses implement `dispatch`, which turns the checked headers and body of one request
    into an answer.

    Args:
        configuration: an attrs class to decode the configuration into, or ``None``.
        expected_bot_id: answer 403 to requests for any other bot.
        token: the key of the handlers' API calls; ``BP_TOKEN`` when left out.
        api_url: the API's base URL; ``BP_API_URL`` or the public API when left out.
        max_body_size: the largest request body accepted, in bytes.
        logger: where failures go; ``botpress.<kind>`` by default.
    """

    _kind: str = "service"
    _key_name: str = "its own key"
    _token_kind: str | None = None
    #: The attributes that hold the subclass's handlers, each an empty dict per instance.
    _handler_tables: ClassVar[tuple[str, ...]] = ()
    #: The action handlers by name (a table every subclass has).
    _actions: dict[str, Callable[..., Any]]

    def __init__(
        self,
        *,
        configuration: type[Any] | None = None,
        expected_bot_id: str | None = None,
        token: str | None = None,
        api_url: str | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        logger: logging.Logger | None = None,
    ) -> None:
        if max_body_size < 1:
            raise ConfigurationError(f"max_body_size must be positive, got {max_body_size}")
        self.token: str | None = Redacted(token) if token is not None else None
        del token
        self.api_url = api_url
        self.max_body_size = max_body_size
        self.logger = logger if logger is not None else logging.getLogger("botpress." + self._kind)
        self.configuration_class = configuration
        self.expected_bot_id = expected_bot_id
        self._session: aiohttp.ClientSession | None = None
        #: Under ASGI, the one path that takes operations (``None``: any path).
        self.asgi_path: str | None = None
        for table in self._handler_tables:
            setattr(self, table, {})

    async def _answer_action(self, ctx: Any, data: Mapping[str, Any]) -> Answer:
        """Run the handler of an ``action_triggered`` operation and answer its output.

        Args:
            ctx: the handler's context.
            data: the operation's body (the action's name is its ``type``).
        """
        name = field(data, "type", str)
        func = self._actions.get(name)
        if func is None:
            raise BadRequest(
                f"unknown action {name!r}; this {self._kind} has {sorted(self._actions)}"
            )
        output = await call_handler(func, ctx, data.get("input", {}))
        answer = {"output": output, **self._action_meta(ctx)}
        encoded = self.encode_result(answer, f"action {name!r}")
        return 200, {"content-type": "application/json"}, encoded

    def _action_meta(self, ctx: Any) -> dict[str, Any]:
        """What an action's answer carries beside its output, read after the handler ran."""
        return {}

    @staticmethod
    def _add(table: dict[Any, Callable[..., Any]], key: Any, what: str) -> Callable[[F], F]:
        """A decorator that puts a handler in ``table`` under ``key``, once."""

        def register(func: F) -> F:
            if not callable(func):
                raise ConfigurationError(f"the {what} handler must be a function")
            if key in table:
                raise ConfigurationError(f"a {what} handler is already registered")
            table[key] = func
            return func

        return register

    # -- configuration ------------------------------------------------------------------------

    def bind(self, *, token: str | None = None, api_url: str | None = None) -> None:
        """Set the key and API URL the handlers' clients use (instead of the environment).

        Args:
            token: the Integration Access Key or Bot Access Key; ``BP_TOKEN`` otherwise.
            api_url: the API's base URL; ``BP_API_URL`` or the public API otherwise.
        """
        if token is not None:
            self.token = Redacted(token)
        if api_url is not None:
            self.api_url = api_url

    def _token(self) -> str:
        # Read at request time, not import time, so a key set after import is honoured.
        token = self.token if self.token is not None else os.environ.get(ENV["token"])
        if not token:
            raise ConfigurationError(
                f"no key for the {self._kind}'s API calls: set {ENV['token']} or call bind(token=)"
            )
        if token.startswith("bp_pat_"):
            raise ConfigurationError(
                f"the {self._kind} was given a Personal Access Token; give it its own key "
                f"({self._key_name}), which reaches only what it needs"
            )
        return Redacted(token)

    def check_token(self) -> None:
        """Raise `ConfigurationError` now when no usable key is configured."""
        self._token()

    def make_client(
        self, *, token_kind: str | None, context: Mapping[str, str], headers: Mapping[str, str]
    ) -> AsyncClient:
        """A client for one request that borrows the service's shared connection pool."""
        from ._client import AsyncClient

        return AsyncClient(
            self._token(),
            token_kind=token_kind,
            api_url=self.api_url,
            headers=headers,
            session=self._pool(),
            bot_id=context.get("bot_id"),
            integration_id=context.get("integration_id"),
            integration_alias=context.get("integration_alias"),
        )

    def _pool(self) -> aiohttp.ClientSession:
        import aiohttp

        from ._session import ReadCappedConnector

        session = self._session
        if session is None or session.closed:
            session = aiohttp.ClientSession(
                # The SDK's own connector, so that calls made here read as a client's do.
                connector=ReadCappedConnector(limit=100, keepalive_timeout=30.0),
                timeout=aiohttp.ClientTimeout(total=None),
            )
            self._session = session
        return session

    async def aclose(self) -> None:
        """Close the shared connection pool; the servers below call it when they stop."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    # -- one request --------------------------------------------------------------------------

    async def dispatch(self, headers: Mapping[str, str], body: bytes) -> Answer:
        """Answer one operation; subclasses decide what the operations are."""
        raise NotImplementedError

    async def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Answer:
        """Answer one HTTP request: ``GET /health``, or an operation as a ``POST``.

        Args:
            method: the HTTP method.
            path: the request path (any path takes operations, so the URL can be unguessable).
            headers: the request headers, looked up in lower case.
            body: the raw request body.
        """
        if method == "GET" and path.rstrip("/").endswith("/health"):
            return 200, {}, b""
        if method != "POST":
            return error_answer(
                405, "MethodNotFound", f"Botpress sends operations as POST, not {method}"
            )
        try:
            return await self.dispatch(headers, body)
        except BadRequest as exc:
            return error_answer(exc.status, exc.type, exc.message)
        except _NotJSON:
            return error_answer(500, "Runtime", "the handler returned a value that is not JSON")
        except (InvalidPayloadError, APIError) as exc:
            # A handler's own error (or an API call of it that failed): the message is meant for
            # the bot's owner, so it is passed on; every other API error counts as a runtime one.
            type_ = "InvalidPayload" if isinstance(exc, InvalidPayloadError) else "Runtime"
            return error_answer(400, type_, exc.message)
        except Exception:
            self.logger.exception("a %s handler failed", self._kind)
            return error_answer(500, "Runtime", _GENERIC_FAILURE)

    def encode_result(self, value: Any, what: str) -> bytes:
        """``value`` as JSON; anything else is logged and answered with a 500."""
        try:
            return dumps(value)
        except (TypeError, ValueError) as exc:
            self.logger.error("the %s returned a value that is not JSON: %s", what, exc)
            raise _NotJSON from None

    # -- serving ------------------------------------------------------------------------------

    def aiohttp_app(
        self, *, app: web.Application | None = None, path: str = "/"
    ) -> web.Application:
        """An ``aiohttp.web.Application`` answering Botpress, or routes added to ``app``.

        Args:
            app: an existing application to add the routes to (mounting in a running service).
            path: where the operations are received; make it long and unguessable in production,
                since Botpress signs nothing.
        """
        target = app if app is not None else web.Application(client_max_size=self.max_body_size + 1)
        base = "/" + path.strip("/")
        base = "" if base == "/" else base

        async def receive(request: web.Request) -> web.StreamResponse:
            raw = await self._read(request)
            if isinstance(raw, tuple):
                status, hdrs, body = raw
            else:
                status, hdrs, body = await self.handle(
                    request.method, request.path, request.headers, raw
                )
            return web.Response(status=status, body=body, headers=hdrs)

        async def health(request: web.Request) -> web.StreamResponse:
            return web.Response(status=200)

        target.router.add_get(base + "/health", health)
        target.router.add_post(base or "/", receive)

        async def close_pool(_: web.Application) -> None:
            await self.aclose()

        target.on_cleanup.append(close_pool)
        return target

    async def _read(self, request: web.Request) -> bytes | Answer:
        limit = self.max_body_size
        length = request.content_length
        if length is not None:
            if length > limit:
                return _too_large(length, limit)
            # A declared length within the limit: aiohttp reads no more than it.
            return await request.read()
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                return _too_large(size, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        """Serve as an ASGI application (uvicorn, hypercorn...), lifespan events included.

        Operations are taken at any path (``/health`` answers 200); set `asgi_path` to take
        them at one unguessable path only.
        """
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        size = 0
        answer: Answer | None = None
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_size and answer is None:
                answer = _too_large(size, self.max_body_size)
            elif answer is None:
                chunks.append(chunk)
            more = bool(message.get("more_body"))
        path = scope["path"]
        base = None if self.asgi_path is None else self.asgi_path.rstrip("/")
        if answer is None and base is not None and path.rstrip("/") not in (base, base + "/health"):
            answer = error_answer(404, "ResourceNotFound", "nothing is served at this path")
        if answer is None:
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1")
                for k, v in scope.get("headers", ())
            }
            answer = await self.handle(scope["method"], path, headers, b"".join(chunks))
        status, hdrs, body = answer
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in hdrs.items()],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def run(self, host: str = "127.0.0.1", port: int = 8080, *, path: str = "/") -> None:
        """Serve until interrupted (blocking), with aiohttp.

        Args:
            host: the address to listen on; ``"0.0.0.0"`` to be reachable from other machines.
            port: the port to listen on.
            path: where the operations are received (see `aiohttp_app`).
        """
        self.check_token()
        web.run_app(self.aiohttp_app(path=path), host=host, port=port, print=None)


class _NotJSON(Exception):
    """A handler returned a value that cannot be sent as JSON (already logged)."""


def _too_large(size: int, limit: int) -> Answer:
    return error_answer(
        400,
        "InvalidPayload",
        f"the request body is {size} bytes or more, over the server's max_body_size of {limit}",
    )


class BaseContext:
    """What every handler gets: who is calling, the configuration, a logger and a client."""

    __slots__ = (
        "_client",
        "_client_context",
        "_logger",
        "_service",
        "_trace",
        "bot_id",
        "configuration",
        "operation",
    )

    def __init__(
        self,
        service: Service,
        *,
        operation: str,
        bot_id: str,
        configuration: Any,
        headers: Mapping[str, str],
        client_context: Mapping[str, str],
    ) -> None:
        self._service = service
        self._client: AsyncClient | None = None
        self._client_context = client_context
        self._trace = {name: headers[name] for name in TRACE_HEADERS if name in headers}
        #: The operation Botpress asked for (``x-bp-operation``).
        self.operation = operation
        #: The bot the request is for (``x-bot-id``).
        self.bot_id = bot_id
        #: The decoded configuration (``x-bp-configuration``): a dict, or the class you gave.
        self.configuration = configuration
        self._logger: logging.LoggerAdapter[logging.Logger] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} operation={self.operation!r} bot_id={self.bot_id!r}>"

    @property
    def logger(self) -> logging.LoggerAdapter[logging.Logger]:
        """A logger that adds the bot id (and the traceparent, when sent) to each record."""
        if self._logger is None:
            extra = {"bot_id": self.bot_id, "traceparent": self._trace.get("traceparent")}
            self._logger = logging.LoggerAdapter(self._service.logger, extra)
        return self._logger

    @property
    def trace_headers(self) -> dict[str, str]:
        """The ``traceparent`` / ``tracestate`` Botpress sent, forwarded by `client`."""
        return dict(self._trace)

    @property
    def client(self) -> AsyncClient:
        """An `AsyncClient` for this request, on the server's shared connection pool.

        It sends the ids of the request and its tracing headers; made on first use.
        """
        if self._client is None:
            self._client = self._service.make_client(
                token_kind=self._service._token_kind,
                context=self._client_context,
                headers=self._trace,
            )
        return self._client
