"""The HTTP side of the emulator: routing, authentication, validation, faults and answers."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
from typing import Any, Final
from urllib.parse import unquote

from aiohttp import web

from botpress_async._auth import TokenKind, reach_of
from botpress_async._encoding import dumps, loads

from . import _admin, _delivery, _files, _runtime, _states, _tables  # noqa: F401 - they register handlers
from ._chat import CHAT_PREFIX, ChatRouter
from ._faults import FaultRule, Faults, LogEntry, RequestLog
from ._handlers import observe
from ._schema import conform, parse_query, synthesize
from ._spec import Operation, Router, error_types, load_operations
from ._store import HANDLERS, ApiError, BotData, Context, Store, Token
from ._validation import ValidationFailure, Validators

__all__ = ["Dispatcher"]

# What each token kind reaches, from the client's own table: the emulator refuses exactly
# what the client would (keyed by the store's kind strings, looked up on every request).
_REACH: Final = {kind.value: frozenset(reach_of(kind)) for kind in TokenKind}
_KIND_NAMES: Final = {
    "pat": "a personal access token",
    "bak": "a bot access key",
    "iak": "an integration access key",
}
_BOT_APIS: Final = frozenset({"runtime", "files", "tables"})
_JSON: Final = "application/json"
# The first type errors.json lists for each status (500: Internal, as before; see fault_type).
_STATUS_TYPES: Final = {
    status: type_ for type_, status in reversed(list(error_types().items()))
} | {500: "Internal"}

# Uploads bigger than this answer 413; the emulator keeps files in memory.
_MAX_UPLOAD = 512 * 1024 * 1024


def fault_type(status: int) -> str:
    """The error type an injected ``status`` answers with: the one errors.json lists for it.

    errors.json lists no type for 502 and 503; those (and any other unlisted status) answer
    ``Unknown``, the catch-all type, so a client never sees a type claiming a different status.
    """
    return _STATUS_TYPES.get(status, "Unknown")


def error_body(error_id: str, status: int, type_: str, message: str) -> bytes:
    """An error answer in the API's exact shape."""
    return dumps({"id": error_id, "code": status, "type": type_, "message": message})


