#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/cachetools/__init__.py b/src/cachetools/__init__.py
index e659dae..2d2e2cf 100644
--- a/src/cachetools/__init__.py
+++ b/src/cachetools/__init__.py
@@ -2,6 +2,7 @@
 
 __all__ = (
     "Cache",
+    "FIFOCache",
     "LFUCache",
     "LRUCache",
     "MRUCache",
@@ -139,6 +140,34 @@ class Cache(collections.abc.MutableMapping):
         return 1
 
 
+class FIFOCache(Cache):
+    """First In First Out (FIFO) cache implementation."""
+
+    def __init__(self, maxsize, getsizeof=None):
+        Cache.__init__(self, maxsize, getsizeof)
+        self.__order = collections.OrderedDict()
+
+    def __setitem__(self, key, value, cache_setitem=Cache.__setitem__):
+        cache_setitem(self, key, value)
+        try:
+            self.__order.move_to_end(key)
+        except KeyError:
+            self.__order[key] = None
+
+    def __delitem__(self, key, cache_delitem=Cache.__delitem__):
+        cache_delitem(self, key)
+        del self.__order[key]
+
+    def popitem(self):
+        """Remove and return the `(key, value)` pair first inserted."""
+        try:
+            key = next(iter(self.__order))
+        except StopIteration:
+            raise KeyError("%s is empty" % type(self).__name__) from None
+        else:
+            return (key, self.pop(key))
+
+
 class LFUCache(Cache):
     """Least Frequently Used (LFU) cache implementation."""
 
diff --git a/src/cachetools/func.py b/src/cachetools/func.py
index a01a136..3eafddf 100644
--- a/src/cachetools/func.py
+++ b/src/cachetools/func.py
@@ -1,6 +1,6 @@
 """`functools.lru_cache` compatible memoizing function decorators."""
 
-__all__ = ("lfu_cache", "lru_cache", "mru_cache", "rr_cache", "ttl_cache")
+__all__ = ("fifo_cache", "lfu_cache", "lru_cache", "mru_cache", "rr_cache", "ttl_cache")
 
 import math
 import random
@@ -11,7 +11,7 @@ try:
 except ImportError:  # pragma: no cover
     from dummy_threading import RLock
 
-from . import LFUCache, LRUCache, MRUCache, RRCache, TTLCache
+from . import FIFOCache, LFUCache, LRUCache, MRUCache, RRCache, TTLCache
 from . import cached
 from . import keys
 
@@ -35,6 +35,20 @@ def _cache(cache, maxsize, typed):
     return decorator
 
 
+def fifo_cache(maxsize=128, typed=False):
+    """Decorator to wrap a function with a memoizing callable that saves
+    up to `maxsize` results based on a First In First Out (FIFO)
+    algorithm.
+
+    """
+    if maxsize is None:
+        return _cache({}, None, typed)
+    elif callable(maxsize):
+        return _cache(FIFOCache(128), 128, typed)(maxsize)
+    else:
+        return _cache(FIFOCache(maxsize), maxsize, typed)
+
+
 def lfu_cache(maxsize=128, typed=False):
     """Decorator to wrap a function with a memoizing callable that saves
     up to `maxsize` results based on a Least Frequently Used (LFU)
AGENTGYM_PATCH
