#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/tabulate/__init__.py b/tabulate/__init__.py
index a75f1c2..503df34 100644
--- a/tabulate/__init__.py
+++ b/tabulate/__init__.py
@@ -1216,7 +1216,7 @@ def _format(val, valtype, floatfmt, intfmt, missingval="", has_invisible=True):
     if valtype is str:
         return f"{val}"
     elif valtype is int:
-        return f"{val}"
+        return format(val, intfmt)
     elif valtype is bytes:
         try:
             return str(val, "ascii")
AGENTGYM_PATCH
