"""`RequestBuilder`: how one API request is built and checked before it is sent.

The generated operations of every API call ``_request`` with the same arguments. The main
client (`BaseClient`) and the Chat API's sender (`ChatSender`) both inherit it: they differ
in data (base URL, headers, body limit) and in what a refusal says, not in how a request is
built, so the checks (headers, path words, JSON bodies, a blocked caller's loop) are the
same for every API.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any, ClassVar, Final

from . import _served
from ._auth import api_of_path, check_header_value
from ._encoding import dumps, encode_path, encode_query
from ._errors import ArgumentTypeError, ConfigurationError
from ._reserved import RESERVED
from ._retry import IDEMPOTENT_METHODS, RetryPolicy
from ._session import Transport
from ._types import NOT_GIVEN, NotGiven, RequestOptions, Timeout

__all__ = ["BODY_METHODS", "RequestBuilder", "request_limits"]

#: The methods that carry a JSON body (``{}`` when none is given).
BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"}) | BODY_METHODS
_JSON_CT: Final = "application/json"


class RequestBuilder:
    """Builds, checks and hands to the transport one request of an API client.

    A subclass sets the attributes below and says what a refusal reads like
    (`_missing_header`, `_too_large`) and what reaching an API needs (`_check_reach`).
    """

    __slots__ = ()

    #: The transport the requests go through.
    _transport: Transport
    #: Headers every request carries (token or user key, context, user agent).
    _base_headers: dict[str, str]
    #: Header names and values already found valid (see `_merge_headers`).
    _valid_headers: set[str]
    #: The APIs this sender already found it may reach.
    _reachable: set[str | None]
    #: The base URL the request paths are appended to.
    _api_url: str
    #: The time limits and retry policy of a call that sets none of its own.
    _timeout: Timeout
    _policy: RetryPolicy
    #: The largest JSON body the API accepts, refused before sending; ``None``: no limit.
    _body_limit: ClassVar[int | None] = None
    #: Turns the transport's coroutine into the call's (``None``: the answer as decoded);
    #: an instance attribute, so that a function stored there is not bound as a method.
    _finish: Callable[[Coroutine[Any, Any, Any], str, str], Any] | None

    def _check_reach(self, api: str | None, requires: tuple[str, ...] = ()) -> None:
        """Raise what every request to ``api`` would raise before sending."""

    def _missing_header(self, header: str, method: str, path: str) -> ConfigurationError:
        """The error of a request that needs ``header`` and does not carry it."""
        return ConfigurationError(f"{method} {path} needs the {header} header", header=header)

    def _too_large(self, size: int, method: str, path: str) -> ConfigurationError:
        """The error of a body over `_body_limit`."""
        return ConfigurationError(
            f"the body of {method} {path} is {size} bytes, over the API's limit of "
            f"{self._body_limit} bytes"
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        json: Any = NOT_GIVEN,
        headers: Mapping[str, Any] | None = None,
        api: str | None = None,
        idempotent: bool | None = None,
        requires: tuple[str, ...] = (),
        options: RequestOptions | None = None,
        raw_path: bool = False,
    ) -> Coroutine[Any, Any, Any]:
        """Build and check one request, and return the coroutine that sends it.

        Every call takes this path. It is a plain function on purpose: bad arguments raise
        here, before anything is sent, and the await chain of a request stays one frame
        shorter, which every wake-up of the request pays for.
        """
        method = method.upper()
        if method not in _METHODS:
            raise ConfigurationError(f"unsupported HTTP method {method!r}")
        if api is None:
            api = api_of_path(path)
        if api not in self._reachable:
            self._check_reach(api)
            self._reachable.add(api)
        if raw_path:
            url_path = path
        else:
            if path_params:
                reserved = RESERVED.get((method, path))
                if reserved is not None:
                    _check_route_words(method, path, path_params, reserved)
            url_path = encode_path(path, path_params)

        send_headers = self._base_headers.copy()
        if headers:
            _merge_headers(send_headers, headers, self._valid_headers)
        extra_query: Mapping[str, Any] | None = None
        extra_body: Mapping[str, Any] | None = None
        timeout = self._timeout
        policy = self._policy
        if options is not None:
            if options.extra_headers:
                _merge_headers(
                    send_headers, options.extra_headers, self._valid_headers, "extra_headers"
                )
            extra_query = options.extra_query
            extra_body = options.extra_body
            timeout, policy = request_limits(options, timeout, policy, self._transport)
        for header in requires:
            if header not in send_headers:
                raise self._missing_header(header, method, url_path)

        if extra_query:
            merged: tuple[tuple[str, Any], ...] = (("extra_query", extra_query), ("query", query))
            for bad, given in merged:  # typed as mappings, but callers pass anything
                if given and not isinstance(given, Mapping):
                    raise ArgumentTypeError(
                        f"{bad} must be a mapping of parameter name to value, not "
                        f"{type(given).__name__}",
                        argument=bad,
                    )
            query = {**query, **extra_query} if query else extra_query
        qs = encode_query(query)
        url = self._api_url + url_path + ("?" + qs if qs else "")

        body: bytes | None = None
        if method in BODY_METHODS:
            if isinstance(json, NotGiven):
                json = {}
            elif type(json) is dict or isinstance(json, Mapping):
                # NOT_GIVEN is the only NotGiven: an identity test spares an isinstance call
                # per field of every body.
                json = {k: v for k, v in json.items() if v is not NOT_GIVEN}
            if extra_body:
                if not isinstance(extra_body, Mapping):
                    raise ArgumentTypeError(
                        f"extra_body must be a mapping of field name to value, not "
                        f"{type(extra_body).__name__}",
                        argument="extra_body",
                    )
                if not isinstance(json, Mapping):
                    raise ConfigurationError("extra_body needs a JSON object body")
                json = {**json, **extra_body}
            try:
                body = dumps(json)
            except (TypeError, ValueError, RecursionError) as exc:  # deep nesting: RecursionError
                # orjson reports an error of the encoder's `default` as its cause
                raise ConfigurationError(
                    f"the body of {method} {url_path} cannot be sent as JSON: "
                    f"{exc.__cause__ or exc}"
                ) from None
            limit = self._body_limit
            if limit is not None and len(body) > limit:
                raise self._too_large(len(body), method, url_path)
            send_headers["content-type"] = _JSON_CT
        elif not isinstance(json, NotGiven) or extra_body:
            raise ConfigurationError(f"a {method} request cannot carry a JSON body")

        if _served.blocked_loops:  # a blocking call waits in a thread that serves something
            _served.check_target(*self._transport.origin[1:])
        sending = self._transport.send(
            method,
            url,
            path=url_path,
            headers=send_headers,
            body=body,
            timeout=timeout,
            policy=policy,
            idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
        )
        finish = self._finish
        return sending if finish is None else finish(sending, method, url_path)


def _check_route_words(
    method: str, path: str, params: Mapping[str, Any], reserved: Mapping[str, Mapping[str, str]]
) -> None:
    """Refuse a path parameter equal to a literal word of a sibling route (see ``_reserved``)."""
    for name, words in reserved.items():
        value = params.get(name)
        if not isinstance(value, str):
            continue
        other = words.get(value.lower())
        if other is not None:
            filled = path.replace("{" + name + "}", value)
            raise ConfigurationError(
                f"{name}={value!r} cannot be sent: {method} {filled} is the route of the "
                f"operation {other}, so the server would run that instead of {method} {path}. "
                f"No encoding avoids this (servers decode the path before routing); a resource "
                f"whose {name} is {value!r} cannot be reached through this operation"
            )


def request_limits(
    options: RequestOptions, timeout: Timeout, policy: RetryPolicy, transport: Transport
) -> tuple[Timeout, RetryPolicy]:
    """The timeout and retry policy of one request: the client's, unless ``options`` set them.

    Args:
        options: the request's own options.
        timeout: the client's timeout.
        policy: the client's retry policy.
        transport: the transport the request goes through, which keeps the retry overrides
            already made (a bulk job passes the same ``max_retries`` on every call).
    """
    if not isinstance(options.timeout, NotGiven):
        timeout = Timeout.coerce(options.timeout)
    if not isinstance(options.max_retries, NotGiven):
        policy = transport.retry_override(policy, options.max_retries)
    return timeout, policy


#: How many header names and values one client remembers as valid. A client sends the same
#: few names (and mostly the same values) on every call, and checking them again was most of
#: the cost of merging them; a value that changes per call is still checked, and once the set
#: is full everything new is checked every time. The set belongs to the client, so a value
#: (which may be a caller's secret) is not kept after the client is gone.
_VALID_LIMIT: Final = 1024


def _merge_headers(
    target: dict[str, str], extra: Mapping[str, Any], valid: set[str], argument: str = "headers"
) -> None:
    if type(extra) is not dict and not isinstance(extra, Mapping):
        raise ArgumentTypeError(
            f"{argument} must be a mapping of header name to value, not {type(extra).__name__}",
            argument=argument,
        )
    # Names and values pass the same check, so one set of checked strings serves both.
    for name, value in extra.items():
        if name not in valid:
            check_header_value("header name", name)
            # Only exact str: a subclass may compare equal to a valid name it does not spell.
            if type(name) is str and len(valid) < _VALID_LIMIT:
                valid.add(name)
        lname = name.lower()
        if value is None or isinstance(value, NotGiven):
            target.pop(lname, None)
            continue
        if lname == "authorization":
            raise ConfigurationError("the Authorization header comes from the client's token")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, str):
            value = str(value)
        if value not in valid:
            check_header_value(f"header {name!r}", value)
            if type(value) is str and len(valid) < _VALID_LIMIT:
                valid.add(value)
        target[lname] = value
