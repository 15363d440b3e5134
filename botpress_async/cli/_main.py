"""The ``botpress`` command (also ``python -m botpress_async``): call, emulator, demo.

Exit statuses: 0 success; 1 the API or the connection failed (or a demo step did); 2 a usage
or configuration error, caught before anything was sent; 130 interrupted.

The token is read from ``BP_TOKEN`` or, when that is unset and standard input is a terminal,
from a prompt that does not echo; never from an argument, which would end up in shell history.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import re
import sys
from collections.abc import Awaitable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Final

from botpress_async._config import HEADER_TO_ARG
from botpress_async._errors import BotpressError, ConfigurationError, ScopeError
from botpress_async._types import NotGiven, NotGivenOr
from botpress_async._version import __version__
from botpress_async.cli._base import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    UsageError,
    _Parser,
    _token_from_env_or_prompt,
)

if TYPE_CHECKING:
    from botpress_async._pagination import AsyncPager

__all__ = ["main"]

_EXIT_TABLE: Final = """\
exit statuses:
  0    success
  1    the API answered with an error, the connection failed, or a demo step failed
  2    usage or configuration error (bad arguments, unknown operation, invalid JSON,
       missing token or id); nothing was sent
  130  interrupted (Ctrl-C)
"""

_ENV_TABLE: Final = """\
environment:
  BP_TOKEN           the token (Personal Access Token, Bot Access Key or Integration
                     Access Key); prompted for when unset and stdin is a terminal
  BP_BOT_ID          the bot id (x-bot-id), needed by the runtime, files and tables APIs
  BP_WORKSPACE_ID    the workspace id (x-workspace-id), needed by most admin operations
  BP_INTEGRATION_ID  the integration id (x-integration-id)
  BP_API_URL         the API's URL (default https://api.botpress.cloud)
"""

_DEMO_ENV_TABLE: Final = """\
environment:
  BP_TOKEN           unset: the demo runs on an embedded emulator (no account, no
                     network, no prompt); set: it runs against the API with this token
                     (a Bot Access Key or a Personal Access Token)
  BP_BOT_ID          with BP_TOKEN: the bot to work in (required)
  BP_WORKSPACE_ID    with BP_TOKEN: the bot's workspace (required for a Personal Access Token)
  BP_API_URL         with BP_TOKEN: the API's URL (default https://api.botpress.cloud;
                     --api-url wins over it)
"""

_CALL_EXAMPLES: Final = """\
examples:
  botpress call getUser '{"id": "user_123"}'
  botpress call listUsers --all            # every user of every page, one JSON per line
  echo '{"id": "user_123"}' | botpress call getUser -
  botpress call createTableRows @rows.json
  botpress call --list                     # every operationId
"""


COMMANDS: Final = ("call", "emulator", "demo", "serve", "integration", "chat", "tables")


# -- pure helpers ---------------------------------------------------------------------------


def one_line(text: str) -> str:
    """``text`` with its whitespace runs (newlines included) collapsed to single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def help_hint(command: str | None) -> str:
    """Where a usage error sends the reader: ``see 'botpress call --help'``."""
    return f"see '{PROG} {command} --help'" if command else f"see '{PROG} --help'"


def error_line(exc: BaseException, hint: str | None = None) -> str:
    """The one line printed for an error: ``botpress: <ErrorClass>: message (hint)``.

    The library's advice in Python terms is told in the command's terms (`cli_message`).
    """
    message = cli_message(exc)
    if hint:
        message = f"{message} ({hint})" if message else hint
    name = type(exc).__name__
    return f"{PROG}: {name}: {message}" if message else f"{PROG}: {name}"


#: Context header -> the ``call`` option and the variable that set it.
_CONTEXT_SOURCES: Final = {
    "x-bot-id": ("--bot-id", "BP_BOT_ID"),
    "x-workspace-id": ("--workspace-id", "BP_WORKSPACE_ID"),
    "x-integration-id": ("--integration-id", "BP_INTEGRATION_ID"),
}

#: Client argument -> how the command sets it, for messages that name the argument.
_ARGUMENT_SOURCES: Final = {
    "bot_id": "--bot-id / BP_BOT_ID",
    "workspace_id": "--workspace-id / BP_WORKSPACE_ID",
    "integration_id": "--integration-id / BP_INTEGRATION_ID",
    "api_url": "--api-url / BP_API_URL",
    "token_kind": "--token-kind",
}


def _context_advice(header: str) -> str:
    source = _CONTEXT_SOURCES.get(header)
    if source is None:
        return "the command line has no option for it"
    flag, variable = source
    return f"pass {flag} or set {variable}"


