"""The demo's blocking section: ``python -m botpress_sync._demo RUN_ID``.

``botpress demo`` runs this in a process of its own, so that ``botpress_async`` (which holds
the command) never imports ``botpress_sync``. The client is built from the ``BP_*``
variables the demo sets; each line of output is ``label<TAB>text``; on failure the last
line of standard error says why and the exit status is 1.
"""

from __future__ import annotations

import sys

from botpress_async import BotpressError
from botpress_async.cli._demo import STATE_NAME, TEXTS, _made
from botpress_sync import Client

__all__ = ["blocking_flow", "main"]


def _line(label: str, text: str) -> None:
    print(f"{label}\t{text}", flush=True)


def blocking_flow(run_id: str) -> None:
    """The demo's async flow with ``botpress_sync.Client``: the same methods, no ``await``.

    Args:
        run_id: names what this run makes, apart from earlier runs'.
    """
    with Client() as client:
        rt = client.runtime
        got_user = rt.get_or_create_user(tags={}, name=f"Grace (blocking demo {run_id})")
        user = got_user.user
        _line("user", f"{user.id} {user.name!r} {_made(got_user.meta)}")
        got_conv = rt.get_or_create_conversation(channel="channel", tags={})
        conv = got_conv.conversation
        _line("conversation", f"{conv.id} {_made(got_conv.meta)}")
        for n, text in enumerate(TEXTS):
            rt.create_message(
                user_id=user.id,
                conversation_id=conv.id,
                type="text",
                payload={"text": text, "seq": n},
                tags={},
            )
        # The pager fetches pages as the loop needs them, one thread hop per page.
        mine = [m for m in rt.list_messages(conversation_id=conv.id) if m.user_id == user.id]
        mine.sort(key=lambda m: m.payload.get("seq", 0))
        texts = ", ".join(repr(m.payload.get("text")) for m in mine)
        _line("messages", f"sent {len(TEXTS)}, listed back {len(mine)}: {texts}")
        if len(mine) != len(TEXTS):
            raise RuntimeError(f"listed {len(mine)} of the {len(TEXTS)} messages sent")
        payload = {"step": len(TEXTS), "by": "botpress_sync.Client"}
        rt.set_state(type="conversation", id=conv.id, name=STATE_NAME, payload=payload)
        state = rt.get_state(type="conversation", id=conv.id, name=STATE_NAME).state
        _line("state", f"conversation/{STATE_NAME} = {state.payload}")


def main(argv: list[str] | None = None) -> int:
    """Run the blocking flow; 0 when it worked, 1 (with the reason on stderr) when not."""
    args = sys.argv[1:] if argv is None else argv
    try:
        blocking_flow(args[0] if args else "run")
    except (BotpressError, RuntimeError) as exc:
        print(f"{type(exc).__name__}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
