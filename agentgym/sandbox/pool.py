"""A pool of warm sandboxes so ``reset()`` never waits for a container to start.

Each image has a queue of ready sandboxes (container started, shell answering). ``acquire``
takes one (or starts one cold when the queue is empty) and a background worker tops the
queue up again. A used sandbox is destroyed on ``release``; it is never handed out twice.

Pools may share a :class:`WarmBudget`, a cap on the idle warm sandboxes of all of them
together. Environments do (``shared_warm_budget()``): a runner that keeps one env per
(worker, condition) would otherwise hold one idle container per env, hundreds of them
for a benchmark matrix, most never used before the run ends.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from agentgym.sandbox.base import Sandbox, SandboxConfig

WARM_ENV = "AGENTGYM_MAX_WARM_SANDBOXES"
DEFAULT_MAX_WARM = 16
STALE_S = 120.0


class WarmBudget:
    """At most ``limit`` idle warm sandboxes over every pool that shares this budget.

    A slot is held from the moment a pool decides to start a spare until the spare is
    handed out, evicted, or its pool closes. When the budget is full, a pool that wants a
    spare takes the slot of another pool's spare left idle for more than ``stale_s``
    (closing that one); otherwise it starts no spare and its next ``acquire`` starts cold.
    """

    def __init__(self, limit: int, stale_s: float = STALE_S) -> None:
        if limit < 0:
            raise ValueError(f"a warm budget needs limit >= 0, got {limit}")
        self.limit = limit
        self.stale_s = stale_s
        self._lock = threading.Lock()
        self._used = 0
        self._pools: weakref.WeakSet[SandboxPool] = weakref.WeakSet()
        self.stats = {"taken": 0, "refused": 0, "stale_evicted": 0}

    @property
    def used(self) -> int:
        return self._used

    def register(self, pool: SandboxPool) -> None:
        with self._lock:
            self._pools.add(pool)

    def take(self) -> bool:
        """One slot for a new spare: a free one, else the slot of a stale spare."""
        with self._lock:
            if self._used < self.limit:
                self._used += 1
                self.stats["taken"] += 1
                return True
            pools = list(self._pools)
        stale = self._pop_stalest(pools)
        with self._lock:
            if stale is None:
                self.stats["refused"] += 1
                return False
            self.stats["taken"] += 1
            self.stats["stale_evicted"] += 1
        owner, sandbox = stale
        owner._close_later(sandbox)  # its slot passes to the caller
        return True

    def give(self, n: int = 1) -> None:
        if n <= 0:
            return
        with self._lock:
            self._used = max(0, self._used - n)

    def _pop_stalest(self, pools: list[SandboxPool]) -> tuple[SandboxPool, Sandbox] | None:
        cutoff = time.monotonic() - self.stale_s
        candidates = []
        for pool in pools:
            oldest = pool._oldest()
            if oldest is not None and oldest[0] <= cutoff:
                candidates.append((oldest[0], id(pool), pool, oldest[1]))
        for _t, _id, pool, image in sorted(candidates, key=lambda c: (c[0], c[1])):
            sandbox = pool._pop_oldest(image, cutoff)
            if sandbox is not None:
                return pool, sandbox
        return None


_shared: WarmBudget | None = None
_shared_lock = threading.Lock()
_shared_executor: ThreadPoolExecutor | None = None
SHARED_WORKERS = 8


def shared_pool_executor() -> ThreadPoolExecutor:
    """The threads that start and remove the environments' sandboxes, shared by all their
    pools: two threads per env would be hundreds for a runner's envs, each thread's stack
    and malloc arena adding to the process's memory as more envs get used."""
    global _shared_executor
    with _shared_lock:
        if _shared_executor is None:
            _shared_executor = ThreadPoolExecutor(
                max_workers=SHARED_WORKERS, thread_name_prefix="agentgym-pool"
            )
        return _shared_executor