def cli_message(exc: BaseException) -> str:
    """The one-line message of ``exc``, its Python advice retold for the command line (pure).

    The library tells a Python caller which argument to pass (``bot_id=``, ``extra_body=``);
    at the command line the same fix is an option or an environment variable, and some
    (extra fields) have none. A `ConfigurationError` says which argument, variable and
    header it is about, so the advice is built from those fields; its Python advice
    (``fix``) is left out.
    """
    if isinstance(exc, ScopeError):
        return (
            f"the token ({exc.token_kind}) cannot call the {exc.api} API: it reaches only "
            f"{', '.join(exc.reachable)}. Use a Personal Access Token for the {exc.api} API, "
            f"or --token-kind if the kind of BP_TOKEN was detected wrongly"
        )
    if not isinstance(exc, ConfigurationError):
        return one_line(str(exc))
    problem = one_line(exc.problem)
    source = _ARGUMENT_SOURCES.get(exc.argument or "")
    if source is not None and exc.argument is not None and problem.startswith(exc.argument):
        problem = source + problem[len(exc.argument) :]
    advice = _cli_advice(exc)
    if advice is None:
        return problem
    return f"{problem}: {advice}" if exc.header in HEADER_TO_ARG else f"{problem}; {advice}"


def _cli_advice(exc: ConfigurationError) -> str | None:
    """How to fix ``exc`` from the command line, from its fields; None when it has no way."""
    if exc.fix is None:
        return None  # the problem says it all ("use https", "strip it first")
    if exc.header is not None and exc.header in HEADER_TO_ARG:
        return _context_advice(exc.header)
    if exc.header is not None and exc.argument is None:
        return "give it in the INPUT object"  # a header of the operation, not of the client
    if exc.env_var is not None and exc.argument not in _ARGUMENT_SOURCES:
        return f"set {exc.env_var}"  # the token: the command reads it from its variable only
    return None


def exit_status_of(exc: BaseException) -> int:
    """The exit status for an exception the SDK raised."""
    if isinstance(exc, (ConfigurationError, UsageError)):
        return EXIT_USAGE  # raised before anything was sent
    return EXIT_FAILED


def suggest_operations(name: str, known: Sequence[str], n: int = 3) -> list[str]:
    """The known operationIds nearest to ``name`` (case-insensitively), best first."""
    by_lower = {k.lower(): k for k in known}
    near = difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.5)
    return [by_lower[k] for k in near]


def parse_input(text: str, source: str) -> dict[str, Any]:
    """Decode the call's JSON input, which must be an object; `UsageError` says where not.

    Args:
        text: the JSON text.
        source: where it came from, for the message (``"argument"``, ``"stdin"``, a file).
    """
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"invalid JSON input ({source}) at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(value, dict):
        raise UsageError(
            f"the input ({source}) must be a JSON object of the operation's parameters, "
            f"not {type(value).__name__}"
        )
    return value


def read_input(arg: str | None, stdin: IO[str]) -> dict[str, Any]:
    """The call's input from its argument: JSON text, ``-`` for stdin, ``@path``; none is ``{}``."""
    if arg is None:
        return {}
    if arg == "-":
        return parse_input(stdin.read(), "stdin")
    if arg.startswith("@"):
        path = arg[1:]
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the input file {path!r}: {exc}") from None
        return parse_input(text, path)
    return parse_input(arg, "argument")


def page_items(page: Any) -> list[Any] | None:
    """The items of a list operation's page: its only array field besides ``meta``, if any."""
    if not isinstance(page, Mapping):
        return None
    arrays = [v for k, v in page.items() if k != "meta" and isinstance(v, list)]
    return arrays[0] if len(arrays) == 1 else None


def next_token_of(page: Any) -> str | None:
    """The ``meta.nextToken`` of a page, when it names a next page."""
    meta = page.get("meta") if isinstance(page, Mapping) else None
    token = meta.get("nextToken") if isinstance(meta, Mapping) else None
    return token if isinstance(token, str) and token else None


def dump_json(value: Any, *, compact: bool) -> str:
    """JSON text for the output: indented, or on one line (``compact``)."""
    if compact:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False, indent=2)


