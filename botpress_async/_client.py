"""`AsyncClient`: the concrete asynchronous client, the APIs on top of `BaseClient`.

Configuration, the transport and request building live in `botpress_async._base_client`;
this module adds what only the full client has: one typed property per API and `bulk`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._base_client import BaseClient
from ._bulk_options import BulkOptions, job_settings
from ._errors import ConfigurationError, InvalidItemError

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._bulk_results import BulkResult
    from .resources.admin import AdminAPI
    from .resources.billing import BillingAPI
    from .resources.files import FilesAPI
    from .resources.runtime import RuntimeAPI
    from .resources.tables import TablesAPI

__all__ = ["AsyncClient"]


class AsyncClient(BaseClient):
    """Asynchronous client of the Botpress Cloud API.

    Use it as ``async with AsyncClient(...) as client:`` or close it with `aclose`. Arguments
    left out are read from ``BP_TOKEN``, ``BP_BOT_ID``, ``BP_WORKSPACE_ID``,
    ``BP_INTEGRATION_ID`` and ``BP_API_URL``.

    Args:
        token: a Personal Access Token, Bot Access Key or Integration Access Key.
        token_kind: ``"pat"``, ``"bak"``, ``"iak"`` or a `TokenKind`, when the prefix does not say.
        bot_id: sent as ``x-bot-id``; the runtime, files and tables APIs need it.
        workspace_id: sent as ``x-workspace-id``; most admin operations need it.
        integration_id: sent as ``x-integration-id``.
        integration_alias: sent as ``x-integration-alias``.
        api_url: the API's base URL (default ``https://api.botpress.cloud``).
        timeout: seconds per attempt, or a `Timeout` with connect, read and total limits.
        max_retries: retries after a failed attempt, when retrying is safe.
        headers: extra headers sent with every request.
        max_connections: the size of the connection pool.
        max_response_size: the largest response body accepted, in bytes.
        retry_budget: tokens of the retry budget shared by all calls (``None``: unlimited).
        max_retry_after: the longest ``Retry-After`` slept through; longer ones raise at once.
        initial_retry_delay: the first backoff between attempts, in seconds (jittered).
        max_retry_delay: the longest backoff between attempts, in seconds.
        allow_insecure_http: allow an ``http://`` URL to a host that is not loopback.
        session: an ``aiohttp.ClientSession`` to borrow; the client will not close it.
    """

    # -- the APIs ---------------------------------------------------------------------------

    @property
    def runtime(self) -> RuntimeAPI:
        """The runtime API: users, conversations, messages, events, states, workflows..."""
        from .resources.runtime import RuntimeAPI

        return self._attach(RuntimeAPI)

    @property
    def files(self) -> FilesAPI:
        """The files API: files, passages, tags and knowledge bases."""
        from .resources.files import FilesAPI

        return self._attach(FilesAPI)

    @property
    def tables(self) -> TablesAPI:
        """The tables API: tables, rows and import/export jobs."""
        from .resources.tables import TablesAPI

        return self._attach(TablesAPI)

    @property
    def admin(self) -> AdminAPI:
        """The admin API: workspaces, members, bots, integrations, tokens, usage (PAT only)."""
        from .resources.admin import AdminAPI

        return self._attach(AdminAPI)

    @property
    def billing(self) -> BillingAPI:
        """The billing API: plans, add-ons, invoices, payment methods (PAT only)."""
        from .resources.billing import BillingAPI

        return self._attach(BillingAPI)

    async def bulk(
        self,
        operation: Callable[..., Any],
        items: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        **options: Unpack[BulkOptions],
    ) -> BulkResult[Mapping[str, Any], Any]:
        """Call one operation once per item of keyword arguments, concurrently; see `run_bulk`.

        ``await client.bulk(client.runtime.create_message, ({...}, {...}))`` calls
        ``create_message(**item)`` for each item, with bounded concurrency that adapts to
        rate limits, and reports every item as succeeded, failed or not run.

        Args:
            operation: a method of this client (``client.runtime.create_message``); the
                blocking client's methods are accepted too.
            items: mappings of keyword arguments, from any iterable or async iterable.
            options: the job's options, described in `BulkOptions` (``concurrency=16``,
                ``fail_fast``, ``keep_results``, ``max_retries=6``...).
        """
        import inspect

        from ._bulk import resolve_operation, run_job

        settings = job_settings(options, BulkOptions, caller="bulk")
        func = resolve_operation(operation)
        parameters = inspect.signature(func).parameters
        # Operations take max_retries; request() and other helpers may not.
        defaults = {"max_retries": settings.max_retries} if "max_retries" in parameters else {}
        # The names an item may use, or None when the function takes any (**kwargs): a
        # misspelt key is this item's error, said by name, not a TypeError from the call.
        names = (
            None
            if any(p.kind is p.VAR_KEYWORD for p in parameters.values())
            else frozenset(
                n
                for n, p in parameters.items()
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
            )
        )

        required = frozenset(
            n
            for n, p in parameters.items()
            if p.default is p.empty and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
        called = f"{getattr(func, '__name__', 'the operation')}()"

        async def one(item: Mapping[str, Any]) -> Any:
            if not isinstance(item, Mapping):
                raise ConfigurationError(
                    f"each bulk item is a mapping of keyword arguments, not {type(item).__name__}"
                )
            if names is not None and not names.issuperset(item):
                unknown = sorted(map(repr, set(item).difference(names)))
                raise InvalidItemError(
                    f"this item has argument(s) {', '.join(unknown)} that {called} does not "
                    "take; it was not sent"
                )
            if not required.issubset(item):
                missing = sorted(required.difference(item))
                raise InvalidItemError(
                    f"this item lacks argument(s) {', '.join(missing)} that {called} needs; "
                    "it was not sent"
                )
            return await func(**{**defaults, **item})

        return await run_job(one, items, settings)
