"""Models decoded from responses: filled at the call, lenient on bad data, strict on request."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from botpress_async import MalformedFieldError, ResponseDecodeError, strict_decoding
from botpress_async._converter import structure
from botpress_async.models.runtime import ListMessagesResponse, Message


def _message(**changes: Any) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": "msg_1",
        "createdAt": "2026-01-02T03:04:05.000Z",
        "updatedAt": "2026-01-02T03:04:05.000Z",
        "type": "text",
        "payload": {"text": "hi"},
        "direction": "incoming",
        "userId": "user_1",
        "conversationId": "conv_1",
        "tags": {},
        "fromANewerServer": [1, 2],
    }
    wire.update(changes)
    return {k: v for k, v in wire.items() if v is not ...}


def test_a_decoded_model_is_a_plain_attrs_model() -> None:
    """Built, compared, evolved and matched like one the user builds; unknown fields kept."""
    wire = _message()
    decoded = structure(wire, Message)
    fields = {a.name: getattr(decoded, a.name) for a in attrs.fields(Message)}
    assert decoded == Message(**fields)
    assert decoded.extra_fields == {"fromANewerServer": [1, 2]}
    assert decoded.to_dict() == wire
    assert attrs.evolve(decoded, id="msg_2").id == "msg_2"
    match decoded:
        case Message(direction="incoming", user_id=user):
            assert user == "user_1"
        case _:
            pytest.fail("a decoded Message did not match its class pattern")
    assert repr(decoded).startswith("Message(id='msg_1', created_at=")


def test_a_malformed_field_raises_on_read_as_an_attribute_error() -> None:
    """Lenient by default: the call succeeds; the bad field's read raises an error that is
    both a ResponseDecodeError and an AttributeError, so hasattr and getattr behave."""
    decoded = structure(_message(updatedAt=...), Message)
    assert decoded.id == "msg_1"
    with pytest.raises(MalformedFieldError, match=r"'updated_at' of Message.*updatedAt"):
        _ = decoded.updated_at
    assert issubclass(MalformedFieldError, ResponseDecodeError)
    assert not hasattr(decoded, "updated_at")
    assert getattr(decoded, "updated_at", "default") == "default"
    assert "updated_at=<malformed>" in repr(decoded)
    assert decoded.to_dict() == _message(updatedAt=...)
    with pytest.raises(AttributeError, match="no attribute 'nothing_like_this'") as info:
        _ = decoded.nothing_like_this  # type: ignore[attr-defined]
    assert not isinstance(info.value, MalformedFieldError)


def test_nested_models_are_decoded_at_the_call() -> None:
    """A page's items are models as soon as the page is: no work is left for the first read."""
    page = structure({"messages": [_message()], "meta": {}}, ListMessagesResponse)
    (message,) = page.messages
    assert isinstance(message, Message)
    assert attrs.asdict(message)["conversation_id"] == "conv_1"


def test_strict_decoding_fails_at_the_call() -> None:
    """Inside strict_decoding() a response that does not fill raises where it is decoded."""
    body = {"messages": [_message(), _message(userId=...)], "meta": {}}
    assert structure(body, ListMessagesResponse).messages[0].id == "msg_1"
    with strict_decoding(), pytest.raises(ResponseDecodeError, match="userId"):
        structure(body, ListMessagesResponse)
    with strict_decoding():
        assert structure(_message(), Message).extra_fields == {"fromANewerServer": [1, 2]}


def test_a_malformed_field_raises_only_for_itself() -> None:
    """Fields before and after a bad one read normally; only the bad ones raise, each by name."""
    decoded = structure(_message(createdAt=..., tags=[1], direction=5), Message)
    assert (decoded.id, decoded.updated_at, decoded.user_id) == (
        "msg_1",
        _message()["updatedAt"],
        "user_1",
    )
    assert decoded.direction == 5  # a wrong type that needs no conversion passes through
    assert decoded.tags == [1]
    assert decoded.origin is None
    with pytest.raises(MalformedFieldError, match="'created_at'") as info:
        _ = decoded.created_at
    assert info.value.name == "created_at"
    assert [n for n in ("id", "created_at", "conversation_id") if not hasattr(decoded, n)] == [
        "created_at"
    ]
    assert "created_at=<malformed>" in repr(decoded)
    assert "conversation_id='conv_1'" in repr(decoded)


