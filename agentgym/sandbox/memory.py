"""The host process's memory under many concurrent episodes.

A process that runs tens of environments on threads (a trainer's rollout workers, ``agentgym
serve``, a Ray actor, ``agentgym bench``) makes glibc give each contending thread an arena of
its own, up to eight per core. Each arena keeps its own high-water mark of freed memory, so the
process's resident size keeps creeping up long after the live data stopped growing: the
32 x 10 min soak grew 9-12 % that way with no object kept alive. Two arenas, the setting
production Python and Ruby servers use, keep the same speed here (the threads wait on Docker,
not on malloc) and cut that growth (see docs/benchmarks.md, "Soak and capacity").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h

_applied: int | None = None


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
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other libcs: nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    if mallopt(M_ARENA_MAX, arenas) != 1:
        return False
    _applied = arenas
    return True


__all__ = ["limit_malloc_arenas"]
