#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/parse.py b/parse.py
index 638a536..51a6953 100644
--- a/parse.py
+++ b/parse.py
@@ -536,7 +536,7 @@ class Parser(object):
         found.
         """
         if endpos is None:
-            endpos = len(string) - 1
+            endpos = len(string)
         return ResultIterator(
             self, string, pos, endpos, evaluate_result=evaluate_result
         )
AGENTGYM_PATCH
