"""One table says which APIs a token kind reaches; the client and the emulator both obey it."""

from __future__ import annotations

import pytest

from botpress_async import APIError, AsyncClient, ScopeError
from botpress_async._auth import API_NAMES, TokenKind, check_scope, reach_of
from botpress_async.testing import Emulator
from botpress_async.testing._spec import load_operations
from codegen.ir import TOKEN_KINDS

pytestmark = pytest.mark.anyio

KINDS = (TokenKind.PAT, TokenKind.BAK, TokenKind.IAK)
# One GET per API with no path parameter: enough to see whether the token gets past the scope.
PROBES = {
    api: next(
        op.template
        for op in load_operations()
        if op.api == api and op.method == "GET" and not op.path_params
    )
    for api in API_NAMES
}


def test_generated_docstrings_name_the_kinds_the_client_lets_through() -> None:
    """The generator's token kinds per API are those the client's check lets through."""
    for api in API_NAMES:
        allowed = []
        for kind in KINDS:
            try:
                check_scope(api, kind)
            except ScopeError:
                continue
            allowed.append(kind.name)
        assert TOKEN_KINDS[api] == tuple(allowed)


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_the_emulator_refuses_what_the_client_would(kind: TokenKind) -> None:
    """The emulator answers 403 for exactly the APIs the client's table puts out of reach."""
    async with Emulator() as emu:
        token = {TokenKind.PAT: emu.pat, TokenKind.BAK: emu.bak, TokenKind.IAK: emu.iak}[kind]
        # An unknown kind makes the client send everything, so the emulator is the one deciding.
        async with AsyncClient(
            token,
            token_kind=TokenKind.UNKNOWN,
            bot_id=emu.bot_id,
            workspace_id=emu.workspace_id,
            integration_id=emu.integration_id,
            api_url=emu.url,
            max_retries=0,
        ) as client:
            refused = set()
            for api, path in PROBES.items():
                try:
                    await client.request("GET", path)
                except APIError as exc:
                    if exc.status == 403 and f"the {api} API" in str(exc):
                        refused.add(api)
    assert refused == set(API_NAMES) - set(reach_of(kind))
