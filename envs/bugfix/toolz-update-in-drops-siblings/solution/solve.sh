#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/toolz/dicttoolz.py b/toolz/dicttoolz.py
index 9b57867..457bc26 100644
--- a/toolz/dicttoolz.py
+++ b/toolz/dicttoolz.py
@@ -286,6 +286,7 @@ def update_in(d, keys, func, default=None, factory=dict):
         if k in d:
             d = d[k]
             dtemp = factory()
+            dtemp.update(d)
         else:
             d = dtemp = factory()
 
AGENTGYM_PATCH
