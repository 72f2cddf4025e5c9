"""Tasks on cachetools 5.5.0 (memoizing collections and decorators)."""

from __future__ import annotations

import re
from pathlib import Path

from spec import After, Spec

LIB = "cachetools"
INIT = "src/cachetools/__init__.py"
FUNC = "src/cachetools/func.py"
KEYS = "src/cachetools/keys.py"


def _dedupe_empty_error(repo: Path) -> None:
    init = repo / INIT
    text = init.read_text()
    text, count = re.subn(
        r'raise KeyError\("%s is empty" % (type\(self\)|self\.__class__)\.__name__\) from None',
        "raise _empty_error(self) from None",
        text,
    )
    assert count == 7, count
    text = text.replace(
        "class Cache(collections.abc.MutableMapping):",
        "def _empty_error(cache):\n"
        '    """The KeyError that popitem() raises on an empty cache."""\n'
        '    return KeyError("%s is empty" % type(cache).__name__)\n\n\n'
        "class Cache(collections.abc.MutableMapping):",
        1,
    )
    init.write_text(text)


TASKS = [
    Spec(
        id="cachetools-lru-read-does-not-refresh",
        pack="bugfix",
        lib=LIB,
        difficulty="medium",
        tags=["missed-case", "eviction"],
        modules=["tests/test_lru.py"],
        instruction="""
        LRUCache evicts entries that were just read

        Reading an entry should make it the most recently used one, but it does not:

        ```python
        >>> from cachetools import LRUCache
        >>> c = LRUCache(maxsize=2)
        >>> c["a"] = 1; c["b"] = 2
        >>> c["a"]          # use "a"
        1
        >>> c["c"] = 3      # should evict "b", the least recently used
        >>> sorted(c)
        ['b', 'c']
        ```

        Expected `['a', 'c']`. Only writes seem to count as a use at the moment.
        """,
        edits=[
            (
                INIT,
                After(
                    "class LRUCache(Cache):",
                    "        if key in self:  # __missing__ may not store item\n"
                    "            self.__update(key)\n",
                ),
                "",
            )
        ],
    ),
    Spec(
        id="cachetools-typedkey-ignores-kwargs",
        pack="bugfix",
        lib=LIB,
        difficulty="medium",
        tags=["missed-case", "keys"],
        modules=["tests/test_keys.py", "tests/test_func.py"],
        instruction="""
        `typed=True` does not separate keyword arguments of different types

        With `typed=True`, `f(1)` and `f(1.0)` are cached separately, as documented. But
        passed as keyword arguments they share one entry:

        ```python
        import cachetools.func

        @cachetools.func.lru_cache(typed=True)
        def f(x):
            return type(x).__name__

        f(x=1)     # 'int'
        f(x=1.0)   # 'int'  <- expected 'float'
        ```

        `cachetools.keys.typedkey(x=1) == cachetools.keys.typedkey(x=1.0)` is True, which
        looks like the cause. Positional arguments work.
        """,
        edits=[
            (KEYS, "    key += tuple(type(v) for _, v in sorted(kwargs.items()))\n", ""),
        ],
        hidden={
            "tests/test_issue_typed_kwargs.py": """
            import cachetools.func
            import cachetools.keys


            def test_typedkey_kwargs_differ_by_type():
                assert cachetools.keys.typedkey(x=1) != cachetools.keys.typedkey(x=1.0)


            def test_typedkey_kwargs_same_type_equal():
                assert cachetools.keys.typedkey(a=1, b="x") == cachetools.keys.typedkey(b="x", a=1)


            def test_typed_decorator_with_kwargs():
                @cachetools.func.lru_cache(typed=True)
                def f(x):
                    return type(x).__name__

                assert f(x=1) == "int"
                assert f(x=1.0) == "float"
            """
        },
    ),
    Spec(
        id="cachetools-ttl-contains-at-expiry",
        pack="bugfix",
        lib=LIB,
        difficulty="medium",
        tags=["boundary", "time"],
        modules=["tests/test_ttl.py"],
        instruction="""
        TTLCache: `key in cache` is True at the moment the item expires

        With a manual timer:

        ```python
        from cachetools import TTLCache

        now = [0]
        cache = TTLCache(maxsize=10, ttl=5, timer=lambda: now[0])
        cache["k"] = "v"
        now[0] = 5
        print("k" in cache)      # True
        print(cache.get("k"))    # None
        ```

        At time 5 the item has expired (`cache["k"]` raises KeyError, `get` returns None,
        `len(cache)` is 0) but `in` still says it is there. Membership should agree with
        lookup: an item expires exactly when its time-to-live has elapsed.
        """,
        edits=[
            (
                INIT,
                After(
                    "    def __contains__(self, key):\n        try:\n            link = self.__links[key]",
                    "            return self.timer() < link.expires",
                ),
                "            return self.timer() <= link.expires",
            )
        ],
        hidden={
            "tests/test_issue_ttl_contains.py": """
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
            """
        },
    ),
    Spec(
        id="cachetools-value-size-equal-to-maxsize",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["boundary", "off-by-one"],
        modules=["tests/test_cache.py"],
        instruction="""
        Cache refuses a value whose size equals maxsize

        ```python
        >>> from cachetools import Cache
        >>> c = Cache(maxsize=3, getsizeof=len)
        >>> c["k"] = "abc"
        ValueError: value too large
        ```

        A value of size 3 fits in a cache of maxsize 3 (it just has to evict everything
        else). Values *larger* than maxsize should keep raising `ValueError`.
        """,
        edits=[(INIT, "        if size > maxsize:\n", "        if size >= maxsize:\n")],
        hidden={
            "tests/test_issue_size_boundary.py": """
            import pytest

            from cachetools import Cache, LRUCache


            def test_value_as_large_as_cache_fits():
                c = Cache(maxsize=3, getsizeof=len)
                c["k"] = "abc"
                assert c["k"] == "abc"
                assert c.currsize == 3


            def test_value_as_large_as_cache_evicts_others():
                c = LRUCache(maxsize=3, getsizeof=len)
                c["a"] = "x"
                c["b"] = "xyz"
                assert list(c) == ["b"]


            def test_larger_value_still_rejected():
                c = Cache(maxsize=3, getsizeof=len)
                with pytest.raises(ValueError):
                    c["k"] = "abcd"
            """
        },
    ),
    Spec(
        id="cachetools-cache-clear-keeps-stats",
        pack="bugfix",
        lib=LIB,
        difficulty="easy",
        tags=["missed-case", "stats"],
        modules=["tests/test_cached.py"],
        instruction="""
        `cache_clear()` does not reset the hit/miss counters (info=True, no lock)

        ```python
        from cachetools import LRUCache, cached

        @cached(LRUCache(10), info=True)
        def f(x):
            return x

        f(1); f(1)
        f.cache_clear()
        print(f.cache_info())   # CacheInfo(hits=1, misses=1, maxsize=10, currsize=0)
        ```

        After `cache_clear()` I expect hits=0 and misses=0, like `functools.lru_cache`.
        It works when a `lock=` is given.
        """,
        edits=[
            (
                INIT,
                After(
                    "            elif lock is None:\n\n                def wrapper(*args, **kwargs):\n"
                    "                    nonlocal hits, misses",
                    "                    cache.clear()\n                    hits = misses = 0\n",
                ),
                "                    cache.clear()\n",
            )
        ],
        hidden={
            "tests/test_issue_clear_stats.py": """
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
            """
        },
    ),
    Spec(
        id="cachetools-dedupe-empty-error",
        pack="refactor",
        lib=LIB,
        tags=["remove-duplication"],
        modules=[
            "tests/test_cache.py",
            "tests/test_fifo.py",
            "tests/test_lfu.py",
            "tests/test_lru.py",
            "tests/test_mru.py",
            "tests/test_rr.py",
            "tests/test_ttl.py",
            "tests/test_tlru.py",
        ],
        instruction="""
        Remove the copies of the "cache is empty" error

        Every `popitem()` in `src/cachetools/__init__.py` builds the same exception by hand:
        `raise KeyError("%s is empty" % type(self).__name__) from None`. Please add one
        module-level helper, `_empty_error(cache)`, that returns that `KeyError` (same
        message, e.g. `"LRUCache is empty"`), and make every `popitem()` use it
        (`raise _empty_error(self) from None`). The message text must appear only once in
        the module. Behaviour must not change.
        """,
        transform=_dedupe_empty_error,
        hidden={
            "tests/test_refactor_empty_error.py": """
            import ast
            import pathlib

            import pytest

            import cachetools

            TREE = ast.parse(pathlib.Path(cachetools.__file__).read_text())


            def test_helper_exists():
                err = cachetools._empty_error(cachetools.LRUCache(1))
                assert isinstance(err, KeyError)
                assert err.args == ("LRUCache is empty",)


            def test_message_written_once():
                literals = [
                    n for n in ast.walk(TREE)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str) and "is empty" in n.value
                ]
                assert len(literals) == 1


            def test_popitem_methods_use_helper():
                for cls in ast.walk(TREE):
                    if isinstance(cls, ast.ClassDef):
                        for fn in cls.body:
                            if isinstance(fn, ast.FunctionDef) and fn.name == "popitem":
                                calls = [
                                    c.func.id for c in ast.walk(fn)
                                    if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                                ]
                                assert "_empty_error" in calls, cls.name


            @pytest.mark.parametrize(
                "make",
                [
                    lambda: cachetools.FIFOCache(2),
                    lambda: cachetools.LFUCache(2),
                    lambda: cachetools.LRUCache(2),
                    lambda: cachetools.RRCache(2),
                    lambda: cachetools.TTLCache(2, 10),
                    lambda: cachetools.TLRUCache(2, lambda k, v, t: t + 10),
                ],
            )
            def test_empty_popitem_message(make):
                cache = make()
                with pytest.raises(KeyError, match=type(cache).__name__ + " is empty"):
                    cache.popitem()
            """
        },
    ),
    Spec(
        id="cachetools-add-fifo-cache",
        pack="feature",
        max_fail_to_pass=40,
        lib=LIB,
        difficulty="medium",
        tags=["new-class"],
        modules=["tests/test_func.py", "tests/test_lru.py"],
        instruction="""
        Add a FIFO cache and a `fifo_cache` decorator

        Please add `cachetools.FIFOCache(maxsize, getsizeof=None)`, a `Cache` subclass that
        evicts the entry that was inserted first (First In, First Out), whatever was read
        since. Updating an existing key counts as a fresh insertion. Like the other caches
        it must honour `getsizeof`, and `popitem()` on an empty cache raises
        `KeyError("FIFOCache is empty")`. Export it from `cachetools` (`__all__`).

        Also add `cachetools.func.fifo_cache(maxsize=128, typed=False)`, the memoizing
        decorator built on it, with the same interface as `lru_cache` (including
        `maxsize=None` and use as `@fifo_cache` without arguments).
        """,
        edits=[
            (INIT, '    "FIFOCache",\n', ""),
            (
                INIT,
                INIT_FIFO := (
                    "class FIFOCache(Cache):\n"
                    '    """First In First Out (FIFO) cache implementation."""\n\n'
                    "    def __init__(self, maxsize, getsizeof=None):\n"
                    "        Cache.__init__(self, maxsize, getsizeof)\n"
                    "        self.__order = collections.OrderedDict()\n\n"
                    "    def __setitem__(self, key, value, cache_setitem=Cache.__setitem__):\n"
                    "        cache_setitem(self, key, value)\n"
                    "        try:\n"
                    "            self.__order.move_to_end(key)\n"
                    "        except KeyError:\n"
                    "            self.__order[key] = None\n\n"
                    "    def __delitem__(self, key, cache_delitem=Cache.__delitem__):\n"
                    "        cache_delitem(self, key)\n"
                    "        del self.__order[key]\n\n"
                    "    def popitem(self):\n"
                    '        """Remove and return the `(key, value)` pair first inserted."""\n'
                    "        try:\n"
                    "            key = next(iter(self.__order))\n"
                    "        except StopIteration:\n"
                    '            raise KeyError("%s is empty" % type(self).__name__) from None\n'
                    "        else:\n"
                    "            return (key, self.pop(key))\n\n\n"
                ),
                "",
            ),
            (
                FUNC,
                '__all__ = ("fifo_cache", "lfu_cache",',
                '__all__ = ("lfu_cache",',
            ),
            (
                FUNC,
                "from . import FIFOCache, LFUCache,",
                "from . import LFUCache,",
            ),
            (
                FUNC,
                "def fifo_cache(maxsize=128, typed=False):\n"
                '    """Decorator to wrap a function with a memoizing callable that saves\n'
                "    up to `maxsize` results based on a First In First Out (FIFO)\n"
                "    algorithm.\n\n"
                '    """\n'
                "    if maxsize is None:\n"
                "        return _cache({}, None, typed)\n"
                "    elif callable(maxsize):\n"
                "        return _cache(FIFOCache(128), 128, typed)(maxsize)\n"
                "    else:\n"
                "        return _cache(FIFOCache(maxsize), maxsize, typed)\n\n\n",
                "",
            ),
            (
                "tests/test_func.py",
                "class FIFODecoratorTest(unittest.TestCase, DecoratorTestMixin):\n"
                "    DECORATOR = staticmethod(cachetools.func.fifo_cache)\n\n\n",
                "",
            ),
            ("tests/test_fifo.py", None, None),
        ],
        hidden={
            "tests/test_fifo.py": """
            import unittest

            import cachetools.func
            from cachetools import FIFOCache

            from . import CacheTestMixin


            class FIFOCacheTest(unittest.TestCase, CacheTestMixin):
                Cache = FIFOCache

                def test_fifo(self):
                    cache = FIFOCache(maxsize=2)
                    cache[1] = 1
                    cache[2] = 2
                    cache[3] = 3
                    self.assertEqual(len(cache), 2)
                    self.assertEqual(cache[2], 2)
                    self.assertEqual(cache[3], 3)
                    self.assertNotIn(1, cache)
                    cache[2]
                    cache[4] = 4
                    self.assertEqual(len(cache), 2)
                    self.assertEqual(cache[3], 3)
                    self.assertEqual(cache[4], 4)
                    self.assertNotIn(2, cache)
                    cache[5] = 5
                    self.assertEqual(len(cache), 2)
                    self.assertEqual(cache[4], 4)
                    self.assertEqual(cache[5], 5)
                    self.assertNotIn(3, cache)

                def test_update_counts_as_insertion(self):
                    cache = FIFOCache(maxsize=2)
                    cache[1] = 1
                    cache[2] = 2
                    cache[1] = 10
                    cache[3] = 3
                    self.assertEqual(sorted(cache), [1, 3])

                def test_fifo_getsizeof(self):
                    cache = FIFOCache(maxsize=3, getsizeof=lambda x: x)
                    cache[1] = 1
                    cache[2] = 2
                    self.assertEqual(len(cache), 2)
                    cache[3] = 3
                    self.assertEqual(len(cache), 1)
                    self.assertEqual(cache[3], 3)
                    with self.assertRaises(ValueError):
                        cache[4] = 4
                    self.assertEqual(cache[3], 3)

                def test_empty_popitem(self):
                    with self.assertRaisesRegex(KeyError, "FIFOCache is empty"):
                        FIFOCache(1).popitem()

                def test_exported(self):
                    import cachetools

                    self.assertIn("FIFOCache", cachetools.__all__)


            class FIFODecoratorTest(unittest.TestCase):
                def test_decorator(self):
                    calls = []

                    @cachetools.func.fifo_cache(maxsize=2)
                    def f(n):
                        calls.append(n)
                        return n

                    f(1), f(2), f(1), f(3), f(1)
                    self.assertEqual(calls, [1, 2, 3, 1])
                    self.assertEqual(f.cache_parameters(), {"maxsize": 2, "typed": False})

                def test_bare_decorator_and_unbounded(self):
                    bare = cachetools.func.fifo_cache(lambda n: n)
                    self.assertEqual(bare(1), 1)
                    self.assertEqual(bare.cache_info().maxsize, 128)
                    unbounded = cachetools.func.fifo_cache(maxsize=None)(lambda n: n)
                    self.assertEqual(unbounded(2), 2)
                    self.assertIsNone(unbounded.cache_info().maxsize)
            """
        },
    ),
    Spec(
        id="cachetools-ttl-remaining",
        pack="feature",
        lib=LIB,
        start="pristine",
        difficulty="easy",
        tags=["new-method", "time"],
        modules=["tests/test_ttl.py"],
        instruction="""
        TTLCache: tell me how long an entry has left

        Please add `TTLCache.remaining_ttl(key)`, returning the number of seconds (in the
        cache's timer units) until `key` expires. It raises `KeyError(key)` when the key is
        missing or already expired, and must not change the LRU order or expire anything
        else.

        ```python
        now = [0]
        cache = TTLCache(maxsize=10, ttl=5, timer=lambda: now[0])
        cache["k"] = 1
        now[0] = 2
        cache.remaining_ttl("k")   # 3
        ```
        """,
        edits=[
            (
                INIT,
                "    @property\n    def ttl(self):\n",
                "    def remaining_ttl(self, key):\n"
                '        """Time left until ``key`` expires; KeyError if missing or expired."""\n'
                "        with self.timer as time:\n"
                "            try:\n"
                "                link = self.__links[key]\n"
                "            except KeyError:\n"
                "                raise KeyError(key) from None\n"
                "            if not (time < link.expires):\n"
                "                raise KeyError(key)\n"
                "            return link.expires - time\n\n"
                "    @property\n    def ttl(self):\n",
            )
        ],
        hidden={
            "tests/test_feature_remaining_ttl.py": """
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
            """
        },
    ),
]
