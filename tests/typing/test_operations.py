"""Pinned types of generated operations; checked by mypy, never run by pytest."""

from __future__ import annotations

from typing import Any, Literal

from typing_extensions import assert_type

from botpress_async import AsyncClient
from botpress_async._pagination import AsyncPager
from botpress_async.models.billing import ListPlansResponseItem
from botpress_async.models.files import CopyFileResponse
from botpress_async.models.runtime import (
    CreateEventBodySchedule,
    CreateEventResponse,
    GetUserResponse,
    ListUsersResponse,
    Message,
    User,
)
from botpress_async.models.tables import FindTableRowsResponse


async def operation_types(client: AsyncClient) -> None:
    user = await client.runtime.get_user(id="u")
    assert_type(user, GetUserResponse)
    assert_type(user.user, User)
    assert_type(user.user.name, str | None)
    assert_type(user.user.tags, dict[str, str])

    pager = client.runtime.list_users(conversation_id="c", sort_direction="asc")
    assert_type(pager, AsyncPager[User, ListUsersResponse])
    assert_type(await pager, ListUsersResponse)
    assert_type(await pager.collect(limit=10), list[User])
    async for item in pager:
        assert_type(item, User)
    async for page in pager.pages():
        assert_type(page.meta.next_token, str | None)

    event = await client.runtime.create_event(
        type="t", payload={}, schedule=CreateEventBodySchedule(delay=1.0), timeout=5
    )
    assert_type(event, CreateEventResponse)

    copied = await client.files.copy_file(
        id_or_key="a", destination_key="b", x_destination_bot_id="bot-2", extra_body={"x": 1}
    )
    assert_type(copied, CopyFileResponse)

    rows = await client.tables.find_table_rows(table="t", limit=10)
    assert_type(rows, FindTableRowsResponse)

    plans = await client.billing.list_plans()
    assert_type(plans, list[ListPlansResponseItem])

    assert_type(await client.call("getUser", {"id": "u"}), Any)


def model_types(message: Message) -> None:
    assert_type(message.direction, Literal["incoming", "outgoing"])
    assert_type(message.payload, dict[str, Any])
    assert_type(message.to_dict(), dict[str, Any])
    assert_type(Message.from_dict({}), Message)
