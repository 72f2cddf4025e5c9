#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/tabulate/__init__.py b/tabulate/__init__.py
index 9d158aa..503df34 100644
--- a/tabulate/__init__.py
+++ b/tabulate/__init__.py
@@ -117,7 +117,7 @@ def _pipe_segment_with_colons(align, colwidth):
     if align in ["right", "decimal"]:
         return ("-" * (w - 1)) + ":"
     elif align == "center":
-        return ":" + ("-" * (w - 1)) + ":"
+        return ":" + ("-" * (w - 2)) + ":"
     elif align == "left":
         return ":" + ("-" * (w - 1))
     else:
AGENTGYM_PATCH
