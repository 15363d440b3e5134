"""Decoding and encoding of the schemas that are easy to get wrong, with the generated models."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from botpress_async._converter import ResponseDecodeError, structure, unstructure
from botpress_async._types import NOT_GIVEN
from botpress_async.models import admin, billing, runtime, tables

MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "createdAt": "2026-01-02T03:04:05.000Z",
    "updatedAt": "2026-01-02T03:04:05.000Z",
    "type": "text",
    "payload": {"text": "hi", "nested": [[1, 2], [3]]},
    "direction": "incoming",
    "userId": "user_1",
    "conversationId": "conv_1",
    "tags": {"a": "b"},
}


def test_fields_are_snake_case_and_wire_names_stay_in_the_converter() -> None:
    """A message decodes into snake_case fields; its attrs fields carry no camelCase alias."""
    message = structure(MESSAGE, runtime.Message)
    assert message.user_id == "user_1"
    assert message.conversation_id == "conv_1"
    assert message.origin is None
    assert all(f.alias == f.name for f in attrs.fields(runtime.Message))
    assert unstructure(message) == MESSAGE


def test_unknown_fields_are_kept_and_readable() -> None:
    """Properties a newer server adds do not fail and come back through extra_fields and to_dict."""
    message = structure({**MESSAGE, "reactions": ["+1"]}, runtime.Message)
    assert message.extra_fields == {"reactions": ["+1"]}
    assert message.to_dict()["reactions"] == ["+1"]


def test_unknown_enum_values_pass_through() -> None:
    """An enum value the documents do not list decodes as the plain string."""
    message = structure({**MESSAGE, "direction": "sideways"}, runtime.Message)
    assert message.direction == "sideways"


def test_free_form_values_and_nested_arrays_are_untouched() -> None:
    """A payload (an object of any JSON) keeps nested arrays exactly as sent."""
    message = structure(MESSAGE, runtime.Message)
    assert message.payload == {"text": "hi", "nested": [[1, 2], [3]]}


def test_required_nullable_field_accepts_null() -> None:
    """A required field the document marks nullable decodes JSON null as None."""
    event = structure(
        {
            "id": "evt_1",
            "createdAt": "2026-01-02T03:04:05.000Z",
            "type": "custom",
            "payload": {},
            "status": "pending",
            "failureReason": None,
        },
        runtime.Event,
    )
    assert event.failure_reason is None
    assert event.conversation_id is None


@pytest.mark.parametrize(
    ("method", "expected"),
    [(None, None), ({"id": "pm_1", "type": "card", "card": None}, "card")],
    ids=["null-model", "model-with-null-inside"],
)
def test_nullable_model(method: Any, expected: str | None) -> None:
    """A nullable object decodes to None or to its model, whose own nullable parts may be None."""
    decoded = structure({"paymentMethod": method}, billing.GetPaymentMethodResponse)
    if expected is None:
        assert decoded.payment_method is None
    else:
        assert decoded.payment_method is not None
        assert decoded.payment_method.type == expected
        assert decoded.payment_method.card is None


def test_map_of_models() -> None:
    """An object whose values are objects decodes every value into its model."""
    row = structure(
        {
            "id": 1,
            "computed": {"summary": {"status": "done", "updatedBy": "user", "updatedAt": "x"}},
            "stale": ["summary"],
        },
        tables.Row,
    )
    assert isinstance(row.computed["summary"], tables.RowComputedValue)
    assert row.computed["summary"].status == "done"


def test_nullable_any_value() -> None:
    """A property without a type takes any JSON value, null included."""
    for value in (None, 3, "x", [1, {"a": None}], {"k": [True]}):
        decoded = structure({"value": value}, admin.GetAccountPreferenceResponse)
        assert decoded.value == value


def test_missing_required_field_is_one_sdk_error() -> None:
    """A response without a required property raises ResponseDecodeError when it is read."""
    broken = {k: v for k, v in MESSAGE.items() if k != "userId"}
    response = structure({"message": broken}, runtime.GetMessageResponse)
    with pytest.raises(ResponseDecodeError, match="Message"):
        _ = response.message.user_id
    assert response.message.conversation_id == MESSAGE["conversationId"]


def test_a_response_that_is_not_an_object_fails_at_once() -> None:
    """A list where the document says object raises ResponseDecodeError from the call itself."""
    with pytest.raises(ResponseDecodeError, match="expected a JSON object"):
        structure([MESSAGE], runtime.Message)


def test_decoding_is_lazy_and_fills_every_field_on_first_read() -> None:
    """Nothing is decoded until a field is read; then all fields hold plain values."""
    message = structure(MESSAGE, runtime.Message)
    assert message.id == "msg_1"
    assert object.__getattribute__(message, "tags") == {"a": "b"}


def test_request_model_leaves_out_what_was_not_given() -> None:
    """A model the SDK sends omits fields left NOT_GIVEN and sends None as null."""
    schedule = runtime.CreateEventBodySchedule(delay=5.0)
    assert schedule.date_time is NOT_GIVEN
    assert unstructure(schedule) == {"delay": 5.0}
    assert schedule.to_dict() == {"delay": 5.0}


def test_models_are_frozen_and_keyword_only() -> None:
    """Models refuse positional arguments and assignment."""
    message = structure(MESSAGE, runtime.Message)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        message.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        runtime.CreateEventBodySchedule(5.0)  # type: ignore[misc]


def test_from_dict_and_equality() -> None:
    """from_dict builds the same model as the converter, and equal JSON gives equal models."""
    assert runtime.Message.from_dict(MESSAGE) == structure(dict(MESSAGE), runtime.Message)
