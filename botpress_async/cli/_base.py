"""What every ``botpress`` command shares: exit statuses, the usage error, the parser, the token.

A leaf of the command line: `botpress_async.cli._main` and the commands in their own modules
(``serve``, ``integration``, ``tables``) import it, so none of them imports another.
"""

from __future__ import annotations

import argparse
import os
from typing import IO, Final, NoReturn

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "UsageError",
    "_Parser",
    "_token_from_env_or_prompt",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130

PROG: Final = "botpress"


class UsageError(Exception):
    """A mistake in the command line or its input; reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors become `UsageError`: one line, not usage plus message."""

    def error(self, message: str) -> NoReturn:
        """Raise the mistake as a `UsageError` for `main` to print in one line."""
        raise UsageError(message)


def _token_from_env_or_prompt(stdin: IO[str]) -> str:
    """BP_TOKEN, or a hidden prompt when standard input is a terminal; `UsageError` otherwise."""
    token = os.environ.get("BP_TOKEN")
    if token:
        return token
    if stdin.isatty():
        import getpass

        try:
            token = getpass.getpass("Botpress token (input hidden): ")
        except EOFError:
            token = ""
        if token.strip():
            return token.strip()
        raise UsageError("no token given")
    raise UsageError(
        "no token: set BP_TOKEN (a Personal Access Token, Bot Access Key or Integration "
        "Access Key); tokens are never taken from arguments"
    )
