"""The first draws of ``np.random.default_rng([seed, *keys])``, bit for bit, in pure Python.

Response transforms draw a few numbers per tool call from a Generator seeded by
``(params["seed"], call_index, ...)``. Building that Generator (``SeedSequence`` hashing,
``PCG64`` seeding) costs about 20 µs, more than the rest of a perturbed call. The handful of
draws the per-call path needs — ``random()`` and ``integers(high)`` — are reproduced here from
numpy's published algorithms (``SeedSequence`` mixing, PCG64 XSL-RR, ``next_double``, Lemire's
bounded integers on the 32-bit stream) in a few µs. ``tests/perturb/test_fastrng.py`` checks
them against numpy over many seeds, keys and bounds; anything else (other methods, negative or
non-int keys) goes through :func:`numpy.random.default_rng` as before.
"""

from __future__ import annotations

import functools

import numpy as np

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_M128 = (1 << 128) - 1
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341

# SeedSequence constants (numpy/random/bit_generator.pyx).
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4


def _hash_consts(init: int, mult: int, n: int) -> list[tuple[int, int]]:
    """(value xored in, value multiplied by) of the first ``n`` hashmix calls: the hash
    constant evolves independently of the data, so these are fixed."""
    out, h = [], init
    for _ in range(n):
        nxt = (h * mult) & _M32
        out.append((h, nxt))
        h = nxt
    return out


_HA = _hash_consts(_INIT_A, _MULT_A, 64)
_HB = _hash_consts(_INIT_B, _MULT_B, 2 * _POOL)


def _words(keys: tuple[int, ...]) -> list[int] | None:
    """``SeedSequence``'s entropy words for non-negative Python ints; ``None`` otherwise."""
    out: list[int] = []
    for k in keys:
        if type(k) is not int or k < 0:
            return None
        if k <= _M32:
            out.append(k)
            continue
        while k:
            out.append(k & _M32)
            k >>= 32
    return out


