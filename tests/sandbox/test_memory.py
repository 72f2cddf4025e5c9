"""The host process's memory: closed sandboxes are freed at once, malloc arenas capped."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import weakref

import pytest

from agentgym.sandbox import limit_malloc_arenas
from tests.sandbox.conftest import BACKENDS, open_sandbox


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_closed_sandbox_is_freed_without_the_garbage_collector(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """Its session held the backend's bound methods (a cycle): every closed sandbox waited
    for a full collection, and under load that sawtooth set the process's RSS high-water."""
    if kind == "docker":
        request.getfixturevalue("docker_ready")
    gc.collect()
    gc.disable()
    try:
        sb = open_sandbox(kind, command_timeout_s=20)
        assert sb.run("echo hi").output.strip() == "hi"
        session = weakref.ref(sb.session)  # type: ignore[attr-defined]
        box = weakref.ref(sb)
        sb.close()
        del sb
        assert box() is None, "the closed sandbox is still alive: a reference cycle"
        assert session() is None
    finally:
        gc.enable()


def test_a_restart_that_fails_leaves_no_cycle() -> None:
    """A shell that cannot start raises; the exception it kept must not pin its frame."""
    from agentgym.errors import SessionDiedError
    from agentgym.sandbox.shell import ShellSession

    def spawn() -> object:
        raise OSError("no processes left")

    session = ShellSession(spawn, lambda _pid: None, lambda: None, workdir="/")  # type: ignore[arg-type]
    gc.collect()
    gc.disable()
    try:
        with pytest.raises(SessionDiedError):
            session._restart_locked()
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_restart_that_succeeds_on_retry_leaves_no_cycle() -> None:
    """The failed first attempt's exception, kept for the error message, held the retry
    loop's frame: every shell that started on its second try pinned its caller's stack (in a
    soak, a grader's whole episode) until a full collection."""
    from agentgym.sandbox.shell import ShellSession

    session = ShellSession(lambda: None, lambda _pid: None, lambda: None, workdir="/")  # type: ignore[arg-type,return-value]
    attempts: list[int] = []

    def start_locked() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("fork: Resource temporarily unavailable")

    session._start_locked = start_locked  # type: ignore[method-assign]
    gc.collect()
    gc.disable()
    try:
        session._start_with_retries()
        assert len(attempts) == 2
        assert gc.collect() == 0
    finally:
        gc.enable()


ARENAS = textwrap.dedent(
    """
    import ctypes, sys, threading
    from agentgym.sandbox import limit_malloc_arenas
    cap = int(sys.argv[1])
    applied = limit_malloc_arenas(cap) if cap else False
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    together = threading.Barrier(6)
    def work():
        libc.malloc(64)  # a thread's first malloc takes an arena of its own if it may
        together.wait()  # none exits (freeing its arena for the next) before all have one
    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(applied, flush=True)
    libc.malloc_stats()  # to stderr: one "Arena N:" block per arena
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
@pytest.mark.parametrize("cap", [0, 1, 2])
def test_limit_malloc_arenas_caps_the_arenas_threads_get(cap: int) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    proc = subprocess.run(
        [sys.executable, "-c", ARENAS, str(cap)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    arenas = proc.stderr.count("Arena ")
    assert proc.stdout.strip() == str(bool(cap))
    if cap:
        assert arenas == cap, proc.stderr
    else:
        assert arenas > 2, proc.stderr  # glibc's default: one per new thread, up to 8 per core


def test_limit_malloc_arenas_leaves_a_users_choice_alone() -> None:
    env = {**os.environ, "MALLOC_ARENA_MAX": "4"}
    code = "from agentgym.sandbox import limit_malloc_arenas; print(limit_malloc_arenas())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "False"


def test_limit_malloc_arenas_rejects_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        limit_malloc_arenas(0)


# Frees ~100 MB of 2 KB blocks (malloc'd, below the mmap threshold) under a block allocated
# after them: glibc cannot shrink the heap past that block, so the pages stay resident until
# something trims them.
TRIM = textwrap.dedent(
    """
    import sys, time
    from agentgym.sandbox import trim_heap, trim_heap_every
    def rss_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    if sys.argv[1].startswith("cycle"):  # garbage only a collection frees: a cycle holds it
        import gc
        gc.disable()
        holder = {"blocks": [bytes(2000) for _ in range(50_000)]}
        holder["self"] = holder
        pin = bytes(2000)
        del holder
    else:
        blocks = [bytes(2000) for _ in range(50_000)]
        pin = bytes(2000)
        del blocks
    before = rss_mb()
    if sys.argv[1] == "now":
        released = trim_heap()
    elif sys.argv[1] in ("thread", "cycle"):
        released = trim_heap_every(0.2) and trim_heap_every(0.2)  # one thread, twice: True
        time.sleep(1.5)
    elif sys.argv[1] == "cycle-no-collect":
        released = trim_heap_every(0.2, collect=False)
        time.sleep(1.5)
    else:
        released = None
    print(released, round(before), round(rss_mb()))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
@pytest.mark.parametrize("how", ["now", "thread", "never", "cycle", "cycle-no-collect"])
def test_trim_heap_gives_free_pages_back(how: str) -> None:
    """``cycle``: the trimmer's full collection frees what a reference cycle held, then the
    trim returns it; the controls (``never``, ``cycle-no-collect``) keep it resident."""
    out = subprocess.run(
        [sys.executable, "-c", TRIM, how], capture_output=True, text=True, timeout=60, check=True
    )
    released, before, after = out.stdout.split()
    if how in ("never", "cycle-no-collect"):  # the freed (or cycle-held) pages stay resident
        assert int(after) > int(before) - 20, out.stdout
    else:
        assert released == "True" and int(after) < int(before) - 60, out.stdout


def test_trim_heap_every_rejects_a_non_positive_interval() -> None:
    from agentgym.sandbox import trim_heap_every

    with pytest.raises(ValueError, match="positive"):
        trim_heap_every(0)


# In a fresh interpreter: in a long-lived one (the test run), the blocks land in holes its
# heap already has, and a freed burst at the top of the heap is given back at once.
HEAP_STATS = textwrap.dedent(
    """
    import json
    from agentgym.sandbox import heap_stats
    start = heap_stats()
    blocks = [bytes(2000) for _ in range(10_000)]
    held = heap_stats()
    pin = bytes(2000)  # allocated after them: the freed blocks stay in the heap, below it
    del blocks
    print(json.dumps([start, held, heap_stats()]))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_heap_stats_sees_malloc_in_use_and_freed() -> None:
    """20 MB of 2 KB blocks (malloc'd, not pymalloc'd) show as in use, then as free."""
    import json

    out = subprocess.run(
        [sys.executable, "-c", HEAP_STATS], capture_output=True, text=True, timeout=60, check=True
    )
    start, held, freed = json.loads(out.stdout)
    for stats in (start, held, freed):
        assert None not in stats.values(), f"glibc's mallinfo2 did not answer: {stats}"
    assert held["malloc_in_use_mb"] >= start["malloc_in_use_mb"] + 15, (start, held)
    assert freed["malloc_in_use_mb"] <= held["malloc_in_use_mb"] - 15, (held, freed)
    assert freed["malloc_free_mb"] >= held["malloc_free_mb"] + 15, (held, freed)
