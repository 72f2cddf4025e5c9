#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/more_itertools/recipes.py b/more_itertools/recipes.py
index 26930cc..67f76fa 100644
--- a/more_itertools/recipes.py
+++ b/more_itertools/recipes.py
@@ -948,7 +948,7 @@ def _batched(iterable, n, *, strict=False):
 
     On Python 3.13 and above, this is an alias for :func:`itertools.batched`.
     """
-    if n < 0:
+    if n < 1:
         raise ValueError('n must be at least one')
     it = iter(iterable)
     while batch := tuple(islice(it, n)):
AGENTGYM_PATCH
