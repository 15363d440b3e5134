"""A plain blocking script: a report of the bot's conversations, with `botpress_sync.Client`.

It lists the conversations, counts the messages of each from a thread pool that shares one
client, and keeps the time of the previous run in a bot state. Configuration comes from the
environment: ``BP_TOKEN``, ``BP_BOT_ID`` and, for an emulator, ``BP_API_URL``::

    python docs/examples/blocking_script.py --limit 20
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import botpress_sync
from botpress_sync import Client

STATE_NAME = "conversationReport"


def count_messages(client: Client, conversation_id: str) -> int:
    """Count a conversation's messages, walking every page."""
    return sum(1 for _ in client.runtime.list_messages(conversation_id=conversation_id))


def previous_run(client: Client, bot_id: str) -> str | None:
    """The time the report last ran, or ``None`` the first time."""
    try:
        state = client.runtime.get_state(type="bot", id=bot_id, name=STATE_NAME).state
    except botpress_sync.ResourceNotFoundError:
        # No state yet: a normal answer on the first run, not a failure.
        return None
    payload = state.payload or {}
    last = payload.get("lastRun")
    return last if isinstance(last, str) else None


def main() -> int:
    """Print the report; the exit status is non-zero when the API could not be used."""
    parser = argparse.ArgumentParser(description="Count the messages of recent conversations.")
    parser.add_argument("--limit", type=int, default=50, help="conversations to report on")
    parser.add_argument("--workers", type=int, default=8, help="threads sharing the client")
    args = parser.parse_args()

    # One client for the whole script; `with` closes its connections at the end.
    with Client() as client:
        bot_id = client.bot_id
        if bot_id is None:
            print("set BP_BOT_ID to the bot to report on", file=sys.stderr)
            return 2
        try:
            print(f"previous run: {previous_run(client, bot_id) or 'never'}")

            conversations = client.runtime.list_conversations(
                sort_field="createdAt", sort_direction="desc"
            ).collect(limit=args.limit)

            # The client is thread-safe: every worker uses the same one (and its connection
            # pool), instead of opening a client per thread.
            with ThreadPoolExecutor(args.workers) as pool:
                counts = list(pool.map(lambda c: count_messages(client, c.id), conversations))
            for conversation, count in zip(conversations, counts, strict=True):
                print(f"{conversation.id}  {conversation.channel:<12} {count:>5} messages")
            print(f"{len(conversations)} conversations, {sum(counts)} messages")

            client.runtime.set_state(
                type="bot",
                id=bot_id,
                name=STATE_NAME,
                payload={"lastRun": datetime.now(timezone.utc).isoformat()},
            )
        except botpress_sync.UnauthorizedError:
            print("the token was refused: check BP_TOKEN", file=sys.stderr)
            return 1
        except botpress_sync.APIError as exc:
            # `error_id` is what Botpress support asks for; the token is never in the message.
            print(f"the API refused a call: {exc} (error id {exc.error_id})", file=sys.stderr)
            return 1
        except botpress_sync.APIConnectionError as exc:
            print(f"could not reach the API: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