def test_a_malformed_nested_model_leaves_its_page_readable() -> None:
    """A bad item and a bad nested object break only themselves, not the page around them."""
    body = {"messages": [_message(), _message(userId=...), "not an object"], "meta": []}
    page = structure({"messages": body["messages"][:2], "meta": []}, ListMessagesResponse)
    first, second = page.messages
    assert first.user_id == "user_1"
    assert second.conversation_id == "conv_1"
    assert getattr(second, "user_id", "gone") == "gone"
    assert getattr(page, "meta", "gone") == "gone"
    assert "meta=<malformed>" in repr(page)
    broken = structure(body, ListMessagesResponse)
    with pytest.raises(MalformedFieldError, match=r"'messages'.*expected a JSON object"):
        _ = broken.messages


def test_a_malformed_model_stays_a_frozen_instance_of_its_class() -> None:
    """Its class is named like the model and matches its patterns; it cannot be changed."""
    decoded = structure(_message(userId=...), Message)
    assert isinstance(decoded, Message)
    assert type(decoded).__name__ == "Message"
    match decoded:
        case Message(id="msg_1", direction=direction):
            assert direction == "incoming"
        case _:
            pytest.fail("a malformed Message did not match its class pattern")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decoded.id = "msg_2"  # type: ignore[misc]
    assert attrs.evolve(decoded, user_id="user_2") == structure(_message(userId="user_2"), Message)


def test_a_well_formed_model_is_exactly_its_class() -> None:
    """Decoding gives instances of the model class itself, frozen, equal to one built by hand."""
    decoded = structure(_message(), Message)
    assert type(decoded) is Message
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decoded.id = "msg_2"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del decoded.id
    assert decoded == attrs.evolve(decoded)


def test_a_page_decodes_each_item_as_the_item_hook_does() -> None:
    """The items of a page (decoded together, looked up by the first item's keys) are the
    models each item gives alone, whatever keys, order or type the other items have."""
    from types import MappingProxyType

    from botpress_async.models import runtime

    items: list[Any] = [
        _message(),
        dict(reversed(_message(origin="synthetic").items())),
        _message(id="msg_2", tags=..., updatedAt=...),
        MappingProxyType(_message(id="msg_3")),
    ]
    page = structure({"messages": items, "meta": {}}, ListMessagesResponse)
    alone = [structure(item, Message) for item in items]
    assert [type(m) for m in page.messages] == [type(m) for m in alone]
    assert [repr(m) for m in page.messages] == [repr(m) for m in alone]
    assert page.messages[1].origin == "synthetic"
    assert not hasattr(page.messages[2], "tags")
    assert page.messages[3].id == "msg_3"
    assert [m.to_dict() for m in page.messages] == [dict(item) for item in items]
    assert runtime._l_Message([]) == []


def test_wire_keys_only_ever_gives_equal_names() -> None:
    """The key objects of the first item stand in for the names; anything else gives them."""
    from botpress_async._converter import wire_keys

    class Key(str):
        __slots__ = ()

    names = ("id", "userId", "tags")
    first = {"userId": "u", Key("id"): 1}
    found = wire_keys([first], names)
    assert found == names
    assert found[1] is next(iter(first))
    assert type(found[0]) is str
    for items in ([], "not a list", [["not an object"]], None):
        assert wire_keys(items, names) is names


def _list_hooks() -> list[tuple[str, str]]:
    """(models module, model name) of every generated list hook (``_l_<Name>``)."""
    import importlib

    found = []
    for api in ("admin", "billing", "chat", "files", "runtime", "tables"):
        module = importlib.import_module(f"botpress_async.models.{api}")
        found += [(api, name[3:]) for name in vars(module) if name.startswith("_l_")]
    return sorted(found)


@pytest.mark.parametrize(("api", "name"), _list_hooks())
def test_every_list_hook_gives_what_the_item_hook_gives(api: str, name: str) -> None:
    """Each list hook decodes an array as its model's hook decodes each item: complete items
    (every known property, as a null), other mappings, items missing fields, and the error of
    an item that is not an object."""
    import importlib
    from types import MappingProxyType

    module = importlib.import_module(f"botpress_async.models.{api}")
    listed, alone = getattr(module, f"_l_{name}"), getattr(module, f"_d_{name}")
    cls = getattr(module, name)
    every = dict.fromkeys(getattr(cls, "_wire_names", ()))
    items: list[Any] = [every, MappingProxyType(dict(reversed(every.items()))), {}]
    page = listed(items)
    each = [alone(item) for item in items]
    assert [type(m) for m in page] == [type(m) for m in each]
    assert [repr(m) for m in page] == [repr(m) for m in each]
    assert [m.to_dict() for m in page] == [m.to_dict() for m in each]
    assert listed([]) == []
    with pytest.raises(ResponseDecodeError):
        listed([every, "not an object"])
