from cachetools import LRUCache, cached


def test_clear_resets_counters():
    @cached(LRUCache(10), info=True)
    def f(x):
        return x

    f(1)
    f(1)
    f.cache_clear()
    info = f.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 0, 0)
