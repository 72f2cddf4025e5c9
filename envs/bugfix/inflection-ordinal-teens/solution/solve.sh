#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/inflection/__init__.py b/inflection/__init__.py
index 0d027fb..c18a0b6 100644
--- a/inflection/__init__.py
+++ b/inflection/__init__.py
@@ -223,7 +223,7 @@ def ordinal(number: int) -> str:
 
     """
     number = abs(int(number))
-    if number % 100 in (11, 12):
+    if number % 100 in (11, 12, 13):
         return "th"
     else:
         return {
AGENTGYM_PATCH
