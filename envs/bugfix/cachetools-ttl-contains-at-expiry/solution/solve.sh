#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/cachetools/__init__.py b/src/cachetools/__init__.py
index cd207d3..2d2e2cf 100644
--- a/src/cachetools/__init__.py
+++ b/src/cachetools/__init__.py
@@ -405,7 +405,7 @@ class TTLCache(_TimedCache):
         except KeyError:
             return False
         else:
-            return self.timer() <= link.expires
+            return self.timer() < link.expires
 
     def __getitem__(self, key, cache_getitem=Cache.__getitem__):
         try:
AGENTGYM_PATCH
