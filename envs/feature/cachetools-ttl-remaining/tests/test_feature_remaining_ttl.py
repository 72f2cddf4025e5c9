import pytest

from cachetools import TTLCache


def make():
    now = [0]
    cache = TTLCache(maxsize=10, ttl=5, timer=lambda: now[0])
    return cache, now


def test_remaining():
    cache, now = make()
    cache["k"] = 1
    now[0] = 2
    assert cache.remaining_ttl("k") == 3


def test_missing_and_expired():
    cache, now = make()
    with pytest.raises(KeyError):
        cache.remaining_ttl("nope")
    cache["k"] = 1
    now[0] = 5
    with pytest.raises(KeyError):
        cache.remaining_ttl("k")


def test_does_not_touch_order():
    cache, now = make()
    cache["a"] = 1
    cache["b"] = 2
    cache.remaining_ttl("a")
    assert list(cache) == ["a", "b"]
