"""A small aiohttp web service that talks to Botpress through one shared `AsyncClient`.

Configuration comes from the environment, as for any client: ``BP_TOKEN`` (a Bot Access Key
or a Personal Access Token), ``BP_BOT_ID`` and, to point it elsewhere than the real API (an
emulator, say), ``BP_API_URL``. Then::

    python docs/examples/async_service.py --port 8080
    curl -X POST localhost:8080/messages/alice -d '{"text": "hello"}'
    curl localhost:8080/conversations/<conversation id>/messages
"""

from __future__ import annotations

import argparse
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from botpress_async import (
    APIConnectionError,
    APIError,
    AsyncClient,
    BotpressError,
    InvalidPayloadError,
    RateLimitedError,
    ResourceNotFoundError,
)

BOTPRESS = web.AppKey("botpress", AsyncClient)

# Tags the service puts on what it creates, so that the same handle always finds the same
# user and conversation. On the real API, declare them in the bot's definition.
HANDLE_TAG = "handle"
CHANNEL = "channel"


async def botpress_client(app: web.Application) -> AsyncIterator[None]:
    """Own one client for the app's lifetime: its connection pool is shared by every request."""
    # Made here rather than at import time: a client belongs to the event loop it runs in,
    # and the app's loop only exists once the server starts.
    async with AsyncClient() as client:
        app[BOTPRESS] = client
        yield


@web.middleware
async def botpress_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn the SDK's exceptions into HTTP answers for this service's own callers."""
    try:
        return await handler(request)
    except ResourceNotFoundError as exc:
        return web.json_response({"error": exc.message}, status=404)
    except InvalidPayloadError as exc:
        # The caller sent something the API refused: their mistake, not ours.
        return web.json_response({"error": exc.message}, status=400)
    except RateLimitedError as exc:
        # The client already retried; pass the back-pressure on rather than hammering on.
        wait = max(1, math.ceil(exc.retry_after or 1))  # Retry-After takes whole seconds
        headers = {"Retry-After": str(wait)}
        return web.json_response({"error": "busy"}, status=503, headers=headers)
    except APIError as exc:
        # Anything else the API refused (a bad token, say) is this service's fault; the error
        # id is what Botpress support asks for.
        return web.json_response({"error": exc.type, "error_id": exc.error_id}, status=502)
    except APIConnectionError:
        return web.json_response({"error": "Botpress is unreachable"}, status=504)
    except BotpressError as exc:  # configuration errors: nothing was sent
        return web.json_response({"error": str(exc)}, status=500)


async def post_message(request: web.Request) -> web.Response:
    """Send a text message as the user named in the path, in that user's own conversation."""
    client = request.app[BOTPRESS]
    handle = request.match_info["user"]
    try:
        body: Any = await request.json()
    except ValueError:
        body = None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text:
        return web.json_response({"error": "a JSON body with a 'text' string"}, status=400)

    # get-or-create calls are idempotent, so the client may retry them safely and a second
    # request for the same handle lands in the same user and conversation.
    tags = {HANDLE_TAG: handle}
    user = (await client.runtime.get_or_create_user(tags=tags, name=handle)).user
    conversation = (
        await client.runtime.get_or_create_conversation(channel=CHANNEL, tags=tags)
    ).conversation
    message = (
        await client.runtime.create_message(
            user_id=user.id,
            conversation_id=conversation.id,
            type="text",
            payload={"text": text},
            tags={},
        )
    ).message
    return web.json_response(
        {"user_id": user.id, "conversation_id": conversation.id, "message_id": message.id},
        status=201,
    )


async def list_messages(request: web.Request) -> web.Response:
    """List every message of a conversation, oldest first."""
    client = request.app[BOTPRESS]
    conversation_id = request.match_info["id"]
    # The pager fetches the next page only when this loop has used up the current one. The
    # conversation is fetched first so that an unknown id answers 404 rather than [].
    await client.runtime.get_conversation(id=conversation_id)
    messages = [
        {"id": m.id, "user_id": m.user_id, "text": m.payload.get("text"), "at": m.created_at}
        async for m in client.runtime.list_messages(conversation_id=conversation_id)
    ]
    # Sorted here so that the answer does not depend on the order the API lists them in.
    messages.sort(key=lambda m: str(m["at"]))
    return web.json_response({"messages": messages})


def make_app() -> web.Application:
    """Build the application: its routes, its error mapping and its Botpress client."""
    app = web.Application(middlewares=[botpress_errors])
    app.cleanup_ctx.append(botpress_client)
    app.router.add_post("/messages/{user}", post_message)
    app.router.add_get("/conversations/{id}/messages", list_messages)
    return app


def main() -> None:
    """Serve the application until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    web.run_app(make_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
