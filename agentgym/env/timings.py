"""Timings in ``info``: a read-only mapping of seconds that compares by what it measured.

Wall-clock numbers differ between two runs of the same episode, but they are measurements,
not part of the transition, so two ``Timings`` are equal when they measured the same things
(same keys). That keeps Gymnasium's determinism checks meaningful for everything else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class Timings(Mapping[str, float]):
    __slots__ = ("_data",)

    def __init__(self, **seconds: float) -> None:
        self._data = dict(seconds)

    def __getitem__(self, key: str) -> float:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Timings):
            return self._data.keys() == other._data.keys()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._data))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v * 1000:.2f}ms" for k, v in self._data.items())
        return f"Timings({inner})"

    def to_dict(self) -> dict[str, float]:
        return dict(self._data)
