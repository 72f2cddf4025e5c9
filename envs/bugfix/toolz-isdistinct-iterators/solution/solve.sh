#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/toolz/itertoolz.py b/toolz/itertoolz.py
index 8dffbe3..1ab5485 100644
--- a/toolz/itertoolz.py
+++ b/toolz/itertoolz.py
@@ -309,6 +309,7 @@ def isdistinct(seq):
         for item in seq:
             if item in seen:
                 return False
+            seen_add(item)
         return True
     else:
         return len(seq) == len(set(seq))
AGENTGYM_PATCH
