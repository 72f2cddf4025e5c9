"""The host process's memory under many concurrent episodes.

A process that runs tens of environments on threads (a trainer's rollout workers, ``agentgym
serve``, a Ray actor, ``agentgym bench``) makes glibc give each contending thread an arena of
its own, up to eight per core. Each arena keeps its own high-water mark of freed memory, so the
process's resident size keeps creeping up long after the live data stopped growing: the
32 x 10 min soak grew 9-12 % that way with no object kept alive. Two arenas, the setting
production Python and Ruby servers use, keep the same speed here (the threads wait on Docker,
not on malloc) and cut that growth (see docs/benchmarks.md, "Soak and capacity").

What is left is the heap's high-water mark: memory freed after a burst (many episodes holding
their outputs at once) stays in the process, so RSS follows the largest burst so far, not the
live data. ``trim_heap_every`` hands those free pages back to the system
(``malloc_trim(0)``) from a background thread, as Dask's workers do for "unmanaged memory",
after a full garbage collection has put what cycles and free lists held back in the heap.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
import sys
import threading
import time

M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h

_applied: int | None = None
_trimmer: threading.Thread | None = None
_trim_lock = threading.Lock()


@functools.cache  # loaded once: the trimmer calls into it every interval
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas for this process (``mallopt(M_ARENA_MAX, arenas)``).

    Call it early, before the threads start: arenas that already exist stay. It does nothing
    (returns False) where the allocator is not glibc's, or where the user chose already with
    ``MALLOC_ARENA_MAX`` or ``GLIBC_TUNABLES=glibc.malloc.arena_max=...``. The ``agentgym``
    command, ``agentgym serve`` and the Ray rollout actors call it; a trainer that embeds the
    environments in its own process may call it too.
    """
    global _applied
    if arenas < 1:
        raise ValueError(f"arenas must be at least 1, got {arenas}")
    if _applied is not None:
        return _applied == arenas
    if not sys.platform.startswith("linux"):
        return False
    if "MALLOC_ARENA_MAX" in os.environ or "arena_max" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        mallopt = _libc().mallopt  # type: ignore[union-attr]
    except AttributeError:  # musl and other libcs: nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    if mallopt(M_ARENA_MAX, arenas) != 1:
        return False
    _applied = arenas
    return True


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def heap_stats() -> dict[str, float | None]:
    """glibc's view of this process's heap, in MB (``mallinfo2``): ``malloc_in_use_mb``,
    ``malloc_free_mb`` (freed but kept), ``malloc_mmap_mb``; None where the allocator is not
    glibc's. RSS growing with in-use flat is fragmentation; in-use growing is native memory
    kept alive (C extensions and Python objects over 512 bytes come from malloc, not pymalloc)."""
    try:
        mallinfo2 = _libc().mallinfo2  # type: ignore[union-attr]
    except AttributeError:  # not glibc, or glibc older than 2.33
        return {"malloc_in_use_mb": None, "malloc_free_mb": None, "malloc_mmap_mb": None}
    mallinfo2.argtypes = []
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    mb = 1024 * 1024
    return {
        "malloc_in_use_mb": round(info.uordblks / mb, 1),
        "malloc_free_mb": round(info.fordblks / mb, 1),
        "malloc_mmap_mb": round(info.hblkhd / mb, 1),
    }


def trim_heap() -> bool:
    """Hand the heap's free pages back to the system now (glibc's ``malloc_trim(0)``); True
    when some were. False where the allocator is not glibc's."""
    try:
        trim = _libc().malloc_trim  # type: ignore[union-attr]
    except AttributeError:
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return bool(trim(0))


def trim_heap_every(interval_s: float = 30.0, collect: bool = True) -> bool:
    """Start one daemon thread per process that, every ``interval_s`` seconds, runs a full
    garbage collection (``collect``) and then :func:`trim_heap`; False (and no thread) where
    there is no ``malloc_trim``. Called where :func:`limit_malloc_arenas` is.

    The collection comes first so that what only it frees (reference cycles, and the
    interpreter's free lists, which only full collections empty) is back in the heap before
    the trim hands the free pages to the system. Left to itself, Python runs a full
    collection every few minutes under a soak, and each one dropped the heap in use by
    2-3 MB: a sawtooth whose tops set the resident high-water mark. A full collection costs
    ~0.15 s with ~600 thousand live objects (0.5 % of one core at 30 s); the trim a few ms.
    """
    global _trimmer
    if interval_s <= 0:
        raise ValueError(f"interval_s must be positive, got {interval_s}")
    with _trim_lock:
        if _trimmer is not None:
            return True
        if not hasattr(_libc(), "malloc_trim"):
            return False

        def loop() -> None:
            while True:
                time.sleep(interval_s)
                if collect:
                    gc.collect()
                trim_heap()

        _trimmer = threading.Thread(target=loop, name="agentgym-heap-trim", daemon=True)
        _trimmer.start()
        return True


__all__ = ["heap_stats", "limit_malloc_arenas", "trim_heap", "trim_heap_every"]
