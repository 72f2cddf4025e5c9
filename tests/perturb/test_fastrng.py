"""``derived_random`` draws exactly what ``np.random.default_rng([seed, *keys])`` draws."""

from __future__ import annotations

import random

import numpy as np
import pytest

from agentgym.perturb.fastrng import DerivedRandom, derived_random

BOUNDS = [1, 2, 3, 7, 10, 100, 1000, 2**31 - 1, 2**31 + 1, 3 * 2**30, 2**32 - 1, 2**32]


def _keys(r: random.Random) -> list[int]:
    pick = [0, 1, 2**31 - 2, 2**32 - 1, 2**32, r.randrange(2**31 - 1), r.randrange(2**80)]
    return [r.choice(pick) for _ in range(r.randrange(1, 7))]


@pytest.mark.parametrize("chunk", range(4))
def test_same_draws_as_numpy(chunk: int) -> None:
    r = random.Random(chunk)
    for _ in range(500):
        keys = _keys(r)
        fast, ref = derived_random(*keys), np.random.default_rng(keys)
        assert isinstance(fast, DerivedRandom)
        for _ in range(16):
            if r.random() < 0.4:
                assert fast.random() == ref.random()
            else:
                high = r.choice([*BOUNDS, r.randrange(1, 2**32 + 1)])
                assert fast.integers(high) == int(ref.integers(high)), (keys, high)


def test_unusual_keys_fall_back_to_numpy() -> None:
    assert isinstance(derived_random(5, np.int64(3)), np.random.Generator)
    with pytest.raises(ValueError):
        derived_random(5, -1)
    with pytest.raises(ValueError):
        DerivedRandom([1] * 8).integers(0)
