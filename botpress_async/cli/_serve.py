"""``botpress serve`` and ``botpress integration``: run and deploy a self-hosted integration or bot.

``serve module:app`` serves an `Integration` or `Bot` found in an importable module.
``integration register`` points an integration at its URL, ``integration key`` makes, lists and
revokes its Integration Access Keys. The admin commands need a Personal Access Token
(``BP_TOKEN``) and a workspace (``BP_WORKSPACE_ID`` or ``--workspace-id``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

from botpress_async.cli._base import EXIT_OK, PROG, UsageError, _Parser, _token_from_env_or_prompt

__all__ = ["main"]

COMMANDS: Final = ("serve", "integration")


def build_serve_parser() -> argparse.ArgumentParser:
    """The parser of ``botpress serve``."""
    parser = _Parser(
        prog=f"{PROG} serve",
        description="Serve an Integration or a Bot until Ctrl-C. Its handlers call the API with "
        "BP_TOKEN (its own key, never a Personal Access Token) at BP_API_URL.",
    )
    parser.add_argument(
        "target", metavar="MODULE:APP", help="e.g. 'myproject.ticketing:integration'"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument(
        "--path", default="/", help="path that takes the operations; make it unguessable"
    )
    return parser


def build_integration_parser() -> argparse.ArgumentParser:
    """The parser of ``botpress integration``."""
    parser = _Parser(
        prog=f"{PROG} integration",
        description="Deploy a self-hosted integration (needs a Personal Access Token in BP_TOKEN).",
    )
    parser.add_argument("--workspace-id", help="the workspace (default BP_WORKSPACE_ID)")
    parser.add_argument("--api-url", help="the API's URL (default BP_API_URL or the public API)")
    commands = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    register = commands.add_parser("register", help="create or update the integration with its URL")
    register.add_argument("--url", required=True, help="where Botpress sends the operations")
    which = register.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", help="the integration's name (created when it is new)")
    which.add_argument("--id", dest="integration_id", help="an existing integration's id")
    register.add_argument("--version", default="0.1.0", help="with --name: the version")
    key = commands.add_parser("key", help="make, list or revoke Integration Access Keys")
    keys = key.add_subparsers(dest="key_action", metavar="KEY_ACTION", required=True)
    create = keys.add_parser("create", help="make a key (shown once)")
    create.add_argument("--integration-id", required=True)
    create.add_argument("--note", default="", help="a note to recognise the key by")
    out = create.add_mutually_exclusive_group(required=True)
    out.add_argument("--show", action="store_true", help="print the key's value on stdout")
    out.add_argument("--output", metavar="FILE", help="write the value to FILE (mode 0600)")
    listing = keys.add_parser("list", help="list a integration's keys (without values)")
    listing.add_argument("--integration-id", required=True)
    revoke = keys.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id", metavar="KEY_ID")
    return parser


def load_app(target: str) -> Any:
    """The `Integration` or `Bot` named by ``module:attribute``.

    Args:
        target: ``package.module:name``, where ``name`` may be dotted.
    """
    from botpress_async._serve import Service

    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(f"expected MODULE:APP such as 'myproject.bot:app', got {target!r}")
    if "" not in sys.path and os.getcwd() not in sys.path:
        # As `python -m` does: modules of the current directory are importable.
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"cannot import {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"{module_name!r} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    if not isinstance(obj, Service):
        raise UsageError(f"{target} is a {type(obj).__name__}, not an Integration or a Bot")
    return obj


def _write_secret(path: str, value: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} exists; the key is not written over a file") from None
    except OSError as exc:
        raise UsageError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")


async def _admin(
    args: argparse.Namespace, token: str, work: Callable[[Any], Awaitable[int]]
) -> int:
    from botpress_async._client import AsyncClient

    async with AsyncClient(token, workspace_id=args.workspace_id, api_url=args.api_url) as client:
        del token
        return await work(client)


def _print(value: Any) -> None:
    sys.stdout.write(json.dumps(value, sort_keys=True) + "\n")


def run_integration(args: argparse.Namespace) -> int:
    """``botpress integration ...``: one admin call, its result as JSON lines."""
    from botpress_async.integration import _deploy

    async def register(client: Any) -> int:
        found = await _deploy.register_integration(
            client,
            url=args.url,
            name=args.name,
            version=args.version,
            integration_id=args.integration_id,
        )
        _print({k: found.get(k) for k in ("id", "name", "version", "url")})
        return EXIT_OK

    async def create(client: Any) -> int:
        key = await _deploy.create_integration_key(client, args.integration_id, note=args.note)
        assert key.value is not None
        if args.output:
            _write_secret(args.output, key.value)
        _print({"id": key.id, "createdAt": key.created_at, "note": key.note})
        if args.show:
            sys.stdout.write(key.value + "\n")
        return EXIT_OK

    async def listing(client: Any) -> int:
        for key in await _deploy.list_integration_keys(client, args.integration_id):
            _print({"id": key.id, "createdAt": key.created_at, "note": key.note})
        return EXIT_OK

    async def revoke(client: Any) -> int:
        await _deploy.revoke_integration_key(client, args.key_id)
        _print({"revoked": args.key_id})
        return EXIT_OK

    if args.action == "register":
        work = register
    else:
        work = {"create": create, "list": listing, "revoke": revoke}[args.key_action]
    if (
        args.action == "key"
        and args.key_action == "create"
        and args.output
        and os.path.exists(args.output)
    ):
        # Refused before the key exists, so no key is made only to be lost.
        raise UsageError(f"{args.output} exists; the key is not written over a file")
    token = _token_from_env_or_prompt(sys.stdin)
    return asyncio.run(_admin(args, token, work))


def main(command: str, argv: Sequence[str]) -> int:
    """Run ``botpress serve`` or ``botpress integration`` with the arguments after the command.

    Args:
        command: ``"serve"`` or ``"integration"``.
        argv: the arguments after the command's name.
    """
    if command == "serve":
        args = build_serve_parser().parse_args(list(argv))
        app = load_app(args.target)
        app.run(args.host, args.port, path=args.path)
        return EXIT_OK
    args = build_integration_parser().parse_args(list(argv))
    return run_integration(args)
