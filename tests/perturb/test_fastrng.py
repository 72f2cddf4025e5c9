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


def test_call_uniforms_are_a_pure_function_of_seed_index_and_width() -> None:
    from agentgym.perturb.fastrng import CALL_BLOCK, _uniform_block, call_uniforms

    def draws(seed: int, index: int, width: int) -> list[float]:
        values, start = call_uniforms(seed, index, width)
        return values[start : start + width]

    cases = [(s, i, w) for s in (0, 7, 2**31 - 2) for i in (0, 1, 31, 32, 33, 1000) for w in (1, 3)]
    first = {c: draws(*c) for c in cases}
    _uniform_block.cache_clear()  # recomputed in another order: the same values
    for c in reversed(cases):
        assert draws(*c) == first[c]
    seed, index, width = 5, 40, 3
    block, i = divmod(index, CALL_BLOCK)
    ref = np.random.default_rng([seed, 0xB10C, width, block]).random(CALL_BLOCK * width)
    assert draws(seed, index, width) == ref[i * width : (i + 1) * width].tolist()
    assert all(0.0 <= u < 1.0 for u in draws(seed, index, width))
    assert draws(1, 2, 1) != draws(1, 3, 1) and draws(1, 2, 1) != draws(2, 2, 1)
