"""The Chat API's path through the generator: the patch step, the IR and the blocking twins."""

from __future__ import annotations

import json

from codegen.build import ROOT, VENDORED
from codegen.emit_chat import (
    STREAMING,
    SYNC_TWINS,
    USER_KEY,
    emit_sync_twin,
    load_chat_api,
    patch_chat_document,
)


def test_patch_adds_what_the_document_predates_and_takes_out_the_key() -> None:
    """bloc payloads and message metadata are added; x-user-key leaves the parameters."""
    doc = json.loads((VENDORED / "chat.json").read_text(encoding="utf-8"))
    patched = patch_chat_document(doc)
    message = patched["components"]["schemas"]["Message"]["properties"]
    titles = [v.get("title") for v in message["payload"]["oneOf"]]
    assert titles.count("Bloc") == 1
    assert message["metadata"] == {"type": "object", "additionalProperties": {}}
    for item in patched["paths"].values():
        for op in item.values():
            names = [p["name"] for p in op.get("parameters", [])]
            assert USER_KEY not in names
    create_user = patched["paths"]["/users"]["post"]
    assert "x-requires-user-key" not in create_user
    assert patch_chat_document(patched) == patched  # applying it twice changes nothing
    assert "Bloc" not in json.dumps(doc)  # the input is left as it was


def test_ir_of_the_chat_api() -> None:
    """20 JSON operations (the stream is hand-written), keys required but on createUser."""
    api = load_chat_api()
    ops = {op.operation_id: op for op in api.operations}
    assert len(ops) == 20
    assert not STREAMING & set(ops)
    assert ops["createUser"].requires == ()
    assert all(op.requires == (USER_KEY,) for name, op in ops.items() if name != "createUser")
    assert not ops["createMessage"].idempotent
    assert not ops["createEvent"].idempotent
    assert ops["getOrCreateUser"].idempotent
    assert {name for name, op in ops.items() if op.pagination} == {
        "listConversations",
        "listMessages",
        "listParticipants",
    }
    assert "metadata" in {p.wire for p in ops["createMessage"].parameters}


def test_blocking_twins_wrap_what_the_async_methods_return() -> None:
    """The generated ChatClient wraps users in ChatUser, and ChatUser wraps listeners."""
    client = emit_sync_twin(SYNC_TWINS["_client.py"], ROOT, {})
    user = emit_sync_twin(SYNC_TWINS["_user.py"], ROOT, {})
    assert "return ChatUser(_loop.run(self._async.connect(user_key=user_key," in client
    assert "return ChatUser(self._async.user(user_key, user))" in client
    assert "return BlockingChatListener(" in user
    # Members the hand-written base writes are left out, and examples lose their async words.
    assert "def for_bot" not in client
    assert "def close" not in client
    assert "``with user.listen(conv_id) as events:``" in user