def _pool(entropy: list[int]) -> list[int]:
    """``SeedSequence.mix_entropy`` (no spawn key, pool size 4)."""
    consts = iter(_HA) if len(entropy) <= 14 else _HA_more(len(entropy))

    def hashmix(value: int) -> int:
        x, m = next(consts)
        v = ((value ^ x) * m) & _M32
        return v ^ (v >> 16)

    def mix(x: int, y: int) -> int:
        r = (_MIX_L * x - _MIX_R * y) & _M32
        return r ^ (r >> 16)

    mixer = [hashmix(entropy[i] if i < len(entropy) else 0) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                mixer[dst] = mix(mixer[dst], hashmix(mixer[src]))
    for src in range(_POOL, len(entropy)):
        for dst in range(_POOL):
            mixer[dst] = mix(mixer[dst], hashmix(entropy[src]))
    return mixer


def _HA_more(n: int):
    return iter(_hash_consts(_INIT_A, _MULT_A, _POOL + 12 + (n - _POOL) * _POOL))


def _state4(e0: int, e1: int, e2: int, e3: int) -> tuple[int, ...]:
    """``SeedSequence(entropy).generate_state(8, uint32)`` for at most four entropy words
    (missing words are 0, which numpy's pool padding makes equivalent): ``_pool`` and
    ``DerivedRandom``'s output hashing unrolled, with the hash constants folded in. Generated
    from ``_HA``/``_HB``; ``tests/perturb/test_fastrng.py`` checks it against numpy."""
    v = ((e0 ^ 0x43B0D7E5) * 0xAE5A53A9) & _M32
    m0 = v ^ (v >> 16)
    v = ((e1 ^ 0xAE5A53A9) * 0x8488043D) & _M32
    m1 = v ^ (v >> 16)
    v = ((e2 ^ 0x8488043D) * 0x5A9057E1) & _M32
    m2 = v ^ (v >> 16)
    v = ((e3 ^ 0x5A9057E1) * 0x9205B1D5) & _M32
    m3 = v ^ (v >> 16)
    v = ((m0 ^ 0x9205B1D5) * 0xE9096E59) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m1 - _MIX_R * h) & _M32
    m1 = v ^ (v >> 16)
    v = ((m0 ^ 0xE9096E59) * 0x8D5CB6AD) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m2 - _MIX_R * h) & _M32
    m2 = v ^ (v >> 16)
    v = ((m0 ^ 0x8D5CB6AD) * 0x9BB16511) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m3 - _MIX_R * h) & _M32
    m3 = v ^ (v >> 16)
    v = ((m1 ^ 0x9BB16511) * 0x00C238C5) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m0 - _MIX_R * h) & _M32
    m0 = v ^ (v >> 16)
    v = ((m1 ^ 0x00C238C5) * 0x4D029A09) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m2 - _MIX_R * h) & _M32
    m2 = v ^ (v >> 16)
    v = ((m1 ^ 0x4D029A09) * 0xCC132E1D) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m3 - _MIX_R * h) & _M32
    m3 = v ^ (v >> 16)
    v = ((m2 ^ 0xCC132E1D) * 0x83A97B41) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m0 - _MIX_R * h) & _M32
    m0 = v ^ (v >> 16)
    v = ((m2 ^ 0x83A97B41) * 0xFA8DDCB5) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m1 - _MIX_R * h) & _M32
    m1 = v ^ (v >> 16)
    v = ((m2 ^ 0xFA8DDCB5) * 0xAC4C06B9) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m3 - _MIX_R * h) & _M32
    m3 = v ^ (v >> 16)
    v = ((m3 ^ 0xAC4C06B9) * 0x26FF5A8D) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m0 - _MIX_R * h) & _M32
    m0 = v ^ (v >> 16)
    v = ((m3 ^ 0x26FF5A8D) * 0x0E554A71) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m1 - _MIX_R * h) & _M32
    m1 = v ^ (v >> 16)
    v = ((m3 ^ 0x0E554A71) * 0x78C50DA5) & _M32
    h = v ^ (v >> 16)
    v = (_MIX_L * m2 - _MIX_R * h) & _M32
    m2 = v ^ (v >> 16)
    v = ((m0 ^ 0x8B51F9DD) * 0x464A0A99) & _M32
    w0 = v ^ (v >> 16)
    v = ((m1 ^ 0x464A0A99) * 0x819D14A5) & _M32
    w1 = v ^ (v >> 16)
    v = ((m2 ^ 0x819D14A5) * 0xD369FDC1) & _M32
    w2 = v ^ (v >> 16)
    v = ((m3 ^ 0xD369FDC1) * 0x501638AD) & _M32
    w3 = v ^ (v >> 16)
    v = ((m0 ^ 0x501638AD) * 0xA600C129) & _M32
    w4 = v ^ (v >> 16)
    v = ((m1 ^ 0xA600C129) * 0x8B0167F5) & _M32
    w5 = v ^ (v >> 16)
    v = ((m2 ^ 0x8B0167F5) * 0x5C1E2ED1) & _M32
    w6 = v ^ (v >> 16)
    v = ((m3 ^ 0x5C1E2ED1) * 0x301D747D) & _M32
    w7 = v ^ (v >> 16)
    return w0, w1, w2, w3, w4, w5, w6, w7


