"""The command line's pure helpers: input parsing, pages, suggestions, error lines."""

from __future__ import annotations

import io

import pytest

from botpress_async import APIError, ConfigurationError, ResourceNotFoundError
from botpress_async.cli import _main as _cli


def test_input_forms() -> None:
    """No input is {}; JSON text, ``-`` (stdin) and blank text all give the object."""
    stdin = io.StringIO('{"id": "a"}')
    assert _cli.read_input(None, stdin) == {}
    assert _cli.read_input('{"id": "b"}', stdin) == {"id": "b"}
    assert _cli.read_input("-", stdin) == {"id": "a"}
    assert _cli.parse_input("  \n", "stdin") == {}


def test_invalid_input_names_its_source_and_position() -> None:
    """A JSON mistake is reported with where the input came from, its line and column."""
    with pytest.raises(_cli.UsageError, match=r"\(stdin\) at line 2, column 3"):
        _cli.parse_input("{\n  x}", "stdin")


def test_page_items_and_next_token() -> None:
    """A page's items are its one array besides meta; its next page is meta.nextToken."""
    page = {"users": [{"id": 1}], "meta": {"nextToken": "p2"}}
    assert _cli.page_items(page) == [{"id": 1}]
    assert _cli.next_token_of(page) == "p2"
    assert _cli.next_token_of({"users": [], "meta": {}}) is None
    assert _cli.next_token_of({"users": [], "meta": {"nextToken": ""}}) is None
    assert _cli.page_items({"a": [], "b": []}) is None  # ambiguous: the page is printed whole
    assert _cli.page_items([1]) is None


def test_suggestions_ignore_case() -> None:
    """Suggestions are the nearest operationIds, whatever the case of the misspelling."""
    known = ["getUser", "getUsage", "listUsers", "createTable"]
    assert _cli.suggest_operations("GETUSER", known)[0] == "getUser"
    assert _cli.suggest_operations("zzzz", known) == []


def test_error_line_and_exit_status() -> None:
    """Errors become one line ``botpress: Class: message``; nothing-sent errors exit 2."""
    api = ResourceNotFoundError(
        "user 'a'\ndoes not exist",
        status=404,
        type="ResourceNotFound",
        error_id="err_1",
        method="GET",
        path="/v1/chat/users/a",
    )
    line = _cli.error_line(api)
    assert line == (
        "botpress: ResourceNotFoundError: ResourceNotFound (404) on GET /v1/chat/users/a: "
        "user 'a' does not exist [err_1]"
    )
    assert _cli.exit_status_of(api) == 1
    assert _cli.exit_status_of(APIError("x", status=500)) == 1
    assert _cli.exit_status_of(ConfigurationError("x")) == 2
    assert _cli.exit_status_of(_cli.UsageError("x")) == 2
