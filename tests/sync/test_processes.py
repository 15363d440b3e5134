"""What only a process of its own can show: forks, Ctrl-C and interpreter exit.

Each test runs a small script with the test's interpreter; the loopback server stays in the
test process, in a thread, so it sees the script's connections come and go.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.loopback import FAKE_PAT
from tests.sync.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[2]
#: A guard against hangs only; how fast things end is measured by benchmarks/bench_sync.py.
HANG_GUARD = 30.0

PRELUDE = f"""
import json, os, sys, threading
import botpress_sync
URL = sys.argv[1]
def make_client():
    return botpress_sync.Client({FAKE_PAT!r}, api_url=URL, bot_id="bot_fork")
def port_of(client, name):
    return client.request("GET", "/v1/chat/echo/" + name)["port"]
"""


def start(script: str, server: ThreadedServer, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script), server.url, *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the script hung; stderr:\n{err}")
    return proc.returncode, out, err


FORK_SCRIPT = """
client = make_client()
first = port_of(client, "parent-1")
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read_end)
    ports = [port_of(client, "child-1"), port_of(client, "child-2")]
    os.write(write_end, json.dumps(ports).encode())
    os.close(write_end)
    if sys.argv[2] == "os._exit":
        os._exit(0)
    client.close()
    sys.exit(0)  # a normal exit: the child's interpreter finalizes everything it has
os.close(write_end)
with os.fdopen(read_end) as pipe:
    child = json.loads(pipe.read())
_, status = os.waitpid(pid, 0)
second = port_of(client, "parent-2")
client.close()
print(json.dumps({"parent": [first, second], "child": child, "status": status}))
"""


@pytest.mark.parametrize("child_exit", ["os._exit", "sys.exit"])
def test_fork_child_builds_its_own_loop_and_pool(
    threaded_server: ThreadedServer, child_exit: str
) -> None:
    """A forked child calls through new connections; the parent's keep working after it exits."""
    code, out, err = finish(start(FORK_SCRIPT, threaded_server, child_exit))
    assert code == 0, err
    assert "Traceback" not in err
    result = json.loads(out)
    assert result["status"] == 0
    parent, child = result["parent"], result["child"]
    assert parent[0] == parent[1]  # the parent's pooled connection survived the child
    assert child[0] == child[1]  # the child pooled its own connection
    assert child[0] not in parent


POOL_SCRIPT = """
import multiprocessing
client = make_client()
first = port_of(client, "parent-1")
def work(i):
    return [os.getpid(), port_of(client, f"worker-{i}")]
with multiprocessing.get_context("fork").Pool(2) as pool:
    results = pool.map(work, range(8))
second = port_of(client, "parent-2")
client.close()
print(json.dumps({"parent": [first, second], "workers": results, "pid": os.getpid()}))
"""


def test_multiprocessing_fork_pool_uses_an_inherited_client(
    threaded_server: ThreadedServer,
) -> None:
    """Workers of a fork pool call through a client made before the fork, on their own sockets."""
    code, out, err = finish(start(POOL_SCRIPT, threaded_server))
    assert code == 0, err
    result = json.loads(out)
    assert len(result["workers"]) == 8
    worker_ports = {port for pid, port in result["workers"]}
    assert all(pid != result["pid"] for pid, _ in result["workers"])
    assert result["parent"][0] == result["parent"][1]
    assert not worker_ports & set(result["parent"])


SIGINT_SCRIPT = """
client = make_client()
try:
    client.request("GET", "/v1/chat/slow")
except KeyboardInterrupt:
    print("interrupted", flush=True)
    raise
"""


def test_ctrl_c_cancels_the_request_and_exits(threaded_server: ThreadedServer) -> None:
    """SIGINT during a slow request raises KeyboardInterrupt and the server sees the disconnect."""
    proc = start(SIGINT_SCRIPT, threaded_server)
    if not threaded_server.slow_started.wait(HANG_GUARD):
        proc.kill()
        pytest.fail(f"the request never arrived: {proc.communicate()[1]}")
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert out.strip() == "interrupted"
    assert code == -signal.SIGINT
    assert err.rstrip().endswith("KeyboardInterrupt")
    assert "Exception ignored" not in err
    assert threaded_server.slow_disconnected.wait(HANG_GUARD)


