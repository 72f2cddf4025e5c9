#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/tabulate/__init__.py b/tabulate/__init__.py
index 7a6d3e9..503df34 100644
--- a/tabulate/__init__.py
+++ b/tabulate/__init__.py
@@ -848,7 +848,7 @@ def _isnumber(string):
     elif isinstance(string, (str, bytes)) and (
         math.isinf(float(string)) or math.isnan(float(string))
     ):
-        return string.lower() in ["inf", "nan"]
+        return string.lower() in ["inf", "-inf", "nan"]
     return True
 
 
AGENTGYM_PATCH
