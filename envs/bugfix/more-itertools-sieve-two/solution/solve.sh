#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/more_itertools/recipes.py b/more_itertools/recipes.py
index dc0c260..67f76fa 100644
--- a/more_itertools/recipes.py
+++ b/more_itertools/recipes.py
@@ -925,7 +925,7 @@ def sieve(n):
     >>> list(sieve(30))
     [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
     """
-    if n >= 2:
+    if n > 2:
         yield 2
     start = 3
     data = bytearray((0, 1)) * (n // 2)
AGENTGYM_PATCH
