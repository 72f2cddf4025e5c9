"""A pool of warm sandboxes so ``reset()`` never waits for a container to start.

Each image has a queue of ready sandboxes (container started, shell answering). ``acquire``
takes one (or starts one cold when the queue is empty) and a background worker tops the
queue up again. A used sandbox is destroyed on ``release``; it is never handed out twice.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agentgym.sandbox.base import Sandbox, SandboxConfig


class SandboxPool:
    """Thread-safe warm pool keyed by image. Use as a context manager."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        size: int = 2,
        workers: int = 2,
        images: list[str] | None = None,
        max_images: int | None = None,
    ) -> None:
        from agentgym.sandbox import make_sandbox

        self._make = make_sandbox
        self.config = config or SandboxConfig()
        self.size = size
        self._queues: dict[str, queue.Queue[Sandbox]] = {}
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._releasing: set[Sandbox] = set()  # released, their close not run yet
        # Keep warm sandboxes for at most this many images (the most recently used): an env
        # cycling through many task images would otherwise keep one warm container per image.
        self.max_images = max_images
        self._recent: list[str] = []
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="agentgym-pool")
        self.stats = {"warm_hits": 0, "cold_starts": 0, "start_errors": 0}
        for image in images or [self.config.image]:
            self.warm(image)

    def _config_for(self, image: str) -> SandboxConfig:
        return self.config.model_copy(update={"image": image})

    def warm(self, image: str) -> None:
        """Start filling the queue for ``image`` up to ``size`` in the background."""
        with self._lock:
            if self._closed:
                return
            q = self._queues.setdefault(image, queue.Queue())
            missing = self.size - q.qsize() - self._pending.get(image, 0)
            self._pending[image] = self._pending.get(image, 0) + max(missing, 0)
            evicted = self._evict_locked(image)
        for old in evicted:  # warm sandboxes of images not used lately
            self._executor.submit(old.close)
        for _ in range(max(missing, 0)):
            self._executor.submit(self._fill_one, image)

    def _evict_locked(self, image: str) -> list[Sandbox]:
        if self.max_images is None:
            return []
        if image in self._recent:
            self._recent.remove(image)
        self._recent.append(image)
        out: list[Sandbox] = []
        while len(self._recent) > self.max_images:
            q = self._queues.pop(self._recent.pop(0), None)
            while q is not None:
                try:
                    out.append(q.get_nowait())
                except queue.Empty:
                    break
        return out

    def _fill_one(self, image: str) -> None:
        try:
            sandbox = self._make(self._config_for(image))
        except Exception:
            with self._lock:
                self._pending[image] -= 1
                self.stats["start_errors"] += 1
            return
        with self._lock:
            self._pending[image] -= 1
            target = None if self._closed else self._queues.get(image)  # None: evicted
            if target is not None:
                target.put(sandbox)
        if target is None:
            sandbox.close()

    def acquire(self, image: str | None = None) -> Sandbox:
        """A fresh sandbox for ``image``: warm if one is ready, else started now."""
        image = image or self.config.image
        with self._lock:
            q = self._queues.setdefault(image, queue.Queue())
        try:
            sandbox = q.get_nowait()
            with self._lock:
                self.stats["warm_hits"] += 1
        except queue.Empty:
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
        with self._lock:
            self._releasing.add(sandbox)
        self._executor.submit(self._destroy, sandbox)

    def _destroy(self, sandbox: Sandbox) -> None:
        try:
            sandbox.close()
        finally:
            with self._lock:
                self._releasing.discard(sandbox)

    def ready(self, image: str | None = None) -> int:
        q = self._queues.get(image or self.config.image)
        return q.qsize() if q else 0

    def wait_ready(self, image: str | None = None, timeout: float = 60.0) -> bool:
        """Block until the queue for ``image`` is full (for benchmarks and tests)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready(image) >= self.size:
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            queues = list(self._queues.values())
        self._executor.shutdown(wait=True, cancel_futures=True)
        # cancel_futures also dropped releases still queued: close those sandboxes here
        with self._lock:
            released, self._releasing = list(self._releasing), set()
        for sandbox in released:
            sandbox.close()
        for q in queues:
            while True:
                try:
                    q.get_nowait().close()
                except queue.Empty:
                    break

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