# -- the parser -----------------------------------------------------------------------------


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``botpress`` argument parser with its ``call``, ``emulator`` and ``demo`` commands."""
    return build_parsers()[0]


def build_parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The ``botpress`` parser, and the parser of each command by name."""
    parser = _Parser(
        prog=PROG,
        description="Command line of the Botpress Cloud API Python SDK.",
        epilog=_EXIT_TABLE + "\n" + _ENV_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    call = commands.add_parser(
        "call",
        help="call any operation by its operationId and print the JSON answer",
        description=(
            "Call one operation of the API by its official operationId, with its input as "
            "a JSON object (path, query, header and body fields together, in camelCase, "
            "as the TypeScript client takes them), and print the answer as JSON."
        ),
        epilog=_CALL_EXAMPLES + "\n" + _EXIT_TABLE + "\n" + _ENV_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    call.add_argument("operation_id", nargs="?", metavar="OPERATION_ID", help="e.g. getUser")
    call.add_argument(
        "input",
        nargs="?",
        metavar="INPUT",
        help="JSON object text, '-' to read it from stdin, or @file.json (default: {})",
    )
    call.add_argument("--api-url", help="the API's URL (default: BP_API_URL, or the cloud)")
    call.add_argument("--bot-id", help="x-bot-id (default: BP_BOT_ID)")
    call.add_argument("--workspace-id", help="x-workspace-id (default: BP_WORKSPACE_ID)")
    call.add_argument("--integration-id", help="x-integration-id (default: BP_INTEGRATION_ID)")
    call.add_argument(
        "--token-kind",
        choices=["pat", "bak", "iak", "unknown"],
        help="the kind of BP_TOKEN, when its prefix does not tell (an Integration Access Key)",
    )
    call.add_argument(
        "--timeout", type=_positive_float, metavar="SECONDS", help="time limit per attempt"
    )
    call.add_argument(
        "--all",
        action="store_true",
        help="for list operations: walk every page and print each item as one JSON line",
    )
    call.add_argument("--compact", action="store_true", help="print the answer on one line")
    call.add_argument(
        "--list", action="store_true", help="print every operationId with its summary and exit"
    )

    emulator = commands.add_parser(
        "emulator",
        help="serve the local API emulator until Ctrl-C (see 'botpress emulator --help')",
        add_help=False,
    )

    commands.add_parser(
        "chat",
        help="chat with a bot in the terminal (see 'botpress chat --help')",
        add_help=False,
    )

    demo = commands.add_parser(
        "demo",
        help="the tour: an async flow, the blocking client and a bulk job",
        description=(
            "Show the three uses of the SDK: an async service flow with AsyncClient, the same "
            "through the blocking botpress_sync.Client, and a bulk job (table rows and files) "
            "with a throughput summary. Without BP_TOKEN it runs against an embedded emulator "
            "(no account, no network); with BP_TOKEN and BP_BOT_ID (and BP_WORKSPACE_ID for a "
            "Personal Access Token) it runs against the API and removes what it made."
        ),
        epilog=_EXIT_TABLE + "\n" + _DEMO_ENV_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--rows", type=int, default=5000, metavar="N", help="table rows to upsert (5000)"
    )
    demo.add_argument("--files", type=int, default=100, metavar="N", help="files to upload (100)")
    demo.add_argument(
        "--file-size", type=int, default=16, metavar="KIB", help="size of each file, KiB (16)"
    )
    demo.add_argument("--no-progress", action="store_true", help="draw no progress bars")
    demo.add_argument(
        "--keep", action="store_true", help="keep the table and the files it made (real API)"
    )
    demo.add_argument(
        "--faults",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="emulator only: answer this share of requests (0 to 1) with 429, to show retries",
    )
    demo.add_argument("--api-url", help="the API's URL with BP_TOKEN (default: BP_API_URL)")
    from botpress_async.cli import _tables

    tables = _tables.add_parser(commands)
    return parser, {"call": call, "emulator": emulator, "demo": demo, "tables": tables}


# -- call -----------------------------------------------------------------------------------


def _pages(client: Any, operation_id: str, params: dict[str, Any]) -> AsyncPager[Any, Any]:
    """Every page of a list operation, through the library's pager (``meta.nextToken``)."""
    from botpress_async._pagination import AsyncPager

    def fetch(token: NotGivenOr[str]) -> Awaitable[Any]:
        given = params if isinstance(token, NotGiven) else {**params, "nextToken": token}
        return client.call(operation_id, given)  # type: ignore[no-any-return]

    return AsyncPager(fetch, items=lambda page: page_items(page) or [], next_token=next_token_of)


async def _run_call(args: argparse.Namespace, params: dict[str, Any], token: str) -> int:
    from botpress_async._client import AsyncClient

    out = sys.stdout
    kwargs: dict[str, Any] = {
        "token_kind": args.token_kind,
        "bot_id": args.bot_id,
        "workspace_id": args.workspace_id,
        "integration_id": args.integration_id,
        "api_url": args.api_url,
    }
    if args.timeout is not None:
        kwargs["timeout"] = args.timeout
    async with AsyncClient(token, **kwargs) as client:
        del token
        if not args.all:
            answer = await client.call(args.operation_id, params)
            out.write(dump_json(answer, compact=args.compact) + "\n")
            return EXIT_OK
        async for page in _pages(client, args.operation_id, params).pages():
            items = page_items(page)
            for item in items if items is not None else [page]:
                out.write(dump_json(item, compact=True) + "\n")
            out.flush()
    return EXIT_OK


def run_call(args: argparse.Namespace, stdin: IO[str]) -> int:
    """``botpress call``: check the operation and input, get the token, call, print."""
    from botpress_async._operations import OPERATIONS

    if args.list:
        from botpress_async._summaries import SUMMARIES

        width = max(map(len, OPERATIONS))
        lines = (f"{op:<{width}}  {SUMMARIES.get(op, '')}".rstrip() for op in sorted(OPERATIONS))
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        return EXIT_OK
    if args.operation_id is None:
        raise UsageError("give an OPERATION_ID (botpress call --list prints them all)")
    spec = OPERATIONS.get(args.operation_id)
    if spec is None:
        near = suggest_operations(args.operation_id, list(OPERATIONS))
        hint = f"; did you mean {', '.join(near)}?" if near else " (botpress call --list)"
        raise UsageError(f"unknown operationId {args.operation_id!r}{hint}")
    if args.all and not spec.paginated:
        raise UsageError(f"--all walks the pages of list operations; {args.operation_id} has none")
    params = read_input(args.input, stdin)
    token = _token_from_env_or_prompt(stdin)
    return asyncio.run(_run_call(args, params, token))


# -- emulator and demo ----------------------------------------------------------------------


def run_emulator(argv: Sequence[str]) -> int:
    """``botpress emulator``: the ``python -m botpress_async.testing`` command, renamed."""
    try:
        from botpress_async.testing.__main__ import main as emulator_main

        return emulator_main(argv, prog=f"{PROG} emulator", parser_class=_Parser)
    except ImportError as exc:  # MissingDependencyError included: jsonschema is not installed
        raise UsageError(str(exc)) from None


def run_demo(args: argparse.Namespace) -> int:
    """``botpress demo``: see `botpress_async.cli._demo`."""
    for name in ("rows", "files", "file_size"):
        if getattr(args, name) < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be 0 or more")
    if not 0.0 <= args.faults <= 1.0:
        raise UsageError("--faults is a share of requests, from 0 to 1")
    from botpress_async.cli._demo import run

    return run(
        rows=args.rows,
        files=args.files,
        file_size=args.file_size * 1024,
        progress=not args.no_progress,
        keep=args.keep,
        faults=args.faults,
        api_url=args.api_url,
    )


# -- entry point ----------------------------------------------------------------------------


def command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs (its first argument, when that names one), else ``None``."""
    return argv[0] if argv and argv[0] in COMMANDS else None


def _dispatch(argv: list[str]) -> int:
    command = command_of(argv)
    if command == "emulator":
        # Handed over whole: its options belong to the emulator's own parser.
        return run_emulator(argv[1:])
    if command in ("serve", "integration"):
        from botpress_async.cli._serve import main as serve_main

        return serve_main(command, argv[1:])
    if command == "chat":
        from botpress_async.cli._chat import run_chat

        return run_chat(argv[1:])
    top, parsers = build_parsers()
    if not argv:
        top.print_help()  # nothing asked: say what can be asked
        return EXIT_OK
    if command is None:
        top.parse_args(argv)  # --help, --version, or a usage error: it does not return
        raise UsageError("put the COMMAND first")  # not reached: a parse returns with one
    if command == "tables":
        from botpress_async.cli import _tables

        return _tables.run(parsers[command].parse_args(argv[1:]))
    # Intermixed: options may come before, between or after OPERATION_ID and INPUT; a plain
    # parse stops filling the positionals at the first option and refuses what follows.
    args = parsers[command].parse_intermixed_args(argv[1:])
    if command == "call":
        return run_call(args, sys.stdin)
    return run_demo(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``botpress`` command; returns its exit status (0, 1, 2 or 130).

    Args:
        argv: the arguments after the program name (default: the command line's).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(arguments)
    except (BotpressError, UsageError) as exc:
        status = exit_status_of(exc)
        hint = help_hint(command_of(arguments)) if status == EXIT_USAGE else None
        sys.stderr.write(error_line(exc, hint) + "\n")
        return status
    except SystemExit as exc:
        # argparse exits for --help, --version and usage errors; main returns a status instead.
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): not an error of ours. Point stdout at devnull so
        # the interpreter's final flush does not complain about the closed pipe once more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
