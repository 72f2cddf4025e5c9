#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/more_itertools/recipes.py b/more_itertools/recipes.py
index 82149c6..67f76fa 100644
--- a/more_itertools/recipes.py
+++ b/more_itertools/recipes.py
@@ -406,9 +406,9 @@ def grouper(iterable, n, incomplete='fill', fillvalue=None):
     if incomplete == 'fill':
         return zip_longest(*args, fillvalue=fillvalue)
     if incomplete == 'strict':
-        return zip(*args)
-    if incomplete == 'ignore':
         return _zip_equal(*args)
+    if incomplete == 'ignore':
+        return zip(*args)
     else:
         raise ValueError('Expected fill, strict, or ignore')
 
AGENTGYM_PATCH
