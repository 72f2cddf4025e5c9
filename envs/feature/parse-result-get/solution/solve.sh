#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/parse.py b/parse.py
index 51a6953..bd45a91 100644
--- a/parse.py
+++ b/parse.py
@@ -882,6 +882,13 @@ class Result(object):
     def __contains__(self, name):
         return name in self.named
 
+    def get(self, key, default=None):
+        """The named field ``key`` (or fixed field at index ``key``), else default."""
+        try:
+            return self[key]
+        except (KeyError, IndexError):
+            return default
+
 
 class Match(object):
     """The result of a parse() or search() if no results are generated.
AGENTGYM_PATCH
