"""`ClientSpec`: how to build a client in a worker, as a small picklable value with no secret.

A spec names where the token comes from (an environment variable, a file, a function) and
the client's options; the token is read in the worker, when the client is built. Workers keep
one client per process and event loop (`ClientSpec.worker_client`), so a thousand partitions
share one connection pool instead of opening a thousand.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import os
import re
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from botpress_async._config import Redacted, _check_url
from botpress_async._errors import ConfigurationError, TokenSourceError
from botpress_async._types import Timeout

from ._coordinator import CoordinatorFactory, attach_coordinator, budget_key

if TYPE_CHECKING:
    from botpress_async._client import AsyncClient
    from botpress_sync import Client

__all__ = ["ClientSpec", "close_worker_clients", "close_worker_sync_clients", "read_token"]

_C = TypeVar("_C")

_SOURCE: Final = re.compile(r"^(env|file|call):(.+)$")
_CALLABLE: Final = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_ENV_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What a pasted token looks like: a known prefix, or one long word with no source prefix.
_TOKEN_LIKE: Final = re.compile(r"^(bp_[a-z]+_)|^[A-Za-z0-9_\-.]{24,}$")

_FIELDS: Final = (
    "token_from",
    "token_kind",
    "bot_id",
    "workspace_id",
    "integration_id",
    "api_url",
    "timeout",
    "max_retries",
    "retry_budget",
    "initial_retry_delay",
    "max_retry_delay",
    "max_retry_after",
    "max_connections",
    "max_concurrency",
    "coordinator",
    "allow_insecure_http",
)


def _refuse_token(where: str) -> ConfigurationError:
    return ConfigurationError(
        f"ClientSpec does not take a token ({where}): a spec travels in task payloads and "
        "must hold no secret. Name where the worker reads it instead: "
        "token_from='env:BP_TOKEN' (an environment variable), 'file:/run/secrets/bp' (a file) "
        "or 'call:package.module:function' (a function returning the token)"
    )


def _check_source(source: object) -> str:
    if not isinstance(source, str):
        raise ConfigurationError(
            f"token_from must be a string such as 'env:BP_TOKEN', got {type(source).__name__}"
        )
    match = _SOURCE.match(source)
    if match is None:
        if _TOKEN_LIKE.match(source):
            raise _refuse_token(
                "token_from looks like a token, or a source without its 'env:', 'file:' or "
                "'call:' prefix"
            )
        raise ConfigurationError(
            f"token_from must start with 'env:', 'file:' or 'call:', got {source[:40]!r}"
        )
    kind, rest = match.groups()
    if kind == "env" and not _ENV_NAME.match(rest):
        raise ConfigurationError(f"token_from 'env:' needs a variable name, got {rest[:40]!r}")
    if kind == "call" and not _CALLABLE.match(rest):
        raise ConfigurationError(
            f"token_from 'call:' needs 'package.module:function', got {rest[:60]!r}"
        )
    return source


def _unreadable(exc: Exception) -> str:
    """Why a token file cannot be read, without its content."""
    if isinstance(exc, OSError):
        return exc.strerror or "cannot be opened"
    if isinstance(exc, UnicodeError):
        return "not UTF-8 text"
    return str(exc)  # the OS refused the name (a NUL)


def read_token(source: str) -> str:
    """Read the token a source names, in this process.

    Args:
        source: ``env:NAME``, ``file:PATH`` or ``call:module:function``.

    Raises:
        TokenSourceError: the source gives no token here (the message names the source).
    """
    kind, _, rest = source.partition(":")
    token: object
    if kind == "env":
        token = os.environ.get(rest)
        if not token:
            raise TokenSourceError(
                f"token source {source!r}: the environment variable {rest} is not set in this "
                "worker; set it in the worker's environment (not in the task)"
            )
    elif kind == "file":
        try:
            token = Path(rest).read_text(encoding="utf-8").strip()
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the path; UnicodeError
            raise TokenSourceError(
                f"token source {source!r}: the file cannot be read in this worker "
                f"({type(exc).__name__}: {_unreadable(exc)})"
            ) from None
        if not token:
            raise TokenSourceError(f"token source {source!r}: the file is empty")
    else:
        module_name, _, attr = rest.partition(":")
        try:
            target: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as exc:
            raise TokenSourceError(
                f"token source {source!r} cannot be imported in this worker: {exc}"
            ) from None
        try:
            token = target()
        except Exception as exc:
            raise TokenSourceError(
                f"token source {source!r} raised {type(exc).__name__} in this worker"
            ) from None
        if not isinstance(token, str) or not token:
            raise TokenSourceError(
                f"token source {source!r} returned {type(token).__name__}, not a non-empty string"
            )
    assert isinstance(token, str)
    return Redacted(token)


class ClientSpec:
    """What a worker needs to build a client, minus the token: picklable, comparable, hashable.

    ::

        spec = ClientSpec(bot_id="...", token_from="env:BP_TOKEN")
        bag.map_partitions(insert_rows_partition, spec, "OrdersTable")   # spec travels
        ... in the worker: client = spec.worker_client()                 # token read here

    Args:
        token_from: where the worker reads the token: ``"env:NAME"``, ``"file:PATH"`` or
            ``"call:package.module:function"``. A token itself is refused.
        token_kind: the token's kind, when its prefix does not say (see `AsyncClient`).
        bot_id: sent as ``x-bot-id``.
        workspace_id: sent as ``x-workspace-id``.
        integration_id: sent as ``x-integration-id``.
        api_url: the API's base URL; when left out the worker's ``BP_API_URL`` or the default.
        timeout: seconds per attempt, or a `Timeout`.
        max_retries: retries after a failed attempt, when retrying is safe.
        retry_budget: tokens of each client's retry budget (``None``: unlimited).
        initial_retry_delay: the first backoff between attempts, in seconds.
        max_retry_delay: the longest backoff between attempts, in seconds.
        max_retry_after: the longest ``Retry-After`` slept through.
        max_connections: each client's connection pool size.
        max_concurrency: requests in flight per partition job in one worker.
        coordinator: a shared request budget (`LocalCoordinator`, `RedisCoordinator`,
            `DaskCoordinator`); by default each job adapts on its own.
        allow_insecure_http: allow an ``http://`` URL to a host that is not loopback.
    """

    __slots__ = _FIELDS

    token_from: str
    token_kind: str | None
    bot_id: str | None
    workspace_id: str | None
    integration_id: str | None
    api_url: str | None
    timeout: Timeout | float | None
    max_retries: int
    retry_budget: float | None
    initial_retry_delay: float
    max_retry_delay: float
    max_retry_after: float
    max_connections: int
    max_concurrency: int
    coordinator: CoordinatorFactory | None
    allow_insecure_http: bool

    def __init__(
        self,
        *,
        token_from: str = "env:BP_TOKEN",  # noqa: S107 - a source's name, not a token
        token_kind: str | None = None,
        bot_id: str | None = None,
        workspace_id: str | None = None,
        integration_id: str | None = None,
        api_url: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int = 6,
        retry_budget: float | None = 500.0,
        initial_retry_delay: float = 0.5,
        max_retry_delay: float = 8.0,
        max_retry_after: float = 60.0,
        max_connections: int = 100,
        max_concurrency: int = 8,
        coordinator: CoordinatorFactory | None = None,
        allow_insecure_http: bool = False,
        **unknown: Any,
    ) -> None:
        if "token" in unknown:
            unknown.pop("token")
            raise _refuse_token("token= was given")
        if unknown:
            raise ConfigurationError(
                f"ClientSpec got unknown arguments {sorted(unknown)}; see its documentation"
            )
        _check_source(token_from)
        if api_url is not None:
            _check_url(api_url, allow_insecure_http=allow_insecure_http)
        if timeout is not None:
            # What the worker's client would refuse, refused here: a spec must also hash.
            Timeout.coerce(timeout)
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise ConfigurationError(f"max_concurrency must be an int, got {max_concurrency!r}")
        if max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be 1 or more, got {max_concurrency}")
        if coordinator is not None and not callable(getattr(coordinator, "bind", None)):
            raise ConfigurationError(
                "coordinator must be a LocalCoordinator, RedisCoordinator or DaskCoordinator "
                f"(anything with bind(key)), got {type(coordinator).__name__}"
            )
        values = locals()
        for name in _FIELDS:
            object.__setattr__(self, name, values[name])

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ClientSpec is frozen; make a new one instead of setting {name}")

    def __reduce__(self) -> Any:
        # Only the fields travel: a source name, ids and options, never a token.
        return (_rebuild_spec, (dict(zip(_FIELDS, self._values(), strict=True)),))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClientSpec):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("token_from", "bot_id", "workspace_id", "api_url")
            if getattr(self, name) is not None
        )
        return f"ClientSpec({shown})"

    # -- building clients -----------------------------------------------------------------

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments of `AsyncClient` this spec stands for, token read from its source.

        Raises:
            TokenSourceError: the token source gives nothing in this process.
        """
        options: dict[str, Any] = {
            "token": read_token(self.token_from),
            "token_kind": self.token_kind,
            "bot_id": self.bot_id,
            "workspace_id": self.workspace_id,
            "integration_id": self.integration_id,
            "api_url": self.api_url,
            "max_retries": self.max_retries,
            "retry_budget": self.retry_budget,
            "initial_retry_delay": self.initial_retry_delay,
            "max_retry_delay": self.max_retry_delay,
            "max_retry_after": self.max_retry_after,
            "max_connections": self.max_connections,
            "allow_insecure_http": self.allow_insecure_http,
        }
        if self.timeout is not None:
            options["timeout"] = self.timeout
        return options

    def _build(self, cls: type[_C]) -> _C:
        options = self.client_options()
        client = cls(**options)
        if self.coordinator is not None:
            attach_coordinator(client, self.coordinator.bind(budget_key(options["token"])))
        return client

    def client(self) -> AsyncClient:
        """A new `AsyncClient` for this spec, with the spec's coordinator; the caller closes it.

        Raises:
            TokenSourceError: the token source gives nothing in this process.
        """
        from botpress_async._client import AsyncClient

        return self._build(AsyncClient)

    def sync_client(self) -> Client:
        """A new blocking `botpress_sync.Client` for this spec; the caller closes it.

        Raises:
            TokenSourceError: the token source gives nothing in this process.
        """
        from botpress_sync import Client

        return self._build(Client)

    def worker_client(self) -> AsyncClient:
        """The `AsyncClient` of this spec for this process and running event loop, made once.

        Later calls in the same process and loop return the same client (one connection
        pool per worker). After a fork the child makes its own; at interpreter exit, clients
        on the SDK's own loop are closed; call `close_worker_clients` to close the others.
        Do not close it yourself.

        Raises:
            TokenSourceError: the token source gives nothing in this process.
        """
        loop = asyncio.get_running_loop()
        cache = _cache()
        key = (self, id(loop))
        with _lock:
            entry = cache.async_clients.get(key)
            if entry is not None and entry[0]() is loop and not entry[1].is_closed:
                return entry[1]
        client = self.client()
        with _lock:
            cache.async_clients[key] = (weakref.ref(loop), client)
        return client

    def worker_sync_client(self) -> Client:
        """The blocking `botpress_sync.Client` of this spec for this process, made once.

        Raises:
            TokenSourceError: the token source gives nothing in this process.
        """
        cache = _cache()
        with _lock:
            client = cache.sync_clients.get(self)
            if client is not None and not client.is_closed:
                return client
        client = self.sync_client()
        with _lock:
            cache.sync_clients[self] = client
        return client


