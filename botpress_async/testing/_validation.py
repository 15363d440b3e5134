"""Request and response validation against the documents, with validators compiled once.

jsonschema comes from the optional ``testing`` extra and is imported on first use, so the rest
of the SDK never pays for it.
"""

from __future__ import annotations

import re
from typing import Any, Final

from botpress_async._errors import install_hint

from ._spec import Operation

__all__ = ["MissingDependencyError", "ValidationFailure", "Validators"]

_DATE_TIME: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$"
)
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UUID: Final = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# One @, something on each side, a dot in the domain: what a mail server could route.
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
# An absolute URI: a scheme, a colon, then no white space.
_URI: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


class MissingDependencyError(ImportError):
    """The emulator was started without the ``testing`` extra installed."""


class ValidationFailure(Exception):
    """A value does not match its schema; ``message`` names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _jsonschema() -> Any:
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise MissingDependencyError(
            f"the Botpress emulator validates with jsonschema; {install_hint('testing')}"
        ) from exc
    return jsonschema


def _format_checker(jsonschema: Any) -> Any:
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("date-time")  # type: ignore[untyped-decorator]
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(_DATE_TIME.match(value))

    @checker.checks("date")  # type: ignore[untyped-decorator]
    def _date(value: object) -> bool:
        return not isinstance(value, str) or bool(_DATE.match(value))

    @checker.checks("uuid")  # type: ignore[untyped-decorator]
    def _uuid(value: object) -> bool:
        return not isinstance(value, str) or bool(_UUID.match(value))

    @checker.checks("email")  # type: ignore[untyped-decorator]
    def _email(value: object) -> bool:
        return not isinstance(value, str) or bool(_EMAIL.match(value))

    @checker.checks("uri")  # type: ignore[untyped-decorator]
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI.match(value))

    return checker


_SECTIONS: Final = (("path", "path"), ("query", "query"), ("header", "headers"))


def _plain(schema: dict[str, Any]) -> bool:
    # A parameter whose only rule is "a string": presence is all there is to check.
    return schema == {"type": "string"}


def request_schema(op: Operation, *, skip_plain: bool = False) -> dict[str, Any]:
    """One schema for a whole request: ``path``, ``query``, ``headers`` and ``body``.

    Args:
        op: the operation.
        skip_plain: leave out parameters that are plain strings (checked by hand, faster).
    """
    sections: dict[str, Any] = {}
    for location, key in _SECTIONS:
        params = [
            p for p in op.params if p.location == location and not (skip_plain and _plain(p.schema))
        ]
        sections[key] = {
            "type": "object",
            "properties": {p.name: p.schema for p in params},
            "required": [p.name for p in params if p.required],
        }
    required = ["path", "query", "headers"]
    if op.body_schema is not None:
        sections["body"] = op.body_schema
        if op.body_required:
            required.append("body")
    return {"type": "object", "properties": sections, "required": required}


def plain_required(op: Operation) -> tuple[tuple[str, str], ...]:
    """The required plain-string parameters of ``op``, as (section, name) pairs."""
    return tuple(
        (key, p.name)
        for location, key in _SECTIONS
        for p in op.params
        if p.location == location and p.required and _plain(p.schema)
    )


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((k for k in error.validator_value if k not in error.instance), "?")
        field = f"{location}.{missing}" if location else str(missing)
        return f"{field} is required"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        unknown = [k for k in error.instance if k not in known]
        field = f"{location}.{unknown[0]}" if location and unknown else location
        return f"{field} is not an accepted field"
    return f"{location or 'request'}: {error.message}"


class Validators:
    """Compiled request and response validators for every operation, built on first use."""

    def __init__(self) -> None:
        self._jsonschema = _jsonschema()
        self._checker = _format_checker(self._jsonschema)
        self._requests: dict[str, tuple[tuple[tuple[str, str], ...], Any]] = {}
        self._responses: dict[str, Any] = {}
        self._best_match = self._jsonschema.exceptions.best_match

    def _compile(self, schema: dict[str, Any]) -> Any:
        return self._jsonschema.Draft7Validator(schema, format_checker=self._checker)

    def check_request(self, op: Operation, request: dict[str, Any]) -> None:
        """Raise ``ValidationFailure`` naming the first bad field of ``request``.

        ``request`` has the sections ``path``, ``query``, ``headers`` and (when the operation
        takes one) ``body``. Plain string parameters are checked by hand; jsonschema sees the
        rest only, which keeps simple GETs cheap.
        """
        plan = self._requests.get(op.operation_id)
        if plan is None:
            rest = [p for p in op.params if not _plain(p.schema)]
            compiled = None
            if rest or op.body_schema is not None:
                compiled = self._compile(request_schema(op, skip_plain=True))
            plan = self._requests[op.operation_id] = (plain_required(op), compiled)
        for section, name in plan[0]:
            if name not in request[section]:
                raise ValidationFailure(f"{section}.{name} is required")
        validator = plan[1]
        if validator is None or validator.is_valid(request):
            return
        error = self._best_match(validator.iter_errors(request))
        if error is not None:
            raise ValidationFailure(_describe(error))

    def check_response(self, op: Operation, body: Any) -> None:
        """Raise ``ValidationFailure`` when ``body`` is outside the operation's response schema."""
        validator = self._responses.get(op.operation_id)
        if validator is None:
            validator = self._responses[op.operation_id] = self._compile(op.response_schema)
        error = self._best_match(validator.iter_errors(body))
        if error is not None:
            raise ValidationFailure(f"response of {op.operation_id}: {_describe(error)}")