class DerivedRandom:
    """``np.random.default_rng([seed, *keys])`` for ``random()`` and ``integers(high)``.

    Same values, same order, same stream consumption as the numpy Generator; other methods
    are not provided (use :func:`agentgym.perturb.base.derived_rng`).
    """

    __slots__ = ("_has32", "_inc", "_state", "_u32")

    def __init__(self, w: tuple[int, ...] | list[int]) -> None:
        """``w``: ``SeedSequence.generate_state(8, uint32)``, i.e. PCG64's seed and increment."""
        s = (w[1] << 96) | (w[0] << 64) | (w[3] << 32) | w[2]
        inc = (((w[5] << 96) | (w[4] << 64) | (w[7] << 32) | w[6]) << 1 | 1) & _M128
        state = (inc + s) & _M128  # srandom: state=0, step, += initstate, step
        self._state = (state * _PCG_MULT + inc) & _M128
        self._inc = inc
        self._has32 = False
        self._u32 = 0

    def _next64(self) -> int:
        st = (self._state * _PCG_MULT + self._inc) & _M128
        self._state = st
        v = ((st >> 64) ^ st) & _M64
        rot = st >> 122
        return ((v >> rot) | (v << ((-rot) & 63))) & _M64

    def _next32(self) -> int:
        if self._has32:
            self._has32 = False
            return self._u32
        n = self._next64()
        self._has32 = True
        self._u32 = n >> 32
        return n & _M32

    def random(self) -> float:
        """``Generator.random()``: a float in [0, 1)."""
        return (self._next64() >> 11) * (1.0 / 9007199254740992.0)

    def integers(self, high: int) -> int:
        """``int(Generator.integers(high))`` for ``1 <= high <= 2**32``."""
        rng = high - 1
        if rng <= 0:
            if rng == 0:
                return 0
            raise ValueError("high <= 0")
        if rng == _M32:
            return self._next32()
        if rng > _M32:
            raise ValueError("DerivedRandom.integers supports high <= 2**32")
        excl = rng + 1
        m = self._next32() * excl
        left = m & _M32
        if left < excl:
            threshold = (_M32 - rng) % excl
            while left < threshold:
                m = self._next32() * excl
                left = m & _M32
        return m >> 32


def derived_random(seed: int, *keys: int) -> DerivedRandom | np.random.Generator:
    """A cheap stand-in for ``np.random.default_rng([seed, *keys])`` when only
    ``random()`` and ``integers(high <= 2**32)`` are drawn from it."""
    words = _words((seed, *keys))
    if words is None:  # let numpy raise (or handle) exactly as before
        return np.random.default_rng([seed, *keys])
    if len(words) <= _POOL:
        return DerivedRandom(_state4(*words, *(0,) * (_POOL - len(words))))
    return DerivedRandom(_generate_state(_pool(words)))


def _generate_state(pool: list[int]) -> list[int]:
    """``SeedSequence.generate_state(8, uint32)`` from the mixed pool."""
    out = []
    for i, (x, m) in enumerate(_HB):
        v = ((pool[i % _POOL] ^ x) * m) & _M32
        out.append(v ^ (v >> 16))
    return out


# --- per-call draws from per-episode blocks (transform params "version": 2) --------------------

CALL_BLOCK = 32  # calls per block
_BLOCK_KEY = 0xB10C  # separates these streams from derived_random's (seed, call_index, ...)


# Keyed by episode seed, so a finished episode's blocks are never hit again: the cache only
# saves work within an episode. A small one fills within the first minutes of a long run
# instead of growing for its first hours (a soak of thousands of seeds); a miss costs ~40 us.
@functools.lru_cache(maxsize=64)
def _uniform_block(seed: int, width: int, block: int) -> list[float]:
    rng = np.random.default_rng([seed, _BLOCK_KEY, width, block])
    return rng.random(CALL_BLOCK * width).tolist()


def call_uniforms(seed: int, call_index: int, width: int) -> tuple[list[float], int]:
    """``width`` floats in [0, 1) for one tool call: ``values[start:start + width]`` of the
    returned ``(values, start)``.

    A pure function of ``(seed, call_index, width)``, so replays are exact, but drawn
    ``CALL_BLOCK`` calls at a time from one Generator and cached: a call costs a lookup, not a
    Generator of its own. Response transforms whose params carry ``"version": 2`` draw their
    per-call choices here; older records (no version) keep :func:`derived_random`.
    """
    block, i = divmod(call_index, CALL_BLOCK)
    return _uniform_block(seed, width, block), i * width


__all__ = ["CALL_BLOCK", "DerivedRandom", "call_uniforms", "derived_random"]