def shared_warm_budget() -> WarmBudget:
    """The process-wide budget of the environments' pools: ``$AGENTGYM_MAX_WARM_SANDBOXES``
    idle warm sandboxes (default 16; 0 turns warm spares off)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            raw = os.environ.get(WARM_ENV, "").strip()
            try:
                limit = int(raw) if raw else DEFAULT_MAX_WARM
            except ValueError:
                from agentgym.errors import ConfigError

                raise ConfigError(
                    f"{WARM_ENV}={raw!r} is not a whole number; set it to how many idle warm "
                    f"sandboxes a process may keep (default {DEFAULT_MAX_WARM}, 0 for none)"
                ) from None
            _shared = WarmBudget(max(0, limit))
        return _shared


class SandboxPool:
    """Thread-safe warm pool keyed by image. Use as a context manager."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        size: int = 2,
        workers: int = 2,
        images: list[str] | None = None,
        max_images: int | None = None,
        budget: WarmBudget | None = None,
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        from agentgym.sandbox import make_sandbox

        self._make = make_sandbox
        self.config = config or SandboxConfig()
        self.size = size
        # image -> idle spares, oldest first, each with the time it became ready
        self._queues: dict[str, deque[tuple[float, Sandbox]]] = {}
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._releasing: set[Sandbox] = set()  # released, their close not run yet
        # Keep warm sandboxes for at most this many images (the most recently used): an env
        # cycling through many task images would otherwise keep one warm container per image.
        self.max_images = max_images
        self._recent: list[str] = []
        self.budget = budget
        if budget is not None:
            budget.register(self)
        # A shared executor (``executor=``) is not ours to shut down: close() cancels and
        # waits for this pool's own tasks only.
        self._owns_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="agentgym-pool"
        )
        self._futures: set[Future[Any]] = set()
        self.stats = {"warm_hits": 0, "cold_starts": 0, "start_errors": 0}
        for image in [self.config.image] if images is None else images:
            self.warm(image)

    def _config_for(self, image: str) -> SandboxConfig:
        return self.config.model_copy(update={"image": image})

    def _give(self, n: int = 1) -> None:
        if self.budget is not None:
            self.budget.give(n)

    def warm(self, image: str) -> None:
        """Start filling the queue for ``image`` up to ``size`` in the background."""
        with self._lock:
            if self._closed:
                return
            q = self._queues.setdefault(image, deque())
            missing = max(self.size - len(q) - self._pending.get(image, 0), 0)
            self._pending[image] = self._pending.get(image, 0) + missing
            evicted = self._evict_locked(image)
        for old in evicted:  # warm sandboxes of images not used lately
            self._close_later(old)
        self._give(len(evicted))
        granted = missing
        if self.budget is not None:
            granted = 0
            while granted < missing and self.budget.take():
                granted += 1
            if granted < missing:
                with self._lock:
                    self._pending[image] -= missing - granted
        for _ in range(granted):
            self._submit(self._fill_one, image)

    def _evict_locked(self, image: str) -> list[Sandbox]:
        if self.max_images is None:
            return []
        if image in self._recent:
            self._recent.remove(image)
        self._recent.append(image)
        out: list[Sandbox] = []
        while len(self._recent) > self.max_images:
            q = self._queues.pop(self._recent.pop(0), None)
            out += [sandbox for _t, sandbox in q or ()]
        return out

    def _fill_one(self, image: str) -> None:
        try:
            sandbox = self._make(self._config_for(image))
        except Exception:
            with self._lock:
                self._pending[image] -= 1
                self.stats["start_errors"] += 1
            self._give()
            return
        with self._lock:
            self._pending[image] -= 1
            target = None if self._closed else self._queues.get(image)  # None: evicted
            if target is not None:
                target.append((time.monotonic(), sandbox))
        if target is None:
            sandbox.close()
            self._give()

    def _submit(self, fn: Any, *args: Any) -> None:
        future = self._executor.submit(fn, *args)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _oldest(self) -> tuple[float, str] | None:
        """(ready since, image) of this pool's longest-idle spare."""
        with self._lock:
            heads = [(q[0][0], image) for image, q in self._queues.items() if q]
        return min(heads) if heads else None

    def _pop_oldest(self, image: str, cutoff: float) -> Sandbox | None:
        with self._lock:
            q = self._queues.get(image)
            if not q or q[0][0] > cutoff:
                return None
            return q.popleft()[1]

    def _close_later(self, sandbox: Sandbox) -> None:
        with self._lock:
            self._releasing.add(sandbox)  # closed by close() if the task is cancelled
        try:
            self._submit(self._destroy, sandbox)
        except RuntimeError:  # the executor is shutting down
            self._destroy(sandbox)

    def acquire(self, image: str | None = None) -> Sandbox:
        """A fresh sandbox for ``image``: warm if one is ready, else started now."""
        image = image or self.config.image
        with self._lock:
            q = self._queues.setdefault(image, deque())
            sandbox = q.popleft()[1] if q else None
            if sandbox is not None:
                self.stats["warm_hits"] += 1
        if sandbox is not None:
            self._give()
        else:
            sandbox = self._make(self._config_for(image))
            with self._lock:
                self.stats["cold_starts"] += 1
        self.warm(image)
        return sandbox

    def release(self, sandbox: Sandbox) -> None:
        """Destroy a used sandbox (in the background)."""
        if self._closed:
            sandbox.close()
            return
        self._close_later(sandbox)

    def _destroy(self, sandbox: Sandbox) -> None:
        try:
            sandbox.close()
        finally:
            with self._lock:
                self._releasing.discard(sandbox)

    def ready(self, image: str | None = None) -> int:
        q = self._queues.get(image or self.config.image)
        return len(q) if q else 0

    def wait_ready(self, image: str | None = None, timeout: float = 60.0) -> bool:
        """Block until the queue for ``image`` is full (for benchmarks and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready(image) >= self.size:
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle = [sandbox for q in self._queues.values() for _t, sandbox in q]
            self._queues.clear()
        if self._owns_executor:
            self._executor.shutdown(wait=True, cancel_futures=True)
        else:
            with self._lock:
                mine = list(self._futures)
            for future in mine:
                future.cancel()
            wait(mine)
        # cancel_futures also dropped releases still queued: close those sandboxes here
        with self._lock:
            released, self._releasing = list(self._releasing), set()
            cancelled = sum(self._pending.values())  # fills that never ran
            self._pending.clear()
        for sandbox in released:
            sandbox.close()
        for sandbox in idle:
            sandbox.close()
        self._give(len(idle) + cancelled)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
