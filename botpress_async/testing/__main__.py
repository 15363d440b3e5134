"""``python -m botpress_async.testing``: serve the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import signal
import sys
from collections.abc import Sequence
from typing import Any

from ._emulator import Emulator
from ._faults import FaultRule, Faults

_PROG = "python -m botpress_async.testing"


def _parser(
    prog: str = _PROG, parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = parser_class(
        prog=prog,
        description="Serve a local Botpress API emulator on 127.0.0.1 until stopped.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of ids, tokens and faults (default: %(default)s)"
    )
    parser.add_argument(
        "--page-size", type=int, default=20, help="items per page of lists (default: %(default)s)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        type=parse_fault,
        metavar="kind=K,operation=OP,...",
        help="inject a fault (FaultRule fields as key=value pairs); may be repeated",
    )
    return parser


_NUMBERS = {"probability": float, "retry_after": float, "delay": float, "times": int, "status": int}


def parse_fault(text: str) -> FaultRule:
    """A fault rule from ``kind=status,status=503,operation=getUser,probability=0.1``."""
    options: dict[str, Any] = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in {"kind", "operation", "route", *_NUMBERS}:
            raise argparse.ArgumentTypeError(f"not a fault field: {part!r}")
        try:
            options[key] = _NUMBERS[key](value) if key in _NUMBERS else value
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{key} needs a number, not {value!r}") from exc
    if "kind" not in options:
        raise argparse.ArgumentTypeError("a fault needs kind=...")
    try:
        return FaultRule(**options)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def describe(emu: Emulator) -> str:
    """The lines printed at start, which a POSIX shell can source: the URL, tokens and ids.

    ``BP_TOKEN`` is the Bot Access Key, so the bot's APIs work at once; the Personal Access
    Token and the Integration Access Key follow under names of their own.
    """
    fields = {
        "BP_API_URL": emu.url,
        "BP_TOKEN": emu.bak,
        "BP_BOT_ID": emu.bot_id,
        "BP_WORKSPACE_ID": emu.workspace_id,
        "BP_INTEGRATION_ID": emu.integration_id,
        "BP_EMULATOR_PAT": emu.pat,
        "BP_EMULATOR_IAK": emu.iak,
        # Where `botpress chat` finds the emulated Chat integration.
        "BP_CHAT_URL": emu.chat_url,
        "BP_CHAT_WEBHOOK_ID": emu.chat_webhook_id,
    }
    lines = [f"export {key}={shlex.quote(value)}" for key, value in fields.items()]
    return "\n".join(["# the Botpress API emulator; source these lines to use it", *lines])


async def serve(emu: Emulator) -> None:
    """Serve until SIGINT or SIGTERM, then close every connection."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with emu:
        print(describe(emu), flush=True)
        await stop.wait()
    print("stopped", flush=True)


def main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = _PROG,
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
) -> int:
    """Parse the arguments and serve; returns the exit status.

    Args:
        argv: the arguments (default: the command line's).
        prog: the command's name in usage and error messages (``botpress emulator`` shares it).
        parser_class: the argument parser to use (``botpress`` reports usage errors in one
            line with its own).
    """
    args = _parser(prog, parser_class).parse_args(argv)
    emu = Emulator(
        host=args.host,
        port=args.port,
        seed=args.seed,
        page_size=args.page_size,
        faults=Faults(args.seed, args.fault),
    )
    try:
        asyncio.run(serve(emu))
    except OSError as exc:  # the address is taken, or not ours to listen on
        reason = exc.strerror or str(exc)
        sys.stderr.write(
            f"{prog}: cannot listen on {args.host}:{args.port}: {reason}; "
            "pick another --port (0 picks a free one)\n"
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
