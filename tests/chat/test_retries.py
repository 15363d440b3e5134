"""Retries of the chat client: reads are repeated after a reset, message creation never is."""

from __future__ import annotations

import pytest

from botpress_async import APIConnectionError
from botpress_async.chat import AsyncChatClient
from tests.loopback import Script

pytestmark = pytest.mark.anyio

USER = {"id": "u", "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"}


async def test_reset_repeats_a_read_but_not_a_message(server: Script) -> None:
    """After a connection reset, GET /users/me is retried; POST /messages is not sent again."""
    async with AsyncChatClient("wh", url=server.url, max_retries=2, timeout=5, keepalive=1) as chat:
        user = chat.user("key-" + "x" * 20, USER)
        server.drop_connection()
        server.reply(200, {"user": USER})
        assert (await user.get_user()).user.id == "u"
        assert [s.path for s in server.seen] == ["/wh/users/me", "/wh/users/me"]
        assert server.seen[0].headers["x-user-key"] == "key-" + "x" * 20

        server.seen.clear()
        server.drop_connection()
        with pytest.raises(APIConnectionError):
            await user.create_message(
                conversation_id="c", payload={"type": "text", "text": "only once"}
            )
        assert [s.path for s in server.seen] == ["/wh/messages"]
