from cachetools import TTLCache


def make():
    now = [0]
    cache = TTLCache(maxsize=10, ttl=5, timer=lambda: now[0])
    cache["k"] = "v"
    return cache, now


def test_contains_false_at_expiry():
    cache, now = make()
    now[0] = 5
    assert "k" not in cache
    assert cache.get("k") is None


def test_contains_true_before_expiry():
    cache, now = make()
    now[0] = 4
    assert "k" in cache
