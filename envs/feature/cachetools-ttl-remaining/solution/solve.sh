#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/cachetools/__init__.py b/src/cachetools/__init__.py
index 2d2e2cf..b4b33b1 100644
--- a/src/cachetools/__init__.py
+++ b/src/cachetools/__init__.py
@@ -461,6 +461,17 @@ class TTLCache(_TimedCache):
             prev.next = root.prev = link
         self.expire(self.timer())
 
+    def remaining_ttl(self, key):
+        """Time left until ``key`` expires; KeyError if missing or expired."""
+        with self.timer as time:
+            try:
+                link = self.__links[key]
+            except KeyError:
+                raise KeyError(key) from None
+            if not (time < link.expires):
+                raise KeyError(key)
+            return link.expires - time
+
     @property
     def ttl(self):
         """The time-to-live value of the cache's items."""
AGENTGYM_PATCH
