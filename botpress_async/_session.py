"""The transport: one aiohttp session per client, one attempt at a time, retries around it.

Every aiohttp and JSON exception is turned into an SDK exception here and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Final

import aiohttp
from yarl import URL

from ._encoding import loads
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    BotpressError,
    ClientStateError,
    ResponseTooLargeError,
    error_class_for,
)
from ._retry import RetryBudget, RetryPolicy, retry_after_of, run_attempts
from ._throttle import RateCoordinator
from ._types import Timeout

__all__ = ["ClientStateError", "Transport", "logger", "read_capped"]

logger: Final = logging.getLogger("botpress")
# A library must not print through logging's last-resort handler when the application set
# up no logging: records go nowhere until the application adds a handler of its own.
logger.addHandler(logging.NullHandler())

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS: Final = 5
# Only these survive a redirect to another origin: nothing that identifies or authorizes.
_CROSS_ORIGIN_SAFE: Final = frozenset({"user-agent", "accept", "content-type"})


def _keepalive_socket(addr_info: Any) -> socket.socket:
    family, type_, proto, _, _ = addr_info
    sock = socket.socket(family=family, type=type_, proto=proto)
    # Probes keep long calls alive through NAT and detect dead peers in about two minutes.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4)):
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)
    return sock


#: Most bytes one read of a plain-HTTP connection asks for (asyncio's default is 256 KiB):
#: 1 KiB under glibc's 128 KiB threshold for serving a block from a mapping of its own, so
#: that the bytes object's header and the allocator's bookkeeping still fit below it.
READ_SIZE: Final = 127 * 1024


class ReadCappedConnector(aiohttp.TCPConnector):
    """aiohttp's connector, with the reads of plain-HTTP connections capped at `READ_SIZE`.

    asyncio's socket transport receives every read into a fresh bytes object of its full
    read size. A 256 KiB block is served by the C allocator from the top of the heap or a
    mapping of its own, and handed back to the system when freed: on loopback each response
    cost two page faults and about a tenth of the client's CPU (from a thread other than
    the main one, a mapping, a remap and an unmap each). Just under 128 KiB stays below the
    allocator's thresholds and still takes a page of a thousand table rows (about 125 KB) in
    one read: at 64 KiB such a page took two reads and two loop iterations, and walking rows
    cost about 230 more instructions per row. TLS connections read into one reused buffer and
    are left as they are; so is any transport without the attribute.
    """

    async def _wrap_create_connection(
        self, *args: Any, **kwargs: Any
    ) -> tuple[asyncio.Transport, Any]:
        transport, protocol = await super()._wrap_create_connection(*args, **kwargs)
        size = getattr(transport, "max_size", None)
        if isinstance(size, int) and size > READ_SIZE:
            transport.max_size = READ_SIZE  # type: ignore[attr-defined]
        return transport, protocol


class Transport:
    """Sends requests for one client: its session, pool, retry budget and size cap.

    Args:
        origin: scheme, host and port of the API (the token is sent nowhere else).
        policy: the default retry policy.
        budget: the retry budget shared by every request of the client.
        max_connections: the connection pool's size.
        max_response_size: the largest response body accepted, in bytes.
        session: an aiohttp session to borrow instead of owning one.
    """

    def __init__(
        self,
        *,
        origin: tuple[str, str, int | None],
        policy: RetryPolicy,
        budget: RetryBudget,
        max_connections: int,
        max_response_size: int,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.origin = origin
        self.policy = policy
        self.budget = budget
        self.max_connections = max_connections
        self.max_response_size = max_response_size
        self._session = session
        self._owns_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}
        self._overrides: dict[tuple[int, int], tuple[RetryPolicy, RetryPolicy]] = {}
        #: A request budget shared with other clients (see botpress_async.distributed), if any.
        self.coordinator: RateCoordinator | None = None
        #: The headers that identify the client (token included) to its own origin; the
        #: client sets them, and `origin_headers` hands them out for that origin alone.
        self.identity: Mapping[str, str] = {}

    @property
    def closed(self) -> bool:
        """Whether `aclose` was called."""
        return self._closed

    @property
    def has_open_session(self) -> bool:
        """Whether an owned session exists and is not closed yet."""
        return self._owns_session and self._session is not None and not self._session.closed

    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, made on first use inside the running loop."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._closed:
                raise ClientStateError("the client is closed; create a new one")
            if self._loop is not None:
                raise ClientStateError(
                    "this client was started on another event loop; create one client per "
                    "event loop (or use botpress_sync.Client from blocking code)"
                )
            self._loop = loop
        if self._session is None:
            if self._closed:
                raise ClientStateError("the client is closed; create a new one")
            try:
                connector = ReadCappedConnector(
                    limit=self.max_connections,
                    keepalive_timeout=30.0,
                    socket_factory=_keepalive_socket,
                )
            except TypeError:  # pragma: no cover - aiohttp without socket_factory
                connector = ReadCappedConnector(limit=self.max_connections, keepalive_timeout=30.0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                # Per-attempt limits are passed with each request; no session-wide cap.
                timeout=aiohttp.ClientTimeout(total=None),
                auto_decompress=True,
                raise_for_status=False,
            )
        elif self._closed:
            raise ClientStateError("the client is closed; create a new one")
        return self._session

    def is_origin(self, url: str) -> bool:
        """Whether ``url`` is on the API's origin (scheme, host, port): where the token may go."""
        parsed = URL(url, encoded=True)
        return (parsed.scheme, (parsed.host or "").lower(), parsed.explicit_port) == self.origin

    def origin_headers(self, url: str) -> Mapping[str, str]:
        """The client's identifying headers when ``url`` is on its origin, else none."""
        return self.identity if self.is_origin(url) else {}

    def stream(
        self,
        method: str,
        url: str,
        *,
        timeout: aiohttp.ClientTimeout,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        allow_redirects: bool = False,
    ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """One plain request on the client's pool, for transfers outside the API's request path.

        File bytes go to and from storage with this: no retry, no error translation and no
        headers are added, so the caller decides them (see `botpress_async._storage`). Use it
        as ``async with transport.stream("GET", url, timeout=...) as response:``.

        Args:
            method: the HTTP method.
            url: the full, already encoded URL (a presigned URL is used as it is).
            timeout: the limits of this attempt.
            headers: the headers to send; none are added.
            data: the body: bytes, or an async iterator of bytes to stream.
            allow_redirects: whether aiohttp follows redirects (never with a token).
        """
        return self.session().request(
            method,
            URL(url, encoded=True),
            headers=headers,
            data=data,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    async def aclose(self) -> None:
        """Close the owned session; idempotent."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()

    def _client_timeout(self, connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
        key = (connect, read)
        cached = self._timeouts.get(key)
        if cached is None:
            # sock_connect bounds the handshake without the per-request pool-wait timer of connect=.
            cached = aiohttp.ClientTimeout(total=read, sock_connect=connect)
            if len(self._timeouts) < 64:
                self._timeouts[key] = cached
        return cached

    def retry_override(self, policy: RetryPolicy, max_retries: int) -> RetryPolicy:
        """``policy`` with a call's ``max_retries``, made once per client and count.

        A bulk job passes the same override on every call; evolving (and hashing) the
        policy each time cost several Python calls per request.

        Args:
            policy: the policy the call starts from (the client's).
            max_retries: the call's retry count; a value that is not an int is refused.
        """
        if type(max_retries) is not int:
            return policy.with_max_retries(max_retries)  # the validation raises
        key = (id(policy), max_retries)
        cached = self._overrides.get(key)
        # The policy is kept in the entry, so its id cannot be reused by another while cached.
        if cached is not None and cached[0] is policy:
            return cached[1]
        made = policy.with_max_retries(max_retries)
        if len(self._overrides) < 16:
            self._overrides[key] = (policy, made)
        return made

    async def send(
        self,
        method: str,
        url: str,
        *,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
        timeout: Timeout,
        policy: RetryPolicy,
        idempotent: bool,
    ) -> Any:
        """Send a request with retries and return its decoded JSON body.

        Args:
            method: the HTTP method.
            url: the full, already encoded URL.
            path: the request path, for errors and logs.
            headers: every header to send, Authorization included.
            body: the encoded JSON body, or ``None`` for none.
            timeout: the time limits of this call.
            policy: the retry policy of this call.
            idempotent: whether the request may be repeated after it reached the server.
        """
        session = self.session()

        def late(number: int) -> APITimeoutError:
            error = APITimeoutError(
                f"the total time limit of {timeout.total:g} s (Timeout.total) passed "
                f"before attempt {number} of {method} {path}",
                method=method,
                path=path,
            )
            error.limit, error.seconds = "total", timeout.total
            return error

        async def attempt(remaining: float | None) -> Any:
            read = timeout.read
            # Which limit bounds this attempt, for the message if it fires.
            limit: tuple[str, float | None] = ("read", read)
            if remaining is not None and (read is None or remaining < read):
                read, limit = remaining, ("total", timeout.total)
            coordinator = self.coordinator
            if coordinator is not None:
                await coordinator.acquire()
            target = URL(url, encoded=True)
            attempt_method, attempt_body, attempt_headers = method, body, headers
            client_timeout = self._client_timeout(timeout.connect, read)
            for _ in range(_MAX_REDIRECTS + 1):
                failure: BotpressError | None = None
                cause: BaseException | None = None
                try:
                    async with session.request(
                        attempt_method,
                        target,
                        headers=attempt_headers,
                        data=attempt_body,
                        timeout=client_timeout,
                        allow_redirects=False,
                    ) as resp:
                        status = resp.status
                        if coordinator is not None:
                            await coordinator.observe(status, resp.headers)
                        if status in _REDIRECTS and "Location" in resp.headers:
                            target, attempt_method, attempt_body, attempt_headers = self._redirect(
                                target,
                                resp.headers["Location"],
                                status,
                                attempt_method,
                                attempt_body,
                                attempt_headers,
                            )
                            continue
                        length = resp.content_length
                        if (
                            length is not None
                            and length <= self.max_response_size
                            and "Content-Encoding" not in resp.headers
                        ):
                            raw = await resp.read()
                        else:
                            # Compressed or unsized: count what decompression produces.
                            raw = await read_capped(
                                resp, self.max_response_size, f"the response to {method} {path}"
                            )
                except BotpressError:
                    raise
                except Exception as exc:
                    failure = _transport_error(exc, method, path, timeout.connect, limit)
                    # aiohttp's request_info holds the request headers, token included: such
                    # an exception is neither chained nor left as the context (it is raised
                    # below, outside this handler); its text is in the message.
                    cause = None if getattr(exc, "request_info", None) is not None else exc
                if failure is not None:
                    raise failure from cause
                if status >= 300:
                    raise _api_error(status, raw, resp.headers, method, path)
                return _decode(raw, status, method, path)
            raise APIConnectionError(
                f"{method} {path} was redirected more than {_MAX_REDIRECTS} times",
                method=method,
                path=path,
            )

        return await run_attempts(
            attempt,
            retry_on=(APIError, APIConnectionError),
            budget=self.budget,
            policy=policy,
            total=timeout.total,
            idempotent=idempotent,
            what=f"{method} {path}",
            late=late,
        )

    def _redirect(
        self,
        current: URL,
        location: str,
        status: int,
        method: str,
        body: bytes | None,
        headers: dict[str, str],
    ) -> tuple[URL, str, bytes | None, dict[str, str]]:
        try:
            target = current.join(URL(location, encoded=True))
        except ValueError as exc:
            raise APIConnectionError(
                f"the API redirected to an invalid URL: {exc}", method=method, sent=True
            ) from None
        if target.scheme not in ("http", "https"):
            raise APIConnectionError(
                f"refusing to follow a redirect to a {target.scheme!r} URL",
                method=method,
                sent=True,
            )
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, body = "GET", None
            headers = {k: v for k, v in headers.items() if k != "content-type"}
        if (target.scheme, (target.host or "").lower(), target.explicit_port) != self.origin:
            # The token and context headers belong to the API's origin alone.
            headers = {k: v for k, v in headers.items() if k in _CROSS_ORIGIN_SAFE}
        return target, method, body, headers


async def read_capped(
    resp: aiohttp.ClientResponse, limit: int, what: str, *, hint: str = ""
) -> bytes:
    """Read a whole body, refusing it once it (decompressed) passes ``limit`` bytes.

    Args:
        resp: the response to read.
        limit: the most bytes accepted.
        what: the body, for the message (``"the response to GET /v1/chat/users"``).
        hint: a sentence appended to the message, saying what to do instead.
    """
    length = resp.content_length
    # A compressed body's length says nothing of what it inflates to: only the count below does.
    if length is not None and length > limit and "Content-Encoding" not in resp.headers:
        raise ResponseTooLargeError(
            f"{what} is {length} bytes, over the client's max_response_size of {limit}{hint}",
            limit=limit,
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise ResponseTooLargeError(
                f"{what} grew over the client's max_response_size of {limit} bytes{hint}",
                limit=limit,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(raw: bytes, status: int, method: str, path: str) -> Any:
    """The JSON of a success body; an empty body is an empty object."""
    if not raw:
        return {}
    try:
        return loads(raw)
    except ValueError as exc:
        raise APIError(
            "the API answered with a body that is not JSON",
            status=status,
            method=method,
            path=path,
            body=raw.decode("utf-8", "replace").strip(),
        ) from exc


def _transport_error(
    exc: Exception,
    method: str,
    path: str,
    connect: float | None,
    limit: tuple[str, float | None],
) -> BotpressError:
    """The SDK error for an aiohttp or socket failure; the one place they are translated.

    Args:
        exc: what aiohttp or the socket raised.
        method: the request's method, for the message.
        path: the request's path, for the message.
        connect: the connect limit of the attempt.
        limit: the limit that bounded the attempt: ``("read", s)`` or ``("total", s)``.
    """
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        # These come from obtaining the connection: no byte of the request was sent.
        err = APITimeoutError(
            f"could not connect to the API for {method} {path}: the connect time limit of "
            f"{_seconds(connect)} (Timeout.connect) passed",
            method=method,
            path=path,
            sent=False,
        )
        err.limit, err.seconds = "connect", connect
        return err
    if isinstance(exc, aiohttp.ClientConnectorError):
        return APIConnectionError(
            f"could not connect to the API for {method} {path}: {_describe(exc)}",
            method=method,
            path=path,
            sent=False,
        )
    if isinstance(exc, asyncio.TimeoutError):
        name, seconds = limit
        err = APITimeoutError(
            f"{method} {path} timed out: the {name} time limit of {_seconds(seconds)} "
            f"(Timeout.{name}) passed before the response was complete",
            method=method,
            path=path,
            sent=True,
        )
        err.limit, err.seconds = name, seconds
        return err
    # Anything else after the connection was obtained (a socket error, a malformed answer)
    # may have come after the request reached the server.
    return APIConnectionError(
        f"{method} {path} failed: {_describe(exc)}", method=method, path=path, sent=True
    )


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:g} s"


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _api_error(
    status: int, raw: bytes, headers: Mapping[str, str], method: str, path: str
) -> APIError:
    """Build the typed error for an error response, whatever its body looks like."""
    text = raw.decode("utf-8", "replace").strip()
    data: Any = None
    if raw:
        try:
            data = loads(raw)
        except ValueError:
            data = None
    error_type = message = error_id = None
    metadata = None
    if isinstance(data, dict):
        error_type = data.get("type") if isinstance(data.get("type"), str) else None
        message = data.get("message") if isinstance(data.get("message"), str) else None
        error_id = data.get("id") if isinstance(data.get("id"), str) else None
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else None
    if message is None:
        message = text[:500] if text else f"HTTP {status} with an empty body"
    cls = error_class_for(error_type, status)
    err = cls(
        message,
        status=status,
        type=error_type,
        error_id=error_id,
        metadata=metadata,
        method=method,
        path=path,
        body=text,
    )
    err.retry_after = retry_after_of(status, headers)
    return err
