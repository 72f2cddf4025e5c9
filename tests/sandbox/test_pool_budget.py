"""The warm budget shared by pools: a cap on idle spares over all of them, stale spares give
their slot to pools that need one, every slot comes back on hand-out, eviction and close."""

from __future__ import annotations

import threading
import time

import pytest

from agentgym.errors import ConfigError
from agentgym.sandbox import SandboxConfig, SandboxPool, WarmBudget
from agentgym.sandbox import pool as pool_module


class FakeSandbox:
    """Stands in for a container where only the pool's bookkeeping is under test."""

    made = 0

    def __init__(self, config: SandboxConfig, delay: float = 0.0) -> None:
        time.sleep(delay)
        FakeSandbox.made += 1
        self.image = config.image
        self.closed = False

    def close(self) -> None:
        self.closed = True


def fake_pool(budget: WarmBudget | None, delay: float = 0.0, **kw: object) -> SandboxPool:
    pool = SandboxPool(SandboxConfig(type="docker"), images=[], budget=budget, **kw)  # type: ignore[arg-type]
    pool._make = lambda config: FakeSandbox(config, delay)  # type: ignore[assignment, method-assign]
    return pool


def settle(pools: list[SandboxPool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(sum(p._pending.values()) for p in pools):
        time.sleep(0.01)


def test_spares_of_all_pools_stay_within_the_budget() -> None:
    budget = WarmBudget(limit=2)
    pools = [fake_pool(budget, size=1) for _ in range(5)]
    for p in pools:
        p.warm("img")
    settle(pools)
    assert sum(p.ready("img") for p in pools) == 2
    assert budget.used == 2 and budget.stats["refused"] == 3
    cold = next(p for p in pools if p.ready("img") == 0)
    sb = cold.acquire("img")  # no spare: started cold, and its refill is refused too
    assert cold.stats["cold_starts"] == 1 and not sb.closed
    settle(pools)
    assert sum(p.ready("img") for p in pools) == 2
    for p in pools:
        p.close()
    assert budget.used == 0


def test_a_spare_handed_out_frees_its_slot_for_another_pool() -> None:
    budget = WarmBudget(limit=1)
    a, b = fake_pool(budget, size=1), fake_pool(budget, size=1)
    a.warm("img")
    settle([a])
    b.warm("img")
    assert b.ready("img") == 0
    a.acquire("img")  # a's spare leaves the budget; a's refill takes the slot back
    settle([a, b])
    assert a.stats["warm_hits"] == 1 and budget.used == 1
    a.close()
    b.warm("img")
    settle([b])
    assert b.ready("img") == 1 and budget.used == 1
    b.close()
    assert budget.used == 0


def test_a_stale_spare_gives_its_slot_to_a_pool_that_needs_one() -> None:
    budget = WarmBudget(limit=1, stale_s=0.05)
    a, b = fake_pool(budget, size=1), fake_pool(budget, size=1)
    a.warm("img")
    settle([a])
    spare = a._queues["img"][0][1]
    b.warm("img")  # a's spare is fresh: b waits
    assert b.ready("img") == 0 and not spare.closed
    time.sleep(0.1)
    b.warm("img")  # now it is stale: closed, and b gets its slot
    settle([a, b])
    deadline = time.monotonic() + 5
    while not spare.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert spare.closed and a.ready("img") == 0 and b.ready("img") == 1
    assert budget.used == 1 and budget.stats["stale_evicted"] == 1
    a.close()
    b.close()
    assert budget.used == 0


def test_close_gives_back_the_slots_of_spares_still_starting() -> None:
    budget = WarmBudget(limit=4)
    pool = fake_pool(budget, delay=0.3, size=4, workers=1)
    pool.warm("img")  # one worker: three fills still queued when the pool closes
    time.sleep(0.05)
    pool.close()
    assert budget.used == 0


def test_evicting_an_old_image_gives_its_slot_back() -> None:
    budget = WarmBudget(limit=1)
    pool = fake_pool(budget, size=1, max_images=1)
    pool.warm("a")
    settle([pool])
    old = pool._queues["a"][0][1]
    pool.warm("b")  # a is no longer recent: its spare goes, and b can have the slot
    settle([pool])
    assert pool.ready("a") == 0 and pool.ready("b") == 1 and budget.used == 1
    deadline = time.monotonic() + 5
    while not old.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert old.closed
    pool.close()
    assert budget.used == 0


def test_concurrent_acquires_never_overdraw_the_budget() -> None:
    budget = WarmBudget(limit=3)
    pools = [fake_pool(budget, delay=0.002, size=2) for _ in range(6)]
    peak = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], sum(p.ready("img") for p in pools))
            time.sleep(0.001)

    def work(p: SandboxPool) -> None:
        for _ in range(30):
            p.release(p.acquire("img"))

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=work, args=(p,)) for p in pools]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    stop.set()
    watcher.join()
    settle(pools)
    assert peak[0] <= 3 and budget.used <= 3
    for p in pools:
        p.close()
    assert budget.used == 0


def test_bad_budget_setting_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "_shared", None)
    monkeypatch.setenv(pool_module.WARM_ENV, "lots")
    with pytest.raises(ConfigError, match="AGENTGYM_MAX_WARM_SANDBOXES='lots'"):
        pool_module.shared_warm_budget()
    monkeypatch.setenv(pool_module.WARM_ENV, "3")
    assert pool_module.shared_warm_budget().limit == 3


@pytest.mark.docker
def test_envs_share_one_budget_of_real_containers(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentgym.env import CodingEnv
    from agentgym.sandbox import docker_client

    monkeypatch.setattr(pool_module, "_shared", WarmBudget(limit=1))
    envs = [CodingEnv("envs/bugfix", backend="docker", grade=False) for _ in range(3)]
    try:
        for env in envs:
            env.reset(seed=0, options={"task_id": env.tasks[0].id})
        deadline = time.monotonic() + 60
        while sum(sum(e._pool._pending.values()) for e in envs) and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        spares = sum(e._pool.ready(e._images[e.tasks[0].id]) for e in envs)  # type: ignore[union-attr]
        assert spares == 1
        assert all(e._pool.budget is pool_module._shared for e in envs)  # type: ignore[union-attr]
        import os

        mine = [
            c
            for c in docker_client().api.containers(filters={"label": "agentgym.managed"})
            if c["Labels"].get("agentgym.owner_pid") == str(os.getpid())
        ]
        assert len(mine) == 3 + 1  # three episodes and one spare, not three spares
    finally:
        for env in envs:
            env.close()
    assert pool_module._shared.used == 0  # type: ignore[union-attr]


def test_pools_on_a_shared_executor_close_only_their_own_work() -> None:
    from concurrent.futures import ThreadPoolExecutor

    shared = ThreadPoolExecutor(max_workers=1)
    budget = WarmBudget(limit=8)
    a = fake_pool(budget, delay=0.2, size=3, executor=shared)
    b = fake_pool(budget, delay=0.2, size=1, executor=shared)
    used = a.acquire("img")  # cold start; three fills of a queue behind each other
    b.warm("img")
    a.release(used)
    a.close()  # cancels a's queued fills and closes what it released, b's fill still runs
    assert used.closed
    settle([b])
    assert b.ready("img") == 1
    b.close()
    assert budget.used == 0
    assert not shared._shutdown  # type: ignore[attr-defined]  # not the pool's to shut down
    shared.shutdown()
