"""``botpress chat``: talk to a bot from the terminal, through the Chat API or the emulator.

Each line typed is sent as a text message; the bot's replies are printed as they arrive.
Keys come from the environment, never from arguments (shell history keeps those):
``BP_CHAT_USER_KEY`` (a stored user key) or ``BP_CHAT_ENCRYPTION_KEY`` with ``--user-id``;
with neither a new user is created. ``--emulator`` talks to an in-process emulator whose
echo bot answers each line with itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any, Final

from botpress_async._errors import ConfigurationError

__all__ = ["build_chat_parser", "run_chat"]

_ENV: Final = """\
environment:
  BP_CHAT_WEBHOOK_ID      the webhook id of the bot's Chat integration (or --webhook-id)
  BP_CHAT_URL             the Chat API's base URL (default https://chat.botpress.cloud)
  BP_CHAT_USER_KEY        connect with this user key
  BP_CHAT_ENCRYPTION_KEY  sign the user's key with the integration's encryption key
"""
# After stdin ends, wait this long without a signal for the last replies (at most _LINGER_MAX).
_QUIET: Final = 1.0
_LINGER_MAX: Final = 10.0


def build_chat_parser() -> argparse.ArgumentParser:
    """The parser of ``botpress chat``."""
    parser = argparse.ArgumentParser(
        prog="botpress chat",
        description="Chat with a bot in the terminal: type a line, see the replies arrive.",
        epilog=_ENV,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--webhook-id", help="the Chat integration's webhook id")
    parser.add_argument("--url", help="the Chat API's base URL")
    parser.add_argument("--user-id", help="the user's id (required with an encryption key)")
    parser.add_argument("--conversation", metavar="ID", help="join or create this conversation")
    parser.add_argument(
        "--emulator", action="store_true", help="talk to an in-process emulator's echo bot"
    )
    return parser


def run_chat(argv: Sequence[str], stdin: IO[str] | None = None, out: IO[str] | None = None) -> int:
    """Run ``botpress chat``; returns the exit status.

    Args:
        argv: the arguments after ``chat``.
        stdin: where lines are read (default: the process's standard input).
        out: where replies are printed (default: standard output).
    """
    args = build_chat_parser().parse_args(list(argv))
    asyncio.run(_main(args, stdin or sys.stdin, out or sys.stdout))
    return 0


def _lines(stream: IO[str], loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    # A daemon thread: a blocked read of a terminal must never hold up the exit.
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        try:
            for line in stream:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="botpress-chat-input", daemon=True).start()
    return queue


def _describe(signal: Any, own_id: str) -> str | None:
    from botpress_async.chat import MessageCreated, Reconnected, UnknownSignal

    if isinstance(signal, MessageCreated):
        if signal.user_id == own_id and not signal.is_bot:
            return None  # the user's own line, already on screen
        who = "bot" if signal.is_bot else signal.user_id or "?"
        body = signal.text
        if body is None:
            body = json.dumps(signal.payload, ensure_ascii=False)
        mark = " (missed while reconnecting)" if signal.replayed else ""
        return f"{who}> {body}{mark}"
    if isinstance(signal, Reconnected):
        return f"[reconnected after {signal.downtime:.1f}s; {signal.replayed} missed message(s)]"
    if isinstance(signal, UnknownSignal):
        return None
    return None


async def _main(args: argparse.Namespace, stdin: IO[str], out: IO[str]) -> None:
    from botpress_async.chat import AsyncChatClient

    if args.emulator:
        from botpress_async.testing import Emulator

        async with Emulator(chat_echo=True) as emu:
            await _talk(AsyncChatClient(emu.chat_webhook_id, url=emu.chat_url), args, stdin, out)
        return
    await _talk(AsyncChatClient(args.webhook_id, url=args.url), args, stdin, out)


async def _talk(chat: Any, args: argparse.Namespace, stdin: IO[str], out: IO[str]) -> None:
    loop = asyncio.get_running_loop()
    async with chat:
        user_key = os.environ.get("BP_CHAT_USER_KEY") or None
        encryption_key = os.environ.get("BP_CHAT_ENCRYPTION_KEY") or None
        if encryption_key is not None and not args.user_id:
            raise ConfigurationError("BP_CHAT_ENCRYPTION_KEY needs --user-id")
        user = await chat.connect(
            user_key=user_key, encryption_key=encryption_key, user_id=args.user_id
        )
        if args.conversation:
            conv = await user.get_or_create_conversation(id=args.conversation)
        else:
            conv = await user.create_conversation()
        conv_id = conv.conversation.id
        out.write(f"connected as {user.user_id} in conversation {conv_id}; Ctrl-D ends\n")
        out.flush()
        last = [loop.time()]
        async with user.listen(conv_id) as events:

            async def show() -> None:
                async for signal in events:
                    last[0] = loop.time()
                    text = _describe(signal, user.user_id)
                    if text is not None:
                        out.write(text + "\n")
                        out.flush()

            printer = asyncio.ensure_future(show())
            try:
                lines = _lines(stdin, loop)
                while (line := await lines.get()) is not None:
                    text = line.strip()
                    if text:
                        payload = {"type": "text", "text": text}
                        await user.create_message(conversation_id=conv_id, payload=payload)
                        last[0] = loop.time()
                ended = loop.time()
                while loop.time() - last[0] < _QUIET and loop.time() - ended < _LINGER_MAX:
                    if printer.done():
                        break
                    await asyncio.sleep(0.05)
            finally:
                # A listener that failed (a refused key, say) re-raises its error here.
                printer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await printer
