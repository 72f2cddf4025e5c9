#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/cachetools/__init__.py b/src/cachetools/__init__.py
index 4e0afb2..2d2e2cf 100644
--- a/src/cachetools/__init__.py
+++ b/src/cachetools/__init__.py
@@ -71,7 +71,7 @@ class Cache(collections.abc.MutableMapping):
     def __setitem__(self, key, value):
         maxsize = self.__maxsize
         size = self.getsizeof(value)
-        if size >= maxsize:
+        if size > maxsize:
             raise ValueError("value too large")
         if key not in self.__data or self.__size[key] < size:
             while self.__currsize + size > maxsize:
AGENTGYM_PATCH