def _rebuild_spec(fields: dict[str, Any]) -> ClientSpec:
    return ClientSpec(**fields)


class _Cache:
    """The worker clients of one process."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.async_clients: dict[
            tuple[ClientSpec, int], tuple[weakref.ref[asyncio.AbstractEventLoop], AsyncClient]
        ] = {}
        self.sync_clients: dict[ClientSpec, Client] = {}


_lock = threading.Lock()
_current = _Cache()


def _cache() -> _Cache:
    global _current
    if _current.pid != os.getpid():  # a fork the at-fork hook did not see
        _forget_after_fork()
    return _current


def _forget_after_fork() -> None:
    global _current, _lock
    old, _current = _current, _Cache()
    _lock = threading.Lock()
    if old.async_clients or old.sync_clients:
        from botpress_sync import _loop

        # The parent's pools are the parent's: never closed or finalized from the child.
        _loop.keep_forever(old)


async def close_worker_clients() -> None:
    """Close this process's worker clients that run on the current event loop.

    Use it at the end of a worker's life when its loop is your own (an ``asyncio.run`` in a
    task, a Ray async actor); the SDK's own loop is cleaned up at exit by itself.
    """
    loop = asyncio.get_running_loop()
    cache = _cache()
    with _lock:
        mine = [
            (key, client) for key, (ref, client) in cache.async_clients.items() if ref() is loop
        ]
        for key, _ in mine:
            del cache.async_clients[key]
    for _, client in mine:
        await _close_async(client)


async def _close_async(client: AsyncClient) -> None:
    coordinator = client._transport.coordinator
    await client.aclose()
    if coordinator is not None:
        await coordinator.aclose()


def close_worker_sync_clients() -> None:
    """Close this process's blocking worker clients and the worker clients of the SDK's loop."""
    from botpress_sync import _loop

    cache = _cache()
    with _lock:
        sync_clients = list(cache.sync_clients.values())
        cache.sync_clients.clear()
        on_private = [
            client
            for (_, (ref, client)) in list(cache.async_clients.items())
            if ref() is not None and _is_private(ref())
        ]
        cache.async_clients.clear()
    for sync_client in sync_clients:
        core = sync_client._core
        coordinator = core._transport.coordinator if core is not None else None
        sync_client.close()
        if coordinator is not None and _loop.started():
            with contextlib.suppress(Exception):
                _loop.run(coordinator.aclose())
    if on_private and _loop.started():
        for client in on_private:
            with contextlib.suppress(Exception):
                _loop.run(_close_async(client))


def _is_private(loop: asyncio.AbstractEventLoop | None) -> bool:
    from botpress_sync import _loop

    state = getattr(_loop, "_current", None)
    return loop is not None and state is not None and getattr(state, "loop", None) is loop


def _at_exit() -> None:
    if _current.pid != os.getpid():
        return
    with contextlib.suppress(Exception):
        close_worker_sync_clients()


def _install_hooks() -> None:
    # Imported first so that its exit handler is registered before ours and so runs after it:
    # ours closes the worker clients while the SDK's loop still runs.
    from botpress_sync import _loop  # noqa: F401

    os.register_at_fork(after_in_child=_forget_after_fork)
    atexit.register(_at_exit)


_install_hooks()
