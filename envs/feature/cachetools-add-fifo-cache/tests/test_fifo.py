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
