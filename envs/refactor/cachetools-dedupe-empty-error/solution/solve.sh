#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/cachetools/__init__.py b/src/cachetools/__init__.py
index 2d2e2cf..916a7bf 100644
--- a/src/cachetools/__init__.py
+++ b/src/cachetools/__init__.py
@@ -38,6 +38,11 @@ class _DefaultSize:
         return 1
 
 
+def _empty_error(cache):
+    """The KeyError that popitem() raises on an empty cache."""
+    return KeyError("%s is empty" % type(cache).__name__)
+
+
 class Cache(collections.abc.MutableMapping):
     """Mutable mapping to serve as a simple cache or cache base class."""
 
@@ -163,7 +168,7 @@ class FIFOCache(Cache):
         try:
             key = next(iter(self.__order))
         except StopIteration:
-            raise KeyError("%s is empty" % type(self).__name__) from None
+            raise _empty_error(self) from None
         else:
             return (key, self.pop(key))
 
@@ -194,7 +199,7 @@ class LFUCache(Cache):
         try:
             ((key, _),) = self.__counter.most_common(1)
         except ValueError:
-            raise KeyError("%s is empty" % type(self).__name__) from None
+            raise _empty_error(self) from None
         else:
             return (key, self.pop(key))
 
@@ -225,7 +230,7 @@ class LRUCache(Cache):
         try:
             key = next(iter(self.__order))
         except StopIteration:
-            raise KeyError("%s is empty" % type(self).__name__) from None
+            raise _empty_error(self) from None
         else:
             return (key, self.pop(key))
 
@@ -266,7 +271,7 @@ class MRUCache(Cache):
         try:
             key = next(iter(self.__order))
         except StopIteration:
-            raise KeyError("%s is empty" % type(self).__name__) from None
+            raise _empty_error(self) from None
         else:
             return (key, self.pop(key))
 
@@ -294,7 +299,7 @@ class RRCache(Cache):
         try:
             key = self.__choice(list(self))
         except IndexError:
-            raise KeyError("%s is empty" % type(self).__name__) from None
+            raise _empty_error(self) from None
         else:
             return (key, self.pop(key))
 
@@ -498,7 +503,7 @@ class TTLCache(_TimedCache):
             try:
                 key = next(iter(self.__links))
             except StopIteration:
-                raise KeyError("%s is empty" % type(self).__name__) from None
+                raise _empty_error(self) from None
             else:
                 return (key, self.pop(key))
 
@@ -620,7 +625,7 @@ class TLRUCache(_TimedCache):
             try:
                 key = next(iter(self.__items))
             except StopIteration:
-                raise KeyError("%s is empty" % self.__class__.__name__) from None
+                raise _empty_error(self) from None
             else:
                 return (key, self.pop(key))
 
AGENTGYM_PATCH