class Dispatcher:
    """Turns one aiohttp request into an answer, as the API would, and logs what it did."""

    def __init__(
        self,
        store: Store,
        faults: Faults,
        log: RequestLog,
        *,
        page_size: int,
        validate_responses: bool,
    ) -> None:
        self.store = store
        self.faults = faults
        self.log = log
        self.page_size = page_size
        self.validate_responses = validate_responses
        self.base_url = ""
        # Added to the wall clock, so tests can let states expire without sleeping.
        self.clock_offset = 0.0
        self.router = Router(load_operations())
        self.validators = Validators()
        self._ids = itertools.count(1)
        self.chat: ChatRouter | None = None  # the Chat API fronts, set by the Emulator

    # --- entry point -------------------------------------------------------------------------

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        """Answer one request (the low-level aiohttp server's handler)."""
        raw_path = request.raw_path.split("?", 1)[0]
        if raw_path.startswith(_delivery.WEBHOOK_PREFIX):
            return await _delivery.webhook(self.store, request, raw_path)
        if raw_path.startswith("/_emulator/"):
            return await self._blob(request, raw_path)
        if raw_path.startswith(CHAT_PREFIX) and self.chat is not None:
            return await self.chat.handle(request, raw_path)
        request_id = f"req_{next(self._ids):010d}"
        segments = [unquote(s) for s in raw_path.strip("/").split("/")]
        found = self.router.match(request.method, segments)
        if found is None:
            allowed = self.router.allowed_methods(segments)
            status, kind = (405, "MethodNotFound") if allowed else (404, "ResourceNotFound")
            self._record(request_id, request, None, status, None, False)
            response = self._error(
                request_id, status, kind, f"no operation {request.method} {raw_path}"
            )
            if allowed:
                response.headers["allow"] = ", ".join(allowed)
            return response
        op, path_params = found
        chosen = self.faults.decide(op.operation_id, op.template)
        fault_name = ",".join(rule.kind for rule in chosen) or None
        for rule in chosen:
            if rule.kind == "slow":
                await asyncio.sleep(rule.delay)
        early = self._early_fault(request_id, request, chosen)
        if early is not None:
            self._record(request_id, request, op, early.status, fault_name, False)
            return early
        if any(rule.kind == "reset_before" for rule in chosen):
            self._record(request_id, request, op, None, fault_name, False)
            return self._drop(request)
        status, body = await self._process(request_id, request, op, path_params)
        processed = 200 <= status < 300
        late = next((r for r in chosen if r.kind in ("reset_after", "truncate")), None)
        if late is None:
            self._record(request_id, request, op, status, fault_name, processed)
            return self._respond(request_id, status, body)
        self._record(request_id, request, op, None, fault_name, processed)
        if late.kind == "reset_after":
            return self._drop(request)
        return await self._truncate(request, status, body, request_id)

    # --- pieces --------------------------------------------------------------------------------

    def _record(
        self,
        request_id: str,
        request: web.BaseRequest,
        op: Operation | None,
        status: int | None,
        fault: str | None,
        processed: bool,
    ) -> None:
        self.log.append(
            LogEntry(
                request_id=request_id,
                method=request.method,
                path=request.path,
                operation_id=op.operation_id if op else None,
                status=status,
                fault=fault,
                processed=processed,
            )
        )

    def _respond(self, request_id: str, status: int, body: bytes) -> web.Response:
        return web.Response(
            status=status,
            body=body,
            headers={"content-type": _JSON, "x-request-id": request_id},
        )

    def _error(self, request_id: str, status: int, type_: str, message: str) -> web.Response:
        body = error_body("err_" + request_id[4:], status, type_, message)
        return self._respond(request_id, status, body)

    def _drop(self, request: web.BaseRequest) -> web.StreamResponse:
        # Abort the socket: the client sees the connection end without an answer. The response
        # returned to aiohttp is never written, the transport being gone.
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response(status=499)

    def _early_fault(
        self, request_id: str, request: web.BaseRequest, chosen: list[FaultRule]
    ) -> web.Response | None:
        for rule in chosen:
            if rule.kind == "rate_limit":
                response = self._error(request_id, 429, "RateLimited", "too many requests")
                seconds = rule.retry_after
                response.headers["retry-after"] = (
                    str(int(seconds)) if float(seconds).is_integer() else str(seconds)
                )
                return response
            if rule.kind == "status":
                kind = fault_type(rule.status)
                return self._error(request_id, rule.status, kind, f"injected {rule.status}")
        return None

    async def _truncate(
        self, request: web.BaseRequest, status: int, body: bytes, request_id: str
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=status, headers={"content-type": _JSON, "x-request-id": request_id}
        )
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        return self._drop(request)

    async def _blob(self, request: web.BaseRequest, raw_path: str) -> web.StreamResponse:
        """Upload (PUT, no Authorization) and download (GET) of file bytes, with their faults.

        Storage has no operationId: rules name it ``uploadFileContent`` or
        ``downloadFileContent``, and only rules that name it apply to it.
        """
        upload = raw_path.startswith(_files.UPLOAD_PREFIX)
        name = "uploadFileContent" if upload else "downloadFileContent"
        chosen: list[FaultRule] = []
        if any(rule.operation == name for rule in self.faults.rules):
            prefix = _files.UPLOAD_PREFIX if upload else _files.DOWNLOAD_PREFIX
            chosen = [r for r in self.faults.decide(name, prefix + "{key}") if r.operation == name]
        early = self._early_fault("req_storage", request, chosen)
        if early is not None:
            return early
        if any(rule.kind == "reset_before" for rule in chosen):
            return self._drop(request)
        response = await self._blob_answer(request, raw_path)
        if any(rule.kind == "reset_after" for rule in chosen):
            return self._drop(request)
        return response

    async def _blob_answer(self, request: web.BaseRequest, raw_path: str) -> web.StreamResponse:
        key = unquote(raw_path.rsplit("/", 1)[-1])
        if raw_path.startswith(_files.UPLOAD_PREFIX) and request.method == "PUT":
            # Read the stream itself: request.read() stops at aiohttp's 1 MiB default.
            chunks = []
            size = 0
            async for chunk in request.content.iter_chunked(1 << 20):
                size += len(chunk)
                if size > _MAX_UPLOAD:
                    return web.Response(status=413, text="file too large for the emulator")
                chunks.append(chunk)
            content = b"".join(chunks)
            ctype = request.headers.get("content-type")
            if _files.complete_upload(self.store, key, content, ctype):
                return web.Response(status=200)
        elif raw_path.startswith(_files.DOWNLOAD_PREFIX) and request.method in ("GET", "HEAD"):
            found = _files.download(self.store, key)
            if found is not None:
                return web.Response(body=found[0], headers={"content-type": found[1]})
        return web.Response(status=404, text="not found")

    # --- the API's own rules ----------------------------------------------------------------

    async def _process(
        self, request_id: str, request: web.BaseRequest, op: Operation, path: dict[str, str]
    ) -> tuple[int, bytes]:
        error_id = "err_" + request_id[4:]
        try:
            result = await self._run(request, op, path)
        except ApiError as exc:
            return exc.status, error_body(error_id, exc.status, exc.type, exc.message)
        except ValidationFailure as exc:
            return 400, error_body(error_id, 400, "InvalidPayload", exc.message)
        except Exception as exc:  # a bug in a handler must still answer in the API's shape
            message = f"the emulator failed on {op.operation_id}: {type(exc).__name__}: {exc}"
            return 500, error_body(error_id, 500, "Internal", message)
        answer = conform(op.response_schema, result)
        if self.validate_responses:
            try:
                self.validators.check_response(op, answer)
            except ValidationFailure as exc:
                return 500, error_body(error_id, 500, "Internal", exc.message)
        return op.status, dumps(answer)

    def _authenticate(self, request: web.BaseRequest, op: Operation) -> Token:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        token = self.store.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise ApiError(401, "Unauthorized", "missing or unknown bearer token")
        if op.api not in _REACH[token.kind]:
            raise ApiError(
                403,
                "Forbidden",
                f"{_KIND_NAMES[token.kind]} cannot reach the {op.api} API ({op.operation_id})",
            )
        return token

    async def _read_body(self, request: web.BaseRequest, op: Operation) -> Any:
        if op.body_schema is None:
            return None
        raw = await request.read()
        if not raw.strip():
            return {}
        ctype = request.headers.get("content-type", _JSON).split(";", 1)[0].strip().lower()
        if ctype != _JSON:
            raise ApiError(415, "UnsupportedMediaType", f"expected {_JSON}, got {ctype}")
        try:
            return loads(raw)
        except ValueError as exc:
            raise ApiError(400, "InvalidPayload", "body is not valid JSON") from exc

    def _reach_bot(self, token: Token, bot_id: str) -> BotData:
        bot = self.store.bots.get(bot_id)
        if bot is None:
            raise ApiError(404, "ResourceNotFound", f"bot {bot_id!r} does not exist")
        if token.kind == "bak":
            ok = token.owner == bot.id
        elif token.kind == "iak":
            ok = token.owner in bot.integrations
        else:
            ok = bot.workspace_id in self.store.account_workspaces(token.owner)
        if not ok:
            raise ApiError(403, "Forbidden", f"this token cannot reach bot {bot_id!r}")
        return bot

    def _reach_workspace(self, token: Token, ws_id: str) -> None:
        if ws_id not in self.store.workspaces:
            raise ApiError(404, "ResourceNotFound", f"workspace {ws_id!r} does not exist")
        if ws_id not in self.store.account_workspaces(token.owner):
            raise ApiError(403, "Forbidden", f"this token cannot reach workspace {ws_id!r}")

    async def _run(self, request: web.BaseRequest, op: Operation, path: dict[str, str]) -> Any:
        token = self._authenticate(request, op)
        body = await self._read_body(request, op)
        query = parse_query(request.query.items(), ((p.name, p.schema) for p in op.query_params))
        headers = {
            p.name: request.headers[p.name] for p in op.header_params if p.name in request.headers
        }
        instance: dict[str, Any] = {"path": path, "query": query, "headers": headers}
        if body is not None:
            instance["body"] = body
        self.validators.check_request(op, instance)
        bot = None
        workspace_id = headers.get("x-workspace-id")
        if op.api in _BOT_APIS:
            bot = self._reach_bot(token, headers["x-bot-id"])
            workspace_id = bot.workspace_id
        elif workspace_id is not None:
            self._reach_workspace(token, workspace_id)
        ctx = Context(
            store=self.store,
            op=op,
            path=path,
            query=query,
            headers=request.headers,
            body=body if body is not None else {},
            token=token,
            bot=bot,
            workspace_id=workspace_id,
            base_url=self.base_url,
            page_size=self.page_size,
            now=time.time() + self.clock_offset,
        )
        handler = HANDLERS.get(op.operation_id)
        if handler is None:
            return synthesize(op.response_schema)
        # Deliveries to integration and bot URLs the handler causes are sent before answering.
        with _delivery.collect(request.headers) as pending:
            result = handler(ctx)
            if inspect.isawaitable(result):
                result = await result
        await _delivery.settle(pending)
        observe(ctx, result)
        return result
