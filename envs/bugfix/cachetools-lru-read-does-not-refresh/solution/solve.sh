#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/cachetools/__init__.py b/src/cachetools/__init__.py
index 0fa3f81..2d2e2cf 100644
--- a/src/cachetools/__init__.py
+++ b/src/cachetools/__init__.py
@@ -208,6 +208,8 @@ class LRUCache(Cache):
 
     def __getitem__(self, key, cache_getitem=Cache.__getitem__):
         value = cache_getitem(self, key)
+        if key in self:  # __missing__ may not store item
+            self.__update(key)
         return value
 
     def __setitem__(self, key, value, cache_setitem=Cache.__setitem__):
AGENTGYM_PATCH