WAITING_SIGINT_SCRIPT = """
client = make_client()
def other():
    try:
        client.request("GET", "/v1/chat/slow")
    except Exception:
        pass
threading.Thread(target=other, daemon=True).start()
sys.stdin.readline()  # the other thread's request, and so its run of the loop, has begun
try:
    client.request("GET", "/v1/chat/slow")
except KeyboardInterrupt:
    print("interrupted", flush=True)
sys.stdin.readline()
"""


def test_ctrl_c_while_another_thread_runs_the_loop(threaded_server: ThreadedServer) -> None:
    """Ctrl-C in a caller that handed its call to another thread's loop run cancels that call."""
    proc = start(WAITING_SIGINT_SCRIPT, threaded_server)
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert threaded_server.slow_started.wait(HANG_GUARD)
    proc.stdin.write("go\n")  # the first slow request is in flight: send the second
    proc.stdin.flush()
    for _ in range(int(HANG_GUARD / 0.01)):
        if threaded_server.slow_count == 2:
            break
        time.sleep(0.01)
    assert threaded_server.slow_count == 2
    proc.send_signal(signal.SIGINT)
    assert proc.stdout.readline().strip() == "interrupted"
    # The other thread's request is still in flight, so this disconnect is the cancelled one.
    assert threaded_server.slow_disconnected.wait(HANG_GUARD)
    assert proc.poll() is None
    proc.stdin.write("done\n")
    proc.stdin.flush()
    code, _, err = finish(proc)
    assert code == 0, err
    assert "Traceback" not in err


EXIT_SCRIPT = """
client = make_client()
port_of(client, "unclosed")
print("done", flush=True)
"""


@pytest.mark.parametrize("warnings_flag", ["-Wignore", "-Wdefault", "-Werror", "-Xdev"])
def test_exit_with_an_unclosed_client_is_quiet(
    threaded_server: ThreadedServer, warnings_flag: str
) -> None:
    """A script that never closes its client exits cleanly, with one ResourceWarning line at
    most: the exit handler marks what it closed, so the finalizer does not warn again, and an
    "error" filter does not turn the warning into a traceback."""
    proc = subprocess.Popen(
        [sys.executable, warnings_flag, "-c", PRELUDE + EXIT_SCRIPT, threaded_server.url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    code, out, err = finish(proc)
    assert code == 0
    assert out.strip() == "done"
    assert "Traceback" not in err
    assert "Exception ignored" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert all("ResourceWarning" in line or line.startswith("  ") for line in lines), err
    warned = sum("ResourceWarning" in line for line in lines)
    assert warned == (0 if warnings_flag == "-Wignore" else 1), err


IN_FLIGHT_SCRIPT = """
client = make_client()
outcome = []
def slow():
    try:
        client.request("GET", "/v1/chat/slow")
    except BaseException as exc:  # what the thread sees when the process ends under it
        outcome.append(type(exc).__name__)
threading.Thread(target=slow, daemon=True).start()
sys.stdin.readline()  # the test says the request reached the server
print("exiting", flush=True)
"""


def test_exit_while_a_daemon_thread_waits_on_a_request(threaded_server: ThreadedServer) -> None:
    """Exiting while another thread is blocked in a call ends the process without a traceback."""
    proc = start(IN_FLIGHT_SCRIPT, threaded_server)
    assert threaded_server.slow_started.wait(HANG_GUARD)
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    code, out, err = finish(proc)
    assert code == 0
    assert out.strip() == "exiting"
    assert "Traceback" not in err
    assert "Exception ignored" not in err
    assert threaded_server.slow_disconnected.wait(HANG_GUARD)
