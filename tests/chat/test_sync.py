"""The blocking twin: ChatClient, ChatUser and a listener that Ctrl-C and close() end at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import pytest

from botpress_async.testing import Emulator
from botpress_sync.chat import ChatClient, ChatUser, MessageCreated


@pytest.fixture
def sync_emu() -> Iterator[Emulator]:
    """An emulator on a thread of its own, echo bot on, fast pings."""
    with Emulator(seed=5, chat_echo=True, chat_keepalive=0.2).run_in_thread() as emulator:
        yield emulator


def test_blocking_user_mirrors_the_async_one(sync_emu: Emulator) -> None:
    """Operations, pagers and ask() block and return the async twin's results."""
    with ChatClient(sync_emu.chat_webhook_id, url=sync_emu.chat_url, timeout=5) as chat:
        user = chat.connect(user_id="sync-user", name="S")
        assert isinstance(user, ChatUser)
        assert user.get_user().user.name == "S"
        user.create_conversation(id="c")
        replies = user.ask("c", "blocking hello", timeout=5, quiet=0.2)
        assert [r.text for r in replies] == ["blocking hello"]
        texts = [m.payload.get("text") for m in user.list_messages(conversation_id="c")]
        assert sorted(texts) == ["blocking hello", "blocking hello"]
        assert user.user_key not in repr(user)


def test_close_from_another_thread_ends_the_stream(sync_emu: Emulator) -> None:
    """close() called from another thread ends a blocked iteration at once."""
    with ChatClient(sync_emu.chat_webhook_id, url=sync_emu.chat_url, timeout=5) as chat:
        user = chat.connect(user_id="closer")
        user.create_conversation(id="c")
        with user.listen("c") as events:
            user.create_message(conversation_id="c", payload={"type": "text", "text": "one"})
            first = next(events)
            assert isinstance(first, MessageCreated)
            timer = threading.Timer(0.2, events.close)
            timer.start()
            rest = [s for s in events if not isinstance(s, MessageCreated)]
            timer.join()
        assert rest == []


_CTRL_C = textwrap.dedent(
    """
    import os, signal, threading
    from botpress_async.testing import Emulator
    from botpress_sync.chat import ChatClient

    with Emulator(chat_keepalive=30).run_in_thread() as emu:
        with ChatClient(emu.chat_webhook_id, url=emu.chat_url) as chat:
            user = chat.connect(user_id="k")
            user.create_conversation(id="c")
            with user.listen("c") as events:
                threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
                try:
                    for _ in events:
                        pass
                except KeyboardInterrupt:
                    print("interrupted")
    print("closed")
    """
)


def test_ctrl_c_ends_the_stream_at_once() -> None:
    """SIGINT while waiting for a signal raises KeyboardInterrupt instead of waiting for pings."""
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.split() == ["interrupted", "closed"], done.stderr[-2000:]
