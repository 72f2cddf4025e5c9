#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/cachetools/__init__.py b/src/cachetools/__init__.py
index fc9dc4f..2d2e2cf 100644
--- a/src/cachetools/__init__.py
+++ b/src/cachetools/__init__.py
@@ -697,6 +697,7 @@ def cached(cache, key=keys.hashkey, lock=None, info=False):
                 def cache_clear():
                     nonlocal hits, misses
                     cache.clear()
+                    hits = misses = 0
 
                 cache_info = getinfo
 
AGENTGYM_PATCH
