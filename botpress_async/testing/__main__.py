"""``python -m botpress_async.testing``: serve the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import Any

from ._emulator import Emulator
from ._faults import FaultRule, Faults

_PROG = "python -m botpress_async.testing"


def _parser(prog: str = _PROG) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    """The lines printed at start: the URL, then the ready tokens and ids."""
    fields = {
        "url": emu.url,
        "pat": emu.pat,
        "bak": emu.bak,
        "iak": emu.iak,
        "bot_id": emu.bot_id,
        "workspace_id": emu.workspace_id,
        "integration_id": emu.integration_id,
        # Where `botpress chat --url ... --webhook-id ...` finds the emulated Chat integration.
        "chat_url": emu.chat_url,
        "chat_webhook_id": emu.chat_webhook_id,
    }
    return "\n".join(f"{key}={value}" for key, value in fields.items())


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


def main(argv: Sequence[str] | None = None, *, prog: str = _PROG) -> int:
    """Parse the arguments and serve; returns the exit status.

    Args:
        argv: the arguments (default: the command line's).
        prog: the command's name in usage and error messages (``botpress emulator`` shares it).
    """
    args = _parser(prog).parse_args(argv)
    emu = Emulator(
        host=args.host,
        port=args.port,
        seed=args.seed,
        page_size=args.page_size,
        faults=Faults(args.seed, args.fault),
    )
    asyncio.run(serve(emu))
    return 0


if __name__ == "__main__":
    sys.exit(main())
